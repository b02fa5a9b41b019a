"""Every change to programmes, sessions and bookings. Views, tasks and commands call these."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from involvement.activity import record_activity
from involvement.errors import DomainError
from involvement.links import absolute_url
from involvement.models import Notification
from involvement.notifications import queue_notification
from sessions_app.clock import same_wall_time_days_before
from sessions_app.matching import suggest, why_not
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


def _session_url(session: TeachingSession) -> str:
    return absolute_url(reverse("sessions_app:session", kwargs={"pk": session.pk}))


def _when(session: TeachingSession) -> str:
    start = timezone.localtime(session.starts_at)
    end = timezone.localtime(session.ends_at)
    return f"{start:%A %-d %B %Y}, {start:%H:%M} to {end:%H:%M}"


def _where(session: TeachingSession) -> str:
    return session.venue or ("Online" if session.online_link else "To be confirmed")


def _session_context(session: TeachingSession) -> dict[str, Any]:
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
        raise SessionError(f"{university} already has {programme.name} for {programme.academic_year}.")
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
        raise SessionError(f"{programme} already has a module {module.code}.")
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
            raise SessionError("Module leads must be staff of the university.")
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
        raise SessionError("The session must end after it starts.")
    if session.places < 1:
        raise SessionError("A session needs at least one place.")
    if not session.venue and not session.online_link:
        raise SessionError("Please give a venue, or an online link for an online session.")


def _check_tags(university: Organisation, tags: Iterable[ExperienceTag]) -> None:
    from accounts.models import Partnership

    networks = set(Partnership.objects.filter(university=university).values_list("network_id", flat=True))
    if any(tag.network_id not in networks for tag in tags):
        raise SessionError("Preferred experience must come from a partner network's list.")


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
    it starts, no places, fewer places than volunteers already accepted, or a change to a session
    that is over. Accepted volunteers are told when the time or place changes."""
    unknown = set(fields) - SESSION_FIELDS
    if unknown:
        raise SessionError(f"Unknown session fields: {', '.join(sorted(unknown))}.")
    created = session is None
    if session is None:
        session = TeachingSession(**fields)
        before: dict[str, Any] = {}
    else:
        session = TeachingSession.objects.select_for_update().get(pk=session.pk)
        if session.status in {SessionStatus.COMPLETED, SessionStatus.CANCELLED}:
            raise SessionError(f"This session is {session.get_status_display().lower()} and can no longer be changed.")
        before = {"starts_at": session.starts_at, "ends_at": session.ends_at, "venue": session.venue}
        for field, value in fields.items():
            setattr(session, field, value)
    _check_session_fields(session)
    if not created:
        held = session.bookings.holding_a_place().count()
        if session.places < held:
            raise SessionError(f"{held} volunteers have already accepted, so the session needs at least {held} places.")
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
                context={**_session_context(session), "name": booking.volunteer.display_name},
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
    if session.status != SessionStatus.DRAFT:
        raise SessionError("Only a draft session can be opened.")
    if session.starts_at <= timezone.now():
        raise SessionError("This session has already started.")
    session.status = SessionStatus.OPEN
    session.save(update_fields=["status", "updated_at"])
    record_activity(actor=actor, action="session.opened", target=session, organisation=session.university)
    return session


@transaction.atomic
def cancel_session(*, session: TeachingSession, actor: User, reason: str) -> TeachingSession:
    """Cancel a session; everyone invited or accepted is told and their bookings cancelled."""
    if not reason.strip():
        raise SessionError("Please say why the session is cancelled: volunteers will read it.")
    session = TeachingSession.objects.select_for_update().get(pk=session.pk)
    if session.status in {SessionStatus.COMPLETED, SessionStatus.CANCELLED}:
        raise SessionError(f"This session is already {session.get_status_display().lower()}.")
    session.status = SessionStatus.CANCELLED
    session.cancelled_reason = reason.strip()
    session.save(update_fields=["status", "cancelled_reason", "updated_at"])
    now = timezone.now()
    for booking in session.bookings.filter(status__in=[BookingStatus.INVITED, BookingStatus.ACCEPTED]).select_related(
        "volunteer__user"
    ):
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancelled_by = actor
        booking.cancel_reason = reason.strip()
        booking.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"])
        queue_notification(
            template_key="sessions_app/session_cancelled",
            unique_key=f"session-cancelled:{session.pk}:booking:{booking.pk}",
            recipient=booking.volunteer.user,
            context={**_session_context(session), "name": booking.volunteer.display_name, "reason": reason.strip()},
        )
    record_activity(actor=actor, action="session.cancelled", target=session, organisation=session.university)
    return session


