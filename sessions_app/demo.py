"""Demo programmes, modules, sessions and bookings for ``manage.py seed_demo``.

Past sessions with attendance marked, one past session still waiting for its attendance, future
sessions with invitations in every state, one full session, one emotionally demanding session and
a draft. Rows are written directly (not through the services) because demo history lies in the past.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass

from django.utils import timezone

from accounts.demo import DemoWorld
from accounts.models import User
from involvement.periods import academic_year, academic_year_label, academic_year_start
from sessions_app.models import Booking, Module, Programme, TeachingSession
from volunteers.models import ConsentPurpose, ExperienceTag, NetworkMembership, VolunteerProfile, part_of_day

Status = Booking.Status
Kind = TeachingSession.Kind


@dataclass(frozen=True)
class DemoSession:
    key: str
    module: str
    title: str
    kind: str
    days: int  # from today; negative is in the past
    start: int  # hour, UK time
    hours: int
    places: int
    bookings: tuple[str, ...]  # booking statuses, in volunteer order
    demanding: bool = False
    status: str = TeachingSession.Status.OPEN
    tags: tuple[str, ...] = ()
    consents: tuple[str, ...] = ("share-story",)
    online: bool = False
    # volunteer@example.org takes the first booking listed (she is free on Tuesdays).
    demo_volunteer_first: bool = False
    # The day of the week it falls on (1 Tuesday, 2 Wednesday, 3 Thursday), whatever today is, so the
    # volunteers free then, and so the whole demo, are the same on any day it is seeded.
    weekday: int = 1


PROGRAMMES = {
    "radiography": ("BSc (Hons) Diagnostic Radiography", "Diagnostic radiography", Programme.Regulator.HCPC),
    "nursing": ("BSc (Hons) Adult Nursing", "Adult nursing", Programme.Regulator.NMC),
}
MODULES = {
    "RAD101": ("radiography", "Patient-centred care in imaging", 1),
    "RAD204": ("radiography", "Breast imaging and mammography", 2),
    "RAD305": ("radiography", "Radiotherapy and oncology pathways", 3),
    "NUR110": ("nursing", "Communication and compassion", 1),
    "NUR220": ("nursing", "Living with long-term conditions", 2),
}
SESSIONS = [
    DemoSession(
        "history-1",
        "RAD101",
        "What good care felt like",
        Kind.TEACHING,
        -70,
        10,
        2,
        3,
        (Status.ATTENDED, Status.ATTENDED, Status.NO_SHOW),
        status=TeachingSession.Status.COMPLETED,
        demo_volunteer_first=True,
    ),
    DemoSession(
        "history-2",
        "RAD204",
        "Mammography OSCE",
        Kind.ASSESSMENT,
        -40,
        9,
        4,
        4,
        (Status.ATTENDED, Status.ATTENDED, Status.ATTENDED, Status.ATTENDED),
        status=TeachingSession.Status.COMPLETED,
        tags=("primary breast cancer",),
        weekday=2,
    ),
    DemoSession(
        "history-3",
        "NUR110",
        "Breaking bad news: a patient's view",
        Kind.SIMULATED_PATIENT,
        -21,
        14,
        2,
        2,
        (Status.ATTENDED, Status.ATTENDED),
        status=TeachingSession.Status.COMPLETED,
        demanding=True,
        weekday=3,
    ),
    DemoSession(
        "needs-attendance",
        "RAD305",
        "Radiotherapy: the first day",
        Kind.TEACHING,
        -3,
        13,
        2,
        2,
        (Status.ACCEPTED, Status.ACCEPTED),
        tags=("radiotherapy",),
        weekday=2,
    ),
    DemoSession(
        "every-state",
        "RAD204",
        "Breast screening: what patients wish we knew",
        Kind.TEACHING,
        12,
        10,
        2,
        4,
        (Status.INVITED, Status.ACCEPTED, Status.DECLINED, Status.EXPIRED, Status.CANCELLED),
        tags=("primary breast cancer", "mastectomy"),
        demo_volunteer_first=True,
    ),
    DemoSession(
        "full",
        "RAD101",
        "Admissions interviews: service user panel",
        Kind.RECRUITMENT,
        18,
        9,
        3,
        2,
        (Status.ACCEPTED, Status.ACCEPTED),
        consents=(),
        weekday=3,
    ),
    DemoSession(
        "demanding",
        "NUR220",
        "Living with secondary breast cancer",
        Kind.TEACHING,
        25,
        14,
        2,
        2,
        (Status.ACCEPTED,),
        demanding=True,
        tags=("secondary breast cancer",),
        demo_volunteer_first=True,
    ),
    DemoSession(
        "online",
        "RAD305",
        "Curriculum review panel",
        Kind.CURRICULUM,
        33,
        15,
        2,
        3,
        (Status.INVITED, Status.INVITED),
        online=True,
        consents=(),
        weekday=2,
    ),
    DemoSession(
        "draft",
        "NUR110",
        "Carers' perspectives on discharge",
        Kind.TEACHING,
        60,
        10,
        2,
        3,
        (),
        status=TeachingSession.Status.DRAFT,
        consents=(),
        weekday=3,
    ),
]


def _at(days: int, hour: int, weekday: int) -> datetime.datetime:
    """``days`` from today at ``hour`` UK time, moved to the nearest ``weekday`` away from today
    (later for a session to come, earlier for one in the past)."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    step = datetime.timedelta(days=-1 if days < 0 else 1)
    while day.weekday() != weekday:
        day += step
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _free_for(volunteer: VolunteerProfile, session: TeachingSession, booked: list[Booking]) -> bool:
    """Whether inviting ``volunteer`` keeps to what they told us (their weekly pattern, time away and
    monthly limit) and to the booking rules (no second booking, no overlapping place)."""
    day = timezone.localdate(session.starts_at)
    if not volunteer.weekly_availability.filter(weekday=day.weekday(), part_of_day=part_of_day(session.starts_at)):
        return False
    if volunteer.time_away.filter(starts_on__lte=day, ends_on__gte=day).exists():
        return False
    holding = {Status.ACCEPTED, Status.ATTENDED}
    mine = [booking for booking in booked if booking.volunteer_id == volunteer.pk]
    if any(booking.session_id == session.pk for booking in mine):
        return False
    if any(
        booking.status in holding
        and booking.session.starts_at < session.ends_at
        and booking.session.ends_at > session.starts_at
        for booking in mine
    ):
        return False
    month = (session.starts_at.year, timezone.localtime(session.starts_at).month)
    in_month = sum(
        1
        for booking in mine
        if booking.status in holding
        and (booking.session.starts_at.year, timezone.localtime(booking.session.starts_at).month) == month
    )
    return volunteer.monthly_session_cap is None or in_month < volunteer.monthly_session_cap


