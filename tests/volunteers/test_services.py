"""volunteers.services: applying, onboarding, the status machine, pausing, profile and availability."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import models
from django.urls import reverse

from accounts.models import Membership, User
from involvement.models import ActivityLog, Notification
from tests import factories
from tests.conftest import World
from volunteers.models import (
    ExperienceTag,
    NetworkMembership,
    OnboardingCheck,
    TimeAway,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.services import (
    VolunteerError,
    accept_application,
    add_experience_tag,
    add_time_away,
    apply_to_network,
    decline_application,
    leave_network,
    missing_onboarding,
    pause_volunteer,
    reactivate_volunteer,
    record_check,
    record_special_category_view,
    remove_time_away,
    resume_returning_volunteers,
    set_membership_status,
    set_weekly_availability,
    update_profile,
)

Status = NetworkMembership.Status
Kind = OnboardingCheck.Kind
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 3, 2)
DAY = datetime.timedelta(days=1)

EMAIL_IN_USE = "There is already an account with this email address. Please sign in first, then apply."


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    """Time stands still (a Monday morning in March, UK winter time)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def logged(action: str) -> list[tuple[int | None, str, str, int | None, dict[str, Any]]]:
    """ActivityLog rows with ``action``: (actor id, target model, target id, organisation id, data)."""
    return [
        (row.actor_id, row.content_type.model if row.content_type else "", row.object_id, row.organisation_id, row.data)
        for row in ActivityLog.objects.filter(action=action).order_by("pk")
    ]


def actions() -> list[str]:
    return list(ActivityLog.objects.order_by("pk").values_list("action", flat=True))


def sent() -> list[tuple[list[str], str]]:
    return [(message.to, message.subject) for message in mail.outbox]


def state_of(membership: NetworkMembership) -> dict[str, Any]:
    membership.refresh_from_db()
    return {
        "status": membership.status,
        "decided_at": membership.decided_at,
        "decided_by": membership.decided_by_id,
        "decision_message": membership.decision_message,
        "paused_until": membership.paused_until,
        "status_changed_at": membership.status_changed_at,
    }


def counts() -> dict[str, int]:
    """Row counts of everything the services may write."""
    tracked: list[type[models.Model]] = [
        User,
        EmailAddress,
        VolunteerProfile,
        NetworkMembership,
        OnboardingCheck,
        WeeklyAvailability,
        TimeAway,
        ExperienceTag,
        ActivityLog,
        Notification,
    ]
    return {model.__name__: model._default_manager.count() for model in tracked}


def profile_of(user: User) -> VolunteerProfile:
    return VolunteerProfile.objects.get(user=user)


def membership_of(world: World) -> NetworkMembership:
    return NetworkMembership.objects.get(volunteer__user=world.volunteer, network=world.charity)


def applicant(world: World, **fields: Any) -> NetworkMembership:
    return factories.NetworkMembershipFactory(network=world.charity, status=Status.APPLICANT, **fields)


def role_check(membership: NetworkMembership, **fields: Any) -> OnboardingCheck:
    values: dict[str, Any] = {"kind": Kind.ROLE_CHECK, "name": "DBS check", "completed_on": TODAY - 10 * DAY}
    values.update(fields)
    return factories.OnboardingCheckFactory(membership=membership, **values)


def apply(world: World, **overrides: Any) -> NetworkMembership:
    arguments: dict[str, Any] = {
        "network": world.charity,
        "applicant": None,
        "name": "Siân O'Brien",
        "email": "sian@example.org",
        "contact_channel": VolunteerProfile.ContactChannel.PHONE,
        "phone": "07700 900123",
        "perspective": VolunteerProfile.Perspective.CARER,
        "statement": "  I cared for my wife through her treatment.  ",
        "heard_about": NetworkMembership.HeardAbout.HOSPITAL,
    }
    arguments.update(overrides)
    return apply_to_network(**arguments)


# apply_to_network


def test_apply_to_network_creates_account_without_password(world: World, frozen: object) -> None:
    membership = apply(world)

    user = User.objects.get(email="sian@example.org")
    assert (user.name, user.is_active, user.has_usable_password(), membership.volunteer.user) == (
        "Siân O'Brien",
        True,
        False,
        user,
    )


def test_apply_to_network_records_unverified_primary_email(world: World, frozen: object) -> None:
    apply(world)

    assert list(
        EmailAddress.objects.filter(email="sian@example.org").values_list("user__email", "primary", "verified")
    ) == [("sian@example.org", True, False)]


def test_apply_to_network_creates_profile_and_applicant_membership(world: World, frozen: object) -> None:
    membership = apply(world)

    membership.refresh_from_db()
    profile = membership.volunteer
    assert (profile.contact_channel, profile.perspective, profile.erased_at) == ("phone", "carer", None)
    assert (
        membership.network,
        membership.status,
        membership.statement,
        membership.heard_about,
        membership.decided_at,
        membership.decided_by,
        membership.decision_message,
        membership.paused_until,
        membership.status_changed_at,
    ) == (
        world.charity,
        "applicant",
        "I cared for my wife through her treatment.",
        "hospital",
        None,
        None,
        "",
        None,
        NOW,
    )


def test_apply_to_network_records_activity(world: World, frozen: object) -> None:
    membership = apply(world)

    user = User.objects.get(email="sian@example.org")
    assert logged("volunteer.applied") == [(user.pk, "networkmembership", str(membership.pk), world.charity.pk, {})]
    assert actions() == ["volunteer.applied"]


def test_apply_to_network_emails_each_lead_of_the_network_only(
    world: World, frozen: object, django_capture_on_commit_callbacks: Any
) -> None:
    second_lead = factories.staff(Membership.Role.LEAD, world.charity, email="lead2@a.example.org")
    factories.staff(Membership.Role.COORDINATOR, world.charity, email="coordinator@charity.example.org")
    gone = factories.staff(Membership.Role.LEAD, world.charity, email="gone@a.example.org")
    gone.is_active = False
    gone.save()

    with django_capture_on_commit_callbacks(execute=True):
        membership = apply(world)

    subject = "New application to Charity A from Siân O'Brien"
    assert sorted(sent()) == [(["lead2@a.example.org"], subject), (["lead@a.example.org"], subject)]
    review_url = settings.SITE_URL + reverse(
        "volunteers:network_volunteer", kwargs={"slug": "charity-a", "pk": membership.pk}
    )
    assert all(review_url in message.body for message in mail.outbox)
    assert sorted(Notification.objects.values_list("recipient", "template_key", "status")) == sorted(
        [
            (world.lead.pk, "volunteers/application_received", "sent"),
            (second_lead.pk, "volunteers/application_received", "sent"),
        ]
    )


