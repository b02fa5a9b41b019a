"""Helpers for report tests: held sessions at exact UK times, marked places, the "share my
participation with my charity" consent, and paid claims."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Organisation, User
from expenses.models import Claim, Payment, ReimbursementRun
from sessions_app.models import Booking, Module, TeachingSession
from tests.sessions_app.factories import BookingFactory, TeachingSessionFactory
from volunteers.models import ConsentPurpose, ConsentRecord, ConsentText, VolunteerProfile

SHARE = "share-with-charity"


def uk(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A moment given by the UK wall clock."""
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


def held(module: Module, owner: User, starts_at: datetime.datetime, hours: float = 2, **fields: Any) -> TeachingSession:
    """A completed session of ``module`` from ``starts_at`` for ``hours``."""
    fields.setdefault("status", TeachingSession.Status.COMPLETED)
    return TeachingSessionFactory(
        module=module,
        owner=owner,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=hours),
        **fields,
    )


def place(
    session: TeachingSession, volunteer: VolunteerProfile, hours: str | None = "2.00", *, status: str = "attended"
) -> Booking:
    """The volunteer's marked place on ``session``: attended for ``hours``, or did not attend."""
    return BookingFactory(
        session=session,
        volunteer=volunteer,
        status=status,
        hours=Decimal(hours) if hours is not None and status == Booking.Status.ATTENDED else None,
        invitation_expires_at=session.starts_at,
    )


def share_text(network: Organisation) -> ConsentText:
    """The network's current wording of "share my participation with my charity" (made once)."""
    purpose = ConsentPurpose.objects.get(code=SHARE)
    text = ConsentText.objects.filter(purpose=purpose, network=network).order_by("-version").first()
    if text is None:
        text = ConsentText.objects.create(
            purpose=purpose,
            network=network,
            version=1,
            text=f"I agree that {network.name} may see the sessions I take part in.",
            published_at=uk(2024, 1, 1),
        )
        text.organisations.set([network])
    return text


def consent(
    volunteer: VolunteerProfile, network: Organisation, action: str = "granted", at: datetime.datetime | None = None
) -> ConsentRecord:
    text = share_text(network)
    return ConsentRecord.objects.create(
        volunteer=volunteer,
        purpose=text.purpose,
        text=text,
        action=action,
        created_at=at or uk(2024, 2, 1),
    )


def paid_claim(
    booking: Booking,
    *,
    submitted_at: datetime.datetime,
    paid_at: datetime.datetime,
    fee: str | None = None,
    expenses: str | None = None,
) -> Claim:
    """A paid claim for ``booking``, sent and paid at those moments, with a payment of the fee and
    one of the expenses (each only when given), paid on the UK day of ``paid_at``."""
    university = booking.session.module.programme.university
    run = ReimbursementRun.objects.filter(organisation=university).first() or ReimbursementRun.objects.create(
        organisation=university, status=ReimbursementRun.Status.COMPLETED
    )
    claim = Claim.objects.create(
        booking=booking,
        volunteer=booking.volunteer,
        status=Claim.Status.PAID,
        fee_due=Decimal(fee or "0.00"),
        fee_requested=Decimal(fee or "0.00"),
        submitted_at=submitted_at,
        decided_at=submitted_at,
        paid_at=paid_at,
    )
    for kind, amount in ((Payment.Kind.FEE, fee), (Payment.Kind.EXPENSES, expenses)):
        if amount is not None:
            Payment.objects.create(
                key=f"claim-{claim.pk}-{kind}",
                run=run,
                claim=claim,
                volunteer=booking.volunteer,
                kind=kind,
                amount=Decimal(amount),
                paid_on=timezone.localdate(paid_at),
            )
    return claim
