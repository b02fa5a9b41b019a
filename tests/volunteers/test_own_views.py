"""The volunteer's own pages, through django.test.Client: home, profile, adjustments, availability,
time away, pausing, leaving, consent and their data."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import time_machine
from django.http import HttpResponse
from django.test import Client
from django.test.html import Element, parse_html

from accounts.models import Membership, User
from involvement import formatting
from involvement.models import ActivityLog
from tests import factories
from tests.accounts.test_views import find, h1, messages_on, text_of, texts
from tests.conftest import World, signed_in
from volunteers import data_rights
from volunteers.models import (
    ConsentPurpose,
    ConsentRecord,
    ConsentText,
    NetworkMembership,
    TimeAway,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.services import erase_volunteer, grant_consent, publish_consent_text, withdraw_consent

Status = NetworkMembership.Status
Role = Membership.Role
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 3, 2)

HOME_URL = "/me/"
PROFILE_URL = "/me/profile/"
ADJUSTMENTS_URL = "/me/adjustments/"
AVAILABILITY_URL = "/me/availability/"
AWAY_URL = "/me/availability/away/"
PAUSE_URL = "/me/pause/"
RESUME_URL = "/me/resume/"
CONSENT_URL = "/me/consent/"
DATA_URL = "/me/data/"
DOWNLOAD_URL = "/me/data/download/"

# A profile form that is valid as it stands; tests change one thing.
PROFILE_POST = {
    "name": "Ann Example",
    "preferred_name": "",
    "pronouns": "",
    "contact_channel": "email",
    "phone": "",
    "postal_address": "",
    "perspective": "service_user",
    "biography": "",
    "topics_to_avoid": "",
    "support_contact_name": "",
    "support_contact_details": "",
    "payment_preference": "fee_and_expenses",
    "payment_preference_reason": "",
    "naming_preference": "first_name",
}
MINUTES = "Please enter a number of minutes from 15 to 600, or leave it blank."
SESSIONS = "Please enter a number of sessions from 1 to 31, or leave it blank."
MILES = "Please enter a number of miles from 0 to 500, or leave it blank."
ENDS_BEFORE_START = "The last day away must be on or after the first day."
NOT_A_DATE = "Please enter a real date, for example 27/03/2026."
LANGUAGE = "Please tell us which language you need an interpreter for."
NO_TELEPORT = "Please choose one of the options given."
NOTE_TOO_LONG = "Please use 120 characters or fewer: this has 121."
ADJUSTMENTS_POST = {"interpreter": "", "interpreter_language": "", "attendance_mode": "either"}


# Reading pages


def error_of(response: HttpResponse, field: str) -> str:
    """The error shown under a field, checking the field (or its fieldset) points at it."""
    root = parse_html(response.content.decode())
    [error] = texts(root, "div", id=f"id_{field}_error")
    described = [
        element
        for tag in ("input", "select", "textarea", "fieldset")
        for element in find(root, tag)
        if f"id_{field}_error" in (dict(element.attributes).get("aria-describedby") or "").split()
    ]
    assert described != []
    return error


def section(response: HttpResponse, element_id: str) -> Element:
    [found] = [element for element in find(response, "section") if dict(element.attributes).get("id") == element_id]
    return found


def checked_slots(response: HttpResponse) -> list[str]:
    [grid] = find(response, "table", class_="availability-grid")
    return [dict(box.attributes)["value"] for box in find(grid, "input", checked=None)]


# Building the world


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    return VolunteerProfile.objects.get(user=world.volunteer)


@pytest.fixture
def browser(world: World) -> Client:
    return signed_in(world.volunteer)


def other_volunteer() -> VolunteerProfile:
    return factories.NetworkMembershipFactory().volunteer


def snapshot(profile: VolunteerProfile) -> dict[str, Any]:
    """Every stored value of the profile, its name, tags, weekly pattern and time away."""
    return {
        "fields": VolunteerProfile.objects.filter(pk=profile.pk).values().get(),
        "name": User.objects.get(pk=profile.user_id).name,
        "tags": sorted(profile.experience_tags.values_list("pk", flat=True)),
        "slots": sorted(WeeklyAvailability.objects.filter(volunteer=profile).values_list("weekday", "part_of_day")),
        "away": list(TimeAway.objects.filter(volunteer=profile).values_list("starts_on", "ends_on", "note")),
    }


def statuses(profile: VolunteerProfile) -> list[tuple[str, str, datetime.date | None]]:
    return list(
        NetworkMembership.objects.filter(volunteer=profile)
        .order_by("network__name")
        .values_list("network__name", "status", "paused_until")
    )


def text_for(code: str, network: Any, *others: Any) -> ConsentText:
    """A new version of ``network``'s wording of ``code``, naming ``network`` and ``others``."""
    return factories.ConsentTextFactory(
        purpose=ConsentPurpose.objects.get(code=code), network=network, organisations=[network, *others]
    )


def records(profile: VolunteerProfile) -> list[tuple[str, str, int]]:
    return list(
        ConsentRecord.objects.filter(volunteer=profile)
        .order_by("created_at", "pk")
        .values_list("purpose__code", "action", "text__version")
    )


# Who may open the pages


def test_own_pages_are_forbidden_to_someone_without_a_profile(world: World) -> None:
    response = signed_in(world.coordinator).get(HOME_URL)

    assert (response.status_code, h1(response)) == (403, "You cannot open this page")


def test_own_pages_are_forbidden_once_erased(world: World, profile: VolunteerProfile) -> None:
    browser = signed_in(world.volunteer)
    erase_volunteer(profile=profile, actor=world.lead)

    assert browser.get(HOME_URL).status_code == 302  # signed out: erasing ends the sessions
    world.volunteer.refresh_from_db()
    world.volunteer.is_active = True  # even were the account usable, the erased profile is gone
    world.volunteer.save(update_fields=["is_active"])
    assert signed_in(world.volunteer).get(HOME_URL).status_code == 403


# My volunteering (the volunteer's home)


