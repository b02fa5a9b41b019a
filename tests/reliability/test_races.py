"""Races on PostgreSQL, each attempt in its own thread, on its own connection and transaction,
released together by a barrier: twenty volunteers accepting the last place of a session (100
trials), one volunteer accepting two overlapping sessions, two finance officers starting payment
runs, and two approvers approving the same claim (through the service and through the page).
The row locks in the services must let exactly one through and tell the others why.

The threads of a crowd live for the whole test and keep their connections from one trial to the
next (100 trials start no thread and open no connection after the first); they close them when the
crowd is done, which the tests check.
docs/RELIABILITY.md ("Races") has the figures. Skipped on SQLite (tests/conftest.py): it has no row
locks and serialises every writer anyway.
"""

from __future__ import annotations

import contextlib
import datetime
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from expenses import permissions as expense_permissions
from expenses import services as expenses
from expenses.models import Claim, Payment, ReimbursementRun
from involvement.errors import DomainError
from involvement.models import ActivityLog, Notification
from sessions_app.models import Booking, TeachingSession
from sessions_app.services import accept_invitation
from tests import factories
from tests.accounts.test_views import find, texts
from tests.conftest import World, signed_in
from tests.expenses.factories import ClaimFactory, attended_booking, attended_on, payee, rate_card_for
from tests.expenses.test_approver_views import flashed, main, review_url
from tests.sessions_app.factories import ModuleFactory, ProgrammeFactory, TeachingSessionFactory, in_days, session_at
from volunteers.models import VolunteerProfile

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20
TRIALS = 100
FULL = "Sorry, this session is now full. Thank you for offering your time."
ACCEPTED = "accepted"
HOUR = datetime.timedelta(hours=1)
Role = Membership.Role

# An attempt prepares on its thread's connection (reads what it needs) and returns the act, which
# runs once every attempt of the trial is prepared; the act returns what happened.
Attempt = Callable[[], Callable[[], str]]


class Crowd:
    """``size`` threads, each with its own database connection kept from one trial to the next.
    ``run`` hands each thread an attempt: all prepare, wait at a barrier for one another, then act
    at the same moment. Each result is what the act returned or the message of the error it
    raised (any error, so that a deadlock or a constraint violation would show)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.attempts: list[Attempt] = []
        self.results = [""] * size
        self.closing = False
        self.trial = threading.Barrier(size + 1)  # the test hands out a trial's attempts
        self.together = threading.Barrier(size)  # every attempt prepared: act now
        self.finished = threading.Barrier(size + 1)  # every attempt done: the test looks
        self.threads = [threading.Thread(target=self._work, args=(index,), daemon=True) for index in range(size)]
        for thread in self.threads:
            thread.start()

    def run(self, attempts: list[Attempt]) -> list[str]:
        assert len(attempts) == self.size
        self.attempts = attempts
        self.results = [""] * self.size
        self.trial.wait(timeout=60)
        self.finished.wait(timeout=60)
        return list(self.results)

    def close(self) -> None:
        self.closing = True
        with contextlib.suppress(threading.BrokenBarrierError):  # a thread that failed broke it: all have ended
            self.trial.wait(timeout=10)
        for thread in self.threads:
            thread.join(timeout=30)
        assert [thread.is_alive() for thread in self.threads] == [False] * self.size

    def _work(self, index: int) -> None:
        try:
            while True:
                self.trial.wait(timeout=600)
                if self.closing:
                    return
                act: Callable[[], str] | None = None
                try:
                    act = self.attempts[index]()
                except Exception as error:  # noqa: BLE001 -- reported in the assertion, whatever it is
                    self.results[index] = f"while preparing: {type(error).__name__}: {error}"
                self.together.wait(timeout=60)
                if act is not None:
                    try:
                        self.results[index] = act()
                    except DomainError as error:
                        self.results[index] = str(error)
                    except Exception as error:  # noqa: BLE001 -- reported in the assertion, whatever it is
                        self.results[index] = f"{type(error).__name__}: {error}"
                self.finished.wait(timeout=60)
        except threading.BrokenBarrierError:
            return
        finally:
            connection.close()


def other_connections() -> int:
    """Connections to the test database besides the test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def settled(expected: int, seconds: float = 10) -> int:
    deadline = time.monotonic() + seconds
    count = other_connections()
    while count != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        count = other_connections()
    return count


@pytest.fixture
def crowd() -> Iterator[Callable[[int], Crowd]]:
    """Crowds of threads, closed after the test (even a failed one) with their connections."""
    made: list[Crowd] = []
    before = other_connections()

    def make(size: int) -> Crowd:
        made.append(Crowd(size))
        return made[-1]

    yield make
    for each in made:
        each.close()
    assert settled(before) == before, "a thread's connection was left open"


