from typing import Any

from django.core.management.base import BaseCommand

from accounts.demo import demo_totp_code


class Command(BaseCommand):
    help = "Print the current two-factor code for the demo staff accounts (demo secret only)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(demo_totp_code())