# Invitations and bookings -------------------------------------------------------------------------


def invitation_token(booking: Booking) -> str:
    return signing.dumps({"booking": booking.pk}, salt=INVITATION_SALT, compress=True)


def booking_from_token(token: str) -> Booking:
    """The booking an invitation link names. Raises SessionError when tampered with or too old."""
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
    return booking


@transaction.atomic
def invite_volunteers(
    *, session: TeachingSession, volunteers: Iterable[VolunteerProfile], actor: User
) -> list[Booking]:
    """Invite each volunteer (emailing a signed link that works until the invitation expires).

    Raises SessionError, inviting nobody, when the session is not open or has started, or when a
    volunteer is paused, from a network not partnered with the university, or already invited.
    """
    session = (
        TeachingSession.objects.select_for_update(of=("self",))
        .select_related("module__programme__university")
        .get(pk=session.pk)
    )
    if session.status != SessionStatus.OPEN:
        raise SessionError("Open the session before inviting volunteers.")
    now = timezone.now()
    if session.starts_at <= now:
        raise SessionError("This session has already started.")
    volunteers = list(volunteers)
    if not volunteers:
        raise SessionError("Please choose at least one volunteer to invite.")
    already = set(
        Booking.objects.filter(session=session, volunteer__in=volunteers).values_list("volunteer_id", flat=True)
    )
    for volunteer in volunteers:
        if volunteer.pk in already:
            raise SessionError(f"{volunteer.display_name} has already been invited to this session.")
        problem = why_not(session, volunteer)
        if problem:
            raise SessionError(problem)
    expires_at = min(now + datetime.timedelta(days=INVITATION_DAYS), session.starts_at)
    bookings = []
    for volunteer in volunteers:
        booking = Booking.objects.create(
            session=session, volunteer=volunteer, invited_by=actor, invitation_expires_at=expires_at
        )
        bookings.append(booking)
        record_activity(
            actor=actor,
            action="booking.invited",
            target=booking,
            organisation=session.university,
            data={"session": session.pk, "volunteer": volunteer.pk},
        )
        queue_notification(
            template_key="sessions_app/invitation",
            unique_key=f"invitation:booking:{booking.pk}",
            recipient=volunteer.user,
            context={
                **_session_context(session),
                "name": volunteer.display_name,
                "kind": session.get_kind_display(),
                "expires": f"{timezone.localtime(expires_at):%A %-d %B %Y at %H:%M}",
                "answer_url": absolute_url(
                    reverse("sessions_app:invitation", kwargs={"token": invitation_token(booking)})
                ),
            },
        )
    return bookings


def _lock_booking(booking: Booking) -> tuple[Booking, TeachingSession]:
    """Lock the session row (so places are counted once at a time), then the booking."""
    session = (
        TeachingSession.objects.select_for_update(of=("self",))
        .select_related("module__programme__university")
        .get(pk=booking.session_id)
    )
    locked = Booking.objects.select_for_update(of=("self",)).select_related("volunteer__user").get(pk=booking.pk)
    locked.session = session
    return locked, session


