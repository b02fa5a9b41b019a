"""Create the demo organisations, accounts and data that tell Involvement's story."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_accounts_table, seed_accounts
from accounts.models import Organisation
from expenses.demo import seed_expenses
from feedback.demo import seed_feedback
from sessions_app.demo import seed_sessions
from volunteers.demo import seed_volunteers


class Command(BaseCommand):
    help = "Create demo data (refuses to run with DEBUG off unless --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like production. Use --force to seed demo data anyway.")
        if Organisation.objects.filter(slug="northbridge").exists():
            self.stdout.write("Demo data is already there; nothing to do.")
        else:
            with transaction.atomic():
                world = seed_accounts(timezone.localdate())
                seed_volunteers(world)
                seed_sessions(world)
                seed_expenses(world)
                seed_feedback(world)
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        self.stdout.write("")
        self.stdout.write(demo_accounts_table())
        self.stdout.write("")
        self.stdout.write(f"Password for every account: {DEMO_PASSWORD}")
        self.stdout.write(
            f"Staff accounts use the demo-only TOTP secret {DEMO_TOTP_SECRET}; "
            "`python manage.py demo_code` prints the current code."
        )
