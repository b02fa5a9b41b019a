"""Org admins: their organisations' consent wording, and publishing a new version of it.

Wording belongs to the network whose volunteers give it (docs/data-rights.md). An admin sees and
publishes the wording of the organisations they administer only: every organisation comes from
``administered_organisations``, so another organisation's slug is 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import TemplateView

from accounts.models import Membership, Organisation
from accounts.permissions import RoleRequiredMixin, acting_user
from volunteers.forms.consent_texts import ConsentTextForm
from volunteers.models import ConsentPurpose
from volunteers.permissions import administered_organisations
from volunteers.selectors import wording_overview
from volunteers.services import VolunteerError, current_text, publish_consent_text

ADMIN = Membership.Role.ADMIN


class ConsentPurposeListView(RoleRequiredMixin, TemplateView):
    """For each organisation the admin administers, its purposes with their current wording and
    how many of its volunteers agree now."""

    required_roles = (ADMIN,)
    template_name = "volunteers/consent_texts/purpose_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sections"] = wording_overview(administered_organisations(acting_user(self.request)).order_by("name"))
        return context


class ConsentTextCreateView(RoleRequiredMixin, TemplateView):
    required_roles = (ADMIN,)
    template_name = "volunteers/consent_texts/text_form.html"

    def get_network(self) -> Organisation:
        if not hasattr(self, "_network"):
            self._network = get_object_or_404(
                administered_organisations(acting_user(self.request)), slug=self.kwargs["network"]
            )
        return self._network

    def get_purpose(self) -> ConsentPurpose:
        if not hasattr(self, "_purpose"):
            network = self.get_network()
            self._purpose = get_object_or_404(ConsentPurpose, code=self.kwargs["code"])
            self._current = current_text(self._purpose, network)
        return self._purpose

    def get_form(self, data: Any = None) -> ConsentTextForm:
        self.get_purpose()
        current = self._current
        network = self.get_network()
        # Start from what the current version names (the network alone for a first version).
        relied_on = [organisation.pk for organisation in current.organisations.all()] if current else [network.pk]
        initial = {"text": current.text if current else "", "organisations": relied_on}
        return ConsentTextForm(data, initial=initial, current=current, network=network)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["purpose"] = self.get_purpose()
        context["network"] = self.get_network()
        context["current"] = self._current
        context["next_version"] = (self._current.version if self._current else 0) + 1
        context.setdefault("form", self.get_form())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        purpose = self.get_purpose()
        network = self.get_network()
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                text = publish_consent_text(
                    purpose=purpose, network=network, actor=acting_user(request), **form.cleaned_data
                )
            except VolunteerError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                messages.success(
                    request,
                    f"Version {text.version} of “{purpose.name}” is published for {network}. Its volunteers who "
                    "agreed to an earlier version will be asked again when they next sign in.",
                )
                return redirect("volunteers:consent_purposes")
        return self.render_to_response(self.get_context_data(form=form), status=400)