@time_machine.travel(NOW, tick=False)
def test_my_volunteering_shows_each_network_in_plain_words(world: World, profile: VolunteerProfile, browser) -> None:
    profile.preferred_name = "Siân"
    profile.save()
    for name, status, until in [
        ("Charity C", Status.APPLICANT, None),
        ("Charity D", Status.PAUSED, datetime.date(2026, 4, 3)),
        ("Charity E", Status.PAUSED, None),
        ("Charity F", Status.LEFT, None),
    ]:
        factories.NetworkMembershipFactory(
            volunteer=profile, network=factories.CharityFactory(name=name), status=status, paused_until=until
        )

    response = browser.get(HOME_URL)

    [networks] = find(response, "ul", id="networks")
    assert response.status_code == 200
    assert h1(response) == "My volunteering"
    assert texts(response, "p", class_="lead") == ["Hello, Siân."]
    assert texts(networks, "h3") == ["Charity A", "Charity C", "Charity D", "Charity E", "Charity F"]
    assert texts(networks, "p", class_="membership-status") == [
        "Active",
        "Your application is with the lead",
        "Paused until Friday 3 April 2026",
        "Paused",
        "You have left",
    ]
    assert texts(networks, "a") == ["Leave Charity A", "Leave Charity C", "Leave Charity D", "Leave Charity E"]
    memberships = NetworkMembership.objects.filter(volunteer=profile).order_by("network__name")
    assert [dict(link.attributes)["href"] for link in find(networks, "a")] == [
        f"/me/networks/{membership.pk}/leave/" for membership in memberships[:4]
    ]
    [links] = find(response, "ul", id="my-links")
    assert [(text_of(link), dict(link.attributes)["href"]) for link in find(links, "a")] == [
        ("Your profile", PROFILE_URL),
        ("Adjustments that help you take part", ADJUSTMENTS_URL),
        ("When you are free", AVAILABILITY_URL),
        ("What you agree to", CONSENT_URL),
        ("Download my data", DATA_URL),
    ]
    assert find(response, "div", id="consent-review") == []


def test_my_volunteering_offers_a_break_when_active(browser) -> None:
    response = browser.get(HOME_URL)

    assert texts(response, "a", href=PAUSE_URL) == ["Take a break"]
    assert find(response, "form", action=RESUME_URL) == []


def test_my_volunteering_offers_coming_back_when_paused(profile: VolunteerProfile, browser) -> None:
    NetworkMembership.objects.filter(volunteer=profile).update(status=Status.PAUSED)

    response = browser.get(HOME_URL)

    [form] = find(response, "form", action=RESUME_URL)
    assert texts(form, "button") == ["I am ready to come back"]
    assert find(response, "a", href=PAUSE_URL) == []


def test_my_volunteering_prompts_when_consent_wording_changed(
    world: World, consent_purposes, profile: VolunteerProfile, browser
) -> None:
    grant_consent(profile=profile, text=text_for("share-story", world.charity), actor=world.volunteer)
    text_for("share-story", world.charity)

    response = browser.get(HOME_URL)

    [prompt] = find(response, "div", id="consent-review")
    assert texts(prompt, "a") == ["Read the new wording"]
    assert dict(find(prompt, "a")[0].attributes)["href"] == "/me/consent/?review=1"


def test_home_sends_a_volunteer_to_my_volunteering(browser) -> None:
    response = browser.get("/")

    assert (response.status_code, response["Location"]) == (302, "/my-sessions/")


def test_home_sends_a_volunteer_to_review_changed_consent_wording(
    world: World, consent_purposes, profile: VolunteerProfile, browser
) -> None:
    grant_consent(profile=profile, text=text_for("share-story", world.charity), actor=world.volunteer)
    publish_consent_text(
        purpose=ConsentPurpose.objects.get(code="share-story"),
        network=world.charity,
        text="New wording about sharing your story.",
        organisations=[world.charity],
        actor=factories.staff(Role.ADMIN, world.charity, email="admin@charity-a.example.org"),
    )

    response = browser.get("/", follow=True)

    assert response.redirect_chain == [("/me/consent/?review=1", 302)]
    assert h1(response) == "What you agree to"
    assert texts(response, "div", id="review-intro") == [
        "Some of the wording below has changed since you agreed to it. Please read the parts marked "
        "“please read it again” and choose whether you still agree."
    ]
    assert texts(section(response, "purpose-charity-a-share-story"), "p", class_="consent-state") == [
        f"Agreed to earlier wording on {formatting.day(datetime.date.today())}: please read the new wording"
    ]


@pytest.mark.parametrize("networks", [1, 3])
def test_my_volunteering_query_count_does_not_grow(
    world: World, consent_purposes, profile: VolunteerProfile, django_assert_num_queries, networks: int
) -> None:
    for _ in range(networks - 1):
        factories.NetworkMembershipFactory(volunteer=profile, status=Status.PAUSED)
    client = signed_in(world.volunteer)

    with django_assert_num_queries(8):
        response = client.get(HOME_URL)

    assert len(texts(response, "p", class_="membership-status")) == networks


# Profile


def test_profile_page_shows_the_form_with_current_values(world: World, profile: VolunteerProfile, browser) -> None:
    mine = factories.ExperienceTagFactory(network=world.charity, name="Radiotherapy")
    factories.ExperienceTagFactory(network=world.charity, name="Carer of a partner")
    factories.ExperienceTagFactory(network=world.other_charity, name="Not my network")
    profile.experience_tags.set([mine])
    profile.pronouns = "she/her"
    profile.save()

    response = browser.get(PROFILE_URL)

    assert (response.status_code, h1(response)) == (200, "Your profile")
    assert dict(find(response, "input", id="id_name")[0].attributes)["value"] == world.volunteer.name
    assert dict(find(response, "input", id="id_pronouns")[0].attributes)["value"] == "she/her"
    tags = find(response, "input", name="experience_tags")
    assert [text_of(label) for label in find(response, "label") if "experience_tags" in str(label)] == [
        "Carer of a partner",
        "Radiotherapy",
    ]
    assert [("checked" in dict(tag.attributes)) for tag in tags] == [False, True]
    assert texts(response, "div", id="id_payment_preference_helptext") == [
        "Payments for taking part can affect some benefits, such as Universal Credit or Employment and Support "
        "Allowance. Paying back your expenses (travel, for example) usually does not. If you receive benefits, "
        "you might choose “My expenses only, no fee”. A benefits adviser, such as Citizens Advice, can help you "
        "decide. You can change this at any time."
    ]