@transaction.atomic
def accept_invitation(*, booking: Booking, actor: User | None) -> Booking:
    """Accept ``booking`` for its volunteer. Idempotent for an accepted booking.

    Under a lock on the session row: refuses (SessionError) an expired or answered invitation, a
    session that is not open or has started, a full session, a clash with another accepted
    booking, a missing current consent, or a volunteer no longer active in a partnered network.
    Emails a confirmation with an .ics file.
    """
    booking, session = _lock_booking(booking)
    if booking.status == BookingStatus.ACCEPTED:
        return booking
    volunteer = VolunteerProfile.objects.select_for_update().get(pk=booking.volunteer_id)
    now = timezone.now()
    if booking.status not in {BookingStatus.INVITED, BookingStatus.EXPIRED}:
        raise SessionError(f"This invitation has already been answered ({booking.get_status_display().lower()}).")
    # Expired by the periodic job or not yet: the volunteer sees the same message either way.
    if booking.status == BookingStatus.EXPIRED or booking.invitation_expires_at <= now:
        raise SessionError(
            "This invitation has expired. Please contact the coordinator if you would still like to come."
        )
    if session.status != SessionStatus.OPEN or session.starts_at <= now:
        raise SessionError("This session is no longer taking bookings.")
    if session.bookings.holding_a_place().count() >= session.places:
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
    if required and not VolunteerProfile.objects.filter(pk=volunteer.pk).with_current_grants(required).exists():
        names = ", ".join(session.required_consents.values_list("name", flat=True))
        raise SessionError(f"This session needs your consent to: {names}. Please review your consents first.")
    problem = why_not(session, volunteer)
    if problem:
        raise SessionError(problem)
    booking.status = BookingStatus.ACCEPTED
    booking.responded_at = now
    booking.save(update_fields=["status", "responded_at", "updated_at"])
    record_activity(actor=actor, action="booking.accepted", target=booking, organisation=session.university)
    queue_notification(
        template_key="sessions_app/booking_confirmed",
        unique_key=f"booking-confirmed:{booking.pk}",
        recipient=volunteer.user,
        context={
            **_session_context(session),
            "name": volunteer.display_name,
            "booking": booking.pk,
            "briefing": session.briefing,
            "my_sessions_url": absolute_url(reverse("sessions_app:my_sessions")),
        },
    )
    return booking


@transaction.atomic
def decline_invitation(*, booking: Booking, actor: User | None) -> Booking:
    """Decline an invitation. Idempotent for a declined one."""
    booking, session = _lock_booking(booking)
    if booking.status == BookingStatus.DECLINED:
        return booking
    if booking.status != BookingStatus.INVITED:
        raise SessionError(f"This invitation has already been answered ({booking.get_status_display().lower()}).")
    booking.status = BookingStatus.DECLINED
    booking.responded_at = timezone.now()
    booking.save(update_fields=["status", "responded_at", "updated_at"])
    record_activity(actor=actor, action="booking.declined", target=booking, organisation=session.university)
    return booking


def expire_invitations(*, now: datetime.datetime | None = None) -> int:
    """Mark unanswered invitations past their expiry as expired. Returns how many."""
    now = now or timezone.now()
    count = 0
    for booking in Booking.objects.filter(status=BookingStatus.INVITED, invitation_expires_at__lte=now):
        with transaction.atomic():
            locked, session = _lock_booking(booking)
            if locked.status == BookingStatus.INVITED and locked.invitation_expires_at <= now:
                locked.status = BookingStatus.EXPIRED
                locked.save(update_fields=["status", "updated_at"])
                record_activity(actor=None, action="booking.expired", target=locked, organisation=session.university)
                count += 1
    return count


