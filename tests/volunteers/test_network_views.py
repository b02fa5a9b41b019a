"""The lead's network pages and the volunteer summary, through django.test.Client."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from accounts.models import User
from involvement import formatting
from involvement.models import ActivityLog
from tests import factories
from tests.accounts.test_views import find, h1, messages_on, table_rows, text_of, texts
from tests.conftest import World, signed_in
from volunteers.models import (
    ConsentPurpose,
    ConsentRecord,
    ExperienceTag,
    NetworkMembership,
    OnboardingCheck,
    VolunteerProfile,
)
from volunteers.services import ERASED_NAME

Status = NetworkMembership.Status
Kind = OnboardingCheck.Kind
LIST_URL = "/networks/charity-a/volunteers/"
TAGS_URL = "/networks/charity-a/experience/"
PLANTED_ADJUSTMENT = "needs-a-quiet-room-7f3a"
PLANTED_TOPIC = "does-not-discuss-the-diagnosis-day-7f3a"
PLANTED_REASON = "keeps-universal-credit-7f3a"


# Arranging


def member(
    world: World, name: str, status: str = Status.ACTIVE, *, network: Any = None, **profile: Any
) -> NetworkMembership:
    """A volunteer called ``name`` in Charity A (or ``network``)."""
    user = factories.UserFactory(name=name)
    volunteer = factories.VolunteerProfileFactory(user=user, **profile)
    return factories.NetworkMembershipFactory(volunteer=volunteer, network=network or world.charity, status=status)


def tag(world: World, name: str) -> ExperienceTag:
    return factories.ExperienceTagFactory(network=world.charity, name=name)


def page_url(membership: NetworkMembership, action: str = "") -> str:
    base = f"/networks/{membership.network.slug}/volunteers/{membership.pk}/"
    return f"{base}{action}/" if action else base


def today() -> datetime.date:
    return timezone.localdate()


def days(count: int) -> datetime.date:
    return today() + datetime.timedelta(days=count)


# Reading pages


def listed(response: HttpResponse) -> list[str]:
    """The names in the list, in order."""
    rows = find(response, "tbody")
    return [row[0] for row in table_rows(response)] if rows else []


def error_of(response: HttpResponse, field: str) -> str:
    [error] = texts(response, "div", id=f"id_{field}_error")
    return error


def form_errors(response: HttpResponse) -> list[str]:
    """The errors shown above a form, not tied to one field."""
    return [text for block in find(response, "div", class_="alert-block") for text in texts(block, "li")]


def definitions(response: HttpResponse, dl_index: int = 0) -> dict[str, str]:
    """A description list on the page as {term: description}."""
    dl = find(response, "dl")[dl_index]
    terms = texts(dl, "dt")
    return dict(zip(terms, texts(dl, "dd"), strict=True))


def activity(action: str) -> list[ActivityLog]:
    return list(ActivityLog.objects.filter(action=action).order_by("pk"))


# The "Network" menu entry


def test_my_network_redirects_to_the_lead_s_network_list(world: World) -> None:
    response = signed_in(world.lead).get("/network/")

    assert (response.status_code, response["Location"]) == (302, LIST_URL)


# The list: what it shows


def test_network_list_shows_each_volunteer_with_status_perspective_tags_and_expiring_checks(world: World) -> None:
    world.volunteer.name = "Zoë Zander"
    world.volunteer.save()
    radiotherapy, secondary = tag(world, "radiotherapy"), tag(world, "secondary breast cancer")
    siân = member(world, "Siân O'Brien", perspective=VolunteerProfile.Perspective.CARER)
    siân.volunteer.experience_tags.set([radiotherapy, secondary])
    factories.OnboardingCheckFactory(membership=siân, kind=Kind.ROLE_CHECK, name="DBS check", expires_on=days(10))
    factories.OnboardingCheckFactory(membership=siân, kind=Kind.INDUCTION, expires_on=days(40))
    paused = member(world, "Ann Able", Status.PAUSED)
    paused.paused_until = days(20)
    paused.save()

    response = signed_in(world.lead).get(LIST_URL)

    assert response.status_code == 200
    assert h1(response) == "Volunteers of Charity A"
    assert table_rows(response) == [
        ["Ann Able", f"Paused until {formatting.day(days(20))}", "Patient or service user", "—", "0"],
        ["Siân O'Brien", "Active", "Carer", "radiotherapy ; secondary breast cancer", "1"],
        ["Zoë Zander", "Active", "Patient or service user", "—", "0"],
    ]
    links = [dict(link.attributes)["href"] for link in find(find(response, "tbody")[0], "a")]
    assert links == [page_url(paused), page_url(siân), page_url(world.volunteer.volunteer_profile.memberships.get())]


def filtered(client: Client, filters: dict[str, Any]) -> HttpResponse:
    """Post the filters as the form does; a valid set is kept in the session and the list shown."""
    return client.post(LIST_URL, filters, follow=True)


def test_network_list_links_to_the_applications_waiting(world: World) -> None:
    member(world, "Applicant One", Status.APPLICANT)
    member(world, "Applicant Two", Status.APPLICANT)
    member(world, "Elsewhere", Status.APPLICANT, network=world.other_charity)
    client = signed_in(world.lead)

    response = client.get(LIST_URL)
    [button] = [button for button in find(response, "button") if "Applications waiting" in text_of(button)]
    shown = filtered(client, {"status": "applicant"})

    assert text_of(button) == "Applications waiting (2)"
    assert listed(shown) == ["Applicant One", "Applicant Two"]


def test_network_list_filters_stay_out_of_the_address(world: World) -> None:
    client = signed_in(world.lead)

    response = client.post(LIST_URL, {"q": "someone", "tags": [], "status": "active"})

    assert (response.status_code, response["Location"]) == (302, LIST_URL)
    assert texts(client.get(LIST_URL), "p", id="count") == ["0 people."]


def test_network_list_clear_forgets_the_filters(world: World) -> None:
    client = signed_in(world.lead)
    filtered(client, {"status": "declined"})

    response = client.post(LIST_URL, {"clear": "1"}, follow=True)

    assert listed(response) == [world.volunteer.name]


def test_network_list_leaves_out_other_networks_and_erased_volunteers(world: World) -> None:
    member(world, "Elsewhere", network=world.other_charity)
    erased = member(world, "Gone Person")
    erased.volunteer.erased_at = timezone.now()
    erased.volunteer.save()

    response = signed_in(world.lead).get(LIST_URL)

    assert listed(response) == [world.volunteer.name]


def test_network_list_records_that_experience_was_shown(world: World) -> None:
    other = member(world, "Ann Able")

    signed_in(world.lead).get(LIST_URL)

    [entry] = activity("volunteer.special_category_listed")
    expected = sorted([world.volunteer.volunteer_profile.pk, other.volunteer.pk])
    assert (entry.actor, entry.organisation, entry.data) == (
        world.lead,
        world.charity,
        {"page": "network_list", "volunteers": expected},
    )


# The list: every filter narrows it exactly


@pytest.fixture
def crowd(world: World) -> dict[str, NetworkMembership]:
    """Five Charity A volunteers who differ in one way each (plus the world's volunteer, "Person …")."""
    radiotherapy, secondary = tag(world, "radiotherapy"), tag(world, "secondary breast cancer")
    people = {
        "ann": member(world, "Ann Smith", perspective=VolunteerProfile.Perspective.CARER),
        "bob": member(world, "Bob Jones", preferred_name="Annie"),
        "cat": member(world, "Cat Lee", Status.APPLICANT),
        "dan": member(world, "Dan Ng", Status.PAUSED),
        "eve": member(world, "Eve Roe"),
    }
    people["ann"].volunteer.experience_tags.set([radiotherapy, secondary])
    people["eve"].volunteer.experience_tags.set([radiotherapy])
    factories.WeeklyAvailabilityFactory(volunteer=people["ann"].volunteer, weekday=1, part_of_day="morning")
    factories.WeeklyAvailabilityFactory(volunteer=people["bob"].volunteer, weekday=1, part_of_day="evening")
    factories.WeeklyAvailabilityFactory(volunteer=people["eve"].volunteer, weekday=3, part_of_day="morning")
    factories.OnboardingCheckFactory(membership=people["dan"], kind=Kind.ROLE_CHECK, name="DBS", expires_on=days(29))
    factories.OnboardingCheckFactory(membership=people["eve"], kind=Kind.ROLE_CHECK, name="DBS", expires_on=days(31))
    factories.OnboardingCheckFactory(membership=people["bob"], kind=Kind.ROLE_CHECK, name="DBS", expires_on=days(-1))
    return people


def test_network_list_search_matches_name_preferred_name_and_email(world: World, crowd) -> None:
    client = signed_in(world.lead)

    assert listed(filtered(client, {"q": "ann"})) == ["Ann Smith", "Bob Jones"]
    assert listed(filtered(client, {"q": crowd["eve"].volunteer.user.email.upper()})) == ["Eve Roe"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "applicant"}, ["Cat Lee"]),
        ({"status": "paused"}, ["Dan Ng"]),
        ({"perspective": "carer"}, ["Ann Smith"]),
        ({"weekday": "1"}, ["Ann Smith", "Bob Jones"]),
        ({"part_of_day": "morning"}, ["Ann Smith", "Eve Roe"]),
        ({"weekday": "1", "part_of_day": "morning"}, ["Ann Smith"]),
        ({"weekday": "1", "part_of_day": "afternoon"}, []),
        ({"paused": "yes"}, ["Dan Ng"]),
        ({"expiring": "on"}, ["Dan Ng"]),
        ({"status": "active", "perspective": "service_user", "q": "JONES"}, ["Bob Jones"]),
        ({"status": "active", "perspective": "service_user", "q": "smith"}, []),
    ],
    ids=lambda value: str(value),
)
def test_network_list_filter_narrows_the_list(world: World, crowd, query: dict[str, str], expected) -> None:
    response = filtered(signed_in(world.lead), query)

    assert (response.status_code, listed(response)) == (200, expected)


