"""Volunteers: a person's profile and their place in one or more networks."""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from involvement.models import TimeStampedModel


class VolunteerProfile(TimeStampedModel):
    """The volunteer's own record, shared by every network they belong to."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="volunteer_profile")

    class Meta:
        ordering = ["user__name"]

    def __str__(self) -> str:
        return str(self.user)


class NetworkMembershipQuerySet(models.QuerySet["NetworkMembership"]):
    def active(self) -> Self:
        return self.filter(status=NetworkMembership.Status.ACTIVE)


class NetworkMembership(TimeStampedModel):
    """A volunteer's place in one network (a charity's, or a university's own pool)."""

    class Status(models.TextChoices):
        APPLICANT = "applicant", "Applicant"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        LEFT = "left", "Left"
        DECLINED = "declined", "Application declined"

    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.CASCADE, related_name="memberships")
    network = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="volunteer_memberships")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLICANT)

    objects = NetworkMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["network__name"]
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "network"], name="network_membership_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["applicant", "active", "paused", "left", "declined"]),
                name="network_membership_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} in {self.network} ({self.status})"
