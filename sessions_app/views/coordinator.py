"""A coordinator's teaching sessions: the list (upcoming, past, needs attention), the month
calendar, the session page, and creating, changing, copying, opening and cancelling sessions.

Every page needs the coordinator role somewhere (else 403); every session comes through
``TeachingSession.objects.for_university`` of the universities where the user coordinates, so
another university's session is 404. The writes go through ``sessions_app.services``.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from accounts.models import Membership
from accounts.permissions import RoleRequiredMixin, acting_user, organisations_with_role
from involvement.forms_views import FormT, ServiceFormView
from sessions_app import services
from sessions_app.forms.sessions import CancelForm, ConfirmForm, CopyForm, SessionForm
from sessions_app.models import Booking, TeachingSession, TeachingSessionQuerySet
from sessions_app.services import SessionError
from volunteers.services import record_special_category_list_view

COORDINATOR = Membership.Role.COORDINATOR
Status = TeachingSession.Status
BookingStatus = Booking.Status
PAGE_SIZE = 50
SHOWS = {"upcoming": "Upcoming", "past": "Past", "attention": "Needs attention"}
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class CoordinatorMixin(RoleRequiredMixin):
    """The coordinator role somewhere (else 403); objects from the universities where it is held."""

    required_roles = (COORDINATOR,)
    kwargs: dict[str, Any]

    def universities(self) -> list[int]:
        return organisations_with_role(acting_user(self.request), [COORDINATOR])

    def sessions(self) -> TeachingSessionQuerySet:
        return TeachingSession.objects.for_university(self.universities())


class CoordinatorFormView(CoordinatorMixin, ServiceFormView[FormT]):
    """A coordinator's page with one form; a SessionError is shown on the form (400)."""

    domain_error = SessionError


class SessionMixin(CoordinatorMixin):
    """A page about one session of the coordinator's universities (another's: 404)."""

    def get_session(self) -> TeachingSession:
        if not hasattr(self, "_session"):
            self._session = get_object_or_404(
                self.sessions().select_related("module__programme__university", "owner"), pk=self.kwargs["pk"]
            )
        return self._session

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # mixin over a View
        context["session"] = self.get_session()
        return context


# The list ------------------------------------------------------------------------------------------


def needing_attention(sessions: TeachingSessionQuerySet, now: datetime.datetime) -> TeachingSessionQuerySet:
    """Open sessions to come with places to fill, sessions with invitations waiting for an answer,
    and sessions that have ended with accepted volunteers whose attendance is not marked.
    ``sessions`` must carry ``with_booking_counts``."""
    unfilled = Q(starts_at__gte=now, accepted_count__lt=F("places"))
    unanswered = Q(invited_count__gt=0)
    unmarked = Q(ends_at__lte=now, accepted_count__gt=0)
    return sessions.filter(Q(status=Status.OPEN) & (unfilled | unanswered | unmarked))


def attention_reasons(session: TeachingSession, now: datetime.datetime) -> list[str]:
    """What needs doing, in words, for a session of ``needing_attention``."""
    reasons = []
    if session.starts_at >= now and session.accepted_count < session.places:  # type: ignore[attr-defined]  # annotated
        reasons.append("Places to fill")
    if session.invited_count:  # type: ignore[attr-defined]  # annotated
        reasons.append("Invitations waiting for an answer")
    if session.ends_at <= now and session.accepted_count:  # type: ignore[attr-defined]  # annotated
        reasons.append("Attendance to mark")
    return reasons


class SessionListView(CoordinatorMixin, TemplateView):
    """Upcoming (soonest first), past (latest first) or needing attention, 50 to a page, in a
    fixed number of queries."""

    template_name = "sessions_app/sessions/session_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        show = self.request.GET.get("show", "upcoming")
        show = show if show in SHOWS else "upcoming"
        now = timezone.now()
        sessions = self.sessions().with_booking_counts().select_related("module")
        if show == "upcoming":
            sessions = sessions.upcoming().order_by("starts_at", "pk")
        elif show == "past":
            sessions = sessions.past().order_by("-starts_at", "-pk")
        else:
            sessions = needing_attention(sessions, now).order_by("starts_at", "pk")
        page = Paginator(sessions, PAGE_SIZE).get_page(self.request.GET.get("page"))
        rows: list[TeachingSession] = list(page.object_list)
        if show == "attention":
            for session in rows:
                session.reasons = attention_reasons(session, now)  # type: ignore[attr-defined]  # for the template
        context.update(show=show, shows=SHOWS, heading=SHOWS[show], page_obj=page, sessions=rows)
        return context


