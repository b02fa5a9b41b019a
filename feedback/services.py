"""Every change to feedback, wellbeing follow-ups and the impact log. Views, tasks and the hooks
``sessions_app`` calls (attendance marked, check-in answered) call these.

Emails go through the outbox (``queue_notification``), written in the same transaction as their
cause and delivered on commit. A follow-up's notes never reach an email or the audit trail's data.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, User
from feedback import permissions
from feedback.models import (
    Agreement,
    CoordinatorFeedback,
    FollowUpNote,
    ImpactEntry,
    StudentFeedbackLink,
    StudentResponse,
    VolunteerFeedback,
    WellbeingFollowUp,
    student_window_closes,
)
from feedback.selectors import follow_up_networks, leads_of
from involvement import formatting
from involvement.activity import record_activity
from involvement.errors import DomainError
from involvement.links import absolute_url
from involvement.models import ActivityLog
from involvement.notifications import queue_notification
from involvement.retention import in_batches
from sessions_app.clock import same_wall_time_days_before
from sessions_app.models import Booking, CheckIn, Module, TeachingSession
from sessions_app.services import session_context

BookingStatus = Booking.Status
FollowUpStatus = WellbeingFollowUp.Status
Source = WellbeingFollowUp.Source
HowItWent = VolunteerFeedback.HowItWent

VOLUNTEER_LINK_SALT = "feedback.volunteer-feedback"
# A feedback link works this long after the email carrying it (a reminder carries a fresh one).
LINK_VALID_DAYS = 30
# Unanswered feedback is reminded once, this many days after it was asked for, while its first
# link still works.
REMINDER_AFTER_DAYS = 7
REMINDER_BATCH = 200
TEXT_LIMIT = 2000
LEARNED_LIMIT = 1000
IMPACT_TEXT_LIMIT = 4000
ALREADY_ANSWERED_BY_BROWSER = "You have already answered from this browser. Thank you: one answer each is enough."


class FeedbackError(DomainError):
    """A rule about feedback, follow-ups or the impact log was broken; the message is safe to show."""


def _when(moment: datetime.datetime) -> str:
    return f"{formatting.day(moment)}"


def _check_length(text: str, limit: int, *, field: str, what: str) -> str:
    text = text.strip()
    if len(text) > limit:
        raise FeedbackError(f"Please shorten {what} to {limit:,} characters or fewer.", field=field)
    return text


# Asking for feedback when attendance is marked -----------------------------------------------------


def volunteer_feedback_token(feedback: VolunteerFeedback) -> str:
    return signing.dumps({"feedback": feedback.pk}, salt=VOLUNTEER_LINK_SALT, compress=True)


def volunteer_feedback_path(feedback: VolunteerFeedback) -> str:
    """The address of the feedback form for ``feedback`` (a fresh signed link)."""
    return reverse("feedback:volunteer_feedback", kwargs={"token": volunteer_feedback_token(feedback)})


def volunteer_feedback_from_token(token: str) -> VolunteerFeedback:
    """The request a volunteer's feedback link names. Raises FeedbackError when the link is tampered
    with, too old, or its request was withdrawn (attendance corrected to "did not attend")."""
    try:
        payload = signing.loads(token, salt=VOLUNTEER_LINK_SALT, max_age=datetime.timedelta(days=LINK_VALID_DAYS))
    except signing.SignatureExpired as error:
        raise FeedbackError(
            "This link has expired. If you would still like to tell us how it went, please contact the coordinator."
        ) from error
    except signing.BadSignature as error:
        raise FeedbackError("This link is not valid. Please check you copied all of it.") from error
    feedback = (
        VolunteerFeedback.objects.select_related(
            "booking__session__module__programme__university", "booking__volunteer__user"
        )
        .filter(pk=payload.get("feedback"), booking__volunteer__erased_at__isnull=True)
        .first()
    )
    if feedback is None:
        raise FeedbackError(
            "We no longer need feedback through this link: the coordinator may have changed the attendance record."
        )
    return feedback


def _queue_volunteer_request(feedback: VolunteerFeedback, *, reminder: bool) -> None:
    booking = feedback.booking
    volunteer = booking.volunteer
    queue_notification(
        template_key="feedback/volunteer_request",
        unique_key=f"feedback-{'reminder' if reminder else 'request'}:volunteer:{feedback.pk}",
        recipient=volunteer.user,
        context={
            **session_context(booking.session),
            "name": volunteer.display_name,
            "reminder": reminder,
            "feedback_url": absolute_url(volunteer_feedback_path(feedback)),
            "valid_until": _when(timezone.now() + datetime.timedelta(days=LINK_VALID_DAYS)),
        },
    )


def _queue_coordinator_request(feedback: CoordinatorFeedback, *, reminder: bool) -> None:
    session = feedback.session
    queue_notification(
        template_key="feedback/coordinator_request",
        unique_key=f"feedback-{'reminder' if reminder else 'request'}:coordinator:{feedback.pk}",
        recipient=session.owner,
        context={
            **session_context(session),
            "name": session.owner.get_full_name(),
            "reminder": reminder,
            "feedback_url": absolute_url(reverse("feedback:coordinator_feedback", kwargs={"pk": session.pk})),
        },
    )


def on_attendance_marked(booking: Booking) -> None:
    """The attendance hook (``sessions_app.services.register_attendance_hook``), called inside the
    marking's or correction's transaction with the booking's new status.

    Attended: the volunteer's feedback is asked for (once: idempotent per booking) and, the first
    time someone attended the session, the session's owner is asked for theirs. Did not attend: a
    request the volunteer has not answered is withdrawn (its link stops working), and so is the
    coordinator's when nobody attended after all. Answers already given are kept.
    """
    session = booking.session
    if booking.status == BookingStatus.ATTENDED:
        if booking.volunteer.is_erased:
            return
        feedback, created = VolunteerFeedback.objects.get_or_create(booking=booking)
        if created:
            feedback.booking = booking
            _queue_volunteer_request(feedback, reminder=False)
        coordinator, created = CoordinatorFeedback.objects.get_or_create(session=session)
        if created:
            coordinator.session = session
            _queue_coordinator_request(coordinator, reminder=False)
    elif booking.status == BookingStatus.NO_SHOW:
        VolunteerFeedback.objects.filter(booking=booking, answered_at__isnull=True).delete()
        if not Booking.objects.filter(session_id=booking.session_id, status=BookingStatus.ATTENDED).exists():
            CoordinatorFeedback.objects.filter(session_id=booking.session_id, answered_at__isnull=True).delete()


def _reminder_window(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """Requests asked for in (oldest, latest] are due a reminder at ``now``. ``latest`` is
    ``REMINDER_AFTER_DAYS`` back on the UK wall clock, not in 24-hour blocks: a request made at
    10:00 on the Saturday before the clocks go forward is reminded at 10:30 the next Saturday, not
    a day later (7 × 24 hours after 10:00 GMT is 11:00 BST). ``oldest`` stays in elapsed time, as
    the link's signature counts its age."""
    return (
        now - datetime.timedelta(days=LINK_VALID_DAYS),
        same_wall_time_days_before(now, REMINDER_AFTER_DAYS),
    )