def test_network_list_not_paused_filter_leaves_out_only_paused(world: World, crowd) -> None:
    response = filtered(signed_in(world.lead), {"paused": "no"})

    assert listed(response) == ["Ann Smith", "Bob Jones", "Cat Lee", "Eve Roe", world.volunteer.name]


def test_network_list_tag_filter_needs_every_ticked_tag(world: World, crowd) -> None:
    radiotherapy = ExperienceTag.objects.get(name="radiotherapy")
    secondary = ExperienceTag.objects.get(name="secondary breast cancer")
    client = signed_in(world.lead)

    assert listed(filtered(client, {"tags": [radiotherapy.pk]})) == ["Ann Smith", "Eve Roe"]
    assert listed(filtered(client, {"tags": [radiotherapy.pk, secondary.pk]})) == ["Ann Smith"]


def test_network_list_offers_only_this_network_s_tags(world: World, crowd) -> None:
    factories.ExperienceTagFactory(network=world.other_charity, name="elsewhere")

    response = signed_in(world.lead).get(LIST_URL)

    [fieldset] = [element for element in find(response, "fieldset") if "Experience" in text_of(element)]
    assert texts(fieldset, "label") == ["radiotherapy", "secondary breast cancer"]


@pytest.mark.parametrize(
    ("query", "field", "error"),
    [
        ({"status": "bogus"}, "status", "Please choose one of the options given."),
        ({"weekday": "9"}, "weekday", "Please choose one of the options given."),
        ({"weekday": "monday"}, "weekday", "Please choose one of the options given."),
        ({"tags": "abc"}, "tags", "Please choose one of the options given."),
        ({"tags": "999999"}, "tags", "Please choose one of the options given."),
        ({"paused": "maybe"}, "paused", "Please choose one of the options given."),
    ],
    ids=lambda value: str(value),
)
def test_network_list_invalid_filter_shows_the_error_and_everyone(
    world: World, crowd, query: dict[str, str], field: str, error: str
) -> None:
    response = signed_in(world.lead).post(LIST_URL, {**query, "perspective": "carer"})

    assert response.status_code == 400
    assert error_of(response, field) == error
    assert listed(response) == ["Ann Smith", "Bob Jones", "Cat Lee", "Dan Ng", "Eve Roe", world.volunteer.name]


