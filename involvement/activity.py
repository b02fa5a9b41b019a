"""The audit trail: ``record_activity`` is called by services for every decision that matters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from involvement.models import ActivityLog

if TYPE_CHECKING:
    from accounts.models import Organisation, User


def record_activity(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    organisation: Organisation | None = None,
    data: dict[str, Any] | None = None,
) -> ActivityLog:
    """Append one ActivityLog row. ``data`` holds codes and ids, never special-category text."""
    return ActivityLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        organisation=organisation,
        data=data or {},
    )
