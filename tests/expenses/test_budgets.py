"""Programme budgets: the positions (budget, spent, committed, remaining) the selectors sum in the
database, setting a budget (``services.set_budget``) and approving past one
(``services.approve_claim`` with ``over_budget_reason``).

The clock stands at Friday 20 November 2026, 09:00 UK time: in the academic year 2026/27, which
began on 1 September 2026. The academic year 2025/26 ran to 31 August 2026.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from accounts.models import Organisation, User
from expenses import permissions, selectors, services
from expenses.models import Claim, Payment, ProgrammeBudget, ReimbursementRun
from expenses.selectors import BudgetPosition
from expenses.services import ClaimError
from involvement.models import ActivityLog, Notification
from sessions_app.clock import LONDON
from sessions_app.models import Booking, Programme, TeachingSession
from tests.conftest import World
from tests.expenses.factories import ClaimFactory, ClaimItemFactory
from tests.sessions_app.factories import BookingFactory, ModuleFactory, ProgrammeFactory, TeachingSessionFactory

ClaimStatus = Claim.Status
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=LONDON)
LAST_YEAR, THIS_YEAR = 2025, 2026


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


# Arranging


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A UK wall-clock time."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def programme_of(university: Organisation, name: str) -> Programme:
    return ProgrammeFactory(university=university, name=name, academic_year="2026/27")


def claim_on(
    programme: Programme,
    starts_at: datetime.datetime,
    status: str,
    *,
    fee: str = "0.00",
    items: tuple[str, ...] = (),
    paid: dict[str, str] | None = None,
) -> Claim:
    """A claim for a two-hour session of ``programme`` starting at ``starts_at``, with the fee
    taken and these items; for a paid claim, ``paid`` is its payments by kind."""
    session = TeachingSessionFactory(
        module=ModuleFactory(programme=programme),
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        status=TeachingSession.Status.COMPLETED,
    )
    booking = BookingFactory(session=session, status=Booking.Status.ATTENDED, hours=Decimal("2.00"))
    claim = ClaimFactory(
        booking=booking,
        status=status,
        fee_due=Decimal(fee),
        fee_requested=Decimal(fee),
        submitted_at=None if status == ClaimStatus.DRAFT else starts_at + datetime.timedelta(days=1),
        paid_at=starts_at + datetime.timedelta(days=20) if status == ClaimStatus.PAID else None,
    )
    for amount in items:
        ClaimItemFactory(claim=claim, amount=Decimal(amount))
    if paid:
        run = ReimbursementRun.objects.filter(organisation=programme.university).first()
        run = run or ReimbursementRun.objects.create(organisation=programme.university)
        for kind, amount in paid.items():
            Payment.objects.create(
                key=f"claim-{claim.pk}-{kind}",
                run=run,
                claim=claim,
                volunteer=claim.volunteer,
                kind=kind,
                amount=Decimal(amount),
            )
    return claim


def budget(programme: Programme, year: int, amount: str) -> ProgrammeBudget:
    return ProgrammeBudget.objects.create(programme=programme, academic_year=year, amount=Decimal(amount))


def figures(position: BudgetPosition) -> tuple[Decimal | None, Decimal, Decimal, Decimal | None]:
    return position.budget, position.spent, position.committed, position.remaining


@pytest.fixture
def two_programmes(world: World) -> tuple[Programme, Programme]:
    """Radiography and nursing at University A, with claims over two academic years.

    Radiography, 2025/26: paid £12.35 and £50.00 (£62.35); approved £25.00 + £3.10 + £7.45
    (£35.55), the last session starting at 23:30 on 31 August 2026; budget £100.00.
    Radiography, 2026/27: approved £19.99 for a session at 00:30 on 1 September 2026 (23:30 on
    31 August in UTC); paid £8.01; a submitted, a returned, a rejected and a draft claim that
    count for nothing; budget £27.99, so £0.01 over.
    Nursing, 2025/26: paid £75.00, budget £75.00 (nothing left). Nursing, 2026/27: approved
    £30.00 + £0.01, no budget. University B's programme has claims too, none counted here."""
    radiography = programme_of(world.university, "BSc (Hons) Diagnostic Radiography")
    nursing = programme_of(world.university, "BSc (Hons) Adult Nursing")
    paid = ClaimStatus.PAID
    approved = ClaimStatus.APPROVED
    claim_on(
        radiography, at(2026, 3, 10), paid, fee="50.00", items=("12.35",), paid={"expenses": "12.35", "fee": "50.00"}
    )
    claim_on(radiography, at(2026, 8, 31, 23, 30), approved, fee="25.00", items=("3.10", "7.45"))
    claim_on(radiography, at(2026, 9, 1, 0, 30), approved, items=("19.99",))
    claim_on(radiography, at(2026, 10, 15), paid, items=("8.01",), paid={"expenses": "8.01"})
    claim_on(radiography, at(2026, 10, 20), ClaimStatus.SUBMITTED, fee="50.00", items=("100.00",))
    claim_on(radiography, at(2026, 10, 21), ClaimStatus.RETURNED, fee="50.00")
    claim_on(radiography, at(2026, 10, 22), ClaimStatus.REJECTED, items=("38.50",))
    claim_on(radiography, at(2026, 10, 23), ClaimStatus.DRAFT, fee="25.00", items=("4.00",))
    claim_on(nursing, at(2025, 11, 4), paid, fee="75.00", paid={"fee": "75.00"})
    claim_on(nursing, at(2026, 11, 2), approved, fee="30.00", items=("0.01",))
    elsewhere = programme_of(world.other_university, "BSc (Hons) Diagnostic Radiography")
    claim_on(elsewhere, at(2026, 10, 1), approved, fee="500.00")
    claim_on(elsewhere, at(2026, 10, 2), paid, fee="20.00", paid={"fee": "20.00"})
    budget(radiography, LAST_YEAR, "100.00")
    budget(radiography, THIS_YEAR, "27.99")
    budget(nursing, LAST_YEAR, "75.00")
    budget(elsewhere, THIS_YEAR, "10.00")
    return radiography, nursing