def send_feedback_reminders(*, now: datetime.datetime | None = None, batch_size: int = REMINDER_BATCH) -> int:
    """Remind, once, each volunteer and coordinator who has not answered ``REMINDER_AFTER_DAYS``
    after being asked (and while their first link still works), ``batch_size`` rows at a time,
    each row in its own short transaction. Safe to run twice or at once: ``reminded_at`` is set
    under the row's lock and the outbox key is unique. Returns how many reminders were queued."""
    now = now or timezone.now()
    oldest, latest = _reminder_window(now)
    queued = 0
    last = 0
    volunteers = VolunteerFeedback.objects.filter(
        answered_at__isnull=True,
        reminded_at__isnull=True,
        requested_at__gt=oldest,
        requested_at__lte=latest,
        booking__status=BookingStatus.ATTENDED,
        booking__volunteer__erased_at__isnull=True,
    )
    while ids := list(volunteers.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size]):
        last = ids[-1]
        for pk in ids:
            with transaction.atomic():
                feedback = (
                    volunteers.select_for_update(of=("self",))
                    .select_related("booking__session__module__programme__university", "booking__volunteer__user")
                    .filter(pk=pk)
                    .first()
                )
                if feedback is None:
                    continue
                feedback.reminded_at = now
                feedback.save(update_fields=["reminded_at", "updated_at"])
                _queue_volunteer_request(feedback, reminder=True)
                queued += 1
    last = 0
    coordinators = CoordinatorFeedback.objects.filter(
        answered_at__isnull=True, reminded_at__isnull=True, requested_at__gt=oldest, requested_at__lte=latest
    )
    while ids := list(coordinators.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size]):
        last = ids[-1]
        for pk in ids:
            with transaction.atomic():
                coordinator = (
                    coordinators.select_for_update(of=("self",))
                    .select_related("session__module__programme__university", "session__owner")
                    .filter(pk=pk)
                    .first()
                )
                if coordinator is None:
                    continue
                coordinator.reminded_at = now
                coordinator.save(update_fields=["reminded_at", "updated_at"])
                _queue_coordinator_request(coordinator, reminder=True)
                queued += 1
    return queued