def test_profile_post_saves_every_field(world: World, profile: VolunteerProfile, browser) -> None:
    tag = factories.ExperienceTagFactory(network=world.charity, name="Secondary breast cancer")
    factories.ExperienceTagFactory(network=world.charity, name="Radiotherapy")

    response = browser.post(
        PROFILE_URL,
        {
            **PROFILE_POST,
            "name": "Ann O'Brien",
            "preferred_name": "Annie",
            "pronouns": "she/her",
            "contact_channel": "sms",
            "phone": "07700 900123",
            "postal_address": "1 High Street\nLeeds",
            "perspective": "both",
            "experience_tags": [tag.pk],
            "biography": "I was treated in 2019.",
            "topics_to_avoid": "My family.",
            "support_contact_name": "Bob",
            "support_contact_details": "07700 900456",
            "payment_preference": "expenses_only",
            "payment_preference_reason": "I receive ESA.",
            "naming_preference": "anonymous",
        },
        follow=True,
    )

    profile.refresh_from_db()
    assert response.redirect_chain == [(HOME_URL, 302)]
    assert messages_on(response) == ["Your profile is saved."]
    assert profile.user.name == "Ann O'Brien"
    assert [
        profile.preferred_name,
        profile.pronouns,
        profile.contact_channel,
        profile.phone,
        profile.postal_address,
        profile.perspective,
        list(profile.experience_tags.all()),
        profile.biography,
        profile.topics_to_avoid,
        profile.support_contact_name,
        profile.support_contact_details,
        profile.payment_preference,
        profile.payment_preference_reason,
        profile.naming_preference,
    ] == [
        "Annie",
        "she/her",
        "sms",
        "07700 900123",
        "1 High Street\nLeeds",
        "both",
        [tag],
        "I was treated in 2019.",
        "My family.",
        "Bob",
        "07700 900456",
        "expenses_only",
        "I receive ESA.",
        "anonymous",
    ]
    [entry] = ActivityLog.objects.filter(action="volunteer.profile_updated")
    assert entry.data["fields"] == sorted(
        [
            "name",
            "preferred_name",
            "pronouns",
            "contact_channel",
            "phone",
            "postal_address",
            "perspective",
            "experience_tags",
            "biography",
            "topics_to_avoid",
            "support_contact_name",
            "support_contact_details",
            "payment_preference",
            "payment_preference_reason",
            "naming_preference",
        ]
    )
    assert ActivityLog.objects.filter(action="volunteer.special_category_changed").count() == 0


@pytest.mark.parametrize("name", ["Siân O'Brien", "Zoë Ångström", "中文名字", "Nguyễn Thị Minh Khai"])
def test_profile_keeps_unicode_names_intact(profile: VolunteerProfile, browser, name: str) -> None:
    browser.post(PROFILE_URL, {**PROFILE_POST, "name": name})

    response = browser.get(HOME_URL)

    assert User.objects.get(pk=profile.user_id).name == name
    assert texts(response, "p", class_="lead") == [f"Hello, {name}."]
    assert dict(find(browser.get(PROFILE_URL), "input", id="id_name")[0].attributes)["value"] == name


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"name": ""}, "name", "Please enter your name."),
        ({"name": "   \t  "}, "name", "Please enter your name."),
        ({"name": "A" * 151}, "name", "Please use 150 characters or fewer: this has 151."),
        ({"preferred_name": "B" * 101}, "preferred_name", "Please use 100 characters or fewer: this has 101."),
        (
            {"contact_channel": "sms"},
            "phone",
            "Please give a phone number so we can call you or send you a text.",
        ),
        (
            {"contact_channel": "phone", "phone": "   "},
            "phone",
            "Please give a phone number so we can call you or send you a text.",
        ),
        (
            {"phone": "call me maybe"},
            "phone",
            "Please enter a phone number using digits, for example 07700 900123.",
        ),
        (
            {"contact_channel": "post"},
            "postal_address",
            "Please give your postal address so we can write to you.",
        ),
        ({"biography": "x" * 1001}, "biography", "Please use 1000 characters or fewer: this has 1001."),
        (
            {"payment_preference": "cash"},
            "payment_preference",
            "Please choose one of the options given.",
        ),
    ],
)
def test_profile_bad_input_shows_the_error_by_the_field_and_changes_nothing(
    profile: VolunteerProfile, browser, changes: dict[str, str], field: str, error: str
) -> None:
    before = snapshot(profile)

    response = browser.post(PROFILE_URL, {**PROFILE_POST, "pronouns": "they/them", **changes})

    assert (response.status_code, h1(response)) == (400, "Your profile")
    assert error_of(response, field) == error
    assert snapshot(profile) == before
    assert ActivityLog.objects.filter(action="volunteer.profile_updated").count() == 0


def test_profile_refuses_a_tag_of_another_network(world: World, profile: VolunteerProfile, browser) -> None:
    factories.ExperienceTagFactory(network=world.charity)
    elsewhere = factories.ExperienceTagFactory(network=world.other_charity)
    before = snapshot(profile)

    response = browser.post(PROFILE_URL, {**PROFILE_POST, "experience_tags": [elsewhere.pk]})

    assert response.status_code == 400
    assert error_of(response, "experience_tags") == ("Please choose one of the options given.")
    assert snapshot(profile) == before


# Adjustments


def test_adjustments_page_shows_the_grouped_form(browser) -> None:
    response = browser.get(ADJUSTMENTS_URL)

    assert (response.status_code, h1(response)) == (200, "Adjustments that help you take part")
    assert [text for text in texts(response, "legend") if text in {"Getting there", "Communication", "On the day"}] == [
        "Getting there",
        "Communication",
        "On the day",
    ]


def test_adjustments_post_saves_every_field(profile: VolunteerProfile, browser) -> None:
    response = browser.post(
        ADJUSTMENTS_URL,
        {
            "step_free_access": "on",
            "parking": "on",
            "interpreter": "spoken",
            "interpreter_language": "Polish",
            "hearing_loop": "on",
            "large_print": "on",
            "easy_read": "on",
            "companion_attending": "on",
            "rest_breaks": "on",
            "dietary_needs": "Vegetarian",
            "longest_session_minutes": "90",
            "attendance_mode": "in_person",
            "other_adjustments": "A quiet room to rest.",
        },
        follow=True,
    )

    profile.refresh_from_db()
    assert response.redirect_chain == [(HOME_URL, 302)]
    assert messages_on(response) == [
        "Your adjustments are saved. We will share them with the people arranging your sessions."
    ]
    assert profile.adjustments == [
        "Step-free access",
        "A parking space",
        "An interpreter (Polish)",
        "A hearing loop",
        "Large print materials",
        "Easy read materials",
        "A companion or carer comes too",
        "Rest breaks",
        "Dietary needs: Vegetarian",
        "Sessions of at most 90 minutes",
        "In person only",
        "A quiet room to rest.",
    ]