# The positions


def test_budget_positions_sum_spent_and_committed_per_programme_and_academic_year(
    two_programmes: tuple[Programme, Programme],
) -> None:
    radiography, nursing = two_programmes
    keys = [(radiography.pk, LAST_YEAR), (radiography.pk, THIS_YEAR), (nursing.pk, LAST_YEAR), (nursing.pk, THIS_YEAR)]

    positions = selectors.budget_positions(keys)

    assert {key: figures(position) for key, position in positions.items()} == {
        (radiography.pk, LAST_YEAR): (Decimal("100.00"), Decimal("62.35"), Decimal("35.55"), Decimal("2.10")),
        (radiography.pk, THIS_YEAR): (Decimal("27.99"), Decimal("8.01"), Decimal("19.99"), Decimal("-0.01")),
        (nursing.pk, LAST_YEAR): (Decimal("75.00"), Decimal("75.00"), Decimal("0.00"), Decimal("0.00")),
        (nursing.pk, THIS_YEAR): (None, Decimal("0.00"), Decimal("30.01"), None),
    }
    assert [
        (position.programme, position.year_label, position.over_by, permissions.is_over_budget(position))
        for position in (positions[key] for key in keys)
    ] == [
        ("BSc (Hons) Diagnostic Radiography", "2025/26", Decimal("0.00"), False),
        ("BSc (Hons) Diagnostic Radiography", "2026/27", Decimal("0.01"), True),
        ("BSc (Hons) Adult Nursing", "2025/26", Decimal("0.00"), False),
        ("BSc (Hons) Adult Nursing", "2026/27", Decimal("0.00"), False),
    ]