# Answers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolunteerAnswer:
    feedback: VolunteerFeedback
    follow_ups: list[WellbeingFollowUp]


@transaction.atomic
def answer_volunteer_feedback(
    *,
    feedback: VolunteerFeedback,
    actor: User | None,
    how_it_went: str,
    felt_prepared: str,
    felt_supported: str,
    to_change: str,
    wants_contact: bool,
) -> VolunteerAnswer:
    """Record the volunteer's answer, once. "I found it hard" or asking to be contacted raises a
    wellbeing follow-up for the leads of each of their networks partnered with the university
    (``raise_follow_up``), who are emailed. Records ``feedback.volunteer_answered`` (no answers in
    the log). Raises FeedbackError for a second answer or a choice that is not offered."""
    feedback = (
        VolunteerFeedback.objects.select_for_update(of=("self",))
        .select_related("booking__session__module__programme__university", "booking__volunteer__user")
        .get(pk=feedback.pk)
    )
    refusal = permissions.volunteer_answer_refusal(feedback)
    if refusal:
        raise FeedbackError(refusal)
    agreements = set(Agreement.values)
    if how_it_went not in HowItWent.values:
        raise FeedbackError("Please choose how the session went for you.", field="how_it_went")
    if felt_prepared not in agreements:
        raise FeedbackError("Please choose whether you felt prepared.", field="felt_prepared")
    if felt_supported not in agreements:
        raise FeedbackError("Please choose whether you felt supported.", field="felt_supported")
    feedback.how_it_went = how_it_went
    feedback.felt_prepared = felt_prepared
    feedback.felt_supported = felt_supported
    feedback.to_change = _check_length(to_change, TEXT_LIMIT, field="to_change", what="what you would change")
    feedback.wants_contact = wants_contact
    feedback.answered_at = timezone.now()
    feedback.save(
        update_fields=[
            "how_it_went",
            "felt_prepared",
            "felt_supported",
            "to_change",
            "wants_contact",
            "answered_at",
            "updated_at",
        ]
    )
    booking = feedback.booking
    record_activity(
        actor=actor,
        action="feedback.volunteer_answered",
        target=feedback,
        organisation=booking.session.university,
        data={"booking": booking.pk},
    )
    follow_ups: list[WellbeingFollowUp] = []
    if how_it_went == HowItWent.HARD or wants_contact:
        follow_ups = raise_follow_up(
            booking=booking,
            source=Source.FEEDBACK,
            found_it_hard=how_it_went == HowItWent.HARD,
            asked_for_contact=wants_contact,
        )
    return VolunteerAnswer(feedback=feedback, follow_ups=follow_ups)


@transaction.atomic
def answer_coordinator_feedback(
    *, session: TeachingSession, actor: User, rating: int, contribution: str, students_took: str
) -> CoordinatorFeedback:
    """Record (or change) the coordinators' view of the volunteers' contribution: a rating from 1
    to 5 and their words. The first answer's time is kept; ``answered_by`` is the latest to answer.
    Records ``feedback.coordinator_answered``."""
    coordinator = (
        CoordinatorFeedback.objects.select_for_update(of=("self",))
        .select_related("session__module__programme__university")
        .filter(session=session)
        .first()
    )
    refusal = permissions.coordinator_answer_refusal(session, actor, requested=coordinator is not None)
    if refusal or coordinator is None:
        raise FeedbackError(refusal or "")
    if not (isinstance(rating, int) and 1 <= rating <= 5):
        raise FeedbackError("Please choose a rating from 1 to 5.", field="rating")
    coordinator.rating = rating
    coordinator.contribution = _check_length(
        contribution, TEXT_LIMIT, field="contribution", what="how the contribution went"
    )
    coordinator.students_took = _check_length(
        students_took, TEXT_LIMIT, field="students_took", what="what students took from it"
    )
    coordinator.answered_at = coordinator.answered_at or timezone.now()
    coordinator.answered_by = actor
    coordinator.save(
        update_fields=["rating", "contribution", "students_took", "answered_at", "answered_by", "updated_at"]
    )
    record_activity(
        actor=actor,
        action="feedback.coordinator_answered",
        target=coordinator,
        organisation=coordinator.session.university,
    )
    return coordinator


