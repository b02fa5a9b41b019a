"""The rules about sessions and bookings, in one place.

Each rule is a ``..._refusal`` function returning the message that explains why something cannot
be done (None: it can), and where pages need a yes or no, a ``can_...`` predicate built on it.
``sessions_app.services`` raises ``SessionError`` with these messages; views and templates use
the same functions to show or hide buttons, so no page re-derives a rule. Rules that need the
database under a lock (places left, overlapping bookings, consents held) stay in the services.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import has_role
from involvement import formatting
from sessions_app.models import Booking, TeachingSession
from volunteers.permissions import can_see_special_category

if TYPE_CHECKING:
    from accounts.models import User

BookingStatus = Booking.Status
SessionStatus = TeachingSession.Status
COORDINATOR = Membership.Role.COORDINATOR
# Attendance can be corrected for this long after the session ended.
CORRECTION_DAYS = 30


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def is_coordinator_of(user: User, session: TeachingSession) -> bool:
    """Coordinates at the session's university."""
    return has_role(user, [COORDINATOR], session.module.programme.university_id)


# Sessions -----------------------------------------------------------------------------------------


def edit_refusal(session: TeachingSession, now: datetime.datetime | None = None) -> str | None:
    if session.status in {SessionStatus.COMPLETED, SessionStatus.CANCELLED}:
        return f"This session is {session.get_status_display().lower()} and can no longer be changed."
    if session.status == SessionStatus.OPEN and session.ends_at <= _now(now):
        return "This session has taken place, so it can no longer be changed. Please mark attendance instead."
    return None


def open_refusal(session: TeachingSession, now: datetime.datetime | None = None) -> str | None:
    if session.status != SessionStatus.DRAFT:
        return "Only a draft session can be opened."
    if session.starts_at <= _now(now):
        return "This session has already started."
    return None


def cancel_session_refusal(session: TeachingSession, now: datetime.datetime | None = None) -> str | None:
    if session.status in {SessionStatus.COMPLETED, SessionStatus.CANCELLED}:
        return f"This session is already {session.get_status_display().lower()}."
    if session.status == SessionStatus.OPEN and session.ends_at <= _now(now):
        return "This session has taken place, so it can no longer be cancelled. Please mark attendance instead."
    return None


def invitations_closed_reason(session: TeachingSession, now: datetime.datetime | None = None) -> str | None:
    """Why nobody can be invited to ``session`` now (None while it is open and ahead)."""
    if session.status == SessionStatus.CANCELLED:
        return "This session was cancelled, so nobody can be invited to it."
    if session.status == SessionStatus.COMPLETED:
        return "This session has taken place, so nobody can be invited to it."
    if session.status == SessionStatus.DRAFT:
        return "This session is still a draft. Open it from the session page, and suggestions will appear here."
    if session.starts_at <= _now(now):
        return "This session has already started, so nobody can be invited to it now."
    return None


def can_invite(session: TeachingSession) -> bool:
    return invitations_closed_reason(session) is None


def can_message(session: TeachingSession, accepted: int) -> bool:
    return session.status == SessionStatus.OPEN and not session.has_ended and accepted > 0


def attendance_refusal(session: TeachingSession, now: datetime.datetime | None = None) -> str | None:
    """Why attendance cannot be marked for ``session`` yet (the accepted bookings are checked by the service)."""
    if session.status == SessionStatus.CANCELLED:
        return "This session was cancelled."
    if session.ends_at > _now(now):
        return "Attendance can be marked once the session has ended."
    return None


# Invitations --------------------------------------------------------------------------------------


def invitation_state(booking: Booking, now: datetime.datetime | None = None) -> str:
    """Where the invitation stands, checked in the order ``accept_invitation`` checks it:
    "accepted", "declined", "cancelled", ... (answered: its status); "expired"; "closed" (the
    session is not taking bookings); or "open" (it can be answered)."""
    now = _now(now)
    if booking.status not in {BookingStatus.INVITED, BookingStatus.EXPIRED}:
        return str(booking.status)
    if booking.status == BookingStatus.EXPIRED or booking.invitation_expires_at <= now:
        return "expired"
    session = booking.session
    if session.status != SessionStatus.OPEN or session.starts_at <= now:
        return "closed"
    return "open"


def answer_refusal(booking: Booking, now: datetime.datetime | None = None) -> str | None:
    """Why the invitation cannot be answered now (None: it can)."""
    state = invitation_state(booking, now)
    if state == "open":
        return None
    if state == "expired":
        return "This invitation has expired. Please contact the coordinator if you would still like to come."
    if state == "closed":
        return "This session is no longer taking bookings."
    return f"This invitation has already been answered ({booking.get_status_display().lower()})."