def seed_sessions(world: DemoWorld) -> None:
    """Northbridge's programmes and sessions with Breast Cancer Voices' volunteers, and one
    Southgate session with Carers' Circle. Does nothing if Northbridge already has programmes."""
    if Programme.objects.filter(university=world.university_a).exists():
        return
    coordinator = world.users["coordinator@example.org"]
    this_year = academic_year_label(academic_year_start(timezone.localdate()))
    programmes = {
        key: Programme.objects.create(
            university=world.university_a,
            name=name,
            profession=profession,
            regulator=regulator,
            academic_year=this_year,
        )
        for key, (name, profession, regulator) in PROGRAMMES.items()
    }
    modules = _modules(programmes, coordinator)
    # Last academic year's programmes, for two years of history.
    last_year = academic_year_label(academic_year_start(timezone.localdate()) - 1)
    earlier_modules = _modules(
        {
            key: Programme.objects.create(
                university=world.university_a,
                name=name,
                profession=profession,
                regulator=regulator,
                academic_year=last_year,
            )
            for key, (name, profession, regulator) in PROGRAMMES.items()
        },
        coordinator,
    )
    demo_volunteer = VolunteerProfile.objects.get(user=world.volunteer)
    pool = list(
        VolunteerProfile.objects.filter(
            memberships__network=world.charity_a, memberships__status=NetworkMembership.Status.ACTIVE
        )
        .exclude(pk=demo_volunteer.pk)
        # Rhys Llewellyn drives a long way and comes only to the admissions interview days
        # (expenses.demo), whose long journeys carry him past 10,000 miles this tax year.
        .exclude(user__email="rhys.llewellyn@example.org")
        .with_current_grants(["share-story"], university=world.university_a)
        .order_by("user__name")
    )
    cursor = 0
    booked: list[Booking] = []
    for spec in SESSIONS:
        session = _create_session(spec, modules[spec.module], coordinator, world)
        for index, status in enumerate(spec.bookings):
            if index == 0 and spec.demo_volunteer_first:
                volunteer = demo_volunteer
            else:
                # The next volunteer in turn who said they are free then (the same few voices are not
                # asked every time).
                for step in range(len(pool)):
                    volunteer = pool[(cursor + step) % len(pool)]
                    if _free_for(volunteer, session, booked):
                        cursor += step + 1
                        break
                else:
                    continue
            booked.append(_book(session, volunteer, status, coordinator))
    _seed_history(world, modules, earlier_modules, coordinator, pool, booked)
    _seed_southgate(world, booked)


