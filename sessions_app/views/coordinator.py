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
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from accounts.permissions import acting_user
from sessions_app import permissions, selectors, services
from sessions_app.covered import what_is_covered
from sessions_app.forms.sessions import CancelForm, ConfirmForm, CopyForm, SessionForm
from sessions_app.models import Booking, TeachingSession
from sessions_app.views.base import CoordinatorFormView, CoordinatorMixin, CoordinatorSessionMixin
from volunteers.services import record_special_category_list_view

Status = TeachingSession.Status
BookingStatus = Booking.Status
PAGE_SIZE = 50
SHOWS = {"upcoming": "Upcoming", "past": "Past", "attention": "Needs attention"}
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# The list ------------------------------------------------------------------------------------------


class SessionListView(CoordinatorMixin, TemplateView):
    """Upcoming (soonest first), past (latest first) or needing attention, 50 to a page, in a
    fixed number of queries."""

    template_name = "sessions_app/sessions/session_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        show = self.request.GET.get("show", "upcoming")
        show = show if show in SHOWS else "upcoming"
        sessions = selectors.session_list(acting_user(self.request), show, timezone.now())
        page = Paginator(sessions, PAGE_SIZE).get_page(self.request.GET.get("page"))
        rows: list[TeachingSession] = list(page.object_list)
        if show == "attention":
            for session in rows:
                session.reasons = selectors.attention_reasons(session)  # type: ignore[attr-defined]  # for the template
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
        sessions = selectors.sessions_in_month(acting_user(self.request), first, following)
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

    def act(self, form: SessionForm) -> str:
        editing = self.current()
        self.saved = services.save_session(actor=acting_user(self.request), session=editing, **form.session_fields())
        if editing is None:
            return "The session is saved as a draft. Open it when you are ready to invite volunteers."
        return "Your changes are saved."

    def get_success_url(self) -> str:
        return reverse("sessions_app:session", kwargs={"pk": self.saved.pk})


class SessionEditView(CoordinatorSessionMixin, SessionCreateView):
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
    """What the coordinator can do with the session now, most likely first (by ``permissions``)."""

    def url(name: str) -> str:
        return reverse(f"sessions_app:{name}", kwargs={"pk": session.pk})

    actions = []
    if permissions.open_refusal(session, now) is None:
        actions.append(Action("Open", url("session_open"), "btn-primary"))
    if permissions.invitations_closed_reason(session, now) is None:
        actions.append(Action("Find volunteers", url("matching"), "btn-primary"))
    if session.status == Status.OPEN and permissions.attendance_refusal(session, now) is None and accepted:
        actions.append(Action("Mark attendance", url("attendance"), "btn-primary"))
    if permissions.can_message(session, accepted):
        actions.append(Action("Message accepted volunteers", url("message")))
    if permissions.edit_refusal(session, now) is None:
        actions.append(Action("Edit", url("session_edit")))
    actions.append(Action("Copy", url("session_copy")))
    if permissions.cancel_session_refusal(session, now) is None:
        actions.append(Action("Cancel", url("session_cancel")))
    return actions


class SessionDetailView(CoordinatorSessionMixin, TemplateView):
    """Everything about one session. Adjustments and topics to avoid are shown only as
    ``permissions.can_see_adjustments`` allows, and each showing is recorded in the audit trail."""

    template_name = "sessions_app/sessions/session_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        context = self.get_context_data(**kwargs)
        record_special_category_list_view(
            profiles=[booking.volunteer for booking in context["accepted"] if booking.show_adjustments],
            actor=acting_user(request),
            where="session",
            organisation=context["session"].university,
        )
        return self.render_to_response(context)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        session: TeachingSession = context["session"]
        viewer = acting_user(self.request)
        now = timezone.now()
        bookings = selectors.session_bookings(session)
        for booking in bookings:
            booking.session = session
            # For the template, which cannot call the rules itself.
            booking.show_adjustments = permissions.can_see_adjustments(viewer, booking)  # type: ignore[attr-defined]
            booking.can_cancel = permissions.can_cancel(booking, viewer)  # type: ignore[attr-defined]
            booking.can_reinvite = permissions.can_reinvite(booking)  # type: ignore[attr-defined]
        required = list(session.required_consents.all())
        lacking = selectors.missing_consents(session, bookings, required)
        for booking in bookings:
            booking.missing_consents = lacking.get(booking.pk, [])  # type: ignore[attr-defined]
        groups = [
            BookingGroup(status, label, [booking for booking in bookings if booking.status == status])
            for status, label in GROUP_LABELS.items()
        ]
        accepted = [booking for booking in bookings if booking.status == BookingStatus.ACCEPTED]
        context.update(
            groups=[group for group in groups if group.bookings],
            accepted=accepted,
            filled=sum(booking.status in {BookingStatus.ACCEPTED, BookingStatus.ATTENDED} for booking in bookings),
            actions=session_actions(session, len(accepted), now),
            preferred_tags=list(session.preferred_tags.select_related("network").order_by("network__name", "name")),
            required_consents=required,
            covered=what_is_covered(session),
            sent=selectors.messages_sent(session, bookings),
        )
        return context


# Copy, open, cancel --------------------------------------------------------------------------------


class SessionCopyView(CoordinatorSessionMixin, CoordinatorFormView[CopyForm]):
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


class SessionOpenView(CoordinatorSessionMixin, CoordinatorFormView[ConfirmForm]):
    template_name = "sessions_app/sessions/session_confirm_open.html"
    form_class = ConfirmForm

    def act(self, form: ConfirmForm) -> str:
        services.open_session(session=self.get_session(), actor=acting_user(self.request))
        return "The session is open. You can now invite volunteers."

    def get_success_url(self) -> str:
        return self.get_session().get_absolute_url()


class SessionCancelView(CoordinatorSessionMixin, CoordinatorFormView[CancelForm]):
    template_name = "sessions_app/sessions/session_confirm_cancel.html"
    form_class = CancelForm

    def act(self, form: CancelForm) -> str:
        services.cancel_session(
            session=self.get_session(), actor=acting_user(self.request), reason=form.cleaned_data["reason"]
        )
        return "The session is cancelled. We have emailed everyone invited or booked."

    def get_success_url(self) -> str:
        return self.get_session().get_absolute_url()