def test_apply_to_network_other_network_emails_only_its_leads(
    world: World, frozen: object, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        apply(world, network=world.other_charity)

    assert sent() == [(["lead@b.example.org"], "New application to Charity B from Siân O'Brien")]


@pytest.mark.parametrize("email", ["LEAD@A.EXAMPLE.ORG", "Lead@a.example.org", "lead@A.example.org"])
def test_apply_to_network_email_in_use_any_case_is_refused(
    world: World, email: str, django_capture_on_commit_callbacks: Any
) -> None:
    before = counts()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(VolunteerError) as error:
        apply(world, email=email)

    assert str(error.value) == EMAIL_IN_USE
    assert counts() == before
    assert mail.outbox == []


def test_apply_to_network_signed_in_volunteer_applies_to_second_network(
    world: World, frozen: object, django_capture_on_commit_callbacks: Any
) -> None:
    profile = profile_of(world.volunteer)
    users_before = User.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        membership = apply(world, network=world.other_charity, applicant=world.volunteer, name="Someone Else")

    world.volunteer.refresh_from_db()
    assert (membership.volunteer, membership.status, User.objects.count()) == (profile, "applicant", users_before)
    assert world.volunteer.name.startswith("Person ")
    assert sorted(profile.memberships.values_list("network__name", "status")) == [
        ("Charity A", "active"),
        ("Charity B", "applicant"),
    ]
    assert sent() == [(["lead@b.example.org"], f"New application to Charity B from {world.volunteer.name}")]


def test_apply_to_network_signed_in_user_without_name_gets_the_name(world: World, frozen: object) -> None:
    world.outsider.name = ""
    world.outsider.save()

    membership = apply(world, applicant=world.outsider, name="  Zoë Adebayo ")

    world.outsider.refresh_from_db()
    assert (world.outsider.name, membership.volunteer.user) == ("Zoë Adebayo", world.outsider)
    assert EmailAddress.objects.filter(user=world.outsider).count() == 1


def test_apply_to_network_already_applied_is_refused(world: World, frozen: object) -> None:
    membership = apply(world)
    user = membership.volunteer.user
    before = counts()

    with pytest.raises(VolunteerError) as error:
        apply(world, applicant=user, perspective=VolunteerProfile.Perspective.BOTH)

    assert str(error.value) == "You have already applied to Charity A. A lead will be in touch."
    assert counts() == before
    assert profile_of(user).perspective == "carer"


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.PAUSED])
def test_apply_to_network_already_member_is_refused(world: World, status: str) -> None:
    membership = membership_of(world)
    membership.status = status
    membership.save()
    before = counts()

    with pytest.raises(VolunteerError) as error:
        apply(world, applicant=world.volunteer, contact_channel=VolunteerProfile.ContactChannel.POST)

    assert str(error.value) == "You are already part of Charity A."
    assert counts() == before
    assert (state_of(membership)["status"], profile_of(world.volunteer).contact_channel) == (status, "email")


