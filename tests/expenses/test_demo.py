"""The demo rate cards, claims and payment run (``manage.py seed_demo``, expenses/demo.py)."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from expenses import selectors, services
from expenses.demo import admissions_days
from expenses.exports import COLUMNS, export_csv
from expenses.models import (
    Claim,
    ClaimItem,
    FeeRate,
    FinanceSettings,
    PayeeReference,
    Payment,
    PrepaidCost,
    RateCard,
    Receipt,
    ReimbursementRun,
    RunLine,
)
from expenses.rates import car_miles_before, tax_year_bounds
from expenses.receipts import sniff
from expenses.selectors import volunteers_claimable_bookings
from sessions_app.clock import LONDON
from sessions_app.models import Booking, Programme
from volunteers.models import VolunteerProfile

Status = Claim.Status


@pytest.fixture
def seeded(db: None, settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    call_command("seed_demo", verbosity=0)


def counts() -> dict[str, int]:
    models = (
        RateCard,
        FeeRate,
        Claim,
        ClaimItem,
        Receipt,
        PrepaidCost,
        Payment,
        ReimbursementRun,
        RunLine,
        FinanceSettings,
        PayeeReference,
    )
    return {model.__name__: model.objects.count() for model in models}


def by_status() -> dict[str, int]:
    return {status: Claim.objects.filter(status=status).count() for status in Status.values}


def test_demo_rate_cards_have_todays_typical_uk_rates(seeded):
    northbridge = RateCard.objects.get(organisation__slug="northbridge")
    southgate = RateCard.objects.get(organisation__slug="southgate")

    assert (
        northbridge.car_rate,
        northbridge.car_threshold_miles,
        northbridge.car_rate_after_threshold,
        northbridge.motorcycle_rate,
        northbridge.bicycle_rate,
        northbridge.subsistence_cap,
        northbridge.claim_window_months,
        northbridge.receipts_required_for,
    ) == (
        Decimal("0.45"),
        10_000,
        Decimal("0.25"),
        Decimal("0.24"),
        Decimal("0.20"),
        Decimal("15.00"),
        3,
        ["public_transport", "taxi", "parking", "carer", "support_worker", "other"],
    )
    assert northbridge.effective_from == datetime.date(tax_year_bounds(timezone.localdate())[0].year - 1, 4, 6)
    assert sorted(northbridge.fee_rates.values_list("kind", "basis", "amount")) == [
        ("assessment", "per_session", Decimal("75.00")),
        ("curriculum", "per_hour", Decimal("25.00")),
        ("recruitment", "per_hour", Decimal("25.00")),
        ("review", "per_hour", Decimal("25.00")),
        ("simulated_patient", "per_hour", Decimal("30.00")),
        ("teaching", "per_hour", Decimal("25.00")),
    ]
    assert (southgate.car_rate, southgate.fee_rates.count()) == (Decimal("0.45"), 4)


def test_demo_claims_are_in_every_state_for_northbridges_attended_bookings(seeded):
    claims = Claim.objects.select_related("booking__session__module__programme__university")
    returned = claims.get(status=Status.RETURNED)
    rejected = claims.get(status=Status.REJECTED)
    overdue = claims.filter(
        status=Status.SUBMITTED, submitted_at__lt=timezone.now() - datetime.timedelta(days=10)
    ).count()

    assert by_status() == {"draft": 2, "submitted": 2, "returned": 1, "approved": 2, "rejected": 1, "paid": 8}
    assert {claim.booking.session.university.slug for claim in claims} == {"northbridge"}
    assert {claim.booking.status for claim in claims} == {Booking.Status.ATTENDED}
    assert returned.decision_note == (
        "The parking receipt shows £2.10 and the claim says £12.00. Could you check the amount and send it again?"
    )
    assert rejected.decision_note.startswith("The university booked and paid for your train ticket")
    assert list(PrepaidCost.objects.values_list("booking", "amount")) == [(rejected.booking_id, Decimal("38.50"))]
    assert overdue == 1
    assert [claim.status for claim in claims.filter(submitted_at__isnull=True)] == ["draft", "draft"]
    assert claims.filter(status__in=["approved", "rejected", "returned", "paid"], decided_by__isnull=True).count() == 0


def test_demo_receipts_are_checked_pictures_on_their_items(seeded):
    receipts = list(Receipt.objects.all())

    assert len(receipts) == 5
    assert {receipt.content_type for receipt in receipts} == {"image/png"}
    for receipt in receipts:
        with receipt.file.open("rb") as stored:
            assert sniff(stored.read(16)) == "image/png"
    assert ClaimItem.objects.filter(receipt__isnull=False).count() == 5


def test_demo_volunteer_crosses_10000_miles_this_tax_year(seeded):
    rhys = VolunteerProfile.objects.get(user__email="rhys.llewellyn@example.org")
    latest = Claim.objects.filter(volunteer=rhys).order_by("-booking__session__starts_at").first()
    first, second = latest.items.order_by("pk")
    start, end = tax_year_bounds(first.date)
    earlier = ClaimItem.objects.filter(claim__volunteer=rhys, date__gte=start, date__lte=end).exclude(claim=latest)

    assert (latest.status, earlier.exclude(claim__status=Status.PAID).count()) == (Status.SUBMITTED, 0)
    assert earlier.aggregate(miles=Sum("miles"))["miles"] == Decimal("9600.0")
    # 400 miles at 45p and 400 at 25p, then all at 25p.
    assert (first.miles, first.vehicle, first.amount) == (Decimal("800.0"), "car", Decimal("280.00"))
    assert (second.miles, second.amount) == (Decimal("800.0"), Decimal("200.00"))  # all at 25p
    assert car_miles_before(rhys, first.date) == Decimal("11200.0")


def test_demo_run_is_completed_with_its_payments_by_route_and_exports(seeded):
    run = ReimbursementRun.objects.get()
    payments = list(run.payments.select_related("claim__booking__session", "volunteer__user").order_by("key"))
    payroll = list(csv.reader(io.StringIO(export_csv(run, "payroll"))))
    accounts_payable = list(csv.reader(io.StringIO(export_csv(run, "accounts_payable"))))

    assert (run.status, run.claims_done, run.claims_total, run.organisation.slug) == ("completed", 8, 8, "northbridge")
    assert (run.started_by.email, run.previewed_by.email) == ("finance@example.org", "finance@example.org")
    assert {payment.claim.status for payment in payments} == {Status.PAID}
    assert Claim.objects.filter(status=Status.PAID).exclude(payments__run=run).count() == 0
    assert {(payment.kind, payment.route) for payment in payments} == {
        ("fee", "payroll"),
        ("expenses", "accounts_payable"),
    }
    assert sorted(run.lines.values_list("claim_id", "kind", "amount", "route")) == sorted(
        (payment.claim_id, payment.kind, payment.amount, payment.route) for payment in payments
    )
    for rows, route in ((payroll, "payroll"), (accounts_payable, "accounts_payable")):
        assert rows[0] == COLUMNS
        assert rows[1:] == [
            [
                payment.key,
                payment.payee_reference,
                payment.volunteer.user.name,
                f"{payment.amount:.2f}",
                payment.cost_centre,
                payment.nominal_code,
                f"{payment.get_kind_display()}: {payment.claim.booking.session.title}",
                payment.claim.reference,
            ]
            for payment in payments
            if payment.route == route
        ]
    assert (len(payroll), len(accounts_payable)) == (8, 9)
    assert {row[1] for row in payroll[1:] + accounts_payable[1:]} == {"SUP-004211", "SUP-004187", "SUP-004230"}
    assert {(row[4], row[5]) for row in payroll[1:] + accounts_payable[1:]} == {("RAD-4410", "5120")}
    assert sum(Decimal(row[3]) for row in payroll[1:] + accounts_payable[1:]) == Decimal("4851.81")
    assert {payment.paid_on for payment in payments} == {timezone.localtime(run.finished_at).date()}


def test_demo_universities_pay_fees_through_payroll_and_expenses_through_accounts_payable(seeded):
    settings = {
        row.organisation.slug: (row.fee_route, row.expenses_route, row.payee_form_url)
        for row in FinanceSettings.objects.select_related("organisation")
    }

    assert settings == {
        "northbridge": ("payroll", "accounts_payable", "https://finance.northbridge.example/new-payee-form"),
        "southgate": ("payroll", "accounts_payable", "https://www.southgate.example/finance/payee-set-up"),
    }
    assert sorted(Programme.objects.values_list("university__slug", "name", "cost_centre", "nominal_code")) == [
        ("northbridge", "BSc (Hons) Adult Nursing", "NUR-2230", "5120"),
        ("northbridge", "BSc (Hons) Adult Nursing", "NUR-2230", "5120"),
        ("northbridge", "BSc (Hons) Diagnostic Radiography", "RAD-4410", "5120"),
        ("northbridge", "BSc (Hons) Diagnostic Radiography", "RAD-4410", "5120"),
        ("southgate", "BSc (Hons) Mental Health Nursing", "SG-MHN01", "61040"),
    ]


def test_demo_has_payee_references_and_a_volunteer_waiting_for_set_up(seeded):
    northbridge = RateCard.objects.get(organisation__slug="northbridge").organisation

    assert sorted(PayeeReference.objects.values_list("volunteer__user__email", "reference")) == [
        ("bronwen.hughes@example.org", "SUP-004230"),
        ("eluned.morganprice@example.org", "SUP-004302"),
        ("rhys.llewellyn@example.org", "SUP-004211"),
        ("volunteer@example.org", "SUP-004187"),
    ]
    assert [volunteer.user.email for volunteer in selectors.awaiting_payee_setup(northbridge)] == [
        "oluwaseun.adebayo@example.org"
    ]


def test_demo_has_one_run_ready_to_preview(seeded):
    finance = User.objects.get(email="finance@example.org")
    northbridge = RateCard.objects.get(organisation__slug="northbridge").organisation
    eluned = Claim.objects.get(volunteer__user__email="eluned.morganprice@example.org")
    oluwaseun = Claim.objects.get(volunteer__user__email="oluwaseun.adebayo@example.org")

    preview = services.preview_run(organisation=northbridge, actor=finance)

    assert sorted(preview.lines.values_list("claim_id", "kind", "route", "payee_reference", "cost_centre")) == [
        (eluned.pk, "expenses", "accounts_payable", "SUP-004302", "RAD-4410"),
        (eluned.pk, "fee", "payroll", "SUP-004302", "RAD-4410"),
    ]
    held = selectors.held_back(preview)
    assert ([claim.pk for claim in held["no_payee"].claims], held["since"].count, held["returned"].count) == (
        [oluwaseun.pk],
        0,
        1,
    )


def test_demo_volunteer_has_a_paid_claim_a_draft_and_a_session_to_claim_for(seeded):
    sian = VolunteerProfile.objects.get(user__email="volunteer@example.org")
    claims = Claim.objects.filter(volunteer=sian).order_by("booking__session__starts_at")
    [to_claim] = volunteers_claimable_bookings(sian)

    assert [(claim.booking.session.title, claim.status) for claim in claims] == [
        ("What good care felt like", "paid"),
        ("Admissions interview day", "draft"),
    ]
    assert list(Payment.objects.filter(volunteer=sian).values_list("kind", "amount")) == [
        ("expenses", Decimal("19.56")),
        ("fee", Decimal("50.00")),
    ]
    assert (to_claim.session.title, to_claim.hours) == ("Admissions interview day", Decimal("3.00"))


def test_seeding_the_demo_twice_creates_no_more_expenses(seeded):
    before = counts()

    call_command("seed_demo", verbosity=0)

    assert counts() == before
    assert before == {
        "RateCard": 2,
        "FeeRate": 10,
        "Claim": 16,
        "ClaimItem": 30,
        "Receipt": 5,
        "PrepaidCost": 1,
        "Payment": 15,
        "ReimbursementRun": 1,
        "RunLine": 15,
        "FinanceSettings": 2,
        "PayeeReference": 4,
    }


@pytest.mark.parametrize(
    ("today", "latest", "earliest"),
    [
        (datetime.date(2026, 11, 21), datetime.date(2026, 11, 17), datetime.date(2026, 6, 16)),
        # Too early in the tax year (fewer than 60 days in): the last Tuesday of the tax year before,
        # and the weeks before it.
        (datetime.date(2026, 5, 20), datetime.date(2026, 3, 31), datetime.date(2025, 10, 28)),
        (datetime.date(2026, 4, 20), datetime.date(2026, 3, 31), datetime.date(2025, 10, 28)),
        (datetime.date(2026, 4, 6), datetime.date(2026, 3, 31), datetime.date(2025, 10, 28)),
        (datetime.date(2027, 4, 5), datetime.date(2027, 3, 30), datetime.date(2026, 10, 27)),
    ],
)
def test_admissions_days_fall_in_one_tax_year_before_today(
    today: datetime.date, latest: datetime.date, earliest: datetime.date
) -> None:
    earlier, last = admissions_days(today)

    assert (last, earlier[0]) == (latest, earliest)
    assert earlier == sorted(set(earlier))
    assert tax_year_bounds(earlier[0]) == tax_year_bounds(last)
    assert earlier[-1] <= last - datetime.timedelta(days=14)
    assert {day.weekday() for day in [*earlier, last]} == {1}  # Tuesdays, when Rhys and Siân are free


def test_demo_seeded_early_in_a_tax_year_still_crosses_10000_miles(db: None, settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    with time_machine.travel(datetime.datetime(2027, 4, 12, 9, 0, tzinfo=LONDON), tick=False):
        call_command("seed_demo", verbosity=0)

    latest = Claim.objects.get(volunteer__user__email="rhys.llewellyn@example.org", status=Status.SUBMITTED)
    assert list(latest.items.order_by("pk").values_list("date", "amount")) == [
        (datetime.date(2027, 3, 30), Decimal("280.00")),
        (datetime.date(2027, 3, 30), Decimal("200.00")),
    ]
    assert by_status() == {"draft": 2, "submitted": 2, "returned": 1, "approved": 2, "rejected": 1, "paid": 8}
