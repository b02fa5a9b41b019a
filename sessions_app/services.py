"""Every change to programmes, sessions and bookings. Views, tasks and commands call these."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import Case, CharField, Exists, OuterRef, Value, When
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from involvement import formatting
from involvement.activity import record_activity
from involvement.errors import DomainError
from involvement.links import absolute_url
from involvement.models import Notification
from involvement.notifications import Outgoing, queue_notification, queue_notifications
from sessions_app import permissions
from sessions_app.clock import same_wall_time_days_before
from sessions_app.covered import what_is_covered
from sessions_app.matching import outside_what_they_said, suggest, why_not
from sessions_app.models import (
    Booking,
    CalendarFeed,
    CheckIn,
    Module,
    Programme,
    SessionMessage,
    TeachingSession,
    new_feed_token,
)
from volunteers.models import ConsentPurpose, ExperienceTag, NetworkMembership, VolunteerProfile

BookingStatus = Booking.Status
SessionStatus = TeachingSession.Status

INVITATION_SALT = "sessions_app.booking-invitation"
CHECK_IN_SALT = "sessions_app.check-in"
INVITATION_DAYS = 7
CHECK_IN_VALID_DAYS = 14
# Reminders: how many days before, on the same UK wall-clock time as the session starts.
REMINDER_DAYS = (7, 1)
# Emotionally demanding sessions: the check-in goes 24 hours after the end, and not after 48.
CHECK_IN_AFTER = datetime.timedelta(hours=24)
CHECK_IN_UNTIL = datetime.timedelta(hours=48)

SESSION_FIELDS = frozenset(
    {
        "module",
        "title",
        "kind",
        "starts_at",
        "ends_at",
        "venue",
        "online_link",
        "places",
        "briefing",
        "purpose",
        "emotionally_demanding",
        "owner",
    }
)

# Called with each booking whose attendance is marked (claims and feedback hook in here).
_ATTENDANCE_HOOKS: list[Callable[[Booking], None]] = []


class SessionError(DomainError):
    """A rule about sessions or bookings was broken; the message is safe to show."""


# Statuses: each changes only through its gatekeeper, along its transitions table. -------------

SESSION_TRANSITIONS: dict[str, set[str]] = {
    SessionStatus.DRAFT: {SessionStatus.OPEN, SessionStatus.CANCELLED},
    SessionStatus.OPEN: {SessionStatus.COMPLETED, SessionStatus.CANCELLED},
    SessionStatus.COMPLETED: set(),
    SessionStatus.CANCELLED: set(),
}
BOOKING_TRANSITIONS: dict[str, set[str]] = {
    BookingStatus.INVITED: {
        BookingStatus.ACCEPTED,
        BookingStatus.DECLINED,
        BookingStatus.EXPIRED,
        BookingStatus.CANCELLED,
    },
    BookingStatus.ACCEPTED: {BookingStatus.CANCELLED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW},
    # Invited again by the coordinator (a cancelled place only on purpose: see ``reinvite``).
    BookingStatus.DECLINED: {BookingStatus.INVITED},
    BookingStatus.EXPIRED: {BookingStatus.INVITED},
    BookingStatus.CANCELLED: {BookingStatus.INVITED},
    # Attendance corrected within 30 days (``correct_attendance``).
    BookingStatus.ATTENDED: {BookingStatus.NO_SHOW},
    BookingStatus.NO_SHOW: {BookingStatus.ATTENDED},
}


def set_session_status(
    session: TeachingSession, status: str, *, actor: User | None, action: str = "", **changes: Any
) -> None:
    """The one writer of ``TeachingSession.status``; the caller holds the session's row lock.

    Raises SessionError for a change outside ``SESSION_TRANSITIONS``. Records ``action`` (by
    default ``session.<status>``).
    """
    if status not in SESSION_TRANSITIONS[SessionStatus(session.status)]:
        current, wanted = session.get_status_display().lower(), SessionStatus(status).label.lower()
        raise SessionError(f"A session that is {current} cannot become {wanted}.")
    session.status = status
    for field, value in changes.items():
        setattr(session, field, value)
    session.save(update_fields=["status", *changes, "updated_at"])
    record_activity(actor=actor, action=action or f"session.{status}", target=session, organisation=session.university)


def set_booking_status(
    booking: Booking,
    status: str,
    *,
    actor: User | None,
    action: str = "",
    data: dict[str, Any] | None = None,
    **changes: Any,
) -> None:
    """The one writer of ``Booking.status``; the caller holds the session's and the booking's row locks.

    Raises SessionError for a change outside ``BOOKING_TRANSITIONS``. Records ``action`` (by
    default ``booking.<status>``) with the statuses before and after.
    """
    previous = BookingStatus(booking.status)
    if status not in BOOKING_TRANSITIONS[previous]:
        raise SessionError(
            f"A booking that is {previous.label.lower()} cannot become {BookingStatus(status).label.lower()}."
        )
    booking.status = status
    for field, value in changes.items():
        setattr(booking, field, value)
    booking.save(update_fields=["status", *changes, "updated_at"])
    record_activity(
        actor=actor,
        action=action or f"booking.{status}",
        target=booking,
        organisation=booking.session.university,
        data={"from": previous.value, "to": status, **(data or {})},
    )


def register_attendance_hook(hook: Callable[[Booking], None]) -> None:
    """Let a later app act on each marked (or corrected) attendance, inside the same transaction."""
    if hook not in _ATTENDANCE_HOOKS:
        _ATTENDANCE_HOOKS.append(hook)


# Asked before an attendance is corrected: each returns why ``booking`` may not become ``status``
# (None: no objection). Expenses refuses "did not attend" while a claim is submitted or paid.
_CORRECTION_GUARDS: list[Callable[[Booking, str], str | None]] = []


def register_attendance_correction_guard(guard: Callable[[Booking, str], str | None]) -> None:
    """Let a later app refuse a correction of attendance (called from its ``AppConfig.ready``)."""
    if guard not in _CORRECTION_GUARDS:
        _CORRECTION_GUARDS.append(guard)


# Called with each answered check-in, inside the answer's transaction (feedback raises a wellbeing
# follow-up for "I'd like a call").
_CHECK_IN_HOOKS: list[Callable[[CheckIn], None]] = []


def register_check_in_hook(hook: Callable[[CheckIn], None]) -> None:
    """Let a later app act on each answered check-in (called from its ``AppConfig.ready``)."""
    if hook not in _CHECK_IN_HOOKS:
        _CHECK_IN_HOOKS.append(hook)


def _session_url(session: TeachingSession) -> str:
    return absolute_url(reverse("sessions_app:session", kwargs={"pk": session.pk}))


def _when(session: TeachingSession) -> str:
    return formatting.when(session.starts_at, session.ends_at)


def _where(session: TeachingSession) -> str:
    return session.venue or ("Online" if session.online_link else "To be confirmed")


def session_context(session: TeachingSession) -> dict[str, Any]:
    return {
        "session": session.title,
        "when": _when(session),
        "where": _where(session),
        "university": session.university.name,
    }


# Programmes and modules ---------------------------------------------------------------------------


@transaction.atomic
def save_programme(
    *, university: Organisation, actor: User, programme: Programme | None = None, **fields: Any
) -> Programme:
    """Create or change a programme of ``university``."""
    if not university.is_university:
        raise SessionError("Programmes belong to universities.")
    programme = programme or Programme(university=university)
    for field, value in fields.items():
        setattr(programme, field, value)
    if (
        Programme.objects.filter(university=university, name=programme.name, academic_year=programme.academic_year)
        .exclude(pk=programme.pk)
        .exists()
    ):
        raise SessionError(f"{university} already has {programme.name} for {programme.academic_year}.", field="name")
    created = programme.pk is None
    programme.save()
    record_activity(
        actor=actor,
        action="programme.created" if created else "programme.changed",
        target=programme,
        organisation=university,
    )
    return programme


@transaction.atomic
def save_module(
    *,
    programme: Programme,
    actor: User,
    module: Module | None = None,
    leads: Iterable[User] | None = None,
    **fields: Any,
) -> Module:
    """Create or change a module; its leads must be members of the programme's university."""
    module = module or Module(programme=programme)
    for field, value in fields.items():
        setattr(module, field, value)
    if Module.objects.filter(programme=programme, code=module.code).exclude(pk=module.pk).exists():
        raise SessionError(f"{programme} already has a module {module.code}.", field="code")
    created = module.pk is None
    module.save()
    if leads is not None:
        leads = list(leads)
        members = set(
            Membership.objects.filter(organisation=programme.university, user__in=leads).values_list(
                "user_id", flat=True
            )
        )
        if any(lead.pk not in members for lead in leads):
            raise SessionError("Module leads must be staff of the university.", field="leads")
        module.leads.set(leads)
    record_activity(
        actor=actor,
        action="module.created" if created else "module.changed",
        target=module,
        organisation=programme.university,
    )
    return module


