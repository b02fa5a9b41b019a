"""Who sees which claims: the claimant, and the coordinators and finance officers of the
university the session belonged to. Receipts follow their claim."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Membership, User
from accounts.permissions import organisations_with_role
from expenses.models import Claim, Receipt

APPROVER_ROLES = (Membership.Role.COORDINATOR, Membership.Role.FINANCE)


def approver_universities(user: User) -> list[int]:
    return organisations_with_role(user, APPROVER_ROLES)


def claims_for_approver(user: User) -> QuerySet[Claim]:
    """Claims about sessions of the universities where ``user`` coordinates or does finance."""
    return Claim.objects.for_university(approver_universities(user))


def claims_visible_to(user: User) -> QuerySet[Claim]:
    """The user's own claims as a volunteer, and the claims they may approve."""
    return Claim.objects.filter(
        Q(volunteer__user=user) | Q(booking__session__module__programme__university_id__in=approver_universities(user))
    )


def receipts_visible_to(user: User) -> QuerySet[Receipt]:
    return Receipt.objects.filter(claim__in=claims_visible_to(user))
