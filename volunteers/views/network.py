"""A lead's pages for their network: the list, a volunteer's page, decisions, the onboarding
checklist, paper and verbal consent, the experience list; and the short volunteer summary that
leads and partnered coordinators see.

Every network comes from the networks the user leads and every membership from that network, so
another network's slug or id gives 404. Special-category data shown here is logged through
``services.record_special_category_view`` (and its list variant).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Count, Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Organisation
from accounts.permissions import RoleRequiredMixin, acting_user
from involvement.forms_views import FormT, ServiceFormView
from involvement.models import ActivityLog
from volunteers import access_log, services
from volunteers.consent_effects import withdrawal_consequences
from volunteers.forms.network import (
    AcceptForm,
    ConfirmForm,
    ConsentRecordForm,
    DeclineForm,
    EraseForm,
    ExperienceTagForm,
    LeadPauseForm,
    NetworkFilterForm,
    OnboardingCheckForm,
)
from volunteers.models import (
    ConsentRecord,
    ExperienceTag,
    NetworkMembership,
    OnboardingCheck,
    PartOfDay,
    VolunteerProfile,
    Weekday,
)
from volunteers.panels import LEAD_HOME, LEAD_VOLUNTEER, panels_for
from volunteers.permissions import COORDINATOR, LEAD, lead_networks, profiles_visible_to
from volunteers.selectors import consent_states, network_memberships
from volunteers.services import VolunteerError

PAGE_SIZE = 25
Status = NetworkMembership.Status


class NetworkMixin(RoleRequiredMixin):
    """A page of one network: the lead role somewhere (403), then in this network (404)."""

    required_roles = (LEAD,)
    kwargs: dict[str, Any]

    def get_network(self) -> Organisation:
        if not hasattr(self, "_network"):
            self._network = get_object_or_404(lead_networks(acting_user(self.request)), slug=self.kwargs["slug"])
        return self._network

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # mixin over a View
        context["network"] = self.get_network()
        return context


class MembershipMixin(NetworkMixin):
    """A page about one volunteer of the network (erased volunteers are gone: 404)."""

    def get_membership(self) -> NetworkMembership:
        if not hasattr(self, "_membership"):
            self._membership = get_object_or_404(
                NetworkMembership.objects.filter(
                    network=self.get_network(), volunteer__erased_at__isnull=True
                ).select_related("volunteer__user", "network"),
                pk=self.kwargs["pk"],
            )
        return self._membership

    def volunteer_url(self) -> str:
        return reverse(
            "volunteers:network_volunteer", kwargs={"slug": self.get_network().slug, "pk": self.get_membership().pk}
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["membership"] = self.get_membership()
        context["profile"] = context["membership"].volunteer
        context["volunteer_url"] = self.volunteer_url()
        return context


class MembershipFormView(MembershipMixin, ServiceFormView[FormT]):
    """A page with a form about one volunteer of the network; a VolunteerError is shown on the
    form (400). Success goes back to the volunteer's page."""

    domain_error = VolunteerError

    def get_success_url(self) -> str:
        return self.volunteer_url()


# The list ------------------------------------------------------------------------------------------


class MyNetworkView(RoleRequiredMixin, View):
    """The "Network" menu entry: the list of the first network the lead leads."""

    required_roles = (LEAD,)

    def get(self, request: HttpRequest) -> HttpResponse:
        network = lead_networks(acting_user(request)).order_by("name").first()
        if network is None:
            raise Http404("You do not lead a network.")
        return redirect("volunteers:network_list", slug=network.slug)


