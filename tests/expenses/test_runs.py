"""Reimbursement runs: preview_run then start_run, execute_run (each previewed claim paid exactly
once, even after a crash part-way), resume_unfinished_runs, and the Payment constraints that make a
second payment impossible.

What a preview holds and what starting it pays (exactly the preview) is test_run_preview.py; the
same guarantee with a real worker killed by SIGKILL is in test_run_crash.py.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Organisation, User
from expenses import exports, selectors, services
from expenses.models import Claim, Payment, ReimbursementRun
from expenses.services import ClaimError
from involvement.models import ActivityLog, Notification
from tests import factories
from tests.conftest import World
from tests.expenses.factories import attended_on, payee, rate_card_for
from volunteers.models import VolunteerProfile

D = Decimal
UTC = datetime.UTC
Status = Claim.Status
RunStatus = ReimbursementRun.Status
FeeChoice = Claim.FeeChoice
SESSION_DAY = datetime.date(2025, 10, 1)
NOW = datetime.datetime(2025, 10, 20, 9, 30, tzinfo=UTC)

ONLY_FINANCE = "Only finance officers can start a reimbursement run."
NOTHING_APPROVED = "There are no approved claims waiting to be paid."
IN_PROGRESS = "A run is already in progress. Please wait for it to finish."


class Crash(Exception):
    """The process dying part-way, as far as the database can tell."""


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def cards(world: World) -> None:
    rate_card_for(world.university)
    rate_card_for(world.other_university)


def make_claim(
    world: World,
    *,
    expenses: tuple[str, ...] = ("6.50",),
    fee: str = FeeChoice.TAKE,
    status: str = Status.APPROVED,
    university: Organisation | None = None,
    volunteer: VolunteerProfile | None = None,
    with_payee: bool = True,
) -> Claim:
    """A claim moved through the services to ``status`` (approved by default), its volunteer with a
    payee reference at the university unless ``with_payee`` is False."""
    university = university or world.university
    coordinator = world.coordinator if university == world.university else world.other_coordinator
    volunteer = volunteer or factories.VolunteerProfileFactory()
    if with_payee:
        payee(volunteer, university)
    booking = attended_on(university, coordinator, volunteer, SESSION_DAY)
    claim = services.open_claim(booking=booking, actor=volunteer.user)
    for amount in expenses:
        services.add_item(claim=claim, actor=volunteer.user, kind="home_online", date=SESSION_DAY, amount=D(amount))
    claim = services.set_fee_choice(claim=claim, actor=volunteer.user, choice=fee)
    if status == Status.DRAFT:
        return claim
    claim = services.submit_claim(claim=claim, actor=volunteer.user)
    if status == Status.RETURNED:
        return services.return_claim(claim=claim, actor=coordinator, note="Please check the date.")
    if status == Status.REJECTED:
        return services.reject_claim(claim=claim, actor=coordinator, reason="Not a paid session.")
    if status == Status.APPROVED:
        return services.approve_claim(claim=claim, actor=coordinator)
    return claim


def approved(world: World, count: int, **fields: Any) -> list[Claim]:
    return [make_claim(world, expenses=(f"{10 + index}.25",), **fields) for index in range(count)]


def previewed(world: World, finance: User | None = None, organisation: Organisation | None = None) -> ReimbursementRun:
    return services.preview_run(organisation=organisation or world.university, actor=finance or world.finance)


def queued_run(world: World, finance: User | None = None, organisation: Organisation | None = None) -> ReimbursementRun:
    """A run previewed and started by finance; its task is queued on commit, which these tests run
    themselves."""
    finance = finance or world.finance
    return services.start_run(run=previewed(world, finance, organisation), actor=finance)


def payments_of(claims: list[Claim]) -> list[tuple[str, int, str, Decimal]]:
    return list(
        Payment.objects.filter(claim__in=claims).order_by("key").values_list("key", "claim_id", "kind", "amount")
    )


def assert_each_paid_once(claims: list[Claim]) -> None:
    """0 duplicates and 0 missing: one payment per claim and kind due, every claim paid, sums equal."""
    expected = Counter()
    total_due = D("0.00")
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == Status.PAID
        assert claim.paid_at is not None
        totals = selectors.claim_totals(claim)
        total_due += totals["total"]
        for kind, amount in (("expenses", totals["expenses"]), ("fee", totals["fee"])):
            if amount > 0:
                expected[(claim.pk, kind)] = 1
    rows = Payment.objects.filter(claim__in=claims)
    assert Counter(rows.values_list("claim_id", "kind")) == expected
    assert sum(rows.values_list("amount", flat=True), D("0.00")) == total_due
    keys = [f"remittance:{claim.pk}" for claim in claims]
    remittances = Notification.objects.filter(template_key="expenses/remittance", unique_key__in=keys)
    assert remittances.count() == len(claims)
    assert [notification.recipient for notification in remittances.order_by("pk")] == [
        claim.volunteer.user for claim in sorted(claims, key=lambda claim: claim.pk)
    ]


# preview_run and start_run ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "admin", "lead", "other_finance", "volunteer", "outsider"])
def test_preview_run_only_by_finance_of_the_university(world, who):
    approved(world, 1)

    with pytest.raises(ClaimError) as error:
        previewed(world, finance=getattr(world, who))

    assert str(error.value) == ONLY_FINANCE
    assert ReimbursementRun.objects.count() == 0


@pytest.mark.parametrize("who", ["coordinator", "admin", "other_finance", "volunteer"])
def test_start_run_only_by_finance_of_the_university(world, who):
    approved(world, 1)
    preview = previewed(world)

    with pytest.raises(ClaimError) as error:
        services.start_run(run=preview, actor=getattr(world, who))

    preview.refresh_from_db()
    assert (str(error.value), preview.status, Payment.objects.count()) == (ONLY_FINANCE, RunStatus.PREVIEW, 0)


def test_start_run_with_nothing_approved(world):
    make_claim(world, status=Status.SUBMITTED)
    make_claim(world, status=Status.RETURNED)
    make_claim(world, status=Status.REJECTED)
    make_claim(world, status=Status.DRAFT)
    make_claim(world, university=world.other_university)

    with pytest.raises(ClaimError) as error:
        previewed(world)

    assert str(error.value) == NOTHING_APPROVED
    assert ReimbursementRun.objects.count() == 0


def test_start_run_queues_one_run_and_its_task_on_commit(world, django_capture_on_commit_callbacks):
    approved(world, 2)
    make_claim(world, status=Status.SUBMITTED)

    with django_capture_on_commit_callbacks() as callbacks:
        run = queued_run(world)

    run.refresh_from_db()
    assert (run.organisation, run.started_by, run.previewed_by, run.status, run.claims_total, run.claims_done) == (
        world.university,
        world.finance,
        world.finance,
        RunStatus.QUEUED,
        2,
        0,
    )
    assert (run.started_at, run.finished_at) == (NOW, None)
    for action in ("run.previewed", "run.started"):
        assert ActivityLog.objects.filter(action=action).values_list("actor", "organisation").get() == (
            world.finance.pk,
            world.university.pk,
        )
    assert len(callbacks) == 1


def test_start_run_one_at_a_time(world):
    approved(world, 1)
    first = queued_run(world)

    with pytest.raises(ClaimError) as error:
        queued_run(world)

    assert str(error.value) == IN_PROGRESS
    assert list(ReimbursementRun.objects.all()) == [first]


def test_start_run_while_one_is_running(world):
    approved(world, 1)
    ReimbursementRun.objects.filter(pk=queued_run(world).pk).update(status=RunStatus.RUNNING)

    with pytest.raises(ClaimError) as error:
        queued_run(world)

    assert str(error.value) == IN_PROGRESS


def test_one_run_at_a_time_is_a_database_constraint(world):
    ReimbursementRun.objects.create(organisation=world.university, status=RunStatus.RUNNING)

    with pytest.raises(IntegrityError), transaction.atomic():
        ReimbursementRun.objects.create(organisation=world.university, status=RunStatus.QUEUED)


def test_start_run_at_each_university_independently(world):
    approved(world, 1)
    make_claim(world, university=world.other_university)

    ours = queued_run(world)
    theirs = queued_run(world, finance=world.other_finance, organisation=world.other_university)

    assert (ours.claims_total, theirs.claims_total) == (1, 1)


def test_start_run_then_the_task_pays_on_commit(world, django_capture_on_commit_callbacks):
    claims = approved(world, 2)

    with django_capture_on_commit_callbacks(execute=True):
        run = queued_run(world)

    run.refresh_from_db()
    assert (run.status, run.claims_done, run.finished_at) == (RunStatus.COMPLETED, 2, NOW)
    assert_each_paid_once(claims)


# execute_run ---------------------------------------------------------------------------------------


def test_execute_run_pays_every_approved_claim_once(world):
    both = make_claim(world, expenses=("6.50", "12.40"))
    expenses_only = make_claim(world, expenses=("3.20",), fee=FeeChoice.DECLINE)
    fee_only = make_claim(world, expenses=())
    donated = make_claim(world, expenses=("8.00",), fee=FeeChoice.DONATE)
    claims = [both, expenses_only, fee_only, donated]
    run = queued_run(world)

    result = services.execute_run(run_id=run.pk)

    assert payments_of(claims) == sorted(
        [
            (f"claim-{both.pk}-expenses", both.pk, "expenses", D("18.90")),
            (f"claim-{both.pk}-fee", both.pk, "fee", D("50.00")),
            (f"claim-{expenses_only.pk}-expenses", expenses_only.pk, "expenses", D("3.20")),
            (f"claim-{fee_only.pk}-fee", fee_only.pk, "fee", D("50.00")),
            (f"claim-{donated.pk}-expenses", donated.pk, "expenses", D("8.00")),
        ]
    )
    assert set(Payment.objects.values_list("run", flat=True)) == {run.pk}
    assert all(payment.volunteer_id == payment.claim.volunteer_id for payment in Payment.objects.all())
    assert set(Payment.objects.values_list("paid_on", flat=True)) == {NOW.date()}
    assert set(Payment.objects.values_list("kind", "route")) == {("fee", "payroll"), ("expenses", "accounts_payable")}
    for claim in claims:
        claim.refresh_from_db()
        assert (claim.status, claim.paid_at) == (Status.PAID, NOW)
    result.refresh_from_db()
    assert (result.status, result.claims_total, result.claims_done, result.finished_at) == (
        RunStatus.COMPLETED,
        4,
        4,
        NOW,
    )
    assert_each_paid_once(claims)
    assert ActivityLog.objects.filter(action="claim.paid", actor=None).count() == 4
    assert ActivityLog.objects.filter(action="run.completed").count() == 1


def queries_to_pay(world: World, count: int) -> int:
    """The queries of one run paying ``count`` approved claims (each paid once)."""
    claims = approved(world, count)
    run = queued_run(world)
    with CaptureQueriesContext(connection) as context:
        services.execute_run(run_id=run.pk)
    assert_each_paid_once(claims)
    return len(context)


def test_execute_run_pays_a_batch_in_a_fixed_number_of_queries(world):
    # One batch: the claims locked, their lines, the payments already made, the payments
    # inserted, the statuses, the audit rows, the remittances and the run's progress; around it
    # the run's lock and status, its claims, and completing it (each transaction a savepoint here).
    two, six = queries_to_pay(world, 2), queries_to_pay(world, 6)

    assert two == six
    assert six <= 24


def test_execute_run_pays_in_batches_each_claim_once_with_its_audit_row(world, batches_of_two):
    claims = approved(world, 5)
    run = queued_run(world)

    services.execute_run(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.claims_done) == (RunStatus.COMPLETED, 5)
    assert_each_paid_once(claims)
    paid = ActivityLog.objects.filter(action="claim.paid").order_by("pk")
    assert [(row.object_id, row.organisation, row.actor, row.created_at) for row in paid] == [
        (str(claim.pk), world.university, None, NOW) for claim in sorted(claims, key=lambda claim: claim.pk)
    ]
    assert set(Claim.objects.filter(pk__in=[claim.pk for claim in claims]).values_list("updated_at", flat=True)) == {
        NOW
    }


def test_a_batch_status_change_is_refused_whole_when_one_claim_cannot_make_it(world):
    ready = make_claim(world)
    waiting = make_claim(world, status=Status.SUBMITTED)

    with pytest.raises(ClaimError), transaction.atomic():
        services._set_statuses([ready, waiting], Status.PAID, actor=None, paid_at=NOW)

    assert dict(Claim.objects.filter(pk__in=[ready.pk, waiting.pk]).values_list("pk", "status")) == {
        ready.pk: Status.APPROVED,
        waiting.pk: Status.SUBMITTED,
    }
    assert ActivityLog.objects.filter(action="claim.paid").count() == 0


def test_execute_run_remittance_says_what_was_paid(world):
    claim = make_claim(world, expenses=("6.50", "12.40"))
    services.execute_run(run_id=queued_run(world).pk)

    remittance = Notification.objects.get(template_key="expenses/remittance")

    assert (remittance.unique_key, remittance.recipient, remittance.email) == (
        f"remittance:{claim.pk}",
        claim.volunteer.user,
        claim.volunteer.user.email,
    )
    assert remittance.context["reference"] == claim.reference
    assert remittance.context["lines"] == [
        ["Expenses", "18.90", "by bank transfer from the university's accounts payable"],
        ["Involvement fee", "50.00", "through the university's payroll in the next pay run"],
    ]
    assert remittance.context["total"] == "68.90"


def test_execute_run_again_changes_nothing(world, frozen):
    claims = approved(world, 3)
    run = queued_run(world)
    services.execute_run(run_id=run.pk)
    before = (
        list(Payment.objects.order_by("pk").values()),
        list(Notification.objects.order_by("pk").values_list("pk", "unique_key")),
        list(Claim.objects.order_by("pk").values("pk", "status", "paid_at")),
        ReimbursementRun.objects.values().get(pk=run.pk),
        ActivityLog.objects.count(),
    )
    frozen.move_to(NOW + datetime.timedelta(hours=1))

    services.execute_run(run_id=run.pk)

    after = (
        list(Payment.objects.order_by("pk").values()),
        list(Notification.objects.order_by("pk").values_list("pk", "unique_key")),
        list(Claim.objects.order_by("pk").values("pk", "status", "paid_at")),
        ReimbursementRun.objects.values().get(pk=run.pk),
        ActivityLog.objects.count(),
    )
    assert after == before
    assert_each_paid_once(claims)


def test_a_second_run_finds_nothing_left_to_pay(world):
    approved(world, 2)
    services.execute_run(run_id=queued_run(world).pk)

    with pytest.raises(ClaimError) as error:
        previewed(world)

    assert str(error.value) == NOTHING_APPROVED
    assert Payment.objects.count() == 4


def test_execute_run_touches_only_approved_claims_of_its_university(world):
    ours = approved(world, 2)
    theirs = make_claim(world, university=world.other_university)
    waiting = {
        status: make_claim(world, status=status)
        for status in (Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.REJECTED)
    }

    services.execute_run(run_id=queued_run(world).pk)

    assert_each_paid_once(ours)
    theirs.refresh_from_db()
    assert (theirs.status, theirs.paid_at, theirs.payments.count()) == (Status.APPROVED, None, 0)
    for status, claim in waiting.items():
        claim.refresh_from_db()
        assert (claim.status, claim.payments.count()) == (status, 0)
    assert Notification.objects.filter(template_key="expenses/remittance").count() == 2


def test_execute_run_leaves_a_claim_approved_after_the_run_was_started_for_the_next(world):
    first = approved(world, 1)
    run = queued_run(world)
    [late] = approved(world, 1)

    services.execute_run(run_id=run.pk)

    run.refresh_from_db()
    late.refresh_from_db()
    assert (run.claims_total, run.claims_done) == (1, 1)
    assert_each_paid_once(first)
    assert (late.status, late.payments.count()) == (Status.APPROVED, 0)
    services.execute_run(run_id=queued_run(world).pk)
    assert_each_paid_once([late])


# Crashes part-way ----------------------------------------------------------------------------------


def crash_on_call(monkeypatch: pytest.MonkeyPatch, name: str, on_call: int) -> list[int]:
    """Make ``services.<name>`` raise Crash on its ``on_call``-th call (once); returns the call log."""
    original: Callable[..., Any] = getattr(services, name)
    calls: list[int] = []

    def dying(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == on_call:
            raise Crash(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, name, dying)
    return calls


@pytest.fixture
def batches_of_two(settings: Any) -> None:
    """Runs pay two claims a transaction, so a handful of claims make several batches."""
    settings.REIMBURSEMENT_RUN_BATCH = 2


def test_crash_before_the_second_batch_leaves_the_first_paid_and_resumes(world, monkeypatch, batches_of_two):
    claims = approved(world, 5)
    run = queued_run(world)
    crash_on_call(monkeypatch, "_pay_claims", 2)

    with pytest.raises(Crash):
        services.execute_run(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.claims_done, run.finished_at) == (RunStatus.RUNNING, 2, None)
    assert_each_paid_once(claims[:2])
    for claim in claims[2:]:
        claim.refresh_from_db()
        assert (claim.status, claim.paid_at, claim.payments.count()) == (Status.APPROVED, None, 0)
    with pytest.raises(ClaimError) as error:
        previewed(world)
    assert str(error.value) == IN_PROGRESS

    monkeypatch.undo()
    services.execute_run(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.claims_done, run.claims_total) == (RunStatus.COMPLETED, 5, 5)
    assert_each_paid_once(claims)
    assert Payment.objects.count() == 10
    assert [len(list(exports.rows(run, route))) for route in ("payroll", "accounts_payable")] == [5, 5]


def test_crash_inside_the_second_batch_rolls_back_its_payments_with_their_statuses(world, monkeypatch, batches_of_two):
    """The payments and statuses of the second batch were written, then the process died before
    its remittances: its transaction is rolled back whole, so the resumed run pays it once."""
    claims = approved(world, 4)
    run = queued_run(world)
    crash_on_call(monkeypatch, "queue_notifications", 2)

    with pytest.raises(Crash):
        services.execute_run(run_id=run.pk)

    for claim in claims[2:]:
        claim.refresh_from_db()
        assert (claim.status, claim.paid_at, claim.payments.count()) == (Status.APPROVED, None, 0)
    assert_each_paid_once(claims[:2])
    assert Payment.objects.count() == 4
    assert ActivityLog.objects.filter(action="claim.paid").count() == 2
    run.refresh_from_db()
    assert run.claims_done == 2

    monkeypatch.undo()
    services.execute_run(run_id=run.pk)

    assert_each_paid_once(claims)
    assert Payment.objects.count() == 8


def test_crash_after_paying_before_completing_completes_on_resume(world, monkeypatch):
    claims = approved(world, 3)
    run = queued_run(world)
    crash_on_call(monkeypatch, "_set_run_status", 2)  # running, then completed

    with pytest.raises(Crash):
        services.execute_run(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.finished_at) == (RunStatus.RUNNING, None)
    assert_each_paid_once(claims)

    monkeypatch.undo()
    services.execute_run(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.claims_done) == (RunStatus.COMPLETED, 3)
    assert [len(list(exports.rows(run, route))) for route in ("payroll", "accounts_payable")] == [3, 3]
    assert_each_paid_once(claims)


def test_crash_twice_then_complete(world, monkeypatch, batches_of_two):
    claims = approved(world, 6)
    run = queued_run(world)
    crash_on_call(monkeypatch, "_pay_claims", 2)
    with pytest.raises(Crash):
        services.execute_run(run_id=run.pk)
    monkeypatch.undo()
    crash_on_call(monkeypatch, "_pay_claims", 3)
    with pytest.raises(Crash):
        services.execute_run(run_id=run.pk)
    monkeypatch.undo()

    services.execute_run(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.claims_done) == (RunStatus.COMPLETED, 6)
    assert_each_paid_once(claims)


def test_pay_claims_skips_a_claim_already_paid(world):
    claim = make_claim(world)
    run = queued_run(world)
    services.execute_run(run_id=run.pk)

    assert services._pay_claims(run, [claim.pk]) == 0
    assert Payment.objects.filter(claim=claim).count() == 2


# resume_unfinished_runs ----------------------------------------------------------------------------


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The run ids handed to the broker."""
    ids: list[int] = []
    monkeypatch.setattr(services, "_enqueue_run", ids.append)
    return ids