def test_network_list_bad_page_number_shows_a_page(world: World) -> None:
    client = signed_in(world.lead)

    assert listed(client.get(LIST_URL, {"page": "abc"})) == [world.volunteer.name]
    assert listed(client.get(LIST_URL, {"page": "99"})) == [world.volunteer.name]


def test_network_list_says_when_nobody_matches(world: World) -> None:
    response = filtered(signed_in(world.lead), {"status": "declined"})

    assert (find(response, "table"), texts(response, "p", id="count")) == ([], ["0 people."])
    assert "Nobody matches these filters." in texts(response, "p")


# The list: pagination and query count


def test_network_list_pages_sixty_volunteers_25_25_10(world: World) -> None:
    NetworkMembership.objects.all().delete()
    for number in range(60):
        member(world, f"Volunteer {number:02d}")
    client = signed_in(world.lead)

    pages = [listed(client.get(LIST_URL, {"page": page})) for page in (1, 2, 3)]

    assert [len(names) for names in pages] == [25, 25, 10]
    assert (pages[0][0], pages[2][-1]) == ("Volunteer 00", "Volunteer 59")
    assert sorted(name for names in pages for name in names) == [f"Volunteer {n:02d}" for n in range(60)]


def test_network_list_page_links_keep_the_filters(world: World) -> None:
    for number in range(60):
        member(world, f"Volunteer {number:02d}", perspective=VolunteerProfile.Perspective.CARER)
    client = signed_in(world.lead)
    filtered(client, {"perspective": "carer"})

    response = client.get(LIST_URL, {"page": "2"})

    [nav] = find(response, "nav", aria_label="Pages of volunteers")
    hrefs = [dict(link.attributes)["href"] for link in find(nav, "a")]
    assert hrefs == ["?page=1", "?page=1", "?page=2", "?page=3", "?page=3"]
    assert texts(response, "p", id="count") == ["60 people. Page 2 of 3."]


@pytest.mark.parametrize("extra", [1, 3])
def test_network_list_query_count_does_not_grow(world: World, django_assert_num_queries, extra: int) -> None:
    tags = [tag(world, "radiotherapy"), tag(world, "carer of a partner")]
    for number in range(extra):
        membership = member(world, f"Volunteer {number}", Status.ACTIVE if number % 2 else Status.APPLICANT)
        membership.volunteer.experience_tags.set(tags)
        factories.WeeklyAvailabilityFactory(volunteer=membership.volunteer, weekday=1, part_of_day="morning")
        factories.OnboardingCheckFactory(membership=membership, kind=Kind.ROLE_CHECK, name="DBS", expires_on=days(5))
        factories.OnboardingCheckFactory(membership=membership, kind=Kind.INDUCTION)
    client = signed_in(world.lead)
    client.post(LIST_URL, {"weekday": "1", "tags": [tags[0].pk], "expiring": "on"})

    # 14: the feedback app's panel of open wellbeing follow-ups adds one; the list no longer loads
    # every onboarding check of the page (it shows only how many expire soon, counted in SQL).
    with django_assert_num_queries(14):
        response = client.get(LIST_URL)

    assert len(listed(response)) == extra


# A volunteer's page


@pytest.fixture
def siân(world: World) -> NetworkMembership:
    membership = member(
        world,
        "Siân O'Brien",
        Status.APPLICANT,
        preferred_name="Siân",
        pronouns="she/her",
        contact_channel=VolunteerProfile.ContactChannel.PHONE,
        phone="07700 900123",
        perspective=VolunteerProfile.Perspective.BOTH,
        biography="Diagnosed in 2019; now helps at the support group.",
        topics_to_avoid=PLANTED_TOPIC,
        support_contact_name="Rhys",
        support_contact_details="07700 900456",
        payment_preference=VolunteerProfile.PaymentPreference.EXPENSES_ONLY,
        payment_preference_reason=PLANTED_REASON,
        naming_preference=VolunteerProfile.Naming.FIRST_NAME,
        step_free_access=True,
        other_adjustments=PLANTED_ADJUSTMENT,
        monthly_session_cap=2,
        travel_miles=15,
    )
    membership.statement = "I want students to hear what it is really like."
    membership.heard_about = NetworkMembership.HeardAbout.HOSPITAL
    membership.save()
    membership.volunteer.experience_tags.set([tag(world, "radiotherapy")])
    factories.WeeklyAvailabilityFactory(volunteer=membership.volunteer, weekday=1, part_of_day="morning")
    factories.TimeAwayFactory(volunteer=membership.volunteer, starts_on=days(3), ends_on=days(5), note="treatment")
    return membership


