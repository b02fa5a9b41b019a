"""The programmes, sessions and bookings of ``manage.py seed_scale`` (``accounts.scale``
describes the whole seed).

Sessions over three academic years (the last two and this one, so some are still to come), in
term time: busiest in October–November and February–March, quiet at Christmas and Easter, almost
none in August; mostly Tuesday to Thursday. Each invites volunteers of the university's partner
networks, drawn by their involvement weight (``volunteers.scale``), so most people come rarely and
a few often. The rules hold as the services would keep them: one booking per volunteer per
session, accepted places within the places, no volunteer holding two places on one day, a
session needing consent books only volunteers holding it for that university.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import User
from accounts.scale import ScaleContext, insert
from involvement.models import ActivityLog, Notification
from involvement.periods import academic_year, academic_year_label, academic_year_start
from sessions_app.models import Booking, CalendarFeed, CheckIn, Module, Programme, TeachingSession, new_feed_token
from volunteers.models import ConsentPurpose, ExperienceTag
from volunteers.scale import ScaleVolunteer

Status = Booking.Status
SessionStatus = TeachingSession.Status
Kind = TeachingSession.Kind
DEFAULT_SESSIONS = 5000
DEFAULT_BOOKINGS = 100_000
# Sessions per university, in the order of ``ctx.universities`` (Northbridge, the demo's, first).
UNIVERSITY_SHARES = [0.40, 0.25, 0.20, 0.15]
# Term time: the relative number of sessions in each month, September first.
MONTH_WEIGHTS = {9: 0.6, 10: 1.3, 11: 1.4, 12: 0.5, 1: 0.9, 2: 1.3, 3: 1.3, 4: 0.5, 5: 1.0, 6: 0.6, 7: 0.15, 8: 0.05}
WEEKDAY_WEIGHTS = [0.10, 0.28, 0.27, 0.25, 0.10]
KINDS: dict[str, tuple[float, int, tuple[int, ...]]] = {
    # kind: (share of sessions, mean invitations, hours)
    Kind.TEACHING: (0.35, 14, (1, 2, 2, 3)),
    Kind.SIMULATED_PATIENT: (0.20, 22, (2, 3, 3)),
    Kind.ASSESSMENT: (0.15, 36, (3, 4, 4)),
    Kind.RECRUITMENT: (0.10, 24, (3, 4, 6)),
    Kind.CURRICULUM: (0.08, 12, (2, 3)),
    Kind.REVIEW: (0.05, 10, (2, 3)),
    Kind.OTHER: (0.07, 12, (1, 2)),
}
PROGRAMMES = [
    ("BSc (Hons) Physiotherapy", "Physiotherapy", Programme.Regulator.HCPC, "PHY"),
    ("BSc (Hons) Midwifery", "Midwifery", Programme.Regulator.NMC, "MID"),
    ("MBChB Medicine", "Medicine", Programme.Regulator.GMC, "MED"),
    ("BSc (Hons) Paramedic Science", "Paramedic science", Programme.Regulator.HCPC, "PAR"),
    ("BSc (Hons) Occupational Therapy", "Occupational therapy", Programme.Regulator.HCPC, "OCC"),
    ("BSc (Hons) Children's Nursing", "Children's nursing", Programme.Regulator.NMC, "CHN"),
]
MODULE_TITLES = [
    "Person-centred practice",
    "Communication and shared decisions",
    "Long-term conditions",
    "Safeguarding and ethics",
    "Leadership in practice",
]
TITLES: dict[str, list[str]] = {
    Kind.TEACHING: ["Patient stories", "What good care felt like", "Living with it day to day", "A carer's view"],
    Kind.SIMULATED_PATIENT: ["Simulated consultation", "Breaking bad news practice", "Ward round simulation"],
    Kind.ASSESSMENT: ["OSCE station", "Communication OSCE", "Practical assessment panel"],
    Kind.RECRUITMENT: ["Selection day panel", "Admissions interviews"],
    Kind.CURRICULUM: ["Module redesign workshop", "Curriculum co-design"],
    Kind.REVIEW: ["Programme monitoring panel", "Periodic review"],
    Kind.OTHER: ["Research advisory group", "Student conference"],
}
VENUES = ["Room 2.14, Allied Health Building", "Clinical Skills Suite", "Lecture theatre B", "Simulation ward"]


@dataclass(frozen=True)
class ScaleBooking:
    """An attended booking, for the claims and feedback parts."""

    booking_id: int
    volunteer_id: int
    session_id: int
    university_id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    kind: str
    hours: Decimal


@dataclass
class Pool:
    """Volunteers who may be invited to a university's sessions, with cumulative weights."""

    volunteers: list[ScaleVolunteer]
    cumulative: list[float]

    @classmethod
    def of(cls, volunteers: list[ScaleVolunteer]) -> Pool:
        return cls(volunteers, list(itertools.accumulate(volunteer.weight for volunteer in volunteers)))

    def draw(self, ctx: ScaleContext, count: int, day: datetime.date) -> list[ScaleVolunteer]:
        """Up to ``count`` different volunteers who had joined by ``day``, by weight."""
        if not self.volunteers:
            return []
        chosen: dict[int, ScaleVolunteer] = {}
        total = self.cumulative[-1]
        for _attempt in range(count * 4):
            volunteer = self.volunteers[bisect.bisect(self.cumulative, ctx.rng.random() * total)]
            if volunteer.joined <= day:
                chosen.setdefault(volunteer.profile_id, volunteer)
                if len(chosen) == count:
                    return list(chosen.values())
        # A small pool runs out of fresh names by weight: the rest by lot.
        for volunteer in ctx.rng.sample(self.volunteers, len(self.volunteers)):
            if len(chosen) == count:
                break
            if volunteer.joined <= day:
                chosen.setdefault(volunteer.profile_id, volunteer)
        return list(chosen.values())