def test_budget_positions_take_one_query_whatever_the_academic_years(
    two_programmes: tuple[Programme, Programme], django_assert_num_queries: Any
) -> None:
    radiography, nursing = two_programmes

    with django_assert_num_queries(1):
        one_year = selectors.budget_positions([(radiography.pk, THIS_YEAR), (nursing.pk, THIS_YEAR)])
    with django_assert_num_queries(1):
        two_years = selectors.budget_positions([(radiography.pk, THIS_YEAR), (nursing.pk, LAST_YEAR)])

    assert (len(one_year), len(two_years)) == (2, 2)
    # Each (programme, year) asked for, and only those: the same figures as asked one at a time.
    assert set(two_years) == {(radiography.pk, THIS_YEAR), (nursing.pk, LAST_YEAR)}
    for key, position in two_years.items():
        assert position == selectors.budget_positions([key])[key]


def test_budget_keys_of_claims_are_found_by_the_database_by_uk_academic_year(
    two_programmes: tuple[Programme, Programme], django_assert_num_queries: Any
) -> None:
    radiography, nursing = two_programmes
    claims = Claim.objects.filter(booking__session__module__programme__in=two_programmes)
    expected = {
        selectors.budget_key(claim.booking.session) for claim in claims.select_related("booking__session__module")
    }

    with django_assert_num_queries(1):
        keys = selectors.budget_keys_of_claims(claims)

    assert keys == expected
    assert {(radiography.pk, LAST_YEAR), (radiography.pk, THIS_YEAR), (nursing.pk, THIS_YEAR)} <= keys
    # Only those with a budget set for the year: nursing has one for last year alone.
    budgeted = selectors.budget_keys_of_claims(claims, budget_set=True)
    assert (nursing.pk, THIS_YEAR) not in budgeted
    assert budgeted == {
        key for key in expected if ProgrammeBudget.objects.filter(programme_id=key[0], academic_year=key[1]).exists()
    }


def test_a_programme_without_claims_or_budget_has_nothing_spent_or_committed(world: World) -> None:
    quiet = programme_of(world.university, "MSc Physiotherapy")

    [position] = selectors.budget_positions([(quiet.pk, THIS_YEAR)]).values()

    assert figures(position) == (None, Decimal("0.00"), Decimal("0.00"), None)


def test_budget_key_is_the_programme_and_the_uk_academic_year_of_the_session_start(
    two_programmes: tuple[Programme, Programme],
) -> None:
    radiography, _nursing = two_programmes
    sessions = TeachingSession.objects.filter(module__programme=radiography).order_by("starts_at")

    keys = [selectors.budget_key(session) for session in sessions[1:3]]

    # 23:30 on 31 August 2026 and 00:30 on 1 September 2026, UK time (both 31 August in UTC).
    assert keys == [(radiography.pk, LAST_YEAR), (radiography.pk, THIS_YEAR)]


def test_budget_positions_of_claims_give_each_claim_its_programmes_position(
    two_programmes: tuple[Programme, Programme], django_assert_num_queries: Any
) -> None:
    radiography, nursing = two_programmes
    claims = Claim.objects.filter(status=ClaimStatus.APPROVED, booking__session__module__programme__in=two_programmes)

    with django_assert_num_queries(2):  # the claims, then the positions of both years at once
        positions = selectors.budget_positions_of_claims(claims)

    assert sorted(
        (position.programme_id, position.academic_year, position.used) for position in positions.values()
    ) == sorted(
        [
            (radiography.pk, LAST_YEAR, Decimal("97.90")),
            (radiography.pk, THIS_YEAR, Decimal("28.00")),
            (nursing.pk, THIS_YEAR, Decimal("30.01")),
        ]
    )
    assert set(positions) == set(claims.values_list("pk", flat=True))


