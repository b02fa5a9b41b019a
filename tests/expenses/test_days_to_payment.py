"""Days to payment: UK calendar days from the day a claim was sent to the day it was paid (or to
today), counted by the database (``selectors.with_days_to_payment``) across the clock changes,
against the university's target (``FinanceSettings.payment_target_days``); shown in the claims
queue (which sorts by it and flags claims past the target), on the review page and on the
volunteer's claim page.

The clocks went forward at 01:00 on Sunday 29 March 2026 and went back at 02:00 on Sunday
25 October 2026. Unless a test says otherwise the clock stands at Friday 20 November 2026, 09:00.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.http import HttpResponse
from django.utils import timezone

from accounts.models import Membership, Organisation
from expenses import selectors
from expenses.models import Claim, FinanceSettings
from sessions_app.clock import LONDON
from tests import factories
from tests.accounts.test_views import find, texts
from tests.conftest import World, signed_in
from tests.expenses.factories import ClaimFactory, attended_booking
from volunteers.models import VolunteerProfile

ClaimStatus = Claim.Status
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=LONDON)
QUEUE = "/claims/"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A UK wall-clock time."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def person(world: World, name: str, network: Organisation | None = None) -> VolunteerProfile:
    volunteer = factories.VolunteerProfileFactory(user=factories.UserFactory(name=name))
    factories.NetworkMembershipFactory(volunteer=volunteer, network=network or world.charity)
    return volunteer


def claim_sent(
    world: World,
    volunteer: VolunteerProfile,
    status: str,
    submitted_at: datetime.datetime | None,
    paid_at: datetime.datetime | None = None,
    *,
    university: Organisation | None = None,
) -> Claim:
    """A claim for a session of University A (or ``university``) 60 days ago."""
    university = university or world.university
    owner = world.coordinator if university == world.university else world.other_coordinator
    booking = attended_booking(university, owner, volunteer, days_ago=60)
    return ClaimFactory(booking=booking, status=status, submitted_at=submitted_at, paid_at=paid_at)


def days_of(claim: Claim, today: datetime.date) -> tuple[int | None, int, bool]:
    row: Any = selectors.with_days_to_payment(Claim.objects.filter(pk=claim.pk), today).get()
    return row.days_to_payment, row.payment_target_days, row.past_payment_target


# Counting, across the clock changes


@pytest.mark.parametrize(
    ("submitted_at", "paid_at", "days"),
    [
        # Sent at 23:30 GMT on Saturday, paid at 00:30 BST on Monday: 47 hours, both 23:30 in UTC
        # a day apart, and two UK days.
        (at(2026, 3, 28, 23, 30), at(2026, 3, 30, 0, 30), 2),
        # Sent at 00:30 GMT on the Sunday the clocks go forward, paid at 00:30 BST on Monday:
        # 23 hours, the same day in UTC, and one UK day.
        (at(2026, 3, 29, 0, 30), at(2026, 3, 30, 0, 30), 1),
        # Sent at 23:30 BST on Saturday, paid at 00:30 GMT on Monday: 26 hours, and two UK days.
        (at(2026, 10, 24, 23, 30), at(2026, 10, 26, 0, 30), 2),
        # Sent at 00:30 BST on the Sunday the clocks go back (23:30 on Saturday in UTC), paid at
        # 23:30 GMT the same Sunday: the same UK day.
        (at(2026, 10, 25, 0, 30), at(2026, 10, 25, 23, 30), 0),
        # Sent on the Saturday before the clocks go forward, paid on the Saturday after they go back.
        (at(2026, 3, 28, 12, 0), at(2026, 10, 31, 12, 0), 217),
    ],
)
def test_days_to_payment_count_uk_days_across_the_clock_changes(
    world: World, submitted_at: datetime.datetime, paid_at: datetime.datetime, days: int
) -> None:
    claim = claim_sent(world, person(world, "Ann Able"), ClaimStatus.PAID, submitted_at, paid_at)

    assert days_of(claim, datetime.date(2026, 11, 20)) == (days, 30, days > 30)


@pytest.mark.parametrize(
    ("submitted_at", "now", "days"),
    [
        (at(2026, 3, 28, 23, 30), at(2026, 3, 30, 0, 30), 2),
        (at(2026, 3, 29, 0, 30), at(2026, 3, 29, 23, 59), 0),
        (at(2026, 10, 25, 0, 30), at(2026, 10, 26, 0, 30), 1),
    ],
)
def test_days_to_payment_of_a_claim_not_paid_yet_count_to_the_uk_day_today(
    world: World, submitted_at: datetime.datetime, now: datetime.datetime, days: int
) -> None:
    claim = claim_sent(world, person(world, "Ann Able"), ClaimStatus.APPROVED, submitted_at)

    with time_machine.travel(now, tick=False):
        response = signed_in(world.finance).get(f"{QUEUE}?show=approved")

    assert days_of(claim, timezone.localdate(now, LONDON)) == (days, 30, False)
    assert [row[7] for row in claim_rows(response)] == [str(days)]


@pytest.mark.parametrize("status", [ClaimStatus.DRAFT, ClaimStatus.RETURNED, ClaimStatus.REJECTED])
def test_days_to_payment_are_not_counted_for_drafts_returned_or_rejected_claims(world: World, status: str) -> None:
    submitted_at = None if status == ClaimStatus.DRAFT else at(2026, 11, 2, 10)
    claim = claim_sent(world, person(world, "Ann Able"), status, submitted_at)

    assert days_of(claim, datetime.date(2026, 11, 20)) == (None, 30, False)


def test_the_target_is_the_universitys_and_past_it_means_more_days(world: World) -> None:
    FinanceSettings.objects.create(organisation=world.university, payment_target_days=14)
    on_target = claim_sent(world, person(world, "Ann Able"), ClaimStatus.SUBMITTED, at(2026, 11, 6, 16))
    past = claim_sent(world, person(world, "Ben Bell"), ClaimStatus.SUBMITTED, at(2026, 11, 5, 16))

    assert [days_of(claim, datetime.date(2026, 11, 20)) for claim in (on_target, past)] == [
        (14, 14, False),
        (15, 14, True),
    ]


# The queue


def claim_rows(response: HttpResponse) -> list[list[str]]:
    [table] = find(response, "table", id="claims")
    return [texts(row, "td") for row in find(find(table, "tbody")[0], "tr")]


@pytest.fixture
def waiting(world: World) -> None:
    """University A (target 14 days): Ann sent 3 days ago; Ben approved, sent 20 days ago; Cy
    paid after 10 days; Di paid after 25 days; Ed's draft; Fay's claim returned to her.
    University B (target 30 days, the default): Gus approved, sent 20 days ago."""
    FinanceSettings.objects.create(organisation=world.university, payment_target_days=14)
    days_ago = lambda days: NOW - datetime.timedelta(days=days)  # noqa: E731 -- a one-line helper
    claim_sent(world, person(world, "Ann Able"), ClaimStatus.SUBMITTED, days_ago(3))
    claim_sent(world, person(world, "Ben Bell"), ClaimStatus.APPROVED, days_ago(20))
    claim_sent(world, person(world, "Cy Cole"), ClaimStatus.PAID, days_ago(40), days_ago(30))
    claim_sent(world, person(world, "Di Dee"), ClaimStatus.PAID, days_ago(50), days_ago(25))
    claim_sent(world, person(world, "Ed Egan"), ClaimStatus.DRAFT, None)
    claim_sent(world, person(world, "Fay Ford"), ClaimStatus.RETURNED, days_ago(8))
    gus = person(world, "Gus Gray", network=world.other_charity)
    claim_sent(world, gus, ClaimStatus.APPROVED, days_ago(20), university=world.other_university)
    factories.MembershipFactory(user=world.finance, organisation=world.other_university, role=Membership.Role.FINANCE)


@pytest.mark.usefixtures("waiting")
def test_queue_sorts_by_days_to_payment_longest_first_and_flags_those_past_the_target(world: World) -> None:
    response = signed_in(world.finance).get(f"{QUEUE}?show=all&sort=days")

    assert [(row[1], row[7]) for row in claim_rows(response)] == [
        ("Di Dee", "25 (paid) (past the 14-day target)"),
        ("Ben Bell", "20 (past the 14-day target)"),
        ("Gus Gray", "20"),
        ("Cy Cole", "10 (paid)"),
        ("Ann Able", "3"),
        ("Fay Ford", "—"),
        ("Ed Egan", "—"),
    ]


@pytest.mark.usefixtures("waiting")
def test_queue_sorts_each_view_by_days_and_keeps_the_sort_in_its_links(world: World) -> None:
    client = signed_in(world.finance)

    approved = client.get(f"{QUEUE}?show=approved&sort=days")
    usual = client.get(f"{QUEUE}?show=approved")
    nonsense = client.get(f"{QUEUE}?show=approved&sort=nonsense")

    assert [row[1] for row in claim_rows(approved)] == ["Ben Bell", "Gus Gray"]
    assert [row[1] for row in claim_rows(usual)] == [row[1] for row in claim_rows(nonsense)]
    tabs = [dict(link.attributes)["href"] for link in find(find(approved, "nav", aria_label="Which claims")[0], "a")]
    assert tabs == [f"?show={show}&sort=days" for show in ("submitted", "overdue", "returned", "approved", "all")]
    [sorts] = find(approved, "nav", aria_label="Sort the claims")
    assert [
        (dict(link.attributes)["href"], dict(link.attributes).get("aria-current")) for link in find(sorts, "a")
    ] == [
        ("?show=approved&sort=usual", None),
        ("?show=approved&sort=days", "page"),
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_queue_sorted_by_days_query_count_does_not_grow(
    world: World, django_assert_num_queries: Any, count: int
) -> None:
    for number in range(count):
        claim_sent(world, person(world, f"Volunteer {number}"), ClaimStatus.APPROVED, NOW - datetime.timedelta(days=9))
    client = signed_in(world.finance)

    with django_assert_num_queries(9):
        response = client.get(f"{QUEUE}?show=all&sort=days")

    assert len(claim_rows(response)) == count


# A claim's pages


def test_review_page_says_how_long_a_paid_claim_took_against_the_target(world: World) -> None:
    FinanceSettings.objects.create(organisation=world.university, payment_target_days=21)
    claim = claim_sent(
        world, person(world, "Ann Able"), ClaimStatus.PAID, at(2026, 10, 24, 23, 30), at(2026, 11, 16, 0, 30)
    )

    response = signed_in(world.finance).get(f"/claims/{claim.pk}/review/")

    [history] = find(response, "dl", id="history-list")
    assert dict(zip(texts(history, "dt"), texts(history, "dd"), strict=True))["Days to payment"] == (
        "Paid 23 days after it was sent. The target is 21 days. It was paid after the target."
    )


@pytest.mark.parametrize(
    ("status", "submitted_at", "said"),
    [
        (
            ClaimStatus.SUBMITTED,
            at(2026, 11, 20, 8, 0),
            "Sent today, not paid yet. The target is to pay within 30 days.",
        ),
        (
            ClaimStatus.APPROVED,
            at(2026, 10, 20, 8, 0),
            "31 days since it was sent, not paid yet. The target is to pay within 30 days. Past the target.",
        ),
        (
            ClaimStatus.RETURNED,
            at(2026, 10, 20, 8, 0),
            "Not counted while the claim is back with the volunteer; the count starts again when it is sent.",
        ),
    ],
)
def test_volunteers_claim_page_says_the_days_since_it_was_sent(
    world: World, status: str, submitted_at: datetime.datetime, said: str
) -> None:
    volunteer = VolunteerProfile.objects.get(user=world.volunteer)
    claim = claim_sent(world, volunteer, status, submitted_at)

    response = signed_in(world.volunteer).get(f"/money/claims/{claim.pk}/")

    assert texts(response, "p", id="days-to-payment") == [said]


def test_volunteers_draft_claim_page_says_nothing_about_days(world: World) -> None:
    volunteer = VolunteerProfile.objects.get(user=world.volunteer)
    claim = claim_sent(world, volunteer, ClaimStatus.DRAFT, None)

    response = signed_in(world.volunteer).get(f"/money/claims/{claim.pk}/")

    assert find(response, "p", id="days-to-payment") == []
