"""The periodic jobs: warning leads about expiring checks, and bringing paused volunteers back."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core import mail

from accounts.models import Membership, User
from involvement.celery import app
from involvement.models import Notification
from tests import factories
from tests.conftest import World
from volunteers.models import NetworkMembership, OnboardingCheck, VolunteerProfile
from volunteers.services import pause_volunteer, record_check, warn_expiring_checks
from volunteers.tasks import task_resume_returning_volunteers, task_warn_expiring_checks

Status = NetworkMembership.Status
DAY = datetime.timedelta(days=1)
EXPIRES = datetime.date(2026, 4, 1)


def at(day: datetime.date, hour: int = 6, minute: int = 30) -> time_machine.travel:
    """Travel to ``day`` at a UK wall-clock time (winter dates here, so UTC equals UK time)."""
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=datetime.UTC), tick=False
    )


@pytest.fixture
def second_lead(world: World) -> User:
    return factories.staff(Membership.Role.LEAD, world.charity, email="lead2@a.example.org")


def membership_of(world: World) -> NetworkMembership:
    return NetworkMembership.objects.get(volunteer__user=world.volunteer, network=world.charity)


def dbs(membership: NetworkMembership, expires_on: datetime.date, name: str = "DBS check") -> OnboardingCheck:
    return factories.OnboardingCheckFactory(
        membership=membership,
        kind=OnboardingCheck.Kind.ROLE_CHECK,
        name=name,
        completed_on=datetime.date(2023, 4, 1),
        expires_on=expires_on,
    )


def run(capture: Any, on: datetime.date | None = None) -> int:
    with capture(execute=True):
        return warn_expiring_checks() if on is None else warn_expiring_checks(today=on)


def sent() -> list[tuple[list[str], str]]:
    return sorted((message.to, message.subject) for message in mail.outbox)


# warn_expiring_checks


def test_warn_expiring_checks_warns_each_lead_of_the_network_once(
    world: World, second_lead: User, django_capture_on_commit_callbacks: Any
) -> None:
    check = dbs(membership_of(world), EXPIRES)
    name = world.volunteer.name

    with at(EXPIRES - 30 * DAY):
        assert run(django_capture_on_commit_callbacks) == 1

    subject = f"{name}'s DBS check expires on Wednesday 1 April 2026"
    assert sent() == [(["lead2@a.example.org"], subject), (["lead@a.example.org"], subject)]
    assert sorted(Notification.objects.values_list("recipient", "template_key", "unique_key")) == sorted(
        [
            (world.lead.pk, "volunteers/check_expiring", f"check-expiring:{check.pk}:2026-04-01:lead:{world.lead.pk}"),
            (
                second_lead.pk,
                "volunteers/check_expiring",
                f"check-expiring:{check.pk}:2026-04-01:lead:{second_lead.pk}",
            ),
        ]
    )
    check.refresh_from_db()
    assert check.expiry_warned_for == EXPIRES


def test_warn_expiring_checks_email_links_to_the_volunteer(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    membership = membership_of(world)
    dbs(membership, EXPIRES)

    with at(EXPIRES - 30 * DAY):
        run(django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert f"/networks/charity-a/volunteers/{membership.pk}/" in message.body
    assert "Charity A" in message.body


def test_warn_expiring_checks_nothing_more_the_same_or_next_days(
    world: World, second_lead: User, django_capture_on_commit_callbacks: Any
) -> None:
    dbs(membership_of(world), EXPIRES)
    with at(EXPIRES - 30 * DAY):
        run(django_capture_on_commit_callbacks)

    with at(EXPIRES - 30 * DAY, hour=18):
        assert run(django_capture_on_commit_callbacks) == 0
    for days_before in [29, 10, 1, 0]:
        with at(EXPIRES - days_before * DAY):
            assert run(django_capture_on_commit_callbacks) == 0

    assert (len(mail.outbox), Notification.objects.count()) == (2, 2)


def test_warn_expiring_checks_renewal_warns_again_for_the_new_date(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    membership = membership_of(world)
    check = dbs(membership, EXPIRES)
    with at(EXPIRES - 30 * DAY):
        run(django_capture_on_commit_callbacks)

    renewed_until = datetime.date(2029, 3, 15)
    with at(EXPIRES - 5 * DAY):
        record_check(
            membership=membership,
            actor=world.lead,
            kind=OnboardingCheck.Kind.ROLE_CHECK,
            name="DBS check",
            completed_on=EXPIRES - 5 * DAY,
            expires_on=renewed_until,
            check=check,
        )
        assert run(django_capture_on_commit_callbacks) == 0
    with at(renewed_until - 31 * DAY):
        assert run(django_capture_on_commit_callbacks) == 0
    with at(renewed_until - 30 * DAY):
        assert run(django_capture_on_commit_callbacks) == 1

    assert [message.subject for message in mail.outbox] == [
        f"{world.volunteer.name}'s DBS check expires on Wednesday 1 April 2026",
        f"{world.volunteer.name}'s DBS check expires on Thursday 15 March 2029",
    ]


def test_warn_expiring_checks_31_days_ahead_waits_a_day(world: World, django_capture_on_commit_callbacks: Any) -> None:
    dbs(membership_of(world), EXPIRES)

    with at(EXPIRES - 31 * DAY):
        assert run(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    with at(EXPIRES - 30 * DAY):
        assert run(django_capture_on_commit_callbacks) == 1


def test_warn_expiring_checks_expired_check_is_not_warned(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    check = dbs(membership_of(world), EXPIRES)

    with at(EXPIRES + DAY):
        assert run(django_capture_on_commit_callbacks) == 0

    check.refresh_from_db()
    assert (mail.outbox, check.expiry_warned_for) == ([], None)


def test_warn_expiring_checks_expiring_today_is_still_warned(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """A check recorded late, first seen on its last valid day, still gets its one warning."""
    dbs(membership_of(world), EXPIRES)

    with at(EXPIRES):
        assert run(django_capture_on_commit_callbacks) == 1


def test_warn_expiring_checks_only_that_networks_leads(world: World, django_capture_on_commit_callbacks: Any) -> None:
    other = factories.NetworkMembershipFactory(network=world.other_charity)
    dbs(other, EXPIRES)
    gone = factories.staff(Membership.Role.LEAD, world.other_charity, email="gone@b.example.org")
    gone.is_active = False
    gone.save()

    with at(EXPIRES - 30 * DAY):
        run(django_capture_on_commit_callbacks)

    assert [message.to for message in mail.outbox] == [["lead@b.example.org"]]


def test_warn_expiring_checks_several_checks_each_warned(
    world: World, second_lead: User, django_capture_on_commit_callbacks: Any
) -> None:
    membership = membership_of(world)
    dbs(membership, EXPIRES)
    dbs(membership, EXPIRES - 10 * DAY, name="Occupational health")
    dbs(factories.NetworkMembershipFactory(network=world.charity, status=Status.PAUSED), EXPIRES)
    dbs(factories.NetworkMembershipFactory(network=world.charity, status=Status.APPLICANT), EXPIRES)

    with at(EXPIRES - 30 * DAY):
        assert run(django_capture_on_commit_callbacks) == 4

    assert len(mail.outbox) == 8


@pytest.mark.parametrize("status", [Status.LEFT, Status.DECLINED])
def test_warn_expiring_checks_not_for_people_who_left(
    world: World, status: str, django_capture_on_commit_callbacks: Any
) -> None:
    dbs(factories.NetworkMembershipFactory(network=world.charity, status=status), EXPIRES)

    with at(EXPIRES - 30 * DAY):
        assert run(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_warn_expiring_checks_checks_without_expiry_are_ignored(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    factories.applicant_ready_to_accept(membership_of(world))

    with at(EXPIRES):
        assert run(django_capture_on_commit_callbacks) == 0


def test_warn_expiring_checks_explicit_day(world: World, django_capture_on_commit_callbacks: Any) -> None:
    dbs(membership_of(world), EXPIRES)

    with at(datetime.date(2026, 1, 1)):
        assert run(django_capture_on_commit_callbacks, on=EXPIRES - 31 * DAY) == 0
        assert run(django_capture_on_commit_callbacks, on=EXPIRES - 30 * DAY) == 1


def test_warn_expiring_checks_uses_the_uk_date_in_summer(world: World, django_capture_on_commit_callbacks: Any) -> None:
    dbs(membership_of(world), datetime.date(2026, 8, 1))

    # 22:30 UTC on 1 July is 23:30 BST on 1 July: 31 days ahead.
    with time_machine.travel(datetime.datetime(2026, 7, 1, 22, 30, tzinfo=datetime.UTC), tick=False):
        assert run(django_capture_on_commit_callbacks) == 0
    # 23:30 UTC on 1 July is 00:30 BST on 2 July: 30 days ahead.
    with time_machine.travel(datetime.datetime(2026, 7, 1, 23, 30, tzinfo=datetime.UTC), tick=False):
        assert run(django_capture_on_commit_callbacks) == 1


# The Celery tasks


def test_task_warn_expiring_checks_runs_the_service(world: World, django_capture_on_commit_callbacks: Any) -> None:
    check = dbs(membership_of(world), EXPIRES)

    with at(EXPIRES - 30 * DAY), django_capture_on_commit_callbacks(execute=True):
        task_warn_expiring_checks.delay()
        task_warn_expiring_checks.delay()

    check.refresh_from_db()
    assert (check.expiry_warned_for, [message.to for message in mail.outbox]) == (EXPIRES, [["lead@a.example.org"]])


def test_task_resume_returning_volunteers_runs_the_service(world: World) -> None:
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    with at(datetime.date(2026, 3, 2)):
        pause_volunteer(profile=profile, actor=world.volunteer, until=datetime.date(2026, 3, 9))

    with at(datetime.date(2026, 3, 8), hour=0, minute=15):
        task_resume_returning_volunteers.delay()
    assert membership_of(world).status == "paused"

    with at(datetime.date(2026, 3, 9), hour=0, minute=15):
        task_resume_returning_volunteers.delay()
        task_resume_returning_volunteers.delay()
    membership = membership_of(world)
    assert (membership.status, membership.paused_until) == ("active", None)


@pytest.mark.parametrize(
    ("task", "schedule"),
    [
        (task_warn_expiring_checks, crontab(hour=6, minute=30)),
        (task_resume_returning_volunteers, crontab(hour=0, minute=15)),
    ],
)
def test_periodic_jobs_are_scheduled(task: Any, schedule: crontab) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE[task.name]

    assert (entry["task"], entry["schedule"]) == (task.name, schedule)
    assert app.tasks[task.name].name == task.name


def test_task_names_are_stable() -> None:
    assert (task_warn_expiring_checks.name, task_resume_returning_volunteers.name) == (
        "volunteers.warn_expiring_checks",
        "volunteers.resume_returning_volunteers",
    )