# Twenty volunteers, one place ----------------------------------------------------------------------


def accepting(booking: Booking, actor: User) -> Attempt:
    """Accept the invitation as its volunteer (``actor``) would, on the thread's own connection
    (the service locks and reads again what it decides on)."""

    def prepare() -> Callable[[], str]:
        def act() -> str:
            accept_invitation(booking=booking, actor=actor)
            return ACCEPTED

        return act

    return prepare


def volunteers(world: World, count: int, prefix: str) -> list[VolunteerProfile]:
    return [
        factories.NetworkMembershipFactory(
            network=world.charity, volunteer__user__email=f"{prefix}.volunteer{index}@example.org"
        ).volunteer
        for index in range(count)
    ]


def invitations(session: TeachingSession, invited: list[VolunteerProfile], status: str) -> list[Booking]:
    """Bookings of ``invited`` on ``session`` in ``status``, as inviting (or accepting) leaves them."""
    expires = timezone.now() + datetime.timedelta(days=7)
    return Booking.objects.bulk_create(
        Booking(session=session, volunteer=volunteer, status=status, invitation_expires_at=expires)
        for volunteer in invited
    )


def test_twenty_volunteers_accepting_the_last_place_100_times_never_overbook(
    world: World, crowd: Callable[[int], Crowd]
) -> None:
    """Each trial a new session on a day of its own, with 1 to 3 places and all but one already
    taken; the same twenty volunteers are invited each time and all accept at once."""
    module = ModuleFactory(programme=ProgrammeFactory(university=world.university))
    invited = volunteers(world, THREADS, "crowd")
    taken = volunteers(world, 2, "taken")
    users = {volunteer.pk: volunteer.user for volunteer in invited}
    threads = crowd(THREADS)
    outcomes: list[tuple[int, int, int]] = []
    sessions: list[TeachingSession] = []
    started = time.monotonic()

    for trial in range(TRIALS):
        places = 1 + trial % 3
        session = TeachingSessionFactory(
            module=module, owner=world.coordinator, places=places, starts_at=in_days(10 + trial), title=f"Trial {trial}"
        )
        sessions.append(session)
        invitations(session, taken[: places - 1], Booking.Status.ACCEPTED)
        bookings = invitations(session, invited, Booking.Status.INVITED)

        results = threads.run([accepting(booking, users[booking.volunteer_id]) for booking in bookings])

        assert sorted(results) == sorted([ACCEPTED] + [FULL] * (THREADS - 1)), f"trial {trial}"
        winner = bookings[results.index(ACCEPTED)]
        assert Booking.objects.get(pk=winner.pk).status == Booking.Status.ACCEPTED
        outcomes.append((results.count(ACCEPTED), results.count(FULL), session.bookings.accepted().count() - places))
    seconds = time.monotonic() - started

    # Per trial: one accepted, 19 told the session is full, and the places filled exactly.
    assert outcomes == [(1, THREADS - 1, 0)] * TRIALS
    held = [(session.bookings.holding_a_place().count(), session.places) for session in sessions]
    assert [count - places for count, places in held if count > places] == []  # 0 overbookings
    # One confirmation email per trial, to its winner; the losers' invitations are still open.
    assert Notification.objects.filter(template_key="sessions_app/booking_confirmed").count() == TRIALS
    assert Booking.objects.filter(session__in=sessions, status=Booking.Status.INVITED).count() == TRIALS * 19
    print(f"{TRIALS} trials of {THREADS} accepts at once in {seconds:.1f} s")


def test_one_volunteer_accepting_two_overlapping_sessions_at_once_gets_one(
    world: World, crowd: Callable[[int], Crowd]
) -> None:
    threads = crowd(2)
    clash = {
        0: "You are already booked into “Late morning session” at that time.",
        1: "You are already booked into “Morning session” at that time.",
    }
    for round_number in range(5):
        starts_at = in_days(20 + round_number)
        first = session_at(world.university, world.coordinator, title="Morning session", starts_at=starts_at)
        second = session_at(
            world.university, world.coordinator, title="Late morning session", starts_at=starts_at + HOUR
        )
        [profile] = volunteers(world, 1, f"overlap{round_number}")
        bookings = [invitations(session, [profile], Booking.Status.INVITED)[0] for session in (first, second)]

        results = threads.run([accepting(booking, profile.user) for booking in bookings])

        assert results.count(ACCEPTED) == 1, results
        loser = 1 - results.index(ACCEPTED)
        assert results[loser] == clash[loser]
        assert Booking.objects.filter(volunteer=profile, status=Booking.Status.ACCEPTED).count() == 1