@pytest.mark.parametrize("status", [Status.LEFT, Status.DECLINED])
def test_apply_to_network_again_after_leaving_or_declined_reopens_the_membership(
    world: World, status: str, frozen: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    membership = membership_of(world)
    membership.status = status
    membership.decided_by = world.lead
    membership.decided_at = NOW - DAY
    membership.decision_message = "Not this time."
    membership.statement = "Old statement"
    membership.save()

    with django_capture_on_commit_callbacks(execute=True):
        again = apply(world, applicant=world.volunteer, statement="I would like to come back.")

    assert again.pk == membership.pk
    assert state_of(membership) == {
        "status": "applicant",
        "decided_at": None,
        "decided_by": None,
        "decision_message": "",
        "paused_until": None,
        "status_changed_at": NOW,
    }
    assert (membership.statement, NetworkMembership.objects.filter(volunteer__user=world.volunteer).count()) == (
        "I would like to come back.",
        1,
    )
    assert len(mail.outbox) == 1


def test_apply_to_network_after_leaving_emails_the_leads_again(
    world: World, frozen: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        membership = apply(world)
        leave_network(membership=membership, actor=membership.volunteer.user)
    frozen.shift(datetime.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        apply(world, applicant=membership.volunteer.user)

    assert [message.to for message in mail.outbox] == [["lead@a.example.org"], ["lead@a.example.org"]]
    assert state_of(membership)["status"] == "applicant"


def test_apply_to_network_erased_profile_is_refused(world: World) -> None:
    profile = profile_of(world.volunteer)
    profile.erased_at = NOW
    profile.save()

    with pytest.raises(VolunteerError) as error:
        apply(world, network=world.other_charity, applicant=world.volunteer)

    assert str(error.value) == "This account can no longer be used."
    assert NetworkMembership.objects.filter(network=world.other_charity).count() == 0


@pytest.mark.parametrize("name", ["Siân O'Brien", "Zoë Ní Bhriain", "陈伟", "Ólafur Þórsson-Ægir", "Mary-Jane D'Arcy"])
def test_apply_to_network_unicode_names_are_stored_intact(
    world: World, name: str, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        membership = apply(world, name=name, email="new.person@example.org")

    user = User.objects.get(pk=membership.volunteer.user_id)
    assert (user.name, user.get_full_name(), membership.volunteer.display_name) == (name, name, name)
    assert sent() == [(["lead@a.example.org"], f"New application to Charity A from {name}")]


def test_apply_to_network_email_domain_is_normalised(world: World) -> None:
    apply(world, email=" Ann.Smith@EXAMPLE.ORG ")

    assert list(User.objects.filter(email__iexact="ann.smith@example.org").values_list("email", flat=True)) == [
        "Ann.Smith@example.org"
    ]


# accept_application, decline_application


def test_accept_application_without_checks_lists_both_missing(world: World) -> None:
    membership = applicant(world)

    with pytest.raises(VolunteerError) as error:
        accept_application(membership=membership, actor=world.lead)

    assert str(error.value) == "Before accepting, record: induction; confidentiality agreement."
    assert (state_of(membership)["status"], actions(), Notification.objects.count()) == ("applicant", [], 0)


def test_accept_application_missing_agreement_only(world: World) -> None:
    membership = applicant(world)
    factories.OnboardingCheckFactory(membership=membership, kind=Kind.INDUCTION)

    with pytest.raises(VolunteerError) as error:
        accept_application(membership=membership, actor=world.lead)

    assert str(error.value) == "Before accepting, record: confidentiality agreement."


def test_accept_application_induction_not_completed_is_missing(world: World) -> None:
    membership = applicant(world)
    factories.OnboardingCheckFactory(membership=membership, kind=Kind.INDUCTION, completed_on=None)
    factories.OnboardingCheckFactory(membership=membership, kind=Kind.CONFIDENTIALITY)

    with pytest.raises(VolunteerError) as error:
        accept_application(membership=membership, actor=world.lead)

    assert str(error.value) == "Before accepting, record: induction."


def test_accept_application_role_check_not_done_is_named(world: World, frozen: object) -> None:
    membership = factories.applicant_ready_to_accept(applicant(world))
    role_check(membership, completed_on=None)

    with pytest.raises(VolunteerError) as error:
        accept_application(membership=membership, actor=world.lead)

    assert str(error.value) == "Before accepting, record: DBS check (not complete or expired)."
    assert state_of(membership)["status"] == "applicant"


def test_accept_application_expired_role_check_is_named(world: World, frozen: object) -> None:
    membership = factories.applicant_ready_to_accept(applicant(world))
    role_check(membership, completed_on=TODAY - 400 * DAY, expires_on=TODAY - DAY)
    role_check(membership, name="Occupational health", completed_on=TODAY - 400 * DAY, expires_on=TODAY)

    with pytest.raises(VolunteerError) as error:
        accept_application(membership=membership, actor=world.lead)

    assert str(error.value) == "Before accepting, record: DBS check (not complete or expired)."


def test_accept_application_everything_missing_in_one_message(world: World, frozen: object) -> None:
    membership = applicant(world)
    role_check(membership, completed_on=None)

    with pytest.raises(VolunteerError) as error:
        accept_application(membership=membership, actor=world.lead)

    assert str(error.value) == (
        "Before accepting, record: induction; confidentiality agreement; DBS check (not complete or expired)."
    )


def test_accept_application_makes_the_volunteer_active(world: World, frozen: object) -> None:
    membership = factories.applicant_ready_to_accept(applicant(world))
    role_check(membership, expires_on=TODAY + 365 * DAY)

    accept_application(membership=membership, actor=world.lead, message="Welcome aboard!")

    assert state_of(membership) == {
        "status": "active",
        "decided_at": NOW,
        "decided_by": world.lead.pk,
        "decision_message": "Welcome aboard!",
        "paused_until": None,
        "status_changed_at": NOW,
    }
    assert logged("volunteer.active") == [
        (
            world.lead.pk,
            "networkmembership",
            str(membership.pk),
            world.charity.pk,
            {"from": "applicant", "to": "active"},
        )
    ]


def test_accept_application_emails_the_volunteer(
    world: World, frozen: object, django_capture_on_commit_callbacks: Any
) -> None:
    membership = factories.applicant_ready_to_accept(applicant(world))
    user = membership.volunteer.user

    with django_capture_on_commit_callbacks(execute=True):
        accept_application(membership=membership, actor=world.lead, message="See you at the induction day.")

    assert sent() == [([user.email], "Welcome to Charity A")]
    assert f"Dear {user.name}," in mail.outbox[0].body
    assert "See you at the induction day." in mail.outbox[0].body
    assert settings.SITE_URL + reverse("volunteers:my_volunteering") in mail.outbox[0].body


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.PAUSED, Status.LEFT, Status.DECLINED])
def test_accept_application_not_an_application_is_refused(world: World, status: str) -> None:
    membership = factories.applicant_ready_to_accept(
        factories.NetworkMembershipFactory(network=world.charity, status=status)
    )
    before = state_of(membership)

    with pytest.raises(VolunteerError) as error:
        accept_application(membership=membership, actor=world.lead)

    assert str(error.value) == "Only an application waiting for a decision can be accepted."
    assert (state_of(membership), actions()) == (before, [])


@pytest.mark.parametrize("message", ["", "   ", "\n\t"])
def test_decline_application_needs_a_message(world: World, message: str) -> None:
    membership = applicant(world)

    with pytest.raises(VolunteerError) as error:
        decline_application(membership=membership, actor=world.lead, message=message)

    assert str(error.value) == "Please write a short message to the applicant explaining the decision."
    assert (state_of(membership)["status"], actions(), Notification.objects.count()) == ("applicant", [], 0)


def test_decline_application_records_decision_and_emails(
    world: World, frozen: object, django_capture_on_commit_callbacks: Any
) -> None:
    membership = applicant(world)
    user = membership.volunteer.user

    with django_capture_on_commit_callbacks(execute=True):
        decline_application(membership=membership, actor=world.lead, message="  We are full this year.  ")

    assert state_of(membership) == {
        "status": "declined",
        "decided_at": NOW,
        "decided_by": world.lead.pk,
        "decision_message": "We are full this year.",
        "paused_until": None,
        "status_changed_at": NOW,
    }
    assert logged("volunteer.declined") == [
        (
            world.lead.pk,
            "networkmembership",
            str(membership.pk),
            world.charity.pk,
            {"from": "applicant", "to": "declined"},
        )
    ]
    assert sent() == [([user.email], "Your application to Charity A")]
    assert "We are full this year." in mail.outbox[0].body


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.PAUSED, Status.LEFT, Status.DECLINED])
def test_decline_application_not_an_application_is_refused(world: World, status: str) -> None:
    membership = factories.NetworkMembershipFactory(network=world.charity, status=status)
    before = state_of(membership)

    with pytest.raises(VolunteerError) as error:
        decline_application(membership=membership, actor=world.lead, message="No.")

    assert str(error.value) == "Only an application waiting for a decision can be declined."
    assert (state_of(membership), actions()) == (before, [])


# The status machine

ALLOWED = {
    ("applicant", "active"),
    ("applicant", "declined"),
    ("applicant", "left"),
    ("active", "paused"),
    ("active", "left"),
    ("paused", "active"),
    ("paused", "left"),
    ("left", "applicant"),
    ("declined", "applicant"),
}
LABELS = {
    "applicant": "applicant",
    "active": "active",
    "paused": "paused",
    "left": "left",
    "declined": "application declined",
}
ALL_PAIRS = [(start, end) for start in Status.values for end in Status.values]


@pytest.mark.parametrize(("start", "end"), [pair for pair in ALL_PAIRS if pair not in ALLOWED])
def test_set_status_illegal_transition_changes_nothing(world: World, start: str, end: str) -> None:
    membership = factories.NetworkMembershipFactory(
        network=world.charity, status=start, paused_until=TODAY + DAY if start == "paused" else None
    )
    before = state_of(membership)

    with pytest.raises(VolunteerError) as error:
        set_membership_status(membership, end, actor=world.lead)

    assert str(error.value) == f"A volunteer who is {LABELS[start]} cannot become {LABELS[end]}."
    assert (state_of(membership), actions()) == (before, [])


