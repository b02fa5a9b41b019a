"""Reads for the feedback pages: user-scoped querysets and the lists the pages show, with their
joins decided here. Another university's session, another network's follow-up or another
volunteer's feedback is simply not in these querysets, so a guessed id gives 404."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from accounts.models import Membership, Organisation, Partnership, User
from accounts.permissions import organisations_with_role
from feedback.models import (
    CoordinatorFeedback,
    FollowUpNote,
    ImpactEntry,
    StudentFeedbackLink,
    StudentResponse,
    VolunteerFeedback,
    WellbeingFollowUp,
)
from sessions_app.models import Booking, Module, TeachingSession
from sessions_app.selectors import coordinator_sessions, coordinator_universities
from volunteers.models import NetworkMembership, VolunteerProfile

BookingStatus = Booking.Status
FollowUpStatus = WellbeingFollowUp.Status
LEAD = Membership.Role.LEAD
# How far back the impact form offers sessions to link (older ones stay linked when editing).
IMPACT_SESSION_MONTHS = 24


# Who is told -------------------------------------------------------------------------------------


def follow_up_networks(booking: Booking) -> list[Organisation]:
    """The networks whose leads look after ``booking``'s volunteer there: those the volunteer still
    belongs to (active or paused) that have an active partnership with the session's university."""
    partnered = Partnership.objects.active().filter(university_id=booking.session.module.programme.university_id)
    memberships = NetworkMembership.objects.filter(
        volunteer_id=booking.volunteer_id,
        network_id__in=partnered.values("network_id"),
        status__in=[NetworkMembership.Status.ACTIVE, NetworkMembership.Status.PAUSED],
    )
    return list(Organisation.objects.filter(pk__in=memberships.values("network_id")).order_by("name", "pk"))


def leads_of(network: Organisation) -> QuerySet[User]:
    """The active users who lead ``network``, in a fixed order."""
    return (
        User.objects.filter(memberships__organisation=network, memberships__role=LEAD, is_active=True)
        .distinct()
        .order_by("pk")
    )


# Coordinators: one session's feedback ------------------------------------------------------------


def coordinator_feedback_for(session: TeachingSession) -> CoordinatorFeedback | None:
    return CoordinatorFeedback.objects.select_related("answered_by").filter(session=session).first()


def volunteer_answers(session: TeachingSession) -> list[VolunteerFeedback]:
    """What each volunteer who attended said (or that they have not answered yet), by name."""
    return list(
        VolunteerFeedback.objects.filter(booking__session=session)
        .select_related("booking__volunteer__user")
        .order_by("booking__volunteer__user__name", "pk")
    )


def student_link_for(session: TeachingSession) -> StudentFeedbackLink | None:
    return StudentFeedbackLink.objects.filter(session=session).first()


def student_responses(session: TeachingSession) -> QuerySet[StudentResponse]:
    """The students' answers about ``session``, newest first."""
    return StudentResponse.objects.filter(session=session).order_by("-created_at", "-pk")


@dataclass(frozen=True)
class StudentSummary:
    answers: int
    average: Decimal | None
    change_practice: dict[str, int]


