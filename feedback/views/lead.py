"""A lead's pages for their network's wellbeing follow-ups: the list (open first, oldest first),
one follow-up with its dated notes, changing its status and adding a note.

Every network comes from the networks the user leads (``volunteers.views.network.NetworkMixin``:
the lead role somewhere, else 403; another network's slug, 404) and every follow-up from that
network, so another network's follow-up is 404. Notes are special-category data: only these
pages show them, and each showing is recorded in the ActivityLog.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from accounts.permissions import RoleRequiredMixin, acting_user
from feedback import permissions, selectors, services
from feedback.forms import FollowUpNoteForm, FollowUpStatusForm
from feedback.models import WellbeingFollowUp
from feedback.services import FeedbackError
from involvement.forms_views import ServiceFormView
from volunteers.permissions import LEAD, lead_networks
from volunteers.services import record_special_category_list_view, record_special_category_view
from volunteers.views.network import NetworkMixin

PAGE_SIZE = 25
STATUS_BUTTONS: dict[str, str] = {
    WellbeingFollowUp.Status.CONTACTED: "Mark as contacted",
    WellbeingFollowUp.Status.CLOSED: "Close the follow-up",
    WellbeingFollowUp.Status.OPEN: "Open it again",
}


class MyFollowUpsView(RoleRequiredMixin, View):
    """The "Follow-ups" menu entry: the follow-ups of the first network the lead leads."""

    required_roles = (LEAD,)

    def get(self, request: HttpRequest) -> HttpResponse:
        network = lead_networks(acting_user(request)).order_by("name").first()
        if network is None:
            raise Http404("You do not lead a network.")
        return redirect("feedback:follow_ups", slug=network.slug)


class FollowUpListView(NetworkMixin, TemplateView):
    """The network's follow-ups, open first and oldest first, 25 to a page, in a fixed number of queries."""

    template_name = "feedback/lead/followup_list.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        context = self.get_context_data(**kwargs)
        record_special_category_list_view(
            profiles=[follow_up.volunteer for follow_up in context["follow_ups"]],
            actor=acting_user(request),
            where="follow_ups",
            network=context["network"],
        )
        return self.render_to_response(context)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.network_follow_ups(context["network"]), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        context.update(page_obj=page, follow_ups=list(page.object_list))
        return context


class FollowUpMixin(NetworkMixin):
    """A page about one follow-up of the network (another network's: 404)."""

    def get_follow_up(self) -> WellbeingFollowUp:
        if not hasattr(self, "_follow_up"):
            self._follow_up = get_object_or_404(
                selectors.network_follow_ups(self.get_network()).select_related("network"), pk=self.kwargs["pk"]
            )
        return self._follow_up

    def follow_up_url(self) -> str:
        return reverse("feedback:follow_up", kwargs={"slug": self.get_network().slug, "pk": self.get_follow_up().pk})

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        follow_up = self.get_follow_up()
        viewer = acting_user(self.request)
        context.update(
            follow_up=follow_up,
            profile=follow_up.volunteer,
            notes=selectors.follow_up_notes(follow_up),
            buttons=[(status, STATUS_BUTTONS[status]) for status in permissions.follow_up_next_statuses(follow_up)],
            can_add_note=permissions.note_refusal(follow_up, viewer) is None,
        )
        context.setdefault("form", FollowUpNoteForm())
        return context


class FollowUpDetailView(FollowUpMixin, TemplateView):
    """One follow-up: the volunteer, the session, why it was raised, its status and its notes."""

    template_name = "feedback/lead/followup_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        follow_up = self.get_follow_up()
        record_special_category_view(
            profile=follow_up.volunteer, actor=acting_user(request), where="follow_up", network=follow_up.network
        )
        return super().get(request, *args, **kwargs)


class FollowUpNoteView(FollowUpMixin, ServiceFormView[FollowUpNoteForm]):
    """Add a dated note (POST only; the form is on the follow-up's page, shown again on an error)."""

    http_method_names = ["post"]
    template_name = "feedback/lead/followup_detail.html"
    form_class = FollowUpNoteForm
    domain_error = FeedbackError

    def act(self, form: FollowUpNoteForm) -> str:
        services.add_follow_up_note(
            follow_up=self.get_follow_up(), actor=acting_user(self.request), text=form.cleaned_data["text"]
        )
        return "Your note is added."

    def get_success_url(self) -> str:
        return self.follow_up_url() + "#notes"


class FollowUpStatusView(FollowUpMixin, View):
    """Mark the follow-up contacted, closed or open again (POST only), then back to its page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        follow_up = self.get_follow_up()
        form = FollowUpStatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Please choose open, contacted or closed.")
            return redirect(self.follow_up_url())
        try:
            follow_up = services.change_follow_up_status(
                follow_up=follow_up, actor=acting_user(request), status=form.cleaned_data["status"]
            )
        except FeedbackError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"The follow-up is now {follow_up.get_status_display().lower()}.")
        return redirect(self.follow_up_url())
