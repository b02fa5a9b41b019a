"""Factories for rate cards, claims and their items, with valid boring defaults."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Organisation, User
from expenses.models import Claim, ClaimItem, FeeRate, PayeeReference, RateCard, ReimbursementRun
from sessions_app.models import Booking, TeachingSession
from tests.sessions_app.factories import BookingFactory, session_at
from volunteers.models import VolunteerProfile


class RateCardFactory(factory.django.DjangoModelFactory):
    """Today's typical UK rates, in force since 2024 (receipts for public transport, taxi, parking, carer,
    support worker and other)."""

    class Meta:
        model = RateCard

    effective_from = datetime.date(2024, 4, 6)
    receipts_required_for = factory.LazyFunction(
        lambda: ["public_transport", "taxi", "parking", "carer", "support_worker", "other"]
    )


class FeeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeRate

    rate_card = factory.SubFactory(RateCardFactory)
    kind = TeachingSession.Kind.TEACHING
    basis = FeeRate.Basis.PER_HOUR
    amount = Decimal("25.00")


def rate_card_for(university: Organisation, **fields: object) -> RateCard:
    """A rate card with a £25-an-hour teaching fee and a £75 assessment fee per session."""
    card = RateCardFactory(organisation=university, **fields)
    FeeRateFactory(rate_card=card, kind=TeachingSession.Kind.TEACHING, amount=Decimal("25.00"))
    FeeRateFactory(
        rate_card=card, kind=TeachingSession.Kind.ASSESSMENT, basis=FeeRate.Basis.PER_SESSION, amount=Decimal("75.00")
    )
    return card


def attended_booking(university: Organisation, owner, volunteer: VolunteerProfile, days_ago: int = 3) -> Booking:  # type: ignore[no-untyped-def]
    """A two-hour teaching session ``days_ago`` days ago at 10:00 UK time that the volunteer attended."""
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    starts_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    session = session_at(
        university,
        owner,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        status=TeachingSession.Status.COMPLETED,
    )
    return BookingFactory(
        session=session,
        volunteer=volunteer,
        status=Booking.Status.ATTENDED,
        hours=Decimal("2.00"),
        invitation_expires_at=starts_at,
    )


def attended_on(  # type: ignore[no-untyped-def]
    university: Organisation,
    owner,
    volunteer: VolunteerProfile,
    day: datetime.date,
    *,
    hours: Decimal | None = Decimal("2.00"),
    **session_fields: object,
) -> Booking:
    """A session on ``day`` from 10:00 UK time (two hours unless ``ends_at`` says) that the volunteer attended."""
    starts_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    session_fields.setdefault("ends_at", starts_at + datetime.timedelta(hours=2))
    session = session_at(
        university, owner, starts_at=starts_at, status=TeachingSession.Status.COMPLETED, **session_fields
    )
    return BookingFactory(
        session=session,
        volunteer=volunteer,
        status=Booking.Status.ATTENDED,
        hours=hours,
        invitation_expires_at=starts_at,
    )


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    booking = factory.SubFactory(BookingFactory, status=Booking.Status.ATTENDED)
    volunteer = factory.LazyAttribute(lambda claim: claim.booking.volunteer)
    fee_due = Decimal("50.00")
    fee_requested = Decimal("50.00")


class ClaimItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimItem

    claim = factory.SubFactory(ClaimFactory)
    kind = ClaimItem.Kind.SUBSISTENCE
    date = factory.LazyAttribute(lambda item: timezone.localdate(item.claim.booking.session.starts_at))
    amount = Decimal("6.50")


class PayeeReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PayeeReference

    organisation = factory.SubFactory("tests.factories.UniversityFactory")
    volunteer = factory.SubFactory("tests.factories.VolunteerProfileFactory")
    reference = factory.Sequence(lambda n: f"SUP-{n:06d}")


def payee(volunteer: VolunteerProfile, university: Organisation, reference: str | None = None) -> PayeeReference:
    """The volunteer's payee reference at ``university`` (made once, ``SUP-000123`` unless given)."""
    found = PayeeReference.objects.filter(organisation=university, volunteer=volunteer).first()
    if found is not None:
        return found
    if reference is None:
        return PayeeReferenceFactory(organisation=university, volunteer=volunteer)
    return PayeeReferenceFactory(organisation=university, volunteer=volunteer, reference=reference)


def pay_approved_claims(university: Organisation, finance: User) -> ReimbursementRun:
    """A payment run of every approved claim of ``university``, through the services: a payee
    reference for each volunteer without one there, then the preview, started and run at once."""
    from expenses import services

    for claim in Claim.objects.for_university([university.pk]).filter(status=Claim.Status.APPROVED):
        payee(claim.volunteer, university)
    run = services.start_run(run=services.preview_run(organisation=university, actor=finance), actor=finance)
    return services.execute_run(run_id=run.pk)