def seed_sessions_scale(ctx: ScaleContext) -> None:
    """Write programmes, modules, sessions, bookings, check-ins and calendar feeds; leave the
    attended bookings in ``ctx.data["attended"]`` and the sessions in ``ctx.data["sessions"]``."""
    modules = _programmes(ctx)
    story = ConsentPurpose.objects.get(code="share-story")
    sessions = _sessions(ctx, modules)
    # The sessions are written with their bookings, once their places are known.
    _bookings(ctx, sessions)
    through = TeachingSession.required_consents.through
    insert(
        through,
        (through(teachingsession_id=s.pk, consentpurpose_id=story.pk) for s in sessions if s.needs_story),  # type: ignore[attr-defined]
        ctx,
        "sessions_app.TeachingSession_required_consents",
    )
    tags: dict[int, list[int]] = {}
    for network_id, tag_id in ExperienceTag.objects.filter(network__in=ctx.charities).values_list("network_id", "pk"):
        tags.setdefault(network_id, []).append(tag_id)
    tag_through = TeachingSession.preferred_tags.through
    rows = []
    for session in sessions:
        partner_tags = [tag for network in ctx.partners[session.university_id] for tag in tags.get(network, [])]  # type: ignore[attr-defined]
        for tag_id in ctx.rng.sample(partner_tags, min(len(partner_tags), ctx.rng.choice([0, 0, 1, 1, 2]))):
            rows.append(tag_through(teachingsession_id=session.pk, experiencetag_id=tag_id))
    insert(tag_through, rows, ctx, "sessions_app.TeachingSession_preferred_tags")
    insert(
        CalendarFeed,
        (
            CalendarFeed(volunteer_id=volunteer.profile_id, token=new_feed_token())
            for volunteer in ctx.data["volunteers"]
            if ctx.rng.random() < 0.25
        ),
        ctx,
    )


