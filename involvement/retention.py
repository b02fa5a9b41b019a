"""The retention schedule: what each app keeps, for how long and why, and the job that carries it out.

``involvement`` owns the registry (as ``volunteers`` owns the data-rights one). Each app that keeps
data for a limited time registers one ``Rule`` per kind of data in its ``AppConfig.ready``: a name,
what is kept, how long (the period is a named setting, read when the rule runs), why, and a
function that deletes or anonymises whatever is past the period at a given moment. One nightly
task, ``involvement.apply_retention`` (``CELERY_BEAT_SCHEDULE``), runs every registered rule;
docs/RELIABILITY.md ("Retention schedule") lists them.

A rule's function works in batches (``in_batches``): a fixed number of queries and one short
transaction per ``RETENTION_BATCH`` rows, never a transaction per row, so a crash loses at most a
batch's work and the next run carries on. It returns how many rows it deleted or anonymised, and
must find nothing more to do when run again at the same moment.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from involvement.activity import record_activity

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    """One line of the retention schedule.

    ``apply(now)`` deletes or anonymises what is past the period at ``now`` and returns how many
    rows it changed; ``period`` and ``why`` are the schedule's words; ``setting`` names the
    setting that holds the period."""

    name: str
    data: str
    period: str
    why: str
    setting: str
    apply: Callable[[datetime.datetime], int]
    order: int = 100


class RetentionError(RuntimeError):
    """One or more rules failed; the others ran. The message names the rules, never data."""


_RULES: dict[str, Rule] = {}


def register_rule(rule: Rule) -> None:
    """Add (or replace, by name) a rule. Called from ``AppConfig.ready``."""
    _RULES[rule.name] = rule


def rules() -> list[Rule]:
    """Every registered rule, in order."""
    return sorted(_RULES.values(), key=lambda rule: (rule.order, rule.name))


def in_batches(
    queryset: models.QuerySet[Any], work: Callable[[list[Any]], None], *, batch_size: int | None = None
) -> int:
    """Call ``work`` with the primary keys of ``queryset``'s rows, ``batch_size`` at a time in
    increasing order, each call in its own transaction. Rows ``work`` leaves matching are not
    offered again (the next batch starts after the last key). Returns how many keys were offered."""
    size = batch_size or settings.RETENTION_BATCH
    done = 0
    last: Any = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        ids = list(page.values_list("pk", flat=True)[:size])
        if not ids:
            return done
        with transaction.atomic():
            work(ids)
        done += len(ids)
        last = ids[-1]


def apply_retention(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Run every registered rule at ``now``, each on its own: one failing does not stop the others.
    Records ``retention.applied`` for each rule that ran (its name and count: no personal data) and
    logs the same; a rule that failed is logged with its error and recorded as
    ``retention.failed``. Returns the counts by rule. Raises RetentionError, after all have run,
    when any failed."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    failed: list[str] = []
    for rule in rules():
        try:
            count = rule.apply(now)
        except Exception:
            logger.exception("Retention rule %s failed", rule.name)
            record_activity(actor=None, action="retention.failed", data={"rule": rule.name})
            failed.append(rule.name)
            continue
        counts[rule.name] = count
        record_activity(actor=None, action="retention.applied", data={"rule": rule.name, "count": count})
        logger.info("Retention rule %s: %d rows deleted or anonymised", rule.name, count)
    if failed:
        raise RetentionError(f"Retention rules failed: {', '.join(failed)}.")
    return counts
