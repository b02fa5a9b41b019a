"""A coordinator's pages for filling and running a session: the suggested volunteers and
inviting them (or someone found by name), inviting again, messaging everyone accepted,
cancelling a booking, and marking and correcting attendance.

Sessions come from those of the universities where the user coordinates, and bookings from those
sessions, so another university's id gives 404. Every rule is in ``sessions_app.permissions``,
``sessions_app.services`` and ``sessions_app.matching``; a SessionError is shown next to the form,
with status 400 and nothing changed. The suggestions show volunteers' experience, so each showing
is recorded in the ActivityLog (``volunteers.services.record_special_category_list_view``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.permissions import acting_user
from sessions_app import matching, permissions, selectors, services
from sessions_app.forms.bookings import (
    AttendanceCorrectionForm,
    AttendanceForm,
    CoordinatorCancelForm,
    InviteForm,
    MatchingFilterForm,
    MessageForm,
    ReinviteForm,
)
from sessions_app.models import Booking, TeachingSession
from sessions_app.services import SessionError
from sessions_app.views.base import CoordinatorMixin, CoordinatorSessionMixin, SessionFormView
from volunteers.services import record_special_category_list_view


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# Suggestions and invitations -----------------------------------------------------------------------


class MatchingView(CoordinatorSessionMixin, TemplateView):
    """The ranked suggestions for an open session ahead, each saying why, with a box to tick
    for each person to invite; filters for experience and perspective narrow the list. Below,
    a search by name finds someone not suggested, saying what the invitation would go beyond."""

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
        closed = permissions.invitations_closed_reason(session)
        suggestions: list[matching.Suggestion] = []
        found: list[matching.Unsuggested] = []
        name = filters.searched_name() if filters.is_bound else ""
        if closed is None:
            tag_ids, perspective = filters.filters()
            suggestions = matching.suggest(session, tag_ids=tag_ids, perspective=perspective)
            record_special_category_list_view(
                profiles=[suggestion.volunteer for suggestion in suggestions],
                actor=acting_user(self.request),
                where="matching",
                organisation=session.university,
            )
            found = matching.find_by_name(session, name)
        context = self.get_context_data(
            filters=filters,
            filtering=filters.is_bound and filters.has_filters(),
            searched=name,
            found=found,
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
    """POST only: invite the ticked volunteers (emailing each a signed link). A refusal shows the
    suggestions again with the reason above the list, and the same boxes ticked."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        session = self.get_session()
        form = InviteForm(request.POST, session=session)
        if form.is_valid():
            try:
                bookings = services.invite_volunteers(
                    session=session,
                    volunteers=form.cleaned_data["volunteers"],
                    actor=acting_user(request),
                    agreed_with_volunteer=form.cleaned_data["agreed_with_volunteer"],
                )
            except SessionError as error:
                form.add_error(error.field if error.field in form.fields else "volunteers", str(error))
            else:
                messages.success(request, f"Invited {plural(len(bookings), 'volunteer')}. We have emailed them.")
                return redirect(session)
        return self.render_matching(MatchingFilterForm(session=session), form, status=400)


class BookingMixin(CoordinatorMixin):
    """A page about one booking of a session of the coordinator's universities (another's: 404)."""

    def get_booking(self) -> Booking:
        if not hasattr(self, "_booking"):
            self._booking = get_object_or_404(
                selectors.coordinator_bookings(acting_user(self.request)), pk=self.kwargs["pk"]
            )
        return self._booking

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # mixin over a View
        context["booking"] = self.get_booking()
        context["session"] = context["booking"].session
        return context

    def get_success_url(self) -> str:
        return self.get_booking().session.get_absolute_url()


