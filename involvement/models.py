"""The platform core every app builds on: timestamps, the notification outbox, the audit trail."""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone


class TimeStampedModel(models.Model):
    """Adds ``created_at`` and ``updated_at``, set by the database layer on every save."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class NotificationQuerySet(models.QuerySet["Notification"]):
    def pending(self) -> Self:
        return self.filter(status=Notification.Status.PENDING)

    def due_for_sweep(self) -> Self:
        """Pending rows whose delivery task should have run by now."""
        cutoff = timezone.now() - settings.NOTIFICATION_SWEEP_AFTER
        return self.pending().filter(
            Q(last_attempt_at__lt=cutoff) | Q(last_attempt_at__isnull=True, created_at__lt=cutoff)
        )


class Notification(TimeStampedModel):
    """One email to one person, written in the same transaction as its cause.

    ``unique_key`` names the event (``reminder:7d:booking:123``) so the same email can never be
    queued twice; delivery (``involvement.notifications.deliver_notification``) sends it once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    email = models.EmailField(help_text="The address at the time the email was queued.")
    about = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The person an email to someone else names (a volunteer, in an email to their lead), so "
        "erasing that person's record can redact it.",
    )
    template_key = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    unique_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="notification_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed"]), name="notification_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"), name="notification_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_key} to {self.email} ({self.status})"


class ActivityLog(models.Model):
    """An append-only record of a decision: who did what to which object, and when.

    ``data`` holds codes and ids, never special-category content itself.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    action = models.CharField(max_length=100)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_id = models.CharField(max_length=64, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="activity_object_idx"),
            models.Index(fields=["action", "created_at"], name="activity_action_idx"),
            # A network's record of who was shown its volunteers' special-category data.
            models.Index(fields=["organisation", "action", "created_at"], name="activity_org_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id or 'system'} at {self.created_at:%Y-%m-%d %H:%M}"