# Two finance officers starting payment runs ---------------------------------------------------------

SESSION_DAY = timezone.localdate() - datetime.timedelta(days=7)
STARTED = "started"
RUNS_ROUNDS = 3
CLAIMS_PER_ROUND = 3


def approved_claims(world: World, count: int) -> list[Claim]:
    """Approved claims with the fee and an expense each, their volunteers with payee references."""
    claims = []
    for _number in range(count):
        volunteer = factories.VolunteerProfileFactory()
        payee(volunteer, world.university)
        booking = attended_on(world.university, world.coordinator, volunteer, SESSION_DAY)
        claim = expenses.open_claim(booking=booking, actor=volunteer.user)
        expenses.add_item(
            claim=claim, actor=volunteer.user, kind="home_online", date=SESSION_DAY, amount=Decimal("4.50")
        )
        expenses.submit_claim(claim=claim, actor=volunteer.user)
        claims.append(expenses.approve_claim(claim=claim, actor=world.coordinator))
    return claims


def starting(run_id: int, user_id: int) -> Attempt:
    def prepare() -> Callable[[], str]:
        run, actor = ReimbursementRun.objects.get(pk=run_id), User.objects.get(pk=user_id)

        def act() -> str:
            expenses.start_run(run=run, actor=actor)  # tests run tasks eagerly: the run is paid here, on commit
            return STARTED

        return act

    return prepare


def previewing(user_id: int, organisation_id: int, previews: list[int]) -> Attempt:
    def prepare() -> Callable[[], str]:
        actor, organisation = User.objects.get(pk=user_id), Organisation.objects.get(pk=organisation_id)

        def act() -> str:
            previews.append(expenses.preview_run(organisation=organisation, actor=actor).pk)
            return "previewed"

        return act

    return prepare


def assert_each_paid_exactly_once(claims: list[Claim]) -> None:
    ids = [claim.pk for claim in claims]
    assert list(Payment.objects.values("key").annotate(n=Count("pk")).filter(n__gt=1)) == []
    assert Counter(Payment.objects.filter(claim__in=ids).values_list("claim_id", "kind")) == Counter(
        {(pk, kind): 1 for pk in ids for kind in ("expenses", "fee")}
    )
    assert set(Claim.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Claim.Status.PAID}
    assert Notification.objects.filter(unique_key__in=[f"remittance:{pk}" for pk in ids]).count() == len(ids)


@pytest.fixture
def finance_pair(world: World) -> tuple[User, User]:
    rate_card_for(world.university)
    return world.finance, factories.staff(Role.FINANCE, world.university, email="finance2@a.example.org")


def test_two_finance_officers_starting_runs_at_once_pay_each_claim_once(
    world: World, finance_pair: tuple[User, User], crowd: Callable[[int], Crowd]
) -> None:
    """Each round, new approved claims, and the two officers at the same moment either start the
    same preview (one starts it; the other is told it has started already), or first preview
    (two previews of the same claims) and then start each their own (one run pays; the other is
    refused, as in progress or as out of date, and cannot be started afterwards either)."""
    threads = crowd(2)
    paid: list[Claim] = []
    refused: Counter[str] = Counter()
    for round_number in range(2 * RUNS_ROUNDS):
        claims = approved_claims(world, CLAIMS_PER_ROUND)
        if round_number % 2 == 0:
            preview = expenses.preview_run(organisation=world.university, actor=world.finance)
            runs = {officer.pk: preview.pk for officer in finance_pair}
        else:
            previews: list[int] = []
            previewed = threads.run([previewing(officer.pk, world.university.pk, previews) for officer in finance_pair])
            assert previewed == ["previewed"] * 2
            runs = {ReimbursementRun.objects.get(pk=pk).previewed_by_id: pk for pk in previews}

        results = threads.run([starting(runs[officer.pk], officer.pk) for officer in finance_pair])

        assert results.count(STARTED) == 1, results
        winner, loser = (finance_pair[index] for index in (results.index(STARTED), 1 - results.index(STARTED)))
        [refusal] = [result for result in results if result != STARTED]
        refused[refusal] += 1
        started = ReimbursementRun.objects.get(pk=runs[winner.pk])
        assert (started.status, started.started_by, started.claims_done) == (
            ReimbursementRun.Status.COMPLETED,
            winner,
            CLAIMS_PER_ROUND,
        )
        if round_number % 2 == 0:
            assert refusal == expense_permissions.ALREADY_STARTED
        else:
            assert refusal in {expense_permissions.RUN_IN_PROGRESS, expense_permissions.STALE_PREVIEW}
            left = ReimbursementRun.objects.get(pk=runs[loser.pk])
            assert left.status == ReimbursementRun.Status.PREVIEW
            with pytest.raises(expenses.ClaimError) as later:
                expenses.start_run(run=left, actor=loser)
            assert str(later.value) in {expense_permissions.STALE_PREVIEW, expense_permissions.PREVIEW_CHANGED}
        paid += claims
        assert_each_paid_exactly_once(paid)
    assert ReimbursementRun.objects.filter(status=ReimbursementRun.Status.COMPLETED).count() == 2 * RUNS_ROUNDS
    assert ActivityLog.objects.filter(action="run.started").count() == 2 * RUNS_ROUNDS
    print(f"the second start refused: {dict(refused)}")


