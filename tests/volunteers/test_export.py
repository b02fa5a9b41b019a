"""The volunteers app's part of the download: everything it holds about a volunteer, and nothing
about anyone else (the other apps' parts are in tests/test_data_rights.py and their own tests)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from involvement.notifications import queue_notification
from tests import factories
from tests.conftest import World
from volunteers.models import ConsentPurpose, NetworkMembership, OnboardingCheck, VolunteerProfile
from volunteers.services import (
    accept_application,
    add_time_away,
    apply_to_network,
    export_my_data,
    grant_consent,
    record_check,
    record_special_category_view,
    set_weekly_availability,
    update_profile,
    withdraw_consent,
)

NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
ELSEWHERE = [
    "arrangements",
    "calendar",
    "claims",
    "feedback",
    "follow_ups",
    "payee_references",
    "payments",
    "receipts",
    "sessions",
]


def volunteer_data(profile: VolunteerProfile) -> dict[str, Any]:
    return export_my_data(profile=profile, actor=profile.user)


TODAY = datetime.date(2026, 3, 2)
DAY = datetime.timedelta(days=1)
MARKER = "PLANTEDMARKER42"
OTHER_MARKER = "OTHERPERSON77"


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def build(world: World, marker: str, email: str, traveller: time_machine.Traveller) -> VolunteerProfile:
    """A volunteer with their marker in their free text, in two networks, with availability and consents."""
    membership = apply_to_network(
        network=world.charity,
        applicant=None,
        name=f"Siân {marker}",
        email=email,
        contact_channel="sms",
        perspective="both",
        statement=f"Statement {marker}",
        heard_about="hospital",
        phone="07700 900123",
    )
    user = membership.volunteer.user
    profile = membership.volunteer
    factories.applicant_ready_to_accept(membership)
    record_check(
        membership=membership,
        actor=world.lead,
        kind=OnboardingCheck.Kind.ROLE_CHECK,
        name="DBS check",
        completed_on=TODAY - 10 * DAY,
        expires_on=datetime.date(2029, 2, 20),
    )
    accept_application(membership=membership, actor=world.lead, message=f"Welcome {marker}")
    factories.NetworkMembershipFactory(volunteer=profile, network=world.other_charity, status="paused")
    tag, _ = factories.ExperienceTagFactory._meta.model.objects.get_or_create(
        network=world.charity, name="secondary breast cancer"
    )
    update_profile(
        profile=profile,
        actor=user,
        changes={
            "preferred_name": f"Pref {marker}",
            "pronouns": "she/her",
            "phone": "07700 900123",
            "postal_address": f"1 {marker} Road",
            "biography": f"Bio {marker}",
            "topics_to_avoid": f"Avoid {marker}",
            "support_contact_name": f"Support {marker}",
            "support_contact_details": "01632 960000",
            "payment_preference": "expenses_only",
            "payment_preference_reason": f"Benefits {marker}",
            "naming_preference": "first_name",
            "dietary_needs": f"Diet {marker}",
            "step_free_access": True,
            "longest_session_minutes": 90,
            "monthly_session_cap": 3,
            "travel_miles": 15,
            "experience_tags": [tag],
        },
    )
    set_weekly_availability(profile=profile, actor=user, slots=[(1, "morning"), (3, "evening")])
    add_time_away(
        profile=profile,
        actor=user,
        starts_on=datetime.date(2026, 4, 6),
        ends_on=datetime.date(2026, 4, 17),
        note=f"Away {marker}",
    )
    story = ConsentPurpose.objects.get(code="share-story").texts.order_by("-version").first()
    assert story is not None
    grant_consent(profile=profile, text=story, actor=user, note=f"Consent {marker}")
    traveller.shift(60)
    withdraw_consent(profile=profile, purpose=story.purpose, network=world.charity, actor=world.lead, method="paper")
    queue_notification(
        template_key="volunteers/application_accepted",
        unique_key=f"test:{user.pk}",
        recipient=user,
        context={"name": marker},
    )
    record_special_category_view(profile=profile, actor=world.lead, where="network_volunteer", network=world.charity)
    return profile


@pytest.fixture
def data_world(world: World, consent_purposes: list[ConsentPurpose], frozen: time_machine.Traveller) -> dict[str, Any]:
    factories.ConsentTextFactory(
        purpose=ConsentPurpose.objects.get(code="share-story"),
        network=world.charity,
        text="I agree that my story may be shared with students at University A.",
        organisations=[world.charity],
    )
    profile = build(world, MARKER, "planted@example.org", frozen)
    other = build(world, OTHER_MARKER, "other.person@example.org", frozen)
    return {"profile": profile, "other": other}


@pytest.fixture
def data(data_world: dict[str, Any]) -> dict[str, Any]:
    return volunteer_data(VolunteerProfile.objects.get(pk=data_world["profile"].pk))


def test_volunteer_data_is_json(data: dict[str, Any]) -> None:
    assert json.loads(json.dumps(data)) == data
    assert sorted(set(data) - set(ELSEWHERE)) == [
        "account",
        "activity",
        "adjustments",
        "consents",
        "emails",
        "experience",
        "generated_at",
        "networks",
        "profile",
        "time_away",
        "weekly_availability",
    ]


def test_volunteer_data_account(data: dict[str, Any]) -> None:
    assert data["account"] == {
        "name": f"Siân {MARKER}",
        "email": "planted@example.org",
        "joined": NOW.isoformat(),
        "last_sign_in": None,
    }
    # Building both volunteers moved the clock on by a minute each.
    assert data["generated_at"] == (NOW + datetime.timedelta(minutes=2)).isoformat()


def test_volunteer_data_profile_values(data: dict[str, Any]) -> None:
    assert data["profile"] == {
        "attendance_mode": "In person or online",
        "biography": f"Bio {MARKER}",
        "companion_attending": False,
        "contact_channel": "Text message (SMS)",
        "dietary_needs": f"Diet {MARKER}",
        "easy_read": False,
        "hearing_loop": False,
        "interpreter": "",
        "interpreter_language": "",
        "large_print": False,
        "longest_session_minutes": 90,
        "monthly_session_cap": 3,
        "naming_preference": "My first name only",
        "other_adjustments": "",
        "parking": False,
        "payment_preference": "My expenses only, no fee",
        "payment_preference_reason": f"Benefits {MARKER}",
        "perspective": "Both a service user and a carer",
        "phone": "07700 900123",
        "postal_address": f"1 {MARKER} Road",
        "preferred_name": f"Pref {MARKER}",
        "pronouns": "she/her",
        "rest_breaks": False,
        "step_free_access": True,
        "support_contact_details": "01632 960000",
        "support_contact_name": f"Support {MARKER}",
        "topics_to_avoid": f"Avoid {MARKER}",
        "travel_miles": 15,
    }
    assert data["experience"] == ["secondary breast cancer"]
    assert data["adjustments"] == [
        "Step-free access",
        f"Dietary needs: Diet {MARKER}",
        "Sessions of at most 90 minutes",
    ]


def test_volunteer_data_networks(world: World, data: dict[str, Any]) -> None:
    assert data["networks"] == [
        {
            "network": "Charity A",
            "status": "Active",
            "since": NOW.isoformat(),
            "return_date": None,
            "application_statement": f"Statement {MARKER}",
            "heard_about": "At a hospital or clinic",
            "decision_message": f"Welcome {MARKER}",
            "onboarding": [
                {"item": "Confidentiality agreement", "completed_on": "2026-01-31", "expires_on": None},
                {"item": "Induction", "completed_on": "2026-01-31", "expires_on": None},
                {"item": "DBS check", "completed_on": "2026-02-20", "expires_on": "2029-02-20"},
            ],
        },
        {
            "network": "Charity B",
            "status": "Paused",
            "since": NOW.isoformat(),
            "return_date": None,
            "application_statement": "",
            "heard_about": "",
            "decision_message": "",
            "onboarding": [],
        },
    ]


def test_volunteer_data_availability_and_time_away(data: dict[str, Any]) -> None:
    assert data["weekly_availability"] == ["Tuesday morning", "Thursday evening"]
    assert data["time_away"] == [{"from": "2026-04-06", "to": "2026-04-17", "note": f"Away {MARKER}"}]


def test_volunteer_data_consent_history_with_wording(world: World, data: dict[str, Any]) -> None:
    wording = "I agree that my story may be shared with students at University A."
    later = (NOW + datetime.timedelta(seconds=60)).isoformat()
    assert data["consents"] == [
        {
            "network": "Charity A",
            "purpose": "Share my story with students",
            "version": 1,
            "wording": wording,
            "action": "Withdrawn",
            "how": "On a paper form",
            "recorded_by": world.lead.name,
            "note": "",
            "when": later,
        },
        {
            "network": "Charity A",
            "purpose": "Share my story with students",
            "version": 1,
            "wording": wording,
            "action": "Granted",
            "how": "Online, by the volunteer",
            "recorded_by": "",
            "note": f"Consent {MARKER}",
            "when": NOW.isoformat(),
        },
    ]


def test_volunteer_data_emails_and_activity(data_world: dict[str, Any], data: dict[str, Any]) -> None:
    assert [(email["about"], email["to"], email["status"]) for email in data["emails"]] == [
        ("volunteers/application_accepted", "planted@example.org", "pending"),
        ("volunteers/application_accepted", "planted@example.org", "pending"),
    ]
    assert [entry["what"] for entry in data["activity"]] == [
        "volunteer.profile_updated",
        "volunteer.availability_updated",
        "volunteer.time_away_added",
        "volunteer.special_category_viewed",
    ]


def test_volunteer_data_holds_nothing_about_another_volunteer(data_world: dict[str, Any]) -> None:
    mine = json.dumps(volunteer_data(VolunteerProfile.objects.get(pk=data_world["profile"].pk)), ensure_ascii=False)
    theirs = json.dumps(volunteer_data(VolunteerProfile.objects.get(pk=data_world["other"].pk)), ensure_ascii=False)

    assert (MARKER in mine, OTHER_MARKER in mine) == (True, False)
    assert (OTHER_MARKER in theirs, MARKER in theirs) == (True, False)
    assert "other.person@example.org" not in mine


def test_volunteer_data_holds_no_staff_contact_details(world: World, data: dict[str, Any]) -> None:
    text = json.dumps(data, ensure_ascii=False)

    assert world.lead.email not in text
    assert world.other_lead.email not in text


def test_volunteer_data_query_count_does_not_grow(
    world: World, data_world: dict[str, Any], django_assert_num_queries: Any, frozen: time_machine.Traveller
) -> None:
    profile = VolunteerProfile.objects.select_related("user").get(pk=data_world["profile"].pk)
    with CaptureQueriesContext(connection) as first:
        volunteer_data(profile)

    factories.OnboardingCheckFactory(
        membership=NetworkMembership.objects.get(volunteer=profile, network=world.other_charity)
    )
    factories.TimeAwayFactory(volunteer=profile)
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=5, part_of_day="afternoon")
    with django_assert_num_queries(len(first.captured_queries)):
        volunteer_data(profile)


def test_volunteer_data_of_a_fresh_applicant(world: World, frozen: object) -> None:
    membership = apply_to_network(
        network=world.charity,
        applicant=None,
        name="陈伟",
        email="chen@example.org",
        contact_channel="email",
        perspective="service_user",
        statement="",
    )

    data = volunteer_data(membership.volunteer)

    assert (data["account"]["name"], data["networks"][0]["status"], data["consents"], data["time_away"]) == (
        "陈伟",
        "Applicant",
        [],
        [],
    )
    assert User.objects.get(email="chen@example.org").volunteer_profile == membership.volunteer
