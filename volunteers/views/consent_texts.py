"""Org admins: the wording of each consent purpose, and publishing a new version of it.

Purposes are shared by every organisation (a text names the organisations relying on it), so
these pages are open to any org admin and are not scoped to one organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import TemplateView

from accounts.models import Membership
from accounts.permissions import RoleRequiredMixin, acting_user, organisations_with_role
from volunteers.forms.consent_texts import ConsentTextForm
from volunteers.models import ConsentPurpose, ConsentText
from volunteers.selectors import current_grant_counts
from volunteers.services import VolunteerError, publish_consent_text

ADMIN = Membership.Role.ADMIN


@dataclass(frozen=True)
class PurposeRow:
    """One purpose on the list: its newest wording and how many volunteers currently agree to it."""

    purpose: ConsentPurpose
    current: ConsentText | None
    grants: int


def purposes_with_versions() -> list[ConsentPurpose]:
    """Every purpose with its texts prefetched newest first, with their organisations: three queries."""
    versions = ConsentText.objects.order_by("-version").prefetch_related("organisations")
    return list(ConsentPurpose.objects.order_by("order", "name").prefetch_related(Prefetch("texts", queryset=versions)))


class ConsentPurposeListView(RoleRequiredMixin, TemplateView):
    required_roles = (ADMIN,)
    template_name = "volunteers/consent_texts/purpose_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = current_grant_counts()
        context["rows"] = [
            PurposeRow(purpose=purpose, current=next(iter(purpose.texts.all()), None), grants=counts.get(purpose.pk, 0))
            for purpose in purposes_with_versions()
        ]
        return context


class ConsentTextCreateView(RoleRequiredMixin, TemplateView):
    required_roles = (ADMIN,)
    template_name = "volunteers/consent_texts/text_form.html"

    def get_purpose(self) -> ConsentPurpose:
        if not hasattr(self, "_purpose"):
            self._purpose = get_object_or_404(ConsentPurpose, code=self.kwargs["code"])
            self._current = self._purpose.texts.order_by("-version").prefetch_related("organisations").first()
        return self._purpose

    def get_form(self, data: Any = None) -> ConsentTextForm:
        self.get_purpose()
        current = self._current
        own = set(organisations_with_role(acting_user(self.request), [ADMIN]))
        relied_on = {organisation.pk for organisation in current.organisations.all()} if current else set()
        initial = {"text": current.text if current else "", "organisations": sorted(own | relied_on)}
        return ConsentTextForm(data, initial=initial, current=current)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["purpose"] = self.get_purpose()
        context["current"] = self._current
        context["next_version"] = (self._current.version if self._current else 0) + 1
        context.setdefault("form", self.get_form())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        purpose = self.get_purpose()
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                text = publish_consent_text(purpose=purpose, actor=acting_user(request), **form.cleaned_data)
            except VolunteerError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    f"Version {text.version} of “{purpose.name}” is published. Volunteers who agreed to an "
                    "earlier version will be asked again when they next sign in.",
                )
                return redirect("volunteers:consent_purposes")
        return self.render_to_response(self.get_context_data(form=form), status=400)