# The month -----------------------------------------------------------------------------------------


def parse_month(value: str) -> datetime.date | None:
    """The first day of a month written 2026-11 (years 1900 to 2999), or None."""
    match = MONTH.match(value)
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1900 <= year <= 2999 and 1 <= month <= 12):
        return None
    return datetime.date(year, month, 1)


def month_param(day: datetime.date) -> str:
    return f"{day:%Y-%m}"


@dataclass(frozen=True)
class Day:
    date: datetime.date
    in_month: bool
    is_today: bool
    sessions: list[TeachingSession]


class MonthView(CoordinatorMixin, TemplateView):
    """A month of the coordinator's sessions as a grid of weeks, Monday first, in two queries."""

    template_name = "sessions_app/sessions/month.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        today = timezone.localdate()
        first = today.replace(day=1)
        asked = request.GET.get("month")
        if asked:
            parsed = parse_month(asked)
            if parsed is None:
                messages.warning(request, "We could not read that month, so here is this month.")
            else:
                first = parsed
        return self.render_to_response(self.get_context_data(first=first, today=today))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        first: datetime.date = context["first"]
        today: datetime.date = context["today"]
        following = first + relativedelta(months=1)
        previous = first - relativedelta(months=1)
        sessions = (
            self.sessions()
            .filter(
                starts_at__gte=timezone.make_aware(datetime.datetime.combine(first, datetime.time())),
                starts_at__lt=timezone.make_aware(datetime.datetime.combine(following, datetime.time())),
            )
            .order_by("starts_at", "pk")
        )
        by_day: dict[datetime.date, list[TeachingSession]] = {}
        for session in sessions:
            by_day.setdefault(timezone.localdate(session.starts_at), []).append(session)
        weeks = [
            [
                Day(
                    day, day.month == first.month, day == today, by_day.get(day, []) if day.month == first.month else []
                )
                for day in week
            ]
            for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        ]
        context.update(
            weeks=weeks,
            weekdays=WEEKDAYS,
            previous=previous,
            following=following,
            previous_param=month_param(previous),
            following_param=month_param(following),
            session_count=sum(len(day_sessions) for day_sessions in by_day.values()),
        )
        return context


# Creating and changing -----------------------------------------------------------------------------