def test_network_volunteer_page_shows_everything_the_lead_holds(world: World, siân, consent_purposes) -> None:
    factories.OnboardingCheckFactory(membership=siân, kind=Kind.INDUCTION, completed_on=days(-3))

    response = signed_in(world.lead).get(page_url(siân))

    assert response.status_code == 200
    assert h1(response) == "Siân O'Brien"
    assert definitions(response) == {
        "Name": "Siân O'Brien",
        "Preferred name": "Siân",
        "Pronouns": "she/her",
        "Best way to contact": "Phone call",
        "Email": siân.volunteer.user.email,
        "Phone": "07700 900123",
        "Postal address": "—",
        "Perspective": "Both a service user and a carer",
        "Experience": "radiotherapy",
        "Short biography": "Diagnosed in 2019; now helps at the support group.",
        "Topics they will not discuss": PLANTED_TOPIC,
        "Support contact": "Rhys (07700 900456)",
        "Payment": "My expenses only, no fee",
        "Why they chose it": PLANTED_REASON,
        "Named in teaching materials": "My first name only",
    }
    [adjustments] = [ul for ul in find(response, "ul") if "Step-free access" in text_of(ul)]
    assert texts(adjustments, "li") == ["Step-free access", PLANTED_ADJUSTMENT]
    assert definitions(response, 1) == {"Sessions a month, at most": "2", "How far they will travel": "15 miles"}
    assert definitions(response, 2) == {
        "Why they would like to be involved": "I want students to hear what it is really like.",
        "How they heard about us": "At a hospital or clinic",
    }
    assert texts(response, "p", id="missing") == ["Still needed before you can accept them: confidentiality agreement."]


def test_network_volunteer_page_shows_the_weekly_grid_and_time_away(world: World, siân) -> None:
    response = signed_in(world.lead).get(page_url(siân))

    [grid] = [table for table in find(response, "table") if "When they are usually free" in text_of(table)]
    rows = [[text_of(cell) for cell in row.children if not isinstance(cell, str)] for row in find(grid, "tr")]
    assert rows[0] == ["Day", "Morning", "Afternoon", "Evening"]
    assert rows[1:3] == [["Monday", "—", "—", "—"], ["Tuesday", "Free", "—", "—"]]
    assert f"{formatting.day(days(3))} to {formatting.day(days(5))} (treatment)" in texts(response, "li")


def test_network_volunteer_page_shows_status_history_without_personal_data(world: World) -> None:
    membership = member(world, "Ann Able", Status.APPLICANT)
    factories.applicant_ready_to_accept(membership)
    client = signed_in(world.lead)
    client.post(page_url(membership, "accept"), {"message": ""})
    client.post(page_url(membership, "pause"), {"until": ""})
    client.post(page_url(membership, "reactivate"))

    response = client.get(page_url(membership))

    [history] = [ul for ul in find(response, "ul") if "Application accepted" in text_of(ul)]
    date = f"{formatting.day(today())}"
    assert texts(history, "li") == [f"Application accepted, {date}", f"Paused, {date}", f"Active again, {date}"]


def test_network_volunteer_page_shows_consent_state_per_purpose(world: World, siân, consent_purposes) -> None:
    share = factories.ConsentTextFactory(network=world.charity)
    factories.ConsentTextFactory(purpose=ConsentPurpose.objects.get(code="recording"), network=world.charity)
    # The volunteer's answer to another network's wording is not this lead's to see.
    elsewhere = factories.ConsentTextFactory(purpose=ConsentPurpose.objects.get(code="photographs"))
    factories.NetworkMembershipFactory(volunteer=siân.volunteer, network=elsewhere.network)
    ConsentRecord.objects.create(
        volunteer=siân.volunteer, purpose=elsewhere.purpose, text=elsewhere, action=ConsentRecord.Action.GRANTED
    )
    ConsentRecord.objects.create(
        volunteer=siân.volunteer,
        purpose=share.purpose,
        text=share,
        action=ConsentRecord.Action.GRANTED,
        method=ConsentRecord.Method.PAPER,
        recorded_by=world.lead,
    )

    response = signed_in(world.lead).get(page_url(siân))

    [table] = [table for table in find(response, "table") if "Consent, by purpose" in text_of(table)]
    [body] = find(table, "tbody")
    assert [texts(row, "td") for row in find(body, "tr")] == [
        ["Share my story with students", f"Agreed ({formatting.day(today())}, on a paper form by {world.lead})"],
        ["Audio or video recording", "Not agreed yet"],
    ]


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (Status.APPLICANT, ["Accept", "Decline"]),
        (Status.ACTIVE, ["Pause"]),
        (Status.PAUSED, ["Reactivate"]),
        (Status.DECLINED, []),
    ],
)
def test_network_volunteer_page_offers_the_actions_its_status_allows(world: World, status: str, actions) -> None:
    membership = member(world, "Ann Able", status)

    response = signed_in(world.lead).get(page_url(membership))

    [ul] = find(response, "ul", id="actions")
    assert texts(ul, "a") == [*actions, "Record paper or verbal consent", "Erase"]


def test_network_volunteer_page_records_exactly_one_special_category_view(world: World, siân) -> None:
    signed_in(world.lead).get(page_url(siân))

    [entry] = activity("volunteer.special_category_viewed")
    assert (entry.actor, entry.object_id, entry.data) == (
        world.lead,
        str(siân.volunteer.pk),
        {"page": "network_volunteer"},
    )