# Sessions -----------------------------------------------------------------------------------------


def _check_session_fields(session: TeachingSession) -> None:
    if session.ends_at <= session.starts_at:
        raise SessionError("The session must end after it starts.", field="end_time")
    if session.places < 1:
        raise SessionError("A session needs at least one place.", field="places")
    if not session.venue and not session.online_link:
        raise SessionError("Please give a venue, or an online link for an online session.", field="venue")


def _check_tags(university: Organisation, tags: Iterable[ExperienceTag]) -> None:
    from accounts.models import Partnership

    networks = set(Partnership.objects.filter(university=university).values_list("network_id", flat=True))
    if any(tag.network_id not in networks for tag in tags):
        raise SessionError("Preferred experience must come from a partner network's list.", field="preferred_tags")


def _clashes_after_move(session: TeachingSession) -> list[str]:
    """For a session whose times are changing, each accepted volunteer's other accepted bookings
    that the new times would overlap, in words. Locks the volunteers' rows first, as accepting
    does, so nobody can accept an overlapping place while the move is checked."""
    volunteer_ids = list(session.bookings.accepted().order_by("volunteer_id").values_list("volunteer_id", flat=True))
    if not volunteer_ids:
        return []
    list(VolunteerProfile.objects.select_for_update().filter(pk__in=volunteer_ids).order_by("pk").values_list("pk"))
    clashes = (
        Booking.objects.filter(volunteer_id__in=volunteer_ids, status=BookingStatus.ACCEPTED)
        .exclude(session=session)
        .overlapping(session.starts_at, session.ends_at)
        .select_related("volunteer__user", "session")
        .order_by("volunteer__user__name", "session__starts_at")
    )
    return [
        f"{clash.volunteer.display_name} is booked into “{clash.session.title}” ({_when(clash.session)})"
        for clash in clashes
    ]