def one_decimal(value: float | Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def student_summary(session: TeachingSession) -> StudentSummary:
    """How many answered, their average rating (one decimal place) and how many said yes, maybe
    or no to changing their practice: one query, counted by the database."""
    Change = StudentResponse.ChangePractice
    figures = StudentResponse.objects.filter(session=session).aggregate(
        answers=Count("pk"),
        average=Avg("rating"),
        **{choice: Count("pk", filter=Q(change_practice=choice)) for choice in Change.values},
    )
    return StudentSummary(
        answers=figures["answers"],
        average=one_decimal(figures["average"]),
        change_practice={Change(choice).label: figures[choice] for choice in Change.values},
    )


def session_impact(session: TeachingSession) -> list[ImpactEntry]:
    return list(ImpactEntry.objects.filter(sessions=session).order_by("-changed_on", "-pk"))


def responses_in_coordinator_sessions(user: User) -> QuerySet[StudentResponse]:
    """Students' answers about the sessions of the universities where ``user`` coordinates."""
    return StudentResponse.objects.filter(session__in=coordinator_sessions(user).values("pk")).select_related("session")


# Leads: wellbeing follow-ups -----------------------------------------------------------------------


def _open_first() -> Case:
    return Case(
        When(status=FollowUpStatus.OPEN, then=Value(0)),
        When(status=FollowUpStatus.CONTACTED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def network_follow_ups(network: Organisation) -> QuerySet[WellbeingFollowUp]:
    """``network``'s follow-ups: open first, then contacted, then closed; oldest first within each."""
    return (
        WellbeingFollowUp.objects.filter(network=network)
        .select_related("volunteer__user", "booking__session__module__programme__university")
        .annotate(rank=_open_first())
        .order_by("rank", "created_at", "pk")
    )


def follow_ups_led_by(user: User) -> QuerySet[WellbeingFollowUp]:
    """Follow-ups of the networks ``user`` leads (the only people who may open them)."""
    return WellbeingFollowUp.objects.filter(network_id__in=organisations_with_role(user, [LEAD])).select_related(
        "volunteer__user", "network", "booking__session__module__programme__university"
    )


def open_follow_ups(network: Organisation) -> QuerySet[WellbeingFollowUp]:
    """``network``'s open follow-ups, oldest first (the lead's home page)."""
    return (
        WellbeingFollowUp.objects.filter(network=network, status=FollowUpStatus.OPEN)
        .select_related("volunteer__user", "booking__session")
        .order_by("created_at", "pk")
    )


def follow_up_notes(follow_up: WellbeingFollowUp) -> list[FollowUpNote]:
    """The notes on a follow-up, oldest first, with who wrote them."""
    return list(follow_up.notes.select_related("author").order_by("created_at", "pk"))


# The impact log ------------------------------------------------------------------------------------


def impact_entries_for(user: User) -> QuerySet[ImpactEntry]:
    """The impact entries of the universities where ``user`` coordinates, latest change first, with
    the modules and sessions they are linked to (two more queries, whatever the page size)."""
    return (
        ImpactEntry.objects.filter(university_id__in=coordinator_universities(user))
        .select_related("university", "recorded_by")
        .prefetch_related(
            Prefetch("modules", queryset=Module.objects.order_by("code")),
            Prefetch("sessions", queryset=TeachingSession.objects.order_by("starts_at", "pk")),
        )
        .order_by("-changed_on", "-pk")
    )


def impact_module_choices(university_ids: list[int]) -> QuerySet[Module]:
    return Module.objects.filter(programme__university_id__in=university_ids).select_related("programme__university")


def impact_session_choices(
    university_ids: list[int], now: datetime.datetime, keep: list[int] | None = None
) -> QuerySet[TeachingSession]:
    """Sessions that have started in the last two years and went ahead (and any in ``keep``),
    latest first."""
    since = now - datetime.timedelta(days=IMPACT_SESSION_MONTHS * 31)
    recent = Q(
        starts_at__gte=since,
        starts_at__lte=now,
        status__in=[TeachingSession.Status.OPEN, TeachingSession.Status.COMPLETED],
    )
    return (
        TeachingSession.objects.for_university(university_ids)
        .filter(recent | Q(pk__in=keep or []))
        .select_related("module__programme__university")
        .order_by("-starts_at", "-pk")
    )


# Volunteers: the difference they made --------------------------------------------------------------


def attended_bookings(profile: VolunteerProfile) -> QuerySet[Booking]:
    """The sessions ``profile`` took part in, latest first, with the coordinator's feedback joined."""
    return (
        Booking.objects.filter(volunteer=profile, status=BookingStatus.ATTENDED)
        .select_related("session__module__programme__university", "session__coordinator_feedback")
        .order_by("-session__starts_at", "-pk")
    )


@dataclass
class Contribution:
    """One session the volunteer took part in, with what came of it."""

    booking: Booking
    coordinator: CoordinatorFeedback | None = None
    impact: list[ImpactEntry] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    answers: int = 0
    average: Decimal | None = None

    @property
    def session(self) -> TeachingSession:
        return self.booking.session


def contributions(bookings: list[Booking]) -> list[Contribution]:
    """For a page of attended ``bookings``: the impact entries linked to each session or its module,
    the students' comments staff chose to share (only their words), how many students answered
    and their average rating, and the coordinator's words once given. Three queries, whatever the
    number of sessions."""
    session_ids = [booking.session_id for booking in bookings]
    module_ids = {booking.session.module_id for booking in bookings}
    entries = (
        list(
            ImpactEntry.objects.filter(Q(sessions__in=session_ids) | Q(modules__in=module_ids))
            .distinct()
            .prefetch_related(
                Prefetch("sessions", queryset=TeachingSession.objects.filter(pk__in=session_ids).only("pk")),
                Prefetch("modules", queryset=Module.objects.filter(pk__in=module_ids).only("pk")),
            )
            .order_by("-changed_on", "-pk")
        )
        if bookings
        else []
    )
    comments: dict[int, list[str]] = {}
    for session_id, learned in (
        StudentResponse.objects.filter(session_id__in=session_ids, chosen=True)
        .order_by("created_at", "pk")
        .values_list("session_id", "learned")
    ):
        comments.setdefault(session_id, []).append(learned)
    figures = {
        row["session_id"]: row
        for row in StudentResponse.objects.filter(session_id__in=session_ids)
        .values("session_id")
        .annotate(answers=Count("pk"), average=Avg("rating"))
        .order_by()
    }
    found = []
    for booking in bookings:
        coordinator = getattr(booking.session, "coordinator_feedback", None)
        row = figures.get(booking.session_id, {})
        found.append(
            Contribution(
                booking=booking,
                coordinator=coordinator if coordinator is not None and coordinator.answered_at else None,
                impact=[
                    entry
                    for entry in entries
                    if any(linked.pk == booking.session_id for linked in entry.sessions.all())
                    or any(linked.pk == booking.session.module_id for linked in entry.modules.all())
                ],
                comments=comments.get(booking.session_id, []),
                answers=row.get("answers", 0),
                average=one_decimal(row.get("average")),
            )
        )
    return found


def feedback_waiting(profile: VolunteerProfile) -> list[VolunteerFeedback]:
    """The volunteer's feedback requests still unanswered, oldest first."""
    return list(
        VolunteerFeedback.objects.filter(
            booking__volunteer=profile, booking__status=BookingStatus.ATTENDED, answered_at__isnull=True
        )
        .select_related("booking__session")
        .order_by("requested_at", "pk")
    )
