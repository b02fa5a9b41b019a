from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from accounts.models import User


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = "Volunteers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.home import HomeRoute, register_home
        from accounts.models import Membership
        from accounts.navigation import NavEntry, register

        register(NavEntry("My volunteering", "volunteers:my_volunteering", order=10, visible=is_volunteer))
        register(NavEntry("Profile", "volunteers:profile_edit", order=11, visible=is_volunteer))
        register(NavEntry("Availability", "volunteers:availability_edit", order=12, visible=is_volunteer))
        register(NavEntry("Consent", "volunteers:consent", order=13, visible=is_volunteer))
        register(NavEntry("Network", "volunteers:my_network", order=20, roles=frozenset({Membership.Role.LEAD})))
        register(
            NavEntry(
                "Consent wording", "volunteers:consent_purposes", order=80, roles=frozenset({Membership.Role.ADMIN})
            )
        )
        register_home(HomeRoute(order=10, name="volunteer-consent-review", url_for=consent_review_home))
        register_home(HomeRoute(order=20, name="lead-network", url_for=lead_home))
        register_home(HomeRoute(order=50, name="volunteer", url_for=volunteer_home))
        from volunteers.data_rights import register_provider
        from volunteers.personal_data import PROVIDER

        register_provider(PROVIDER)
        from involvement.retention import Rule, register_rule
        from volunteers.services import delete_old_data_views, delete_unverified_applications

        register_rule(
            Rule(
                name="volunteers.unverified_applications",
                data="Applications whose applicant never confirmed their email address nor signed in, with "
                "the account made for them",
                period="30 days after applying",
                why="Someone who never confirmed the address may not be who the form says, or changed their "
                "mind; a lead cannot reach them, and their statement and contact details should not wait "
                "for ever. They can apply again.",
                setting="RETENTION_UNVERIFIED_APPLICATION_DAYS",
                apply=lambda now: delete_unverified_applications(now=now),
                order=10,
            )
        )
        register_rule(
            Rule(
                name="volunteers.data_views",
                data="The record of who was shown volunteers' special-category data (the leads' "
                "“Who saw their details”)",
                period="2 years after each showing",
                why="Long enough for a volunteer or a lead to raise a concern about who saw what and for it "
                "to be looked into; after that, the record of staff's reading is itself personal data "
                "with no further use.",
                setting="RETENTION_DATA_VIEW_LOG_DAYS",
                apply=lambda now: delete_old_data_views(now=now),
                order=11,
            )
        )


def is_volunteer(user: User) -> bool:
    """Has a volunteer profile (asked once per request: the answer is kept on the user)."""
    from volunteers.models import VolunteerProfile

    if not hasattr(user, "_is_volunteer"):
        user._is_volunteer = VolunteerProfile.objects.filter(user=user, erased_at__isnull=True).exists()  # type: ignore[attr-defined]
    return bool(user._is_volunteer)  # type: ignore[attr-defined]


def consent_review_home(user: User) -> str | None:
    """A volunteer whose consent wording changed is asked again when they next arrive."""
    from django.urls import reverse

    from volunteers.models import VolunteerProfile
    from volunteers.selectors import needs_consent_review

    profile = VolunteerProfile.objects.filter(user=user, erased_at__isnull=True).first()
    if profile is not None and needs_consent_review(profile):
        return reverse("volunteers:consent") + "?review=1"
    return None


def lead_home(user: User) -> str | None:
    from django.urls import reverse

    from accounts.models import Membership
    from accounts.permissions import has_role

    return reverse("volunteers:my_network") if has_role(user, [Membership.Role.LEAD]) else None


def volunteer_home(user: User) -> str | None:
    from django.urls import reverse

    return reverse("volunteers:my_volunteering") if is_volunteer(user) else None
