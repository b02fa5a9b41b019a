"""A coordinator's pages for filling and running a session: the suggested volunteers and
inviting them, messaging everyone accepted, cancelling a booking, and marking attendance.

Sessions come from those of the universities where the user coordinates, and bookings from those
sessions, so another university's id gives 404. Every rule is in ``sessions_app.services`` and
``sessions_app.matching``; a SessionError is shown next to the form, with status 400 and nothing
changed. The suggestions show volunteers' experience, so each showing is recorded in the
ActivityLog (``volunteers.services.record_special_category_list_view``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from accounts.models import Membership, User
from accounts.permissions import RoleRequiredMixin, acting_user, organisations_with_role
from involvement.forms_views import FormT, ServiceFormView
from sessions_app import matching, services
from sessions_app.forms.bookings import (
    AttendanceForm,
    BookingCancelForm,
    InviteForm,
    MatchingFilterForm,
    MessageForm,
)
from sessions_app.models import Booking, TeachingSession
from sessions_app.services import SessionError
from volunteers.services import record_special_category_list_view

COORDINATOR = Membership.Role.COORDINATOR
SessionStatus = TeachingSession.Status


def coordinator_sessions(user: User) -> QuerySet[TeachingSession]:
    """Sessions of the universities where ``user`` coordinates."""
    return TeachingSession.objects.for_university(organisations_with_role(user, [COORDINATOR])).select_related(
        "module__programme__university"
    )


def coordinator_bookings(user: User) -> QuerySet[Booking]:
    """Bookings into those sessions."""
    return Booking.objects.filter(session__in=coordinator_sessions(user).values("pk")).select_related(
        "session__module__programme__university", "volunteer__user"
    )


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class SessionMixin(RoleRequiredMixin):
    """A page about one session: the coordinator role somewhere (403), then at its university (404)."""

    required_roles = (COORDINATOR,)
    kwargs: dict[str, Any]

    def get_session(self) -> TeachingSession:
        if not hasattr(self, "_session"):
            self._session = get_object_or_404(coordinator_sessions(acting_user(self.request)), pk=self.kwargs["pk"])
        return self._session

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # mixin over a View
        context["session"] = self.get_session()
        return context


# Suggestions and invitations -----------------------------------------------------------------------


def why_no_suggestions(session: TeachingSession) -> str | None:
    """Why nobody can be suggested for ``session`` now (None while it is open and ahead)."""
    if session.status == SessionStatus.CANCELLED:
        return "This session was cancelled, so nobody can be invited to it."
    if session.status == SessionStatus.COMPLETED:
        return "This session has taken place, so nobody can be invited to it."
    if session.status == SessionStatus.DRAFT:
        return "This session is still a draft. Open it from the session page, and suggestions will appear here."
    if session.starts_at <= timezone.now():
        return "This session has already started, so nobody can be invited to it now."
    return None


class MatchingView(SessionMixin, TemplateView):
    """The ranked suggestions for an open session ahead, each saying why, with a box to tick
    for each person to invite; filters for experience and perspective narrow the list."""

    template_name = "sessions_app/bookings/matching.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        filters = MatchingFilterForm(request.GET or None, session=self.get_session())
        status = 200
        if filters.is_bound and not filters.is_valid():
            messages.warning(request, "Some filters could not be used, so every suggestion is shown.")
            status = 400
        return self.render_matching(filters, InviteForm(session=self.get_session()), status=status)

    def render_matching(self, filters: MatchingFilterForm, invite: InviteForm, *, status: int) -> HttpResponse:
        session = self.get_session()
        closed = why_no_suggestions(session)
        suggestions: list[matching.Suggestion] = []
        if closed is None:
            tag_ids, perspective = filters.filters()
            suggestions = matching.suggest(session, tag_ids=tag_ids, perspective=perspective)
            record_special_category_list_view(
                profiles=[suggestion.volunteer for suggestion in suggestions],
                actor=acting_user(self.request),
                where="matching",
                organisation=session.university,
            )
        context = self.get_context_data(
            filters=filters,
            filtering=filters.is_bound,
            invite_form=invite,
            ticked=invite.ticked(),
            closed=closed,
            suggestions=suggestions,
            limit=matching.SUGGESTION_LIMIT,
            preferred_tags=list(session.preferred_tags.order_by("name").values_list("name", flat=True)),
            required_consents=list(session.required_consents.values_list("name", flat=True)),
        )
        return self.render_to_response(context, status=status)


class InviteView(MatchingView):
    """POST only: invite the ticked volunteers (emailing each a signed link)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        session = self.get_session()
        form = InviteForm(request.POST, session=session)
        if form.is_valid():
            try:
                bookings = services.invite_volunteers(
                    session=session, volunteers=form.cleaned_data["volunteers"], actor=acting_user(request)
                )
            except SessionError as error:
                form.add_error("volunteers", str(error))
            else:
                messages.success(request, f"Invited {plural(len(bookings), 'volunteer')}. We have emailed them.")
                return redirect(session)
        return self.render_matching(MatchingFilterForm(session=session), form, status=400)


