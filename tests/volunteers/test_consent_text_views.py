"""The org admin's consent wording pages: their organisations' purposes and publishing a new
version. Wording belongs to its network: another organisation's admin finds it missing (404)."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Membership, Organisation, User
from involvement import formatting
from involvement.models import ActivityLog
from tests import factories
from tests.accounts.test_views import find, h1, messages_on, texts
from tests.conftest import World, signed_in
from volunteers.models import ConsentPurpose, ConsentRecord, ConsentText, VolunteerProfile
from volunteers.selectors import current_grant_counts

LIST_URL = "/consent-texts/"
NEW_URL = "/consent-texts/charity-a/share-story/new/"
GRANTED = ConsentRecord.Action.GRANTED
WITHDRAWN = ConsentRecord.Action.WITHDRAWN
NO_WORDING = "No wording yet: volunteers cannot be asked for this consent."


@pytest.fixture
def charity_admin(world: World) -> User:
    """An org admin of Charity A, the network whose wording these pages publish."""
    return factories.staff(Membership.Role.ADMIN, world.charity, email="admin@charity-a.example.org")


def record(profile: VolunteerProfile, text: ConsentText, action: str = GRANTED) -> ConsentRecord:
    return ConsentRecord.objects.create(volunteer=profile, purpose=text.purpose, text=text, action=action)


def volunteer(network: Organisation) -> VolunteerProfile:
    return factories.NetworkMembershipFactory(network=network).volunteer


def wording(network: Organisation, text: str = "", purpose: str = "share-story", *named: Organisation) -> ConsentText:
    fields: dict[str, Any] = {"text": text} if text else {}
    return factories.ConsentTextFactory(
        purpose=ConsentPurpose.objects.get(code=purpose), network=network, organisations=list(named) or None, **fields
    )


def rows(source: Any) -> list[list[str]]:
    return [texts(row, "td") for body in find(source, "tbody") for row in find(body, "tr")]


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
        "texts": sorted(ConsentText.objects.values_list("network__slug", "purpose__code", "version")),
        "activity": ActivityLog.objects.count(),
    }


# The list


def test_purpose_list_shows_the_admins_organisations_wording_and_current_grants(
    world: World, consent_purposes, charity_admin: User
) -> None:
    old = wording(world.charity, "Version one.", "share-story", world.university, world.charity)
    current = wording(world.charity, "Version two.", "share-story", world.university, world.charity)
    wording(world.charity, "I agree you may store my health information.", "health-information")
    wording(world.other_charity, "Charity B's wording.", "photographs", world.other_university)
    agrees_now, agreed_to_old, withdrew, erased = (volunteer(world.charity) for _ in range(4))
    record(agrees_now, old)
    record(agrees_now, current)
    record(agreed_to_old, old)
    record(withdrew, current)
    record(withdrew, current, WITHDRAWN)
    record(erased, current)
    VolunteerProfile.objects.filter(pk=erased.pk).update(erased_at=current.published_at)

    response = signed_in(charity_admin).get(LIST_URL)

    published = f"{formatting.day(current.published_at)}"
    action = "Publish a new version of “{}” for Charity A"
    assert response.status_code == 200
    assert (h1(response), texts(response, "h2")) == ("Consent wording", ["Charity A"])
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
            "Charity A University A",
            "1",
            action.format("Share my story with students"),
        ],
        *[[purpose.name, NO_WORDING, "—", "0", action.format(purpose.name)] for purpose in consent_purposes[2:]],
    ]
    assert texts(response, "a", href=NEW_URL) == [action.format("Share my story with students")]
    assert "Charity B's wording." not in response.content.decode()


def test_purpose_list_has_a_section_per_organisation_the_user_administers(
    world: World, consent_purposes, charity_admin: User
) -> None:
    factories.MembershipFactory(user=charity_admin, organisation=world.other_charity, role=Membership.Role.ADMIN)
    wording(world.charity, "Charity A's wording.")
    wording(world.other_charity, "Charity B's wording.")

    response = signed_in(charity_admin).get(LIST_URL)

    assert texts(response, "h2") == ["Charity A", "Charity B"]
    assert [row[1] for row in rows(response) if row[0] == "Share my story with students"] == [
        "Charity A's wording. Version 1, published " + formatting.day(ConsentText.objects.first().published_at),
        "Charity B's wording. Version 1, published " + formatting.day(ConsentText.objects.first().published_at),
    ]
    assert len(find(response, "a", href="/consent-texts/charity-b/share-story/new/")) == 1


def test_purpose_list_for_a_university_admin_shows_only_the_university(world: World, consent_purposes) -> None:
    """A university admin without a pool sees their own organisation, never a charity's wording."""
    wording(world.charity, "Charity A's wording.", "share-story", world.charity, world.university)

    response = signed_in(world.admin).get(LIST_URL)

    assert texts(response, "h2") == ["University A"]
    assert [row[1] for row in rows(response)] == [NO_WORDING] * 8
    assert "Charity A's wording." not in response.content.decode()


