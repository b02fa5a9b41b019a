"""What every coordinator page of the sessions app shares: the coordinator role somewhere (else
403), and the session through ``selectors.coordinator_sessions`` (another university's id: 404)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404

from accounts.models import Membership
from accounts.permissions import RoleRequiredMixin, acting_user
from involvement.forms_views import FormT, ServiceFormView
from sessions_app import selectors
from sessions_app.models import TeachingSession, TeachingSessionQuerySet
from sessions_app.services import SessionError

COORDINATOR = Membership.Role.COORDINATOR


class CoordinatorMixin(RoleRequiredMixin):
    """The coordinator role somewhere (else 403); objects from the universities where it is held."""

    required_roles = (COORDINATOR,)
    kwargs: dict[str, Any]

    def universities(self) -> list[int]:
        return selectors.coordinator_universities(acting_user(self.request))

    def sessions(self) -> TeachingSessionQuerySet:
        return selectors.coordinator_sessions(acting_user(self.request))


class CoordinatorFormView(CoordinatorMixin, ServiceFormView[FormT]):
    """A coordinator's page with one form; a SessionError is shown on the form (400)."""

    domain_error = SessionError


class CoordinatorSessionMixin(CoordinatorMixin):
    """A page about one session of the coordinator's universities (another's: 404)."""

    def get_session(self) -> TeachingSession:
        if not hasattr(self, "_session"):
            self._session = get_object_or_404(
                self.sessions().select_related("module__programme__university", "owner"), pk=self.kwargs["pk"]
            )
        return self._session

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # mixin over a View
        context["session"] = self.get_session()
        return context


class SessionFormView(CoordinatorSessionMixin, ServiceFormView[FormT]):
    """A page with one form about a session; a SessionError is shown on its field (400).
    Success goes back to the session's page."""

    domain_error = SessionError

    def get_success_url(self) -> str:
        return self.get_session().get_absolute_url()
