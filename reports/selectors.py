"""Reads for the reports: the scope a report covers, and every figure, aggregated by the database
(``aggregate``, ``annotate``, ``TruncMonth``) in a fixed number of queries, whatever the number of
sessions, bookings or volunteers. Most figures are summed from three tallies (``tallies``), each
one grouped query (a row per month, kind and status or purpose; the volunteers' a single row);
nothing else loops over rows in Python. The only lists read whole are the rows a page shows
(chosen comments, impact entries, the sessions of an evidence pack), and, on SQLite alone, the
sorted days to payment the median is taken from.

A **university's** report covers the sessions of its programmes. A **network's** report (a
charity's) covers its volunteers (active, paused or since left) in sessions at universities it was
partnered with on the day of the session, and only volunteers who currently agree to share their
participation with the network (the "share-with-charity" consent, a current grant of the network's
wording); how many others took part is counted (``left_out``), never who. ``docs/reports.md``
defines each figure.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from accounts.models import Organisation, Partnership, User
from expenses.models import Claim, Payment
from feedback.models import (
    Agreement,
    ImpactEntry,
    StudentResponse,
    VolunteerFeedback,
    WellbeingFollowUp,
)
from involvement.functions import DaysBetween
from involvement.periods import Period
from reports import permissions
from reports.functions import Median
from sessions_app.models import Booking, CheckIn, Module, Programme, TeachingSession
from sessions_app.selectors import SHARE_WITH_CHARITY, Totals, own_participation, participation_totals
from volunteers.models import ConsentRecord, ConsentText, ExperienceTag, NetworkMembership, VolunteerProfile

BookingStatus = Booking.Status
SessionKind = TeachingSession.Kind
Perspective = VolunteerProfile.Perspective
HowItWent = VolunteerFeedback.HowItWent
# A network counts the volunteers who belong or once belonged (not applicants or those declined).
COUNTED_MEMBERSHIPS = [
    NetworkMembership.Status.ACTIVE,
    NetworkMembership.Status.PAUSED,
    NetworkMembership.Status.LEFT,
]
COMMENTS_SHOWN = 12
HUNDREDTHS = Decimal("0.01")
TENTHS = Decimal("0.1")


# Whom a report is about ---------------------------------------------------------------------------


def reportable_organisations(user: User) -> list[Organisation]:
    """The organisations the user may see a report of (``permissions.can_report_on``), by name."""
    ids = permissions.reportable_organisation_ids(user)
    return [
        organisation
        for organisation in Organisation.objects.filter(pk__in=ids).order_by("name")
        if permissions.can_report_on(user, organisation)
    ]


def report_universities(organisation: Organisation) -> QuerySet[Organisation]:
    """The universities a report may be narrowed to: for a network, those it has been partnered
    with at some time; for a university, itself."""
    if organisation.is_university:
        return Organisation.objects.filter(pk=organisation.pk)
    partners = Partnership.objects.filter(network=organisation).values("university_id")
    return Organisation.objects.filter(pk__in=partners, kind=Organisation.Kind.UNIVERSITY).order_by("name")


def report_programmes(organisation: Organisation) -> QuerySet[Programme]:
    """The programmes a report may be narrowed to: those of ``report_universities``."""
    return (
        Programme.objects.filter(university__in=report_universities(organisation))
        .select_related("university")
        .order_by("university__name", "name", "academic_year")
    )


def report_modules(organisation: Organisation) -> QuerySet[Module]:
    return (
        Module.objects.filter(programme__in=report_programmes(organisation))
        .select_related("programme__university")
        .order_by("programme__university__name", "programme__name", "programme__academic_year", "code")
    )


def evidence_programmes(user: User) -> QuerySet[Programme]:
    """The programmes whose regulator evidence the user may see (``permissions.can_see_evidence``)."""
    from accounts.permissions import organisations_with_role

    universities = organisations_with_role(user, permissions.EVIDENCE_ROLES)
    return (
        Programme.objects.filter(university_id__in=universities)
        .select_related("university")
        .order_by("university__name", "name", "academic_year")
    )


@dataclass(frozen=True)
class ReportScope:
    """What one report covers: an organisation, a period, and optionally one university (for a
    network), programme, module and kind of session."""

    organisation: Organisation
    period: Period
    university: Organisation | None = None
    programme: Programme | None = None
    module: Module | None = None
    kind: str = ""

    @property
    def is_network(self) -> bool:
        return not self.organisation.is_university


def _session_conditions(scope: ReportScope, prefix: str = "") -> Q:
    """Held (completed) sessions of the scope's organisation and filters, not yet dated."""
    conditions = Q(**{f"{prefix}status": TeachingSession.Status.COMPLETED})
    if not scope.is_network:
        conditions &= Q(**{f"{prefix}module__programme__university": scope.organisation})
    if scope.university is not None:
        conditions &= Q(**{f"{prefix}module__programme__university": scope.university})
    if scope.programme is not None:
        conditions &= Q(**{f"{prefix}module__programme": scope.programme})
    if scope.module is not None:
        conditions &= Q(**{f"{prefix}module": scope.module})
    if scope.kind:
        conditions &= Q(**{f"{prefix}kind": scope.kind})
    return conditions