@transaction.atomic
def save_session(
    *,
    actor: User,
    session: TeachingSession | None = None,
    preferred_tags: Iterable[ExperienceTag] | None = None,
    required_consents: Iterable[ConsentPurpose] | None = None,
    **fields: Any,
) -> TeachingSession:
    """Create a draft session or change one. Raises SessionError for a session that ends before
    it starts, no places, fewer places than volunteers already accepted, a change to a session
    that is over, or new times that would make an accepted volunteer's bookings overlap (naming
    them and their other sessions). Accepted volunteers are told when the time or place changes."""
    unknown = set(fields) - SESSION_FIELDS
    if unknown:
        raise SessionError(f"Unknown session fields: {', '.join(sorted(unknown))}.")
    created = session is None
    if session is None:
        session = TeachingSession(**fields)
        before: dict[str, Any] = {}
    else:
        session = TeachingSession.objects.select_for_update().get(pk=session.pk)
        refusal = permissions.edit_refusal(session)
        if refusal:
            raise SessionError(refusal)
        before = {"starts_at": session.starts_at, "ends_at": session.ends_at, "venue": session.venue}
        for field, value in fields.items():
            setattr(session, field, value)
    _check_session_fields(session)
    if not created:
        held = session.bookings.holding_a_place().count()
        if session.places < held:
            raise SessionError(
                f"{held} volunteers have already accepted, so the session needs at least {held} places.",
                field="places",
            )
        if (session.starts_at, session.ends_at) != (before["starts_at"], before["ends_at"]):
            clashes = _clashes_after_move(session)
            if clashes:
                raise SessionError(
                    "These new times would overlap another session for volunteers who have accepted: "
                    + "; ".join(clashes)
                    + ". Please talk to them before moving the session, or keep its times.",
                    field="start_time",
                )
    session.save()
    if preferred_tags is not None:
        tags = list(preferred_tags)
        _check_tags(session.university, tags)
        session.preferred_tags.set(tags)
    if required_consents is not None:
        session.required_consents.set(list(required_consents))
    change = record_activity(
        actor=actor,
        action="session.created" if created else "session.changed",
        target=session,
        organisation=session.university,
    )
    after = {"starts_at": session.starts_at, "ends_at": session.ends_at, "venue": session.venue}
    if before and before != after:
        for booking in session.bookings.accepted().select_related("volunteer__user"):
            # Keyed by the change's log row: two changes within one second are two emails.
            queue_notification(
                template_key="sessions_app/session_changed",
                unique_key=f"session-changed:{session.pk}:{change.pk}:{booking.pk}",
                recipient=booking.volunteer.user,
                context={**session_context(session), "name": booking.volunteer.display_name},
            )
    return session


@transaction.atomic
def copy_session(
    *, session: TeachingSession, actor: User, starts_at: datetime.datetime, ends_at: datetime.datetime
) -> TeachingSession:
    """A new draft like ``session`` at another time (to repeat last year's pattern)."""
    copy = save_session(
        actor=actor,
        preferred_tags=session.preferred_tags.all(),
        required_consents=session.required_consents.all(),
        module=session.module,
        title=session.title,
        kind=session.kind,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=session.venue,
        online_link=session.online_link,
        places=session.places,
        briefing=session.briefing,
        purpose=session.purpose,
        emotionally_demanding=session.emotionally_demanding,
        owner=actor,
    )
    record_activity(
        actor=actor, action="session.copied", target=copy, organisation=copy.university, data={"from": session.pk}
    )
    return copy


@transaction.atomic
def open_session(*, session: TeachingSession, actor: User) -> TeachingSession:
    """Publish a draft so volunteers can be invited."""
    session = TeachingSession.objects.select_for_update().get(pk=session.pk)
    refusal = permissions.open_refusal(session)
    if refusal:
        raise SessionError(refusal)
    set_session_status(session, SessionStatus.OPEN, actor=actor, action="session.opened")
    return session


@transaction.atomic
def cancel_session(*, session: TeachingSession, actor: User, reason: str) -> TeachingSession:
    """Cancel a session; everyone invited or accepted is told and their bookings cancelled."""
    if not reason.strip():
        raise SessionError("Please say why the session is cancelled: volunteers will read it.", field="reason")
    session = TeachingSession.objects.select_for_update().get(pk=session.pk)
    refusal = permissions.cancel_session_refusal(session)
    if refusal:
        raise SessionError(refusal)
    set_session_status(session, SessionStatus.CANCELLED, actor=actor, cancelled_reason=reason.strip())
    now = timezone.now()
    bookings = session.bookings.filter(status__in=[BookingStatus.INVITED, BookingStatus.ACCEPTED])
    for booking in bookings.select_for_update(of=("self",)).select_related("volunteer__user"):
        booking.session = session
        set_booking_status(
            booking,
            BookingStatus.CANCELLED,
            actor=actor,
            data={"by": "session_cancelled"},
            cancelled_at=now,
            cancelled_by=actor,
            cancel_reason=reason.strip(),
        )
        queue_notification(
            template_key="sessions_app/session_cancelled",
            unique_key=f"session-cancelled:{session.pk}:booking:{booking.pk}",
            recipient=booking.volunteer.user,
            context={**session_context(session), "name": booking.volunteer.display_name, "reason": reason.strip()},
        )
    return session


# Invitations and bookings -------------------------------------------------------------------------


def invitation_token(booking: Booking) -> str:
    """The signed key of the link in the latest invitation email (an earlier round's link stops working)."""
    return signing.dumps(
        {"booking": booking.pk, "round": booking.invitation_round}, salt=INVITATION_SALT, compress=True
    )