@transaction.atomic
def cancel_booking(*, booking: Booking, actor: User, reason: str = "") -> Booking:
    """Cancel an invitation or an accepted place, by the volunteer or the coordinator.

    The other side is told; when the volunteer cancels, the coordinator's email names the next
    suggestion for the place.
    """
    booking, session = _lock_booking(booking)
    if booking.status not in {BookingStatus.INVITED, BookingStatus.ACCEPTED}:
        raise SessionError(f"This booking cannot be cancelled: it is {booking.get_status_display().lower()}.")
    if session.starts_at <= timezone.now():
        raise SessionError("This session has already started; please mark attendance instead.")
    by_volunteer = actor.pk == booking.volunteer.user_id
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancelled_by = actor
    booking.cancel_reason = reason.strip()
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"])
    record_activity(
        actor=actor,
        action="booking.cancelled",
        target=booking,
        organisation=session.university,
        data={"by": "volunteer" if by_volunteer else "coordinator"},
    )
    if by_volunteer:
        following = suggest(session, limit=1)
        queue_notification(
            template_key="sessions_app/booking_cancelled_by_volunteer",
            unique_key=f"booking-cancelled:{booking.pk}:owner",
            recipient=session.owner,
            context={
                **_session_context(session),
                "volunteer": booking.volunteer.display_name,
                "reason": booking.cancel_reason,
                "next_suggestion": following[0].volunteer.display_name if following else "",
                "matching_url": absolute_url(reverse("sessions_app:matching", kwargs={"pk": session.pk})),
            },
        )
    else:
        queue_notification(
            template_key="sessions_app/booking_cancelled_by_coordinator",
            unique_key=f"booking-cancelled:{booking.pk}:volunteer",
            recipient=booking.volunteer.user,
            context={**_session_context(session), "name": booking.volunteer.display_name, "reason": reason.strip()},
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
                **_session_context(session),
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


def send_due_reminders(*, now: datetime.datetime | None = None) -> int:
    """Queue each reminder whose time has come: 7 and 1 days before, at the session's UK wall-clock
    time, once each (the outbox key), only for accepted bookings of open sessions not yet started.

    A reminder is never sent late or out of place: not once the nearer reminder is due, and not
    when its time had passed before the volunteer accepted. Returns how many were queued.
    """
    now = now or timezone.now()
    horizon = now + datetime.timedelta(days=max(REMINDER_DAYS) + 1)
    bookings = list(
        Booking.objects.filter(
            status=BookingStatus.ACCEPTED,
            session__status=SessionStatus.OPEN,
            session__starts_at__gt=now,
            session__starts_at__lte=horizon,
        ).select_related("session__module__programme__university", "volunteer__user")
    )
    already_sent = set(
        Notification.objects.filter(
            unique_key__in=[f"reminder:{days}d:booking:{booking.pk}" for booking in bookings for days in REMINDER_DAYS]
        ).values_list("unique_key", flat=True)
    )
    queued = 0
    for booking in bookings:
        session = booking.session
        windows = sorted(REMINDER_DAYS, reverse=True)  # 7, then 1
        for index, days in enumerate(windows):
            due = reminder_due_at(session, days)
            until = reminder_due_at(session, windows[index + 1]) if index + 1 < len(windows) else session.starts_at
            accepted_at = booking.responded_at or booking.created_at
            if not (due <= now < until) or due < accepted_at:
                continue
            key = f"reminder:{days}d:booking:{booking.pk}"
            if key in already_sent:
                continue
            with transaction.atomic():
                queue_notification(
                    template_key="sessions_app/reminder",
                    unique_key=key,
                    recipient=booking.volunteer.user,
                    context={
                        **_session_context(session),
                        "name": booking.volunteer.display_name,
                        "days": days,
                        "briefing": session.briefing,
                        "my_sessions_url": absolute_url(reverse("sessions_app:my_sessions")),
                    },
                )
            queued += 1
    return queued


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
                    **_session_context(booking.session),
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
    partner the university. Answering again changes the answer; a call is asked for once."""
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
                context={
                    **_session_context(booking.session),
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
    session = TeachingSession.objects.select_for_update().get(pk=session.pk)
    if session.ends_at > timezone.now():
        raise SessionError("Attendance can be marked once the session has ended.")
    if session.status == SessionStatus.CANCELLED:
        raise SessionError("This session was cancelled.")
    bookings = {booking.pk: booking for booking in session.bookings.accepted().select_for_update()}
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
        booking.status = status
        booking.attendance_marked_at = now
        booking.hours = session.duration_hours if status == BookingStatus.ATTENDED else None
        booking.save(update_fields=["status", "attendance_marked_at", "hours", "updated_at"])
        record_activity(actor=actor, action=f"booking.{status}", target=booking, organisation=session.university)
        for hook in _ATTENDANCE_HOOKS:
            hook(booking)
        marked.append(booking)
    session.status = SessionStatus.COMPLETED
    session.save(update_fields=["status", "updated_at"])
    return marked


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
