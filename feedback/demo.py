"""Demo feedback for ``manage.py seed_demo``, after the sessions and claims.

Every completed session of University of Northbridge with someone who attended has feedback from
all three sides: each volunteer who came answered (except one, on the latest session, whose answer
is still awaited), the coordinator gave theirs, and three to five students answered through the
session's anonymous link, one or two of their comments chosen to share. The session still to come
with invitations in every state has its student link made, so its QR code can be shown.

Breast Cancer Voices' lead has two open wellbeing follow-ups: one from the check-in after the
latest emotionally demanding session ("I'd like a call"), with two notes, and one from a volunteer
who found a session hard; and one closed follow-up from last term, with its note. Northbridge's
impact log has three entries, linked to modules and sessions.

Rows are written directly (the services would email everyone, and the demo's history lies in the
past). Everything is chosen by position, so the demo is the same each time it is seeded.
"""

from __future__ import annotations

import datetime
import hashlib

from django.db.models import Q

from accounts.demo import DemoWorld
from accounts.models import User
from feedback.models import (
    CoordinatorFeedback,
    FollowUpNote,
    ImpactEntry,
    StudentFeedbackLink,
    StudentResponse,
    VolunteerFeedback,
    WellbeingFollowUp,
    student_window_closes,
)
from sessions_app.models import Booking, CheckIn, TeachingSession

DAY = datetime.timedelta(days=1)
HOW = ["well", "well", "mixed", "well", "well"]
AGREE = ["yes", "yes", "partly", "yes"]
TO_CHANGE = [
    "",
    "A glass of water and a minute before we start would help.",
    "",
    "It would help to know the students' questions in advance.",
    "",
    "The room was very warm; a window open would be lovely.",
]
CONTRIBUTION = [
    "Thank you. The students were completely absorbed, and asked better questions than I have heard all year.",
    "A generous, honest contribution. Several students said it was the most useful hour of the module.",
    "You made the theory real. The group discussion afterwards went on well past the end.",
    "Calm, clear and kind. The students practised with confidence because you made it safe to get it wrong.",
]
STUDENTS_TOOK = [
    "To slow down and ask what matters to the person in front of them.",
    "That waiting for results is part of the treatment, and how much a kind word helps.",
    "Practical ways to explain a procedure without jargon.",
    "",
]
LEARNED = [
    "I will always ask what the patient already knows before I explain anything.",
    "How frightening the waiting is, and that small things like introducing yourself matter.",
    "To check the patient is comfortable before positioning, and to say what I am doing.",
    "That silence is fine: give people time to take in bad news.",
    "Carers notice everything. Include them, and ask how they are too.",
    "I learned to look at the person, not the screen, when they are talking.",
    "What it feels like on the other side of the machine. I will explain more.",
]
CHANGE = ["yes", "yes", "maybe", "yes", "no", "yes", "maybe"]
RATINGS = [5, 4, 5, 4, 3, 5, 4]
IMPACT = [
    (
        "Breaking bad news now starts with the patient's story",
        ImpactEntry.Area.TEACHING,
        "Volunteers told us students rushed to explain. The session now opens with a patient's account of the day "
        "they were told, and students practise listening before they practise speaking.",
        "NUR110",
    ),
    (
        "A service user examines at the communication OSCE station",
        ImpactEntry.Area.ASSESSMENT,
        "After feedback from the volunteers who played patients, a service user now marks the communication "
        "station alongside the academic examiner, with their own criteria.",
        "RAD204",
    ),
    (
        "Radiotherapy students walk through a first day with a patient",
        ImpactEntry.Area.MODULE,
        "Patients said the first day of treatment was the hardest and least explained. The module now includes a "
        "walkthrough of that day, written with volunteers.",
        "RAD305",
    ),
]


def _token(session: TeachingSession) -> str:
    """A fixed link per demo session (the demo is the same each time it is seeded)."""
    return hashlib.sha256(f"involvement-demo-student-link-{session.pk}".encode()).hexdigest()[:16]


def seed_feedback(world: DemoWorld) -> None:
    """Feedback, follow-ups and impact for Northbridge's demo sessions. Does nothing if it is there."""
    if VolunteerFeedback.objects.filter(booking__session__module__programme__university=world.university_a).exists():
        return
    coordinator = world.users["coordinator@example.org"]
    lead = world.users["lead@example.org"]
    sessions = list(
        TeachingSession.objects.filter(
            module__programme__university=world.university_a,
            status=TeachingSession.Status.COMPLETED,
            bookings__status=Booking.Status.ATTENDED,
        )
        .distinct()
        .select_related("module")
        .order_by("-starts_at", "-pk")
    )
    if not sessions:
        return
    latest = sessions[0]
    for index, session in enumerate(sessions):
        _session_feedback(session, index, coordinator, waiting=session == latest)
    _follow_ups(world, sessions, lead)
    _impact(world, sessions, coordinator)
    upcoming = (
        TeachingSession.objects.filter(
            module__programme__university=world.university_a, status=TeachingSession.Status.OPEN
        )
        .filter(starts_at__gt=latest.ends_at)
        .order_by("starts_at", "pk")
        .first()
    )
    if upcoming is not None:
        StudentFeedbackLink.objects.create(
            session=upcoming, token=_token(upcoming), closes_at=student_window_closes(upcoming)
        )


