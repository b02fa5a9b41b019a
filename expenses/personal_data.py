"""What the expenses app holds about a volunteer (their claims with the items and how each moved,
receipts, payments, and what the universities arranged or paid for their bookings), for the
personal-data registry (``volunteers.data_rights``): the download and the erasure.

Money is a financial record: the erasure keeps paid and rejected claims and their payments,
pseudonymised (they point at the erased profile, whose personal data is gone, and every word
typed about them is wiped), for ``FINANCE_RETENTION_YEARS``; after that the nightly
``services.purge_expired_finance_records`` deletes them. It cannot start while money is still
being decided or paid.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.urls import reverse

from accounts.models import User
from expenses.models import (
    BookingArrangement,
    Claim,
    ClaimItem,
    PayeeReference,
    Payment,
    PrepaidCost,
    Receipt,
    RunLine,
)
from expenses.services import delete_receipt_files_on_commit
from involvement.links import absolute_url
from involvement.models import ActivityLog
from volunteers.data_rights import Provider, Section
from volunteers.models import VolunteerProfile
from volunteers.personal_data import iso

ClaimStatus = Claim.Status
# What a prepaid cost is called once the volunteer is erased (its own words could name them).
NEUTRAL_PREPAID = "Cost paid by the university"
# Claims the erasure deletes outright: nothing was decided or paid on them.
NOT_DECIDED = [ClaimStatus.DRAFT, ClaimStatus.RETURNED]
# Claims that stop the erasure: money still to decide or to pay.
STILL_OPEN = [ClaimStatus.SUBMITTED, ClaimStatus.APPROVED]
HISTORY = {
    "claim.opened": "Started",
    "claim.opened_on_behalf": "Started by staff from a paper claim",
    "claim.item_added": "Expense added",
    "claim.item_removed": "Expense removed",
    "claim.fee_choice": "Choice about the fee saved",
    "claim.submitted": "Sent for approval",
    "claim.approved": "Approved",
    "claim.rejected": "Not approved",
    "claim.returned": "Sent back for a change",
    "claim.paid": "Paid",
}


def _money(amount: Any) -> str | None:
    return None if amount is None else f"{amount:.2f}"


# The download ------------------------------------------------------------------------------------


def _history(claims: list[Claim]) -> dict[str, list[dict[str, Any]]]:
    """Each claim's steps (by claim id, as text), from the audit trail, in one query."""
    entries = ActivityLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Claim),
        object_id__in=[str(claim.pk) for claim in claims],
        action__startswith="claim.",
    ).order_by("created_at", "pk")
    history: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        what = HISTORY.get(entry.action, entry.action)
        history.setdefault(entry.object_id, []).append({"what": what, "when": iso(entry.created_at)})
    return history


def _item(item: ClaimItem) -> dict[str, Any]:
    return {
        "kind": item.get_kind_display(),
        "date": iso(item.date),
        "amount": _money(item.amount),
        "miles": str(item.miles) if item.miles is not None else None,
        "vehicle": item.get_vehicle_display() if item.vehicle else "",
        "from_postcode": item.from_postcode,
        "to_postcode": item.to_postcode,
        "note": item.note,
    }


def _claims(profile: VolunteerProfile) -> list[dict[str, Any]]:
    claims = list(
        Claim.objects.filter(volunteer=profile)
        .select_related("booking__session__module__programme__university")
        .prefetch_related("items")
        .order_by("-booking__session__starts_at", "-pk")
    )
    history = _history(claims)
    return [
        {
            "reference": claim.reference,
            "session": claim.booking.session.title,
            "university": claim.booking.session.module.programme.university.name,
            "status": claim.get_status_display(),
            "entered_from_paper": claim.on_behalf,
            "fee_choice": claim.get_fee_choice_display(),
            "fee_due": _money(claim.fee_due),
            "fee_requested": _money(claim.fee_requested),
            "submitted": iso(claim.submitted_at),
            "decided": iso(claim.decided_at),
            "paid": iso(claim.paid_at),
            "decision_note": claim.decision_note,
            "items": [_item(item) for item in claim.items.all()],
            "history": history.get(str(claim.pk), []),
        }
        for claim in claims
    ]


def _receipts(profile: VolunteerProfile) -> list[dict[str, Any]]:
    """Each receipt with a link to download it, or, once its file was removed at the end of the
    finance retention period, when that was."""
    receipts = Receipt.objects.filter(claim__volunteer=profile).select_related("claim").order_by("created_at", "pk")
    return [
        {
            "name": receipt.original_name,
            "claim": receipt.claim.reference,
            "uploaded": iso(receipt.created_at),
            **(
                {"file removed": iso(receipt.removed_at)}
                if receipt.removed_at is not None
                else {"download": absolute_url(reverse("expenses:receipt", kwargs={"pk": receipt.pk}))}
            ),
        }
        for receipt in receipts
    ]


def _payments(profile: VolunteerProfile) -> list[dict[str, Any]]:
    payments = Payment.objects.filter(claim__volunteer=profile).select_related("claim").order_by("paid_on", "key")
    return [
        {
            "key": payment.key,
            "kind": payment.get_kind_display(),
            "amount": _money(payment.amount),
            "route": payment.get_route_display(),
            "payee_reference": payment.payee_reference,
            "paid_on": iso(payment.paid_on),
            "claim": payment.claim.reference,
        }
        for payment in payments
    ]


def _payee_references(profile: VolunteerProfile) -> list[dict[str, Any]]:
    """Each university's reference for them in its own finance system (never bank details)."""
    found = PayeeReference.objects.filter(volunteer=profile).select_related("organisation").order_by("pk")
    return [
        {"university": entry.organisation.name, "reference": entry.reference, "recorded": iso(entry.created_at)}
        for entry in found
    ]