def test_adjustments_post_can_clear_everything(profile: VolunteerProfile, browser) -> None:
    profile.step_free_access = True
    profile.interpreter = VolunteerProfile.Interpreter.SPOKEN
    profile.interpreter_language = "Welsh"
    profile.longest_session_minutes = 60
    profile.save()

    browser.post(ADJUSTMENTS_URL, {**ADJUSTMENTS_POST, "interpreter_language": "Welsh"})

    profile.refresh_from_db()
    assert (profile.adjustments, profile.interpreter_language) == ([], "")


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"longest_session_minutes": "5"}, "longest_session_minutes", MINUTES),
        ({"longest_session_minutes": "601"}, "longest_session_minutes", MINUTES),
        ({"longest_session_minutes": "lots"}, "longest_session_minutes", MINUTES),
        ({"interpreter": "spoken"}, "interpreter_language", LANGUAGE),
        ({"dietary_needs": "d" * 201}, "dietary_needs", "Please use 200 characters or fewer: this has 201."),
        ({"attendance_mode": "teleport"}, "attendance_mode", NO_TELEPORT),
    ],
)
def test_adjustments_bad_input_shows_the_error_by_the_field_and_changes_nothing(
    profile: VolunteerProfile, browser, changes: dict[str, str], field: str, error: str
) -> None:
    before = snapshot(profile)

    response = browser.post(ADJUSTMENTS_URL, {**ADJUSTMENTS_POST, "step_free_access": "on", **changes})

    assert (response.status_code, h1(response)) == (400, "Adjustments that help you take part")
    assert error_of(response, field) == error
    assert snapshot(profile) == before


# Availability


@time_machine.travel(NOW, tick=False)
def test_availability_page_shows_the_grid_and_time_away(profile: VolunteerProfile, browser) -> None:
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=1, part_of_day="afternoon")
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=5, part_of_day="morning")
    away = factories.TimeAwayFactory(
        volunteer=profile, starts_on=datetime.date(2026, 3, 9), ends_on=datetime.date(2026, 3, 20), note="Holiday"
    )
    factories.TimeAwayFactory(
        volunteer=profile, starts_on=datetime.date(2026, 2, 1), ends_on=datetime.date(2026, 2, 5), note="Over"
    )
    factories.TimeAwayFactory(volunteer=other_volunteer(), note="Someone else's")

    response = browser.get(AVAILABILITY_URL)

    assert (response.status_code, h1(response)) == (200, "When you are free")
    [wrapper] = find(response, "div", class_="table-responsive")
    [grid] = find(wrapper, "table", class_="availability-grid")
    # The full day names (shortened on a phone's screen, with the full name kept for screen readers).
    assert texts(grid, "span", class_="day-full") == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    boxes = find(grid, "input", type="checkbox")
    labels = {dict(label.attributes)["for"]: text_of(label) for label in find(grid, "label", class_="visually-hidden")}
    assert [labels[dict(box.attributes)["id"]] for box in boxes][:4] == [
        "Monday morning",
        "Monday afternoon",
        "Monday evening",
        "Tuesday morning",
    ]
    assert (len(boxes), len(labels)) == (21, 21)
    assert checked_slots(response) == ["1-afternoon", "5-morning"]
    [away_table] = find(response, "table", id="time-away")
    assert [texts(row, "td") for row in find(away_table, "tr")[1:]] == [
        ["Monday 9 March 2026", "Friday 20 March 2026", "Holiday", "Remove your time away from Monday 9 March 2026"]
    ]
    assert dict(find(away_table, "a")[0].attributes)["href"] == f"/me/availability/away/{away.pk}/remove/"
    assert texts(response, "a", href=AWAY_URL) == ["Add time away"]


def test_availability_post_saves_the_grid_cap_and_distance(profile: VolunteerProfile, browser) -> None:
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=0, part_of_day="morning")

    response = browser.post(
        AVAILABILITY_URL,
        {"slots": ["1-afternoon", "3-evening", "6-morning"], "monthly_session_cap": "4", "travel_miles": "0"},
        follow=True,
    )

    profile.refresh_from_db()
    assert response.redirect_chain == [(AVAILABILITY_URL, 302)]
    assert messages_on(response) == ["Your availability is saved."]
    assert snapshot(profile)["slots"] == [(1, "afternoon"), (3, "evening"), (6, "morning")]
    assert (profile.monthly_session_cap, profile.travel_miles) == (4, 0)
    assert checked_slots(response) == ["1-afternoon", "3-evening", "6-morning"]


def test_availability_post_can_clear_everything(profile: VolunteerProfile, browser) -> None:
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=0, part_of_day="morning")
    profile.monthly_session_cap = 3
    profile.save()

    browser.post(AVAILABILITY_URL, {"monthly_session_cap": "", "travel_miles": ""})

    profile.refresh_from_db()
    assert (snapshot(profile)["slots"], profile.monthly_session_cap, profile.travel_miles) == ([], None, None)


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"monthly_session_cap": "0"}, "monthly_session_cap", SESSIONS),
        ({"monthly_session_cap": "99"}, "monthly_session_cap", SESSIONS),
        ({"monthly_session_cap": "two"}, "monthly_session_cap", SESSIONS),
        ({"travel_miles": "-1"}, "travel_miles", MILES),
        ({"travel_miles": "501"}, "travel_miles", MILES),
    ],
)
def test_availability_bad_input_shows_the_error_by_the_field_and_changes_nothing(
    profile: VolunteerProfile, browser, changes: dict[str, str], field: str, error: str
) -> None:
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=0, part_of_day="morning")
    before = snapshot(profile)

    response = browser.post(AVAILABILITY_URL, {"slots": ["2-evening"], "monthly_session_cap": "", **changes})

    assert (response.status_code, h1(response)) == (400, "When you are free")
    assert error_of(response, field) == error
    assert checked_slots(response) == ["2-evening"]
    assert snapshot(profile) == before


def test_availability_refuses_an_unknown_slot(profile: VolunteerProfile, browser) -> None:
    before = snapshot(profile)

    response = browser.post(AVAILABILITY_URL, {"slots": ["9-midnight"]})

    assert response.status_code == 400
    assert texts(response, "div", id="id_slots_error") == ["Please choose one of the options given."]
    assert snapshot(profile) == before


# Time away


