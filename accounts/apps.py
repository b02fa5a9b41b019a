from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from accounts.models import User


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organisations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.home import HomeRoute, register_home
        from accounts.navigation import NavEntry, register
        from accounts.permissions import STAFF_ROLES

        register(NavEntry("Organisations", "accounts:organisations", order=90, roles=STAFF_ROLES))
        register_home(HomeRoute(order=90, name="admin-members", url_for=admin_home))


def admin_home(user: User) -> str | None:
    """An org admin comes to manage their organisation's members."""
    from django.urls import reverse

    from accounts.models import Membership

    membership = Membership.objects.filter(user=user, role=Membership.Role.ADMIN).select_related("organisation").first()
    return reverse("accounts:members", kwargs={"slug": membership.organisation.slug}) if membership else None