# Students ---------------------------------------------------------------------------------------


@transaction.atomic
def open_student_link(*, session: TeachingSession, actor: User) -> StudentFeedbackLink:
    """The session's anonymous student link, made the first time (idempotent). It opens when the
    session starts and closes ``FEEDBACK_STUDENT_DAYS`` after it ends. Records
    ``feedback.student_link_made``."""
    session = (
        TeachingSession.objects.select_for_update(of=("self",))
        .select_related("module__programme__university")
        .get(pk=session.pk)
    )
    refusal = permissions.student_link_refusal(session, actor)
    if refusal:
        raise FeedbackError(refusal)
    link = StudentFeedbackLink.objects.filter(session=session).first()
    if link is not None:
        return link
    link = StudentFeedbackLink.objects.create(
        session=session, token=secrets.token_urlsafe(12), closes_at=student_window_closes(session)
    )
    record_activity(actor=actor, action="feedback.student_link_made", target=link, organisation=session.university)
    return link


def browser_hash(browser_key: str) -> str:
    """What is kept of a student's browser key: its SHA-256, never the key."""
    return hashlib.sha256(browser_key.encode()).hexdigest()


def has_answered(link: StudentFeedbackLink, browser_key: str | None) -> bool:
    return bool(browser_key) and (
        StudentResponse.objects.filter(session_id=link.session_id, browser=browser_hash(browser_key or "")).exists()
    )


@transaction.atomic
def submit_student_response(
    *, link: StudentFeedbackLink, browser_key: str, learned: str, change_practice: str, rating: int
) -> StudentResponse:
    """One student's anonymous answer, while the link is open, once per browser (``browser_key`` is
    the random key in their browser's cookie; only its hash is kept). Raises FeedbackError for a
    form that is not open, a second answer from the same browser, or answers that are not offered."""
    link = StudentFeedbackLink.objects.select_related("session").get(pk=link.pk)
    refusal = permissions.student_answer_refusal(link)
    if refusal:
        raise FeedbackError(refusal)
    if len(browser_key) < 20:
        raise FeedbackError("Your browser did not keep the form's cookie. Please allow cookies for this site.")
    learned = _check_length(learned, LEARNED_LIMIT, field="learned", what="what you learned")
    if not learned:
        raise FeedbackError("Please tell us what you learned.", field="learned")
    if change_practice not in StudentResponse.ChangePractice.values:
        raise FeedbackError("Please choose yes, maybe or no.", field="change_practice")
    if not (isinstance(rating, int) and 1 <= rating <= 5):
        raise FeedbackError("Please choose a rating from 1 to 5.", field="rating")
    browser = browser_hash(browser_key)
    if StudentResponse.objects.filter(session_id=link.session_id, browser=browser).exists():
        raise FeedbackError(ALREADY_ANSWERED_BY_BROWSER)
    try:
        with transaction.atomic():
            return StudentResponse.objects.create(
                session_id=link.session_id,
                learned=learned,
                change_practice=change_practice,
                rating=rating,
                browser=browser,
            )
    except IntegrityError as error:  # the same browser, twice at once
        raise FeedbackError(ALREADY_ANSWERED_BY_BROWSER) from error


@transaction.atomic
def choose_student_comment(*, response: StudentResponse, actor: User, chosen: bool) -> StudentResponse:
    """Share a student's comment with the session's volunteers (and reports), or stop sharing it.
    Records ``feedback.comment_shared`` or ``feedback.comment_unshared``."""
    response = (
        StudentResponse.objects.select_for_update(of=("self",))
        .select_related("session__module__programme__university")
        .get(pk=response.pk)
    )
    if not permissions.can_choose_comments(actor, response.session):
        raise FeedbackError("Only a coordinator of the university can choose which comments to share.")
    if response.chosen != chosen:
        response.chosen = chosen
        response.save(update_fields=["chosen"])
        record_activity(
            actor=actor,
            action="feedback.comment_shared" if chosen else "feedback.comment_unshared",
            target=response,
            organisation=response.session.university,
        )
    return response


# Wellbeing follow-ups -----------------------------------------------------------------------------


