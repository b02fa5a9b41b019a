"""Reads for the sessions pages: user-scoped querysets and the lists the pages show, with their
joins decided here. Another university's session or another volunteer's booking is simply not in
these querysets, so a guessed id gives 404."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from accounts.permissions import organisations_with_role
from involvement.models import ActivityLog
from sessions_app.models import Booking, SessionMessage, TeachingSession, TeachingSessionQuerySet
from volunteers.models import ConsentPurpose, ConsentRecord, VolunteerProfile

COORDINATOR = Membership.Role.COORDINATOR
BookingStatus = Booking.Status
SessionStatus = TeachingSession.Status


def coordinator_universities(user: User) -> list[int]:
    return organisations_with_role(user, [COORDINATOR])


def coordinator_sessions(user: User) -> TeachingSessionQuerySet:
    """Sessions of the universities where ``user`` coordinates."""
    return TeachingSession.objects.for_university(coordinator_universities(user))


def coordinator_bookings(user: User) -> QuerySet[Booking]:
    """Bookings into those sessions, with the session and volunteer joined."""
    return Booking.objects.filter(session__in=coordinator_sessions(user).values("pk")).select_related(
        "session__module__programme__university", "volunteer__user"
    )


def own_bookings(profile: VolunteerProfile) -> QuerySet[Booking]:
    """The volunteer's bookings, with what the pages show of each session."""
    return Booking.objects.filter(volunteer=profile).select_related("session__module__programme__university")


# The coordinator's list ---------------------------------------------------------------------------

ATTENTION_REASONS = {
    "places_to_fill": "Places to fill",
    "unanswered": "Invitations waiting for an answer",
    "attendance_to_mark": "Attendance to mark",
    "consent_missing": "A volunteer with a place no longer holds a consent the session needs",
}


def _accepted_without_a_needed_consent() -> Subquery:
    """For a session (the outer query): the id of an accepted booking whose volunteer holds no
    current grant, naming the session's university, of one of the consents the session needs
    (after new wording, say, or a withdrawal recorded elsewhere); NULL when there is none.

    A scalar subquery with LIMIT 1 rather than EXISTS: PostgreSQL may turn an EXISTS into a hashed
    subplan that works out every volunteer's current grants for the whole table (and then compiles
    it with JIT: seconds at 10,000 volunteers), where this one is looked up per session shown."""
    needed = TeachingSession.required_consents.through.objects.filter(teachingsession_id=OuterRef("session_id"))
    held = ConsentRecord.objects.current_grants().filter(
        volunteer_id=OuterRef(OuterRef("volunteer_id")),
        purpose_id=OuterRef("consentpurpose_id"),
        text__organisations=OuterRef(OuterRef("session__module__programme__university_id")),
    )
    return Subquery(
        Booking.objects.filter(session=OuterRef("pk"), status=BookingStatus.ACCEPTED)
        .filter(Exists(needed.exclude(Exists(held))))
        .order_by()
        .values("pk")[:1]
    )


def _attention_conditions(now: datetime.datetime) -> dict[str, Q]:
    """Each thing that needs doing, as a condition on a session carrying ``with_booking_counts``
    and the ``consent_gap`` alias: the cheap column tests first, so the counts are looked up only
    for the sessions those leave."""
    going = Q(status=SessionStatus.OPEN)
    return {
        "places_to_fill": going & Q(starts_at__gte=now) & Q(accepted_count__lt=F("places")),
        "unanswered": going & Q(invited_count__gt=0),
        "attendance_to_mark": going & Q(ends_at__lte=now) & Q(accepted_count__gt=0),
        "consent_missing": going & Q(starts_at__gte=now) & Q(consent_gap__isnull=False),
    }


def with_attention_flags(sessions: TeachingSessionQuerySet, now: datetime.datetime) -> TeachingSessionQuerySet:
    """Each session with a flag per thing that needs doing (``ATTENTION_REASONS``), computed by the
    database for the rows fetched. ``sessions`` must carry ``with_booking_counts``."""
    return sessions.alias(consent_gap=_accepted_without_a_needed_consent()).annotate(
        **{
            name: Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
            for name, condition in _attention_conditions(now).items()
        }
    )


def needing_attention(sessions: TeachingSessionQuerySet, now: datetime.datetime) -> TeachingSessionQuerySet:
    """Open sessions with something to do (any flag of ``with_attention_flags``), filtered on the
    conditions themselves (a filter on the CASE of each flag would hide them from the planner)."""
    any_flag = Q()
    for condition in _attention_conditions(now).values():
        any_flag |= condition
    return with_attention_flags(sessions.filter(status=SessionStatus.OPEN), now).filter(any_flag)


