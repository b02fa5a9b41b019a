from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from accounts.forms import ChangeRoleForm, InviteMemberForm
from accounts.home import home_url_for
from accounts.models import MemberInvitation, Membership, Organisation, Partnership, User
from accounts.permissions import (
    STAFF_ROLES,
    RoleRequiredMixin,
    acting_user,
    forget_roles,
    has_role,
    organisations_with_role,
)
from accounts.selectors import networks_taking_applications
from accounts.services import (
    AccountsError,
    accept_invitation,
    change_membership_role,
    invitation_from_token,
    invite_member,
    remove_membership,
    revoke_invitation,
)


class HomeView(View):
    """Anonymous visitors see what the platform is; signed-in people go where they came for."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return render(request, "home/landing.html")
        url = home_url_for(user)
        if url:
            return redirect(url)
        return render(request, "accounts/dashboard.html", {"networks": list(networks_taking_applications())})


class OrganisationRoleMixin(RoleRequiredMixin):
    """An organisation page: the role is needed somewhere (403), then in this organisation (404)."""

    required_roles: Iterable[str] = STAFF_ROLES
    kwargs: dict[str, Any]

    def get_organisation(self) -> Organisation:
        if not hasattr(self, "_organisation"):
            allowed = organisations_with_role(acting_user(self.request), self.required_roles)
            self._organisation = get_object_or_404(
                Organisation.objects.filter(pk__in=allowed), slug=self.kwargs["slug"]
            )
        return self._organisation

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # mixin over a View
        context["organisation"] = self.get_organisation()
        return context


class OrganisationListView(RoleRequiredMixin, TemplateView):
    required_roles = STAFF_ROLES
    template_name = "accounts/organisation_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["memberships"] = Membership.objects.for_user(acting_user(self.request))
        return context


class OrganisationDetailView(OrganisationRoleMixin, TemplateView):
    template_name = "accounts/organisation_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        organisation = context["organisation"]
        context["my_roles"] = Membership.objects.filter(user=acting_user(self.request), organisation=organisation)
        context["partnerships"] = (
            Partnership.objects.involving(organisation).select_related("network", "university").order_by("-starts_on")
        )
        context["is_admin"] = context["my_roles"].filter(role=Membership.Role.ADMIN).exists()
        return context


def members_of(organisation: Organisation) -> QuerySet[User]:
    """The organisation's people, each with their memberships here prefetched."""
    return (
        User.objects.filter(memberships__organisation=organisation)
        .distinct()
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(organisation=organisation).order_by("role"),
                to_attr="roles_here",
            )
        )
        .order_by("name", "email")
    )


class MemberListView(OrganisationRoleMixin, TemplateView):
    required_roles = (Membership.Role.ADMIN,)
    template_name = "accounts/member_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        organisation = context["organisation"]
        context["members"] = members_of(organisation)
        context["invitations"] = organisation.invitations.filter(status=MemberInvitation.Status.PENDING).select_related(
            "invited_by"
        )
        context.setdefault("form", InviteMemberForm())
        return context


class InviteMemberView(MemberListView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organisation = self.get_organisation()
        form = InviteMemberForm(request.POST)
        if form.is_valid():
            try:
                invitation = invite_member(
                    organisation=organisation,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=acting_user(request),
                )
            except AccountsError as error:
                form.add_error("email", str(error))
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("accounts:members", slug=organisation.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class MembershipActionMixin(OrganisationRoleMixin):
    required_roles = (Membership.Role.ADMIN,)

    def get_membership(self) -> Membership:
        return get_object_or_404(
            Membership.objects.select_related("user", "organisation"),
            organisation=self.get_organisation(),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["membership"] = self.get_membership()
        return context


def after_membership_change(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Back to the members page, or home for an admin who has just given up their own admin role."""
    user = acting_user(request)
    forget_roles(user)
    if not has_role(user, [Membership.Role.ADMIN], membership.organisation):
        return redirect("home")
    return redirect("accounts:members", slug=membership.organisation.slug)


class ChangeRoleView(MembershipActionMixin, TemplateView):
    template_name = "accounts/membership_role_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ChangeRoleForm(current_role=context["membership"].role))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = self.get_membership()
        form = ChangeRoleForm(request.POST)
        if form.is_valid():
            previous_role = membership.role
            try:
                changed = change_membership_role(
                    membership=membership, role=form.cleaned_data["role"], actor=acting_user(request)
                )
            except AccountsError as error:
                form.add_error("role", str(error))
            else:
                if changed.role == previous_role:
                    messages.info(request, f"{membership.user} already had that role; nothing changed.")
                else:
                    messages.success(request, f"{membership.user} is now {changed.get_role_display().lower()}.")
                return after_membership_change(request, membership)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class RemoveMemberView(MembershipActionMixin, TemplateView):
    template_name = "accounts/membership_confirm_remove.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = self.get_membership()
        try:
            remove_membership(membership=membership, actor=acting_user(request))
        except AccountsError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{membership.user} no longer has the {membership.get_role_display()} role.")
        return after_membership_change(request, membership)


class RevokeInvitationView(OrganisationRoleMixin, TemplateView):
    required_roles = (Membership.Role.ADMIN,)
    template_name = "accounts/invitation_confirm_revoke.html"

    def get_invitation(self) -> MemberInvitation:
        return get_object_or_404(MemberInvitation, organisation=self.get_organisation(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["invitation"] = self.get_invitation()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        invitation = self.get_invitation()
        try:
            revoke_invitation(invitation=invitation, actor=acting_user(request))
        except AccountsError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
        return redirect("accounts:members", slug=invitation.organisation.slug)


class MemberInvitationView(View):
    """The page an invitation email links to. Anyone may open it; accepting needs sign-in."""

    template_name = "accounts/invitation.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            self.invitation = invitation_from_token(kwargs["token"])
        except AccountsError as error:
            return render(request, self.template_name, {"error": str(error)}, status=400)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        return render(request, self.template_name, {"invitation": self.invitation, "token": token})

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('account_login')}?next={request.path}")
        try:
            membership = accept_invitation(invitation=self.invitation, user=request.user)
        except AccountsError as error:
            return render(
                request,
                self.template_name,
                {"invitation": self.invitation, "token": token, "error": str(error)},
                status=400,
            )
        messages.success(
            request, f"Welcome. You are now {membership.get_role_display().lower()} at {membership.organisation}."
        )
        return redirect("home")
