"""Reads for the reports: the scope a report covers, and every figure, aggregated by the database
(``aggregate``, ``annotate``, ``TruncMonth``) in a fixed number of queries, whatever the number of
sessions, bookings or volunteers. Nothing here loops over rows in Python; the only lists read
whole are the rows a page shows (chosen comments, impact entries, the sessions of an evidence
pack), and, on SQLite alone, the sorted days to payment the median is taken from.

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
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from accounts.models import Organisation, Partnership, User
from expenses.models import Claim, Payment
from feedback.models import (
    Agreement,
    CoordinatorFeedback,
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


def _volunteer_figures(scope: ReportScope) -> dict[str, int]:
    """New and returning volunteers, the spread of involvement and those without an experience
    tag (of the network, for a network's report): one query."""
    attended = attended_bookings(scope)
    earlier = attended_bookings(scope, dated=False).filter(
        session__starts_at__lt=scope.period.starts_at, volunteer=OuterRef("pk")
    )
    sessions_each = (
        attended.filter(volunteer=OuterRef("pk")).values("volunteer").annotate(count=Count("pk")).values("count")
    )
    tags = VolunteerProfile.experience_tags.through.objects.filter(volunteerprofile_id=OuterRef("pk"))
    if scope.is_network:
        tags = tags.filter(experiencetag__network=scope.organisation)
    return (
        VolunteerProfile.objects.filter(pk__in=attended.values("volunteer_id"))
        .annotate(
            sessions_each=Subquery(sessions_each, output_field=IntegerField()),
            took_part_before=Exists(earlier),
            has_tag=Exists(tags),
        )
        .aggregate(
            returning=Count("pk", filter=Q(took_part_before=True)),
            new=Count("pk", filter=Q(took_part_before=False)),
            one=Count("pk", filter=Q(sessions_each=1)),
            some=Count("pk", filter=Q(sessions_each__gte=2, sessions_each__lte=5)),
            many=Count("pk", filter=Q(sessions_each__gt=5)),
            untagged=Count("pk", filter=Q(has_tag=False)),
        )
    )


def summary(scope: ReportScope, volunteers: dict[str, int]) -> Summary:
    """Sessions, involvements, volunteers, hours and no-shows: two queries."""
    row = marked_bookings(scope).aggregate(
        involvements=Count("pk", filter=Q(status=BookingStatus.ATTENDED)),
        no_shows=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
        volunteers=Count("volunteer", distinct=True, filter=Q(status=BookingStatus.ATTENDED)),
        hours=Sum("hours", filter=Q(status=BookingStatus.ATTENDED)),
    )
    return Summary(
        sessions=held_sessions(scope).count(),
        involvements=row["involvements"],
        volunteers=row["volunteers"],
        hours=to_hours(row["hours"]),
        no_shows=row["no_shows"],
        no_show_rate=percentage(row["no_shows"], row["involvements"] + row["no_shows"]),
        new_volunteers=volunteers["new"],
        returning_volunteers=volunteers["returning"],
        one_session=volunteers["one"],
        two_to_five=volunteers["some"],
        more_than_five=volunteers["many"],
    )


def reach(scope: ReportScope, untagged: int) -> Reach:
    """Volunteers (and involvements) by perspective, and volunteers by experience tag (a
    network's own tags, for its report; tags of the same name from several networks counted
    together for a university's): two queries. Counts only: nobody is named."""
    attended = attended_bookings(scope)
    labels = dict(Perspective.choices)
    perspectives = [
        CountRow(labels.get(row["volunteer__perspective"], row["volunteer__perspective"]), row["v"], row["i"])
        for row in attended.values("volunteer__perspective")
        .annotate(v=Count("volunteer", distinct=True), i=Count("pk"))
        .order_by("volunteer__perspective")
    ]
    tags = ExperienceTag.objects.filter(volunteers__in=attended.values("volunteer_id"))
    if scope.is_network:
        tags = tags.filter(network=scope.organisation)
    tag_rows = [
        CountRow(row["name"], row["v"])
        for row in tags.values("name").annotate(v=Count("volunteers", distinct=True)).order_by("-v", "name")
    ]
    return Reach(perspectives=perspectives, tags=tag_rows, untagged=untagged)


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


def feedback(scope: ReportScope) -> Feedback:
    """Students' and coordinators' ratings of the held sessions, the counted volunteers' own
    answers, and the latest comments staff chose to show: four queries."""
    sessions = held_sessions(scope).values("pk")
    students = StudentResponse.objects.filter(session__in=sessions).aggregate(
        responses=Count("pk"),
        average=Avg("rating"),
        changing=Count("pk", filter=Q(change_practice=StudentResponse.ChangePractice.YES)),
        chosen=Count("pk", filter=Q(chosen=True)),
    )
    coordinators = CoordinatorFeedback.objects.filter(session__in=sessions, answered_at__isnull=False).aggregate(
        responses=Count("pk"), average=Avg("rating")
    )
    volunteers = VolunteerFeedback.objects.filter(
        booking__in=attended_bookings(scope).values("pk"), answered_at__isnull=False
    ).aggregate(
        answers=Count("pk"),
        prepared=Count("pk", filter=Q(felt_prepared=Agreement.YES)),
        supported=Count("pk", filter=Q(felt_supported=Agreement.YES)),
        contact=Count("pk", filter=Q(wants_contact=True)),
        **{choice: Count("pk", filter=Q(how_it_went=choice)) for choice in HowItWent.values},
    )
    comments = list(
        StudentResponse.objects.filter(session__in=sessions, chosen=True)
        .select_related("session")
        .order_by("-session__starts_at", "-pk")[:COMMENTS_SHOWN]
    )
    return Feedback(
        student_responses=students["responses"],
        student_average=one_decimal(students["average"]),
        students_changing_practice=students["changing"],
        coordinator_responses=coordinators["responses"],
        coordinator_average=one_decimal(coordinators["average"]),
        volunteer_answers=volunteers["answers"],
        how_it_went=[CountRow(str(label), volunteers[choice]) for choice, label in HowItWent.choices],
        felt_prepared=volunteers["prepared"],
        felt_supported=volunteers["supported"],
        asked_for_contact=volunteers["contact"],
        chosen_comments=students["chosen"],
        comments=comments,
    )


def months(scope: ReportScope) -> list[MonthRow]:
    """Sessions, involvements and hours for every month of the period (months without any
    shown as nought): two queries, grouped by UK calendar month in the database."""
    zone = timezone.get_current_timezone()
    sessions = dict(
        held_sessions(scope)
        .annotate(month=TruncMonth("starts_at", tzinfo=zone))
        .values("month")
        .annotate(count=Count("pk"))
        .values_list("month", "count")
    )
    involvement = {
        row["month"]: row
        for row in attended_bookings(scope)
        .annotate(month=TruncMonth("session__starts_at", tzinfo=zone))
        .values("month")
        .annotate(involvements=Count("pk"), hours=Sum("hours"))
    }
    by_day = {_month_day(month): count for month, count in sessions.items()}
    rows = {_month_day(month): row for month, row in involvement.items()}
    return [
        MonthRow(
            month=month,
            sessions=by_day.get(month, 0),
            involvements=rows[month]["involvements"] if month in rows else 0,
            hours=to_hours(rows[month]["hours"]) if month in rows else to_hours(0),
        )
        for month in scope.period.months()
    ]


def _month_day(value: datetime.datetime | datetime.date) -> datetime.date:
    """The first day of a truncated month (an aware datetime in UK time, or a date)."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def left_out(scope: ReportScope) -> int | None:
    """For a network: how many of its volunteers took part in the scope but do not share their
    participation with it (one query). None for a university."""
    if not scope.is_network:
        return None
    row = (
        attended_bookings(scope, consented=False)
        .filter(~_shares_with(scope.organisation))
        .aggregate(volunteers=Count("volunteer", distinct=True))
    )
    return int(row["volunteers"])


def build_report(scope: ReportScope) -> Report:
    """Every figure of a report: thirteen queries for a university, fourteen for a network."""
    volunteers = _volunteer_figures(scope)
    return Report(
        scope=scope,
        summary=summary(scope, volunteers),
        reach=reach(scope, volunteers["untagged"]),
        money=money(scope),
        feedback=feedback(scope),
        months=months(scope),
        left_out=left_out(scope),
    )


def monthly_series(scope: ReportScope) -> list[MonthRow]:
    """Only the months (for a chart): two queries."""
    return months(scope)


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


def by_kind(scope: ReportScope) -> list[KindRow]:
    """Sessions, involvements, volunteers and hours for every kind of session (kinds without any
    shown as nought): two queries."""
    sessions = dict(held_sessions(scope).values("kind").annotate(count=Count("pk")).values_list("kind", "count"))
    rows = {
        row["session__kind"]: row
        for row in attended_bookings(scope)
        .values("session__kind")
        .annotate(involvements=Count("pk"), volunteers=Count("volunteer", distinct=True), hours=Sum("hours"))
    }
    return [
        KindRow(
            kind=kind,
            label=str(label),
            sessions=sessions.get(kind, 0),
            involvements=rows.get(kind, {}).get("involvements", 0),
            volunteers=rows.get(kind, {}).get("volunteers", 0),
            hours=to_hours(rows.get(kind, {}).get("hours")),
        )
        for kind, label in SessionKind.choices
    ]


def purposes(scope: ReportScope) -> list[CountRow]:
    """The purposes coordinators gave the held sessions, each with how many sessions (one query)."""
    return [
        CountRow(row["purpose"] or "No purpose recorded", row["count"])
        for row in held_sessions(scope).values("purpose").annotate(count=Count("pk")).order_by("-count", "purpose")
    ]


def support(scope: ReportScope) -> Support:
    """Adjustments recorded by the volunteers whose places were confirmed (attended or did not
    attend), briefings written, check-ins sent and answered, and wellbeing follow-ups raised after
    the sessions (a network's own, for its report): four queries."""
    marked = marked_bookings(scope)
    adjustments = VolunteerProfile.objects.filter(pk__in=marked.values("volunteer_id")).aggregate(
        volunteers=Count("pk"),
        any=Count("pk", filter=_any_adjustment()),
        **{
            f"adjustment_{index}": Count("pk", filter=condition)
            for index, (_label, condition) in enumerate(ADJUSTMENTS)
        },
    )
    briefings = held_sessions(scope).aggregate(sessions=Count("pk"), briefed=Count("pk", filter=~Q(briefing="")))
    check_ins = CheckIn.objects.filter(booking__in=marked.values("pk")).aggregate(
        sent=Count("pk"),
        fine=Count("pk", filter=Q(answer=CheckIn.Answer.FINE)),
        call=Count("pk", filter=Q(answer=CheckIn.Answer.CALL)),
    )
    follow_ups_of = WellbeingFollowUp.objects.filter(booking__in=marked.values("pk"))
    if scope.is_network:
        follow_ups_of = follow_ups_of.filter(network=scope.organisation)
    Status = WellbeingFollowUp.Status
    follow_ups = follow_ups_of.aggregate(
        raised=Count("pk"),
        open=Count("pk", filter=Q(status=Status.OPEN)),
        contacted=Count("pk", filter=Q(status=Status.CONTACTED)),
        closed=Count("pk", filter=Q(status=Status.CLOSED)),
    )
    return Support(
        volunteers=adjustments["volunteers"],
        adjustments=[
            CountRow(label, adjustments[f"adjustment_{index}"]) for index, (label, _condition) in enumerate(ADJUSTMENTS)
        ],
        with_any_adjustment=adjustments["any"],
        sessions=briefings["sessions"],
        briefed_sessions=briefings["briefed"],
        check_ins_sent=check_ins["sent"],
        check_ins_fine=check_ins["fine"],
        check_ins_call=check_ins["call"],
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
    """The 4Pi annual report of the scope's organisation for one academic year."""
    moment = min(scope.period.ends_before, timezone.now())
    return AnnualReport(
        report=build_report(scope),
        year_label=year_label,
        wording=wording_in_force(scope.organisation, moment),
        by_kind=by_kind(scope),
        purposes=purposes(scope),
        support=support(scope),
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
    return Evidence(
        programme=scope.programme,
        year_label=year_label,
        report=build_report(scope),
        by_kind=by_kind(scope),
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
