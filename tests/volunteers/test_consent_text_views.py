"""The org admin's consent wording pages: the list of purposes and publishing a new version."""

from __future__ import annotations

from typing import Any

import pytest

from involvement.models import ActivityLog
from tests import factories
from tests.accounts.test_views import find, h1, messages_on, texts
from tests.conftest import World, signed_in
from volunteers.models import ConsentPurpose, ConsentRecord, ConsentText, VolunteerProfile

LIST_URL = "/consent-texts/"
NEW_URL = "/consent-texts/share-story/new/"
GRANTED = ConsentRecord.Action.GRANTED
WITHDRAWN = ConsentRecord.Action.WITHDRAWN
NO_WORDING = "No wording yet: volunteers cannot be asked for this consent."


def record(profile: VolunteerProfile, text: ConsentText, action: str = GRANTED) -> ConsentRecord:
    return ConsentRecord.objects.create(volunteer=profile, purpose=text.purpose, text=text, action=action)


def volunteer() -> VolunteerProfile:
    return factories.NetworkMembershipFactory().volunteer


def rows(source: Any) -> list[list[str]]:
    [body] = find(source, "tbody")
    return [texts(row, "td") for row in find(body, "tr")]


def checked_organisations(source: Any) -> list[str]:
    return sorted(
        dict(box.attributes)["value"] or ""
        for box in find(source, "input", type="checkbox", name="organisations")
        if "checked" in dict(box.attributes)
    )


def textarea(source: Any) -> str:
    [area] = find(source, "textarea", id="id_text")
    return "".join(child for child in area.children if isinstance(child, str)).strip()


def field_error(source: Any, field: str) -> str:
    [error] = texts(source, "div", id=f"id_{field}_error")
    return error


def what_exists() -> dict[str, Any]:
    return {
        "texts": sorted(ConsentText.objects.values_list("purpose__code", "version")),
        "activity": ActivityLog.objects.count(),
    }


# The list


def test_purpose_list_shows_wording_organisations_and_current_grants(world: World, consent_purposes) -> None:
    old = factories.ConsentTextFactory(text="Version one.", organisations=[world.university, world.charity])
    current = factories.ConsentTextFactory(text="Version two.", organisations=[world.university, world.other_charity])
    factories.ConsentTextFactory(
        purpose=ConsentPurpose.objects.get(code="health-information"),
        text="I agree you may store my health information.",
        organisations=[world.charity],
    )
    agrees_now, agreed_to_old, withdrew, erased = volunteer(), volunteer(), volunteer(), volunteer()
    record(agrees_now, old)
    record(agrees_now, current)
    record(agreed_to_old, old)
    record(withdrew, current)
    record(withdrew, current, WITHDRAWN)
    record(erased, current)
    VolunteerProfile.objects.filter(pk=erased.pk).update(erased_at=current.published_at)

    response = signed_in(world.admin).get(LIST_URL)

    published = f"{current.published_at:%-d %B %Y}"
    action = "Publish a new version of “{}”"
    assert response.status_code == 200
    assert h1(response) == "Consent wording"
    assert rows(response) == [
        [
            "Store my health information Explicit: health information",
            f"I agree you may store my health information. Version 1, published {published}",
            "Charity A",
            "0",
            action.format("Store my health information"),
        ],
        [
            "Share my story with students",
            f"Version two. Version 2, published {published}",
            "Charity B University A",
            "1",
            action.format("Share my story with students"),
        ],
        *[[purpose.name, NO_WORDING, "—", "0", action.format(purpose.name)] for purpose in consent_purposes[2:]],
    ]
    assert texts(response, "a", href=NEW_URL) == [action.format("Share my story with students")]


@pytest.mark.parametrize("with_texts", [1, 3])
def test_purpose_list_query_count_does_not_grow(
    world: World, consent_purposes, django_assert_num_queries, with_texts: int
) -> None:
    for purpose in consent_purposes[:with_texts]:
        for version in (1, 2):
            text = factories.ConsentTextFactory(
                purpose=purpose, version=version, organisations=[world.university, world.charity]
            )
            record(volunteer(), text)
    client = signed_in(world.admin)

    with django_assert_num_queries(9):
        response = client.get(LIST_URL)

    assert [row[3] for row in rows(response)] == ["1"] * with_texts + ["0"] * (8 - with_texts)


# Publishing a new version


def test_new_version_page_starts_from_the_current_wording(world: World, consent_purposes) -> None:
    factories.ConsentTextFactory(text="I agree to share my story.", organisations=[world.charity])

    response = signed_in(world.admin).get(NEW_URL)

    assert response.status_code == 200
    assert h1(response) == "New wording for “Share my story with students”"
    assert textarea(response) == "I agree to share my story."
    assert checked_organisations(response) == sorted([str(world.charity.pk), str(world.university.pk)])
    assert texts(response, "label", class_="form-check-label") == [
        "Charity A",
        "Charity B",
        "University A",
        "University B",
    ]
    assert texts(response, "button")[-1] == "Publish version 2"
    assert texts(response, "div", class_="alert-warning") == [
        "Publishing a new version asks every volunteer who agreed to the old one to read it and agree again when "
        "they next sign in. Until they do, their earlier agreement no longer counts and they are not booked into "
        "sessions that need it. Publish a new version only when what you ask for has really changed."
    ]