def attention_reasons(session: TeachingSession) -> list[str]:
    """What needs doing, in words, for a session annotated by ``with_attention_flags``."""
    return [label for name, label in ATTENTION_REASONS.items() if getattr(session, name, False)]


def session_list(user: User, show: str, now: datetime.datetime) -> TeachingSessionQuerySet:
    """The coordinator's sessions to come (soonest first), past (latest first) or needing attention."""
    sessions = coordinator_sessions(user).with_booking_counts().select_related("module")
    if show == "past":
        return sessions.past().order_by("-starts_at", "-pk")
    if show == "attention":
        return needing_attention(sessions, now).order_by("starts_at", "pk")
    return sessions.upcoming().order_by("starts_at", "pk")


def sessions_in_month(user: User, first: datetime.date, following: datetime.date) -> TeachingSessionQuerySet:
    return (
        coordinator_sessions(user)
        .filter(
            starts_at__gte=timezone.make_aware(datetime.datetime.combine(first, datetime.time())),
            starts_at__lt=timezone.make_aware(datetime.datetime.combine(following, datetime.time())),
        )
        .order_by("starts_at", "pk")
    )


# One session --------------------------------------------------------------------------------------


def session_bookings(session: TeachingSession) -> list[Booking]:
    """Everyone invited to the session, by name, with their claim (one query)."""
    return list(session.bookings.select_related("volunteer__user", "claim").order_by("volunteer__user__name", "pk"))


@dataclass(frozen=True)
class SentMessage:
    """One entry of a session's "messages sent": an invitation or a message to those accepted."""

    at: datetime.datetime
    kind: str  # "invitation" or "message"
    subject: str
    sender: str
    to: str
    body: str = ""


def messages_sent(session: TeachingSession, bookings: list[Booking]) -> list[SentMessage]:
    """The invitations sent (every round, from the audit trail) and the messages to those accepted,
    newest first, in two queries."""
    names = {booking.pk: booking.volunteer.display_name for booking in bookings}
    invitations = ActivityLog.objects.filter(
        content_type__app_label=Booking._meta.app_label,
        content_type__model=Booking._meta.model_name,
        object_id__in=[str(pk) for pk in names],
        action="booking.invited",
    ).select_related("actor")
    sent = [
        SentMessage(
            at=entry.created_at,
            kind="invitation",
            subject=f"Invitation to “{session.title}”",
            sender=entry.actor.get_full_name() if entry.actor else "",
            to=names.get(int(entry.object_id), ""),
        )
        for entry in invitations
    ]
    messages: QuerySet[SessionMessage] = session.messages.select_related("author")
    sent += [
        SentMessage(
            at=message.created_at,
            kind="message",
            subject=message.subject,
            sender=message.author.get_full_name() if message.author else "",
            to=f"{message.recipients} volunteer{'' if message.recipients == 1 else 's'}",
            body=message.body,
        )
        for message in messages
    ]
    return sorted(sent, key=lambda entry: entry.at, reverse=True)


def accepted_bookings(session: TeachingSession) -> list[Booking]:
    return list(session.bookings.accepted().select_related("volunteer__user").order_by("volunteer__user__name", "pk"))


def marked_bookings(session: TeachingSession) -> list[Booking]:
    return list(
        session.bookings.filter(status__in=[BookingStatus.ATTENDED, BookingStatus.NO_SHOW])
        .select_related("volunteer__user")
        .order_by("volunteer__user__name", "pk")
    )


# The volunteer's sessions -------------------------------------------------------------------------


@dataclass(frozen=True)
class MySessions:
    invitations: list[Booking]
    upcoming: list[Booking]
    # Newest first, for the page to show 25 at a time: a long-standing volunteer has hundreds.
    past: QuerySet[Booking]


PAST_STATUSES = {BookingStatus.ATTENDED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED}
MY_PAST_PAGE_SIZE = 25


def my_sessions(profile: VolunteerProfile, now: datetime.datetime) -> MySessions:
    """Invitations to answer and places to come, soonest first (one query: they are few, whatever
    the volunteer's history), and the past (attended, missed, cancelled, or taken place and not yet
    marked) as a queryset, newest first."""
    current = own_bookings(profile).filter(
        Q(status=BookingStatus.INVITED, invitation_expires_at__gt=now)
        | Q(status=BookingStatus.ACCEPTED, session__ends_at__gt=now)
    )
    invitations: list[Booking] = []
    upcoming: list[Booking] = []
    for booking in current.order_by("session__starts_at", "pk"):
        (invitations if booking.status == BookingStatus.INVITED else upcoming).append(booking)
    past = own_bookings(profile).filter(
        Q(status__in=PAST_STATUSES) | Q(status=BookingStatus.ACCEPTED, session__ends_at__lte=now)
    )
    return MySessions(invitations=invitations, upcoming=upcoming, past=past.order_by("-session__starts_at", "-pk"))