@time_machine.travel(NOW, tick=False)
def test_time_away_add_saves_the_dates(profile: VolunteerProfile, browser) -> None:
    page = browser.get(AWAY_URL)

    response = browser.post(
        AWAY_URL, {"starts_on": "2026-03-10", "ends_on": "2026-03-12", "note": "Treatment"}, follow=True
    )

    assert (page.status_code, h1(page)) == (200, "Add time away")
    assert [dict(field.attributes)["type"] for field in find(page, "input", id="id_starts_on")] == ["text"]
    assert response.redirect_chain == [(AVAILABILITY_URL, 302)]
    assert messages_on(response) == ["We will not invite you from Tuesday 10 March 2026 to Thursday 12 March 2026."]
    assert snapshot(profile)["away"] == [(datetime.date(2026, 3, 10), datetime.date(2026, 3, 12), "Treatment")]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"starts_on": "2026-03-12", "ends_on": "2026-03-10"}, "ends_on", ENDS_BEFORE_START),
        ({"starts_on": "2026-02-01", "ends_on": "2026-02-03"}, "ends_on", "Those dates are in the past."),
        ({"starts_on": "", "ends_on": "2026-03-10"}, "starts_on", "Please enter the first day you are away."),
        ({"starts_on": "2026-03-10", "ends_on": ""}, "ends_on", "Please enter the last day you are away."),
        ({"starts_on": "2026-02-31", "ends_on": "2026-03-10"}, "starts_on", NOT_A_DATE),
        ({"starts_on": "2026-03-10", "ends_on": "2026-03-11", "note": "n" * 121}, "note", NOTE_TOO_LONG),
    ],
)
def test_time_away_bad_input_shows_the_error_by_the_field_and_saves_nothing(
    profile: VolunteerProfile, browser, data: dict[str, str], field: str, error: str
) -> None:
    response = browser.post(AWAY_URL, data)

    assert (response.status_code, h1(response)) == (400, "Add time away")
    assert error_of(response, field) == error
    assert TimeAway.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_time_away_remove_asks_then_removes(profile: VolunteerProfile, browser) -> None:
    away = factories.TimeAwayFactory(
        volunteer=profile, starts_on=datetime.date(2026, 3, 9), ends_on=datetime.date(2026, 3, 20)
    )
    url = f"/me/availability/away/{away.pk}/remove/"

    page = browser.get(url)
    response = browser.post(url, follow=True)

    assert (page.status_code, h1(page)) == (200, "Remove this time away?")
    [main] = find(page, "main")
    assert texts(main, "button") == ["Remove these dates"]
    assert response.redirect_chain == [(AVAILABILITY_URL, 302)]
    assert messages_on(response) == ["Removed your time away from Monday 9 March 2026 to Friday 20 March 2026."]
    assert TimeAway.objects.count() == 0


def test_time_away_of_another_volunteer_is_not_found(browser) -> None:
    away = factories.TimeAwayFactory(volunteer=other_volunteer())
    url = f"/me/availability/away/{away.pk}/remove/"

    assert (browser.get(url).status_code, browser.post(url).status_code) == (404, 404)
    assert TimeAway.objects.filter(pk=away.pk).count() == 1


# Pausing, coming back and leaving


@time_machine.travel(NOW, tick=False)
def test_pause_with_a_return_date(world: World, profile: VolunteerProfile, browser) -> None:
    factories.NetworkMembershipFactory(volunteer=profile, network=factories.CharityFactory(name="Charity C"))

    page = browser.get(PAUSE_URL)
    response = browser.post(PAUSE_URL, {"until": "2026-04-03"}, follow=True)

    assert (page.status_code, h1(page)) == (200, "Take a break")
    assert response.redirect_chain == [(HOME_URL, 302)]
    assert messages_on(response) == [
        "You are taking a break. We will not invite you to sessions before Friday 3 April 2026."
    ]
    assert statuses(profile) == [
        ("Charity A", "paused", datetime.date(2026, 4, 3)),
        ("Charity C", "paused", datetime.date(2026, 4, 3)),
    ]


def test_pause_without_a_return_date(profile: VolunteerProfile, browser) -> None:
    response = browser.post(PAUSE_URL, {"until": ""}, follow=True)

    assert messages_on(response) == ["You are taking a break. We will not invite you to sessions until you come back."]
    assert statuses(profile) == [("Charity A", "paused", None)]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("until", "error"),
    [
        ("2026-03-02", "The return date must be in the future."),
        ("2025-12-25", "The return date must be in the future."),
        ("soon", NOT_A_DATE),
    ],
)
def test_pause_bad_return_date_shows_the_error_and_changes_nothing(
    profile: VolunteerProfile, browser, until: str, error: str
) -> None:
    response = browser.post(PAUSE_URL, {"until": until})

    assert (response.status_code, h1(response)) == (400, "Take a break")
    assert error_of(response, "until") == error
    assert statuses(profile) == [("Charity A", "active", None)]


def test_pause_page_says_when_there_is_nothing_to_pause(profile: VolunteerProfile, browser) -> None:
    NetworkMembership.objects.filter(volunteer=profile).update(status=Status.APPLICANT)

    response = browser.get(PAUSE_URL)

    [main] = find(response, "main")
    assert find(main, "form") == []
    assert "You are not active in any network just now, so there is nothing to pause." in texts(response, "p")


def test_resume_makes_paused_memberships_active(profile: VolunteerProfile, browser) -> None:
    NetworkMembership.objects.filter(volunteer=profile).update(
        status=Status.PAUSED, paused_until=datetime.date(2099, 1, 1)
    )

    response = browser.post(RESUME_URL, follow=True)

    assert response.redirect_chain == [(HOME_URL, 302)]
    assert messages_on(response) == ["Welcome back. You are active again and may be invited to sessions."]
    assert statuses(profile) == [("Charity A", "active", None)]


def test_resume_when_not_paused_says_so(profile: VolunteerProfile, browser) -> None:
    response = browser.post(RESUME_URL, follow=True)

    assert messages_on(response) == ["There is nothing to resume: no paused membership."]
    assert statuses(profile) == [("Charity A", "active", None)]


def test_resume_takes_only_post(browser) -> None:
    assert browser.get(RESUME_URL).status_code == 405


def test_leave_asks_then_leaves(world: World, profile: VolunteerProfile, browser) -> None:
    membership = NetworkMembership.objects.get(volunteer=profile)
    url = f"/me/networks/{membership.pk}/leave/"

    page = browser.get(url)
    response = browser.post(url, follow=True)

    assert (page.status_code, h1(page)) == (200, "Leave Charity A?")
    assert response.redirect_chain == [(HOME_URL, 302)]
    assert messages_on(response) == ["You have left Charity A. Thank you for all you have done."]
    assert statuses(profile) == [("Charity A", "left", None)]
    assert ActivityLog.objects.filter(action="volunteer.left", actor=world.volunteer).count() == 1


def test_leave_a_second_time_changes_nothing(profile: VolunteerProfile, browser) -> None:
    membership = NetworkMembership.objects.get(volunteer=profile)
    url = f"/me/networks/{membership.pk}/leave/"
    browser.post(url, follow=True)

    response = browser.post(url, follow=True)

    assert messages_on(response) == ["You are no longer part of Charity A."]
    assert ActivityLog.objects.filter(action="volunteer.left").count() == 1


