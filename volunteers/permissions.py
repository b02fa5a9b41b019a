"""Who may see and do what with volunteers' records. Special-category data is shown exactly as
DESIGN.md says: to the volunteer, to the leads of their networks, and (later) to coordinators of
sessions they are booked into."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from accounts.models import Membership, Organisation, Partnership
from accounts.permissions import organisations_with_role
from volunteers.models import NetworkMembership, VolunteerProfile

if TYPE_CHECKING:
    from accounts.models import User

LEAD = Membership.Role.LEAD
COORDINATOR = Membership.Role.COORDINATOR
ADMIN = Membership.Role.ADMIN


def lead_networks(user: User) -> QuerySet[Organisation]:
    """The networks this user leads."""
    return Organisation.objects.filter(pk__in=organisations_with_role(user, [LEAD]))


def administered_organisations(user: User) -> QuerySet[Organisation]:
    """The organisations where this user is an org admin."""
    return Organisation.objects.filter(pk__in=organisations_with_role(user, [ADMIN]))


def can_publish_consent_text(user: User, network: Organisation) -> bool:
    """Consent wording belongs to the network whose volunteers give it: only its admins publish it."""
    return network.pk in organisations_with_role(user, [ADMIN])


def consent_relying_choices(network: Organisation) -> QuerySet[Organisation]:
    """The organisations a version of ``network``'s consent wording may name as relying on it:
    the network itself and the universities in an active partnership with it."""
    partners = Partnership.objects.active().filter(network=network).values("university_id")
    return Organisation.objects.filter(Q(pk=network.pk) | Q(pk__in=partners))


def memberships_led_by(user: User) -> QuerySet[NetworkMembership]:
    """Network memberships a lead may manage: those in the networks they lead."""
    return NetworkMembership.objects.filter(network_id__in=organisations_with_role(user, [LEAD]))


def is_lead_of(user: User, profile: VolunteerProfile) -> bool:
    networks = organisations_with_role(user, [LEAD])
    return bool(networks) and profile.memberships.filter(network_id__in=networks).exists()


def can_see_special_category(user: User, profile: VolunteerProfile) -> bool:
    """The volunteer themself, or a lead of one of their networks."""
    return profile.user_id == user.pk or is_lead_of(user, profile)


def profiles_visible_to(user: User) -> QuerySet[VolunteerProfile]:
    """Volunteers whose summary (name, perspective, experience, biography) ``user`` may see: the
    volunteers of networks they lead, and active volunteers of networks partnered with a
    university where they coordinate."""
    led = organisations_with_role(user, [LEAD])
    universities = organisations_with_role(user, [COORDINATOR])
    partnered = Partnership.objects.active().filter(university_id__in=universities).values("network_id")
    # No ORDER BY in the parts of the UNION (the model's default ordering would break it on SQLite).
    in_led = NetworkMembership.objects.filter(network_id__in=led).order_by().values("volunteer_id")
    findable = (
        NetworkMembership.objects.filter(network_id__in=partnered, status=NetworkMembership.Status.ACTIVE)
        .order_by()
        .values("volunteer_id")
    )
    return VolunteerProfile.objects.filter(erased_at__isnull=True).filter(pk__in=in_led.union(findable))