def _programmes(ctx: ScaleContext) -> dict[tuple[int, int], list[Module]]:
    """Four programmes a year at each university, five modules each: by (university, year)."""
    this_year = academic_year_start(ctx.today)
    programmes: list[Programme] = []
    for index, university in enumerate(ctx.universities):
        for year in range(this_year - 2, this_year + 1):
            for offset in range(4):
                name, profession, regulator, _code = PROGRAMMES[(index + offset) % len(PROGRAMMES)]
                programmes.append(
                    Programme(
                        university=university,
                        name=name,
                        profession=profession,
                        regulator=regulator,
                        academic_year=academic_year_label(year),
                        cost_centre=f"CC{index + 1}{offset:02d}",
                        nominal_code=f"5{index + 1}{offset:02d}0",
                    )
                )
    programmes = insert(Programme, programmes, ctx)
    codes = {name: code for name, _p, _r, code in PROGRAMMES}
    modules = insert(
        Module,
        (
            Module(
                programme=programme, code=f"{codes[programme.name]}{level}0{number}", title=title, year_of_study=level
            )
            for programme in programmes
            for number, title in enumerate(MODULE_TITLES, start=1)
            for level in [1 + (number - 1) % 3]
        ),
        ctx,
    )
    by_programme = {programme.pk: programme for programme in programmes}
    found: dict[tuple[int, int], list[Module]] = {}
    for module in modules:
        programme = by_programme[module.programme_id]
        year = int(programme.academic_year[:4])
        found.setdefault((programme.university_id, year), []).append(module)
    return found


def _day(ctx: ScaleContext, year: int) -> datetime.date:
    """A teaching day in academic year ``year``, by term-time month and weekday weights."""
    rng = ctx.rng
    month = rng.choices(list(MONTH_WEIGHTS), weights=list(MONTH_WEIGHTS.values()), k=1)[0]
    calendar_year = year if month >= 9 else year + 1
    first = datetime.date(calendar_year, month, 1)
    following = datetime.date(calendar_year + (month == 12), month % 12 + 1, 1)
    weekday = rng.choices(range(5), weights=WEEKDAY_WEIGHTS, k=1)[0]
    days = [
        first + datetime.timedelta(days=offset)
        for offset in range((following - first).days)
        if (first + datetime.timedelta(days=offset)).weekday() == weekday
    ]
    return rng.choice(days)


def _sessions(ctx: ScaleContext, modules: dict[tuple[int, int], list[Module]]) -> list[TeachingSession]:
    rng = ctx.rng
    this_year = academic_year_start(ctx.today)
    earliest = academic_year(this_year - 2).start
    kinds = list(KINDS)
    sessions = []
    for _index in range(ctx.scaled(DEFAULT_SESSIONS, minimum=20)):
        university = rng.choices(ctx.universities, weights=UNIVERSITY_SHARES, k=1)[0]
        year = rng.randint(this_year - 2, this_year)
        day = _day(ctx, year)
        kind = rng.choices(kinds, weights=[spec[0] for spec in KINDS.values()], k=1)[0]
        starts_at = ctx.moment(max(day, earliest), rng.choice([9, 10, 10, 13, 14]), rng.choice([0, 0, 30]))
        ends_at = starts_at + datetime.timedelta(hours=rng.choice(KINDS[kind][2]))
        coordinators = ctx.coordinators[university.pk]
        # The demo coordinator owns most of Northbridge's sessions: those are the pages measured.
        owner = coordinators[0] if rng.random() < 0.6 else rng.choice(coordinators)
        past = ends_at <= ctx.now
        if past:
            recent = ends_at > ctx.now - datetime.timedelta(days=45)
            status = rng.choices(
                [SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.OPEN],
                weights=[0.92, 0.04, 0.04 if recent else 0],
            )[0]
        else:
            status = rng.choices(
                [SessionStatus.OPEN, SessionStatus.DRAFT, SessionStatus.CANCELLED], weights=[0.88, 0.07, 0.05]
            )[0]
        online = kind in (Kind.CURRICULUM, Kind.REVIEW) and rng.random() < 0.4
        session = TeachingSession(
            module=rng.choice(modules[(university.pk, year)]),
            title=rng.choice(TITLES[kind]),
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            venue="" if online else rng.choice(VENUES),
            online_link="https://meet.example.org/involvement" if online else "",
            places=1,
            briefing="Please arrive 15 minutes early; someone will meet you at the main reception.",
            purpose="Students learn what matters to patients from people who have been there.",
            emotionally_demanding=rng.random() < 0.12,
            owner_id=owner,
            status=status,
            cancelled_reason="The module was rescheduled." if status == SessionStatus.CANCELLED else "",
            created_at=min(starts_at - datetime.timedelta(days=rng.randint(20, 90)), ctx.now),
        )
        session.university_id = university.pk  # type: ignore[attr-defined]  # for the bookings below
        session.needs_story = kind in (Kind.TEACHING, Kind.SIMULATED_PATIENT) and rng.random() < 0.8  # type: ignore[attr-defined]
        sessions.append(session)
    sessions.sort(key=lambda session: session.starts_at)
    # Places are set from the bookings (below), so the session rows are written after them.
    return sessions