def booking_from_token(token: str) -> Booking:
    """The booking an invitation link names. Raises SessionError when tampered with, too old, or
    replaced by a newer invitation."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=datetime.timedelta(days=60))
    except signing.SignatureExpired as error:
        raise SessionError("This invitation link has expired.") from error
    except signing.BadSignature as error:
        raise SessionError("This invitation link is not valid. Please check you copied all of it.") from error
    booking = (
        Booking.objects.select_related("session__module__programme__university", "volunteer__user")
        .filter(pk=payload.get("booking"))
        .first()
    )
    if booking is None:
        raise SessionError("This invitation no longer exists.")
    if payload.get("round", 1) != booking.invitation_round:
        raise SessionError(
            "You have been sent a newer invitation to this session. Please use the link in the latest email."
        )
    return booking


def _send_invitation(booking: Booking, session: TeachingSession, actor: User, *, data: dict[str, Any]) -> None:
    """Record the invitation of ``booking`` and queue its email, keyed by its round."""
    record_activity(
        actor=actor,
        action="booking.invited",
        target=booking,
        organisation=session.university,
        data={"session": session.pk, "volunteer": booking.volunteer_id, "round": booking.invitation_round, **data},
    )
    volunteer = booking.volunteer
    queue_notification(
        template_key="sessions_app/invitation",
        unique_key=booking.event_key("invitation:booking"),
        recipient=volunteer.user,
        context={
            **session_context(session),
            "name": volunteer.display_name,
            "kind": session.get_kind_display(),
            "expires": f"{formatting.moment(booking.invitation_expires_at)}",
            "answer_url": absolute_url(reverse("sessions_app:invitation", kwargs={"token": invitation_token(booking)})),
            # What it pays, by their own preference: the email goes to them alone.
            "covered": [[item.text, item.url] for item in what_is_covered(session, booking, for_volunteer=volunteer)],
        },
    )


def _invitation_expiry(session: TeachingSession, now: datetime.datetime) -> datetime.datetime:
    """``INVITATION_DAYS`` from now, rounded up to the hour ("answer by 09:00", never "08:04"),
    and never after the session starts. UK offsets are whole hours, so the hour in UTC is the
    hour in UK time."""
    deadline = now + datetime.timedelta(days=INVITATION_DAYS)
    on_the_hour = deadline.replace(minute=0, second=0, microsecond=0)
    if on_the_hour < deadline:
        on_the_hour += datetime.timedelta(hours=1)
    return min(on_the_hour, session.starts_at)


def _check_promise(
    session: TeachingSession, volunteers: list[VolunteerProfile], *, agreed: bool
) -> dict[int, list[str]]:
    """What each volunteer said that the invitation goes beyond (their weekly pattern, time away,
    monthly limit). Without ``agreed`` (the coordinator ticked that they agreed it with the
    volunteer) any of it refuses the whole invitation, naming who and why."""
    outside = outside_what_they_said(session, volunteers)
    if outside and not agreed:
        names = {volunteer.pk: volunteer.display_name for volunteer in volunteers}
        details = "; ".join(f"{names[pk]}: {', '.join(reasons)}" for pk, reasons in outside.items())
        raise SessionError(
            f"This invitation goes beyond what they told us: {details}. Invite them only if you have agreed "
            "it with them first, and tick the box to say so.",
            field="agreed_with_volunteer",
        )
    return outside


@transaction.atomic
def invite_volunteers(
    *,
    session: TeachingSession,
    volunteers: Iterable[VolunteerProfile],
    actor: User,
    agreed_with_volunteer: bool = False,
) -> list[Booking]:
    """Invite each volunteer (emailing a signed link that works until the invitation expires).

    Raises SessionError, inviting nobody, when the session is not open or has started, when a
    volunteer is paused or from a network not partnered with the university, already has a
    booking on the session (an expired or declined invitation is invited again; a cancelled place
    only through ``reinvite``), or when the invitation goes beyond their availability, time away
    or monthly limit and the coordinator has not ticked that they agreed it with them. Such an
    agreed invitation is recorded in the ActivityLog with the reasons.
    """
    session = _lock_session(session.pk)
    closed = permissions.invitations_closed_reason(session)
    if closed:
        raise SessionError(closed)
    volunteers = list(volunteers)
    if not volunteers:
        raise SessionError("Please choose at least one volunteer to invite.", field="volunteers")
    existing = {
        booking.volunteer_id: booking
        for booking in Booking.objects.filter(session=session, volunteer__in=volunteers)
        .select_for_update(of=("self",))
        .select_related("volunteer__user")
    }
    for volunteer in volunteers:
        problem = why_not(session, volunteer)
        if problem:
            raise SessionError(problem, field="volunteers")
        booking = existing.get(volunteer.pk)
        if booking is not None and booking.status == BookingStatus.CANCELLED:
            raise SessionError(
                f"{volunteer.display_name} cancelled their place on this session. To invite them again after "
                "talking with them, use “Invite again” on the session page.",
                field="volunteers",
            )
        if booking is not None:
            booking.session = session
            refusal = permissions.reinvite_refusal(booking)
            if refusal:
                raise SessionError(refusal, field="volunteers")
    outside = _check_promise(session, volunteers, agreed=agreed_with_volunteer)
    now = timezone.now()
    expires_at = _invitation_expiry(session, now)
    bookings = []
    for volunteer in volunteers:
        data = {"agreed_outside": outside[volunteer.pk]} if volunteer.pk in outside else {}
        booking = existing.get(volunteer.pk)
        if booking is None:
            booking = Booking.objects.create(
                session=session, volunteer=volunteer, invited_by=actor, invitation_expires_at=expires_at, invited_at=now
            )
            _send_invitation(booking, session, actor, data=data)
        else:
            _invite_again(booking, session, actor, now=now, data=data)
        bookings.append(booking)
    return bookings


def _invite_again(
    booking: Booking, session: TeachingSession, actor: User, *, now: datetime.datetime, data: dict[str, Any]
) -> None:
    """A new round of invitation on an existing booking (the caller holds the locks and checked the rules)."""
    if booking.status == BookingStatus.INVITED:
        # Its time ran out before the periodic job marked it: expired first, so the history says so.
        set_booking_status(booking, BookingStatus.EXPIRED, actor=None)
    set_booking_status(
        booking,
        BookingStatus.INVITED,
        actor=actor,
        action="booking.reinvited",
        invitation_round=booking.invitation_round + 1,
        invitation_expires_at=_invitation_expiry(session, now),
        invited_at=now,
        invited_by=actor,
        responded_at=None,
        cancelled_at=None,
        cancelled_by=None,
        cancel_reason="",
    )
    _send_invitation(booking, session, actor, data=data)


@transaction.atomic
def reinvite(*, booking: Booking, actor: User, agreed_with_volunteer: bool = False) -> Booking:
    """Invite a volunteer again after their invitation expired or they declined, or, on purpose,
    after they cancelled their place (the coordinator has talked with them). Same rules as
    ``invite_volunteers``: the volunteer must still be findable, and the time within what they
    told us unless agreed. A new email with a new link goes; the earlier link stops working."""
    booking, session = _lock_booking(booking)
    if not permissions.is_coordinator_of(actor, session):
        raise SessionError("Only a coordinator of the university can invite volunteers to this session.")
    refusal = permissions.reinvite_refusal(booking)
    if refusal:
        raise SessionError(refusal)
    problem = why_not(session, booking.volunteer)
    if problem:
        raise SessionError(problem)
    outside = _check_promise(session, [booking.volunteer], agreed=agreed_with_volunteer)
    data = {"agreed_outside": outside[booking.volunteer_id]} if outside else {}
    _invite_again(booking, session, actor, now=timezone.now(), data=data)
    return booking


def _lock_session(session_id: int) -> TeachingSession:
    """The session's row, locked: places, overlaps and statuses are decided one at a time."""
    return (
        TeachingSession.objects.select_for_update(of=("self",))
        .select_related("module__programme__university", "owner")
        .get(pk=session_id)
    )