def test_leave_another_volunteers_membership_is_not_found(browser) -> None:
    membership = other_volunteer().memberships.get()
    url = f"/me/networks/{membership.pk}/leave/"

    assert (browser.get(url).status_code, browser.post(url).status_code) == (404, 404)
    membership.refresh_from_db()
    assert membership.status == Status.ACTIVE


# Consent


@pytest.fixture
def consent_texts(world: World, consent_purposes) -> dict[str, ConsentText]:
    return {
        "health-information": text_for("health-information", world.charity),
        "share-story": text_for("share-story", world.charity, world.university),
        "photographs": text_for("photographs", world.charity, world.university),
    }


def test_consent_page_shows_each_purpose_its_wording_and_state(
    world: World, consent_texts: dict[str, ConsentText], profile: VolunteerProfile, browser
) -> None:
    with time_machine.travel(NOW, tick=False):
        grant_consent(profile=profile, text=consent_texts["photographs"], actor=world.volunteer)
    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        grant_consent(profile=profile, text=consent_texts["share-story"], actor=world.volunteer)
    with time_machine.travel(NOW + datetime.timedelta(days=5), tick=False):
        withdraw_consent(
            profile=profile,
            purpose=ConsentPurpose.objects.get(code="photographs"),
            network=world.charity,
            actor=world.volunteer,
        )

    response = browser.get(CONSENT_URL)

    assert (response.status_code, h1(response)) == (200, "What you agree to")
    assert find(response, "div", id="review-intro") == []
    assert texts(response, "h2") == ["Store my health information", "Share my story with students", "Photographs"]
    health = section(response, "purpose-charity-a-health-information")
    story = section(response, "purpose-charity-a-share-story")
    photographs = section(response, "purpose-charity-a-photographs")
    assert texts(health, "p", class_="explicit-consent") == ["Explicit, separate consent"]
    assert texts(story, "p", class_="explicit-consent") == []
    assert texts(story, "p", class_="consent-wording") == [consent_texts["share-story"].text]
    [footer] = texts(story, "footer")
    assert footer.startswith("Version 1, from ")
    assert footer.endswith("Relied on by: Charity A, University A")
    assert [texts(part, "p", class_="consent-state") for part in (health, story, photographs)] == [
        ["Not agreed yet"],
        ["Agreed on Thursday 5 March 2026"],
        ["Withdrawn on Saturday 7 March 2026"],
    ]
    assert [texts(part, "button") for part in (health, story, photographs)] == [
        ["I agree"],
        ["Withdraw my consent"],
        ["I agree"],
    ]
    assert [dict(field.attributes)["value"] for field in find(health, "input", name="text")] == [
        str(consent_texts["health-information"].pk)
    ]
    assert find(health, "details") == []
    [history] = find(photographs, "details")
    assert [texts(row, "td") for row in find(history, "tr")[1:]] == [
        ["Withdrawn", "1", "Saturday 7 March 2026, 09:30", "Online, by the volunteer", "You"],
        ["Granted", "1", "Monday 2 March 2026, 09:30", "Online, by the volunteer", "You"],
    ]


def test_consent_history_names_staff_who_recorded_paper_consent(
    world: World, consent_texts: dict[str, ConsentText], profile: VolunteerProfile, browser
) -> None:
    with time_machine.travel(NOW, tick=False):
        grant_consent(profile=profile, text=consent_texts["share-story"], actor=world.lead, method="paper")

    response = browser.get(CONSENT_URL)

    [history] = find(section(response, "purpose-charity-a-share-story"), "details")
    assert [texts(row, "td") for row in find(history, "tr")[1:]] == [
        ["Granted", "1", "Monday 2 March 2026, 09:30", "On a paper form", world.lead.name]
    ]


@time_machine.travel(NOW, tick=False)
def test_consent_grant_records_it(
    world: World, consent_texts: dict[str, ConsentText], profile: VolunteerProfile, browser
) -> None:
    text = consent_texts["share-story"]

    response = browser.post("/me/consent/share-story/", {"action": "grant", "text": str(text.pk)}, follow=True)

    assert response.redirect_chain == [(CONSENT_URL, 302)]
    assert messages_on(response) == ["Thank you. You agreed to “Share my story with students” for Charity A."]
    assert records(profile) == [("share-story", "granted", 1)]
    assert ConsentRecord.objects.get().method == ConsentRecord.Method.ONLINE
    assert texts(section(response, "purpose-charity-a-share-story"), "p", class_="consent-state") == [
        "Agreed on Monday 2 March 2026"
    ]


def test_consent_withdraw_records_it(
    world: World, consent_texts: dict[str, ConsentText], profile: VolunteerProfile, browser
) -> None:
    grant_consent(profile=profile, text=consent_texts["share-story"], actor=world.volunteer)

    response = browser.post("/me/consent/share-story/", {"action": "withdraw", "network": "charity-a"}, follow=True)

    assert response.redirect_chain == [(CONSENT_URL, 302)]
    assert messages_on(response) == ["You withdrew your consent to “Share my story with students” for Charity A."]
    assert records(profile) == [("share-story", "granted", 1), ("share-story", "withdrawn", 1)]


def test_consent_withdrawing_twice_says_so_and_records_nothing(
    world: World, consent_texts: dict[str, ConsentText], profile: VolunteerProfile, browser
) -> None:
    grant_consent(profile=profile, text=consent_texts["share-story"], actor=world.volunteer)
    browser.post("/me/consent/share-story/", {"action": "withdraw", "network": "charity-a"}, follow=True)

    response = browser.post("/me/consent/share-story/", {"action": "withdraw", "network": "charity-a"})

    assert (response.status_code, h1(response)) == (400, "What you agree to")
    assert messages_on(response) == [
        "Consent to “Share my story with students” is not given, so there is nothing to withdraw."
    ]
    assert records(profile) == [("share-story", "granted", 1), ("share-story", "withdrawn", 1)]


def test_consent_agreeing_twice_says_so_and_records_nothing(
    world: World, consent_texts: dict[str, ConsentText], profile: VolunteerProfile, browser
) -> None:
    text = consent_texts["share-story"]
    browser.post("/me/consent/share-story/", {"action": "grant", "text": str(text.pk)}, follow=True)

    response = browser.post("/me/consent/share-story/", {"action": "grant", "text": str(text.pk)})

    assert response.status_code == 400
    assert messages_on(response) == ["Consent to “Share my story with students” is already given."]
    assert records(profile) == [("share-story", "granted", 1)]