# Two approvers approving one claim ------------------------------------------------------------------

APPROVED = "approved"
ALREADY_APPROVED = "This claim is approved, so it cannot be approved now."


def approving(claim_id: int, user_id: int) -> Attempt:
    def prepare() -> Callable[[], str]:
        claim, actor = Claim.objects.get(pk=claim_id), User.objects.get(pk=user_id)

        def act() -> str:
            expenses.approve_claim(claim=claim, actor=actor)
            return APPROVED

        return act

    return prepare


def submitted_claim(world: World) -> Claim:
    volunteer = factories.VolunteerProfileFactory()
    factories.NetworkMembershipFactory(volunteer=volunteer, network=world.charity)
    booking = attended_booking(world.university, world.coordinator, volunteer)
    return ClaimFactory(booking=booking, status=Claim.Status.SUBMITTED, submitted_at=timezone.now())


def assert_approved_once_by(claim: Claim, winner: User) -> None:
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by) == (Claim.Status.APPROVED, winner)
    decisions = ActivityLog.objects.filter(object_id=str(claim.pk), action__in=["claim.approved", "claim.rejected"])
    assert list(decisions.values_list("action", "actor")) == [("claim.approved", winner.pk)]
    emails = Notification.objects.filter(template_key="expenses/claim_approved", context__reference=claim.reference)
    assert list(emails.values_list("recipient", flat=True)) == [claim.volunteer.user_id]


def test_two_approvers_approving_one_claim_at_once_approve_it_once(world: World, crowd: Callable[[int], Crowd]) -> None:
    """Two coordinators, then a coordinator and a finance officer, each pair five times."""
    second_coordinator = factories.staff(Role.COORDINATOR, world.university, email="coordinator2@a.example.org")
    threads = crowd(2)
    for pair in [(world.coordinator, second_coordinator)] * 5 + [(world.coordinator, world.finance)] * 5:
        claim = submitted_claim(world)

        results = threads.run([approving(claim.pk, approver.pk) for approver in pair])

        assert sorted(results) == sorted([APPROVED, ALREADY_APPROVED])
        assert_approved_once_by(claim, pair[results.index(APPROVED)])


def posting_approval(client: Client, url: str, responses: dict[int, HttpResponse]) -> Attempt:
    def prepare() -> Callable[[], str]:
        def act() -> str:
            response = client.post(url)
            responses[id(client)] = response
            return str(response.status_code)

        return act

    return prepare


def test_two_approvers_posting_approve_at_once_the_second_is_told_on_the_page(
    world: World, crowd: Callable[[int], Crowd]
) -> None:
    """Through the approve page: one POST approves (302 to the queue, with its message); the other
    answers 400 with the refusal at the top of the page and no button to approve again, never 500."""
    approvers = [world.coordinator, world.finance]
    threads = crowd(2)
    for _round in range(5):
        clients = [signed_in(approver) for approver in approvers]
        claim = submitted_claim(world)
        responses: dict[int, HttpResponse] = {}

        results = threads.run([posting_approval(client, review_url(claim, "approve"), responses) for client in clients])

        assert sorted(results) == ["302", "400"], results
        won, lost = results.index("302"), results.index("400")
        winner, loser = responses[id(clients[won])], responses[id(clients[lost])]
        name = claim.volunteer.display_name
        assert flashed(winner) == [f"Claim {claim.reference} is approved. We have emailed {name} to let them know."]
        assert texts(loser, "div", id="decision-error") == [ALREADY_APPROVED]
        assert texts(loser, "p", id="nothing-to-decide") == [
            "This claim is approved, so there is nothing to decide now. Go back to the claim"
        ]
        assert find(main(loser), "form", method="post") == []
        assert_approved_once_by(claim, approvers[won])
