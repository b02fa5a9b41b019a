"""The volunteer's side of sessions: answering invitations, "my sessions", cancelling, the
calendar feed and the check-in after an emotionally demanding session.

Pages under "my sessions" need a volunteer profile (``VolunteerRequiredMixin``) and read only the
volunteer's own bookings, so another volunteer's booking id is 404. The pages that emails and
calendar apps link to are public: the signed token (or the feed's secret) is the key, and a GET
never changes anything, because email scanners open links.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts.models import User
from involvement.forms_views import ServiceFormView
from involvement.links import absolute_url
from sessions_app import permissions, selectors
from sessions_app.calendar import FEED_STATUSES, booking_ics, feed_for
from sessions_app.covered import what_is_covered
from sessions_app.forms.volunteer import ACCEPT, CheckInForm, InvitationAnswerForm, PlaceCancelForm
from sessions_app.models import Booking, CalendarFeed, CheckIn
from sessions_app.services import (
    SessionError,
    accept_invitation,
    answer_check_in,
    booking_from_token,
    calendar_feed_for,
    cancel_booking,
    check_in_from_token,
    decline_invitation,
    invitation_token,
    renew_calendar_feed,
)
from volunteers.views.network import MembershipMixin
from volunteers.views.own import VolunteerRequiredMixin

BookingStatus = Booking.Status
LINK_INVALID_TEMPLATE = "sessions_app/volunteer/link_invalid.html"
PARTICIPATION_PAGE_SIZE = 25


def invitation_url(booking: Booking) -> str:
    return reverse("sessions_app:invitation", kwargs={"token": invitation_token(booking)})


def link_invalid(request: HttpRequest, heading: str, error: SessionError) -> HttpResponse:
    return render(request, LINK_INVALID_TEMPLATE, {"heading": heading, "error": str(error)}, status=400)


# The invitation (from the email) -----------------------------------------------------------------


class BookingInvitationView(TemplateView):
    """Shows the invitation to anyone holding the link; the two buttons answer it (POST only).

    Whoever is signed in, the link is the key; only the invited volunteer, signed in, sees their
    own adjustments here and is recorded as the person who answered.
    """

    template_name = "sessions_app/volunteer/invitation.html"
    booking: Booking

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            self.booking = booking_from_token(kwargs["token"])
        except SessionError as error:
            return link_invalid(request, "We could not open this invitation", error)
        return super().dispatch(request, *args, **kwargs)

    def invitee(self) -> User | None:
        """The signed-in person when they are the one invited, else None."""
        user = self.request.user
        return user if isinstance(user, User) and user.pk == self.booking.volunteer.user_id else None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        invitee = self.invitee()
        context.update(
            booking=self.booking,
            session=self.booking.session,
            state=permissions.invitation_state(self.booking),
            can_answer=permissions.can_accept(self.booking),
            is_invitee=invitee is not None,
            someone_else=self.request.user.is_authenticated and invitee is None,
            adjustments=self.booking.volunteer.adjustments if invitee else None,
            # Their payment preference only for them: anyone else holding the link sees the plain fee.
            covered=what_is_covered(
                self.booking.session, self.booking, for_volunteer=self.booking.volunteer if invitee else None
            ),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = InvitationAnswerForm(request.POST)
        if not form.is_valid():
            return self.refuse(str(form.errors["answer"][0]))
        try:
            answered = self.answer(accept=form.cleaned_data["answer"] == ACCEPT)
        except SessionError as error:
            return self.refuse(str(error))
        messages.success(request, answered)
        return redirect("sessions_app:my_sessions" if self.invitee() else request.path)

    def refuse(self, error: str) -> HttpResponse:
        """The page again, with why the answer was not taken (nothing changed)."""
        return self.render_to_response(self.get_context_data(error=error), status=400)

    def answer(self, *, accept: bool) -> str:
        booking, actor = self.booking, self.invitee()
        title = booking.session.title
        if accept:
            if booking.status == BookingStatus.ACCEPTED:
                return f"You have already accepted your place at “{title}”. There is nothing more to do."
            accept_invitation(booking=booking, actor=actor)
            return f"Thank you. You have a place at “{title}”. We have emailed you the details."
        if booking.status == BookingStatus.DECLINED:
            return f"You have already said no to “{title}”. Thank you for letting us know."
        decline_invitation(booking=booking, actor=actor)
        return f"Thank you for letting us know. You will not be going to “{title}”."


# My sessions -------------------------------------------------------------------------------------


class MySessionsView(VolunteerRequiredMixin, TemplateView):
    """Invitations to answer and upcoming places (one query), and the past 25 to a page (two):
    the same number of queries however long the volunteer's history."""

    template_name = "sessions_app/volunteer/my_sessions.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        sessions = selectors.my_sessions(self.profile, timezone.now())
        for booking in sessions.invitations:
            booking.answer_url = invitation_url(booking)  # type: ignore[attr-defined]  # for the template
        page = Paginator(sessions.past, selectors.MY_PAST_PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(
            invitations=sessions.invitations, upcoming=sessions.upcoming, past=list(page.object_list), page_obj=page
        )
        return context


class MyBookingView(VolunteerRequiredMixin, TemplateView):
    """One of the volunteer's bookings; ``?ics=1`` downloads it for a calendar app."""

    template_name = "sessions_app/volunteer/my_booking.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        booking = get_object_or_404(selectors.own_bookings(self.profile), pk=kwargs["pk"])
        if request.GET.get("ics") == "1":
            if booking.status not in FEED_STATUSES:
                raise Http404("Only a booked session goes into a calendar.")
            response = HttpResponse(booking_ics(booking), content_type="text/calendar; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="session.ics"'
            return response
        return self.render_to_response(
            self.get_context_data(
                booking=booking,
                session=booking.session,
                can_cancel=permissions.can_cancel(booking, self.profile.user),
                in_calendar=permissions.offers_calendar_entry(booking),
                show_online_link=booking.status == BookingStatus.ACCEPTED,
                answer_url=invitation_url(booking) if booking.status == BookingStatus.INVITED else "",
                covered=what_is_covered(booking.session, booking, for_volunteer=self.profile),
            )
        )


class MyBookingCancelView(VolunteerRequiredMixin, ServiceFormView[PlaceCancelForm]):
    """Confirm, with an optional reason, then give up an accepted place; the coordinator is told."""

    template_name = "sessions_app/volunteer/booking_confirm_cancel.html"
    form_class = PlaceCancelForm
    domain_error = SessionError

    def get_booking(self) -> Booking:
        if not hasattr(self, "_booking"):
            self._booking = get_object_or_404(selectors.own_bookings(self.profile), pk=self.kwargs["pk"])
        return self._booking

    def refused(self) -> HttpResponse | None:
        """Back to the booking, saying why, when there is no place to cancel (asked again on POST)."""
        refusal = permissions.cancel_refusal(self.get_booking(), self.profile.user)
        if refusal is None:
            return None
        messages.info(self.request, refusal)
        return redirect("sessions_app:my_booking", pk=self.get_booking().pk)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.refused() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.refused() or super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["booking"] = self.get_booking()
        return context

    def act(self, form: PlaceCancelForm) -> str:
        booking = cancel_booking(
            booking=self.get_booking(), actor=self.profile.user, reason=form.cleaned_data["reason"]
        )
        return (
            f"You have cancelled your place at “{booking.session.title}”. We have told the coordinator. "
            "Thank you for letting us know."
        )

    def get_success_url(self) -> str:
        return reverse("sessions_app:my_sessions")


# Calendar ----------------------------------------------------------------------------------------


class CalendarView(VolunteerRequiredMixin, TemplateView):
    """The volunteer's private calendar address, and a button to replace it."""

    template_name = "sessions_app/volunteer/calendar.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        feed = calendar_feed_for(self.profile)
        feed_url = absolute_url(reverse("sessions_app:feed", kwargs={"token": feed.token}))
        context.update(feed_url=feed_url, webcal_url="webcal://" + feed_url.split("://", 1)[-1])
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        renew_calendar_feed(profile=self.profile, actor=self.profile.user)
        messages.success(
            request,
            "Your calendar has a new address. The old address has stopped working: "
            "please add the new one to your calendar app.",
        )
        return redirect("sessions_app:calendar")


@method_decorator(never_cache, name="dispatch")
class FeedView(View):
    """The iCalendar feed a calendar app fetches: the secret in the address is the key."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        feed = (
            CalendarFeed.objects.select_related("volunteer")
            .filter(token=kwargs["token"], volunteer__erased_at__isnull=True)
            .first()
        )
        if feed is None:
            raise Http404("No calendar has this address.")
        response = HttpResponse(feed_for(feed.volunteer), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="involvement.ics"'
        response["X-Robots-Tag"] = "noindex"
        return response


# The check-in after an emotionally demanding session --------------------------------------------


class CheckInView(TemplateView):
    """ "How are you after the session?": the emailed link preselects an answer; sending it is a POST."""

    template_name = "sessions_app/volunteer/check_in.html"
    check_in: CheckIn

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if kwargs["answer"] not in CheckIn.Answer.values:
            raise Http404("Unknown answer.")
        try:
            self.check_in = check_in_from_token(kwargs["token"])
        except SessionError as error:
            return link_invalid(request, "We could not open this link", error)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", CheckInForm(initial={"answer": self.kwargs["answer"]}))
        context["session"] = self.check_in.booking.session
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = CheckInForm(request.POST)
        if form.is_valid():
            try:
                check_in = answer_check_in(check_in=self.check_in, answer=form.cleaned_data["answer"])
            except SessionError as error:
                form.add_error("answer", str(error))
            else:
                call_url = reverse("sessions_app:check_in", kwargs={"token": kwargs["token"], "answer": "call"})
                return render(
                    request,
                    "sessions_app/volunteer/check_in_thanks.html",
                    {"check_in": check_in, "session": check_in.booking.session, "call_url": call_url},
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)


# A lead's view of a volunteer's participation -------------------------------------------------


class NetworkParticipationView(MembershipMixin, TemplateView):
    """Every session a volunteer of the lead's network took part in at its partner universities,
    25 to a page, with their totals; only when the volunteer agrees to share it with the network."""

    template_name = "sessions_app/volunteer/network_participation.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        network, profile = context["network"], context["profile"]
        shared = selectors.shares_participation(profile, network)
        context["shared"] = shared
        if shared:
            bookings = selectors.participation_with_partners(profile, network)
            page = Paginator(bookings, PARTICIPATION_PAGE_SIZE).get_page(self.request.GET.get("page"))
            context.update(totals=selectors.participation_totals(bookings), page_obj=page, bookings=list(page))
        return context
