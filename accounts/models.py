"""People and organisations: User (email is the login), Organisation, Membership, Partnership."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar, Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from involvement.models import TimeStampedModel


class UserManager(DjangoUserManager["User"]):
    """Creates users by email; there is no username."""

    use_in_migrations = True

    def _create_user_by_email(self, email: str, password: str | None, **extra_fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(  # type: ignore[override]  # email replaces username
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user_by_email(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]  # email replaces username
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user_by_email(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. The email address is the login; the name is one Unicode field."""

    username = None  # type: ignore[assignment]  # email is the login
    first_name = None  # type: ignore[assignment]  # one name field: names do not split the same way everywhere
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    name = models.CharField("full name", max_length=150, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["name", "email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class Organisation(TimeStampedModel):
    class Kind(models.TextChoices):
        UNIVERSITY = "university", "University"
        CHARITY = "charity", "Charity"
        NHS_TRUST = "nhs_trust", "NHS trust"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True, help_text="Shown to people applying to this organisation's network.")
    contact_email = models.EmailField(blank=True)
    takes_applications = models.BooleanField(
        default=False,
        help_text="Listed for people who would like to volunteer, with a link to this organisation's application form.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["university", "charity", "nhs_trust", "other"]), name="organisation_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:organisation", kwargs={"slug": self.slug})

    @property
    def is_university(self) -> bool:
        return self.kind == self.Kind.UNIVERSITY


class MembershipQuerySet(models.QuerySet["Membership"]):
    def for_user(self, user: User) -> Self:
        return self.filter(user=user).select_related("organisation")


class Membership(TimeStampedModel):
    """A role a user holds in one organisation. A user may hold several."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", "Coordinator"
        LEAD = "lead", "Lead"
        FINANCE = "finance", "Finance officer"
        ADMIN = "admin", "Organisation admin"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role"),
            models.CheckConstraint(
                condition=Q(role__in=["coordinator", "lead", "finance", "admin"]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"


class PartnershipQuerySet(models.QuerySet["Partnership"]):
    def active(self, on: datetime.date | None = None) -> Self:
        day = on or timezone.localdate()
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day), starts_on__lte=day)

    def involving(self, organisation: Organisation) -> Self:
        return self.filter(Q(network=organisation) | Q(university=organisation))


class Partnership(TimeStampedModel):
    """A charity's (or trust's) volunteer network working with a university, between two dates.

    While active, the university's coordinators may find and invite the network's volunteers and
    the network's leads see what their volunteers did there.
    """

    network = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="partnerships_as_network")
    university = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="partnerships_as_university")
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        ordering = ["university__name", "network__name", "-starts_on"]
        constraints = [
            models.CheckConstraint(condition=~Q(network=F("university")), name="partnership_two_organisations"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="partnership_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network} ↔ {self.university}"

    def is_active(self, on: datetime.date | None = None) -> bool:
        day = on or timezone.localdate()
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)


class MemberInvitation(TimeStampedModel):
    """An org admin's invitation to an email address to take a role in their organisation."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Withdrawn"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations_accepted"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "accepted", "revoked"]), name="invitation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(role__in=["coordinator", "lead", "finance", "admin"]), name="invitation_role_valid"
            ),
            models.UniqueConstraint(
                Lower("email"),
                "organisation",
                "role",
                condition=Q(status="pending"),
                name="invitation_one_pending_per_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()} at {self.organisation}"