@pytest.mark.parametrize(("start", "end"), sorted(ALLOWED))
def test_set_status_legal_transition_is_recorded(world: World, frozen: object, start: str, end: str) -> None:
    membership = factories.NetworkMembershipFactory(
        network=world.charity, status=start, paused_until=datetime.date(2026, 4, 1) if start == "paused" else None
    )

    set_membership_status(membership, end, actor=world.lead)

    state = state_of(membership)
    assert (state["status"], state["status_changed_at"], state["paused_until"]) == (end, NOW, None)
    assert logged(f"volunteer.{end}") == [
        (world.lead.pk, "networkmembership", str(membership.pk), world.charity.pk, {"from": start, "to": end})
    ]


def test_set_status_illegal_transitions_are_exactly_the_rest() -> None:
    assert len(ALL_PAIRS) - len(ALLOWED) == 16


# record_check, missing_onboarding


@pytest.mark.parametrize("name", ["", "   "])
def test_record_check_role_check_needs_a_name(world: World, name: str) -> None:
    membership = applicant(world)

    with pytest.raises(VolunteerError) as error:
        record_check(membership=membership, actor=world.lead, kind=Kind.ROLE_CHECK, name=name, completed_on=TODAY)

    assert str(error.value) == "Please name the check, for example “DBS check”."
    assert (OnboardingCheck.objects.count(), actions()) == (0, [])


def test_record_check_completed_in_the_future_is_refused(world: World, frozen: object) -> None:
    membership = applicant(world)

    with pytest.raises(VolunteerError) as error:
        record_check(membership=membership, actor=world.lead, kind=Kind.INDUCTION, completed_on=TODAY + DAY)

    assert str(error.value) == "The date it was completed cannot be in the future."
    assert (OnboardingCheck.objects.count(), actions()) == (0, [])


def test_record_check_completed_today_is_accepted(world: World, frozen: object) -> None:
    membership = applicant(world)

    check = record_check(membership=membership, actor=world.lead, kind=Kind.INDUCTION, completed_on=TODAY)

    assert (check.completed_on, check.is_done) == (TODAY, True)


@pytest.mark.parametrize("expires_on", [TODAY - 10 * DAY, TODAY - 11 * DAY, TODAY - 400 * DAY])
def test_record_check_expiry_on_or_before_completion_is_refused(
    world: World, frozen: object, expires_on: datetime.date
) -> None:
    membership = applicant(world)

    with pytest.raises(VolunteerError) as error:
        record_check(
            membership=membership,
            actor=world.lead,
            kind=Kind.ROLE_CHECK,
            name="DBS check",
            completed_on=TODAY - 10 * DAY,
            expires_on=expires_on,
        )

    assert str(error.value) == "The expiry date must be after the date it was completed."
    assert (OnboardingCheck.objects.count(), actions()) == (0, [])


def test_record_check_creates_a_role_check(world: World, frozen: object) -> None:
    membership = applicant(world)

    check = record_check(
        membership=membership,
        actor=world.lead,
        kind=Kind.ROLE_CHECK,
        name="  Enhanced DBS check ",
        completed_on=TODAY - 3 * DAY,
        expires_on=TODAY + 1000 * DAY,
    )

    check.refresh_from_db()
    assert (check.membership, check.kind, check.name, check.completed_on, check.expires_on, check.label) == (
        membership,
        "role_check",
        "Enhanced DBS check",
        TODAY - 3 * DAY,
        TODAY + 1000 * DAY,
        "Enhanced DBS check",
    )
    assert logged("volunteer.check_recorded") == [
        (
            world.lead.pk,
            "onboardingcheck",
            str(check.pk),
            world.charity.pk,
            {"kind": "role_check", "membership": membership.pk},
        )
    ]


@pytest.mark.parametrize("kind", [Kind.INDUCTION, Kind.CONFIDENTIALITY])
def test_record_check_one_induction_and_agreement_per_membership_updated_in_place(
    world: World, frozen: object, kind: str
) -> None:
    membership = applicant(world)
    first = record_check(membership=membership, actor=world.lead, kind=kind, completed_on=None)

    second = record_check(membership=membership, actor=world.lead, kind=kind, completed_on=TODAY - DAY)

    assert second.pk == first.pk
    assert list(OnboardingCheck.objects.filter(membership=membership).values_list("kind", "completed_on")) == [
        (kind, TODAY - DAY)
    ]
    assert len(logged("volunteer.check_recorded")) == 2


def test_record_check_several_role_checks_are_kept_apart(world: World, frozen: object) -> None:
    membership = applicant(world)

    record_check(membership=membership, actor=world.lead, kind=Kind.ROLE_CHECK, name="DBS check", completed_on=TODAY)
    record_check(membership=membership, actor=world.lead, kind=Kind.ROLE_CHECK, name="Occupational health")

    assert sorted(OnboardingCheck.objects.filter(membership=membership).values_list("name", flat=True)) == [
        "DBS check",
        "Occupational health",
    ]


def test_record_check_updates_a_given_role_check(world: World, frozen: object) -> None:
    membership = applicant(world)
    check = role_check(membership, expires_on=TODAY + 10 * DAY, expiry_warned_for=TODAY + 10 * DAY)

    updated = record_check(
        membership=membership,
        actor=world.lead,
        kind=Kind.ROLE_CHECK,
        name="DBS check",
        completed_on=TODAY,
        expires_on=TODAY + 1095 * DAY,
        check=check,
    )

    updated.refresh_from_db()
    assert (updated.pk, updated.completed_on, updated.expires_on, updated.expiry_warned_for) == (
        check.pk,
        TODAY,
        TODAY + 1095 * DAY,
        None,
    )
    assert OnboardingCheck.objects.count() == 1


def test_record_check_same_expiry_keeps_the_warning_mark(world: World, frozen: object) -> None:
    membership = applicant(world)
    check = role_check(membership, expires_on=TODAY + 10 * DAY, expiry_warned_for=TODAY + 10 * DAY)

    record_check(
        membership=membership,
        actor=world.lead,
        kind=Kind.ROLE_CHECK,
        name="DBS check (renamed)",
        completed_on=check.completed_on,
        expires_on=TODAY + 10 * DAY,
        check=check,
    )

    check.refresh_from_db()
    assert (check.name, check.expiry_warned_for) == ("DBS check (renamed)", TODAY + 10 * DAY)


