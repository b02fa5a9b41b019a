from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from accounts.models import User


class ExpensesConfig(AppConfig):
    name = "expenses"
    verbose_name = "Expenses and payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.home import HomeRoute, register_home
        from accounts.models import Membership, Organisation
        from accounts.navigation import NavEntry, register
        from accounts.permissions import has_role_in_kind
        from volunteers.apps import is_volunteer

        Role = Membership.Role
        register(NavEntry("Money", "expenses:money", order=14, visible=is_volunteer))

        # Money pages are a university's: an admin or a finance officer of a charity is not shown them.
        def at_a_university(*roles: str) -> Callable[[User], bool]:
            return lambda user: has_role_in_kind(user, roles, Organisation.Kind.UNIVERSITY)

        register(
            NavEntry("Claims", "expenses:queue", order=40, visible=at_a_university(Role.COORDINATOR, Role.FINANCE))
        )
        register(NavEntry("Payment runs", "expenses:runs", order=41, visible=at_a_university(Role.FINANCE)))
        register(
            NavEntry("Rate cards", "expenses:rate_cards", order=42, visible=at_a_university(Role.FINANCE, Role.ADMIN))
        )
        register(NavEntry("Budgets", "expenses:budgets", order=43, visible=at_a_university(Role.FINANCE, Role.ADMIN)))
        register(
            NavEntry(
                "Finance set-up", "expenses:finance_setup", order=44, visible=at_a_university(Role.FINANCE, Role.ADMIN)
            )
        )
        register_home(HomeRoute(order=35, name="finance-claims", url_for=finance_home))
        from expenses.permissions import attendance_correction_refusal
        from expenses.personal_data import PROVIDER
        from sessions_app.services import register_attendance_correction_guard
        from volunteers.data_rights import register_provider

        # "Did not attend" is refused while the booking's claim is sent, approved or paid.
        register_attendance_correction_guard(attendance_correction_refusal)
        register_provider(PROVIDER)
        from expenses.covered import what_is_covered
        from sessions_app.covered import register_covered

        # What a session pays, said on invitations before the volunteer accepts.
        register_covered(what_is_covered)
        from expenses.services import remove_expired_receipt_files
        from involvement.retention import Rule, register_rule

        register_rule(
            Rule(
                name="expenses.receipt_files",
                data="Receipt files (uploaded PDFs and photos) of paid and rejected claims",
                period="6 years from the end of the tax year (5 April) in which the claim was paid or rejected",
                why="HMRC asks for financial records to be kept six years from the end of the tax year they "
                "relate to; a receipt can show a name, an address or a hospital, so it goes when that ends. "
                "The claim and its payments stay (pseudonymised if the volunteer was erased).",
                setting="FINANCE_RETENTION_YEARS",
                apply=lambda now: remove_expired_receipt_files(now=now),
                order=40,
            )
        )


def finance_home(user: User) -> str | None:
    """A finance officer comes to the claims queue."""
    from django.urls import reverse

    from accounts.models import Membership
    from accounts.permissions import has_role

    return reverse("expenses:queue") if has_role(user, [Membership.Role.FINANCE]) else None