def _session_feedback(session: TeachingSession, index: int, coordinator: User, *, waiting: bool) -> None:
    asked = session.ends_at
    attended = list(session.bookings.filter(status=Booking.Status.ATTENDED).order_by("pk"))
    for position, booking in enumerate(attended):
        turn = index + position
        if waiting and position == len(attended) - 1:
            VolunteerFeedback.objects.create(booking=booking, requested_at=asked, created_at=asked)
            continue
        VolunteerFeedback.objects.create(
            booking=booking,
            requested_at=asked,
            created_at=asked,
            answered_at=asked + (1 + turn % 3) * DAY,
            how_it_went=HOW[turn % len(HOW)],
            felt_prepared=AGREE[turn % len(AGREE)],
            felt_supported=AGREE[(turn + 1) % len(AGREE)],
            to_change=TO_CHANGE[turn % len(TO_CHANGE)],
        )
    CoordinatorFeedback.objects.create(
        session=session,
        requested_at=asked,
        created_at=asked,
        answered_at=asked + DAY,
        answered_by=coordinator,
        rating=5 if index % 3 else 4,
        contribution=CONTRIBUTION[index % len(CONTRIBUTION)],
        students_took=STUDENTS_TOOK[index % len(STUDENTS_TOOK)],
    )
    StudentFeedbackLink.objects.create(
        session=session, token=_token(session), closes_at=student_window_closes(session), created_at=session.starts_at
    )
    answers = 3 + index % 3
    StudentResponse.objects.bulk_create(
        StudentResponse(
            session=session,
            learned=LEARNED[(index + number) % len(LEARNED)],
            change_practice=CHANGE[(index + number) % len(CHANGE)],
            rating=RATINGS[(index + number) % len(RATINGS)],
            browser=hashlib.sha256(f"demo-browser-{session.pk}-{number}".encode()).hexdigest(),
            chosen=number < 1 + index % 2,
            created_at=session.ends_at - datetime.timedelta(minutes=10 - number),
        )
        for number in range(answers)
    )


def _follow_ups(world: DemoWorld, sessions: list[TeachingSession], lead: User) -> None:
    """Two open follow-ups (the latest demanding session's check-in, with notes; a volunteer who found
    a session hard) and one closed from earlier, all in Breast Cancer Voices."""
    in_network = Q(volunteer__memberships__network=world.charity_a)
    demanding = next((session for session in sessions if session.emotionally_demanding), sessions[0])
    called = demanding.bookings.filter(in_network, status=Booking.Status.ATTENDED).order_by("pk").first()
    if called is not None:
        answered_at = demanding.ends_at + DAY + datetime.timedelta(hours=2)
        CheckIn.objects.update_or_create(booking=called, defaults={"answer": "call", "answered_at": answered_at})
        follow_up = WellbeingFollowUp.objects.create(
            volunteer=called.volunteer,
            network=world.charity_a,
            booking=called,
            source=WellbeingFollowUp.Source.CHECK_IN,
            asked_for_contact=True,
            created_at=answered_at,
        )
        FollowUpNote.objects.create(
            follow_up=follow_up,
            author=lead,
            text="Rang twice and left a voicemail; will try again tomorrow morning.",
            created_at=answered_at + DAY,
        )
        FollowUpNote.objects.create(
            follow_up=follow_up,
            author=lead,
            text="Sent a text offering a call at a time that suits her. Waiting to hear.",
            created_at=answered_at + 2 * DAY,
        )
    others = [session for session in sessions if session != demanding]
    if others:
        hard = (
            VolunteerFeedback.objects.filter(booking__session=others[0], answered_at__isnull=False)
            .filter(booking__volunteer__memberships__network=world.charity_a)
            .order_by("pk")
            .first()
        )
        if hard is not None and hard.answered_at is not None:
            hard.how_it_went = VolunteerFeedback.HowItWent.HARD
            hard.to_change = "It brought back more than I expected. A quiet room afterwards would help."
            hard.save(update_fields=["how_it_went", "to_change"])
            WellbeingFollowUp.objects.create(
                volunteer=hard.booking.volunteer,
                network=world.charity_a,
                booking=hard.booking,
                source=WellbeingFollowUp.Source.FEEDBACK,
                found_it_hard=True,
                created_at=hard.answered_at,
            )
    if len(others) > 4:
        earlier = (
            VolunteerFeedback.objects.filter(booking__session=others[4], answered_at__isnull=False)
            .filter(booking__volunteer__memberships__network=world.charity_a)
            .order_by("pk")
            .first()
        )
        if earlier is not None and earlier.answered_at is not None:
            earlier.wants_contact = True
            earlier.save(update_fields=["wants_contact"])
            raised = earlier.answered_at
            closed = WellbeingFollowUp.objects.create(
                volunteer=earlier.booking.volunteer,
                network=world.charity_a,
                booking=earlier.booking,
                source=WellbeingFollowUp.Source.FEEDBACK,
                asked_for_contact=True,
                status=WellbeingFollowUp.Status.CLOSED,
                contacted_at=raised + DAY,
                closed_at=raised + 3 * DAY,
                created_at=raised,
            )
            FollowUpNote.objects.create(
                follow_up=closed,
                author=lead,
                text="Long chat on the phone. She enjoyed it but was tired; she would like shorter sessions.",
                created_at=raised + DAY,
            )


def _impact(world: DemoWorld, sessions: list[TeachingSession], coordinator: User) -> None:
    """Three changes, each linked to a module and to the sessions of it that led to it."""
    for title, area, what, code in IMPACT:
        linked = [session for session in sessions if session.module.code == code][:2]
        if not linked:
            continue
        entry = ImpactEntry.objects.create(
            university=world.university_a,
            title=title,
            area=area,
            what_changed=what,
            changed_on=(linked[0].ends_at + 14 * DAY).date(),
            recorded_by=coordinator,
        )
        entry.modules.set({session.module for session in linked})
        entry.sessions.set(linked)