def test_record_check_someone_elses_check_is_refused(world: World, frozen: object) -> None:
    membership = applicant(world)
    other = role_check(applicant(world))

    with pytest.raises(VolunteerError) as error:
        record_check(
            membership=membership,
            actor=world.lead,
            kind=Kind.ROLE_CHECK,
            name="Hijack",
            completed_on=TODAY,
            check=other,
        )

    assert str(error.value) == "That check belongs to someone else."
    other.refresh_from_db()
    assert (other.name, other.membership_id, actions()) == ("DBS check", other.membership_id, [])


def test_missing_onboarding_lists_what_is_lacking(world: World, frozen: object) -> None:
    membership = applicant(world)
    assert missing_onboarding(membership) == ["induction", "confidentiality agreement"]

    factories.applicant_ready_to_accept(membership)
    assert missing_onboarding(membership) == []

    role_check(membership, name="Occupational health", completed_on=None)
    role_check(membership, name="DBS check", expires_on=TODAY + DAY)
    assert missing_onboarding(membership) == ["Occupational health (not complete or expired)"]


def test_missing_onboarding_expired_induction_counts_as_missing(world: World, frozen: object) -> None:
    membership = applicant(world)
    factories.OnboardingCheckFactory(
        membership=membership, kind=Kind.INDUCTION, completed_on=TODAY - 800 * DAY, expires_on=TODAY - DAY
    )
    factories.OnboardingCheckFactory(membership=membership, kind=Kind.CONFIDENTIALITY)

    assert missing_onboarding(membership) == ["induction"]


def test_missing_onboarding_check_expiring_today_is_still_done(world: World, frozen: object) -> None:
    membership = factories.applicant_ready_to_accept(applicant(world))
    role_check(membership, expires_on=TODAY)

    assert missing_onboarding(membership) == []


# Pausing, reactivating, resuming returning volunteers and leaving


@pytest.fixture
def in_two_networks(world: World) -> VolunteerProfile:
    """The world's volunteer: active in Charity A and in Charity B, applicant at University A's pool."""
    profile = profile_of(world.volunteer)
    factories.NetworkMembershipFactory(volunteer=profile, network=world.other_charity)
    factories.NetworkMembershipFactory(volunteer=profile, network=world.university, status=Status.APPLICANT)
    return profile


def statuses(profile: VolunteerProfile) -> list[tuple[str, str, datetime.date | None]]:
    return list(
        NetworkMembership.objects.filter(volunteer=profile)
        .order_by("network__name")
        .values_list("network__name", "status", "paused_until")
    )


def test_pause_volunteer_pauses_every_active_membership(
    world: World, frozen: object, in_two_networks: VolunteerProfile
) -> None:
    until = datetime.date(2026, 6, 1)

    paused = pause_volunteer(profile=in_two_networks, actor=world.volunteer, until=until)

    assert sorted(membership.network.name for membership in paused) == ["Charity A", "Charity B"]
    assert statuses(in_two_networks) == [
        ("Charity A", "paused", until),
        ("Charity B", "paused", until),
        ("University A", "applicant", None),
    ]
    assert sorted(row[3] for row in logged("volunteer.paused")) == sorted([world.charity.pk, world.other_charity.pk])
    assert {row[4]["from"] for row in logged("volunteer.paused")} == {"active"}


def test_pause_volunteer_in_one_network(world: World, frozen: object, in_two_networks: VolunteerProfile) -> None:
    paused = pause_volunteer(profile=in_two_networks, actor=world.lead, network=world.charity)

    assert [membership.network for membership in paused] == [world.charity]
    assert statuses(in_two_networks) == [
        ("Charity A", "paused", None),
        ("Charity B", "active", None),
        ("University A", "applicant", None),
    ]
    assert [(row[0], row[3]) for row in logged("volunteer.paused")] == [(world.lead.pk, world.charity.pk)]


@pytest.mark.parametrize("until", [TODAY, TODAY - DAY, datetime.date(2020, 1, 1)])
def test_pause_volunteer_return_date_must_be_in_the_future(
    world: World, frozen: object, in_two_networks: VolunteerProfile, until: datetime.date
) -> None:
    before = statuses(in_two_networks)

    with pytest.raises(VolunteerError) as error:
        pause_volunteer(profile=in_two_networks, actor=world.volunteer, until=until)

    assert str(error.value) == "The return date must be in the future."
    assert (statuses(in_two_networks), actions()) == (before, [])


def test_pause_volunteer_return_date_tomorrow_is_accepted(world: World, frozen: object) -> None:
    pause_volunteer(profile=profile_of(world.volunteer), actor=world.volunteer, until=TODAY + DAY)

    assert state_of(membership_of(world))["paused_until"] == TODAY + DAY


def test_pause_volunteer_uses_uk_date_after_midnight_in_summer(world: World) -> None:
    # 23:30 UTC on 1 July is 00:30 on 2 July in London: 2 July is today, not the future.
    with time_machine.travel(datetime.datetime(2026, 7, 1, 23, 30, tzinfo=datetime.UTC), tick=False):
        with pytest.raises(VolunteerError):
            pause_volunteer(profile=profile_of(world.volunteer), actor=world.volunteer, until=datetime.date(2026, 7, 2))
        pause_volunteer(profile=profile_of(world.volunteer), actor=world.volunteer, until=datetime.date(2026, 7, 3))

    assert state_of(membership_of(world))["paused_until"] == datetime.date(2026, 7, 3)


@pytest.mark.parametrize("status", [Status.APPLICANT, Status.PAUSED, Status.LEFT, Status.DECLINED])
def test_pause_volunteer_nothing_to_pause(world: World, status: str) -> None:
    membership = membership_of(world)
    membership.status = status
    membership.save()

    with pytest.raises(VolunteerError) as error:
        pause_volunteer(profile=profile_of(world.volunteer), actor=world.volunteer)

    assert str(error.value) == "There is nothing to pause: no active membership."
    assert (state_of(membership)["status"], actions()) == (status, [])


def test_pause_volunteer_in_a_network_where_not_active(world: World, in_two_networks: VolunteerProfile) -> None:
    with pytest.raises(VolunteerError) as error:
        pause_volunteer(profile=in_two_networks, actor=world.lead, network=world.university)

    assert str(error.value) == "There is nothing to pause: no active membership."


def test_reactivate_volunteer_makes_paused_memberships_active(
    world: World, frozen: object, in_two_networks: VolunteerProfile
) -> None:
    pause_volunteer(profile=in_two_networks, actor=world.volunteer, until=TODAY + 30 * DAY)

    resumed = reactivate_volunteer(profile=in_two_networks, actor=world.volunteer)

    assert len(resumed) == 2
    assert statuses(in_two_networks) == [
        ("Charity A", "active", None),
        ("Charity B", "active", None),
        ("University A", "applicant", None),
    ]
    assert [row[4] for row in logged("volunteer.active")] == [{"from": "paused", "to": "active"}] * 2


