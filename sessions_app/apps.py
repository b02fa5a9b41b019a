from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

from involvement import formatting

if TYPE_CHECKING:
    from accounts.models import Organisation, User
    from volunteers.models import ConsentPurpose, VolunteerProfile


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
        from volunteers.consent_effects import WithdrawalEffects, register_withdrawal_effects
        from volunteers.data_rights import register_provider

        register_provider(PROVIDER)
        from sessions_app.panels import lead_participation, own_totals
        from volunteers.panels import LEAD_VOLUNTEER, VOLUNTEER_HOME, Panel, register_panel

        register_panel(
            Panel(
                "sessions-participation",
                LEAD_VOLUNTEER,
                order=10,
                template="sessions_app/panels/_participation.html",
                context=lead_participation,
            )
        )
        register_panel(
            Panel(
                "sessions-own-totals",
                VOLUNTEER_HOME,
                order=10,
                template="sessions_app/panels/_own_totals.html",
                context=own_totals,
            )
        )
        register_withdrawal_effects(
            WithdrawalEffects(name="sessions", preview=withdrawal_preview, apply=withdrawal_apply)
        )


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


def withdrawal_preview(profile: VolunteerProfile, purpose: ConsentPurpose, network: Organisation) -> list[str]:
    """The places a withdrawal would cancel, in words for the person confirming it."""

    from sessions_app.selectors import places_needing_consent

    return [
        f"The place at “{booking.session.title}” ({booking.session.university}) on "
        f"{formatting.moment(booking.session.starts_at)} will be cancelled, "
        "because the session needs this consent. We will tell the coordinator."
        for booking in places_needing_consent(profile, purpose, network)
    ]


def withdrawal_apply(profile: VolunteerProfile, purpose: ConsentPurpose, network: Organisation, actor: User) -> None:
    from sessions_app.selectors import places_needing_consent
    from sessions_app.services import cancel_for_withdrawn_consent

    # Asked after the withdrawal is recorded: the network's grant no longer counts, so the places
    # found are those no other network's consent covers.
    for booking in places_needing_consent(profile, purpose, network):
        cancel_for_withdrawn_consent(booking=booking, actor=actor, purpose=purpose)