def _lock_booking(booking: Booking) -> tuple[Booking, TeachingSession]:
    """Lock the session row (so places are counted once at a time), then the booking."""
    session = _lock_session(booking.session_id)
    locked = Booking.objects.select_for_update(of=("self",)).select_related("volunteer__user").get(pk=booking.pk)
    locked.session = session
    return locked, session


def _owner_email(booking: Booking, session: TeachingSession, event: str, *, filled: int) -> Outgoing:
    """The email telling the session's coordinator that the volunteer answered (``accepted`` or
    ``declined``), with ``filled`` of the places now held."""
    return Outgoing(
        template_key=f"sessions_app/booking_{event}_owner",
        unique_key=booking.event_key(f"booking-{event}") + ":owner",
        recipient=session.owner,
        about=booking.volunteer.user,
        context={
            **session_context(session),
            "volunteer": booking.volunteer.display_name,
            "filled": filled,
            "places": session.places,
            "session_url": _session_url(session),
        },
    )


@transaction.atomic
def accept_invitation(*, booking: Booking, actor: User | None) -> Booking:
    """Accept ``booking`` for its volunteer. Idempotent for an accepted booking.

    Under a lock on the session row (then the volunteer's row): refuses (SessionError) an expired
    or answered invitation, a session that is not open or has started, a full session, a clash
    with another accepted booking, a missing current consent, or a volunteer no longer active in a
    partnered network. Emails a confirmation with an .ics file, and tells the coordinator (both
    in one insert).
    """
    booking, session = _lock_booking(booking)
    if booking.status == BookingStatus.ACCEPTED:
        return booking
    volunteer = (
        VolunteerProfile.objects.select_for_update(of=("self",)).select_related("user").get(pk=booking.volunteer_id)
    )
    refusal = permissions.answer_refusal(booking)
    if refusal:
        raise SessionError(refusal)
    # Counted under the session's lock, so no other answer changes it before this one is saved.
    held = session.bookings.holding_a_place().count()
    if held >= session.places:
        raise SessionError("Sorry, this session is now full. Thank you for offering your time.")
    clash = (
        Booking.objects.filter(volunteer=volunteer, status=BookingStatus.ACCEPTED)
        .exclude(pk=booking.pk)
        .overlapping(session.starts_at, session.ends_at)
        .select_related("session")
        .first()
    )
    if clash is not None:
        raise SessionError(f"You are already booked into “{clash.session.title}” at that time.")
    required = list(session.required_consents.values_list("code", flat=True))
    if (
        required
        and not VolunteerProfile.objects.filter(pk=volunteer.pk)
        .with_current_grants(required, university=session.university)
        .exists()
    ):
        names = ", ".join(session.required_consents.values_list("name", flat=True))
        raise SessionError(f"This session needs your consent to: {names}. Please review your consents first.")
    problem = why_not(session, volunteer)
    if problem:
        raise SessionError(problem)
    set_booking_status(booking, BookingStatus.ACCEPTED, actor=actor, responded_at=timezone.now())
    queue_notifications(
        [
            Outgoing(
                template_key="sessions_app/booking_confirmed",
                unique_key=booking.event_key("booking-confirmed"),
                recipient=volunteer.user,
                context={
                    **session_context(session),
                    "name": volunteer.display_name,
                    "booking": booking.pk,
                    "briefing": session.briefing,
                    "my_sessions_url": absolute_url(reverse("sessions_app:my_sessions")),
                },
            ),
            _owner_email(booking, session, "accepted", filled=held + 1),
        ]
    )
    return booking