def test_budget_programmes_lists_the_programmes_running_that_year_with_their_positions(
    world: World, two_programmes: tuple[Programme, Programme]
) -> None:
    radiography, nursing = two_programmes
    old = ProgrammeFactory(university=world.university, name="BSc (Hons) Old Programme", academic_year="2024/25")
    budgeted = ProgrammeFactory(university=world.university, name="BSc (Hons) Budgeted Early", academic_year="")
    budget(budgeted, THIS_YEAR, "10.00")

    this_year = list(selectors.budget_programmes([world.university.pk], THIS_YEAR))
    last_year = list(selectors.budget_programmes([world.university.pk], LAST_YEAR))
    positions = [selectors.budget_position(programme, THIS_YEAR) for programme in this_year]

    assert [(position.programme, position.budget, position.remaining) for position in positions] == [
        ("BSc (Hons) Adult Nursing", None, None),
        ("BSc (Hons) Budgeted Early", Decimal("10.00"), Decimal("10.00")),
        ("BSc (Hons) Diagnostic Radiography", Decimal("27.99"), Decimal("-0.01")),
    ]
    # Named for 2026/27, but with sessions starting in 2025/26.
    assert [programme.name for programme in last_year] == [
        "BSc (Hons) Adult Nursing",
        "BSc (Hons) Diagnostic Radiography",
    ]
    assert old.pk not in {programme.pk for programme in this_year + last_year}
    assert (radiography.pk, nursing.pk) == (this_year[2].pk, this_year[0].pk)


# Setting a budget


def test_set_budget_saves_the_amount_and_records_it(world: World) -> None:
    programme = programme_of(world.university, "BSc (Hons) Diagnostic Radiography")

    saved = services.set_budget(
        programme=programme, academic_year=THIS_YEAR, amount=Decimal("2500.5"), actor=world.finance
    )

    assert (saved.programme, saved.academic_year, saved.amount, saved.set_by) == (
        programme,
        THIS_YEAR,
        Decimal("2500.50"),
        world.finance,
    )
    [log] = ActivityLog.objects.filter(action="budget.set")
    assert (log.actor, log.object_id, log.organisation, log.data) == (
        world.finance,
        str(saved.pk),
        world.university,
        {"programme": programme.pk, "academic_year": THIS_YEAR, "amount": "2500.50", "previous": None},
    )


def test_set_budget_again_replaces_it_and_records_the_one_before(world: World) -> None:
    programme = programme_of(world.university, "BSc (Hons) Diagnostic Radiography")
    services.set_budget(programme=programme, academic_year=THIS_YEAR, amount=Decimal("2500.00"), actor=world.finance)

    services.set_budget(programme=programme, academic_year=THIS_YEAR, amount=Decimal("0.00"), actor=world.admin)

    assert list(ProgrammeBudget.objects.values_list("academic_year", "amount", "set_by")) == [
        (THIS_YEAR, Decimal("0.00"), world.admin.pk)
    ]
    assert [log.data["previous"] for log in ActivityLog.objects.filter(action="budget.set").order_by("pk")] == [
        None,
        "2500.00",
    ]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-0.01", "A budget cannot be negative. Enter 0.00 for no money this year."),
        ("-2500.00", "A budget cannot be negative. Enter 0.00 for no money this year."),
        ("12.345", "Please give the budget in pounds and pence, for example 2500.00."),
        ("NaN", "Please give the budget in pounds and pence, for example 2500.00."),
        ("Infinity", "Please give the budget in pounds and pence, for example 2500.00."),
        ("10000000000.00", "Please check the budget: it is far more than it could be."),
    ],
)
def test_set_budget_refuses_a_negative_or_malformed_amount_and_saves_nothing(
    world: World, amount: str, message: str
) -> None:
    programme = programme_of(world.university, "BSc (Hons) Diagnostic Radiography")

    with pytest.raises(ClaimError) as refused:
        services.set_budget(programme=programme, academic_year=THIS_YEAR, amount=Decimal(amount), actor=world.finance)

    assert (str(refused.value), refused.value.field) == (message, "amount")
    assert (ProgrammeBudget.objects.count(), ActivityLog.objects.filter(action="budget.set").count()) == (0, 0)


