"""Previewing a run and starting it: the preview holds exactly the payments the run will make (by
route, with the payee reference and cost codes), holds back approved claims without a payee
reference, and starting it pays exactly the preview: a claim approved after it waits for the next
run, a preview is started once, and a stale or changed preview is refused with nothing paid.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.models import User
from expenses import selectors, services
from expenses.models import Claim, FinanceSettings, Payment, PayRoute, ProgrammeBudget, ReimbursementRun, RunLine
from expenses.permissions import ALREADY_STARTED, PREVIEW_CHANGED, STALE_PREVIEW, nothing_ready
from expenses.services import ClaimError
from involvement.models import ActivityLog, Notification
from involvement.periods import academic_year_start
from sessions_app.models import Programme
from tests import factories
from tests.conftest import World
from tests.expenses.factories import payee, rate_card_for
from tests.expenses.test_runs import NOW, assert_each_paid_once, make_claim, previewed

D = Decimal
RunStatus = ReimbursementRun.Status
Status = Claim.Status
IN_PROGRESS = "A run is already in progress. Please wait for it to finish."


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def cards(world: World) -> None:
    rate_card_for(world.university)
    rate_card_for(world.other_university)


def lines(run: ReimbursementRun) -> list[tuple[int, str, Decimal, str, str, str, str]]:
    return sorted(
        RunLine.objects.filter(run=run).values_list(
            "claim_id", "kind", "amount", "route", "payee_reference", "cost_centre", "nominal_code"
        )
    )


def paid(claims: list[Claim]) -> list[tuple[int, str, Decimal, str, str, str, str]]:
    return sorted(
        Payment.objects.filter(claim__in=claims).values_list(
            "claim_id", "kind", "amount", "route", "payee_reference", "cost_centre", "nominal_code"
        )
    )


def start(run: ReimbursementRun, actor: User) -> ReimbursementRun:
    """Start a preview and run its task at once, as the worker would."""
    started = services.start_run(run=run, actor=actor)
    return services.execute_run(run_id=started.pk)


def code(claim: Claim, cost_centre: str, nominal_code: str) -> None:
    Programme.objects.filter(pk=claim.booking.session.module.programme_id).update(
        cost_centre=cost_centre, nominal_code=nominal_code
    )


# What a preview holds --------------------------------------------------------------------------


def test_preview_holds_each_payment_by_route_with_reference_and_codes_and_pays_nothing(world):
    both = make_claim(world, expenses=("6.50", "12.40"))
    fee_only = make_claim(world, expenses=())
    expenses_only = make_claim(world, expenses=("3.20",), fee=Claim.FeeChoice.DECLINE)
    code(both, "RAD-4410", "5120")
    reference = payee(both.volunteer, world.university).reference

    run = previewed(world)

    assert (run.status, run.organisation, run.previewed_by, run.started_by, run.claims_total) == (
        RunStatus.PREVIEW,
        world.university,
        world.finance,
        None,
        3,
    )
    assert lines(run) == sorted(
        [
            (both.pk, "expenses", D("18.90"), "accounts_payable", reference, "RAD-4410", "5120"),
            (both.pk, "fee", D("50.00"), "payroll", reference, "RAD-4410", "5120"),
            (fee_only.pk, "fee", D("50.00"), "payroll", payee(fee_only.volunteer, world.university).reference, "", ""),
            (
                expenses_only.pk,
                "expenses",
                D("3.20"),
                "accounts_payable",
                payee(expenses_only.volunteer, world.university).reference,
                "",
                "",
            ),
        ]
    )
    assert [(row.route, row.count, row.total) for row in selectors.run_line_totals(run)] == [
        ("payroll", 2, D("100.00")),
        ("accounts_payable", 2, D("22.10")),
    ]
    assert Payment.objects.count() == 0
    assert set(Claim.objects.values_list("status", flat=True)) == {Status.APPROVED}
    assert Notification.objects.filter(template_key="expenses/remittance").count() == 0
    assert ActivityLog.objects.filter(action="run.previewed").values_list("actor", "data").get() == (
        world.finance.pk,
        {"claims": 3, "lines": 4},
    )


def test_preview_follows_the_universitys_routes(world):
    claim = make_claim(world, expenses=("6.50",))
    FinanceSettings.objects.create(
        organisation=world.university, fee_route=PayRoute.ACCOUNTS_PAYABLE, expenses_route=PayRoute.PAYROLL
    )

    run = previewed(world)

    assert [(line[1], line[3]) for line in lines(run)] == [("expenses", "payroll"), ("fee", "accounts_payable")]
    assert claim.pk == lines(run)[0][0]


def test_preview_holds_back_claims_without_a_payee_reference_and_says_what_else_waits(world):
    ready = make_claim(world)
    waiting = make_claim(world, with_payee=False)
    returned = make_claim(world, status=Status.RETURNED)
    make_claim(world, university=world.other_university, with_payee=False)

    run = previewed(world)

    assert {line[0] for line in lines(run)} == {ready.pk}
    held = selectors.held_back(run)
    assert [claim.pk for claim in held["no_payee"].claims] == [waiting.pk]
    assert [claim.pk for claim in held["returned"].claims] == [returned.pk]
    assert (held["no_payee"].count, held["since"].count, held["returned"].count) == (1, 0, 1)
    assert held["no_payee"].claims[0].total == D("56.50")


def test_preview_with_every_approved_claim_waiting_for_payee_set_up_is_refused(world):
    make_claim(world, with_payee=False)
    make_claim(world, with_payee=False)

    with pytest.raises(ClaimError) as error:
        previewed(world)

    assert (
        str(error.value)
        == nothing_ready(2)
        == (
            "All 2 approved claims are waiting for payee set-up, so there is nothing to pay yet. Record the payee "
            "references on the payee set-up page, then preview again."
        )
    )
    assert ReimbursementRun.objects.count() == 0


def test_preview_while_a_run_is_in_progress_is_refused(world):
    make_claim(world)
    services.start_run(run=previewed(world), actor=world.finance)
    make_claim(world)

    with pytest.raises(ClaimError) as error:
        previewed(world)

    assert str(error.value) == IN_PROGRESS
    assert ReimbursementRun.objects.filter(status=RunStatus.PREVIEW).count() == 0


def test_execute_run_leaves_a_preview_alone(world):
    make_claim(world)
    run = previewed(world)

    services.execute_run(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, Payment.objects.count()) == (RunStatus.PREVIEW, 0)


# Starting pays exactly the preview --------------------------------------------------------------


def test_preview_equals_paid_a_claim_approved_after_the_preview_waits_for_the_next_run(world):
    first = [make_claim(world), make_claim(world, expenses=())]
    preview = previewed(world)
    previewed_lines = lines(preview)
    late = make_claim(world)

    run = start(preview, world.finance)

    assert run.pk == preview.pk
    assert paid(first) == previewed_lines
    assert_each_paid_once(first)
    late.refresh_from_db()
    assert (late.status, late.payments.count()) == (Status.APPROVED, 0)
    assert (run.status, run.claims_total, run.claims_done) == (RunStatus.COMPLETED, 2, 2)

    next_run = start(previewed(world), world.finance)

    assert set(next_run.payments.values_list("claim", flat=True)) == {late.pk}
    assert_each_paid_once([*first, late])


def test_a_claim_held_back_is_paid_in_the_first_run_after_payee_set_up(world):
    ready = make_claim(world)
    waiting = make_claim(world, with_payee=False)
    start(previewed(world), world.finance)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.payments.count()) == (Status.APPROVED, 0)

    services.record_payee_reference(
        organisation=world.university, volunteer=waiting.volunteer, reference="SUP-77001", actor=world.finance
    )
    run = start(previewed(world), world.finance)

    assert list(run.payments.order_by("kind").values_list("claim", "kind", "payee_reference")) == [
        (waiting.pk, "expenses", "SUP-77001"),
        (waiting.pk, "fee", "SUP-77001"),
    ]
    assert_each_paid_once([ready, waiting])


def test_payments_keep_the_reference_codes_and_route_they_were_paid_with(world):
    claim = make_claim(world)
    code(claim, "RAD-4410", "5120")
    run = start(previewed(world), world.finance)
    before = paid([claim])

    services.record_payee_reference(
        organisation=world.university, volunteer=claim.volunteer, reference="SUP-NEW-1", actor=world.finance
    )
    code(claim, "NUR-1", "9999")
    services.update_finance_settings(
        organisation=world.university,
        actor=world.finance,
        fee_route=PayRoute.ACCOUNTS_PAYABLE,
        expenses_route=PayRoute.PAYROLL,
        payee_form_url="",
        payment_target_days=30,
    )

    assert paid([claim]) == before
    assert {line[3] for line in before} == {"payroll", "accounts_payable"}
    assert run.payments.count() == 2


# Started once, never stale ------------------------------------------------------------------------


def test_starting_a_preview_twice_is_refused_and_pays_nothing_twice(world, django_capture_on_commit_callbacks):
    claims = [make_claim(world), make_claim(world)]
    preview = previewed(world)
    with django_capture_on_commit_callbacks(execute=True) as first:
        services.start_run(run=preview, actor=world.finance)

    with django_capture_on_commit_callbacks(execute=True) as second, pytest.raises(ClaimError) as error:
        services.start_run(run=preview, actor=world.finance)

    assert str(error.value) == ALREADY_STARTED
    assert (len(first), len(second)) == (2, 0)  # the run's task, whose batch queued both remittances at once
    assert_each_paid_once(claims)
    assert Payment.objects.count() == 4
    assert ActivityLog.objects.filter(action="run.started").count() == 1


def test_another_finance_officer_starting_the_same_preview_is_refused(world):
    colleague = factories.staff("finance", world.university)
    claims = [make_claim(world)]
    preview = previewed(world)
    start(preview, world.finance)

    with pytest.raises(ClaimError) as error:
        services.start_run(run=preview, actor=colleague)

    assert str(error.value) == ALREADY_STARTED
    assert_each_paid_once(claims)
    assert Payment.objects.count() == 2


def test_a_preview_made_before_another_run_started_is_stale(world):
    claims = [make_claim(world)]
    older = previewed(world)
    newer = previewed(world)
    start(newer, world.finance)
    make_claim(world)

    with pytest.raises(ClaimError) as error:
        services.start_run(run=older, actor=world.finance)

    older.refresh_from_db()
    assert (
        str(error.value)
        == STALE_PREVIEW
        == (
            "Another payment run has started since this preview was made, so it may no longer be right. "
            "Please preview again."
        )
    )
    assert (older.status, older.payments.count()) == (RunStatus.PREVIEW, 0)
    assert_each_paid_once(claims)
    assert Payment.objects.count() == 2


def test_a_preview_made_before_another_run_started_is_stale_even_after_that_run_finished(world):
    make_claim(world)
    older = previewed(world)
    start(previewed(world), world.finance)  # completed: no run is in progress now

    with pytest.raises(ClaimError) as error:
        services.start_run(run=older, actor=world.finance)

    assert str(error.value) == STALE_PREVIEW


def test_starting_a_preview_while_another_run_is_in_progress_is_refused(world):
    make_claim(world)
    older = previewed(world)
    services.start_run(run=previewed(world), actor=world.finance)  # queued, not yet run

    with pytest.raises(ClaimError) as error:
        services.start_run(run=older, actor=world.finance)

    assert str(error.value) == IN_PROGRESS


@pytest.mark.parametrize("change", ["payee_reference", "cost_codes", "route"])
def test_a_preview_whose_payments_changed_since_is_refused(world, change):
    claim = make_claim(world)
    preview = previewed(world)
    if change == "payee_reference":
        services.record_payee_reference(
            organisation=world.university, volunteer=claim.volunteer, reference="SUP-CHANGED", actor=world.finance
        )
    elif change == "cost_codes":
        code(claim, "RAD-1", "1234")
    else:
        services.update_finance_settings(
            organisation=world.university,
            actor=world.finance,
            fee_route=PayRoute.ACCOUNTS_PAYABLE,
            expenses_route=PayRoute.ACCOUNTS_PAYABLE,
            payee_form_url="",
            payment_target_days=30,
        )

    with pytest.raises(ClaimError) as error:
        services.start_run(run=preview, actor=world.finance)

    preview.refresh_from_db()
    assert str(error.value) == PREVIEW_CHANGED
    assert (preview.status, Payment.objects.count()) == (RunStatus.PREVIEW, 0)
    assert selectors.preview_has_changed(preview) is True


def test_a_preview_unchanged_by_a_new_reference_for_someone_not_in_it(world):
    make_claim(world)
    waiting = make_claim(world, with_payee=False)
    preview = previewed(world)

    services.record_payee_reference(
        organisation=world.university, volunteer=waiting.volunteer, reference="SUP-90001", actor=world.finance
    )

    assert selectors.preview_has_changed(preview) is False
    assert [claim.pk for claim in selectors.held_back(preview)["since"].claims] == [waiting.pk]
    run = start(preview, world.finance)
    assert waiting.pk not in set(run.payments.values_list("claim", flat=True))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_finance_officers_starting_one_preview_at_once_pay_it_once(world):
    colleague = factories.staff("finance", world.university)
    claims = [make_claim(world) for _ in range(3)]
    preview = previewed(world)
    barrier = threading.Barrier(2)
    results: list[str] = ["", ""]

    def go(index: int, actor_id: int) -> None:
        try:
            actor = User.objects.get(pk=actor_id)
            run = ReimbursementRun.objects.get(pk=preview.pk)
            barrier.wait(timeout=30)
            services.start_run(run=run, actor=actor)
            results[index] = "started"
        except ClaimError as error:
            results[index] = str(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=go, args=(0, world.finance.pk)),
        threading.Thread(target=go, args=(1, colleague.pk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == sorted(["started", ALREADY_STARTED])
    services.execute_run(run_id=preview.pk)
    assert_each_paid_once(claims)
    assert ReimbursementRun.objects.get(pk=preview.pk).started_at == NOW


def test_preview_says_which_claims_waiting_for_approval_would_go_over_budget(world):
    ready = make_claim(world)
    over = make_claim(world, status=Status.SUBMITTED)
    within = make_claim(world, status=Status.SUBMITTED, fee=Claim.FeeChoice.DECLINE)
    for claim, amount in ((over, "56.49"), (within, "6.50")):
        session = claim.booking.session
        ProgrammeBudget.objects.create(
            programme_id=session.module.programme_id,
            academic_year=academic_year_start(timezone.localdate(session.starts_at)),
            amount=D(amount),
        )

    run = previewed(world)

    # £56.50 against £56.49 goes over; £6.50 against £6.50 reaches the budget exactly, within it.
    held = selectors.held_back(run)
    assert [claim.pk for claim in held["over_budget"].claims] == [over.pk]
    assert {line[0] for line in lines(run)} == {ready.pk}
