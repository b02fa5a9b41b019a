"""The volunteer's own pages: their home, profile, adjustments, availability, status, consent and data.

Every page needs a signed-in person with a VolunteerProfile that is not erased (else 403), and
every object with an id comes through a queryset of the volunteer's own rows, so another
volunteer's id is 404.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts.models import Organisation
from involvement import formatting
from involvement.forms_views import FormT, ServiceFormView
from volunteers.consent_effects import withdrawal_consequences
from volunteers.forms.own import (
    AdjustmentsForm,
    AvailabilityForm,
    ConsentChangeForm,
    PauseForm,
    ProfileForm,
    TimeAwayForm,
)
from volunteers.models import ConsentPurpose, NetworkMembership, TimeAway, VolunteerProfile
from volunteers.panels import VOLUNTEER_HOME, panels_for
from volunteers.readable import Node, readable
from volunteers.selectors import my_consents, needs_consent_review
from volunteers.services import (
    VolunteerError,
    add_time_away,
    export_my_data,
    export_sections,
    grant_consent,
    leave_network,
    pause_volunteer,
    reactivate_volunteer,
    remove_time_away,
    set_weekly_availability,
    update_profile,
    withdraw_consent,
)

Status = NetworkMembership.Status
LEAVABLE = {Status.APPLICANT, Status.ACTIVE, Status.PAUSED}


class VolunteerRequiredMixin(LoginRequiredMixin):
    """Sign-in required (else the sign-in page, as RoleRequiredMixin), then a volunteer profile
    that is not erased (else 403). The profile is ``self.profile`` and ``profile`` in templates."""

    request: HttpRequest
    profile: VolunteerProfile

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        profile = (
            VolunteerProfile.objects.select_related("user").filter(user=request.user, erased_at__isnull=True).first()
        )
        if profile is None:
            raise PermissionDenied("These pages are for volunteers.")
        self.profile = profile
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # mixin over a View
        context["profile"] = self.profile
        return context


class OwnFormView(VolunteerRequiredMixin, ServiceFormView[FormT]):
    """A page with one form of the volunteer's own; a VolunteerError is shown on the form (400).
    Success goes to the page ``success_url_name`` names (their home unless said otherwise)."""

    domain_error = VolunteerError
    success_url_name = "volunteers:my_volunteering"

    def get_success_url(self) -> str:
        return reverse(self.success_url_name)


# Home --------------------------------------------------------------------------------------------


class MyVolunteeringView(VolunteerRequiredMixin, TemplateView):
    template_name = "volunteers/own/my_volunteering.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        memberships = list(
            NetworkMembership.objects.filter(volunteer=self.profile).select_related("network").order_by("network__name")
        )
        context["memberships"] = memberships
        context["leavable"] = LEAVABLE
        context["can_pause"] = any(membership.status == Status.ACTIVE for membership in memberships)
        context["can_resume"] = any(membership.status == Status.PAUSED for membership in memberships)
        context["needs_review"] = needs_consent_review(self.profile)
        context["panels"] = panels_for(VOLUNTEER_HOME, self.profile.user, profile=self.profile)
        return context


# Profile and adjustments -------------------------------------------------------------------------


class ProfileEditView(OwnFormView[ProfileForm]):
    template_name = "volunteers/own/profile_form.html"
    form_class = ProfileForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"initial": ProfileForm.initial_for(self.profile), "profile": self.profile}

    def error_field(self, form: ProfileForm, error: Exception) -> str | None:
        return "experience_tags"

    def act(self, form: ProfileForm) -> str:
        update_profile(
            profile=self.profile, actor=self.profile.user, changes=form.changes(), name=form.cleaned_data["name"]
        )
        return "Your profile is saved."


class AdjustmentsEditView(OwnFormView[AdjustmentsForm]):
    template_name = "volunteers/own/adjustments_form.html"
    form_class = AdjustmentsForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"initial": AdjustmentsForm.initial_for(self.profile)}

    def act(self, form: AdjustmentsForm) -> str:
        update_profile(profile=self.profile, actor=self.profile.user, changes=form.cleaned_data)
        return "Your adjustments are saved. We will share them with the people arranging your sessions."


# Availability ------------------------------------------------------------------------------------


class AvailabilityEditView(OwnFormView[AvailabilityForm]):
    template_name = "volunteers/own/availability_form.html"
    form_class = AvailabilityForm
    success_url_name = "volunteers:availability_edit"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"initial": AvailabilityForm.initial_for(self.profile)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["time_away"] = TimeAway.objects.filter(volunteer=self.profile, ends_on__gte=timezone.localdate())
        return context

    def act(self, form: AvailabilityForm) -> str:
        actor = self.profile.user
        # The grid and the limits are one answer to "when can you take part?": all or nothing.
        with transaction.atomic():
            set_weekly_availability(profile=self.profile, actor=actor, slots=form.chosen_slots())
            update_profile(profile=self.profile, actor=actor, changes=form.changes())
        return "Your availability is saved."


class TimeAwayAddView(OwnFormView[TimeAwayForm]):
    template_name = "volunteers/own/time_away_form.html"
    form_class = TimeAwayForm
    success_url_name = "volunteers:availability_edit"

    def error_field(self, form: TimeAwayForm, error: Exception) -> str | None:
        return "ends_on"

    def act(self, form: TimeAwayForm) -> str:
        data = form.cleaned_data
        away = add_time_away(
            profile=self.profile,
            actor=self.profile.user,
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            note=data["note"],
        )
        return f"We will not invite you from {formatting.day(away.starts_on)} to {formatting.day(away.ends_on)}."


class TimeAwayRemoveView(VolunteerRequiredMixin, TemplateView):
    template_name = "volunteers/own/time_away_confirm_remove.html"

    def get_away(self) -> TimeAway:
        return get_object_or_404(TimeAway.objects.filter(volunteer=self.profile), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["away"] = self.get_away()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        away = self.get_away()
        remove_time_away(away=away, actor=self.profile.user)
        messages.success(
            request, f"Removed your time away from {formatting.day(away.starts_on)} to {formatting.day(away.ends_on)}."
        )
        return redirect("volunteers:availability_edit")


# Pausing, coming back, leaving -------------------------------------------------------------------


class PauseView(OwnFormView[PauseForm]):
    template_name = "volunteers/own/pause_form.html"
    form_class = PauseForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["active"] = self.profile.memberships.filter(status=Status.ACTIVE).select_related("network")
        return context

    def error_field(self, form: PauseForm, error: Exception) -> str | None:
        return "until"

    def act(self, form: PauseForm) -> str:
        until = form.cleaned_data["until"]
        pause_volunteer(profile=self.profile, actor=self.profile.user, until=until)
        if until:
            return f"You are taking a break. We will not invite you to sessions before {formatting.day(until)}."
        return "You are taking a break. We will not invite you to sessions until you come back."


class ResumeView(VolunteerRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            reactivate_volunteer(profile=self.profile, actor=self.profile.user)
        except VolunteerError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Welcome back. You are active again and may be invited to sessions.")
        return redirect("volunteers:my_volunteering")


class LeaveNetworkView(VolunteerRequiredMixin, TemplateView):
    template_name = "volunteers/own/membership_confirm_leave.html"

    def get_membership(self) -> NetworkMembership:
        own = NetworkMembership.objects.filter(volunteer=self.profile).select_related("network")
        return get_object_or_404(own, pk=self.kwargs["pk"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = self.get_membership()
        if membership.status not in LEAVABLE:
            messages.info(request, f"You are no longer part of {membership.network}.")
            return redirect("volunteers:my_volunteering")
        return self.render_to_response(self.get_context_data(membership=membership))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = self.get_membership()
        if membership.status not in LEAVABLE:
            messages.info(request, f"You are no longer part of {membership.network}.")
        else:
            leave_network(membership=membership, actor=self.profile.user)
            messages.success(request, f"You have left {membership.network}. Thank you for all you have done.")
        return redirect("volunteers:my_volunteering")


# Consent -----------------------------------------------------------------------------------------


class ConsentView(VolunteerRequiredMixin, TemplateView):
    template_name = "volunteers/own/consent.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        sections = my_consents(self.profile)
        context["sections"] = sections
        # A heading per network only when there are several: one network's volunteer sees no more.
        context["several_networks"] = len(sections) > 1
        context["review"] = self.request.GET.get("review") == "1"
        return context


class ConsentChangeView(ConsentView):
    """Grant or withdraw one purpose for one network: the POST names the text agreed to, or the
    network withdrawn from. A refusal re-renders the consent page (400) with the reason."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        purpose = get_object_or_404(ConsentPurpose, code=kwargs["code"])
        form = ConsentChangeForm(request.POST)
        try:
            confirm = self.confirmation(purpose, form)
            if confirm is not None:
                return confirm
            done = self.change(purpose, form)
        except VolunteerError as error:
            messages.error(request, str(error))
            return self.render_to_response(self.get_context_data(), status=400)
        messages.success(request, done)
        return redirect("volunteers:consent")

    def withdrawn_from(self, purpose: ConsentPurpose, form: ConsentChangeForm) -> Organisation:
        # Only a network of their own (whatever its status: withdrawing is always possible).
        network = Organisation.objects.filter(
            volunteer_memberships__volunteer=self.profile, slug=form.cleaned_data["network"]
        ).first()
        if network is None:
            raise VolunteerError(f"Please read the wording of “{purpose.name}” and choose again.")
        return network

    def confirmation(self, purpose: ConsentPurpose, form: ConsentChangeForm) -> HttpResponse | None:
        """Before a withdrawal that changes something else (a place on a session that needs it),
        the page that says what, with the button that confirms it."""
        if not form.is_valid() or form.cleaned_data["action"] != "withdraw" or form.cleaned_data["confirmed"]:
            return None
        network = self.withdrawn_from(purpose, form)
        consequences = withdrawal_consequences(self.profile, purpose, network)
        if not consequences:
            return None
        return render(
            self.request,
            "volunteers/own/consent_confirm_withdraw.html",
            {"purpose": purpose, "network": network, "consequences": consequences, "profile": self.profile},
        )

    def change(self, purpose: ConsentPurpose, form: ConsentChangeForm) -> str:
        actor = self.profile.user
        if not form.is_valid():
            raise VolunteerError(f"Please read the wording of “{purpose.name}” and choose again.")
        if form.cleaned_data["action"] == "withdraw":
            network = self.withdrawn_from(purpose, form)
            cancelled = withdrawal_consequences(self.profile, purpose, network)
            withdraw_consent(profile=self.profile, purpose=purpose, network=network, actor=actor)
            if cancelled:
                return (
                    f"You withdrew your consent to “{purpose.name}” for {network}. We have cancelled the places "
                    "that needed it and told the coordinators."
                )
            return f"You withdrew your consent to “{purpose.name}” for {network}."
        # Only a text of this purpose: an id from another purpose must never grant that one. The
        # service refuses a text of a network they do not belong to.
        text = purpose.texts.select_related("purpose", "network").filter(pk=form.cleaned_data["text"]).first()
        if text is None:
            raise VolunteerError(
                f"The wording of “{purpose.name}” has changed. Please read the current version before agreeing."
            )
        grant_consent(profile=self.profile, text=text, actor=actor)
        return f"Thank you. You agreed to “{purpose.name}” for {text.network}."


# Data rights -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownSection:
    key: str
    title: str
    intro: str
    node: Node


@method_decorator(never_cache, name="dispatch")
class MyDataView(VolunteerRequiredMixin, TemplateView):
    """Everything every app holds about the volunteer, section by section, as a readable page."""

    template_name = "volunteers/own/my_data.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["generated_at"] = timezone.now()
        context["sections"] = [
            ShownSection(section.key, section.title, section.intro, readable(value, section.key))
            for section, value in export_sections(profile=self.profile, actor=self.profile.user)
        ]
        return context


@method_decorator(never_cache, name="dispatch")
class MyDataDownloadView(VolunteerRequiredMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        data = export_my_data(profile=self.profile, actor=self.profile.user)
        response = HttpResponse(
            json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="my-involvement-data.json"'
        return response