def _arrangements(profile: VolunteerProfile) -> list[dict[str, Any]]:
    """For each of their bookings with something arranged or paid by the university."""
    arrangements = {
        arrangement.booking_id: arrangement
        for arrangement in BookingArrangement.objects.filter(booking__volunteer=profile)
    }
    prepaid: dict[int, list[PrepaidCost]] = {}
    for cost in PrepaidCost.objects.filter(booking__volunteer=profile).order_by("created_at", "pk"):
        prepaid.setdefault(cost.booking_id, []).append(cost)
    booking_ids = set(arrangements) | set(prepaid)
    bookings = (
        profile.bookings.filter(pk__in=booking_ids)
        .select_related("session__module__programme__university")
        .order_by("-session__starts_at", "-pk")
    )
    found = []
    for booking in bookings:
        arrangement = arrangements.get(booking.pk)
        found.append(
            {
                "session": booking.session.title,
                "university": booking.session.module.programme.university.name,
                "taxi_agreed": bool(arrangement and arrangement.taxi_preapproved),
                "notes": arrangement.notes if arrangement else "",
                "paid_by_the_university": [
                    {"what": cost.description, "amount": _money(cost.amount)} for cost in prepaid.get(booking.pk, [])
                ],
            }
        )
    return found


# Erasure -----------------------------------------------------------------------------------------


def refuse(profile: VolunteerProfile) -> str | None:
    """While a claim is sent or approved, money is still to be decided or paid: the record can be
    erased once it has been."""
    references = [
        claim.reference
        for claim in Claim.objects.filter(volunteer=profile, status__in=STILL_OPEN).only("pk").order_by("pk")
    ]
    if not references:
        return None
    if len(references) == 1:
        return (
            f"Claim {references[0]} is still waiting to be decided or paid. So that the volunteer is not "
            "left out of pocket, the record can be erased once it has been paid or decided."
        )
    listed = f"{', '.join(references[:-1])} and {references[-1]}"
    return (
        f"Claims {listed} are still waiting to be decided or paid. So that the volunteer is not left out "
        "of pocket, the record can be erased once they have been paid or decided."
    )


def erase(profile: VolunteerProfile, actor: User) -> None:
    """Draft and returned claims go, with their items. Every receipt goes, its file removed from
    storage once the erasure commits. The paid and rejected claims and their payments stay, as a
    financial record, without a word anyone typed about them: item notes and postcodes, and the
    decision notes, are wiped. Their payee references go (each university's finance system keeps
    its own record), and so does the payee reference copied onto their payments and run lines.
    What the university arranged loses its notes, and what it paid
    for is described neutrally. Runs inside the erasure's transaction."""
    claims = Claim.objects.filter(volunteer=profile)
    receipts = Receipt.objects.filter(claim__volunteer=profile)
    delete_receipt_files_on_commit(receipts)
    receipts.delete()
    undecided = claims.filter(status__in=NOT_DECIDED)
    ClaimItem.objects.filter(claim__in=undecided).delete()
    undecided.delete()
    ClaimItem.objects.filter(claim__volunteer=profile).update(note="", from_postcode="", to_postcode="")
    claims.update(decision_note="")
    BookingArrangement.objects.filter(booking__volunteer=profile).update(notes="")
    PayeeReference.objects.filter(volunteer=profile).delete()
    # The payments and run lines keep the money, not who the finance system knows them as.
    Payment.objects.filter(claim__volunteer=profile).update(payee_reference="")
    RunLine.objects.filter(claim__volunteer=profile).update(payee_reference="")
    PrepaidCost.objects.filter(booking__volunteer=profile).update(description=NEUTRAL_PREPAID)


def _rows_claims(profile: VolunteerProfile) -> QuerySet[Claim]:
    return Claim.objects.filter(volunteer=profile)


PROVIDER = Provider(
    name="expenses",
    order=30,
    sections=(
        Section(
            "claims",
            "Your claims",
            _claims,
            intro="Every claim you made (or staff entered for you), newest session first, with its expenses "
            "and each step it took.",
        ),
        Section("receipts", "Your receipts", _receipts, intro="Each file you sent, with a link to download it."),
        Section("payments", "What you were paid", _payments),
        Section(
            "payee_references",
            "How universities pay you",
            _payee_references,
            intro="Your payee reference in each university's finance system. Your bank details are held there, "
            "never here.",
        ),
        Section(
            "arrangements",
            "Travel and costs arranged for you",
            _arrangements,
            intro="Taxis the university agreed in advance, and costs it paid itself.",
        ),
    ),
    rows={
        Claim: _rows_claims,
        ClaimItem: lambda profile: ClaimItem.objects.filter(claim__volunteer=profile),
        Receipt: lambda profile: Receipt.objects.filter(claim__volunteer=profile),
        Payment: lambda profile: Payment.objects.filter(claim__volunteer=profile),
        BookingArrangement: lambda profile: BookingArrangement.objects.filter(booking__volunteer=profile),
        PrepaidCost: lambda profile: PrepaidCost.objects.filter(booking__volunteer=profile),
        PayeeReference: lambda profile: PayeeReference.objects.filter(volunteer=profile),
        RunLine: lambda profile: RunLine.objects.filter(claim__volunteer=profile),
    },
    erase=erase,
    refuse=refuse,
    code_fields=frozenset(
        {
            "expenses.Payment.key",
            # A programme's codes in the university's finance system, copied onto what pays it.
            "expenses.Payment.cost_centre",
            "expenses.Payment.nominal_code",
            "expenses.RunLine.cost_centre",
            "expenses.RunLine.nominal_code",
            "expenses.Receipt.content_type",
            "expenses.Receipt.file",
        }
    ),
)
