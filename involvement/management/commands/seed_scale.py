"""A large, realistic data set on top of the demo data, for measuring (``make bench``).

By default 4 universities, 4 charities, 10,000 volunteers, 5,000 sessions over three academic
years, 100,000 bookings, 40,000 claims with their items and receipts, 30,000 feedback answers and a
year of outbox and audit rows; ``--volunteers N`` scales everything in proportion. The demo's
accounts see the data: their universities and networks are among the four and four. Each app
writes its own part (``<app>/scale.py``; ``accounts/scale.py`` says how they fit together).
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Organisation
from accounts.scale import DEFAULT_VOLUNTEERS, SCALE_MARKER_SLUG, ScaleContext, seed_accounts_scale
from expenses.scale import seed_expenses_scale
from feedback.scale import seed_feedback_scale
from sessions_app.scale import seed_sessions_outbox_scale, seed_sessions_scale
from volunteers.scale import seed_volunteers_scale


class Command(BaseCommand):
    help = "Add a large data set on top of the demo data (refuses to run with DEBUG off unless --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--volunteers",
            type=int,
            default=DEFAULT_VOLUNTEERS,
            help=f"How many volunteers; everything else in proportion (default {DEFAULT_VOLUNTEERS:,}).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="The random seed (the same seed, the same data).")
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args: Any, volunteers: int, seed: int, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like production. Use --force to seed data anyway.")
        if volunteers < 50:
            raise CommandError("Ask for at least 50 volunteers.")
        if Organisation.objects.filter(slug=SCALE_MARKER_SLUG).exists():
            self.stdout.write("The scale data is already there; nothing to do.")
            return
        if not Organisation.objects.filter(slug="northbridge").exists():
            call_command("seed_demo", force=True, stdout=self.stdout)
        started = time.monotonic()
        now = timezone.now()
        ctx = ScaleContext(volunteers=volunteers, rng=random.Random(seed), now=now, today=timezone.localdate(now))  # noqa: S311 -- repeatable test data, nothing secret
        steps = [
            ("organisations and staff", seed_accounts_scale),
            ("volunteers", seed_volunteers_scale),
            ("sessions and bookings", seed_sessions_scale),
            ("outbox and audit trail of sessions", seed_sessions_outbox_scale),
            ("feedback", seed_feedback_scale),
            ("claims and payments", seed_expenses_scale),
        ]
        with transaction.atomic():
            for label, step in steps:
                began = time.monotonic()
                step(ctx)
                self.stdout.write(f"  {label}: {time.monotonic() - began:.1f} s")
        if connection.vendor == "postgresql":
            # Fresh statistics, so the planner sees the data as it now is.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(f"Scale data created in {time.monotonic() - started:.1f} s:"))
        for name, count in sorted(ctx.counts.items()):
            self.stdout.write(f"  {name:<48} {count:>9,}")