@pytest.mark.parametrize("with_texts", [1, 3])
def test_purpose_list_query_count_does_not_grow(
    world: World, consent_purposes, charity_admin: User, django_assert_num_queries, with_texts: int
) -> None:
    for purpose in consent_purposes[:with_texts]:
        for version in (1, 2):
            text = factories.ConsentTextFactory(
                purpose=purpose, network=world.charity, version=version, organisations=[world.university, world.charity]
            )
            record(volunteer(world.charity), text)
    client = signed_in(charity_admin)

    with django_assert_num_queries(10):
        response = client.get(LIST_URL)

    assert [row[3] for row in rows(response)] == ["1"] * with_texts + ["0"] * (8 - with_texts)


# Publishing a new version


def test_new_version_page_starts_from_the_current_wording_and_offers_only_the_network_and_partners(
    world: World, consent_purposes, charity_admin: User
) -> None:
    wording(world.charity, "I agree to share my story.", "share-story", world.charity)

    response = signed_in(charity_admin).get(NEW_URL)

    assert response.status_code == 200
    assert h1(response) == "New wording for “Share my story with students”"
    assert texts(response, "p", class_="lead") == [
        "For Charity A: only its volunteers are asked to agree to this wording."
    ]
    assert textarea(response) == "I agree to share my story."
    assert checked_organisations(response) == [str(world.charity.pk)]
    assert texts(response, "label", class_="form-check-label") == ["Charity A", "University A"]
    assert texts(response, "button")[-1] == "Publish version 2"
    assert texts(response, "div", class_="alert-warning") == [
        "Publishing a new version asks every volunteer of Charity A who agreed to the old one to read it and agree "
        "again when they next sign in. Until they do, their earlier agreement no longer counts and they are not "
        "booked into sessions that need it. Publish a new version only when what you ask for has really changed."
    ]


def test_new_version_page_for_a_purpose_without_wording_preselects_the_network(
    world: World, consent_purposes, charity_admin: User
) -> None:
    wording(world.other_charity, "Charity B has wording of its own.", "photographs")

    response = signed_in(charity_admin).get("/consent-texts/charity-a/photographs/new/")

    assert textarea(response) == ""
    assert checked_organisations(response) == [str(world.charity.pk)]
    assert texts(response, "button")[-1] == "Publish version 1"


def test_publish_creates_the_next_version_and_old_grants_stop_being_current(
    world: World, consent_purposes, charity_admin: User
) -> None:
    old = wording(world.charity, "Old wording.", "share-story", world.charity, world.university)
    profile = volunteer(world.charity)
    record(profile, old)
    current_before = list(VolunteerProfile.objects.with_current_grants(["share-story"], university=world.university))

    response = signed_in(charity_admin).post(
        NEW_URL,
        {
            "text": "  I agree that my story may be shared with students and staff.  ",
            "organisations": [world.university.pk, world.charity.pk],
        },
        follow=True,
    )

    new = ConsentText.objects.get(purpose__code="share-story", network=world.charity, version=2)
    assert response.redirect_chain == [(LIST_URL, 302)]
    assert messages_on(response) == [
        "Version 2 of “Share my story with students” is published for Charity A. Its volunteers who agreed to an "
        "earlier version will be asked again when they next sign in."
    ]
    assert (new.text, new.published_by) == (
        "I agree that my story may be shared with students and staff.",
        charity_admin,
    )
    assert sorted(new.organisations.values_list("name", flat=True)) == ["Charity A", "University A"]
    assert current_before == [profile]
    assert list(VolunteerProfile.objects.with_current_grants(["share-story"], university=world.university)) == []
    assert list(ActivityLog.objects.filter(action="consent.text_published").values_list("actor", "data")) == [
        (charity_admin.pk, {"purpose": "share-story", "network": world.charity.pk, "version": 2})
    ]