def _modules(programmes: dict[str, Programme], coordinator: User) -> dict[str, Module]:
    modules = {}
    for code, (programme_key, title, year) in MODULES.items():
        module = Module.objects.create(programme=programmes[programme_key], code=code, title=title, year_of_study=year)
        module.leads.set([coordinator])
        modules[code] = module
    return modules


# Two academic years of earlier sessions, so reports have a story: what each kind of involvement
# was called, and the modules it belonged to.
HISTORY = [
    (Kind.TEACHING, "RAD101", "Patient stories: first impressions"),
    (Kind.SIMULATED_PATIENT, "NUR110", "Simulated ward round"),
    (Kind.ASSESSMENT, "RAD204", "Communication OSCE station"),
    (Kind.RECRUITMENT, "RAD101", "Selection day panel"),
    (Kind.CURRICULUM, "NUR220", "Module redesign workshop"),
    (Kind.TEACHING, "RAD305", "Radiotherapy: what helped me"),
    (Kind.REVIEW, "RAD305", "Programme monitoring panel"),
    (Kind.TEACHING, "NUR220", "Living with a long-term condition"),
]
HISTORY_TITLES = frozenset(title for _kind, _module, title in HISTORY)
HISTORY_EVERY_DAYS = 12


def history_outcomes(today: datetime.date) -> list[list[str]]:
    """Each earlier session's bookings, newest session first: one to three who came and, at every
    fifth, one who did not; every 12 days back to the start of last academic year."""
    earliest = academic_year(academic_year_start(today) - 1).start
    found: list[list[str]] = []
    for index in itertools.count():
        day = today + datetime.timedelta(days=-84 - HISTORY_EVERY_DAYS * index)
        while day.weekday() != 1 + index % 3:
            day -= datetime.timedelta(days=1)
        if day < earliest:
            return found
        found.append([str(Status.ATTENDED)] * (1 + index % 3) + ([str(Status.NO_SHOW)] if index % 5 == 4 else []))
    return found


def _seed_history(
    world: DemoWorld,
    modules: dict[str, Module],
    earlier_modules: dict[str, Module],
    coordinator: User,
    pool: list[VolunteerProfile],
    booked: list[Booking],
) -> None:
    """Completed sessions every 12 days or so, back to the start of last academic year, each with
    one to three volunteers who came (and now and then one who did not), taken in turn from those
    free then."""
    today = timezone.localdate()
    this_year = academic_year(academic_year_start(today)).start
    # Only sessions after they joined the network.
    joined = dict(
        NetworkMembership.objects.filter(volunteer__in=pool, network=world.charity_a).values_list(
            "volunteer_id", "decided_at"
        )
    )
    cursor = 0
    planned = history_outcomes(today)
    for index in range(len(planned)):
        starts_at = _at(-84 - HISTORY_EVERY_DAYS * index, 10 if index % 2 == 0 else 14, weekday=1 + index % 3)
        kind, code, title = HISTORY[index % len(HISTORY)]
        module = (modules if timezone.localdate(starts_at) >= this_year else earlier_modules)[code]
        session = TeachingSession.objects.create(
            module=module,
            title=title,
            kind=kind,
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=2 + index % 2),
            venue="Room 2.14, Allied Health Building, Northbridge campus",
            places=3,
            briefing="Please arrive 15 minutes early; someone will meet you at the main reception.",
            purpose="Students learn what matters to patients from people who have been there.",
            owner=coordinator,
            status=TeachingSession.Status.COMPLETED,
        )
        session.required_consents.set(ConsentPurpose.objects.filter(code="share-story"))
        outcomes = planned[index]
        for status in outcomes:
            for step in range(len(pool)):
                volunteer = pool[(cursor + step) % len(pool)]
                since = joined.get(volunteer.pk)
                if since is not None and since < starts_at and _free_for(volunteer, session, booked):
                    cursor += step + 1
                    booked.append(_book(session, volunteer, status, coordinator))
                    break


