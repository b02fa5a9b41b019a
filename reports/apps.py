from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from accounts.models import Organisation, User
    from volunteers.models import VolunteerProfile


class ReportsConfig(AppConfig):
    """Reports read every app and no app reads them: what they add elsewhere (the "Reports" link,
    the certificate on the volunteer's home) goes through the registries of ``accounts`` and
    ``volunteers``."""

    name = "reports"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.navigation import NavEntry, register
        from reports.permissions import NAV_ROLES
        from volunteers.panels import VOLUNTEER_HOME, Panel, register_panel

        register(NavEntry("Reports", "reports:index", order=60, roles=NAV_ROLES))
        register_panel(
            Panel(
                "reports-certificate",
                VOLUNTEER_HOME,
                order=15,
                template="reports/panels/_certificate.html",
                context=certificate_panel,
            )
        )


def certificate_panel(
    viewer: User, network: Organisation | None, profile: VolunteerProfile | None
) -> dict[str, Any] | None:
    """The link to the certificate of involvement, on the volunteer's own home (no query)."""
    return None if profile is None else {"profile": profile}
