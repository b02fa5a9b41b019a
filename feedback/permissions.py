"""The rules about feedback, follow-ups and the impact log, in one place.

Each rule is a ``..._refusal`` function returning the message that explains why something cannot
be done (None: it can), and where pages need a yes or no, a ``can_...`` predicate built on it.
``feedback.services`` raises ``FeedbackError`` with these messages; views and templates use the same
functions to show or hide forms and buttons, so no page re-derives a rule.

Who sees what:
- a volunteer's answers: the volunteer (through their link) and the coordinators of the session's
  university; whether they asked to be contacted goes only to their network's leads;
- a wellbeing follow-up and its notes: only the leads of the follow-up's network (never
  coordinators, never the support admin's content, never emails or the audit trail's data);
- student answers: the coordinators of the session's university; the comments they choose, without
  anything about the student, also the volunteers who took part;
- impact entries: the coordinators of the university, and the volunteers who took part in the
  sessions (or modules) an entry is linked to.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import has_role
from feedback.models import StudentFeedbackLink, VolunteerFeedback, WellbeingFollowUp
from involvement import formatting
from sessions_app.models import Booking, Module, TeachingSession
from sessions_app.permissions import is_coordinator_of

if TYPE_CHECKING:
    from accounts.models import Organisation, User

LEAD = Membership.Role.LEAD
COORDINATOR = Membership.Role.COORDINATOR
FollowUpStatus = WellbeingFollowUp.Status
SessionStatus = TeachingSession.Status

# A follow-up's status: open → contacted → closed, or open → closed; a closed one is opened again
# when the lead reopens it or the volunteer asks again.
FOLLOW_UP_TRANSITIONS: dict[str, set[str]] = {
    FollowUpStatus.OPEN: {FollowUpStatus.CONTACTED, FollowUpStatus.CLOSED},
    FollowUpStatus.CONTACTED: {FollowUpStatus.CLOSED},
    FollowUpStatus.CLOSED: {FollowUpStatus.OPEN},
}


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


# Volunteers' feedback -----------------------------------------------------------------------------


def volunteer_answer_refusal(feedback: VolunteerFeedback) -> str | None:
    """A volunteer answers once, for a session they attended (a later correction to "did not
    attend" withdraws an unanswered request, so this is a second line of defence)."""
    if feedback.is_answered:
        return "You have already answered. Thank you for telling us how it went."
    if feedback.booking.status != Booking.Status.ATTENDED:
        return "The coordinator has recorded that you did not attend this session, so there is nothing to answer."
    return None


def can_answer_volunteer_feedback(feedback: VolunteerFeedback) -> bool:
    return volunteer_answer_refusal(feedback) is None


def can_read_volunteer_answers(user: User, session: TeachingSession) -> bool:
    """The coordinators of the session's university read what its volunteers said about it."""
    return is_coordinator_of(user, session)


# Coordinators' feedback ---------------------------------------------------------------------------


def coordinator_answer_refusal(session: TeachingSession, user: User, *, requested: bool) -> str | None:
    """A coordinator of the university answers once attendance has been marked with someone attended
    (``requested``: the session has its CoordinatorFeedback)."""
    if not is_coordinator_of(user, session):
        return "Only a coordinator of the university can give feedback on this session."
    if not requested:
        return "You can give feedback once attendance has been marked and at least one volunteer came."
    return None


# Students' feedback -------------------------------------------------------------------------------


def student_link_refusal(session: TeachingSession, user: User) -> str | None:
    """A coordinator of the university makes the anonymous link of an open or completed session."""
    if not is_coordinator_of(user, session):
        return "Only a coordinator of the university can make a feedback link for this session."
    if session.status == SessionStatus.CANCELLED:
        return "This session was cancelled, so students cannot give feedback on it."
    if session.status == SessionStatus.DRAFT:
        return "This session is still a draft. Open it first; then you can make its student feedback link."
    return None


def can_make_student_link(session: TeachingSession, user: User) -> bool:
    return student_link_refusal(session, user) is None


def student_form_state(link: StudentFeedbackLink, now: datetime.datetime | None = None) -> str:
    """ "not_yet" before the session starts, "open" until the link ``closes``, then "closed"
    (a cancelled session's form is closed)."""
    now = _now(now)
    if link.session.status == SessionStatus.CANCELLED or now >= link.closes:
        return "closed"
    if now < link.session.starts_at:
        return "not_yet"
    return "open"


def student_answer_refusal(link: StudentFeedbackLink, now: datetime.datetime | None = None) -> str | None:
    state = student_form_state(link, now)
    if state == "not_yet":
        opens = timezone.localtime(link.session.starts_at)
        return f"This feedback form opens when the session starts, at {opens:%H:%M} on {formatting.day(opens)}."
    if state == "closed":
        return "This feedback form has closed, so it is no longer taking answers. Thank you for your interest."
    return None


def can_choose_comments(user: User, session: TeachingSession) -> bool:
    """Coordinators of the university choose which students' comments the volunteers see."""
    return is_coordinator_of(user, session)


# Wellbeing follow-ups -----------------------------------------------------------------------------


def is_lead_of_network(user: User, network: Organisation | int) -> bool:
    return has_role(user, [LEAD], network)


def can_see_follow_up(user: User, follow_up: WellbeingFollowUp) -> bool:
    """Only the leads of the follow-up's network: its notes are special-category data."""
    return is_lead_of_network(user, follow_up.network_id)


def follow_up_status_refusal(follow_up: WellbeingFollowUp, status: str) -> str | None:
    """Why ``follow_up`` cannot move to ``status`` from where it is (None: it can)."""
    if status not in FollowUpStatus.values:
        return "Please choose open, contacted or closed."
    if status not in FOLLOW_UP_TRANSITIONS[FollowUpStatus(follow_up.status)]:
        current, wanted = follow_up.get_status_display().lower(), FollowUpStatus(status).label.lower()
        return f"This follow-up is {current}, so it cannot be marked {wanted}."
    return None


def follow_up_change_refusal(follow_up: WellbeingFollowUp, user: User, status: str) -> str | None:
    if not can_see_follow_up(user, follow_up):
        return "Only the leads of the volunteer's network can change this follow-up."
    return follow_up_status_refusal(follow_up, status)


def follow_up_next_statuses(follow_up: WellbeingFollowUp) -> list[str]:
    """The statuses the lead can move ``follow_up`` to, in the order the buttons show."""
    order = [FollowUpStatus.CONTACTED, FollowUpStatus.CLOSED, FollowUpStatus.OPEN]
    return [status for status in order if status in FOLLOW_UP_TRANSITIONS[FollowUpStatus(follow_up.status)]]


def note_refusal(follow_up: WellbeingFollowUp, user: User) -> str | None:
    if not can_see_follow_up(user, follow_up):
        return "Only the leads of the volunteer's network can add notes."
    if follow_up.volunteer.is_erased:
        return "This volunteer's record has been erased, so no notes can be added."
    return None


# The impact log -----------------------------------------------------------------------------------


def can_record_impact(user: User, university: Organisation | int) -> bool:
    return has_role(user, [COORDINATOR], university)


def impact_refusal(
    user: User, university: Organisation, modules: Iterable[Module], sessions: Iterable[TeachingSession]
) -> str | None:
    """A coordinator of ``university`` records its entries, linked to its own modules and sessions."""
    if not university.is_university:
        return "Impact entries belong to universities."
    if not can_record_impact(user, university):
        return "Only a coordinator of the university can record what it changed."
    if any(module.programme.university_id != university.pk for module in modules):
        return f"Please choose modules of {university.name} only."
    if any(session.module.programme.university_id != university.pk for session in sessions):
        return f"Please choose sessions of {university.name} only."
    return None
