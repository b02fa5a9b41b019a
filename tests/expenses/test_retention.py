"""The retention rule for receipts: each file goes six years after the end of the tax year in which
its claim was paid or rejected; the row is marked and the claim stays."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from expenses import personal_data
from expenses.models import Claim, ClaimItem, Receipt
from expenses.services import remove_expired_receipt_files, retention_cutoff
from sessions_app.clock import london_datetime
from tests.conftest import signed_in
from tests.expenses.factories import ClaimFactory, ClaimItemFactory

ClaimStatus = Claim.Status


def uk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return london_datetime(datetime.date(year, month, day), datetime.time(hour, minute))


def receipt_for(status: str, **claim_fields: Any) -> Receipt:
    claim = ClaimFactory(status=status, **claim_fields)
    receipt = Receipt.objects.create(
        claim=claim,
        file=ContentFile(b"%PDF-1.4 train ticket", name="ticket.pdf"),
        content_type="application/pdf",
        original_name="ticket.pdf",
        size=21,
    )
    ClaimItemFactory(claim=claim, kind=ClaimItem.Kind.PUBLIC_TRANSPORT, receipt=receipt)
    return receipt


def test_retention_cutoff_is_the_start_of_a_tax_year() -> None:
    # On 5 April 2032 the tax year 2025/26 (to 5 April 2026) ended six years ago only at midnight.
    assert retention_cutoff(uk(2032, 4, 5, 23, 59)) == uk(2025, 4, 6)
    assert retention_cutoff(uk(2032, 4, 6)) == uk(2026, 4, 6)
    assert retention_cutoff(uk(2032, 12, 1)) == uk(2026, 4, 6)


def test_remove_expired_receipt_files_six_years_after_the_end_of_the_tax_year(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    # Paid on the last evening of the tax year 2025/26, and on the first morning of 2026/27.
    last_evening = receipt_for(ClaimStatus.PAID, paid_at=uk(2026, 4, 5, 23, 59))
    first_morning = receipt_for(ClaimStatus.PAID, paid_at=uk(2026, 4, 6, 0, 0))
    rejected = receipt_for(ClaimStatus.REJECTED, decided_at=uk(2026, 3, 2, 11, 0))
    # Never paid nor decided (still with the approver): not a finance record yet, never touched.
    waiting = receipt_for(ClaimStatus.SUBMITTED, submitted_at=uk(2019, 1, 7, 9, 0))
    names = {receipt.pk: receipt.file.name for receipt in (last_evening, first_morning, rejected, waiting)}

    with django_capture_on_commit_callbacks(execute=True):
        assert remove_expired_receipt_files(now=uk(2032, 4, 5, 23, 59)) == 0
    assert [default_storage.exists(name) for name in names.values()] == [True, True, True, True]

    removed_at = uk(2032, 4, 6, 2, 30)
    with django_capture_on_commit_callbacks(execute=True):
        assert remove_expired_receipt_files(now=removed_at) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert remove_expired_receipt_files(now=removed_at) == 0

    assert {pk: default_storage.exists(name) for pk, name in names.items()} == {
        last_evening.pk: False,
        first_morning.pk: True,
        rejected.pk: False,
        waiting.pk: True,
    }
    rows = {row.pk: (row.file.name, row.removed_at, row.original_name) for row in Receipt.objects.all()}
    assert rows == {
        last_evening.pk: ("", removed_at, "ticket.pdf"),
        first_morning.pk: (names[first_morning.pk], None, "ticket.pdf"),
        rejected.pk: ("", removed_at, "ticket.pdf"),
        waiting.pk: (names[waiting.pk], None, "ticket.pdf"),
    }
    # The claims and their items stay, as they were: the finance record.
    assert sorted(Claim.objects.values_list("status", flat=True)) == sorted(
        [ClaimStatus.PAID, ClaimStatus.PAID, ClaimStatus.REJECTED, ClaimStatus.SUBMITTED]
    )
    assert ClaimItem.objects.filter(receipt__isnull=False).count() == 4

    # A year later, the next tax year's receipt goes too.
    with django_capture_on_commit_callbacks(execute=True):
        assert remove_expired_receipt_files(now=uk(2033, 4, 6, 2, 30)) == 1
    assert default_storage.exists(names[first_morning.pk]) is False


def test_remove_expired_receipt_files_follows_the_setting(db: None, settings: Any) -> None:
    settings.FINANCE_RETENTION_YEARS = 7
    receipt = receipt_for(ClaimStatus.PAID, paid_at=uk(2026, 4, 5, 12, 0))

    assert remove_expired_receipt_files(now=uk(2032, 4, 6, 2, 30)) == 0
    assert remove_expired_receipt_files(now=uk(2033, 4, 6, 2, 30)) == 1
    receipt.refresh_from_db()
    assert receipt.removed_at == uk(2033, 4, 6, 2, 30)


def test_a_removed_receipt_is_not_found(db: None) -> None:
    receipt = receipt_for(ClaimStatus.PAID, paid_at=uk(2026, 4, 5, 12, 0))
    remove_expired_receipt_files(now=uk(2032, 4, 6, 2, 30))

    response = signed_in(receipt.claim.volunteer.user).get(reverse("expenses:receipt", kwargs={"pk": receipt.pk}))

    assert response.status_code == 404


def test_a_removed_receipt_in_the_volunteers_download_says_when(db: None) -> None:
    receipt = receipt_for(ClaimStatus.PAID, paid_at=uk(2026, 4, 5, 12, 0))
    kept = receipt_for(ClaimStatus.PAID, paid_at=uk(2026, 4, 6, 12, 0))
    Claim.objects.filter(pk=kept.claim_id).update(volunteer=receipt.claim.volunteer)
    remove_expired_receipt_files(now=uk(2032, 4, 6, 2, 30))

    rows = personal_data._receipts(receipt.claim.volunteer)

    assert rows == [
        {
            "name": "ticket.pdf",
            "claim": receipt.claim.reference,
            "uploaded": timezone.localtime(receipt.created_at).isoformat(),
            "file removed": uk(2032, 4, 6, 2, 30).isoformat(),
        },
        {
            "name": "ticket.pdf",
            "claim": kept.claim.reference,
            "uploaded": timezone.localtime(kept.created_at).isoformat(),
            "download": f"{settings.SITE_URL}{reverse('expenses:receipt', kwargs={'pk': kept.pk})}",
        },
    ]


def test_remove_expired_receipt_files_in_batches(db: None, django_capture_on_commit_callbacks: Any) -> None:
    claim = ClaimFactory(status=ClaimStatus.PAID, paid_at=uk(2020, 5, 1, 12, 0))
    for n in range(250):
        default_storage.save(f"receipts/2020/05/r{n}.pdf", ContentFile(b"%PDF-1.4"))
    Receipt.objects.bulk_create(
        Receipt(
            claim=claim,
            file=f"receipts/2020/05/r{n}.pdf",
            content_type="application/pdf",
            original_name="r.pdf",
            size=8,
        )
        for n in range(250)
    )

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        assert remove_expired_receipt_files(now=uk(2027, 4, 6, 2, 30), batch_size=200) == 250

    savepoints = sum(1 for query in queries.captured_queries if query["sql"].startswith("SAVEPOINT"))
    # Per batch: the ids, then savepoint, the file names, the update, release; and one last read.
    assert (savepoints, len(queries)) == (2, 11)
    assert [default_storage.exists(f"receipts/2020/05/r{n}.pdf") for n in (0, 199, 200, 249)] == [False] * 4