CHANGED = "The wording of “Share my story with students” has changed. Please read the current version before agreeing."


@pytest.mark.parametrize(
    ("text_id", "message"),
    [
        (lambda texts: texts["old"].pk, CHANGED),
        (lambda texts: texts["photographs"].pk, CHANGED),
        (lambda texts: 999_999, CHANGED),
        (lambda texts: "", "Please read the wording of “Share my story with students” and choose again."),
        (lambda texts: "abc", "Please read the wording of “Share my story with students” and choose again."),
    ],
    ids=["old-version", "another-purpose", "unknown", "missing", "not-a-number"],
)
def test_consent_tampered_text_id_is_refused_and_records_nothing(
    world: World, consent_texts: dict[str, ConsentText], profile: VolunteerProfile, browser, text_id, message: str
) -> None:
    old = consent_texts["share-story"]
    text_for("share-story", world.charity)

    response = browser.post(
        "/me/consent/share-story/", {"action": "grant", "text": text_id({**consent_texts, "old": old})}
    )

    assert (response.status_code, h1(response)) == (400, "What you agree to")
    assert messages_on(response) == [message]
    assert records(profile) == []


def test_consent_unknown_action_is_refused(
    consent_texts: dict[str, ConsentText], profile: VolunteerProfile, browser
) -> None:
    response = browser.post(
        "/me/consent/share-story/", {"action": "sell", "text": str(consent_texts["share-story"].pk)}
    )

    assert response.status_code == 400
    assert messages_on(response) == ["Please read the wording of “Share my story with students” and choose again."]
    assert records(profile) == []


def test_consent_unknown_purpose_is_not_found(consent_texts: dict[str, ConsentText], browser) -> None:
    response = browser.post("/me/consent/sell-my-data/", {"action": "grant", "text": "1"})

    assert response.status_code == 404
    assert ConsentRecord.objects.count() == 0


def test_consent_change_takes_only_post(consent_texts: dict[str, ConsentText], browser) -> None:
    assert browser.get("/me/consent/share-story/").status_code == 405


def test_consent_new_wording_asks_again(
    world: World, consent_texts: dict[str, ConsentText], profile: VolunteerProfile, browser
) -> None:
    with time_machine.travel(NOW, tick=False):
        grant_consent(profile=profile, text=consent_texts["share-story"], actor=world.volunteer)
    new = text_for("share-story", world.charity)

    response = browser.get(CONSENT_URL + "?review=1")
    story = section(response, "purpose-charity-a-share-story")
    agreed = browser.post("/me/consent/share-story/", {"action": "grant", "text": str(new.pk)}, follow=True)

    assert len(find(response, "div", id="review-intro")) == 1
    assert texts(story, "p", class_="consent-state") == [
        "Agreed to earlier wording on Monday 2 March 2026: please read the new wording"
    ]
    assert texts(story, "p", class_="consent-wording") == [new.text]
    assert texts(story, "button") == ["I agree", "Withdraw my consent"]
    assert records(profile) == [("share-story", "granted", 1), ("share-story", "granted", 2)]
    assert texts(section(agreed, "purpose-charity-a-share-story"), "button") == ["Withdraw my consent"]
    assert browser.get("/").headers["Location"] == "/my-sessions/"


@pytest.mark.parametrize("purposes", [1, 3])
def test_consent_page_query_count_does_not_grow(
    world: World, consent_purposes, profile: VolunteerProfile, django_assert_num_queries, purposes: int
) -> None:
    for code in ["share-story", "recording", "photographs"][:purposes]:
        text = text_for(code, world.charity, world.university)
        grant_consent(profile=profile, text=text, actor=world.volunteer)
        grant_consent(profile=profile, text=text_for(code, world.charity), actor=world.volunteer)
    client = signed_in(world.volunteer)

    with django_assert_num_queries(9):
        response = client.get(CONSENT_URL)

    assert len(find(response, "details")) == purposes


@pytest.fixture
def in_two_networks(world: World, consent_purposes, profile: VolunteerProfile) -> dict[str, ConsentText]:
    """The volunteer is active in Charity B too; each charity has its own "share my story"."""
    factories.NetworkMembershipFactory(volunteer=profile, network=world.other_charity)
    return {
        "a": factories.ConsentTextFactory(
            network=world.charity, text="Charity A's wording.", organisations=[world.charity, world.university]
        ),
        "b": factories.ConsentTextFactory(
            network=world.other_charity,
            text="Charity B's wording.",
            organisations=[world.other_charity, world.other_university],
        ),
    }


def test_consent_page_in_two_networks_shows_each_networks_wording_under_its_name(
    world: World, in_two_networks: dict[str, ConsentText], profile: VolunteerProfile, browser
) -> None:
    response = browser.get(CONSENT_URL)

    assert texts(response, "h2") == ["Charity A", "Charity B"]
    assert texts(response, "h3") == ["Share my story with students", "Share my story with students"]
    mine_a = section(response, "purpose-charity-a-share-story")
    mine_b = section(response, "purpose-charity-b-share-story")
    assert [texts(part, "p", class_="consent-wording") for part in (mine_a, mine_b)] == [
        ["Charity A's wording."],
        ["Charity B's wording."],
    ]
    assert [texts(part, "footer")[0].split("Relied on by: ")[1] for part in (mine_a, mine_b)] == [
        "Charity A, University A",
        "Charity B, University B",
    ]
    assert [dict(field.attributes)["value"] for field in find(mine_b, "input", type="hidden")][1:] == [
        str(in_two_networks["b"].pk),
        "charity-b",
    ]


def test_consent_in_two_networks_is_granted_and_withdrawn_per_network(
    world: World, in_two_networks: dict[str, ConsentText], profile: VolunteerProfile, browser
) -> None:
    granted = browser.post(
        "/me/consent/share-story/", {"action": "grant", "text": str(in_two_networks["b"].pk)}, follow=True
    )
    withdrawn = browser.post("/me/consent/share-story/", {"action": "withdraw", "network": "charity-b"}, follow=True)

    assert messages_on(granted) == ["Thank you. You agreed to “Share my story with students” for Charity B."]
    assert [
        texts(section(granted, f"purpose-{slug}-share-story"), "p", class_="consent-state")
        for slug in ("charity-a", "charity-b")
    ] == [["Not agreed yet"], [f"Agreed on {formatting.day(datetime.date.today())}"]]
    assert messages_on(withdrawn) == ["You withdrew your consent to “Share my story with students” for Charity B."]
    assert list(
        ConsentRecord.objects.filter(volunteer=profile).order_by("pk").values_list("text__network__slug", "action")
    ) == [("charity-b", "granted"), ("charity-b", "withdrawn")]