def places_needing_consent(profile: VolunteerProfile, purpose: ConsentPurpose, network: Organisation) -> list[Booking]:
    """The volunteer's accepted places to come on sessions that need ``purpose``, which withdrawing
    the consent given to ``network`` would leave uncovered: no other network's current grant of it
    names the session's university."""
    covered = set(
        ConsentRecord.objects.current_grants()
        .filter(volunteer=profile, purpose=purpose)
        .exclude(text__network=network)
        .values_list("text__organisations", flat=True)
    )
    return [
        booking
        for booking in Booking.objects.filter(
            volunteer=profile,
            status=BookingStatus.ACCEPTED,
            session__starts_at__gt=timezone.now(),
            session__required_consents=purpose,
        )
        .select_related("session__module__programme__university", "session__owner")
        .order_by("session__starts_at", "pk")
        if booking.session.module.programme.university_id not in covered
    ]


def missing_consents(
    session: TeachingSession, bookings: list[Booking], needed: list[ConsentPurpose]
) -> dict[int, list[str]]:
    """For each accepted booking of ``session`` whose volunteer lacks a current grant (naming the
    session's university) of a consent it needs (``needed``), the names of those consents. One query."""
    accepted = [booking for booking in bookings if booking.status == BookingStatus.ACCEPTED]
    if not needed or not accepted:
        return {}
    held = set(
        ConsentRecord.objects.current_grants()
        .filter(
            volunteer_id__in=[booking.volunteer_id for booking in accepted],
            purpose__in=needed,
            text__organisations=session.module.programme.university_id,
        )
        .values_list("volunteer_id", "purpose_id")
    )
    missing = {
        booking.pk: [purpose.name for purpose in needed if (booking.volunteer_id, purpose.pk) not in held]
        for booking in accepted
    }
    return {pk: names for pk, names in missing.items() if names}


# Participation, for the volunteer and their network's leads --------------------------------------

SHARE_WITH_CHARITY = "share-with-charity"


def shares_participation(profile: VolunteerProfile, network: Organisation) -> bool:
    """Whether the volunteer currently agrees that ``network`` may see the sessions they take part in."""
    return (
        ConsentRecord.objects.current_grants()
        .filter(volunteer=profile, purpose__code=SHARE_WITH_CHARITY, text__network=network)
        .exists()
    )


def participation_with_partners(profile: VolunteerProfile, network: Organisation) -> QuerySet[Booking]:
    """The sessions the volunteer attended at universities partnered with ``network`` on the day,
    newest first."""
    from accounts.models import Partnership

    partnered_then = Partnership.objects.filter(
        network=network,
        university_id=OuterRef("session__module__programme__university_id"),
        starts_on__lte=OuterRef("session_day"),
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=OuterRef("session_day")))
    return (
        Booking.objects.filter(volunteer=profile, status=BookingStatus.ATTENDED)
        .alias(session_day=TruncDate("session__starts_at", tzinfo=timezone.get_current_timezone()))
        .filter(Exists(partnered_then))
        .select_related("session__module__programme__university")
        .order_by("-session__starts_at", "-pk")
    )


@dataclass(frozen=True)
class Totals:
    sessions: int
    hours: Decimal
    universities: int
    first: datetime.datetime | None
    latest: datetime.datetime | None


def participation_totals(bookings: QuerySet[Booking]) -> Totals:
    """How many sessions, hours and universities ``bookings`` come to, in one query."""
    row = bookings.order_by().aggregate(
        sessions=Count("pk"),
        hours=Sum("hours"),
        universities=Count("session__module__programme__university", distinct=True),
        first=Min("session__starts_at"),
        latest=Max("session__starts_at"),
    )
    return Totals(
        sessions=row["sessions"],
        # SQLite sums decimals as floats: back to hours and hundredths.
        hours=Decimal(str(row["hours"] or 0)).quantize(Decimal("0.01")),
        universities=row["universities"],
        first=row["first"],
        latest=row["latest"],
    )


def own_participation(profile: VolunteerProfile) -> QuerySet[Booking]:
    """Every session the volunteer attended, anywhere, newest first."""
    return (
        Booking.objects.filter(volunteer=profile, status=BookingStatus.ATTENDED)
        .select_related("session__module__programme__university")
        .order_by("-session__starts_at", "-pk")
    )