@transaction.atomic
def decline_invitation(*, booking: Booking, actor: User | None) -> Booking:
    """Say no to an invitation (idempotent for a declined one). The coordinator is told."""
    booking, session = _lock_booking(booking)
    if booking.status == BookingStatus.DECLINED:
        return booking
    if booking.status != BookingStatus.INVITED:
        raise SessionError(f"This invitation has already been answered ({booking.get_status_display().lower()}).")
    set_booking_status(booking, BookingStatus.DECLINED, actor=actor, responded_at=timezone.now())
    queue_notifications([_owner_email(booking, session, "declined", filled=session.bookings.holding_a_place().count())])
    return booking


def expire_invitations(*, now: datetime.datetime | None = None) -> int:
    """Mark unanswered invitations past their expiry as expired. Returns how many."""
    now = now or timezone.now()
    count = 0
    for booking in Booking.objects.filter(status=BookingStatus.INVITED, invitation_expires_at__lte=now):
        with transaction.atomic():
            locked, _session = _lock_booking(booking)
            if locked.status == BookingStatus.INVITED and locked.invitation_expires_at <= now:
                set_booking_status(locked, BookingStatus.EXPIRED, actor=None)
                count += 1
    return count


@transaction.atomic
def cancel_booking(*, booking: Booking, actor: User, reason: str = "") -> Booking:
    """Cancel an invitation or an accepted place: the volunteer their place, a coordinator of the
    university either (``permissions.cancel_refusal``).

    The other side is told; when the volunteer cancels, the coordinator's email names the next
    suggestion for the place.
    """
    booking, session = _lock_booking(booking)
    refusal = permissions.cancel_refusal(booking, actor)
    if refusal:
        raise SessionError(refusal)
    by_volunteer = actor.pk == booking.volunteer.user_id
    set_booking_status(
        booking,
        BookingStatus.CANCELLED,
        actor=actor,
        data={"by": "volunteer" if by_volunteer else "coordinator"},
        cancelled_at=timezone.now(),
        cancelled_by=actor,
        cancel_reason=reason.strip(),
    )
    if by_volunteer:
        _offer_place(booking, session, reason=booking.cancel_reason)
    else:
        queue_notification(
            template_key="sessions_app/booking_cancelled_by_coordinator",
            unique_key=booking.event_key("booking-cancelled") + ":volunteer",
            recipient=booking.volunteer.user,
            context={**session_context(session), "name": booking.volunteer.display_name, "reason": reason.strip()},
        )
    return booking


def _offer_place(booking: Booking, session: TeachingSession, *, reason: str) -> None:
    """Tell the coordinator a volunteer's place is free, naming the next suggestion for it."""
    following = suggest(session, limit=1)
    queue_notification(
        template_key="sessions_app/booking_cancelled_by_volunteer",
        unique_key=booking.event_key("booking-cancelled") + ":owner",
        recipient=session.owner,
        about=booking.volunteer.user,
        context={
            **session_context(session),
            "volunteer": booking.volunteer.display_name,
            "reason": reason,
            "next_suggestion": following[0].volunteer.display_name if following else "",
            "matching_url": absolute_url(reverse("sessions_app:matching", kwargs={"pk": session.pk})),
        },
    )


@transaction.atomic
def cancel_for_withdrawn_consent(*, booking: Booking, actor: User, purpose: ConsentPurpose) -> Booking:
    """Cancel an accepted place whose volunteer has withdrawn a consent the session needs (called
    by the withdrawal, in its transaction). The coordinator is told, with the next suggestion for
    the place; when staff recorded the withdrawal, the volunteer is told too."""
    booking, session = _lock_booking(booking)
    if booking.status != BookingStatus.ACCEPTED or session.starts_at <= timezone.now():
        return booking
    set_booking_status(
        booking,
        BookingStatus.CANCELLED,
        actor=actor,
        data={"by": "consent_withdrawn", "purpose": purpose.code},
        cancelled_at=timezone.now(),
        cancelled_by=actor,
        cancel_reason="",
    )
    _offer_place(
        booking,
        session,
        reason=f"They withdrew their consent to “{purpose.name}”, which this session needs.",
    )
    if actor.pk != booking.volunteer.user_id:
        queue_notification(
            template_key="sessions_app/place_cancelled_consent",
            unique_key=booking.event_key("booking-cancelled") + ":volunteer",
            recipient=booking.volunteer.user,
            context={**session_context(session), "name": booking.volunteer.display_name, "purpose": purpose.name},
        )
    return booking


@transaction.atomic
def message_accepted_volunteers(*, session: TeachingSession, actor: User, subject: str, body: str) -> SessionMessage:
    """Email everyone accepted on the session, and keep the message on the session."""
    if not subject.strip() or not body.strip():
        raise SessionError("Please write a subject and a message.")
    bookings = list(session.bookings.accepted().select_related("volunteer__user"))
    if not bookings:
        raise SessionError("Nobody has accepted a place yet, so there is nobody to message.")
    message = SessionMessage.objects.create(
        session=session, author=actor, subject=subject.strip(), body=body.strip(), recipients=len(bookings)
    )
    for booking in bookings:
        queue_notification(
            template_key="sessions_app/session_message",
            unique_key=f"session-message:{message.pk}:booking:{booking.pk}",
            recipient=booking.volunteer.user,
            context={
                **session_context(session),
                "name": booking.volunteer.display_name,
                "subject": message.subject,
                "body": message.body,
                "sender": actor.get_full_name(),
            },
        )
    record_activity(actor=actor, action="session.messaged", target=message, organisation=session.university)
    return message