def can_accept(booking: Booking) -> bool:
    """Whether the invitation can be answered now (places, overlaps and consents are checked when
    it is accepted, under the session's lock)."""
    return answer_refusal(booking) is None


def reinvite_refusal(booking: Booking, now: datetime.datetime | None = None) -> str | None:
    """A coordinator may invite again after an invitation expired or was declined, and, on purpose,
    after the volunteer cancelled; never while a place is held or once the session has happened."""
    closed = invitations_closed_reason(booking.session, now)
    if closed:
        return closed
    if booking.status in {BookingStatus.DECLINED, BookingStatus.CANCELLED}:
        return None
    if booking.status == BookingStatus.EXPIRED or (
        booking.status == BookingStatus.INVITED and booking.invitation_expires_at <= _now(now)
    ):
        return None
    name = booking.volunteer.display_name
    if booking.status == BookingStatus.INVITED:
        return f"{name} has already been invited to this session and can still answer."
    return f"{name} already has a place on this session ({booking.get_status_display().lower()})."


def can_reinvite(booking: Booking) -> bool:
    return reinvite_refusal(booking) is None


# Cancelling ---------------------------------------------------------------------------------------


def cancel_refusal(booking: Booking, user: User, now: datetime.datetime | None = None) -> str | None:
    """The volunteer cancels their accepted place, and a coordinator of the university cancels an
    invitation or a place, before the session starts (after it, attendance is marked)."""
    by_volunteer = user.pk == booking.volunteer.user_id
    if not by_volunteer and not is_coordinator_of(user, booking.session):
        return "Only the volunteer or a coordinator of the university can cancel this booking."
    cancellable = {BookingStatus.ACCEPTED} if by_volunteer else {BookingStatus.INVITED, BookingStatus.ACCEPTED}
    if booking.status not in cancellable:
        return f"There is no place to cancel: this booking is {booking.get_status_display().lower()}."
    if booking.session.starts_at <= _now(now):
        what = "your place" if by_volunteer else "the booking"
        return f"This session has already started, so {what} can no longer be cancelled here."
    return None


def can_cancel(booking: Booking, user: User) -> bool:
    return cancel_refusal(booking, user) is None


# Attendance ---------------------------------------------------------------------------------------


def offers_calendar_entry(booking: Booking, now: datetime.datetime | None = None) -> bool:
    """A place the volunteer is coming to, in a session that has not ended, can be added to a
    calendar; a past, cancelled or unanswered one is not offered."""
    return (
        booking.status == Booking.Status.ACCEPTED
        and booking.session.status != TeachingSession.Status.CANCELLED
        and booking.session.ends_at > _now(now)
    )


def correction_deadline(session: TeachingSession) -> datetime.datetime:
    return session.ends_at + datetime.timedelta(days=CORRECTION_DAYS)


def correction_refusal(booking: Booking, status: str, now: datetime.datetime | None = None) -> str | None:
    """Attendance once marked can be corrected, attended ⇄ did not attend, for 30 days after the
    session (the apps registered with ``register_attendance_correction_guard`` may refuse too)."""
    if booking.status not in {BookingStatus.ATTENDED, BookingStatus.NO_SHOW}:
        return "Only attendance that has been marked can be corrected."
    if status not in {BookingStatus.ATTENDED, BookingStatus.NO_SHOW}:
        return "Please choose attended or did not attend."
    if status == booking.status:
        return f"{booking.volunteer.display_name} is already marked {booking.get_status_display().lower()}."
    deadline = correction_deadline(booking.session)
    if _now(now) > deadline:
        return (
            f"Attendance can be corrected for {CORRECTION_DAYS} days after the session, so until "
            f"{formatting.moment(deadline)}; it can no longer be changed."
        )
    return None


def can_correct_attendance(booking: Booking, now: datetime.datetime | None = None) -> bool:
    """Whether the correction form is offered (the direction chosen is checked when it is sent)."""
    other = BookingStatus.NO_SHOW if booking.status == BookingStatus.ATTENDED else BookingStatus.ATTENDED
    return correction_refusal(booking, other, now) is None


# Special-category data ----------------------------------------------------------------------------


def can_see_adjustments(viewer: User, booking: Booking) -> bool:
    """A volunteer's adjustments and topics to avoid: the volunteer and their network's leads
    always; a coordinator of the session's university only while the volunteer holds an accepted
    place on it (to prepare the session), never for an invitation, a cancellation or once marked."""
    if booking.status == BookingStatus.ACCEPTED and is_coordinator_of(viewer, booking.session):
        return True
    return can_see_special_category(viewer, booking.volunteer)