def _create_session(spec: DemoSession, module: Module, owner: User, world: DemoWorld) -> TeachingSession:
    starts_at = _at(spec.days, spec.start, spec.weekday)
    session = TeachingSession.objects.create(
        module=module,
        title=spec.title,
        kind=spec.kind,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=spec.hours),
        venue="" if spec.online else "Room 2.14, Allied Health Building, Northbridge campus",
        online_link="https://meet.example.org/northbridge-curriculum" if spec.online else "",
        places=spec.places,
        briefing=(
            "Please arrive 15 minutes early; someone will meet you at the main reception. There is a quiet room "
            "if you need a break, and you can stop at any time."
        ),
        purpose="Students learn what matters to patients from people who have been there.",
        emotionally_demanding=spec.demanding,
        owner=owner,
        status=spec.status,
    )
    session.preferred_tags.set(ExperienceTag.objects.filter(network=world.charity_a, name__in=spec.tags))
    session.required_consents.set(ConsentPurpose.objects.filter(code__in=spec.consents))
    return session


def _book(session: TeachingSession, volunteer: VolunteerProfile, status: str, coordinator: User) -> Booking:
    now = timezone.now()
    invited_at = min(now, session.starts_at) - datetime.timedelta(days=10)
    answered = status not in {Status.INVITED, Status.EXPIRED}
    booking = Booking.objects.create(
        session=session,
        volunteer=volunteer,
        status=status,
        invited_by=coordinator,
        invited_at=invited_at,
        invitation_expires_at=(
            # On the hour, as the invitation service sets it ("answer by 18:00", never "17:19").
            (now + datetime.timedelta(days=5, hours=1)).replace(minute=0, second=0, microsecond=0)
            if status == Status.INVITED
            else invited_at + datetime.timedelta(days=7)
        ),
        responded_at=invited_at + datetime.timedelta(days=1) if answered else None,
        cancelled_at=invited_at + datetime.timedelta(days=3) if status == Status.CANCELLED else None,
        cancelled_by=volunteer.user if status == Status.CANCELLED else None,
        cancel_reason="Hospital appointment moved to that day." if status == Status.CANCELLED else "",
        attendance_marked_at=session.ends_at if status in {Status.ATTENDED, Status.NO_SHOW} else None,
        hours=session.duration_hours if status == Status.ATTENDED else None,
    )
    Booking.objects.filter(pk=booking.pk).update(created_at=invited_at)
    return booking


def _seed_southgate(world: DemoWorld, booked: list[Booking]) -> None:
    coordinator = world.users["coordinator.b@example.org"]
    programme = Programme.objects.create(
        university=world.university_b,
        name="BSc (Hons) Mental Health Nursing",
        profession="Mental health nursing",
        regulator=Programme.Regulator.NMC,
        academic_year=academic_year_label(academic_year_start(timezone.localdate())),
    )
    module = Module.objects.create(programme=programme, code="MHN130", title="Recovery and lived experience")
    starts_at = _at(16, 10, weekday=2)
    session = TeachingSession.objects.create(
        module=module,
        title="Caring for someone through a crisis",
        kind=Kind.TEACHING,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        venue="Lecture theatre B, Southgate campus",
        places=2,
        briefing="Please come to the main reception; a student ambassador will bring you up.",
        purpose="Students hear from carers about what helped and what did not.",
        owner=coordinator,
        status=TeachingSession.Status.OPEN,
    )
    carers = [
        volunteer
        for volunteer in VolunteerProfile.objects.filter(
            memberships__network=world.charity_b, memberships__status=NetworkMembership.Status.ACTIVE
        ).order_by("user__name")
        if _free_for(volunteer, session, booked)
    ][:2]
    for volunteer, status in zip(carers, (Status.ACCEPTED, Status.INVITED), strict=False):
        _book(session, volunteer, status, coordinator)