def test_consent_page_never_shows_another_charitys_wording_or_partners(
    world: World, consent_texts: dict[str, ConsentText], profile: VolunteerProfile, browser
) -> None:
    factories.ConsentTextFactory(
        network=world.other_charity,
        text="Charity B's own wording.",
        organisations=[world.other_charity, world.other_university],
    )

    response = browser.get(CONSENT_URL)

    page = response.content.decode()
    assert ("Charity B" in page, "University B" in page, "Charity B's own wording." in page) == (False, False, False)
    assert texts(response, "h2") == ["Store my health information", "Share my story with students", "Photographs"]


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        (
            lambda texts: {"action": "grant", "text": str(texts["b"].pk)},
            "This wording belongs to Charity B: only its volunteers can agree to it.",
        ),
        (
            lambda texts: {"action": "withdraw", "network": "charity-b"},
            "Please read the wording of “Share my story with students” and choose again.",
        ),
        (
            lambda texts: {"action": "withdraw"},
            "Please read the wording of “Share my story with students” and choose again.",
        ),
    ],
    ids=["another-networks-text", "another-network", "no-network"],
)
def test_consent_for_a_network_they_do_not_belong_to_is_refused(
    world: World, consent_texts: dict[str, ConsentText], profile: VolunteerProfile, browser, posted, message: str
) -> None:
    theirs = factories.ConsentTextFactory(network=world.other_charity)
    grant_consent(profile=profile, text=consent_texts["share-story"], actor=world.volunteer)

    response = browser.post("/me/consent/share-story/", posted({**consent_texts, "b": theirs}))

    assert (response.status_code, messages_on(response)) == (400, [message])
    assert records(profile) == [("share-story", "granted", 1)]


@pytest.mark.parametrize("networks", [1, 3])
def test_consent_page_query_count_does_not_grow_with_networks(
    world: World, consent_purposes, profile: VolunteerProfile, django_assert_num_queries, networks: int
) -> None:
    for index in range(networks):
        network = world.charity if index == 0 else factories.NetworkMembershipFactory(volunteer=profile).network
        for code in ["share-story", "recording"]:
            grant_consent(profile=profile, text=text_for(code, network), actor=world.volunteer)
    client = signed_in(world.volunteer)

    with django_assert_num_queries(9):
        response = client.get(CONSENT_URL)

    assert len(find(response, "blockquote")) == 2 * networks


# Their data


def plant(world: World, profile: VolunteerProfile) -> None:
    """Marker values in every part of the volunteer's record."""
    User.objects.filter(pk=profile.user_id).update(name="Zoë O'Brien-Marker")
    profile.phone = "07700 900999"
    profile.topics_to_avoid = "Marker topic"
    profile.monthly_session_cap = 3
    profile.save()
    profile.experience_tags.set([factories.ExperienceTagFactory(network=world.charity, name="Marker experience")])
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=2, part_of_day="evening")
    factories.TimeAwayFactory(
        volunteer=profile, starts_on=datetime.date(2026, 5, 1), ends_on=datetime.date(2026, 5, 2), note="Marker away"
    )


def test_my_data_page_shows_everything_and_records_the_export(
    world: World, consent_purposes, profile: VolunteerProfile, browser
) -> None:
    plant(world, profile)
    with time_machine.travel(NOW, tick=False):
        grant_consent(profile=profile, text=text_for("share-story", world.charity), actor=world.volunteer)

    response = browser.get(DATA_URL)

    assert (response.status_code, h1(response)) == (200, "Everything we hold about you")
    assert "no-store" in response["Cache-Control"]
    assert texts(response, "h2") == [
        section.title for provider in data_rights.providers() for section in provider.sections
    ]

    def section(key: str) -> Any:
        [found] = find(response, "section", aria_labelledby=f"data-{key}")
        return found

    [account] = find(section("account"), "dl")
    assert texts(account, "dd")[:2] == ["Zoë O'Brien-Marker", world.volunteer.email]
    [profile_list] = find(section("profile"), "dl")
    rows = dict(zip(texts(profile_list, "dt"), texts(profile_list, "dd"), strict=True))
    assert (rows["Phone"], rows["Topics to avoid"], rows["Most sessions in a month"], rows["Parking"]) == (
        "07700 900999",
        "Marker topic",
        "3",
        "No",
    )
    assert rows["Payment preference"] == "My fee and my expenses"
    assert texts(section("experience"), "li") == ["Marker experience"]
    assert texts(section("weekly_availability"), "li") == ["Wednesday evening"]
    assert texts(section("networks"), "dd")[0] == "Charity A"
    [consents] = find(section("consents"), "table")
    assert texts(consents, "th") == [
        "Network",
        "Purpose",
        "Version",
        "Wording",
        "Action",
        "How",
        "Recorded by",
        "Note",
        "When",
    ]
    assert [texts(consents, "td")[index] for index in (1, 2, 4, 5, 8)] == [
        "Share my story with students",
        "1",
        "Granted",
        "Online, by the volunteer",
        "Monday 2 March 2026, 09:30",
    ]
    assert ActivityLog.objects.filter(action="volunteer.data_exported", actor=world.volunteer).count() == 1
    assert texts(response, "a", href=DOWNLOAD_URL) == ["Download my data (JSON file)"]


def test_my_data_download_is_a_json_file_with_everything(
    world: World, consent_purposes, profile: VolunteerProfile, browser
) -> None:
    plant(world, profile)
    grant_consent(profile=profile, text=text_for("share-story", world.charity), actor=world.volunteer)

    response = browser.get(DOWNLOAD_URL)

    data = json.loads(response.content.decode())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="my-involvement-data.json"'
    assert "no-store" in response["Cache-Control"]
    assert data["account"]["name"] == "Zoë O'Brien-Marker"
    assert (data["profile"]["phone"], data["profile"]["topics_to_avoid"]) == ("07700 900999", "Marker topic")
    assert data["experience"] == ["Marker experience"]
    assert data["weekly_availability"] == ["Wednesday evening"]
    assert data["time_away"] == [{"from": "2026-05-01", "to": "2026-05-02", "note": "Marker away"}]
    assert [network["network"] for network in data["networks"]] == ["Charity A"]
    assert [(consent["purpose"], consent["action"]) for consent in data["consents"]] == [
        ("Share my story with students", "Granted")
    ]
    [entry] = ActivityLog.objects.filter(action="volunteer.data_exported")
    assert (entry.actor, entry.object_id) == (world.volunteer, str(profile.pk))