def test_network_volunteer_page_of_another_network_is_not_found(world: World, siân) -> None:
    response = signed_in(world.other_lead).get(f"/networks/charity-b/volunteers/{siân.pk}/")

    assert (response.status_code, h1(response)) == (404, "We could not find that page")
    assert activity("volunteer.special_category_viewed") == []


def test_network_volunteer_page_is_not_for_coordinators(world: World, siân) -> None:
    response = signed_in(world.coordinator).get(page_url(siân))

    assert (response.status_code, h1(response)) == (403, "You cannot open this page")


# Accepting and declining


def test_accept_page_lists_what_is_missing(world: World, siân) -> None:
    response = signed_in(world.lead).get(page_url(siân, "accept"))

    assert h1(response) == "Accept Siân O'Brien into Charity A?"
    assert texts(response, "p", id="missing") == [
        "Still needed before you can accept them: induction; confidentiality agreement. Record a check"
    ]


def test_accept_with_missing_checklist_changes_nothing(world: World, siân) -> None:
    response = signed_in(world.lead).post(page_url(siân, "accept"), {"message": "Welcome!"})

    siân.refresh_from_db()
    assert response.status_code == 400
    assert form_errors(response) == ["Before accepting, record: induction; confidentiality agreement."]
    assert (siân.status, siân.decision_message) == (Status.APPLICANT, "")


def test_accept_with_an_expired_role_check_says_so(world: World, siân) -> None:
    factories.applicant_ready_to_accept(siân)
    factories.OnboardingCheckFactory(
        membership=siân, kind=Kind.ROLE_CHECK, name="DBS check", completed_on=days(-400), expires_on=days(-1)
    )

    response = signed_in(world.lead).post(page_url(siân, "accept"), {"message": ""})

    assert response.status_code == 400
    assert form_errors(response) == ["Before accepting, record: DBS check (not complete or expired)."]


def test_accept_after_onboarding_makes_them_active_and_emails_them(
    world: World, siân, django_capture_on_commit_callbacks
) -> None:
    factories.applicant_ready_to_accept(siân)
    client = signed_in(world.lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page_url(siân, "accept"), {"message": "See you at the induction evening."})

    siân.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, page_url(siân))
    assert (siân.status, siân.decided_by, siân.decision_message) == (
        Status.ACTIVE,
        world.lead,
        "See you at the induction evening.",
    )
    [email] = mail.outbox
    assert (email.to, email.subject) == ([siân.volunteer.user.email], "Welcome to Charity A")
    assert "See you at the induction evening." in email.body
    assert messages_on(client.get(page_url(siân))) == ["Siân is now an active volunteer. We have emailed them."]


def test_accept_of_an_active_volunteer_is_refused(world: World) -> None:
    membership = member(world, "Ann Able")

    response = signed_in(world.lead).post(page_url(membership, "accept"), {"message": ""})

    assert response.status_code == 400
    assert form_errors(response) == ["Only an application waiting for a decision can be accepted."]


def test_decline_without_a_message_changes_nothing(world: World, siân) -> None:
    response = signed_in(world.lead).post(page_url(siân, "decline"), {"message": "   "})

    siân.refresh_from_db()
    assert response.status_code == 400
    assert error_of(response, "message") == "Please write a short message to the applicant explaining the decision."
    assert siân.status == Status.APPLICANT
    assert mail.outbox == []


def test_decline_with_a_message_declines_and_emails_them(
    world: World, siân, django_capture_on_commit_callbacks
) -> None:
    client = signed_in(world.lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page_url(siân, "decline"), {"message": "We are full until spring; please reapply."})

    siân.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, page_url(siân))
    assert (siân.status, siân.decision_message) == (Status.DECLINED, "We are full until spring; please reapply.")
    [email] = mail.outbox
    assert (email.to, email.subject) == ([siân.volunteer.user.email], "Your application to Charity A")
    assert "We are full until spring; please reapply." in email.body


# Pausing and reactivating


def test_lead_pause_with_a_return_date(world: World) -> None:
    membership = member(world, "Ann Able")
    client = signed_in(world.lead)

    response = client.post(page_url(membership, "pause"), {"until": days(14).isoformat()})

    membership.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, page_url(membership))
    assert (membership.status, membership.paused_until) == (Status.PAUSED, days(14))
    assert messages_on(client.get(page_url(membership))) == [
        "Ann Able is paused. They will not be suggested for sessions."
    ]


def test_lead_pause_without_a_return_date(world: World) -> None:
    membership = member(world, "Ann Able")

    signed_in(world.lead).post(page_url(membership, "pause"), {"until": ""})

    membership.refresh_from_db()
    assert (membership.status, membership.paused_until) == (Status.PAUSED, None)


@pytest.mark.parametrize(
    ("until", "error"),
    [
        ("today", "The return date must be in the future."),
        ("2020-02-30", "Please give a real date: day, month and year."),
    ],
)
def test_lead_pause_with_a_bad_return_date_changes_nothing(world: World, until: str, error: str) -> None:
    membership = member(world, "Ann Able")

    response = signed_in(world.lead).post(
        page_url(membership, "pause"), {"until": today().isoformat() if until == "today" else until}
    )

    membership.refresh_from_db()
    assert (response.status_code, error_of(response, "until")) == (400, error)
    assert membership.status == Status.ACTIVE


