from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from accounts.models import User


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = "Sessions and bookings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.home import HomeRoute, register_home
        from accounts.models import Membership
        from accounts.navigation import NavEntry, register
        from involvement.notifications import register_attachments
        from sessions_app.calendar import confirmation_attachments
        from volunteers.apps import is_volunteer

        coordinators = frozenset({Membership.Role.COORDINATOR})
        register(NavEntry("My sessions", "sessions_app:my_sessions", order=9, visible=is_volunteer))
        register(NavEntry("Sessions", "sessions_app:sessions", order=30, roles=coordinators))
        register(NavEntry("Programmes", "sessions_app:programmes", order=31, roles=coordinators))
        register(NavEntry("Calendar", "sessions_app:month", order=32, roles=coordinators))
        register_home(HomeRoute(order=30, name="coordinator-sessions", url_for=coordinator_home))
        register_home(HomeRoute(order=45, name="volunteer-sessions", url_for=volunteer_sessions_home))
        register_attachments("sessions_app/booking_confirmed", confirmation_attachments)
        from sessions_app.personal_data import PROVIDER
        from volunteers.data_rights import register_provider

        register_provider(PROVIDER)


def coordinator_home(user: User) -> str | None:
    from django.urls import reverse

    from accounts.models import Membership
    from accounts.permissions import has_role

    return reverse("sessions_app:sessions") if has_role(user, [Membership.Role.COORDINATOR]) else None


def volunteer_sessions_home(user: User) -> str | None:
    """A volunteer comes to their sessions (issue: "a volunteer to their sessions")."""
    from django.urls import reverse

    from volunteers.apps import is_volunteer

    return reverse("sessions_app:my_sessions") if is_volunteer(user) else None