@pytest.mark.parametrize("who", ["coordinator", "lead", "other_finance", "other_admin"])
def test_set_budget_is_for_the_universitys_finance_officers_and_admins(world: World, who: str) -> None:
    programme = programme_of(world.university, "BSc (Hons) Diagnostic Radiography")

    with pytest.raises(ClaimError) as refused:
        services.set_budget(
            programme=programme, academic_year=THIS_YEAR, amount=Decimal("100.00"), actor=getattr(world, who)
        )

    assert str(refused.value) == "Only finance officers and admins of the university can set its programmes’ budgets."
    assert ProgrammeBudget.objects.count() == 0


@pytest.mark.parametrize("year", [1999, THIS_YEAR + 3])
def test_set_budget_refuses_an_academic_year_out_of_range(world: World, year: int) -> None:
    programme = programme_of(world.university, "BSc (Hons) Diagnostic Radiography")

    with pytest.raises(ClaimError) as refused:
        services.set_budget(programme=programme, academic_year=year, amount=Decimal("100.00"), actor=world.finance)

    assert (str(refused.value), refused.value.field) == (
        "Please choose an academic year for the budget.",
        "academic_year",
    )


# Approving past the budget


def submitted_claim(world: World, programme: Programme, *, fee: str, items: tuple[str, ...] = ()) -> Claim:
    return claim_on(programme, at(2026, 11, 16), ClaimStatus.SUBMITTED, fee=fee, items=items)


@pytest.fixture
def radiography(world: World) -> Programme:
    """£100.00 this year: £40.00 spent, £30.00 committed (£70.00 used, £30.00 left)."""
    programme = programme_of(world.university, "BSc (Hons) Diagnostic Radiography")
    claim_on(programme, at(2026, 9, 22), ClaimStatus.PAID, fee="40.00", paid={"fee": "40.00"})
    claim_on(programme, at(2026, 10, 6), ClaimStatus.APPROVED, fee="25.00", items=("5.00",))
    budget(programme, THIS_YEAR, "100.00")
    return programme


def approve(claim: Claim, actor: User, reason: str = "") -> Claim:
    return services.approve_claim(claim=Claim.objects.get(pk=claim.pk), actor=actor, over_budget_reason=reason)


def test_approving_up_to_the_budget_exactly_needs_no_reason(world: World, radiography: Programme) -> None:
    claim = submitted_claim(world, radiography, fee="25.00", items=("5.00",))  # £30.00: exactly to £100.00

    approve(claim, world.finance)

    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.APPROVED
    assert ActivityLog.objects.filter(action="claim.approved_over_budget").count() == 0


@pytest.mark.parametrize("reason", ["", "   "])
def test_approving_past_the_budget_without_a_reason_is_refused_and_changes_nothing(
    world: World, radiography: Programme, reason: str
) -> None:
    claim = submitted_claim(world, radiography, fee="25.00", items=("5.01",))  # £30.01: to £100.01

    with pytest.raises(ClaimError) as refused:
        approve(claim, world.finance, reason)

    assert (str(refused.value), refused.value.field) == (
        "Approving this claim brings BSc (Hons) Diagnostic Radiography to £100.01 of its £100.00 budget "
        "for 2026/27. Please give the reason for going over budget.",
        "over_budget_reason",
    )
    claim.refresh_from_db()
    assert (claim.status, claim.decided_at, claim.decided_by) == (ClaimStatus.SUBMITTED, None, None)
    assert ActivityLog.objects.filter(action__startswith="claim.approved").count() == 0
    assert Notification.objects.count() == 0