def _dated(scope: ReportScope, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_at__gte": scope.period.starts_at, f"{prefix}starts_at__lt": scope.period.ends_before})


def _in_network(network: Organisation) -> Exists:
    """For a booking (the outer query): its volunteer belongs, or belonged, to ``network``."""
    return Exists(
        NetworkMembership.objects.filter(
            volunteer=OuterRef("volunteer_id"), network=network, status__in=COUNTED_MEMBERSHIPS
        )
    )


def _partnered_on_the_day(network: Organisation) -> Exists:
    """For a booking carrying the ``session_day`` alias: ``network`` was partnered with the
    session's university on that (UK) day."""
    day = OuterRef("session_day")
    return Exists(
        Partnership.objects.filter(
            network=network,
            university_id=OuterRef("session__module__programme__university_id"),
            starts_on__lte=day,
        ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
    )


def _shares_with(network: Organisation) -> Exists:
    """For a booking: its volunteer holds a current grant of ``network``'s wording of the
    "share my participation with my charity" consent."""
    return Exists(
        ConsentRecord.objects.current_grants().filter(
            volunteer=OuterRef("volunteer_id"), purpose__code=SHARE_WITH_CHARITY, text__network=network
        )
    )


def scoped_bookings(scope: ReportScope, *, dated: bool = True, consented: bool = True) -> QuerySet[Booking]:
    """Bookings into the scope's held sessions (in its period unless ``dated`` is False); for a
    network, only its volunteers' at universities partnered on the day, and (unless ``consented``
    is False) only of those who share their participation with it."""
    bookings = Booking.objects.filter(_session_conditions(scope, "session__"))
    if dated:
        bookings = bookings.filter(_dated(scope, "session__"))
    if scope.is_network:
        network = scope.organisation
        # The session's UK day, named so the partnership test can compare dates with it (a date
        # function over an outer reference cannot be nested in the subqueries that use these bookings).
        bookings = bookings.alias(session_day=TruncDate("session__starts_at", tzinfo=timezone.get_current_timezone()))
        bookings = bookings.filter(_in_network(network), _partnered_on_the_day(network))
        if consented:
            bookings = bookings.filter(_shares_with(network))
    return bookings.order_by()


def attended_bookings(scope: ReportScope, **kwargs: bool) -> QuerySet[Booking]:
    return scoped_bookings(scope, **kwargs).filter(status=BookingStatus.ATTENDED)


def marked_bookings(scope: ReportScope) -> QuerySet[Booking]:
    """Places taken up or missed: attended and did-not-attend bookings."""
    return scoped_bookings(scope).filter(status__in=[BookingStatus.ATTENDED, BookingStatus.NO_SHOW])


def held_sessions(scope: ReportScope) -> QuerySet[TeachingSession]:
    """The scope's completed sessions in its period; for a network, those at least one of its
    counted volunteers attended."""
    sessions = TeachingSession.objects.filter(_session_conditions(scope), _dated(scope))
    if scope.is_network:
        sessions = sessions.filter(Exists(attended_bookings(scope).filter(session=OuterRef("pk"))))
    return sessions.order_by()


# The figures --------------------------------------------------------------------------------------


def to_hours(value: Any) -> Decimal:
    """A database sum of hours as hours and hundredths (SQLite sums decimals as floats)."""
    return Decimal(str(value or 0)).quantize(HUNDREDTHS)


def to_pounds(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(HUNDREDTHS)


def one_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(TENTHS, rounding=ROUND_HALF_UP)


def percentage(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part * 100) / Decimal(whole)).quantize(TENTHS, rounding=ROUND_HALF_UP)


def median_of(values: list[int]) -> Decimal | None:
    """The median of values already sorted (by the database): the middle one, or the mean of the
    two middle ones."""
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return one_decimal(values[middle])
    return one_decimal(Decimal(values[middle - 1] + values[middle]) / 2)


@dataclass(frozen=True)
class Summary:
    sessions: int
    involvements: int
    volunteers: int
    hours: Decimal
    no_shows: int
    # Of the places marked (attended or did not attend), the share not attended, in per cent.
    no_show_rate: Decimal | None
    new_volunteers: int
    returning_volunteers: int
    # How many volunteers took part in 1, 2 to 5, and more than 5 sessions in the period.
    one_session: int
    two_to_five: int
    more_than_five: int


@dataclass(frozen=True)
class Money:
    fees: Decimal
    expenses: Decimal
    payments: int
    claims_paid: int
    median_days_to_payment: Decimal | None

    @property
    def total(self) -> Decimal:
        return self.fees + self.expenses


@dataclass(frozen=True)
class CountRow:
    label: str
    volunteers: int
    involvements: int | None = None


@dataclass(frozen=True)
class Reach:
    perspectives: list[CountRow]
    tags: list[CountRow]
    untagged: int


@dataclass(frozen=True)
class Feedback:
    student_responses: int
    student_average: Decimal | None
    students_changing_practice: int
    coordinator_responses: int
    coordinator_average: Decimal | None
    volunteer_answers: int
    how_it_went: list[CountRow]
    felt_prepared: int
    felt_supported: int
    asked_for_contact: int
    chosen_comments: int
    comments: list[StudentResponse]


@dataclass(frozen=True)
class MonthRow:
    month: datetime.date
    sessions: int
    involvements: int
    hours: Decimal


@dataclass(frozen=True)
class Report:
    scope: ReportScope
    summary: Summary
    reach: Reach
    money: Money
    feedback: Feedback
    months: list[MonthRow]
    # Network reports: volunteers who took part but do not share their participation (None for a university).
    left_out: int | None = None


# The three tallies every count of a report is summed from: the bookings of the scope grouped by
# volunteer, the places taken up or missed grouped by month, kind and status, and the held
# sessions grouped by month, kind and purpose. Each is one query (the volunteers' groups a few
# thousand rows and counts them in the database, returning one; the others return a row per
# group), so every figure built from them costs no query of its own.


@dataclass(frozen=True)
class Tallies:
    volunteers: dict[str, int]
    bookings: list[dict[str, Any]]
    sessions: list[dict[str, Any]]


def _prefixed(condition: Q, prefix: str) -> Q:
    """``condition`` (on another model) as seen through the relation ``prefix`` names."""
    children: list[Q | tuple[str, Any]] = []
    for child in condition.children:
        if isinstance(child, Q):
            children.append(_prefixed(child, prefix))
        else:
            lookup, value = child  # type: ignore[misc]  # a Q's other children are (lookup, value) pairs
            children.append((prefix + lookup, value))
    return Q(*children, _connector=condition.connector, _negated=condition.negated)


def volunteer_tally(scope: ReportScope) -> dict[str, int]:
    """Everything counted per volunteer, in one query: the scope's attended bookings up to the end
    of the period, and its missed places in it, grouped by volunteer, then counted. Volunteers
    who took part (an attended place in the period): how many, new or returning (an attended
    place before the period), in one, two to five or more sessions, without an experience tag (of
    the network, for its report), by perspective (with their involvements) and by kind of
    session; those whose places were confirmed (attended or missed) with each adjustment; and,
    for a network, how many took part but do not share their participation with it."""
    Status = BookingStatus
    starts_at = scope.period.starts_at
    in_period = Q(session__starts_at__gte=starts_at)
    attended = Q(status=Status.ATTENDED)
    bookings = scoped_bookings(scope, dated=False, consented=False).filter(
        Q(status=Status.ATTENDED) | Q(status=Status.NO_SHOW, session__starts_at__gte=starts_at),
        session__starts_at__lt=scope.period.ends_before,
    )
    tags = VolunteerProfile.experience_tags.through.objects.filter(volunteerprofile_id=OuterRef("volunteer_id"))
    if scope.is_network:
        tags = tags.filter(experiencetag__network=scope.organisation)
    flags: dict[str, Any] = {"has_tag": Exists(tags)}
    if scope.is_network:
        # The share-with-charity consent is the volunteer's, so the same on each of their bookings.
        flags["shares"] = _shares_with(scope.organisation)
    per_volunteer = (
        bookings.annotate(perspective=F("volunteer__perspective"), **flags)
        .values("volunteer_id", "perspective", *flags)
        .annotate(
            taking_part=Count("pk", filter=attended & in_period),
            confirmed_places=Count("pk", filter=in_period),
            before=Count("pk", filter=attended & ~in_period),
            any_adjustment_places=Count("pk", filter=_prefixed(_any_adjustment(), "volunteer__")),
            **{
                f"kind_{kind}_places": Count("pk", filter=attended & in_period & Q(session__kind=kind))
                for kind in SessionKind.values
            },
            **{
                f"adjustment_{index}_places": Count("pk", filter=_prefixed(condition, "volunteer__"))
                for index, (_label, condition) in enumerate(ADJUSTMENTS)
            },
        )
    )
    counted = Q(shares=True) if scope.is_network else Q()
    took_part = counted & Q(taking_part__gt=0)
    confirmed = counted & Q(confirmed_places__gt=0)
    counts: dict[str, Any] = {
        "volunteers": Count("volunteer_id", filter=took_part),
        "returning": Count("volunteer_id", filter=took_part & Q(before__gt=0)),
        "new": Count("volunteer_id", filter=took_part & Q(before=0)),
        "one": Count("volunteer_id", filter=took_part & Q(taking_part=1)),
        "some": Count("volunteer_id", filter=took_part & Q(taking_part__gte=2, taking_part__lte=5)),
        "many": Count("volunteer_id", filter=took_part & Q(taking_part__gt=5)),
        "untagged": Count("volunteer_id", filter=took_part & Q(has_tag=False)),
        "confirmed": Count("volunteer_id", filter=confirmed),
        "any_adjustment": Count("volunteer_id", filter=confirmed & Q(any_adjustment_places__gt=0)),
        **{
            f"kind_{kind}": Count("volunteer_id", filter=took_part & Q(**{f"kind_{kind}_places__gt": 0}))
            for kind in SessionKind.values
        },
        **{
            f"adjustment_{index}": Count("volunteer_id", filter=confirmed & Q(**{f"adjustment_{index}_places__gt": 0}))
            for index in range(len(ADJUSTMENTS))
        },
    }
    for value in Perspective.values:
        counts[f"perspective_{value}"] = Count("volunteer_id", filter=took_part & Q(perspective=value))
        counts[f"perspective_{value}_involvements"] = Sum("taking_part", filter=took_part & Q(perspective=value))
    if scope.is_network:
        counts["left_out"] = Count("volunteer_id", filter=Q(taking_part__gt=0, shares=False))
    return {name: int(value or 0) for name, value in per_volunteer.aggregate(**counts).items()}


def booking_tally(scope: ReportScope) -> list[dict[str, Any]]:
    """The places taken up or missed in the period (``marked_bookings``) by UK month, kind of
    session and status: how many, their hours, their check-ins (and answers) and the volunteers'
    own feedback on them (each at most one a booking). One query."""
    zone = timezone.get_current_timezone()
    answered = Q(volunteer_feedback__answered_at__isnull=False)
    return list(
        marked_bookings(scope)
        .annotate(month=TruncMonth("session__starts_at", tzinfo=zone))
        .values("month", "session__kind", "status")
        .annotate(
            bookings=Count("pk"),
            hours=Sum("hours"),
            check_ins=Count("check_in"),
            check_ins_fine=Count("check_in", filter=Q(check_in__answer=CheckIn.Answer.FINE)),
            check_ins_call=Count("check_in", filter=Q(check_in__answer=CheckIn.Answer.CALL)),
            answers=Count("volunteer_feedback", filter=answered),
            prepared=Count("volunteer_feedback", filter=answered & Q(volunteer_feedback__felt_prepared=Agreement.YES)),
            supported=Count(
                "volunteer_feedback", filter=answered & Q(volunteer_feedback__felt_supported=Agreement.YES)
            ),
            contact=Count("volunteer_feedback", filter=answered & Q(volunteer_feedback__wants_contact=True)),
            **{
                f"went_{choice}": Count(
                    "volunteer_feedback", filter=answered & Q(volunteer_feedback__how_it_went=choice)
                )
                for choice in HowItWent.values
            },
        )
        .order_by()
    )


def session_tally(scope: ReportScope) -> list[dict[str, Any]]:
    """The held sessions (``held_sessions``) by UK month, kind and purpose, in the database's order
    of purposes: how many, how many with a briefing, and their coordinators' answered feedback
    (at most one a session). One query."""
    zone = timezone.get_current_timezone()
    answered = Q(coordinator_feedback__answered_at__isnull=False)
    return list(
        held_sessions(scope)
        .annotate(month=TruncMonth("starts_at", tzinfo=zone))
        .values("month", "kind", "purpose")
        .annotate(
            sessions=Count("pk"),
            briefed=Count("pk", filter=~Q(briefing="")),
            coordinator_responses=Count("coordinator_feedback", filter=answered),
            coordinator_rated=Count("coordinator_feedback__rating", filter=answered),
            coordinator_ratings=Sum("coordinator_feedback__rating", filter=answered),
        )
        .order_by("purpose", "month", "kind")
    )


def tallies(scope: ReportScope) -> Tallies:
    """The three tallies: three queries."""
    return Tallies(volunteers=volunteer_tally(scope), bookings=booking_tally(scope), sessions=session_tally(scope))


def _total(rows: list[dict[str, Any]], name: str, **where: Any) -> int:
    return sum(int(row[name] or 0) for row in rows if all(row[key] == value for key, value in where.items()))


def _hours(rows: list[dict[str, Any]], **where: Any) -> Decimal:
    """The hours of the attended places among ``rows`` (summed as the database would have)."""
    return to_hours(
        sum(
            (
                Decimal(str(row["hours"] or 0))
                for row in rows
                if row["status"] == BookingStatus.ATTENDED and all(row[key] == value for key, value in where.items())
            ),
            Decimal(0),
        )
    )


def summary(counted: Tallies) -> Summary:
    """Sessions, involvements, volunteers, hours and no-shows, from the tallies."""
    volunteers, bookings = counted.volunteers, counted.bookings
    involvements = _total(bookings, "bookings", status=BookingStatus.ATTENDED)
    no_shows = _total(bookings, "bookings", status=BookingStatus.NO_SHOW)
    return Summary(
        sessions=_total(counted.sessions, "sessions"),
        involvements=involvements,
        volunteers=volunteers["volunteers"],
        hours=_hours(bookings),
        no_shows=no_shows,
        no_show_rate=percentage(no_shows, involvements + no_shows),
        new_volunteers=volunteers["new"],
        returning_volunteers=volunteers["returning"],
        one_session=volunteers["one"],
        two_to_five=volunteers["some"],
        more_than_five=volunteers["many"],
    )


def reach(scope: ReportScope, counted: Tallies) -> Reach:
    """Volunteers (and involvements) by perspective, from the tallies, and volunteers by experience
    tag (a network's own tags, for its report; tags of the same name from several networks counted
    together for a university's): one query. Counts only: nobody is named."""
    volunteers = counted.volunteers
    labels = dict(Perspective.choices)
    perspectives = [
        CountRow(labels[value], volunteers[f"perspective_{value}"], volunteers[f"perspective_{value}_involvements"])
        for value in sorted(Perspective.values)
        if volunteers[f"perspective_{value}"]
    ]
    tags = ExperienceTag.objects.filter(volunteers__in=attended_bookings(scope).values("volunteer_id"))
    if scope.is_network:
        tags = tags.filter(network=scope.organisation)
    tag_rows = [
        CountRow(row["name"], row["v"])
        for row in tags.values("name").annotate(v=Count("volunteers", distinct=True)).order_by("-v", "name")
    ]
    return Reach(perspectives=perspectives, tags=tag_rows, untagged=volunteers["untagged"])


def days_to_payment(scope: ReportScope) -> tuple[int, Decimal | None]:
    """Claims paid in the period (their UK day of payment in it) and the median of whole days from
    the UK day each was sent to the day it was paid: one query. PostgreSQL takes the median
    itself (``percentile_cont``); elsewhere it is read from the days sorted by the database."""
    zone = timezone.get_current_timezone()
    paid = (
        Claim.objects.filter(
            status=Claim.Status.PAID,
            submitted_at__isnull=False,
            paid_at__gte=scope.period.starts_at,
            paid_at__lt=scope.period.ends_before,
            booking__in=scoped_bookings(scope, dated=False).values("pk"),
        )
        .annotate(days=DaysBetween(TruncDate("paid_at", tzinfo=zone), TruncDate("submitted_at", tzinfo=zone)))
        .order_by()
    )
    if connection.vendor == "postgresql":
        row = paid.aggregate(median=Median("days"), claims=Count("pk"))
        return row["claims"], one_decimal(row["median"])
    days = list(paid.order_by("days").values_list("days", flat=True))
    return len(days), median_of(days)


def money(scope: ReportScope) -> Money:
    """Fees and expenses paid in the period (by the day paid) for bookings in scope, and the days
    to payment: two queries."""
    row = Payment.objects.filter(
        paid_on__gte=scope.period.start,
        paid_on__lte=scope.period.end,
        claim__booking__in=scoped_bookings(scope, dated=False).values("pk"),
    ).aggregate(
        fees=Sum("amount", filter=Q(kind=Payment.Kind.FEE)),
        expenses=Sum("amount", filter=Q(kind=Payment.Kind.EXPENSES)),
        payments=Count("pk"),
    )
    claims, median = days_to_payment(scope)
    return Money(
        fees=to_pounds(row["fees"]),
        expenses=to_pounds(row["expenses"]),
        payments=row["payments"],
        claims_paid=claims,
        median_days_to_payment=median,
    )


def feedback(scope: ReportScope, counted: Tallies) -> Feedback:
    """Students' ratings of the held sessions and the latest comments staff chose to show (two
    queries); coordinators' ratings and the counted volunteers' own answers, from the tallies."""
    sessions = held_sessions(scope).values("pk")
    students = StudentResponse.objects.filter(session__in=sessions).aggregate(
        responses=Count("pk"),
        average=Avg("rating"),
        changing=Count("pk", filter=Q(change_practice=StudentResponse.ChangePractice.YES)),
        chosen=Count("pk", filter=Q(chosen=True)),
    )
    comments = list(
        StudentResponse.objects.filter(session__in=sessions, chosen=True)
        .select_related("session")
        .order_by("-session__starts_at", "-pk")[:COMMENTS_SHOWN]
    )
    rated = _total(counted.sessions, "coordinator_rated")
    attended = [row for row in counted.bookings if row["status"] == BookingStatus.ATTENDED]
    return Feedback(
        student_responses=students["responses"],
        student_average=one_decimal(students["average"]),
        students_changing_practice=students["changing"],
        coordinator_responses=_total(counted.sessions, "coordinator_responses"),
        coordinator_average=one_decimal(Decimal(_total(counted.sessions, "coordinator_ratings")) / rated)
        if rated
        else None,
        volunteer_answers=_total(attended, "answers"),
        how_it_went=[CountRow(str(label), _total(attended, f"went_{choice}")) for choice, label in HowItWent.choices],
        felt_prepared=_total(attended, "prepared"),
        felt_supported=_total(attended, "supported"),
        asked_for_contact=_total(attended, "contact"),
        chosen_comments=students["chosen"],
        comments=comments,
    )


def months(scope: ReportScope, counted: Tallies) -> list[MonthRow]:
    """Sessions, involvements and hours for every month of the period (months without any
    shown as nought), from the tallies (grouped by UK calendar month in the database)."""
    sessions: dict[datetime.date, int] = {}
    for row in counted.sessions:
        day = _month_day(row["month"])
        sessions[day] = sessions.get(day, 0) + row["sessions"]
    attended: dict[datetime.date, list[dict[str, Any]]] = {}
    for row in counted.bookings:
        if row["status"] == BookingStatus.ATTENDED:
            attended.setdefault(_month_day(row["month"]), []).append(row)
    return [
        MonthRow(
            month=month,
            sessions=sessions.get(month, 0),
            involvements=_total(attended.get(month, []), "bookings"),
            hours=_hours(attended.get(month, [])),
        )
        for month in scope.period.months()
    ]


def _month_day(value: datetime.datetime | datetime.date) -> datetime.date:
    """The first day of a truncated month (an aware datetime in UK time, or a date)."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def build_report(scope: ReportScope, counted: Tallies | None = None) -> Report:
    """Every figure of a report: eight queries (the three tallies, the tags, the money's two and
    the students' two), whatever the number of sessions, bookings or volunteers. ``counted`` is
    the scope's tallies when the caller has them already."""
    counted = counted or tallies(scope)
    return Report(
        scope=scope,
        summary=summary(counted),
        reach=reach(scope, counted),
        money=money(scope),
        feedback=feedback(scope, counted),
        months=months(scope, counted),
        # For a network: how many of its volunteers took part but do not share their participation.
        left_out=counted.volunteers["left_out"] if scope.is_network else None,
    )


def monthly_series(scope: ReportScope) -> list[MonthRow]:
    """Only the months (for a chart): two queries."""
    return months(scope, Tallies(volunteers={}, bookings=booking_tally(scope), sessions=session_tally(scope)))


# The annual involvement report (4Pi) --------------------------------------------------------------


@dataclass(frozen=True)
class KindRow:
    kind: str
    label: str
    sessions: int
    involvements: int
    volunteers: int
    hours: Decimal


@dataclass(frozen=True)
class Support:
    """How volunteers were supported (4Pi "Process"): counts only."""

    volunteers: int
    adjustments: list[CountRow]
    with_any_adjustment: int
    sessions: int
    briefed_sessions: int
    check_ins_sent: int
    check_ins_fine: int
    check_ins_call: int
    follow_ups: int
    follow_ups_open: int
    follow_ups_contacted: int
    follow_ups_closed: int


@dataclass(frozen=True)
class AnnualReport:
    report: Report
    year_label: str
    wording: list[ConsentText]
    by_kind: list[KindRow]
    purposes: list[CountRow]
    support: Support
    impact: list[ImpactEntry] = field(default_factory=list)


# The adjustments profile, as counted (label, condition on VolunteerProfile).
ADJUSTMENTS: list[tuple[str, Q]] = [
    ("Step-free access", Q(step_free_access=True)),
    ("A parking space", Q(parking=True)),
    ("An interpreter (BSL or spoken)", ~Q(interpreter="")),
    ("A hearing loop", Q(hearing_loop=True)),
    ("Large print or easy read materials", Q(large_print=True) | Q(easy_read=True)),
    ("A companion or carer comes too", Q(companion_attending=True)),
    ("Rest breaks", Q(rest_breaks=True)),
    ("Dietary needs", ~Q(dietary_needs="")),
    ("A longest session length", Q(longest_session_minutes__isnull=False)),
    ("Only in person, or only online", ~Q(attendance_mode=VolunteerProfile.AttendanceMode.EITHER)),
    ("Something else", ~Q(other_adjustments="")),
]


def by_kind(counted: Tallies) -> list[KindRow]:
    """Sessions, involvements, volunteers and hours for every kind of session (kinds without any
    shown as nought), from the tallies."""
    return [
        KindRow(
            kind=kind,
            label=str(label),
            sessions=_total(counted.sessions, "sessions", kind=kind),
            involvements=_total(counted.bookings, "bookings", session__kind=kind, status=BookingStatus.ATTENDED),
            volunteers=counted.volunteers[f"kind_{kind}"],
            hours=_hours(counted.bookings, session__kind=kind),
        )
        for kind, label in SessionKind.choices
    ]


def purposes(counted: Tallies) -> list[CountRow]:
    """The purposes coordinators gave the held sessions, each with how many sessions, most first
    (then in the database's order of purposes), from the tallies."""
    sessions: dict[str, int] = {}
    for row in counted.sessions:
        sessions[row["purpose"]] = sessions.get(row["purpose"], 0) + row["sessions"]
    ranked = sorted(sessions.items(), key=lambda item: -item[1])  # stable: ties keep the database's order
    return [CountRow(purpose or "No purpose recorded", count) for purpose, count in ranked]


def support(scope: ReportScope, counted: Tallies) -> Support:
    """Adjustments recorded by the volunteers whose places were confirmed (attended or did not
    attend), briefings written and check-ins sent and answered, from the tallies; wellbeing
    follow-ups raised after the sessions (a network's own, for its report): one query."""
    follow_ups_of = WellbeingFollowUp.objects.filter(booking__in=marked_bookings(scope).values("pk"))
    if scope.is_network:
        follow_ups_of = follow_ups_of.filter(network=scope.organisation)
    Status = WellbeingFollowUp.Status
    follow_ups = follow_ups_of.aggregate(
        raised=Count("pk"),
        open=Count("pk", filter=Q(status=Status.OPEN)),
        contacted=Count("pk", filter=Q(status=Status.CONTACTED)),
        closed=Count("pk", filter=Q(status=Status.CLOSED)),
    )
    volunteers, bookings = counted.volunteers, counted.bookings
    return Support(
        volunteers=volunteers["confirmed"],
        adjustments=[
            CountRow(label, volunteers[f"adjustment_{index}"]) for index, (label, _condition) in enumerate(ADJUSTMENTS)
        ],
        with_any_adjustment=volunteers["any_adjustment"],
        sessions=_total(counted.sessions, "sessions"),
        briefed_sessions=_total(counted.sessions, "briefed"),
        check_ins_sent=_total(bookings, "check_ins"),
        check_ins_fine=_total(bookings, "check_ins_fine"),
        check_ins_call=_total(bookings, "check_ins_call"),
        follow_ups=follow_ups["raised"],
        follow_ups_open=follow_ups["open"],
        follow_ups_contacted=follow_ups["contacted"],
        follow_ups_closed=follow_ups["closed"],
    )


def _any_adjustment() -> Q:
    condition = Q(pk__in=[])
    for _label, adjustment in ADJUSTMENTS:
        condition |= adjustment
    return condition


def wording_in_force(organisation: Organisation, moment: datetime.datetime) -> list[ConsentText]:
    """The consent wording in force at ``moment``: for a network, its own newest version of each
    purpose published by then; for a university, the newest versions of its partners' wording that
    name it as relying on them. Two queries (the organisations named are prefetched)."""
    newer = ConsentText.objects.filter(
        purpose=OuterRef("purpose"),
        network=OuterRef("network"),
        version__gt=OuterRef("version"),
        published_at__lt=moment,
    )
    texts = ConsentText.objects.filter(published_at__lt=moment).filter(~Exists(newer))
    if organisation.is_university:
        texts = texts.filter(organisations=organisation)
    else:
        texts = texts.filter(network=organisation)
    return list(
        texts.select_related("purpose", "network")
        .prefetch_related("organisations")
        .order_by("network__name", "purpose__order", "purpose__name")
    )


def impact_entries(scope: ReportScope) -> list[ImpactEntry]:
    """Impact entries dated in the period: a university's own; for a network, those of partner
    universities linked to a session its counted volunteers attended, or to that session's module;
    for a programme, those linked to it. Two queries (the modules are prefetched)."""
    entries = ImpactEntry.objects.filter(changed_on__gte=scope.period.start, changed_on__lte=scope.period.end)
    if scope.is_network:
        sessions = held_sessions(scope)
        entries = entries.filter(
            Q(pk__in=ImpactEntry.sessions.through.objects.filter(teachingsession__in=sessions).values("impactentry"))
            | Q(
                pk__in=ImpactEntry.modules.through.objects.filter(module__in=sessions.values("module_id")).values(
                    "impactentry"
                )
            )
        )
    else:
        entries = entries.filter(university=scope.organisation)
    if scope.programme is not None:
        entries = entries.filter(
            Q(
                pk__in=ImpactEntry.modules.through.objects.filter(module__programme=scope.programme).values(
                    "impactentry"
                )
            )
            | Q(
                pk__in=ImpactEntry.sessions.through.objects.filter(
                    teachingsession__module__programme=scope.programme
                ).values("impactentry")
            )
        )
    return list(
        entries.select_related("university")
        .prefetch_related(Prefetch("modules", queryset=Module.objects.order_by("code")))
        .order_by("-changed_on", "-pk")
    )


def annual_report(scope: ReportScope, year_label: str) -> AnnualReport:
    """The 4Pi annual report of the scope's organisation for one academic year: thirteen queries
    (the report's eight, the wording's two, the follow-ups and the impact entries' two)."""
    moment = min(scope.period.ends_before, timezone.now())
    counted = tallies(scope)
    return AnnualReport(
        report=build_report(scope, counted),
        year_label=year_label,
        wording=wording_in_force(scope.organisation, moment),
        by_kind=by_kind(counted),
        purposes=purposes(counted),
        support=support(scope, counted),
        impact=impact_entries(scope),
    )


# Regulator evidence for a programme ---------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceSession:
    session: TeachingSession
    named: list[str]
    unnamed: int

    @property
    def people(self) -> int:
        return len(self.named) + self.unnamed

    @property
    def described(self) -> str:
        """ "3: Siân Ellis, Tom and 1 not named"; "1 (not named)"; "0"."""
        if not self.named:
            return f"{self.unnamed} (not named)" if self.unnamed else "0"
        others = f" and {self.unnamed} not named" if self.unnamed else ""
        return f"{self.people}: {', '.join(self.named)}{others}"


@dataclass(frozen=True)
class Evidence:
    programme: Programme
    year_label: str
    report: Report
    by_kind: list[KindRow]
    sessions: list[EvidenceSession]
    impact: list[ImpactEntry]


def evidence_sessions(scope: ReportScope) -> list[EvidenceSession]:
    """The held sessions, in order, each with the people who attended: named as they chose
    (``permissions.evidence_name``), the others only counted. Two queries."""
    attended = Prefetch(
        "bookings",
        queryset=Booking.objects.filter(status=BookingStatus.ATTENDED)
        .select_related("volunteer__user")
        .order_by("volunteer__user__name", "pk"),
        to_attr="attended",
    )
    sessions = held_sessions(scope).select_related("module").prefetch_related(attended).order_by("starts_at", "pk")
    shown = []
    for session in sessions:
        names = [permissions.evidence_name(booking.volunteer) for booking in session.attended]
        named = [name for name in names if name != permissions.UNNAMED]
        shown.append(EvidenceSession(session=session, named=named, unnamed=len(names) - len(named)))
    return shown


def evidence(scope: ReportScope, year_label: str) -> Evidence:
    """A programme's regulator evidence for one academic year (``scope.programme`` is set)."""
    if scope.programme is None:
        raise ValueError("A programme's evidence needs its programme.")
    counted = tallies(scope)
    return Evidence(
        programme=scope.programme,
        year_label=year_label,
        report=build_report(scope, counted),
        by_kind=by_kind(counted),
        sessions=evidence_sessions(scope),
        impact=impact_entries(scope),
    )


# The certificate of involvement -------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    profile: VolunteerProfile
    name: str
    bookings: list[Booking]
    totals: Totals
    issued_on: datetime.date
    reference: str


def certificate(profile: VolunteerProfile, issued_on: datetime.date) -> Certificate:
    """Every session the volunteer attended, anywhere, oldest first, with the totals and the
    certificate's verification reference: two queries."""
    from reports.certificates import certificate_reference

    participation = own_participation(profile)
    bookings = list(participation.order_by("session__starts_at", "pk"))
    totals = participation_totals(participation)
    return Certificate(
        profile=profile,
        name=profile.user.name.strip() or profile.display_name,
        bookings=bookings,
        totals=totals,
        issued_on=issued_on,
        reference=certificate_reference(profile=profile, issued_on=issued_on, bookings=bookings),
    )