def _pools(ctx: ScaleContext) -> dict[tuple[int, bool, bool], Pool]:
    """For each university: (university, to come, needs the story consent) -> who may be invited."""
    volunteers: list[ScaleVolunteer] = ctx.data["volunteers"]
    pools = {}
    for university in ctx.universities:
        partners = set(ctx.partners.get(university.pk, []))
        for upcoming in (False, True):
            eligible = [
                volunteer
                for volunteer in volunteers
                if partners & set(volunteer.active_in if upcoming else volunteer.history_in)
            ]
            pools[(university.pk, upcoming, False)] = Pool.of(eligible)
            pools[(university.pk, upcoming, True)] = Pool.of(
                [volunteer for volunteer in eligible if university.pk in volunteer.story_universities]
            )
    return pools


def _bookings(ctx: ScaleContext, sessions: list[TeachingSession]) -> None:
    """Invite, answer and mark each session's bookings, then write sessions and bookings."""
    rng = ctx.rng
    pools = _pools(ctx)
    raw = [KINDS[session.kind][1] * rng.lognormvariate(0, 0.45) for session in sessions]
    scale = ctx.scaled(DEFAULT_BOOKINGS, minimum=100) / sum(
        size for size, session in zip(raw, sessions, strict=True) if session.status != SessionStatus.DRAFT
    )
    holding_days: set[tuple[int, datetime.date]] = set()
    plans: list[list[tuple[int, str]]] = []
    demo = ctx.data.get("demo_volunteer")
    demo_wanted = ctx.scaled(220, minimum=12)
    northbridge = ctx.universities[0].pk
    if demo is not None:
        holding_days |= {
            (demo.pk, timezone.localdate(starts_at))
            for starts_at in Booking.objects.filter(
                volunteer=demo, status__in=[Status.ACCEPTED, Status.ATTENDED]
            ).values_list("session__starts_at", flat=True)
        }
    demo_candidates = [
        index
        for index, session in enumerate(sessions)
        if session.university_id == northbridge and session.status != SessionStatus.DRAFT  # type: ignore[attr-defined]
    ]
    demo_sessions = set(rng.sample(demo_candidates, min(demo_wanted, len(demo_candidates))))
    for index, (session, size) in enumerate(zip(sessions, raw, strict=True)):
        if session.status == SessionStatus.DRAFT:
            plans.append([])
            continue
        upcoming = session.ends_at > ctx.now
        pool = pools[(session.university_id, upcoming, session.needs_story)]  # type: ignore[attr-defined]
        day = timezone.localdate(session.starts_at)
        invited = pool.draw(ctx, max(1, round(size * scale)), day)
        ids = [volunteer.profile_id for volunteer in invited]
        if demo is not None and index in demo_sessions and demo.pk not in ids:
            ids.insert(0, demo.pk)
        plan = []
        for volunteer_id in ids:
            status = _status(ctx, session, upcoming)
            holds = status in (Status.ACCEPTED, Status.ATTENDED, Status.NO_SHOW)
            if holds and (volunteer_id, day) in holding_days:
                status = rng.choice([Status.DECLINED, Status.EXPIRED])
            elif holds:
                holding_days.add((volunteer_id, day))
            plan.append((volunteer_id, status))
        plans.append(plan)
        holding = sum(status in (Status.ACCEPTED, Status.ATTENDED) for _v, status in plan)
        spare = rng.choice([0, 0, 1, 2]) if not upcoming else rng.choice([0, 1, 2, 3, 5])
        session.places = max(1, holding + spare)
    sessions = insert(TeachingSession, sessions, ctx)
    ctx.data["sessions"] = [
        (session.pk, session.university_id, session.owner_id, session.starts_at, session.ends_at, session.status)  # type: ignore[attr-defined]
        for session in sessions
    ]
    attended: list[ScaleBooking] = []
    check_ins: list[CheckIn] = []
    batch: list[Booking] = []
    # Bookings of the last year and to come, for the outbox and the audit trail (involvement.scale).
    recent: list[tuple[int, int, str, datetime.datetime, datetime.datetime, str]] = []
    year_ago = ctx.now - datetime.timedelta(days=365)

    def flush() -> None:
        for booking in insert(Booking, batch, ctx):
            if booking.session.starts_at >= year_ago:
                recent.append(
                    (
                        booking.pk,
                        booking.volunteer_id,
                        booking.status,
                        booking.invited_at,
                        booking.session.starts_at,
                        booking.session.title,
                    )
                )
            if booking.status == Status.ATTENDED:
                session = booking.session
                attended.append(
                    ScaleBooking(
                        booking_id=booking.pk,
                        volunteer_id=booking.volunteer_id,
                        session_id=session.pk,
                        university_id=session.university_id,  # type: ignore[attr-defined]
                        starts_at=session.starts_at,
                        ends_at=session.ends_at,
                        kind=session.kind,
                        hours=booking.hours or Decimal(0),
                    )
                )
                if session.emotionally_demanding and rng.random() < 0.8:
                    check_ins.append(_check_in(ctx, booking))
        batch.clear()

    for session, plan in zip(sessions, plans, strict=True):
        for volunteer_id, status in plan:
            batch.append(_booking(ctx, session, volunteer_id, status))
        if len(batch) >= 5000:
            flush()
    flush()
    insert(CheckIn, check_ins, ctx)
    ctx.data["attended"] = attended
    ctx.data["recent_bookings"] = recent