def test_approving_past_the_budget_with_a_reason_records_it_with_the_figures(
    world: World, radiography: Programme
) -> None:
    claim = submitted_claim(world, radiography, fee="50.00", items=("12.35", "0.10"))  # £62.45: to £132.45

    approve(claim, world.coordinator, "  The module doubled its OSCE stations this term.  ")

    claim.refresh_from_db()
    assert (claim.status, claim.decided_by) == (ClaimStatus.APPROVED, world.coordinator)
    [log] = ActivityLog.objects.filter(action="claim.approved_over_budget")
    assert (log.actor, log.object_id, log.organisation, log.data) == (
        world.coordinator,
        str(claim.pk),
        world.university,
        {
            "over_budget_reason": "The module doubled its OSCE stations this term.",
            "programme": radiography.pk,
            "academic_year": THIS_YEAR,
            "budget": "100.00",
            "spent": "40.00",
            "committed": "30.00",
            "claim_total": "62.45",
        },
    )
    assert ActivityLog.objects.filter(action="claim.approved", object_id=str(claim.pk)).count() == 1
    [position] = selectors.budget_positions([(radiography.pk, THIS_YEAR)]).values()
    assert figures(position) == (Decimal("100.00"), Decimal("40.00"), Decimal("92.45"), Decimal("-32.45"))


def test_a_second_approval_counts_the_first_one_as_committed(world: World, radiography: Programme) -> None:
    first = submitted_claim(world, radiography, fee="20.00")
    second = submitted_claim(world, radiography, fee="20.00")
    approve(first, world.finance)  # £90.00 of £100.00

    with pytest.raises(ClaimError):
        approve(second, world.finance)  # £110.00
    approve(second, world.finance, "Agreed with the programme lead.")

    assert list(Claim.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == [
        ClaimStatus.APPROVED,
        ClaimStatus.APPROVED,
    ]


def test_without_a_budget_there_is_no_limit(world: World) -> None:
    programme = programme_of(world.university, "BSc (Hons) Adult Nursing")
    claim = submitted_claim(world, programme, fee="75.00", items=("480.00",))

    approve(claim, world.finance)

    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.APPROVED
    assert ActivityLog.objects.filter(action="claim.approved_over_budget").count() == 0


def test_a_budget_of_nothing_needs_a_reason_for_any_claim(world: World) -> None:
    programme = programme_of(world.university, "BSc (Hons) Adult Nursing")
    budget(programme, THIS_YEAR, "0.00")
    claim = submitted_claim(world, programme, fee="0.00", items=("0.01",))

    with pytest.raises(ClaimError):
        approve(claim, world.finance)

    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED


def test_a_reason_given_when_within_budget_is_not_recorded(world: World, radiography: Programme) -> None:
    claim = submitted_claim(world, radiography, fee="10.00")

    approve(claim, world.finance, "Just in case.")

    assert ActivityLog.objects.filter(action="claim.approved_over_budget").count() == 0


def test_over_budget_refusal_and_predicates() -> None:
    position = BudgetPosition(1, "BSc Radiography", THIS_YEAR, Decimal("50.00"), Decimal("20.00"), Decimal("29.99"))
    unlimited = BudgetPosition(2, "BSc Nursing", THIS_YEAR, None, Decimal("900.00"), Decimal("900.00"))

    assert [permissions.approval_goes_over_budget(position, Decimal(amount)) for amount in ("0.01", "0.02")] == [
        False,
        True,
    ]
    assert permissions.over_budget_refusal(position, Decimal("0.02"), reason="Agreed") is None
    assert permissions.over_budget_refusal(position, Decimal("1000.00"), reason="") == (
        "Approving this claim brings BSc Radiography to £1,049.99 of its £50.00 budget for 2026/27. "
        "Please give the reason for going over budget."
    )
    assert permissions.over_budget_refusal(unlimited, Decimal("1000000.00"), reason="") is None
    assert (permissions.is_over_budget(position), permissions.is_over_budget(unlimited)) == (False, False)
