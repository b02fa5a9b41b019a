"""One error summary on every form, from base.html: at the top of the main content, before the
heading, with a link to each field's wrapper, the focus on load, and "Error: " in the title."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.accounts.test_views import find, text_of, texts
from tests.conftest import World, signed_in
from tests.sessions_app.factories import ModuleFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def title(response) -> str:
    [element] = find(response, "title")
    return " ".join(text_of(element).split())


def test_the_long_session_form_opens_with_a_summary_linking_to_each_field(world: World) -> None:
    ModuleFactory(programme=ProgrammeFactory(university=world.university))

    response = signed_in(world.coordinator).post("/sessions/new/", {"places": "0", "title": "x" * 201})

    [summary] = find(response, "div", id="error-summary")
    html = response.content.decode()
    assert response.status_code == 400
    assert title(response) == "Error: New session · Involvement"
    # First in <main> (after any messages), before the page's heading.
    assert html.index("<main") < html.index('id="error-summary"') < html.index("<h1>")
    assert dict(summary.attributes)["tabindex"] == "-1"
    assert texts(summary, "h2") == ["There is a problem"]
    links = [dict(link.attributes)["href"] for link in find(summary, "a")]
    assert links[:3] == ["#div_id_module", "#div_id_title", "#div_id_kind"]
    assert all(re.search(rf'id="{href[1:]}"', html) for href in links)
    assert texts(summary, "li")[1] == "Title: Please use 200 characters or fewer: this has 201."


def test_a_form_shows_its_summary_once(world: World, client: Client) -> None:
    response = signed_in(world.coordinator).post("/impact/new/", {})

    assert response.status_code == 400
    assert len(find(response, "div", id="error-summary")) == 1


def test_a_form_whose_only_error_is_about_the_whole_form_says_it_once(world: World) -> None:
    response = Client().post("/accounts/login/", {"login": world.outsider.email, "password": "not-the-password"})

    assert find(response, "div", id="error-summary") == []
    assert title(response).startswith("Error: ")


def test_a_page_without_errors_has_no_summary(world: World) -> None:
    response = signed_in(world.coordinator).get("/sessions/new/")

    assert (find(response, "div", id="error-summary"), title(response)) == ([], "New session · Involvement")
