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
        from accounts.services import delete_expired_sign_ins
        from involvement.retention import Rule, register_rule

        register_rule(
            Rule(
                name="accounts.expired_sign_ins",
                data="Sign-in sessions, sign-in throttle counters (keyed by email hash or IP address) "
                "and the two-factor codes already used",
                period="Until each expires: a session at its expiry (two weeks after last use; 9 hours "
                "after signing in for staff), a throttle counter at the end of its window (at most a day)",
                why="They only serve while they are live; an IP address or a record of who signed in when "
                "is personal data nobody needs afterwards.",
                setting="SESSION_COOKIE_AGE, STAFF_SESSION_HOURS, ACCOUNT_RATE_LIMITS",
                apply=lambda now: delete_expired_sign_ins(now=now),
                order=95,
            )
        )


def admin_home(user: User) -> str | None:
    """An org admin comes to manage their organisation's members."""
    from django.urls import reverse

    from accounts.models import Membership

    membership = Membership.objects.filter(user=user, role=Membership.Role.ADMIN).select_related("organisation").first()
    return reverse("accounts:members", kwargs={"slug": membership.organisation.slug}) if membership else None