# Reminders and check-ins --------------------------------------------------------------------------


def reminder_due_at(session: TeachingSession, days: int) -> datetime.datetime:
    return same_wall_time_days_before(session.starts_at, days)


def _reminder_key(days: int) -> Concat:
    """``Booking.event_key(f"reminder:{days}d:booking")`` in SQL, for the outer booking."""
    return Concat(
        Value(f"reminder:{days}d:booking:"),
        Cast("pk", output_field=CharField()),
        Case(
            When(invitation_round=1, then=Value("")),
            default=Concat(Value(":round:"), Cast("invitation_round", output_field=CharField())),
        ),
        output_field=CharField(),
    )


def send_due_reminders(*, now: datetime.datetime | None = None) -> int:
    """Queue each reminder whose time has come: 7 and 1 days before, at the session's UK wall-clock
    time, once each (the outbox key), only for accepted bookings of open sessions not yet started.

    A reminder is never sent late or out of place: not once the nearer reminder is due, and not
    when its time had passed before the volunteer accepted. The database selects only what may be
    due and is not already in the outbox (so a pass with nothing due reads nothing), the exact
    wall-clock rule is checked here, and the emails are queued in bulk
    (``involvement.notifications.queue_notifications``: one insert and one publish per batch).
    Returns how many were queued.
    """
    now = now or timezone.now()
    windows = sorted(REMINDER_DAYS, reverse=True)  # 7, then 1
    # The wall clock moves at most an hour at a change of the clocks: the database window is an
    # hour wider each side, and the exact rule below decides.
    slack = datetime.timedelta(hours=1)
    emails: list[Outgoing] = []
    for index, days in enumerate(windows):
        nearer = windows[index + 1] if index + 1 < len(windows) else 0
        bookings = (
            Booking.objects.filter(
                status=BookingStatus.ACCEPTED,
                session__status=SessionStatus.OPEN,
                session__starts_at__gt=max(now, now + datetime.timedelta(days=nearer) - slack),
                session__starts_at__lte=now + datetime.timedelta(days=days) + slack,
            )
            .alias(reminder_key=_reminder_key(days))
            .exclude(Exists(Notification.objects.filter(unique_key=OuterRef("reminder_key"))))
            .select_related("session__module__programme__university", "volunteer__user")
            .order_by("pk")
        )
        for booking in bookings:
            session = booking.session
            due = reminder_due_at(session, days)
            until = reminder_due_at(session, nearer) if nearer else session.starts_at
            accepted_at = booking.responded_at or booking.created_at
            if not (due <= now < until) or due < accepted_at:
                continue
            emails.append(
                Outgoing(
                    template_key="sessions_app/reminder",
                    unique_key=booking.event_key(f"reminder:{days}d:booking"),
                    recipient=booking.volunteer.user,
                    context={
                        **session_context(session),
                        "name": booking.volunteer.display_name,
                        "days": days,
                        "briefing": session.briefing,
                        "my_sessions_url": absolute_url(reverse("sessions_app:my_sessions")),
                    },
                )
            )
    return queue_notifications(emails)


def check_in_token(check_in: CheckIn) -> str:
    return signing.dumps({"check_in": check_in.pk}, salt=CHECK_IN_SALT, compress=True)


def check_in_from_token(token: str) -> CheckIn:
    try:
        payload = signing.loads(token, salt=CHECK_IN_SALT, max_age=datetime.timedelta(days=CHECK_IN_VALID_DAYS))
    except signing.SignatureExpired as error:
        raise SessionError("This link has expired. If you would like a call, please contact your lead.") from error
    except signing.BadSignature as error:
        raise SessionError("This link is not valid. Please check you copied all of it.") from error
    check_in = (
        CheckIn.objects.select_related("booking__session", "booking__volunteer__user")
        .filter(pk=payload.get("check_in"))
        .first()
    )
    if check_in is None:
        raise SessionError("This link is not valid.")
    return check_in


def send_due_check_ins(*, now: datetime.datetime | None = None) -> int:
    """After an emotionally demanding session, ask each volunteer who attended how they are,
    between 24 and 48 hours after it ended, once. Returns how many were asked."""
    now = now or timezone.now()
    bookings = Booking.objects.filter(
        status__in=[BookingStatus.ATTENDED, BookingStatus.ACCEPTED],
        session__emotionally_demanding=True,
        session__status__in=[SessionStatus.OPEN, SessionStatus.COMPLETED],
        session__ends_at__lte=now - CHECK_IN_AFTER,
        session__ends_at__gt=now - CHECK_IN_UNTIL,
        check_in__isnull=True,
    ).select_related("session__module__programme__university", "volunteer__user")
    asked = 0
    for booking in bookings:
        with transaction.atomic():
            check_in, created = CheckIn.objects.get_or_create(booking=booking)
            if not created:
                continue
            token = check_in_token(check_in)
            queue_notification(
                template_key="sessions_app/check_in",
                unique_key=f"check-in:booking:{booking.pk}",
                recipient=booking.volunteer.user,
                context={
                    **session_context(booking.session),
                    "name": booking.volunteer.display_name,
                    "fine_url": absolute_url(
                        reverse("sessions_app:check_in", kwargs={"token": token, "answer": CheckIn.Answer.FINE})
                    ),
                    "call_url": absolute_url(
                        reverse("sessions_app:check_in", kwargs={"token": token, "answer": CheckIn.Answer.CALL})
                    ),
                },
            )
            asked += 1
    return asked