class ReinviteView(BookingMixin, SessionFormView[ReinviteForm]):
    """Invite a volunteer again after an expired or declined invitation, or, having talked with
    them, after they cancelled their place."""

    template_name = "sessions_app/bookings/booking_confirm_reinvite.html"
    form_class = ReinviteForm

    def get_session(self) -> TeachingSession:
        return self.get_booking().session

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        booking = self.get_booking()
        context["refusal"] = permissions.reinvite_refusal(booking)
        context["outside"] = matching.outside_what_they_said(booking.session, [booking.volunteer]).get(
            booking.volunteer_id, []
        )
        return context

    def act(self, form: ReinviteForm) -> str:
        booking = services.reinvite(
            booking=self.get_booking(),
            actor=acting_user(self.request),
            agreed_with_volunteer=form.cleaned_data["agreed_with_volunteer"],
        )
        return f"{booking.volunteer.display_name} is invited again. We have emailed them a new link."


# Messages to those accepted ----------------------------------------------------------------------


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
    """After the session: each accepted volunteer attended or did not, on one page, in one submit.
    Below, attendance already marked, with a correction form for each while it may be corrected."""

    template_name = "sessions_app/bookings/attendance_form.html"
    form_class = AttendanceForm

    def waiting(self) -> list[Booking]:
        """The accepted bookings still to be marked, once the session can be marked (before, none:
        the service then explains why attendance cannot be marked yet)."""
        session = self.get_session()
        if not hasattr(self, "_waiting"):
            self._waiting = (
                selectors.accepted_bookings(session) if permissions.attendance_refusal(session) is None else []
            )
        return self._waiting

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"bookings": self.waiting()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        session = context["session"]
        marked = selectors.marked_bookings(session)
        for booking in marked:
            booking.session = session
            booking.can_correct = permissions.can_correct_attendance(booking)  # type: ignore[attr-defined]
        context.update(
            marked=marked,
            correction_days=permissions.CORRECTION_DAYS,
            correction_deadline=permissions.correction_deadline(session),
            not_yet=permissions.attendance_refusal(session),
        )
        return context

    def act(self, form: AttendanceForm) -> str:
        marked = services.mark_attendance(
            session=self.get_session(), actor=acting_user(self.request), outcomes=form.outcomes()
        )
        came = sum(1 for booking in marked if booking.status == Booking.Status.ATTENDED)
        return f"Attendance is saved: {came} attended, {len(marked) - came} did not attend."


class AttendanceCorrectView(BookingMixin, SessionFormView[AttendanceCorrectionForm]):
    """Correct one volunteer's marked attendance (within 30 days; recorded in the audit trail)."""

    template_name = "sessions_app/bookings/attendance_correct.html"
    form_class = AttendanceCorrectionForm

    def get_session(self) -> TeachingSession:
        return self.get_booking().session

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"booking": self.get_booking()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        booking = self.get_booking()
        context["can_correct"] = permissions.can_correct_attendance(booking)
        context["correction_days"] = permissions.CORRECTION_DAYS
        return context

    def act(self, form: AttendanceCorrectionForm) -> str:
        booking = services.correct_attendance(
            booking=self.get_booking(), actor=acting_user(self.request), status=form.cleaned_data["status"]
        )
        return f"Corrected: {booking.volunteer.display_name} is now marked {booking.get_status_display().lower()}."

    def get_success_url(self) -> str:
        return reverse("sessions_app:attendance", kwargs={"pk": self.get_booking().session_id})


# Cancelling a booking ----------------------------------------------------------------------------


class BookingCancelView(BookingMixin, SessionFormView[CoordinatorCancelForm]):
    """Confirm, with an optional reason, then cancel an invitation or a place; the volunteer is told."""

    template_name = "sessions_app/bookings/booking_confirm_cancel.html"
    form_class = CoordinatorCancelForm

    def get_session(self) -> TeachingSession:
        return self.get_booking().session

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["refusal"] = permissions.cancel_refusal(self.get_booking(), acting_user(self.request))
        return context

    def act(self, form: CoordinatorCancelForm) -> str:
        booking = services.cancel_booking(
            booking=self.get_booking(), actor=acting_user(self.request), reason=form.cleaned_data["reason"]
        )
        name = booking.volunteer.display_name
        return f"{name}’s booking is cancelled. We have emailed {name} to let them know."
