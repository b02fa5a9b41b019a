"""The expenses personal-data provider (``expenses.personal_data``): what the volunteer's download
holds, what the erasure wipes, deletes and keeps, when the erasure must wait, and the nightly
purge of an erased volunteer's financial records once the retention period has passed.

Until the cross-app erasure calls the providers, the provider's functions are called directly.
The clock stands at Monday 20 October 2025, 09:30 UK time; the sessions were on 1 and 8 October.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone

from expenses import personal_data, services
from expenses.models import (
    BookingArrangement,
    Claim,
    ClaimItem,
    PayeeReference,
    Payment,
    PrepaidCost,
    Receipt,
    ReimbursementRun,
    RunLine,
)
from involvement.models import ActivityLog
from sessions_app.models import Booking
from tests import factories
from tests.conftest import World, signed_in
from tests.expenses.factories import attended_on, pay_approved_claims, rate_card_for
from volunteers import data_rights
from volunteers.models import VolunteerProfile
from volunteers.personal_data import iso

D = Decimal
Status = Claim.Status
FIRST_DAY = datetime.date(2025, 10, 1)
SECOND_DAY = datetime.date(2025, 10, 8)
NOW = datetime.datetime(2025, 10, 20, 8, 30, tzinfo=datetime.UTC)
PDF = factories.RECEIPT_PDF  # well-formed: receipts are parsed (expenses.receipts)
SITE = settings.SITE_URL.rstrip("/")


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    rate_card_for(world.university)
    return world.volunteer.volunteer_profile


def receipt() -> SimpleUploadedFile:
    return SimpleUploadedFile("Train ticket.pdf", PDF, content_type="application/pdf")


def booked(world: World, profile: VolunteerProfile, day: datetime.date, title: str) -> Booking:
    return attended_on(world.university, world.coordinator, profile, day, title=title)


def paid_claim(world: World, profile: VolunteerProfile) -> Claim:
    """1 October: mileage and parking (with its receipt), the £50.00 fee; approved and paid by a run."""
    booking = booked(world, profile, FIRST_DAY, "Breaking bad news")
    services.set_taxi_preapproval(booking=booking, actor=world.coordinator, approved=True, notes="From Siân's home.")
    services.add_prepaid_cost(booking=booking, actor=world.coordinator, description="Siân's hotel", amount=D("89.00"))
    claim = services.open_claim(booking=booking, actor=world.volunteer)
    services.add_item(
        claim=claim,
        actor=world.volunteer,
        kind="mileage",
        date=FIRST_DAY,
        miles=D("12.5"),
        vehicle="car",
        from_postcode="LS1 4DY",
        to_postcode="LS2 9JT",
        note="Via the hospice",
    )
    services.add_item(
        claim=claim,
        actor=world.volunteer,
        kind="parking",
        date=FIRST_DAY,
        amount=D("4.50"),
        note="Car park B",
        receipt_file=receipt(),
    )
    services.submit_claim(claim=claim, actor=world.volunteer)
    services.approve_claim(claim=claim, actor=world.finance)
    pay_approved_claims(world.university, world.finance)
    return Claim.objects.get(pk=claim.pk)


def draft_claim(world: World, profile: VolunteerProfile) -> Claim:
    """8 October: food and drink and a parking receipt, not sent yet."""
    claim = services.open_claim(booking=booked(world, profile, SECOND_DAY, "OSCE practice"), actor=world.volunteer)
    services.add_item(
        claim=claim,
        actor=world.volunteer,
        kind="parking",
        date=SECOND_DAY,
        amount=D("3.00"),
        note="Siân's parking",
        receipt_file=receipt(),
    )
    return claim


def stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


# The download ------------------------------------------------------------------------------------


def test_export_lists_claims_with_items_and_history(world: World, profile: VolunteerProfile) -> None:
    claim = paid_claim(world, profile)

    [exported] = personal_data._claims(profile)

    assert exported == {
        "reference": claim.reference,
        "session": "Breaking bad news",
        "university": "University A",
        "status": "Paid",
        "entered_from_paper": False,
        "fee_choice": "Take the fee",
        "fee_due": "50.00",
        "fee_requested": "50.00",
        "submitted": "2025-10-20T09:30:00+01:00",
        "decided": "2025-10-20T09:30:00+01:00",
        "paid": "2025-10-20T09:30:00+01:00",
        "decision_note": "",
        "items": [
            {
                "kind": "Mileage",
                "date": "2025-10-01",
                "amount": "5.63",
                "miles": "12.5",
                "vehicle": "Car or van",
                "from_postcode": "LS1 4DY",
                "to_postcode": "LS2 9JT",
                "note": "Via the hospice",
            },
            {
                "kind": "Parking",
                "date": "2025-10-01",
                "amount": "4.50",
                "miles": None,
                "vehicle": "",
                "from_postcode": "",
                "to_postcode": "",
                "note": "Car park B",
            },
        ],
        "history": [
            {"what": what, "when": "2025-10-20T09:30:00+01:00"}
            for what in (
                "Started",
                "Expense added",
                "Expense added",
                "Sent for approval",
                "Approved",
                "Paid",
            )
        ],
    }


def test_export_lists_receipts_with_a_download_link_that_works_for_the_volunteer(
    world: World, profile: VolunteerProfile
) -> None:
    claim = paid_claim(world, profile)
    stored = Receipt.objects.get()

    [exported] = personal_data._receipts(profile)
    response = signed_in(world.volunteer).get(exported["download"].removeprefix(SITE))
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    response.close()  # type: ignore[attr-defined]

    assert exported == {
        "name": "Train ticket.pdf",
        "claim": claim.reference,
        "uploaded": "2025-10-20T09:30:00+01:00",
        "download": f"{SITE}/receipts/{stored.pk}/",
    }
    assert (response.status_code, content) == (200, PDF)
    assert Client().get(exported["download"].removeprefix(SITE)).status_code == 302


def test_export_lists_payments_and_arrangements(world: World, profile: VolunteerProfile) -> None:
    PayeeReference.objects.create(organisation=world.university, volunteer=profile, reference="SUP-0042")
    claim = paid_claim(world, profile)

    assert personal_data._payments(profile) == [
        {
            "key": f"claim-{claim.pk}-expenses",
            "kind": "Expenses",
            "amount": "10.13",
            "route": "Accounts payable",
            "payee_reference": "SUP-0042",
            "paid_on": "2025-10-20",
            "claim": claim.reference,
        },
        {
            "key": f"claim-{claim.pk}-fee",
            "kind": "Involvement fee",
            "amount": "50.00",
            "route": "Payroll",
            "payee_reference": "SUP-0042",
            "paid_on": "2025-10-20",
            "claim": claim.reference,
        },
    ]
    assert personal_data._arrangements(profile) == [
        {
            "session": "Breaking bad news",
            "university": "University A",
            "taxi_agreed": True,
            "notes": "From Siân's home.",
            "paid_by_the_university": [{"what": "Siân's hotel", "amount": "89.00"}],
        }
    ]


def test_export_lists_payee_references_and_erasure_removes_them(
    world: World, profile: VolunteerProfile, django_capture_on_commit_callbacks: Any
) -> None:
    entry = PayeeReference.objects.create(organisation=world.university, volunteer=profile, reference="SUP-0042")

    assert personal_data._payee_references(profile) == [
        {"university": "University A", "reference": "SUP-0042", "recorded": iso(entry.created_at)}
    ]
    erase(profile, world, django_capture_on_commit_callbacks)
    assert PayeeReference.objects.count() == 0


def test_export_of_a_volunteer_without_claims_is_empty(world: World, profile: VolunteerProfile) -> None:
    assert [section.read(profile) for section in personal_data.PROVIDER.sections] == [[], [], [], [], []]


def test_the_provider_is_registered_with_its_sections(world: World) -> None:
    [provider] = [provider for provider in data_rights.providers() if provider.name == "expenses"]

    assert [section.key for section in provider.sections] == [
        "claims",
        "receipts",
        "payments",
        "payee_references",
        "arrangements",
    ]
    assert set(provider.rows) == {
        Claim,
        ClaimItem,
        Receipt,
        Payment,
        BookingArrangement,
        PrepaidCost,
        PayeeReference,
        RunLine,
    }
    assert provider.code_fields == {
        "expenses.Payment.key",
        "expenses.Payment.cost_centre",
        "expenses.Payment.nominal_code",
        "expenses.RunLine.cost_centre",
        "expenses.RunLine.nominal_code",
        "expenses.Receipt.content_type",
        "expenses.Receipt.file",
    }


def test_rows_are_the_volunteers_own(world: World, profile: VolunteerProfile) -> None:
    someone_else = factories.VolunteerProfileFactory()
    PayeeReference.objects.create(organisation=world.university, volunteer=profile, reference="SUP-1")
    PayeeReference.objects.create(organisation=world.university, volunteer=someone_else, reference="SUP-2")
    paid_claim(world, profile)
    services.open_claim(booking=booked(world, someone_else, SECOND_DAY, "Panel"), actor=someone_else.user)

    counts = {model.__name__: rows(profile).count() for model, rows in personal_data.PROVIDER.rows.items()}

    assert counts == {
        "Claim": 1,
        "ClaimItem": 2,
        "Receipt": 1,
        "Payment": 2,
        "BookingArrangement": 1,
        "PrepaidCost": 1,
        "PayeeReference": 1,
        "RunLine": 2,
    }


# Erasure ----------------------------------------------------------------------------------------


def erase(profile: VolunteerProfile, world: World, capture: Any) -> None:
    with capture(execute=True):
        personal_data.erase(profile, world.lead)


def test_erase_deletes_drafts_wipes_text_and_receipts_and_keeps_the_paid_claim(
    world: World, profile: VolunteerProfile, django_capture_on_commit_callbacks: Any
) -> None:
    paid = paid_claim(world, profile)
    draft = draft_claim(world, profile)
    files = stored_files()
    assert len(files) == 2

    erase(profile, world, django_capture_on_commit_callbacks)

    assert stored_files() == []
    assert (Receipt.objects.count(), Claim.objects.filter(pk=draft.pk).exists()) == (0, False)
    assert list(Claim.objects.values_list("pk", "status", "decision_note", "volunteer")) == [
        (paid.pk, Status.PAID, "", profile.pk)
    ]
    assert list(
        ClaimItem.objects.order_by("pk").values_list(
            "kind", "amount", "note", "from_postcode", "to_postcode", "receipt"
        )
    ) == [
        ("mileage", D("5.63"), "", "", "", None),
        ("parking", D("4.50"), "", "", "", None),
    ]
    assert list(Payment.objects.order_by("key").values_list("claim", "amount", "route", "payee_reference")) == [
        (paid.pk, D("10.13"), "accounts_payable", ""),
        (paid.pk, D("50.00"), "payroll", ""),
    ]
    assert list(RunLine.objects.order_by("kind").values_list("claim", "amount", "payee_reference")) == [
        (paid.pk, D("10.13"), ""),
        (paid.pk, D("50.00"), ""),
    ]
    assert PayeeReference.objects.filter(volunteer=profile).count() == 0
    assert list(BookingArrangement.objects.values_list("taxi_preapproved", "notes")) == [(True, "")]
    assert list(PrepaidCost.objects.values_list("description", "amount")) == [
        ("Cost paid by the university", D("89.00"))
    ]


def test_erase_wipes_a_rejected_claims_reason_and_deletes_a_returned_claim(
    world: World, profile: VolunteerProfile, django_capture_on_commit_callbacks: Any
) -> None:
    rejected = services.open_claim(booking=booked(world, profile, FIRST_DAY, "Storytelling"), actor=world.volunteer)
    services.add_item(
        claim=rejected,
        actor=world.volunteer,
        kind="home_online",
        date=FIRST_DAY,
        amount=D("2.00"),
        note="Siân's broadband",
    )
    services.submit_claim(claim=rejected, actor=world.volunteer)
    services.reject_claim(claim=rejected, actor=world.finance, reason="Siân claimed this on paper.")
    returned = services.open_claim(booking=booked(world, profile, SECOND_DAY, "Panel"), actor=world.volunteer)
    services.submit_claim(claim=returned, actor=world.volunteer)
    services.return_claim(claim=returned, actor=world.finance, note="Siân, please add the ticket.")

    erase(profile, world, django_capture_on_commit_callbacks)

    assert list(Claim.objects.values_list("pk", "status", "decision_note")) == [(rejected.pk, Status.REJECTED, "")]
    assert list(ClaimItem.objects.values_list("note", flat=True)) == [""]


def test_erase_keeps_the_files_when_the_erasure_is_rolled_back(world: World, profile: VolunteerProfile) -> None:
    paid_claim(world, profile)

    def erase_then_fail() -> None:
        with transaction.atomic():
            personal_data.erase(profile, world.lead)
            raise RuntimeError("a later part of the erasure failed")

    with pytest.raises(RuntimeError):
        erase_then_fail()

    assert (len(stored_files()), Receipt.objects.count(), ClaimItem.objects.exclude(note="").count()) == (1, 1, 2)


# Refusal ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED])
def test_refuse_while_a_claim_waits_to_be_decided_or_paid(world: World, profile: VolunteerProfile, status: str) -> None:
    claim = services.open_claim(booking=booked(world, profile, FIRST_DAY, "Storytelling"), actor=world.volunteer)
    services.submit_claim(claim=claim, actor=world.volunteer)
    if status == Status.APPROVED:
        services.approve_claim(claim=claim, actor=world.finance)

    assert personal_data.refuse(profile) == (
        f"Claim {claim.reference} is still waiting to be decided or paid. So that the volunteer is not left out "
        "of pocket, the record can be erased once it has been paid or decided."
    )
    assert data_rights.refusals(profile) == [personal_data.refuse(profile)]


def test_refuse_names_every_claim_waiting(world: World, profile: VolunteerProfile) -> None:
    claims = []
    for day, title in ((FIRST_DAY, "Storytelling"), (SECOND_DAY, "Panel")):
        claim = services.open_claim(booking=booked(world, profile, day, title), actor=world.volunteer)
        claims.append(services.submit_claim(claim=claim, actor=world.volunteer))

    assert personal_data.refuse(profile) == (
        f"Claims {claims[0].reference} and {claims[1].reference} are still waiting to be decided or paid. So that "
        "the volunteer is not left out of pocket, the record can be erased once they have been paid or decided."
    )


def test_refuse_nothing_once_claims_are_paid_or_only_drafts(world: World, profile: VolunteerProfile) -> None:
    paid_claim(world, profile)
    draft_claim(world, profile)

    assert personal_data.refuse(profile) is None


# The retention purge ----------------------------------------------------------------------------


def erased(profile: VolunteerProfile) -> VolunteerProfile:
    VolunteerProfile.objects.filter(pk=profile.pk).update(erased_at=timezone.now())
    return VolunteerProfile.objects.get(pk=profile.pk)


def test_purge_deletes_only_erased_volunteers_records_past_the_retention_period(
    world: World, profile: VolunteerProfile, frozen: time_machine.Traveller
) -> None:
    old = paid_claim(world, profile)
    rejected = services.open_claim(booking=booked(world, profile, SECOND_DAY, "Panel"), actor=world.volunteer)
    services.submit_claim(claim=rejected, actor=world.volunteer)
    services.reject_claim(claim=rejected, actor=world.finance, reason="No.")
    erased(profile)
    # Another volunteer, never erased, paid at the same time: kept whatever its age.
    other = factories.VolunteerProfileFactory()
    other_claim = services.open_claim(booking=booked(world, other, FIRST_DAY, "Other"), actor=other.user)
    services.submit_claim(claim=other_claim, actor=other.user)
    services.approve_claim(claim=other_claim, actor=world.finance)
    pay_approved_claims(world.university, world.finance)

    # Paid and rejected in the tax year 2025/26, which ended on 5 April 2026: six years on is
    # the end of 5 April 2032.
    frozen.move_to(datetime.datetime(2032, 4, 6, 9, 0, tzinfo=datetime.UTC))

    deleted = services.purge_expired_finance_records(batch_size=1)

    assert deleted == 2
    assert list(Claim.objects.values_list("pk", flat=True)) == [other_claim.pk]
    assert (
        ClaimItem.objects.filter(claim__in=[old.pk, rejected.pk]).count(),
        Payment.objects.filter(claim=old.pk).count(),
    ) == (0, 0)
    assert Payment.objects.filter(claim=other_claim).count() == 1
    assert ReimbursementRun.objects.count() == 2
    assert list(ActivityLog.objects.filter(action="claims.retention_purged").values_list("data", flat=True)) == [
        {"count": 2}
    ]


def test_purge_is_safe_to_run_twice(world: World, profile: VolunteerProfile, frozen: time_machine.Traveller) -> None:
    paid_claim(world, profile)
    erased(profile)
    frozen.move_to(datetime.datetime(2032, 5, 1, 9, 0, tzinfo=datetime.UTC))

    first = services.purge_expired_finance_records()
    second = services.purge_expired_finance_records()

    assert (first, second, Claim.objects.count(), Payment.objects.count()) == (1, 0, 0, 0)
    assert ActivityLog.objects.filter(action="claims.retention_purged").count() == 1


def test_purge_keeps_recent_records_of_an_erased_volunteer(
    world: World, profile: VolunteerProfile, frozen: time_machine.Traveller
) -> None:
    paid_claim(world, profile)
    erased(profile)
    # Six years after payment is not enough: HMRC counts from the end of the tax year (5 April 2026).
    frozen.move_to(datetime.datetime(2031, 10, 21, 9, 0, tzinfo=datetime.UTC))
    assert (services.purge_expired_finance_records(), Claim.objects.count()) == (0, 1)
    frozen.move_to(datetime.datetime(2032, 4, 5, 22, 59, tzinfo=datetime.UTC))  # 23:59 BST on 5 April 2032
    assert (services.purge_expired_finance_records(), Claim.objects.count()) == (0, 1)


def test_purge_follows_the_retention_setting(
    world: World, profile: VolunteerProfile, frozen: time_machine.Traveller, settings: Any
) -> None:
    paid_claim(world, profile)
    erased(profile)
    settings.FINANCE_RETENTION_YEARS = 1
    frozen.move_to(datetime.datetime(2027, 4, 6, 9, 0, tzinfo=datetime.UTC))

    assert (services.purge_expired_finance_records(), Claim.objects.count()) == (1, 0)


def test_retention_setting_defaults_to_six_years() -> None:
    assert settings.FINANCE_RETENTION_YEARS == 6


def test_the_purge_runs_every_night() -> None:
    job = settings.CELERY_BEAT_SCHEDULE["expenses.purge_expired_finance_records"]

    assert (job["task"], job["schedule"].hour, job["schedule"].minute) == (
        "expenses.purge_expired_finance_records",
        {3},
        {20},
    )


def test_the_nightly_task_calls_the_purge(
    world: World, profile: VolunteerProfile, frozen: time_machine.Traveller
) -> None:
    from expenses.tasks import task_purge_expired_finance_records

    paid_claim(world, profile)
    erased(profile)
    frozen.move_to(datetime.datetime(2032, 5, 1, 9, 0, tzinfo=datetime.UTC))

    task_purge_expired_finance_records()
    task_purge_expired_finance_records()

    assert (Claim.objects.count(), Payment.objects.count(), ClaimItem.objects.count()) == (0, 0, 0)
