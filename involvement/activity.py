"""The audit trail: ``record_activity`` is called by services for every decision that matters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from involvement.models import ActivityLog

if TYPE_CHECKING:
    from accounts.models import Organisation, User


def _entry(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None,
    organisation: Organisation | None,
    data: dict[str, Any] | None,
) -> ActivityLog:
    return ActivityLog(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        organisation=organisation,
        data=data or {},
    )


def record_activity(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    organisation: Organisation | None = None,
    data: dict[str, Any] | None = None,
) -> ActivityLog:
    """Append one ActivityLog row. ``data`` holds codes and ids, never special-category text."""
    entry = _entry(actor=actor, action=action, target=target, organisation=organisation, data=data)
    entry.save(force_insert=True)
    return entry


def record_activities(
    *, actor: User | None, action: str, targets: Iterable[tuple[models.Model, Organisation | None]]
) -> list[ActivityLog]:
    """``record_activity`` for one action on many (target, organisation) pairs (a batch job's),
    in one insert: one row each, in the order given."""
    entries = [
        _entry(actor=actor, action=action, target=target, organisation=organisation, data=None)
        for target, organisation in targets
    ]
    return ActivityLog.objects.bulk_create(entries)
