"""erase_volunteer: real anonymisation. A marker planted in every personal field must be found nowhere after."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import authenticate
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts.models import User
from involvement.models import ActivityLog, Notification
from involvement.notifications import queue_notification
from tests import factories
from tests.conftest import World
from tests.markers import marker_leaks
from volunteers.models import (
    ConsentPurpose,
    ConsentRecord,
    ExperienceTag,
    NetworkMembership,
    OnboardingCheck,
    TimeAway,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.services import (
    ERASED_NAME,
    VolunteerError,
    accept_application,
    add_time_away,
    apply_to_network,
    decline_application,
    erase_volunteer,
    grant_consent,
    record_check,
    set_weekly_availability,
    update_profile,
    warn_expiring_checks,
)

MARKER = "ZQXMARKER123"
OTHER_MARKER = "QJWOTHERMARKER987"
DAY = datetime.timedelta(days=1)


@dataclass
class Planted:
    user: User
    profile: VolunteerProfile
    client: Client
    session_key: str
    email: str


def plant(world: World, marker: str, email: str) -> Planted:
    """A volunteer with ``marker`` in every free-text field there is, through the real services."""
    lower = marker.lower()
    # Applying makes the account, the (unverified) address, the profile and emails to the leads.
    membership = apply_to_network(
        network=world.charity,
        applicant=None,
        name=f"{marker} Siân O'Brien",
        email=email,
        contact_channel="phone",
        perspective="carer",
        statement=f"My statement {marker}",
        phone=f"0700 {marker}",
        heard_about="friend",
    )
    user = membership.volunteer.user
    profile = membership.volunteer
    EmailAddress.objects.filter(user=user).update(verified=True)
    factories.with_totp(user)
    # Onboarding, with a role check named with the marker, and acceptance with a message.
    today = timezone.localdate()
    record_check(membership=membership, actor=world.lead, kind="induction", completed_on=today)
    record_check(membership=membership, actor=world.lead, kind="confidentiality", completed_on=today)
    record_check(
        membership=membership,
        actor=world.lead,
        kind="role_check",
        name=f"{marker} check",
        completed_on=today - 300 * DAY,
        expires_on=today + 10 * DAY,
    )
    accept_application(membership=membership, actor=world.lead, message=f"Welcome {marker}")
    # A second network declined them, with a message.
    other = apply_to_network(
        network=world.other_charity,
        applicant=user,
        name="",
        email="",
        contact_channel="",
        perspective="",
        statement=f"Second statement {marker}",
    )
    decline_application(membership=other, actor=world.other_lead, message=f"Sorry {marker}")
    # Every text field of the profile, and special-category data.
    tag, _ = ExperienceTag.objects.get_or_create(network=world.charity, name="radiotherapy")
    update_profile(
        profile=profile,
        actor=user,
        changes={
            "preferred_name": f"{marker} Pref",
            "pronouns": f"{lower}/they",
            "phone": f"0700 {marker}",
            "postal_address": f"1 {marker} Street, Leeds",
            "biography": f"Biography {marker}",
            "topics_to_avoid": f"Topics {marker}",
            "support_contact_name": f"Support {marker}",
            "support_contact_details": f"support-{lower}@example.org",
            "payment_preference": "expenses_only",
            "payment_preference_reason": f"Benefits {marker}",
            "interpreter": "spoken",
            "interpreter_language": f"Lang {marker}",
            "dietary_needs": f"Diet {marker}",
            "other_adjustments": f"Other {marker}",
            "step_free_access": True,
            "rest_breaks": True,
            "longest_session_minutes": 60,
            "monthly_session_cap": 2,
            "travel_miles": 20,
            "experience_tags": [tag],
        },
    )
    set_weekly_availability(profile=profile, actor=user, slots=[(1, "morning"), (3, "evening")])
    add_time_away(profile=profile, actor=user, starts_on=today + DAY, ends_on=today + 9 * DAY, note=f"Away {marker}")
    # Consents, online and on paper, with notes.
    story = factories.ConsentTextFactory(
        purpose=ConsentPurpose.objects.get(code="share-story"), network=world.charity, organisations=[world.charity]
    )
    recording = factories.ConsentTextFactory(
        purpose=ConsentPurpose.objects.get(code="recording"), network=world.charity, organisations=[world.charity]
    )
    grant_consent(profile=profile, text=story, actor=user, note=f"Online {marker}")
    grant_consent(profile=profile, text=recording, actor=world.lead, method="paper", note=f"Paper {marker}")
    # The lead is warned about the check (the email names the volunteer).
    warn_expiring_checks()
    # An email sent to them, naming them.
    queue_notification(
        template_key="volunteers/application_accepted",
        unique_key=f"test:email-to:{user.pk}",
        recipient=user,
        context={"name": f"{marker} Pref", "network": "Charity A", "message": marker, "home_url": "/"},
    )
    # They are signed in.
    client = Client()
    client.force_login(user)
    return Planted(user=user, profile=profile, client=client, session_key=client.session.session_key or "", email=email)


@pytest.fixture
def planted(world: World, consent_purposes: list[ConsentPurpose]) -> Planted:
    return plant(world, MARKER, f"{MARKER.lower()}@example.org")


@pytest.fixture
def bystander(world: World, planted: Planted) -> Planted:
    """Another volunteer with their own marker, who must be left exactly as they were."""
    return plant(world, OTHER_MARKER, "bystander@example.org")


def test_marker_is_planted_everywhere_before_erasure(planted: Planted) -> None:
    """The scan finds the marker in every personal field, so a clean scan after erasure means something."""
    assert sorted(marker_leaks(MARKER)) == [
        "account.EmailAddress.email",
        "accounts.User.email",
        "accounts.User.name",
        "involvement.Notification.context",
        "involvement.Notification.email",
        "volunteers.ConsentRecord.note",
        "volunteers.NetworkMembership.decision_message",
        "volunteers.NetworkMembership.statement",
        "volunteers.OnboardingCheck.name",
        "volunteers.TimeAway.note",
        "volunteers.VolunteerProfile.biography",
        "volunteers.VolunteerProfile.dietary_needs",
        "volunteers.VolunteerProfile.interpreter_language",
        "volunteers.VolunteerProfile.other_adjustments",
        "volunteers.VolunteerProfile.payment_preference_reason",
        "volunteers.VolunteerProfile.phone",
        "volunteers.VolunteerProfile.postal_address",
        "volunteers.VolunteerProfile.preferred_name",
        "volunteers.VolunteerProfile.pronouns",
        "volunteers.VolunteerProfile.support_contact_details",
        "volunteers.VolunteerProfile.support_contact_name",
        "volunteers.VolunteerProfile.topics_to_avoid",
    ]


def test_marker_is_in_the_leads_emails_before_erasure(world: World, planted: Planted) -> None:
    """The application and check-expiry emails to the leads name the volunteer."""
    to_leads = Notification.objects.filter(recipient__in=[world.lead, world.other_lead])
    assert sorted(
        notification.template_key for notification in to_leads if MARKER.lower() in str(notification.context).lower()
    ) == ["volunteers/application_received", "volunteers/application_received", "volunteers/check_expiring"]


def test_erase_volunteer_leaves_the_marker_nowhere(world: World, planted: Planted) -> None:
    erase_volunteer(profile=planted.profile, actor=world.lead)

    assert marker_leaks(MARKER) == []


def test_erase_volunteer_leaves_other_volunteers_untouched(world: World, bystander: Planted, planted: Planted) -> None:
    before = marker_leaks(OTHER_MARKER)

    erase_volunteer(profile=planted.profile, actor=world.lead)

    assert marker_leaks(OTHER_MARKER) == before
    assert Session.objects.filter(session_key=bystander.session_key).exists()
    assert bystander.profile.memberships.filter(status="left").count() == 0


def test_erase_volunteer_account_cannot_sign_in(world: World, planted: Planted) -> None:
    erase_volunteer(profile=planted.profile, actor=world.lead)

    user = User.objects.get(pk=planted.user.pk)
    assert (user.is_active, user.has_usable_password(), user.name, user.email) == (
        False,
        False,
        ERASED_NAME,
        f"erased-{user.pk}@erased.invalid",
    )
    assert authenticate(email=planted.email, password=factories.PASSWORD) is None
    assert authenticate(email=user.email, password=factories.PASSWORD) is None
    assert list(EmailAddress.objects.filter(user=user)) == []
    assert list(Authenticator.objects.filter(user=user)) == []


def test_erase_volunteer_signs_out_their_browsers(world: World, planted: Planted) -> None:
    assert planted.client.get("/me/").status_code == 200

    erase_volunteer(profile=planted.profile, actor=world.lead)

    response = planted.client.get("/me/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/me/")


def test_erase_volunteer_keeps_memberships_as_left(world: World, planted: Planted) -> None:
    before = NetworkMembership.objects.filter(volunteer=planted.profile).count()

    erase_volunteer(profile=planted.profile, actor=world.lead)

    assert before == 2
    assert sorted(
        NetworkMembership.objects.filter(volunteer=planted.profile).values_list(
            "network__name", "status", "statement", "decision_message", "heard_about", "paused_until"
        )
    ) == [("Charity A", "left", "", "", "", None), ("Charity B", "declined", "", "", "", None)]


def test_erase_volunteer_keeps_onboarding_counts(world: World, planted: Planted) -> None:
    erase_volunteer(profile=planted.profile, actor=world.lead)

    assert sorted(
        OnboardingCheck.objects.filter(membership__volunteer=planted.profile).values_list("kind", "name")
    ) == [("confidentiality", ""), ("induction", ""), ("role_check", "")]


def test_erase_volunteer_keeps_consent_records_without_notes(world: World, planted: Planted) -> None:
    before = list(
        ConsentRecord.objects.filter(volunteer=planted.profile)
        .order_by("pk")
        .values_list("pk", "purpose__code", "action", "method", "text__version", "recorded_by")
    )

    erase_volunteer(profile=planted.profile, actor=world.lead)

    records = ConsentRecord.objects.filter(volunteer=planted.profile).order_by("pk")
    assert len(before) == 2
    assert (
        list(records.values_list("pk", "purpose__code", "action", "method", "text__version", "recorded_by")) == before
    )
    assert list(records.values_list("note", flat=True)) == ["", ""]


def test_erase_volunteer_clears_the_profile(world: World, planted: Planted) -> None:
    erase_volunteer(profile=planted.profile, actor=world.lead)

    profile = VolunteerProfile.objects.get(pk=planted.profile.pk)
    assert profile.is_erased
    assert (
        profile.adjustments,
        list(profile.experience_tags.all()),
        profile.monthly_session_cap,
        profile.travel_miles,
        profile.payment_preference,
        profile.naming_preference,
        profile.interpreter,
    ) == ([], [], None, None, "fee_and_expenses", "anonymous", "")
    assert (
        WeeklyAvailability.objects.filter(volunteer=profile).count(),
        TimeAway.objects.filter(volunteer=profile).count(),
    ) == (0, 0)


def test_erase_volunteer_keeps_the_emails_without_personal_content(world: World, planted: Planted) -> None:
    before = Notification.objects.count()

    erase_volunteer(profile=planted.profile, actor=world.lead)

    assert Notification.objects.count() == before
    assert set(Notification.objects.filter(recipient=planted.user).values_list("email", flat=True)) == {
        f"erased-{planted.user.pk}@erased.invalid"
    }
    to_leads = Notification.objects.filter(recipient__in=[world.lead, world.other_lead])
    assert sorted((notification.template_key, notification.context) for notification in to_leads) == [
        ("volunteers/application_received", {}),
        ("volunteers/application_received", {}),
        ("volunteers/check_expiring", {}),
    ]


def test_erase_volunteer_is_recorded(world: World, planted: Planted) -> None:
    erase_volunteer(profile=planted.profile, actor=world.lead)

    assert list(ActivityLog.objects.filter(action="volunteer.erased").values_list("actor", "object_id", "data")) == [
        (world.lead.pk, str(planted.profile.pk), {})
    ]


def test_erase_volunteer_twice_is_refused(world: World, planted: Planted) -> None:
    erase_volunteer(profile=planted.profile, actor=world.lead)
    activity_before = ActivityLog.objects.count()

    with pytest.raises(VolunteerError) as error:
        erase_volunteer(profile=planted.profile, actor=world.lead)

    assert str(error.value) == "This volunteer has already been erased."
    assert ActivityLog.objects.count() == activity_before


def test_erased_volunteer_cannot_apply_again_with_their_account(world: World, planted: Planted) -> None:
    erase_volunteer(profile=planted.profile, actor=world.lead)
    user = User.objects.get(pk=planted.user.pk)

    with pytest.raises(VolunteerError) as error:
        apply_to_network(
            network=world.charity,
            applicant=user,
            name="",
            email="",
            contact_channel="",
            perspective="",
            statement="again",
        )

    assert str(error.value) == "This account can no longer be used."


def test_erased_address_can_apply_afresh(world: World, planted: Planted) -> None:
    """The address is free again: the person may come back as someone new."""
    erase_volunteer(profile=planted.profile, actor=world.lead)

    membership = apply_to_network(
        network=world.charity,
        applicant=None,
        name="Back Again",
        email=planted.email,
        contact_channel="email",
        perspective="carer",
        statement="Hello again",
    )

    assert membership.volunteer.pk != planted.profile.pk
    assert membership.volunteer.memberships.count() == 1