def test_new_version_page_for_a_purpose_without_wording_preselects_the_admins_organisation(
    world: World, consent_purposes
) -> None:
    response = signed_in(world.admin).get("/consent-texts/photographs/new/")

    assert textarea(response) == ""
    assert checked_organisations(response) == [str(world.university.pk)]
    assert texts(response, "button")[-1] == "Publish version 1"


def test_publish_creates_the_next_version_and_old_grants_stop_being_current(world: World, consent_purposes) -> None:
    old = factories.ConsentTextFactory(organisations=[world.university])
    profile = volunteer()
    record(profile, old)
    current_before = list(VolunteerProfile.objects.with_current_grants(["share-story"]))

    response = signed_in(world.admin).post(
        NEW_URL,
        {
            "text": "  I agree that my story may be shared with students and staff.  ",
            "organisations": [
                world.university.pk,
                world.charity.pk,
            ],
        },
        follow=True,
    )

    new = ConsentText.objects.get(purpose__code="share-story", version=2)
    assert response.redirect_chain == [(LIST_URL, 302)]
    assert messages_on(response) == [
        "Version 2 of “Share my story with students” is published. Volunteers who agreed to an earlier version "
        "will be asked again when they next sign in."
    ]
    assert (new.text, new.published_by) == ("I agree that my story may be shared with students and staff.", world.admin)
    assert sorted(new.organisations.values_list("name", flat=True)) == ["Charity A", "University A"]
    assert current_before == [profile]
    assert list(VolunteerProfile.objects.with_current_grants(["share-story"])) == []
    assert list(ActivityLog.objects.filter(action="consent.text_published").values_list("actor", "data")) == [
        (world.admin.pk, {"purpose": "share-story", "version": 2})
    ]


def test_publish_first_version_of_a_purpose(world: World, consent_purposes) -> None:
    response = signed_in(world.admin).post(
        "/consent-texts/photographs/new/",
        {"text": "I agree that photographs of me may be used in teaching.", "organisations": [world.university.pk]},
    )

    assert (response.status_code, response["Location"]) == (302, LIST_URL)
    assert list(ConsentText.objects.values_list("purpose__code", "version")) == [("photographs", 1)]


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"text": "", "organisations": ["university"]}, "text", "Please write the text volunteers will agree to."),
        (
            {"text": " \n\t ", "organisations": ["university"]},
            "text",
            "Please write the text volunteers will agree to.",
        ),
        (
            {"text": "New wording."},
            "organisations",
            "Please choose at least one organisation that relies on this consent.",
        ),
        (
            {"text": "New wording.", "organisations": ["999999"]},
            "organisations",
            "Select a valid choice. 999999 is not one of the available choices.",
        ),
        (
            {"text": "Old wording.", "organisations": ["university"]},
            "text",
            "This is the same as version 1. Change the wording or the organisations before publishing, or leave it "
            "as it is.",
        ),
    ],
)
def test_publish_refuses_bad_input(
    world: World, consent_purposes, data: dict[str, Any], field: str, error: str
) -> None:
    factories.ConsentTextFactory(text="Old wording.", organisations=[world.university])
    posted = {
        **data,
        "organisations": [
            world.university.pk if value == "university" else value for value in data.get("organisations", [])
        ],
    }
    before = what_exists()

    response = signed_in(world.admin).post(NEW_URL, posted)

    assert response.status_code == 400
    assert field_error(response, field) == error
    assert what_exists() == before


def test_publish_unknown_purpose_is_not_found(world: World, consent_purposes) -> None:
    client = signed_in(world.admin)
    data = {"text": "Wording.", "organisations": [world.university.pk]}

    assert client.get("/consent-texts/no-such-purpose/new/").status_code == 404
    assert client.post("/consent-texts/no-such-purpose/new/", data).status_code == 404
    assert ConsentText.objects.count() == 0


@pytest.mark.parametrize("who", ["coordinator", "lead", "finance", "volunteer"])
def test_publish_needs_an_org_admin(world: World, consent_purposes, who: str) -> None:
    response = signed_in(getattr(world, who)).post(
        NEW_URL, {"text": "Wording.", "organisations": [world.university.pk]}
    )

    assert response.status_code == 403
    assert ConsentText.objects.count() == 0


def test_publish_by_another_organisations_admin_names_any_organisation(world: World, consent_purposes) -> None:
    """Purposes are shared: any org admin may publish, naming the organisations that rely on it."""
    signed_in(world.other_admin).post(
        NEW_URL, {"text": "Shared wording.", "organisations": [world.other_university.pk, world.charity.pk]}
    )

    text = ConsentText.objects.get()
    assert sorted(text.organisations.values_list("slug", flat=True)) == ["charity-a", "university-b"]