class NetworkListView(NetworkMixin, TemplateView):
    """The network's volunteers and applicants, filtered and 25 to a page, in a fixed number of queries.

    Filters are posted and kept in the session, never put in the address: a name searched for
    together with an experience filter would otherwise reveal special-category data in URLs and
    server logs. The address carries only the page number.
    """

    template_name = "volunteers/network/membership_list.html"

    def session_key(self) -> str:
        return f"network-filters:{self.get_network().pk}"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        saved = request.session.get(self.session_key())
        form = NetworkFilterForm(MultiValueDict(saved) if saved else None, network=self.get_network())
        return self.render_list(form, status=200)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        network = self.get_network()
        if "clear" in request.POST:
            request.session.pop(self.session_key(), None)
            return redirect("volunteers:network_list", slug=network.slug)
        form = NetworkFilterForm(request.POST, network=network)
        if not form.is_valid():
            return self.render_list(form, status=400)
        request.session[self.session_key()] = {name: request.POST.getlist(name) for name in form.fields}
        return redirect("volunteers:network_list", slug=network.slug)

    def render_list(self, form: NetworkFilterForm, *, status: int) -> HttpResponse:
        context = self.get_context_data(form=form, **self.kwargs)
        services.record_special_category_list_view(
            profiles=[membership.volunteer for membership in context["memberships"]],
            actor=acting_user(self.request),
            where="network_list",
            network=context["network"],
        )
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        network = context["network"]
        form = context["form"]
        page = Paginator(network_memberships(network, form.filters()), PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(
            filtering=form.is_bound,
            page_obj=page,
            page_range=page.paginator.get_elided_page_range(page.number),
            memberships=list(page.object_list),
            applicants_waiting=NetworkMembership.objects.filter(
                network=network, status=Status.APPLICANT, volunteer__erased_at__isnull=True
            ).count(),
        )
        context["panels"] = panels_for(LEAD_HOME, acting_user(self.request), network=network)
        return context


# A volunteer's page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    label: str
    at: datetime.datetime


STATUS_ACTIONS = {
    "volunteer.applied": "Applied",
    "volunteer.declined": "Application declined",
    "volunteer.paused": "Paused",
    "volunteer.left": "Left the network",
}


def status_history(membership: NetworkMembership) -> list[HistoryEntry]:
    """The membership's changes of status from the audit trail, oldest first (codes, never content)."""
    entries = ActivityLog.objects.filter(
        content_type=ContentType.objects.get_for_model(NetworkMembership),
        object_id=str(membership.pk),
        action__in=[*STATUS_ACTIONS, "volunteer.active"],
    ).order_by("created_at", "pk")
    history = []
    for entry in entries:
        if entry.action == "volunteer.active":
            label = "Application accepted" if entry.data.get("from") == Status.APPLICANT else "Active again"
        else:
            label = STATUS_ACTIONS[entry.action]
        history.append(HistoryEntry(label, entry.created_at))
    return history


def availability_grid(profile: VolunteerProfile) -> list[tuple[str, list[bool]]]:
    """Each weekday with, for morning, afternoon and evening, whether they are usually free."""
    free = set(profile.weekly_availability.values_list("weekday", "part_of_day"))
    return [(day.label, [(day.value, part) in free for part in PartOfDay.values]) for day in Weekday]


class NetworkVolunteerView(MembershipMixin, TemplateView):
    """Everything the lead holds about one volunteer, with the actions their status allows."""

    template_name = "volunteers/network/membership_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = self.get_membership()
        services.record_special_category_view(
            profile=membership.volunteer,
            actor=acting_user(request),
            where="network_volunteer",
            network=membership.network,
        )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        membership: NetworkMembership = context["membership"]
        profile: VolunteerProfile = context["profile"]
        # Read once for the list and for what is still missing.
        prefetch_related_objects([membership], "checks")
        context.update(
            experience=list(profile.experience_tags.all()),
            availability=availability_grid(profile),
            parts_of_day=PartOfDay.labels,
            time_away=list(profile.time_away.filter(ends_on__gte=timezone.localdate())),
            history=status_history(membership),
            consent_states=consent_states(profile, self.get_network()),
            checks=list(membership.checks.all()),
            missing=services.missing_onboarding(membership),
        )
        context["panels"] = panels_for(
            LEAD_VOLUNTEER, acting_user(self.request), network=membership.network, profile=profile
        )
        return context


# Decisions -----------------------------------------------------------------------------------------


class AcceptView(MembershipFormView[AcceptForm]):
    template_name = "volunteers/network/membership_confirm_accept.html"
    form_class = AcceptForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["missing"] = services.missing_onboarding(context["membership"])
        return context

    def act(self, form: AcceptForm) -> str:
        membership = services.accept_application(
            membership=self.get_membership(), actor=acting_user(self.request), message=form.cleaned_data["message"]
        )
        return f"{membership.volunteer.display_name} is now an active volunteer. We have emailed them."


class DeclineView(MembershipFormView[DeclineForm]):
    template_name = "volunteers/network/membership_confirm_decline.html"
    form_class = DeclineForm

    def act(self, form: DeclineForm) -> str:
        membership = services.decline_application(
            membership=self.get_membership(), actor=acting_user(self.request), message=form.cleaned_data["message"]
        )
        return f"The application was declined. We have emailed {membership.volunteer.display_name} your message."


class LeadPauseView(MembershipFormView[LeadPauseForm]):
    template_name = "volunteers/network/membership_confirm_pause.html"
    form_class = LeadPauseForm

    def error_field(self, form: LeadPauseForm, error: Exception) -> str | None:
        # For an active volunteer the only thing that can be wrong is the date.
        return "until" if self.get_membership().status == Status.ACTIVE else None

    def act(self, form: LeadPauseForm) -> str:
        membership = self.get_membership()
        services.pause_volunteer(
            profile=membership.volunteer,
            actor=acting_user(self.request),
            until=form.cleaned_data["until"],
            network=self.get_network(),
        )
        return f"{membership.volunteer.display_name} is paused. They will not be suggested for sessions."


class ReactivateView(MembershipFormView[ConfirmForm]):
    template_name = "volunteers/network/membership_confirm_reactivate.html"
    form_class = ConfirmForm

    def act(self, form: ConfirmForm) -> str:
        membership = self.get_membership()
        services.reactivate_volunteer(
            profile=membership.volunteer, actor=acting_user(self.request), network=self.get_network()
        )
        return f"{membership.volunteer.display_name} is active again."


class EraseView(MembershipFormView[EraseForm]):
    template_name = "volunteers/network/membership_confirm_erase.html"
    form_class = EraseForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["other_networks"] = list(
            context["profile"]
            .memberships.exclude(pk=context["membership"].pk)
            .order_by("network__name")
            .values_list("network__name", flat=True)
        )
        return context

    def act(self, form: EraseForm) -> str:
        services.erase_volunteer(profile=self.get_membership().volunteer, actor=acting_user(self.request))
        return "The volunteer’s personal details have been erased. Their account can no longer be used."

    def get_success_url(self) -> str:
        return reverse("volunteers:network_list", kwargs={"slug": self.get_network().slug})


# The onboarding checklist ----------------------------------------------------------------------------


class CheckAddView(MembershipFormView[OnboardingCheckForm]):
    template_name = "volunteers/network/onboardingcheck_form.html"
    form_class = OnboardingCheckForm

    def get_check(self) -> OnboardingCheck | None:
        return None

    def get_form_kwargs(self) -> dict[str, Any]:
        check = self.get_check()
        initial = {}
        if check is not None:
            initial = {
                "kind": check.kind,
                "name": check.name,
                "completed_on": check.completed_on,
                "expires_on": check.expires_on,
            }
        return {"initial": initial}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["check"] = self.get_check()
        return context

    def act(self, form: OnboardingCheckForm) -> str:
        check = services.record_check(
            membership=self.get_membership(),
            actor=acting_user(self.request),
            check=self.get_check(),
            **form.cleaned_data,
        )
        return f"{check.label} is recorded."


class CheckEditView(CheckAddView):
    def get_check(self) -> OnboardingCheck:
        if not hasattr(self, "_check"):
            self._check = get_object_or_404(
                OnboardingCheck.objects.filter(membership=self.get_membership()), pk=self.kwargs["check_pk"]
            )
        return self._check


# Consent recorded by staff -------------------------------------------------------------------------


class ConsentRecordView(MembershipFormView[ConsentRecordForm]):
    """A paper or verbal consent (or its withdrawal) to the lead's network's wording, recorded by
    the lead on the volunteer's behalf. Another network's wording is neither shown nor offered."""

    template_name = "volunteers/network/consentrecord_form.html"
    form_class = ConsentRecordForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"network": self.get_network()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["consent_states"] = consent_states(context["profile"], self.get_network())
        return context

    def error_field(self, form: ConsentRecordForm, error: Exception) -> str | None:
        return "action"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """A withdrawal that would cancel places on sessions first shows what, then needs confirming."""
        form = self.get_form(request.POST)
        if form.is_valid() and form.cleaned_data["action"] == ConsentRecord.Action.WITHDRAWN:
            consequences = withdrawal_consequences(
                self.get_membership().volunteer, form.cleaned_data["purpose"], self.get_network()
            )
            if consequences and not form.cleaned_data["confirmed"]:
                data = request.POST.copy()
                data["confirmed"] = "on"
                return self.render_to_response(
                    self.get_context_data(form=self.get_form(data), consequences=consequences)
                )
        return super().post(request, *args, **kwargs)

    def act(self, form: ConsentRecordForm) -> str:
        data = form.cleaned_data
        profile = self.get_membership().volunteer
        network = self.get_network()
        purpose = data["purpose"]
        options = {"profile": profile, "actor": acting_user(self.request), "method": data["method"]}
        if data["action"] == ConsentRecord.Action.GRANTED:
            text = services.current_text(purpose, network)
            if text is None:
                raise VolunteerError(f"“{purpose.name}” has no wording yet.")
            services.grant_consent(text=text, note=data["note"], **options)
            return f"Recorded: {profile.display_name} gave consent to “{purpose.name}”."
        services.withdraw_consent(purpose=purpose, network=network, note=data["note"], **options)
        return f"Recorded: {profile.display_name} withdrew consent to “{purpose.name}”."


# The network's experience list ---------------------------------------------------------------------


class ExperienceTagsView(NetworkMixin, ServiceFormView[ExperienceTagForm]):
    """The network's list of experience, with how many volunteers have each, and a form to add one."""

    template_name = "volunteers/network/experiencetag_list.html"
    form_class = ExperienceTagForm
    domain_error = VolunteerError

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["tags"] = (
            ExperienceTag.objects.filter(network=context["network"])
            .annotate(volunteer_count=Count("volunteers", filter=Q(volunteers__erased_at__isnull=True)))
            .order_by("name")
        )
        return context

    def act(self, form: ExperienceTagForm) -> str:
        tag = services.add_experience_tag(
            network=self.get_network(), name=form.cleaned_data["name"], actor=acting_user(self.request)
        )
        return f"“{tag.name}” is added to the list."

    def get_success_url(self) -> str:
        return reverse("volunteers:tags", kwargs={"slug": self.get_network().slug})


class DataViewsView(NetworkMixin, TemplateView):
    """Who was shown the network's volunteers' special-category data, when and on which page,
    newest first, 50 to a page, in a fixed number of queries."""

    template_name = "volunteers/network/data_views.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        network = context["network"]
        page = Paginator(access_log.data_views(network), 50).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, views=access_log.describe(list(page.object_list), network))
        return context


# The summary leads and partnered coordinators see --------------------------------------------------


class VolunteerSummaryView(RoleRequiredMixin, TemplateView):
    """Name, pronouns, perspective, experience and the short biography; nothing more."""

    required_roles = (LEAD, COORDINATOR)
    template_name = "volunteers/network/volunteerprofile_summary.html"

    def get_profile(self) -> VolunteerProfile:
        if not hasattr(self, "_profile"):
            self._profile = get_object_or_404(
                profiles_visible_to(acting_user(self.request)).select_related("user"), pk=self.kwargs["pk"]
            )
        return self._profile

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        services.record_special_category_view(
            profile=self.get_profile(), actor=acting_user(request), where="volunteer_summary"
        )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["profile"] = self.get_profile()
        context["experience"] = list(context["profile"].experience_tags.all())
        return context