def test_lead_pause_pauses_only_this_network(world: World) -> None:
    membership = member(world, "Ann Able")
    elsewhere = factories.NetworkMembershipFactory(volunteer=membership.volunteer, network=world.other_charity)

    signed_in(world.lead).post(page_url(membership, "pause"), {"until": ""})

    elsewhere.refresh_from_db()
    assert elsewhere.status == Status.ACTIVE


def test_reactivate_makes_a_paused_volunteer_active(world: World) -> None:
    membership = member(world, "Ann Able", Status.PAUSED)
    client = signed_in(world.lead)

    response = client.post(page_url(membership, "reactivate"))

    membership.refresh_from_db()
    assert (response.status_code, membership.status) == (302, Status.ACTIVE)
    assert messages_on(client.get(page_url(membership))) == ["Ann Able is active again."]


def test_reactivate_of_an_active_volunteer_is_refused(world: World) -> None:
    membership = member(world, "Ann Able")

    response = signed_in(world.lead).post(page_url(membership, "reactivate"))

    assert response.status_code == 400
    assert form_errors(response) == ["There is nothing to resume: no paused membership."]


# Erasing


def test_erase_page_explains_what_goes_and_what_stays(world: World) -> None:
    membership = member(world, "Ann Able")
    factories.NetworkMembershipFactory(volunteer=membership.volunteer, network=world.other_charity)

    response = signed_in(world.lead).get(page_url(membership, "erase"))

    assert h1(response) == "Erase Ann Able?"
    assert len(texts(response, "ul", id="removed")) == 1
    assert texts(find(response, "ul", id="kept")[0], "li")[0] == (
        "That someone was part of the network, with the dates their status changed, so totals stay right"
    )
    assert texts(response, "p", id="other-networks") == [
        "They also belong to Charity B. Erasing removes their details there too."
    ]


@pytest.mark.parametrize(
    ("typed", "error"),
    [("", "Please type ERASE to confirm."), ("erase", "Please type ERASE in capital letters to confirm.")],
)
def test_erase_needs_the_word_erase(world: World, typed: str, error: str) -> None:
    membership = member(world, "Ann Able")

    response = signed_in(world.lead).post(page_url(membership, "erase"), {"confirm": typed})

    membership.volunteer.refresh_from_db()
    assert (response.status_code, error_of(response, "confirm")) == (400, error)
    assert (membership.volunteer.erased_at, membership.volunteer.user.name) == (None, "Ann Able")


def test_erase_anonymises_the_volunteer_and_their_account(world: World) -> None:
    membership = member(world, "Ann Able")
    email = membership.volunteer.user.email
    client = signed_in(world.lead)

    response = client.post(page_url(membership, "erase"), {"confirm": " ERASE "})

    user = User.objects.get(pk=membership.volunteer.user_id)
    assert (response.status_code, response["Location"]) == (302, LIST_URL)
    assert (user.is_active, user.name, user.has_usable_password()) == (False, ERASED_NAME, False)
    assert Client().login(email=email, password=factories.PASSWORD) is False
    following = client.get(LIST_URL)
    assert messages_on(following) == [
        "The volunteer’s personal details have been erased. Their account can no longer be used."
    ]
    assert listed(following) == [world.volunteer.name]
    assert client.get(page_url(membership)).status_code == 404


# The onboarding checklist


def test_check_add_records_an_induction(world: World, siân) -> None:
    response = signed_in(world.lead).post(
        page_url(siân, "checks/add"), {"kind": Kind.INDUCTION, "completed_on": days(-2).isoformat()}
    )

    [check] = siân.checks.all()
    assert (response.status_code, response["Location"]) == (302, page_url(siân))
    assert (check.kind, check.name, check.completed_on, check.expires_on) == (Kind.INDUCTION, "", days(-2), None)


def test_check_add_records_a_role_check_with_expiry(world: World, siân) -> None:
    signed_in(world.lead).post(
        page_url(siân, "checks/add"),
        {
            "kind": Kind.ROLE_CHECK,
            "name": " DBS check ",
            "completed_on": days(-2).isoformat(),
            "expires_on": days(363).isoformat(),
        },
    )

    [check] = siân.checks.all()
    assert (check.kind, check.name, check.completed_on, check.expires_on) == (
        Kind.ROLE_CHECK,
        "DBS check",
        days(-2),
        days(363),
    )


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"kind": Kind.ROLE_CHECK, "name": " "}, "name", "Please name the check, for example “DBS check”."),
        (
            {"kind": Kind.INDUCTION, "completed_on": 1},
            "completed_on",
            "The date it was completed cannot be in the future.",
        ),
        (
            {"kind": Kind.INDUCTION, "completed_on": -5, "expires_on": -5},
            "expires_on",
            "The expiry date must be after the date it was completed.",
        ),
        (
            {"kind": Kind.INDUCTION, "completed_on": -5, "expires_on": -10},
            "expires_on",
            "The expiry date must be after the date it was completed.",
        ),
        ({"kind": "dbs"}, "kind", "Please choose one of the options given."),
        (
            {"kind": Kind.INDUCTION, "completed_on": "31/31/2025"},
            "completed_on",
            "Please give a real date: day, month and year.",
        ),
    ],
    ids=lambda value: str(value),
)
def test_check_add_refuses_bad_input(world: World, siân, data: dict[str, Any], field: str, error: str) -> None:
    posted = {key: days(value).isoformat() if isinstance(value, int) else value for key, value in data.items()}

    response = signed_in(world.lead).post(page_url(siân, "checks/add"), posted)

    assert (response.status_code, error_of(response, field)) == (400, error)
    assert OnboardingCheck.objects.count() == 0