@transaction.atomic
def answer_check_in(*, check_in: CheckIn, answer: str) -> CheckIn:
    """Record how the volunteer is; "I'd like a call" emails the leads of their networks that
    partner the university. Answering again changes the answer; a call is asked for once. The
    check-in hooks are called with the answer (feedback raises a wellbeing follow-up)."""
    if answer not in CheckIn.Answer.values:
        raise SessionError("Please choose one of the answers.")
    check_in = (
        CheckIn.objects.select_for_update(of=("self",))
        .select_related("booking__session__module__programme__university", "booking__volunteer__user")
        .get(pk=check_in.pk)
    )
    check_in.answer = answer
    check_in.answered_at = timezone.now()
    check_in.save(update_fields=["answer", "answered_at", "updated_at"])
    booking = check_in.booking
    record_activity(actor=None, action=f"check_in.{answer}", target=check_in, data={"booking": booking.pk})
    for hook in _CHECK_IN_HOOKS:
        hook(check_in)
    if answer == CheckIn.Answer.CALL:
        from accounts.models import Partnership

        partnered = Partnership.objects.active().filter(university=booking.session.university).values("network_id")
        # Only networks the volunteer still belongs to (paused counts; left or never accepted does not).
        networks = NetworkMembership.objects.filter(
            volunteer=booking.volunteer,
            network__in=partnered,
            status__in=[NetworkMembership.Status.ACTIVE, NetworkMembership.Status.PAUSED],
        ).values("network_id")
        leads = User.objects.filter(
            memberships__organisation__in=networks, memberships__role=Membership.Role.LEAD, is_active=True
        ).distinct()
        for lead in leads:
            queue_notification(
                template_key="sessions_app/call_requested",
                unique_key=f"call-requested:check-in:{check_in.pk}:lead:{lead.pk}",
                recipient=lead,
                about=booking.volunteer.user,
                context={
                    **session_context(booking.session),
                    "volunteer": booking.volunteer.display_name,
                    "contact": booking.volunteer.phone or booking.volunteer.user.email,
                },
            )
    return check_in


# Attendance -------------------------------------------------------------------------------------


@transaction.atomic
def mark_attendance(*, session: TeachingSession, actor: User, outcomes: dict[int, str]) -> list[Booking]:
    """Mark each accepted booking attended or no-show, in one go, after the session has ended.

    ``outcomes`` maps every accepted booking's id to "attended" or "no_show". Records hours for
    those who came, completes the session and calls the attendance hooks (claims, feedback).
    """
    session = _lock_session(session.pk)
    refusal = permissions.attendance_refusal(session)
    if refusal:
        raise SessionError(refusal)
    bookings = {
        booking.pk: booking
        for booking in session.bookings.accepted().select_for_update(of=("self",)).select_related("volunteer__user")
    }
    if not bookings:
        raise SessionError("There is nobody to mark: no accepted bookings are waiting.")
    if set(outcomes) != set(bookings):
        raise SessionError("Please mark every volunteer as attended or did not attend.")
    if any(status not in {BookingStatus.ATTENDED, BookingStatus.NO_SHOW} for status in outcomes.values()):
        raise SessionError("Please choose attended or did not attend for each volunteer.")
    now = timezone.now()
    marked = []
    for booking_id, status in outcomes.items():
        booking = bookings[booking_id]
        booking.session = session
        set_booking_status(
            booking,
            status,
            actor=actor,
            attendance_marked_at=now,
            hours=session.duration_hours if status == BookingStatus.ATTENDED else None,
        )
        for hook in _ATTENDANCE_HOOKS:
            hook(booking)
        marked.append(booking)
    if session.status == SessionStatus.OPEN:
        set_session_status(session, SessionStatus.COMPLETED, actor=actor)
    return marked


@transaction.atomic
def correct_attendance(*, booking: Booking, actor: User, status: str) -> Booking:
    """Change a marked attendance, attended ⇄ did not attend, within 30 days of the session.

    Refused (SessionError) outside ``permissions.correction_refusal`` or when an app's guard
    objects (a claim already sent, say). Recorded as ``booking.attendance_corrected``; hours
    follow the new answer, and the attendance hooks are called again.
    """
    booking, session = _lock_booking(booking)
    if not permissions.is_coordinator_of(actor, session):
        raise SessionError("Only a coordinator of the university can correct attendance.")
    refusal = permissions.correction_refusal(booking, status) or next(
        (reason for guard in _CORRECTION_GUARDS if (reason := guard(booking, status))), None
    )
    if refusal:
        raise SessionError(refusal, field="status")
    set_booking_status(
        booking,
        status,
        actor=actor,
        action="booking.attendance_corrected",
        attendance_marked_at=timezone.now(),
        hours=session.duration_hours if status == BookingStatus.ATTENDED else None,
    )
    for hook in _ATTENDANCE_HOOKS:
        hook(booking)
    return booking


# Calendar feeds ---------------------------------------------------------------------------------


def calendar_feed_for(profile: VolunteerProfile) -> CalendarFeed:
    feed, _ = CalendarFeed.objects.get_or_create(volunteer=profile)
    return feed


@transaction.atomic
def renew_calendar_feed(*, profile: VolunteerProfile, actor: User) -> CalendarFeed:
    """Give the volunteer a new private calendar address; the old one stops working at once."""
    feed = calendar_feed_for(profile)
    feed.token = new_feed_token()
    feed.save(update_fields=["token", "updated_at"])
    record_activity(actor=actor, action="calendar.renewed", target=profile)
    return feed