class SessionCreateView(CoordinatorFormView[SessionForm]):
    template_name = "sessions_app/sessions/session_form.html"
    form_class = SessionForm
    saved: TeachingSession

    def current(self) -> TeachingSession | None:
        return None

    def get_form_kwargs(self) -> dict[str, Any]:
        session = self.current()
        if session is None:
            initial = {"owner": acting_user(self.request), "places": 1}
        else:
            initial = SessionForm.initial_for(session)
        return {"initial": initial, "universities": self.universities()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["editing"] = self.current()
        return context

    def error_field(self, form: SessionForm, error: Exception) -> str | None:
        # The form has checked every field but one: places below the volunteers already booked.
        session = self.current()
        if session is not None and form.cleaned_data["places"] < session.bookings.holding_a_place().count():
            return "places"
        return None

    def act(self, form: SessionForm) -> str:
        editing = self.current()
        self.saved = services.save_session(actor=acting_user(self.request), session=editing, **form.session_fields())
        if editing is None:
            return "The session is saved as a draft. Open it when you are ready to invite volunteers."
        return "Your changes are saved."

    def get_success_url(self) -> str:
        return reverse("sessions_app:session", kwargs={"pk": self.saved.pk})


class SessionEditView(SessionMixin, SessionCreateView):
    def current(self) -> TeachingSession | None:
        return self.get_session()


# The session page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    label: str
    url: str
    style: str = "btn-outline-primary"


@dataclass(frozen=True)
class BookingGroup:
    status: str
    label: str
    bookings: list[Booking]


GROUP_LABELS = {
    BookingStatus.INVITED: "Invited, waiting for an answer",
    BookingStatus.ACCEPTED: "Accepted",
    BookingStatus.DECLINED: "Declined",
    BookingStatus.EXPIRED: "Invitation expired",
    BookingStatus.CANCELLED: "Cancelled",
    BookingStatus.ATTENDED: "Attended",
    BookingStatus.NO_SHOW: "Did not attend",
}


def session_actions(session: TeachingSession, accepted: int, now: datetime.datetime) -> list[Action]:
    """What the coordinator can do with the session now, most likely first."""

    def url(name: str) -> str:
        return reverse(f"sessions_app:{name}", kwargs={"pk": session.pk})

    copy = Action("Copy", url("session_copy"))
    if session.status == Status.DRAFT:
        opening = [Action("Open", url("session_open"), "btn-primary")] if session.starts_at > now else []
        return [*opening, Action("Edit", url("session_edit")), copy, Action("Cancel", url("session_cancel"))]
    if session.status == Status.OPEN and session.ends_at <= now:
        marking = [Action("Mark attendance", url("attendance"), "btn-primary")] if accepted else []
        return [*marking, copy]
    if session.status == Status.OPEN:
        finding = [Action("Find volunteers", url("matching"), "btn-primary")] if session.starts_at > now else []
        messaging = [Action("Message accepted volunteers", url("message"))] if accepted else []
        return [
            *finding,
            *messaging,
            Action("Edit", url("session_edit")),
            copy,
            Action("Cancel", url("session_cancel")),
        ]
    return [copy]


class SessionDetailView(SessionMixin, TemplateView):
    """Everything about one session. Adjustments and topics to avoid are shown for accepted
    volunteers only, and each showing is recorded in the audit trail."""

    template_name = "sessions_app/sessions/session_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        context = self.get_context_data(**kwargs)
        record_special_category_list_view(
            profiles=[booking.volunteer for booking in context["accepted"]],
            actor=acting_user(request),
            where="session",
            organisation=context["session"].university,
        )
        return self.render_to_response(context)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        session: TeachingSession = context["session"]
        now = timezone.now()
        bookings = list(
            session.bookings.select_related("volunteer__user", "claim").order_by("volunteer__user__name", "pk")
        )
        groups = [
            BookingGroup(status, label, [booking for booking in bookings if booking.status == status])
            for status, label in GROUP_LABELS.items()
        ]
        accepted = [booking for booking in bookings if booking.status == BookingStatus.ACCEPTED]
        context.update(
            groups=[group for group in groups if group.bookings],
            accepted=accepted,
            filled=sum(booking.status in {BookingStatus.ACCEPTED, BookingStatus.ATTENDED} for booking in bookings),
            can_cancel_bookings=session.starts_at > now and session.status == Status.OPEN,
            actions=session_actions(session, len(accepted), now),
            preferred_tags=list(session.preferred_tags.select_related("network").order_by("network__name", "name")),
            required_consents=list(session.required_consents.all()),
            sent=list(session.messages.select_related("author")),
        )
        return context


# Copy, open, cancel --------------------------------------------------------------------------------


class SessionCopyView(SessionMixin, CoordinatorFormView[CopyForm]):
    template_name = "sessions_app/sessions/session_copy.html"
    form_class = CopyForm
    copy: TeachingSession

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"initial": CopyForm.initial_for(self.get_session())}

    def act(self, form: CopyForm) -> str:
        self.copy = services.copy_session(
            session=self.get_session(),
            actor=acting_user(self.request),
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
        )
        return "The copy is saved as a draft. Check the details, then open it."

    def get_success_url(self) -> str:
        return self.copy.get_absolute_url()


class SessionOpenView(SessionMixin, CoordinatorFormView[ConfirmForm]):
    template_name = "sessions_app/sessions/session_confirm_open.html"
    form_class = ConfirmForm

    def act(self, form: ConfirmForm) -> str:
        services.open_session(session=self.get_session(), actor=acting_user(self.request))
        return "The session is open. You can now invite volunteers."

    def get_success_url(self) -> str:
        return self.get_session().get_absolute_url()


class SessionCancelView(SessionMixin, CoordinatorFormView[CancelForm]):
    template_name = "sessions_app/sessions/session_confirm_cancel.html"
    form_class = CancelForm

    def act(self, form: CancelForm) -> str:
        services.cancel_session(
            session=self.get_session(), actor=acting_user(self.request), reason=form.cleaned_data["reason"]
        )
        return "The session is cancelled. We have emailed everyone invited or booked."

    def get_success_url(self) -> str:
        return self.get_session().get_absolute_url()
