"""Feedback of ``manage.py seed_scale`` (``accounts.scale`` describes the whole seed): volunteers'
answers after sessions they attended, coordinators' answers, students' anonymous answers through
each session's link, wellbeing follow-ups for those who found it hard or asked for a call, and a
few impact entries. About 30,000 answers at the default size.
"""

from __future__ import annotations

import datetime
import secrets

from accounts.scale import ScaleContext, insert
from feedback.models import (
    Agreement,
    CoordinatorFeedback,
    ImpactEntry,
    StudentFeedbackLink,
    StudentResponse,
    VolunteerFeedback,
    WellbeingFollowUp,
)
from sessions_app.models import TeachingSession
from sessions_app.scale import ScaleBooking
from volunteers.scale import ScaleVolunteer

HowItWent = VolunteerFeedback.HowItWent
LEARNED = [
    "How much small kindnesses matter.",
    "To explain what I am doing before I do it.",
    "That carers notice things we miss.",
    "To ask what matters to the person, not only what is the matter.",
    "How long the waiting feels from the other side.",
]


def seed_feedback_scale(ctx: ScaleContext) -> None:
    rng = ctx.rng
    attended: list[ScaleBooking] = ctx.data["attended"]
    volunteers: dict[int, ScaleVolunteer] = {volunteer.profile_id: volunteer for volunteer in ctx.data["volunteers"]}
    asked = [booking for booking in attended if rng.random() < 0.45]
    feedback = insert(VolunteerFeedback, (_volunteer_feedback(ctx, booking) for booking in asked), ctx)
    follow_ups = []
    for booking, answer in zip(asked, feedback, strict=True):
        if not (answer.how_it_went == HowItWent.HARD or answer.wants_contact):
            continue
        volunteer = volunteers.get(booking.volunteer_id)
        networks = set(ctx.partners[booking.university_id]) & set(volunteer.history_in if volunteer else ())
        if not networks:
            continue
        status = rng.choices(list(WellbeingFollowUp.Status.values), weights=[0.15, 0.25, 0.6])[0]
        follow_ups.append(
            WellbeingFollowUp(
                volunteer_id=booking.volunteer_id,
                network_id=min(networks),
                booking_id=booking.booking_id,
                source=WellbeingFollowUp.Source.FEEDBACK,
                found_it_hard=answer.how_it_went == HowItWent.HARD,
                asked_for_contact=answer.wants_contact,
                status=status,
                contacted_at=answer.answered_at if status != WellbeingFollowUp.Status.OPEN else None,
                closed_at=answer.answered_at if status == WellbeingFollowUp.Status.CLOSED else None,
                created_at=answer.answered_at or ctx.now,
            )
        )
    insert(WellbeingFollowUp, follow_ups, ctx)

    completed = [row for row in ctx.data["sessions"] if row[5] == TeachingSession.Status.COMPLETED]
    coordinator_rows = []
    links = []
    responses = []
    for session_id, _university, owner_id, _starts_at, ends_at, _status in completed:
        if rng.random() < 0.5:
            answered = rng.random() < 0.6
            coordinator_rows.append(
                CoordinatorFeedback(
                    session_id=session_id,
                    requested_at=ends_at,
                    answered_at=ends_at + datetime.timedelta(days=rng.randint(1, 10)) if answered else None,
                    answered_by_id=owner_id if answered else None,
                    rating=rng.choices([5, 4, 3, 2], weights=[0.5, 0.35, 0.12, 0.03])[0] if answered else None,
                    contribution="Thoughtful and generous; the students were engaged throughout." if answered else "",
                    created_at=ends_at,
                )
            )
        if rng.random() < 0.4:
            links.append(
                StudentFeedbackLink(
                    session_id=session_id,
                    token=secrets.token_urlsafe(12),
                    closes_at=ends_at + datetime.timedelta(days=7),
                    created_at=ends_at - datetime.timedelta(hours=2),
                )
            )
            for _index in range(rng.randint(2, 19)):
                responses.append(
                    StudentResponse(
                        session_id=session_id,
                        learned=rng.choice(LEARNED),
                        change_practice=rng.choices(["yes", "maybe", "no"], weights=[0.7, 0.25, 0.05])[0],
                        rating=rng.choices([5, 4, 3, 2, 1], weights=[0.5, 0.3, 0.12, 0.05, 0.03])[0],
                        browser=secrets.token_hex(32),
                        chosen=rng.random() < 0.05,
                        created_at=ends_at + datetime.timedelta(minutes=rng.randint(5, 3000)),
                    )
                )
    insert(CoordinatorFeedback, coordinator_rows, ctx)
    insert(StudentFeedbackLink, links, ctx)
    insert(StudentResponse, responses, ctx)
    insert(
        ImpactEntry,
        (
            ImpactEntry(
                university=university,
                title="Students now introduce themselves and explain each step",
                what_changed="Volunteers told us how frightening silence was; the module now teaches it.",
                changed_on=ctx.today - datetime.timedelta(days=rng.randint(10, 900)),
                recorded_by_id=ctx.coordinators[university.pk][0],
            )
            for university in ctx.universities
            for _index in range(ctx.scaled(5))
        ),
        ctx,
    )


def _volunteer_feedback(ctx: ScaleContext, booking: ScaleBooking) -> VolunteerFeedback:
    rng = ctx.rng
    requested = booking.ends_at + datetime.timedelta(hours=3)
    answered_at = requested + datetime.timedelta(hours=rng.randint(2, 200))
    answered = rng.random() < 0.7 and answered_at < ctx.now
    how = rng.choices(list(HowItWent.values), weights=[0.7, 0.22, 0.08])[0] if answered else ""
    return VolunteerFeedback(
        booking_id=booking.booking_id,
        requested_at=requested,
        answered_at=answered_at if answered else None,
        how_it_went=how,
        felt_prepared=rng.choices(list(Agreement.values), weights=[0.8, 0.15, 0.05])[0] if answered else "",
        felt_supported=rng.choices(list(Agreement.values), weights=[0.85, 0.1, 0.05])[0] if answered else "",
        to_change="A quieter room to wait in beforehand." if answered and rng.random() < 0.15 else "",
        wants_contact=answered and rng.random() < 0.04,
        created_at=requested,
    )
