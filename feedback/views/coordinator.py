"""A coordinator's feedback pages for one session: the feedback page (their own answer, what the
volunteers said, the students' link and answers, the impact linked to it), their answer, making
the student link, the page to project its QR code, and choosing which comments to share.

Every page needs the coordinator role somewhere (else 403); the session comes through
``sessions_app.selectors.coordinator_sessions`` (another university's: 404), and a student answer
through the sessions of the coordinator's universities. Writes go through ``feedback.services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from accounts.permissions import acting_user
from feedback import permissions, selectors, services
from feedback.forms import ChooseCommentForm, CoordinatorFeedbackForm
from feedback.models import StudentFeedbackLink
from feedback.qr import qr_svg
from feedback.services import FeedbackError
from involvement.forms_views import FormT, ServiceFormView
from involvement.links import absolute_url
from sessions_app.views.base import CoordinatorMixin, CoordinatorSessionMixin

RESPONSES_PER_PAGE = 25


def student_url(link: StudentFeedbackLink) -> str:
    return absolute_url(reverse("feedback:student", kwargs={"token": link.token}))


class SessionFormView(CoordinatorSessionMixin, ServiceFormView[FormT]):
    """A form about one of the coordinator's sessions; a FeedbackError is shown on the form (400).
    Success goes back to the session's feedback page."""

    domain_error = FeedbackError

    def get_success_url(self) -> str:
        return reverse("feedback:session", kwargs={"pk": self.get_session().pk})


class SessionFeedbackView(CoordinatorSessionMixin, TemplateView):
    """Everything said about one session, with the student link and its answers (25 to a page) in
    a fixed number of queries."""

    template_name = "feedback/coordinator/session_feedback.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        session = context["session"]
        viewer = acting_user(self.request)
        coordinator = selectors.coordinator_feedback_for(session)
        link = selectors.student_link_for(session)
        if link is not None:
            link.session = session
        page = Paginator(selectors.student_responses(session), RESPONSES_PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        context.update(
            coordinator=coordinator,
            can_answer=permissions.coordinator_answer_refusal(session, viewer, requested=coordinator is not None)
            is None,
            volunteer_answers=selectors.volunteer_answers(session),
            link=link,
            link_url=student_url(link) if link else "",
            link_state=permissions.student_form_state(link) if link else "",
            can_make_link=link is None and permissions.can_make_student_link(session, viewer),
            link_refusal=permissions.student_link_refusal(session, viewer),
            summary=selectors.student_summary(session),
            page_obj=page,
            responses=list(page.object_list),
            can_choose=permissions.can_choose_comments(viewer, session),
            impact=selectors.session_impact(session),
        )
        return context


class CoordinatorFeedbackView(SessionFormView[CoordinatorFeedbackForm]):
    """How the volunteers' contribution went, in the coordinator's words (changeable later)."""

    template_name = "feedback/coordinator/coordinatorfeedback_form.html"
    form_class = CoordinatorFeedbackForm

    def refused(self) -> HttpResponse | None:
        coordinator = selectors.coordinator_feedback_for(self.get_session())
        refusal = permissions.coordinator_answer_refusal(
            self.get_session(), acting_user(self.request), requested=coordinator is not None
        )
        if refusal is None:
            return None
        messages.info(self.request, refusal)
        return redirect(self.get_success_url())

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.refused() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.refused() or super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        coordinator = selectors.coordinator_feedback_for(self.get_session())
        if coordinator is None or coordinator.answered_at is None:
            return {}
        return {
            "initial": {
                "rating": coordinator.rating,
                "contribution": coordinator.contribution,
                "students_took": coordinator.students_took,
            }
        }

    def act(self, form: CoordinatorFeedbackForm) -> str:
        services.answer_coordinator_feedback(
            session=self.get_session(), actor=acting_user(self.request), **form.cleaned_data
        )
        return "Thank you. The volunteers who took part will see your words on their “difference you made” page."


class StudentLinkView(CoordinatorSessionMixin, View):
    """Make the session's anonymous student link (POST only: the button is on the feedback page)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        session = self.get_session()
        try:
            services.open_student_link(session=session, actor=acting_user(request))
        except FeedbackError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "The student feedback link is ready. Show its QR code at the end of the session.")
        return redirect("feedback:session", pk=session.pk)


class ProjectView(CoordinatorSessionMixin, TemplateView):
    """The page to put on the screen: the QR code, large, with the address written out."""

    template_name = "feedback/coordinator/student_link_project.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        session = self.get_session()
        link = selectors.student_link_for(session)
        if link is None:
            messages.info(request, "Please make the student feedback link first.")
            return redirect("feedback:session", pk=session.pk)
        link.session = session
        url = student_url(link)
        return self.render_to_response(
            self.get_context_data(
                link=link,
                link_url=url,
                link_state=permissions.student_form_state(link),
                qr=qr_svg(url, title=f"QR code: feedback on “{session.title}”"),
            )
        )


class ChooseCommentView(CoordinatorMixin, View):
    """Share a student's comment with the volunteers, or stop sharing it (POST only), then back to
    the page of answers it was on."""

    http_method_names = ["post"]
    kwargs: dict[str, Any]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = get_object_or_404(selectors.responses_in_coordinator_sessions(acting_user(request)), pk=kwargs["pk"])
        form = ChooseCommentForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Please use the Share or Stop sharing button.")
        else:
            chosen = form.cleaned_data["chosen"]
            try:
                services.choose_student_comment(response=response, actor=acting_user(request), chosen=chosen)
            except FeedbackError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    "The comment is shared: the volunteers who took part will see it, without anything about "
                    "the student."
                    if chosen
                    else "The comment is no longer shared.",
                )
        page = request.POST.get("page", "")
        url = reverse("feedback:session", kwargs={"pk": response.session_id})
        return redirect(f"{url}?page={page}#responses" if page.isdigit() else f"{url}#responses")