def set_follow_up_status(
    follow_up: WellbeingFollowUp,
    status: str,
    *,
    actor: User | None,
    action: str = "",
    data: dict[str, Any] | None = None,
) -> ActivityLog:
    """The one writer of ``WellbeingFollowUp.status``; the caller holds the row's lock.

    Raises FeedbackError for a change outside ``permissions.FOLLOW_UP_TRANSITIONS``. Records
    ``action`` (by default ``follow_up.<status>``) with the statuses before and after, and returns
    that row.
    """
    refusal = permissions.follow_up_status_refusal(follow_up, status)
    if refusal:
        raise FeedbackError(refusal, field="status")
    previous = follow_up.status
    follow_up.status = status
    fields = ["status", "updated_at"]
    now = timezone.now()
    if status == FollowUpStatus.CONTACTED:
        follow_up.contacted_at = now
        fields.append("contacted_at")
    elif status == FollowUpStatus.CLOSED:
        follow_up.closed_at = now
        fields.append("closed_at")
    else:
        follow_up.closed_at = None
        fields.append("closed_at")
    follow_up.save(update_fields=fields)
    return record_activity(
        actor=actor,
        action=action or f"follow_up.{status}",
        target=follow_up,
        organisation=follow_up.network,
        data={"from": previous, "to": status, **(data or {})},
    )


def _tell_leads(follow_up: WellbeingFollowUp, booking: Booking, event: int) -> None:
    """Email the network's leads that the volunteer may need support (the reason, never notes)."""
    volunteer = booking.volunteer
    reason = (
        "would like someone to contact them" if follow_up.asked_for_contact else "told us the session was hard for them"
    )
    url = absolute_url(reverse("feedback:follow_up", kwargs={"slug": follow_up.network.slug, "pk": follow_up.pk}))
    for lead in leads_of(follow_up.network):
        queue_notification(
            template_key="feedback/follow_up_raised",
            unique_key=f"follow-up:{follow_up.pk}:{event}:lead:{lead.pk}",
            recipient=lead,
            about=volunteer.user,
            context={
                **session_context(booking.session),
                "volunteer": volunteer.display_name,
                "reason": reason,
                "network": follow_up.network.name,
                "follow_up_url": url,
            },
        )


def raise_follow_up(
    *, booking: Booking, source: str, found_it_hard: bool = False, asked_for_contact: bool = False
) -> list[WellbeingFollowUp]:
    """A follow-up for the leads of each network the volunteer belongs to (active or paused) that
    partners the session's university, in the caller's transaction: one per booking and network.
    A new one is open; asked again about a closed one, it is opened again; an open one gains the
    new reason. Records ``follow_up.opened`` or ``follow_up.reopened`` (the source, never why).

    The leads are emailed about a new or reopened follow-up raised by feedback; the check-in's
    "I'd like a call" already emails them (``sessions_app``), so it adds no second email."""
    if booking.volunteer.is_erased:
        return []
    raised = []
    for network in follow_up_networks(booking):
        follow_up, created = WellbeingFollowUp.objects.get_or_create(
            booking=booking,
            network=network,
            defaults={
                "volunteer_id": booking.volunteer_id,
                "source": source,
                "found_it_hard": found_it_hard,
                "asked_for_contact": asked_for_contact,
            },
        )
        follow_up = (
            WellbeingFollowUp.objects.select_for_update(of=("self",)).select_related("network").get(pk=follow_up.pk)
        )
        event = None
        if created:
            event = record_activity(
                actor=None,
                action="follow_up.opened",
                target=follow_up,
                organisation=network,
                data={"source": source, "booking": booking.pk},
            ).pk
        else:
            follow_up.found_it_hard = follow_up.found_it_hard or found_it_hard
            follow_up.asked_for_contact = follow_up.asked_for_contact or asked_for_contact
            follow_up.save(update_fields=["found_it_hard", "asked_for_contact", "updated_at"])
            if follow_up.status == FollowUpStatus.CLOSED:
                event = set_follow_up_status(
                    follow_up, FollowUpStatus.OPEN, actor=None, action="follow_up.reopened", data={"source": source}
                ).pk
        if event is not None and source == Source.FEEDBACK:
            _tell_leads(follow_up, booking, event)
        raised.append(follow_up)
    return raised


def on_check_in_answered(check_in: CheckIn) -> None:
    """The check-in hook (``sessions_app.services.register_check_in_hook``): "I'd like a call"
    raises a follow-up for the volunteer's leads."""
    if check_in.answer == CheckIn.Answer.CALL:
        raise_follow_up(booking=check_in.booking, source=Source.CHECK_IN, asked_for_contact=True)


