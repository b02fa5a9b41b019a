"""Every page a signed-in person gets, and every page behind a private link, says
``Cache-Control: private, no-store`` (involvement.middleware.PrivatePagesMiddleware); public pages
seen signed out and static files stay cacheable. Walks the access table: every URL of the project."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.access import Access
from tests.conftest import World, signed_in
from tests.test_access import ACCESS, project_urls

PAGES = [entry for entry in ACCESS if entry.allowed and entry.allowed_status == 200 and entry.method == "get"]


def directives(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize("entry", PAGES, ids=lambda entry: entry.name)
def test_every_signed_in_page_is_private_and_never_stored(entry: Access, world: World) -> None:
    url = reverse(entry.name, kwargs=entry.kwargs(world))

    response = signed_in(getattr(world, entry.allowed)).get(url)  # type: ignore[arg-type]

    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response), f"{entry.name}: {response.get('Cache-Control')}"


TOKEN_ROUTES = {name for name, route in project_urls() if "<str:token>" in route}
PRIVATE_LINKS = [entry for entry in ACCESS if entry.public and entry.name in TOKEN_ROUTES]


@pytest.mark.parametrize("entry", PRIVATE_LINKS, ids=lambda entry: entry.name)
def test_pages_behind_a_private_link_are_never_stored(entry: Access, world: World) -> None:
    kwargs = entry.kwargs(world)

    response = Client().get(reverse(entry.name, kwargs=kwargs))

    assert {"private", "no-store"} <= directives(response), f"{entry.name}: {response.get('Cache-Control')}"


def test_every_private_link_is_covered() -> None:
    assert sorted(entry.name for entry in PRIVATE_LINKS) == sorted(TOKEN_ROUTES)


def test_public_pages_and_static_files_stay_cacheable(db: None) -> None:
    landing = Client().get("/")
    stylesheet = Client().get("/static/css/site.css")
    stylesheet.close()

    assert (landing.status_code, "no-store" in directives(landing)) == (200, False)
    assert (stylesheet.status_code, "no-store" in directives(stylesheet)) == (200, False)
