"""The volunteer's side of feedback: the form their emailed link opens, and "the difference you
made".

The feedback form is public: the signed link is the key, and a GET never changes anything,
because email scanners open links; the answer is a POST. "The difference you made" needs a
volunteer profile (``VolunteerRequiredMixin``) and reads only the volunteer's own sessions.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts.models import User
from feedback import permissions, selectors, services
from feedback.forms import YES, VolunteerFeedbackForm
from feedback.models import VolunteerFeedback
from feedback.services import FeedbackError
from volunteers.views.own import VolunteerRequiredMixin

SESSIONS_PER_PAGE = 10
LINK_INVALID_TEMPLATE = "feedback/link_invalid.html"


@method_decorator(never_cache, name="dispatch")
class VolunteerFeedbackView(TemplateView):
    """ "How did it go?" for a session the volunteer attended, answered once."""

    template_name = "feedback/volunteer/volunteerfeedback_form.html"
    feedback: VolunteerFeedback

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            self.feedback = services.volunteer_feedback_from_token(kwargs["token"])
        except FeedbackError as error:
            return render(
                request,
                LINK_INVALID_TEMPLATE,
                {"heading": "We could not open this feedback form", "error": str(error)},
                status=400,
            )
        return super().dispatch(request, *args, **kwargs)

    def volunteer(self) -> User | None:
        """The signed-in person when they are the volunteer asked, else None."""
        user = self.request.user
        return user if isinstance(user, User) and user.pk == self.feedback.booking.volunteer.user_id else None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", VolunteerFeedbackForm())
        context.update(
            feedback=self.feedback,
            session=self.feedback.booking.session,
            refusal=permissions.volunteer_answer_refusal(self.feedback),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = VolunteerFeedbackForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                answer = services.answer_volunteer_feedback(
                    feedback=self.feedback,
                    actor=self.volunteer(),
                    how_it_went=data["how_it_went"],
                    felt_prepared=data["felt_prepared"],
                    felt_supported=data["felt_supported"],
                    to_change=data["to_change"],
                    wants_contact=data["wants_contact"] == YES,
                )
            except FeedbackError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                return render(
                    request,
                    "feedback/volunteer/volunteerfeedback_thanks.html",
                    {
                        "feedback": answer.feedback,
                        "session": answer.feedback.booking.session,
                        "follow_ups": answer.follow_ups,
                        "asked": answer.feedback.wants_contact
                        or answer.feedback.how_it_went == VolunteerFeedback.HowItWent.HARD,
                    },
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)


class DifferenceView(VolunteerRequiredMixin, TemplateView):
    """The sessions the volunteer took part in, latest first, ten to a page, each with what changed
    because of it, the students' comments staff chose to share and the coordinator's words; and any
    feedback still waiting for their answer. A fixed number of queries, whatever the page holds."""

    template_name = "feedback/volunteer/difference.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.attended_bookings(self.profile), SESSIONS_PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        waiting = selectors.feedback_waiting(self.profile)
        for feedback in waiting:
            feedback.url = services.volunteer_feedback_path(feedback)  # type: ignore[attr-defined]  # for the template
        context.update(page_obj=page, contributions=selectors.contributions(list(page.object_list)), waiting=waiting)
        return context