def test_reactivate_volunteer_in_one_network(world: World, frozen: object, in_two_networks: VolunteerProfile) -> None:
    pause_volunteer(profile=in_two_networks, actor=world.volunteer)

    reactivate_volunteer(profile=in_two_networks, actor=world.lead, network=world.charity)

    assert statuses(in_two_networks) == [
        ("Charity A", "active", None),
        ("Charity B", "paused", None),
        ("University A", "applicant", None),
    ]


def test_reactivate_volunteer_nothing_paused(world: World) -> None:
    with pytest.raises(VolunteerError) as error:
        reactivate_volunteer(profile=profile_of(world.volunteer), actor=world.lead)

    assert str(error.value) == "There is nothing to resume: no paused membership."
    assert actions() == []


def test_resume_returning_volunteers_on_the_return_date_not_before(world: World) -> None:
    profile = profile_of(world.volunteer)
    returns = datetime.date(2026, 3, 20)
    with time_machine.travel(NOW, tick=False):
        pause_volunteer(profile=profile, actor=world.volunteer, until=returns)

    with time_machine.travel(datetime.datetime(2026, 3, 19, 23, 59, tzinfo=datetime.UTC), tick=False):
        assert resume_returning_volunteers() == 0
    assert state_of(membership_of(world))["status"] == "paused"

    with time_machine.travel(datetime.datetime(2026, 3, 20, 0, 15, tzinfo=datetime.UTC), tick=False):
        assert resume_returning_volunteers() == 1
    assert state_of(membership_of(world))["status"] == "active"
    assert state_of(membership_of(world))["paused_until"] is None
    assert logged("volunteer.active") == [
        (None, "networkmembership", str(membership_of(world).pk), world.charity.pk, {"from": "paused", "to": "active"})
    ]