def test_check_edit_shows_and_changes_the_check(world: World, siân) -> None:
    check = factories.OnboardingCheckFactory(
        membership=siân, kind=Kind.ROLE_CHECK, name="DBS check", completed_on=days(-300), expires_on=days(10)
    )
    client = signed_in(world.lead)
    url = page_url(siân, f"checks/{check.pk}")

    page = client.get(url)
    response = client.post(
        url,
        {"kind": Kind.ROLE_CHECK, "name": "DBS check", "completed_on": days(-1).isoformat(), "expires_on": ""},
    )

    check.refresh_from_db()
    assert h1(page) == "Change dbs check for Siân O'Brien"
    [name] = find(page, "input", id="id_name")
    assert dict(name.attributes)["value"] == "DBS check"
    assert response.status_code == 302
    assert (siân.checks.count(), check.completed_on, check.expires_on) == (1, days(-1), None)


def test_check_edit_with_bad_dates_changes_nothing(world: World, siân) -> None:
    check = factories.OnboardingCheckFactory(membership=siân, kind=Kind.INDUCTION, completed_on=days(-30))

    response = signed_in(world.lead).post(
        page_url(siân, f"checks/{check.pk}"), {"kind": Kind.INDUCTION, "completed_on": days(3).isoformat()}
    )

    check.refresh_from_db()
    assert (response.status_code, check.completed_on) == (400, days(-30))


def test_check_edit_of_another_volunteer_s_check_is_not_found(world: World, siân) -> None:
    other_check = factories.OnboardingCheckFactory(membership=member(world, "Ann Able"), kind=Kind.INDUCTION)

    response = signed_in(world.lead).get(page_url(siân, f"checks/{other_check.pk}"))

    assert response.status_code == 404


# Consent recorded by staff


def test_consent_record_offers_only_purposes_the_leads_network_has_worded(world: World, siân, consent_purposes) -> None:
    factories.ConsentTextFactory(network=world.charity, text="Charity A's wording.")
    factories.ConsentTextFactory(
        network=world.other_charity, purpose=ConsentPurpose.objects.get(code="recording"), text="Charity B's wording."
    )

    response = signed_in(world.lead).get(page_url(siân, "consent"))

    [select] = find(response, "select", id="id_purpose")
    assert texts(select, "option") == ["Choose…", "Share my story with students"]
    assert [text_of(part) for part in find(response, "details")] == [
        "Share my story with students (version 1) Charity A's wording."
    ]


def test_consent_record_grant_uses_the_leads_networks_wording(world: World, siân, consent_purposes) -> None:
    """The volunteer also belongs to Charity B, whose wording is newer: the lead records a grant
    of Charity A's current wording, and nothing of Charity B's."""
    ours = factories.ConsentTextFactory(network=world.charity)
    factories.NetworkMembershipFactory(volunteer=siân.volunteer, network=world.other_charity)
    for _ in range(2):
        factories.ConsentTextFactory(network=world.other_charity)

    signed_in(world.lead).post(
        page_url(siân, "consent"), {"purpose": "share-story", "action": "granted", "method": "paper"}
    )

    assert list(ConsentRecord.objects.values_list("text", "action")) == [(ours.pk, ConsentRecord.Action.GRANTED)]


def test_consent_record_paper_grant(world: World, siân, consent_purposes) -> None:
    text = factories.ConsentTextFactory(network=world.charity)
    client = signed_in(world.lead)

    response = client.post(
        page_url(siân, "consent"),
        {"purpose": "share-story", "action": "granted", "method": "paper", "note": "consent form dated 3 May"},
    )

    [record] = ConsentRecord.objects.all()
    assert (response.status_code, response["Location"]) == (302, page_url(siân))
    assert (record.volunteer, record.text, record.action, record.method, record.recorded_by, record.note) == (
        siân.volunteer,
        text,
        ConsentRecord.Action.GRANTED,
        ConsentRecord.Method.PAPER,
        world.lead,
        "consent form dated 3 May",
    )
    assert messages_on(client.get(page_url(siân))) == ["Recorded: Siân gave consent to “Share my story with students”."]


def test_consent_record_verbal_withdrawal(world: World, siân, consent_purposes) -> None:
    factories.ConsentTextFactory(network=world.charity)
    client = signed_in(world.lead)
    client.post(page_url(siân, "consent"), {"purpose": "share-story", "action": "granted", "method": "paper"})

    response = client.post(
        page_url(siân, "consent"), {"purpose": "share-story", "action": "withdrawn", "method": "verbal"}
    )

    latest = ConsentRecord.objects.order_by("-pk").first()
    assert response.status_code == 302
    assert (latest.action, latest.method, latest.recorded_by) == (
        ConsentRecord.Action.WITHDRAWN,
        ConsentRecord.Method.VERBAL,
        world.lead,
    )


def test_consent_record_withdrawing_what_was_not_given_changes_nothing(world: World, siân, consent_purposes) -> None:
    factories.ConsentTextFactory(network=world.charity)

    response = signed_in(world.lead).post(
        page_url(siân, "consent"), {"purpose": "share-story", "action": "withdrawn", "method": "paper"}
    )

    assert response.status_code == 400
    assert error_of(response, "action") == (
        "Consent to “Share my story with students” is not given, so there is nothing to withdraw."
    )
    assert ConsentRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        (
            {"purpose": "recording", "action": "granted", "method": "paper"},
            "purpose",
            "Please choose one of the options given.",
        ),
        (
            {"purpose": "share-story", "action": "granted", "method": "online"},
            "method",
            "Please choose one of the options given.",
        ),
    ],
)
def test_consent_record_refuses_tampered_choices(
    world: World, siân, consent_purposes, data: dict[str, str], field: str, error: str
) -> None:
    factories.ConsentTextFactory(network=world.charity)

    response = signed_in(world.lead).post(page_url(siân, "consent"), data)

    assert (response.status_code, error_of(response, field)) == (400, error)
    assert ConsentRecord.objects.count() == 0