def _status(ctx: ScaleContext, session: TeachingSession, upcoming: bool) -> str:
    rng = ctx.rng
    if session.status == SessionStatus.CANCELLED:
        return rng.choices([Status.CANCELLED, Status.DECLINED, Status.EXPIRED], weights=[0.5, 0.3, 0.2])[0]
    if upcoming:
        return rng.choices(
            [Status.ACCEPTED, Status.INVITED, Status.DECLINED, Status.EXPIRED, Status.CANCELLED],
            weights=[0.45, 0.15, 0.22, 0.13, 0.05],
        )[0]
    if session.status == SessionStatus.OPEN:
        # Past, attendance not marked yet.
        return rng.choices([Status.ACCEPTED, Status.DECLINED, Status.EXPIRED], weights=[0.6, 0.25, 0.15])[0]
    return rng.choices(
        [Status.ATTENDED, Status.NO_SHOW, Status.DECLINED, Status.EXPIRED, Status.CANCELLED],
        weights=[0.62, 0.04, 0.18, 0.11, 0.05],
    )[0]


def _booking(ctx: ScaleContext, session: TeachingSession, volunteer_id: int, status: str) -> Booking:
    rng = ctx.rng
    invited_at = min(session.starts_at - datetime.timedelta(days=rng.randint(8, 40)), ctx.now)
    expires = min(invited_at + datetime.timedelta(days=7), session.starts_at)
    if status == Status.INVITED:
        invited_at = ctx.now - datetime.timedelta(days=rng.randint(0, 5), hours=rng.randint(0, 20))
        expires = min(ctx.now + datetime.timedelta(days=rng.randint(1, 6)), session.starts_at)
    answered = status not in (Status.INVITED, Status.EXPIRED)
    responded_at = min(invited_at + datetime.timedelta(days=rng.randint(0, 5), hours=2), ctx.now) if answered else None
    marked = status in (Status.ATTENDED, Status.NO_SHOW)
    return Booking(
        session=session,
        volunteer_id=volunteer_id,
        status=status,
        invited_by_id=session.owner_id,
        invited_at=invited_at,
        invitation_expires_at=expires,
        responded_at=responded_at,
        cancelled_at=responded_at if status == Status.CANCELLED else None,
        cancel_reason="A hospital appointment on that day." if status == Status.CANCELLED else "",
        attendance_marked_at=session.ends_at + datetime.timedelta(hours=rng.randint(1, 72)) if marked else None,
        hours=session.duration_hours if status == Status.ATTENDED else None,
        created_at=invited_at,
    )