def test_resume_returning_volunteers_in_summer_uses_uk_date(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        pause_volunteer(profile=profile_of(world.volunteer), actor=world.volunteer, until=datetime.date(2026, 7, 2))

    # 22:59 UTC on 1 July is 23:59 BST: still 1 July in London.
    with time_machine.travel(datetime.datetime(2026, 7, 1, 22, 59, tzinfo=datetime.UTC), tick=False):
        assert resume_returning_volunteers() == 0
    # 23:15 UTC on 1 July is 00:15 BST on 2 July, when beat runs the job.
    with time_machine.travel(datetime.datetime(2026, 7, 1, 23, 15, tzinfo=datetime.UTC), tick=False):
        assert resume_returning_volunteers() == 1


def test_resume_returning_volunteers_is_idempotent(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        pause_volunteer(profile=profile_of(world.volunteer), actor=world.volunteer, until=TODAY + 5 * DAY)

    with time_machine.travel(NOW + 10 * DAY, tick=False):
        assert [resume_returning_volunteers(), resume_returning_volunteers()] == [1, 0]

    assert (state_of(membership_of(world))["status"], len(logged("volunteer.active"))) == ("active", 1)


def test_resume_returning_volunteers_leaves_open_ended_pauses(world: World, frozen: object) -> None:
    pause_volunteer(profile=profile_of(world.volunteer), actor=world.volunteer)

    assert resume_returning_volunteers(today=TODAY + 365 * DAY) == 0
    assert state_of(membership_of(world))["status"] == "paused"


def test_resume_returning_volunteers_with_explicit_day(world: World, frozen: object) -> None:
    pause_volunteer(profile=profile_of(world.volunteer), actor=world.volunteer, until=TODAY + 3 * DAY)

    assert resume_returning_volunteers(today=TODAY + 2 * DAY) == 0
    assert resume_returning_volunteers(today=TODAY + 3 * DAY) == 1


@pytest.mark.parametrize("status", [Status.APPLICANT, Status.ACTIVE, Status.PAUSED])
def test_leave_network_records_left(world: World, frozen: object, status: str) -> None:
    membership = factories.NetworkMembershipFactory(network=world.charity, status=status)
    actor = membership.volunteer.user

    left = leave_network(membership=membership, actor=actor)

    assert (left.status, state_of(membership)["status"], state_of(membership)["status_changed_at"]) == (
        "left",
        "left",
        NOW,
    )
    assert logged("volunteer.left") == [
        (actor.pk, "networkmembership", str(membership.pk), world.charity.pk, {"from": status, "to": "left"})
    ]


@pytest.mark.parametrize(("status", "label"), [(Status.LEFT, "left"), (Status.DECLINED, "application declined")])
def test_leave_network_twice_is_refused(world: World, status: str, label: str) -> None:
    membership = factories.NetworkMembershipFactory(network=world.charity, status=status)

    with pytest.raises(VolunteerError) as error:
        leave_network(membership=membership, actor=membership.volunteer.user)

    assert str(error.value) == f"A volunteer who is {label} cannot become left."
    assert actions() == []


# update_profile


def test_update_profile_unknown_field_is_refused(world: World) -> None:
    profile = profile_of(world.volunteer)

    with pytest.raises(VolunteerError) as error:
        update_profile(
            profile=profile, actor=world.volunteer, changes={"pronouns": "she/her", "is_staff": True, "erased_at": None}
        )

    assert str(error.value) == "Unknown profile fields: erased_at, is_staff."
    profile.refresh_from_db()
    assert (profile.pronouns, actions()) == ("", [])


def test_update_profile_changes_fields_and_logs_names_only(world: World) -> None:
    profile = profile_of(world.volunteer)

    update_profile(
        profile=profile,
        actor=world.volunteer,
        changes={"pronouns": "they/them", "biography": "Diagnosed in 2019.", "travel_miles": 25, "phone": ""},
    )

    profile.refresh_from_db()
    assert (profile.pronouns, profile.biography, profile.travel_miles) == ("they/them", "Diagnosed in 2019.", 25)
    assert logged("volunteer.profile_updated") == [
        (
            world.volunteer.pk,
            "volunteerprofile",
            str(profile.pk),
            None,
            {"fields": ["biography", "pronouns", "travel_miles"]},
        )
    ]
    everything_logged = json.dumps(list(ActivityLog.objects.values("action", "data")))
    assert "they/them" not in everything_logged
    assert "2019" not in everything_logged


def test_update_profile_changes_the_name(world: World) -> None:
    profile = profile_of(world.volunteer)

    update_profile(profile=profile, actor=world.volunteer, changes={}, name="  Siân Ó Briain ")

    world.volunteer.refresh_from_db()
    assert world.volunteer.name == "Siân Ó Briain"
    assert [row[4] for row in logged("volunteer.profile_updated")] == [{"fields": ["name"]}]


@pytest.mark.parametrize("name", [None, "", "   "])
def test_update_profile_empty_name_is_ignored(world: World, name: str | None) -> None:
    before = world.volunteer.name

    update_profile(profile=profile_of(world.volunteer), actor=world.volunteer, changes={}, name=name)

    world.volunteer.refresh_from_db()
    assert (world.volunteer.name, actions()) == (before, [])


def test_update_profile_tags_from_own_network(world: World) -> None:
    profile = profile_of(world.volunteer)
    radiotherapy = factories.ExperienceTagFactory(network=world.charity, name="radiotherapy")
    secondary = factories.ExperienceTagFactory(network=world.charity, name="secondary breast cancer")

    update_profile(profile=profile, actor=world.volunteer, changes={"experience_tags": [radiotherapy, secondary]})

    assert sorted(profile.experience_tags.values_list("name", flat=True)) == ["radiotherapy", "secondary breast cancer"]
    assert [row[4] for row in logged("volunteer.profile_updated")] == [{"fields": ["experience_tags"]}]


def test_update_profile_tags_from_another_network_are_refused_and_nothing_changes(world: World) -> None:
    profile = profile_of(world.volunteer)
    own = factories.ExperienceTagFactory(network=world.charity, name="radiotherapy")
    foreign = factories.ExperienceTagFactory(network=world.other_charity, name="carer of a partner")
    name_before = world.volunteer.name

    with pytest.raises(VolunteerError) as error:
        update_profile(
            profile=profile,
            actor=world.volunteer,
            changes={"pronouns": "she/her", "experience_tags": [own, foreign]},
            name="New Name",
        )

    assert str(error.value) == "Please choose experience from your own networks' lists."
    profile.refresh_from_db()
    world.volunteer.refresh_from_db()
    assert (profile.pronouns, list(profile.experience_tags.all()), world.volunteer.name, actions()) == (
        "",
        [],
        name_before,
        [],
    )


def test_update_profile_by_staff_special_category_is_recorded(world: World) -> None:
    profile = profile_of(world.volunteer)
    tag = factories.ExperienceTagFactory(network=world.charity, name="radiotherapy")

    update_profile(
        profile=profile,
        actor=world.lead,
        changes={
            "topics_to_avoid": "My daughter's illness",
            "experience_tags": [tag],
            "step_free_access": True,
            "pronouns": "she/her",
        },
    )

    assert logged("volunteer.special_category_changed") == [
        (
            world.lead.pk,
            "volunteerprofile",
            str(profile.pk),
            None,
            {"fields": ["experience_tags", "step_free_access", "topics_to_avoid"]},
        )
    ]
    assert [row[4] for row in logged("volunteer.profile_updated")] == [
        {"fields": ["experience_tags", "pronouns", "step_free_access", "topics_to_avoid"]}
    ]
    assert "daughter" not in json.dumps(list(ActivityLog.objects.values_list("data", flat=True)))


def test_update_profile_by_staff_ordinary_fields_only_is_not_special(world: World) -> None:
    update_profile(profile=profile_of(world.volunteer), actor=world.lead, changes={"pronouns": "he/him"})

    assert actions() == ["volunteer.profile_updated"]


def test_update_profile_by_the_volunteer_special_category_is_not_flagged(world: World) -> None:
    update_profile(
        profile=profile_of(world.volunteer),
        actor=world.volunteer,
        changes={"topics_to_avoid": "Hospital food", "payment_preference": "expenses_only", "rest_breaks": True},
    )

    assert actions() == ["volunteer.profile_updated"]
    assert [row[4] for row in logged("volunteer.profile_updated")] == [
        {"fields": ["payment_preference", "rest_breaks", "topics_to_avoid"]}
    ]


def test_update_profile_no_change_writes_nothing(world: World) -> None:
    profile = profile_of(world.volunteer)
    tag = factories.ExperienceTagFactory(network=world.charity)
    profile.experience_tags.set([tag])
    profile.pronouns = "she/her"
    profile.travel_miles = 10
    profile.save()
    profile.refresh_from_db()
    updated_at = profile.updated_at

    update_profile(
        profile=profile,
        actor=world.lead,
        changes={"pronouns": "she/her", "travel_miles": 10, "experience_tags": [tag], "topics_to_avoid": ""},
        name=world.volunteer.name,
    )

    profile.refresh_from_db()
    assert (profile.updated_at, actions()) == (updated_at, [])


# set_weekly_availability


def slots_of(profile: VolunteerProfile) -> set[tuple[int, str]]:
    return set(WeeklyAvailability.objects.filter(volunteer=profile).values_list("weekday", "part_of_day"))


def test_set_weekly_availability_replaces_the_pattern(world: World) -> None:
    profile = profile_of(world.volunteer)
    set_weekly_availability(profile=profile, actor=world.volunteer, slots=[(0, "morning"), (1, "afternoon")])
    kept = WeeklyAvailability.objects.get(volunteer=profile, weekday=1, part_of_day="afternoon")

    result = set_weekly_availability(
        profile=profile, actor=world.volunteer, slots=[(1, "afternoon"), ("2", "evening"), (2, "evening")]
    )

    assert result == {(1, "afternoon"), (2, "evening")}
    assert slots_of(profile) == {(1, "afternoon"), (2, "evening")}
    assert WeeklyAvailability.objects.get(volunteer=profile, weekday=1, part_of_day="afternoon").pk == kept.pk
    assert [row[4] for row in logged("volunteer.availability_updated")] == [{"slots": 2}, {"slots": 2}]


def test_set_weekly_availability_leaves_other_volunteers_alone(world: World) -> None:
    other = factories.WeeklyAvailabilityFactory(weekday=4, part_of_day="evening")

    set_weekly_availability(profile=profile_of(world.volunteer), actor=world.volunteer, slots=[])

    assert slots_of(other.volunteer) == {(4, "evening")}


def test_set_weekly_availability_empty_clears(world: World) -> None:
    profile = profile_of(world.volunteer)
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=3, part_of_day="morning")

    set_weekly_availability(profile=profile, actor=world.volunteer, slots=[])

    assert (slots_of(profile), [row[4] for row in logged("volunteer.availability_updated")]) == (set(), [{"slots": 0}])


def test_set_weekly_availability_same_pattern_writes_nothing(world: World) -> None:
    profile = profile_of(world.volunteer)
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=3, part_of_day="morning")

    set_weekly_availability(profile=profile, actor=world.volunteer, slots=[(3, "morning")])

    assert (slots_of(profile), actions()) == ({(3, "morning")}, [])


