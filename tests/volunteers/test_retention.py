"""The volunteers' retention rules: applications never confirmed (30 days) and the record of who
was shown special-category data (2 years)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, User
from involvement.models import ActivityLog, Notification
from tests import factories
from tests.conftest import World
from tests.sessions_app.factories import BookingFactory
from volunteers.models import NetworkMembership, VolunteerProfile
from volunteers.services import apply_to_network, delete_old_data_views, delete_unverified_applications

UTC = datetime.UTC
APPLIED = datetime.datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)
Status = NetworkMembership.Status


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(APPLIED, tick=False) as traveller:
        yield traveller


def apply(world: World, email: str, name: str = "Siân O'Brien") -> User:
    membership = apply_to_network(
        network=world.charity,
        applicant=None,
        name=name,
        email=email,
        contact_channel="email",
        perspective="service_user",
        statement="I had treatment here and would like to help students.",
    )
    return membership.volunteer.user


def emails() -> list[str]:
    return sorted(User.objects.values_list("email", flat=True))


# Applications never confirmed ---------------------------------------------------------------------


def test_delete_unverified_applications_30_days_after_applying(world: World, frozen: time_machine.Traveller) -> None:
    applicant = apply(world, "sian@example.org")
    profile_id = applicant.volunteer_profile.pk
    membership = NetworkMembership.objects.get(volunteer_id=profile_id)
    before = emails()

    just_inside = delete_unverified_applications(now=APPLIED + 30 * DAY - MINUTE)
    assert (just_inside, emails()) == (0, before)

    deleted = delete_unverified_applications(now=APPLIED + 30 * DAY + MINUTE)

    assert deleted == 1
    assert emails() == sorted(set(before) - {"sian@example.org"})
    assert (
        VolunteerProfile.objects.filter(pk=profile_id).exists(),
        NetworkMembership.objects.filter(pk=membership.pk).exists(),
        EmailAddress.objects.filter(email="sian@example.org").exists(),
    ) == (False, False, False)
    # The lead's "new application" email named her: its content is gone and it will not be sent.
    [to_lead] = Notification.objects.filter(template_key="volunteers/application_received")
    assert (to_lead.recipient, to_lead.about, to_lead.context, to_lead.status) == (
        world.lead,
        None,
        {},
        Notification.Status.FAILED,
    )
    # The audit trail keeps that an application was made, without who made it.
    [applied] = ActivityLog.objects.filter(action="volunteer.applied")
    assert (applied.actor, applied.object_id, applied.data) == (None, str(membership.pk), {})
    assert delete_unverified_applications(now=APPLIED + 30 * DAY + MINUTE) == 0


@pytest.mark.parametrize(
    "taken_further",
    ["confirmed their address", "signed in", "accepted by a lead", "declined by a lead", "holds a role", "was booked"],
)
def test_delete_unverified_applications_keeps_anyone_taken_further(
    world: World, frozen: time_machine.Traveller, taken_further: str
) -> None:
    applicant = apply(world, "sian@example.org")
    membership = NetworkMembership.objects.get(volunteer__user=applicant)
    if taken_further == "confirmed their address":
        EmailAddress.objects.filter(user=applicant).update(verified=True)
    elif taken_further == "signed in":
        User.objects.filter(pk=applicant.pk).update(last_login=APPLIED + DAY)
    elif taken_further == "accepted by a lead":
        NetworkMembership.objects.filter(pk=membership.pk).update(status=Status.ACTIVE)
    elif taken_further == "declined by a lead":
        NetworkMembership.objects.filter(pk=membership.pk).update(status=Status.DECLINED)
    elif taken_further == "holds a role":
        factories.MembershipFactory(user=applicant, organisation=world.university, role=Membership.Role.COORDINATOR)
    else:
        BookingFactory(volunteer=applicant.volunteer_profile)

    assert delete_unverified_applications(now=APPLIED + 365 * DAY) == 0
    assert User.objects.filter(pk=applicant.pk).exists()


def test_delete_unverified_applications_counts_from_the_latest_application(
    world: World, frozen: time_machine.Traveller
) -> None:
    """Applying to a second network 20 days later starts the 30 days again for the account."""
    applicant = apply(world, "sian@example.org")
    frozen.move_to(APPLIED + 20 * DAY)
    apply_to_network(
        network=world.other_charity,
        applicant=applicant,
        name="",
        email=applicant.email,
        contact_channel="email",
        perspective="service_user",
        statement="And here.",
    )

    assert delete_unverified_applications(now=APPLIED + 31 * DAY) == 0
    assert delete_unverified_applications(now=APPLIED + 50 * DAY + MINUTE) == 1


def test_delete_unverified_applications_in_batches(world: World, frozen: time_machine.Traveller) -> None:
    """250 accounts: three batches (three transactions), the same queries for each, never one per row."""
    users = User.objects.bulk_create(User(email=f"applicant{n}@example.org", name=f"Applicant {n}") for n in range(250))
    profiles = VolunteerProfile.objects.bulk_create(VolunteerProfile(user=user) for user in users)
    NetworkMembership.objects.bulk_create(
        NetworkMembership(volunteer=profile, network=world.charity, status=Status.APPLICANT) for profile in profiles
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=False, primary=True) for user in users
    )

    with CaptureQueriesContext(connection) as queries:
        deleted = delete_unverified_applications(now=APPLIED + 31 * DAY, batch_size=100)

    sql = [query["sql"] for query in queries.captured_queries]
    opened = [index for index, text in enumerate(sql) if text.startswith("SAVEPOINT")]
    closed = [index for index, text in enumerate(sql) if text.startswith("RELEASE SAVEPOINT")]
    assert (deleted, len(opened), len(closed)) == (250, 3, 3)
    # The batches of 100, 100 and 50 run the same number of queries (the deletion's cascade
    # through every related table, once per batch): nothing is done row by row. (Django deletes
    # at most 100 keys per statement, so a batch of 100 is one statement per table.)
    sizes = {closed[n] - opened[n] for n in range(3)}
    assert len(sizes) == 1
    assert User.objects.filter(email__startswith="applicant").count() == 0


# Who was shown special-category data ------------------------------------------------------------


def test_delete_old_data_views_two_years_on(world: World) -> None:
    now = datetime.datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    profile = VolunteerProfile.objects.get(user=world.volunteer)

    def logged(action: str, age: datetime.timedelta) -> ActivityLog:
        return ActivityLog.objects.create(
            actor=world.lead,
            action=action,
            object_id=str(profile.pk),
            organisation=world.charity,
            data={"page": "network_volunteer"},
            created_at=now - age,
        )

    gone = [
        logged("volunteer.special_category_viewed", 730 * DAY + MINUTE),
        logged("volunteer.special_category_listed", 900 * DAY),
    ]
    stays = [
        logged("volunteer.special_category_viewed", 730 * DAY - MINUTE),
        # Other records of the audit trail are not this rule's.
        logged("consent.granted", 3000 * DAY),
    ]

    assert delete_old_data_views(now=now) == 2
    assert sorted(ActivityLog.objects.values_list("pk", flat=True)) == sorted(entry.pk for entry in stays)
    assert ActivityLog.objects.filter(pk__in=[entry.pk for entry in gone]).count() == 0


def test_delete_old_data_views_in_batches(db: None) -> None:
    old = datetime.datetime(2020, 1, 1, tzinfo=UTC)
    ActivityLog.objects.bulk_create(
        ActivityLog(action="volunteer.special_category_listed", data={"page": "matching"}, created_at=old)
        for _ in range(250)
    )

    with CaptureQueriesContext(connection) as queries:
        assert delete_old_data_views(now=datetime.datetime(2026, 12, 1, tzinfo=UTC), batch_size=200) == 250

    savepoints = sum(1 for query in queries.captured_queries if query["sql"].startswith("SAVEPOINT"))
    # Per batch: the ids, then savepoint, delete, release; and one last read.
    assert (savepoints, len(queries)) == (2, 9)