def _check_in(ctx: ScaleContext, booking: Booking) -> CheckIn:
    answered = ctx.rng.random() < 0.7
    return CheckIn(
        booking=booking,
        answer=ctx.rng.choices([CheckIn.Answer.FINE, CheckIn.Answer.CALL], weights=[0.9, 0.1])[0] if answered else "",
        answered_at=booking.session.ends_at + datetime.timedelta(hours=30) if answered else None,
        created_at=booking.session.ends_at + datetime.timedelta(hours=24),
    )


def seed_sessions_outbox_scale(ctx: ScaleContext) -> None:
    """A year of the sessions' emails in the outbox (invitations, confirmations, reminders; all
    sent, a few failed) and of their decisions in the audit trail, for the bookings of the last
    year and those to come."""
    rng = ctx.rng
    users = {volunteer.profile_id: volunteer.user_id for volunteer in ctx.data["volunteers"]}
    demo = ctx.data.get("demo_volunteer")
    if demo is not None:
        users[demo.pk] = demo.user_id
    emails = dict(User.objects.filter(pk__in=set(users.values())).values_list("pk", "email"))
    booking_type = ContentType.objects.get_for_model(Booking)
    holding = {Status.ACCEPTED, Status.ATTENDED, Status.NO_SHOW}

    def notification(key: str, template: str, user_id: int, at: datetime.datetime, title: str) -> Notification:
        failed = rng.random() < 0.01
        return Notification(
            recipient_id=user_id,
            email=emails[user_id],
            template_key=template,
            context={"title": title},
            unique_key=key,
            status=Notification.Status.FAILED if failed else Notification.Status.SENT,
            attempts=5 if failed else 1,
            last_attempt_at=at + datetime.timedelta(minutes=1),
            last_error="SMTPRecipientsRefused: mailbox unavailable" if failed else "",
            sent_at=None if failed else at + datetime.timedelta(minutes=1),
            created_at=at,
        )

    def outbox() -> Iterator[Notification]:
        for booking_id, volunteer_id, status, invited_at, starts_at, title in ctx.data["recent_bookings"]:
            user_id = users.get(volunteer_id)
            if user_id is None:
                continue
            yield notification(
                f"invitation:booking:{booking_id}", "sessions_app/invitation", user_id, invited_at, title
            )
            if status in holding:
                confirmed = min(invited_at + datetime.timedelta(days=1), ctx.now)
                yield notification(
                    f"booking-confirmed:{booking_id}", "sessions_app/booking_confirmed", user_id, confirmed, title
                )
                for days in (7, 1):
                    due = starts_at - datetime.timedelta(days=days)
                    if confirmed < due <= ctx.now:
                        yield notification(
                            f"reminder:{days}d:booking:{booking_id}", "sessions_app/reminder", user_id, due, title
                        )

    def activity() -> Iterator[ActivityLog]:
        for booking_id, _volunteer_id, status, invited_at, starts_at, _title in ctx.data["recent_bookings"]:
            yield ActivityLog(
                action="booking.invited", content_type=booking_type, object_id=str(booking_id), created_at=invited_at
            )
            if status not in (Status.INVITED, Status.EXPIRED):
                yield ActivityLog(
                    action=f"booking.{status}",
                    content_type=booking_type,
                    object_id=str(booking_id),
                    created_at=min(max(invited_at, starts_at) + datetime.timedelta(hours=4), ctx.now),
                )

    insert(Notification, outbox(), ctx)
    insert(ActivityLog, activity(), ctx)