@pytest.mark.parametrize("bad", [(7, "morning"), (-1, "evening"), (2, "night"), (2, ""), (2, "Morning")])
def test_set_weekly_availability_invalid_slot_is_refused(world: World, bad: tuple[int, str]) -> None:
    profile = profile_of(world.volunteer)
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=3, part_of_day="morning")

    with pytest.raises(VolunteerError) as error:
        set_weekly_availability(profile=profile, actor=world.volunteer, slots=[(0, "morning"), bad])

    assert str(error.value) == "That is not a day and part of the day we know."
    assert (slots_of(profile), actions()) == ({(3, "morning")}, [])


# add_time_away, remove_time_away


def test_add_time_away_end_before_start_is_refused(world: World, frozen: object) -> None:
    with pytest.raises(VolunteerError) as error:
        add_time_away(
            profile=profile_of(world.volunteer),
            actor=world.volunteer,
            starts_on=TODAY + 10 * DAY,
            ends_on=TODAY + 9 * DAY,
        )

    assert str(error.value) == "The last day away must be on or after the first day."
    assert (TimeAway.objects.count(), actions()) == (0, [])


@pytest.mark.parametrize(("starts", "ends"), [(-10, -1), (-30, -20)])
def test_add_time_away_in_the_past_is_refused(world: World, frozen: object, starts: int, ends: int) -> None:
    with pytest.raises(VolunteerError) as error:
        add_time_away(
            profile=profile_of(world.volunteer),
            actor=world.volunteer,
            starts_on=TODAY + starts * DAY,
            ends_on=TODAY + ends * DAY,
        )

    assert str(error.value) == "Those dates are in the past."
    assert (TimeAway.objects.count(), actions()) == (0, [])


@pytest.mark.parametrize(("starts", "ends"), [(0, 0), (-3, 0), (5, 5), (1, 30)])
def test_add_time_away_records_the_dates(world: World, frozen: object, starts: int, ends: int) -> None:
    profile = profile_of(world.volunteer)

    away = add_time_away(
        profile=profile,
        actor=world.volunteer,
        starts_on=TODAY + starts * DAY,
        ends_on=TODAY + ends * DAY,
        note="  Chemotherapy cycle ",
    )

    assert list(TimeAway.objects.values_list("volunteer", "starts_on", "ends_on", "note")) == [
        (profile.pk, TODAY + starts * DAY, TODAY + ends * DAY, "Chemotherapy cycle")
    ]
    assert away.pk is not None
    assert logged("volunteer.time_away_added") == [(world.volunteer.pk, "volunteerprofile", str(profile.pk), None, {})]


def test_remove_time_away_deletes_it(world: World, frozen: object) -> None:
    profile = profile_of(world.volunteer)
    away = factories.TimeAwayFactory(volunteer=profile)
    other = factories.TimeAwayFactory()

    remove_time_away(away=away, actor=world.volunteer)

    assert list(TimeAway.objects.values_list("pk", flat=True)) == [other.pk]
    assert logged("volunteer.time_away_removed") == [
        (world.volunteer.pk, "volunteerprofile", str(profile.pk), None, {})
    ]


# add_experience_tag


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_add_experience_tag_empty_is_refused(world: World, name: str) -> None:
    with pytest.raises(VolunteerError) as error:
        add_experience_tag(network=world.charity, name=name, actor=world.lead)

    assert str(error.value) == "Please enter the experience, for example “secondary breast cancer”."
    assert (ExperienceTag.objects.count(), actions()) == (0, [])


@pytest.mark.parametrize("name", ["Radiotherapy", "RADIOTHERAPY", "  radiotherapy  "])
def test_add_experience_tag_duplicate_any_case_is_refused(world: World, name: str) -> None:
    factories.ExperienceTagFactory(network=world.charity, name="radiotherapy")

    with pytest.raises(VolunteerError) as error:
        add_experience_tag(network=world.charity, name=name, actor=world.lead)

    assert str(error.value) == f"“{name.strip()}” is already on the list."
    assert (ExperienceTag.objects.count(), actions()) == (1, [])


def test_add_experience_tag_collapses_spaces_and_records(world: World) -> None:
    tag = add_experience_tag(network=world.charity, name="  primary   breast\tcancer ", actor=world.lead)

    assert (tag.network, tag.name) == (world.charity, "primary breast cancer")
    assert logged("volunteer.tag_added") == [(world.lead.pk, "experiencetag", str(tag.pk), world.charity.pk, {})]


def test_add_experience_tag_same_name_in_another_network_is_allowed(world: World) -> None:
    factories.ExperienceTagFactory(network=world.other_charity, name="radiotherapy")

    add_experience_tag(network=world.charity, name="radiotherapy", actor=world.lead)

    assert sorted(ExperienceTag.objects.values_list("network__name", "name")) == [
        ("Charity A", "radiotherapy"),
        ("Charity B", "radiotherapy"),
    ]


# record_special_category_view


def test_record_special_category_view_by_staff_is_logged(world: World) -> None:
    profile = profile_of(world.volunteer)

    record_special_category_view(profile=profile, actor=world.lead, where="network_volunteer")

    assert logged("volunteer.special_category_viewed") == [
        (world.lead.pk, "volunteerprofile", str(profile.pk), world.charity.pk, {"page": "network_volunteer"})
    ]


def test_record_special_category_view_by_the_volunteer_is_not_logged(world: World) -> None:
    record_special_category_view(profile=profile_of(world.volunteer), actor=world.volunteer, where="profile")

    assert actions() == []


def test_activity_targets_resolve_to_real_objects(world: World, frozen: object) -> None:
    membership = apply(world)

    row = ActivityLog.objects.get(action="volunteer.applied")
    assert (row.content_type, row.object_id) == (
        ContentType.objects.get_for_model(NetworkMembership),
        str(membership.pk),
    )


def test_apply_to_network_by_phone_without_a_number_is_refused(world: World, frozen: object) -> None:
    with pytest.raises(VolunteerError) as error:
        apply(world, phone="")

    assert (str(error.value), error.value.field) == (
        "Please give a phone number so we can call you or send you a text.",
        "phone",
    )
    assert User.objects.filter(email="sian@example.org").exists() is False


def test_update_profile_to_post_without_an_address_is_refused(world: World) -> None:
    profile = factories.NetworkMembershipFactory(network=world.charity).volunteer

    with pytest.raises(VolunteerError) as error:
        update_profile(profile=profile, actor=profile.user, changes={"contact_channel": "post"})

    assert error.value.field == "postal_address"
    profile.refresh_from_db()
    assert profile.contact_channel == "email"