def test_publish_first_version_of_a_purpose(world: World, consent_purposes, charity_admin: User) -> None:
    response = signed_in(charity_admin).post(
        "/consent-texts/charity-a/photographs/new/",
        {"text": "I agree that photographs of me may be used in teaching.", "organisations": [world.charity.pk]},
    )

    assert (response.status_code, response["Location"]) == (302, LIST_URL)
    assert list(ConsentText.objects.values_list("network__slug", "purpose__code", "version")) == [
        ("charity-a", "photographs", 1)
    ]


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"text": "", "organisations": ["charity"]}, "text", "Please write the text volunteers will agree to."),
        (
            {"text": " \n\t ", "organisations": ["charity"]},
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
            "Please choose one of the options given.",
        ),
        (
            {"text": "New wording.", "organisations": ["charity", "other_university"]},
            "organisations",
            "Please choose one of the options given.",
        ),
        (
            {"text": "New wording.", "organisations": ["other_charity"]},
            "organisations",
            "Please choose one of the options given.",
        ),
        (
            {"text": "Old wording.", "organisations": ["charity"]},
            "text",
            "This is the same as version 1. Change the wording or the organisations before publishing, or leave it "
            "as it is.",
        ),
    ],
)
def test_publish_refuses_bad_input(
    world: World, consent_purposes, charity_admin: User, data: dict[str, Any], field: str, error: str
) -> None:
    wording(world.charity, "Old wording.", "share-story", world.charity)
    ids = {name: getattr(world, name).pk for name in ("charity", "other_university", "other_charity")}
    posted = {**data, "organisations": [ids.get(value, value) for value in data.get("organisations", [])]}
    before = what_exists()

    response = signed_in(charity_admin).post(NEW_URL, posted)

    assert response.status_code == 400
    assert field_error(response, field) == error.format(**ids)
    assert what_exists() == before


def test_publish_unknown_purpose_is_not_found(world: World, consent_purposes, charity_admin: User) -> None:
    client = signed_in(charity_admin)
    data = {"text": "Wording.", "organisations": [world.charity.pk]}

    assert client.get("/consent-texts/charity-a/no-such-purpose/new/").status_code == 404
    assert client.post("/consent-texts/charity-a/no-such-purpose/new/", data).status_code == 404
    assert ConsentText.objects.count() == 0


@pytest.mark.parametrize("who", ["coordinator", "lead", "finance", "volunteer"])
def test_publish_needs_an_org_admin(world: World, consent_purposes, who: str) -> None:
    response = signed_in(getattr(world, who)).post(NEW_URL, {"text": "Wording.", "organisations": [world.charity.pk]})

    assert response.status_code == 403
    assert ConsentText.objects.count() == 0


@pytest.mark.parametrize("who", ["admin", "other_admin", "charity_b_admin"])
def test_another_organisations_admin_gets_404_and_grants_stay_unchanged(
    world: World, consent_purposes, who: str
) -> None:
    """The defect this fixes: an admin of a university with no partnership (or of a university
    with no pool, or of another charity) published wording for a shared purpose and voided every
    volunteer's current consent. Now Charity A's wording pages are not found for them."""
    outsider = {
        "admin": world.admin,
        "other_admin": world.other_admin,
        "charity_b_admin": factories.staff(Membership.Role.ADMIN, world.other_charity, email="admin@b-charity.org"),
    }[who]
    current = wording(world.charity, "Charity A's wording.", "share-story", world.charity, world.university)
    for _ in range(3):
        record(volunteer(world.charity), current)
    counts_before = current_grant_counts(world.charity)
    holders_before = VolunteerProfile.objects.with_current_grants(["share-story"], university=world.university).count()
    before = what_exists()
    client = signed_in(outsider)

    page = client.get(NEW_URL)
    posted = client.post(NEW_URL, {"text": f"Only {outsider} relies on this.", "organisations": [world.charity.pk]})

    assert (page.status_code, posted.status_code) == (404, 404)
    assert current_grant_counts(world.charity) == counts_before == {current.purpose.pk: 3}
    assert VolunteerProfile.objects.with_current_grants(["share-story"], university=world.university).count() == (
        holders_before
    )
    assert holders_before == 3
    assert what_exists() == before


def test_a_university_admin_publishes_only_for_their_university(world: World, consent_purposes) -> None:
    """A university's admin may word consents for the university's own pool; the relying
    organisations offered are the university alone (it has no partnership as a network)."""
    client = signed_in(world.admin)

    page = client.get("/consent-texts/university-a/share-story/new/")
    client.post(
        "/consent-texts/university-a/share-story/new/",
        {"text": "I agree to share my story.", "organisations": [world.university.pk]},
    )

    assert texts(page, "label", class_="form-check-label") == ["University A"]
    assert list(ConsentText.objects.values_list("network__slug", "version")) == [("university-a", 1)]