# Messages to those accepted ----------------------------------------------------------------------


class SessionFormView(SessionMixin, ServiceFormView[FormT]):
    """A page with one form about a session; a SessionError is shown on the whole form (400).
    Success goes back to the session's page."""

    domain_error = SessionError

    def get_success_url(self) -> str:
        return self.get_session().get_absolute_url()


class MessageView(SessionFormView[MessageForm]):
    """Write to everyone accepted on the session; the messages sent before are listed below."""

    template_name = "sessions_app/bookings/message_form.html"
    form_class = MessageForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        session = context["session"]
        context["accepted_count"] = session.bookings.accepted().count()
        context["sent"] = list(session.messages.select_related("author").order_by("-created_at", "-pk"))
        return context

    def act(self, form: MessageForm) -> str:
        sent = services.message_accepted_volunteers(
            session=self.get_session(),
            actor=acting_user(self.request),
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["message"],
        )
        return f"Your message was sent to {plural(sent.recipients, 'volunteer')}."


# Attendance ---------------------------------------------------------------------------------------


class AttendanceView(SessionFormView[AttendanceForm]):
    """After the session: each accepted volunteer attended or did not, on one page, in one submit."""

    template_name = "sessions_app/bookings/attendance_form.html"
    form_class = AttendanceForm

    def waiting(self) -> list[Booking]:
        """The accepted bookings still to be marked, once the session has ended (before, none:
        the service then explains why attendance cannot be marked yet)."""
        session = self.get_session()
        if not hasattr(self, "_waiting"):
            self._waiting = (
                list(session.bookings.accepted().select_related("volunteer__user").order_by("volunteer__user__name"))
                if session.has_ended
                else []
            )
        return self._waiting

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"bookings": self.waiting()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["marked"] = list(
            context["session"]
            .bookings.filter(status__in=[Booking.Status.ATTENDED, Booking.Status.NO_SHOW])
            .select_related("volunteer__user")
            .order_by("volunteer__user__name")
        )
        return context

    def act(self, form: AttendanceForm) -> str:
        marked = services.mark_attendance(
            session=self.get_session(), actor=acting_user(self.request), outcomes=form.outcomes()
        )
        came = sum(1 for booking in marked if booking.status == Booking.Status.ATTENDED)
        return f"Attendance is saved: {came} attended, {len(marked) - came} did not attend."


# Cancelling a booking ----------------------------------------------------------------------------


class BookingCancelView(RoleRequiredMixin, TemplateView):
    """Confirm, with an optional reason, then cancel an invitation or a place; the volunteer is told."""

    required_roles = (COORDINATOR,)
    template_name = "sessions_app/bookings/booking_confirm_cancel.html"

    def get_booking(self) -> Booking:
        if not hasattr(self, "_booking"):
            self._booking = get_object_or_404(coordinator_bookings(acting_user(self.request)), pk=self.kwargs["pk"])
        return self._booking

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["booking"] = self.get_booking()
        context["session"] = context["booking"].session
        context.setdefault("form", BookingCancelForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        booking = self.get_booking()
        form = BookingCancelForm(request.POST)
        if form.is_valid():
            try:
                services.cancel_booking(booking=booking, actor=acting_user(request), reason=form.cleaned_data["reason"])
            except SessionError as error:
                form.add_error(None, str(error))
            else:
                name = booking.volunteer.display_name
                messages.success(request, f"{name}’s booking is cancelled. We have emailed {name} to let them know.")
                return redirect(reverse("sessions_app:session", kwargs={"pk": booking.session_id}))
        return self.render_to_response(self.get_context_data(form=form), status=400)