# The experience list


def test_tags_lists_the_network_s_experience_with_counts(world: World) -> None:
    radiotherapy = tag(world, "radiotherapy")
    tag(world, "carer of a partner")
    factories.ExperienceTagFactory(network=world.other_charity, name="elsewhere")
    world.volunteer.volunteer_profile.experience_tags.set([radiotherapy])

    response = signed_in(world.lead).get(TAGS_URL)

    assert h1(response) == "Experience list of Charity A"
    assert table_rows(response) == [["carer of a partner", "0"], ["radiotherapy", "1"]]


def test_tags_add(world: World) -> None:
    client = signed_in(world.lead)

    response = client.post(TAGS_URL, {"name": "  secondary   breast cancer "})

    assert (response.status_code, response["Location"]) == (302, TAGS_URL)
    assert list(ExperienceTag.objects.filter(network=world.charity).values_list("name", flat=True)) == [
        "secondary breast cancer"
    ]
    assert messages_on(client.get(TAGS_URL)) == ["“secondary breast cancer” is added to the list."]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("RADIOTHERAPY", "“RADIOTHERAPY” is already on the list."),
        ("", "Please enter the experience, for example “secondary breast cancer”."),
        ("x" * 81, "Please use 80 characters or fewer: this has 81."),
    ],
)
def test_tags_add_refuses_duplicates_and_empty_names(world: World, name: str, error: str) -> None:
    tag(world, "radiotherapy")

    response = signed_in(world.lead).post(TAGS_URL, {"name": name})

    assert (response.status_code, error_of(response, "name")) == (400, error)
    assert ExperienceTag.objects.count() == 1


def test_tags_of_another_network_are_not_found(world: World) -> None:
    response = signed_in(world.other_lead).post(TAGS_URL, {"name": "radiotherapy"})

    assert response.status_code == 404
    assert ExperienceTag.objects.count() == 0


@pytest.mark.parametrize("extra", [1, 3])
def test_tags_query_count_does_not_grow(world: World, django_assert_num_queries, extra: int) -> None:
    for number in range(extra):
        world.volunteer.volunteer_profile.experience_tags.add(tag(world, f"Experience {number}"))
    client = signed_in(world.lead)

    with django_assert_num_queries(7):
        response = client.get(TAGS_URL)

    assert len(table_rows(response)) == extra


# The volunteer summary


def summary_url(membership: NetworkMembership) -> str:
    return f"/volunteers/{membership.volunteer.pk}/"


def test_volunteer_summary_shows_a_partnered_coordinator_the_short_profile(world: World, siân) -> None:
    siân.status = Status.ACTIVE
    siân.save()

    response = signed_in(world.coordinator).get(summary_url(siân))

    assert response.status_code == 200
    assert h1(response) == "Siân"
    assert definitions(response) == {
        "Pronouns": "she/her",
        "Perspective": "Both a service user and a carer",
        "Experience": "radiotherapy",
        "About them": "Diagnosed in 2019; now helps at the support group.",
    }
    page = response.content.decode()
    for planted in (PLANTED_ADJUSTMENT, PLANTED_TOPIC, PLANTED_REASON, "07700 900123", "Step-free"):
        assert planted not in page


def test_volunteer_summary_records_the_view(world: World) -> None:
    profile = world.volunteer.volunteer_profile

    signed_in(world.coordinator).get(f"/volunteers/{profile.pk}/")

    [entry] = activity("volunteer.special_category_viewed")
    assert (entry.actor, entry.object_id, entry.data) == (
        world.coordinator,
        str(profile.pk),
        {"page": "volunteer_summary"},
    )


def test_volunteer_summary_is_shown_to_the_volunteer_s_lead(world: World, siân) -> None:
    response = signed_in(world.lead).get(summary_url(siân))

    assert (response.status_code, h1(response)) == (200, "Siân")


@pytest.mark.parametrize("status", [Status.APPLICANT, Status.PAUSED, Status.LEFT])
def test_volunteer_summary_hides_volunteers_who_are_not_active_from_coordinators(world: World, status: str) -> None:
    membership = member(world, "Ann Able", status)

    response = signed_in(world.coordinator).get(summary_url(membership))

    assert response.status_code == 404


def test_volunteer_summary_of_a_non_partnered_network_is_not_found(world: World) -> None:
    elsewhere = member(world, "Bryn Hughes", network=world.other_charity)

    response = signed_in(world.coordinator).get(summary_url(elsewhere))

    assert (response.status_code, h1(response)) == (404, "We could not find that page")
    assert activity("volunteer.special_category_viewed") == []


def test_volunteer_summary_of_an_erased_volunteer_is_not_found(world: World) -> None:
    profile = world.volunteer.volunteer_profile
    profile.erased_at = timezone.now()
    profile.save()

    response = signed_in(world.coordinator).get(f"/volunteers/{profile.pk}/")

    assert response.status_code == 404


def test_volunteer_summary_is_not_for_finance(world: World) -> None:
    response = signed_in(world.finance).get(f"/volunteers/{world.volunteer.volunteer_profile.pk}/")

    assert (response.status_code, h1(response)) == (403, "You cannot open this page")
