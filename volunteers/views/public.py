"""Public pages: what involvement means in a network, and how to apply. No sign-in needed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import TemplateView

from accounts.models import Organisation, User
from accounts.selectors import networks_taking_applications
from volunteers.forms.public import ApplicationForm
from volunteers.models import NetworkMembership
from volunteers.selectors import current_wording
from volunteers.services import VolunteerError, apply_to_network

# The address a signed-out applicant applied with, so the thank-you page can offer to email
# them a sign-in code without asking for it again. Kept only in their own session.
APPLIED_EMAIL_SESSION_KEY = "volunteers_applied_email"
STILL_MEMBER = (NetworkMembership.Status.APPLICANT, NetworkMembership.Status.ACTIVE, NetworkMembership.Status.PAUSED)


def signed_in_user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class NetworkMixin:
    """A network's public page: any organisation, found by its slug (unknown slug: 404)."""

    kwargs: dict[str, Any]

    def get_network(self) -> Organisation:
        if not hasattr(self, "_network"):
            self._network = get_object_or_404(Organisation, slug=self.kwargs["slug"])
        return self._network


class NetworkListView(TemplateView):
    """Every network that takes applications, with what it does and a way to apply."""

    template_name = "volunteers/public/network_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["networks"] = list(networks_taking_applications())
        return context


class NetworkPageView(NetworkMixin, TemplateView):
    template_name = "volunteers/public/network.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        network = self.get_network()
        user = signed_in_user(self.request)
        context["network"] = network
        # This network's own wording only: never another network's, nor its partners.
        context["wording"] = current_wording(network)
        context["membership"] = (
            NetworkMembership.objects.filter(volunteer__user=user, network=network, status__in=STILL_MEMBER).first()
            if user is not None
            else None
        )
        return context


class ApplyView(NetworkMixin, TemplateView):
    template_name = "volunteers/public/apply.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["network"] = self.get_network()
        context.setdefault("form", ApplicationForm(user=signed_in_user(self.request)))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        network = self.get_network()
        user = signed_in_user(request)
        form = ApplicationForm(request.POST, user=user)
        if form.is_valid():
            try:
                apply_to_network(network=network, applicant=user, **form.cleaned_data)
            except VolunteerError as error:
                form.add_error(error.field if error.field in form.fields else "email", str(error))
            else:
                if user is None:
                    request.session[APPLIED_EMAIL_SESSION_KEY] = form.cleaned_data["email"]
                return redirect("volunteers:applied", slug=network.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AppliedView(NetworkMixin, TemplateView):
    template_name = "volunteers/public/applied.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["network"] = self.get_network()
        context["applied_email"] = (
            None if signed_in_user(self.request) else self.request.session.get(APPLIED_EMAIL_SESSION_KEY)
        )
        return context