@transaction.atomic
def change_follow_up_status(*, follow_up: WellbeingFollowUp, actor: User, status: str) -> WellbeingFollowUp:
    """A lead of the follow-up's network marks it contacted, closed, or open again."""
    follow_up = WellbeingFollowUp.objects.select_for_update(of=("self",)).select_related("network").get(pk=follow_up.pk)
    refusal = permissions.follow_up_change_refusal(follow_up, actor, status)
    if refusal:
        raise FeedbackError(refusal, field="status")
    set_follow_up_status(follow_up, status, actor=actor)
    return follow_up


@transaction.atomic
def add_follow_up_note(*, follow_up: WellbeingFollowUp, actor: User, text: str) -> FollowUpNote:
    """A dated note by a lead of the follow-up's network. Records ``follow_up.note_added`` with the
    note's id: the text is special-category data and never goes into the log."""
    follow_up = (
        WellbeingFollowUp.objects.select_for_update(of=("self",))
        .select_related("network", "volunteer")
        .get(pk=follow_up.pk)
    )
    refusal = permissions.note_refusal(follow_up, actor)
    if refusal:
        raise FeedbackError(refusal)
    text = _check_length(text, TEXT_LIMIT, field="text", what="the note")
    if not text:
        raise FeedbackError("Please write the note.", field="text")
    note = FollowUpNote.objects.create(follow_up=follow_up, author=actor, text=text)
    record_activity(
        actor=actor,
        action="follow_up.note_added",
        target=follow_up,
        organisation=follow_up.network,
        data={"note": note.pk},
    )
    return note


# The impact log -----------------------------------------------------------------------------------


@transaction.atomic
def save_impact_entry(
    *,
    actor: User,
    university: Organisation,
    modules: list[Module],
    sessions: list[TeachingSession],
    title: str,
    what_changed: str,
    area: str,
    changed_on: datetime.date,
    entry: ImpactEntry | None = None,
) -> ImpactEntry:
    """Record, or change, what ``university`` changed because of involvement, linked to its own
    modules and sessions. Records ``impact.created`` or ``impact.changed``."""
    if entry is not None:
        entry = ImpactEntry.objects.select_for_update().select_related("university").get(pk=entry.pk)
        university = entry.university
    refusal = permissions.impact_refusal(actor, university, modules, sessions)
    if refusal:
        raise FeedbackError(refusal, field="sessions" if "sessions" in refusal else "modules")
    title = _check_length(title, 200, field="title", what="the title")
    if not title:
        raise FeedbackError("Please give the change a short title.", field="title")
    what_changed = _check_length(what_changed, IMPACT_TEXT_LIMIT, field="what_changed", what="what changed")
    if not what_changed:
        raise FeedbackError("Please say what changed.", field="what_changed")
    if area not in ImpactEntry.Area.values:
        raise FeedbackError("Please choose what changed.", field="area")
    if changed_on > timezone.localdate():
        raise FeedbackError("Please give the day it changed: today or earlier.", field="changed_on")
    created = entry is None
    entry = entry or ImpactEntry(university=university, recorded_by=actor)
    entry.title, entry.what_changed, entry.area, entry.changed_on = title, what_changed, area, changed_on
    entry.save()
    entry.modules.set(modules)
    entry.sessions.set(sessions)
    record_activity(
        actor=actor, action="impact.created" if created else "impact.changed", target=entry, organisation=university
    )
    return entry


# Retention ---------------------------------------------------------------------------------------


def delete_old_follow_up_notes(*, now: datetime.datetime | None = None, batch_size: int | None = None) -> int:
    """The retention rule for wellbeing notes: the notes on a follow-up closed more than
    ``RETENTION_FOLLOW_UP_NOTE_DAYS`` ago are deleted. The follow-up itself stays (who, which
    session, why it was raised, when contacted and closed: the counts), and so does every note on
    a follow-up still open or reopened. In batches of notes; returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.RETENTION_FOLLOW_UP_NOTE_DAYS)
    old = FollowUpNote.objects.filter(follow_up__status=FollowUpStatus.CLOSED, follow_up__closed_at__lt=cutoff)

    def delete(ids: list[int]) -> None:
        FollowUpNote.objects.filter(pk__in=ids).delete()

    return in_batches(old, delete, batch_size=batch_size)