def test_resume_unfinished_runs_requeues_only_stale_unfinished_runs(world, frozen, enqueued):
    approved(world, 1)
    stale_queued = queued_run(world)
    stale_running = ReimbursementRun.objects.create(organisation=world.other_university, status=RunStatus.RUNNING)
    completed = ReimbursementRun.objects.create(organisation=world.university, status=RunStatus.COMPLETED)
    frozen.move_to(NOW + datetime.timedelta(minutes=11))
    third = factories.UniversityFactory()
    recent = ReimbursementRun.objects.create(organisation=third, status=RunStatus.RUNNING)
    enqueued.clear()  # start_run's own enqueue (on commit) never ran in this test transaction

    count = services.resume_unfinished_runs()

    assert count == 2
    assert sorted(enqueued) == sorted([stale_queued.pk, stale_running.pk])
    assert completed.pk not in enqueued
    assert recent.pk not in enqueued


def test_resume_unfinished_runs_waits_ten_minutes(world, frozen, enqueued):
    approved(world, 1)
    queued_run(world)
    frozen.move_to(NOW + datetime.timedelta(minutes=9))

    assert services.resume_unfinished_runs() == 0
    assert enqueued == []


def test_resume_unfinished_runs_completes_a_crashed_run(world, frozen, monkeypatch, batches_of_two):
    claims = approved(world, 4)
    run = queued_run(world)
    crash_on_call(monkeypatch, "_pay_claims", 2)
    with pytest.raises(Crash):
        services.execute_run(run_id=run.pk)
    monkeypatch.undo()
    frozen.move_to(NOW + datetime.timedelta(minutes=30))

    assert services.resume_unfinished_runs() == 1  # the task runs eagerly in the tests

    run.refresh_from_db()
    assert (run.status, run.claims_done) == (RunStatus.COMPLETED, 4)
    assert_each_paid_once(claims)
    assert services.resume_unfinished_runs() == 0


def test_enqueue_run_with_the_broker_down_is_logged_not_raised(world, monkeypatch, caplog):
    from expenses.tasks import task_execute_run

    def broker_down(*args: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(task_execute_run, "delay", broker_down)

    services._enqueue_run(42)

    assert [record.getMessage() for record in caplog.records] == ["Could not queue run 42; it will be resumed."]


# The constraints -----------------------------------------------------------------------------------


def test_a_second_payment_with_the_same_key_is_impossible(world):
    claim = make_claim(world)
    run = queued_run(world)
    services.execute_run(run_id=run.pk)
    payment = Payment.objects.get(key=f"claim-{claim.pk}-fee")

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            key=payment.key, run=run, claim=claim, volunteer=claim.volunteer, kind="expenses", amount=D("1.00")
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            key="another-key", run=run, claim=claim, volunteer=claim.volunteer, kind="fee", amount=D("1.00")
        )
    assert Payment.objects.filter(claim=claim).count() == 2
