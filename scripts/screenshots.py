"""Screenshots of the main pages of each role, from the demo site, into docs/screenshots/.

    make screenshots            # seeds the demo data first, like `make run`

It starts the development server on 127.0.0.1 (port 8010, or --port) against the same database as
`make run` (SQLite in var/, or DATABASE_URL), signs in through the real sign-in and two-factor pages
as each demo account, and captures each page at desktop (1280 px) and phone (390 px) widths with
Debian's Chromium. The README shows them. The files are named role-page-width.jpg, so a run
replaces the previous set.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"desktop": (1280, 860), "phone": (390, 844)}

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "involvement.settings")


@contextmanager
def development_server(port: int) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DEBUG": "true", "CONN_MAX_AGE": "0"}
    server = subprocess.Popen(  # noqa: S603 -- our own manage.py with fixed arguments
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/health/", timeout=2)  # noqa: S310 -- our own server
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("the development server did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def pages_of_each_role() -> dict[str, tuple[str, list[tuple[str, Callable[[], str | None]]]]]:
    """Per demo account: how it signs in ("anonymous", "password" or "two-factor"), and (name,
    address) of its pages.
    Addresses are looked up in the demo data when the page names one object."""
    from django.urls import reverse

    from accounts.models import Membership
    from expenses.models import Claim, ReimbursementRun
    from feedback.models import StudentFeedbackLink
    from sessions_app.models import Booking, TeachingSession
    from sessions_app.views.volunteer import invitation_url
    from volunteers.models import VolunteerProfile

    def first_pk(queryset: object) -> int | None:
        found = queryset.values_list("pk", flat=True).first()  # type: ignore[attr-defined]
        return int(found) if found is not None else None

    def url(name: str, **kwargs: object) -> Callable[[], str | None]:
        def address() -> str | None:
            resolved = {key: value() if callable(value) else value for key, value in kwargs.items()}
            if any(value is None for value in resolved.values()):
                return None
            return reverse(name, kwargs=resolved or None)

        return address

    volunteer = "volunteer@example.org"
    lead_network = Membership.objects.filter(user__email="lead@example.org").values_list(
        "organisation__slug", flat=True
    )
    university = Membership.objects.filter(user__email="coordinator@example.org").values_list(
        "organisation__slug", flat=True
    )
    session_with_bookings = TeachingSession.objects.filter(bookings__isnull=False).order_by("-starts_at")

    def invitation() -> str | None:
        booking = Booking.objects.filter(volunteer__user__email=volunteer, status=Booking.Status.INVITED).first()
        return invitation_url(booking) if booking else None

    def student_form() -> str | None:
        link = next((link for link in StudentFeedbackLink.objects.order_by("-pk") if link.is_open), None)
        return reverse("feedback:student", kwargs={"token": link.token}) if link else None

    return {
        "volunteer": (
            "password",
            [
                ("invitation", invitation),
                ("my-sessions", url("sessions_app:my_sessions")),
                ("availability", url("volunteers:availability_edit")),
                ("money", url("expenses:money")),
                (
                    "claim",
                    url("expenses:claim", pk=lambda: first_pk(Claim.objects.filter(volunteer__user__email=volunteer))),
                ),
                ("difference", url("feedback:difference")),
            ],
        ),
        "coordinator": (
            "two-factor",
            [
                ("sessions", url("sessions_app:sessions")),
                ("session", url("sessions_app:session", pk=lambda: first_pk(session_with_bookings))),
                ("matching", url("sessions_app:matching", pk=lambda: first_pk(session_with_bookings))),
                ("claims", url("expenses:queue")),
                ("report", url("reports:report", slug=lambda: university.first())),
            ],
        ),
        "lead": (
            "two-factor",
            [
                ("network", url("volunteers:network_list", slug=lambda: lead_network.first())),
                (
                    "volunteer",
                    url(
                        "volunteers:network_volunteer",
                        slug=lambda: lead_network.first(),
                        pk=lambda: first_pk(VolunteerProfile.objects.filter(user__email=volunteer)),
                    ),
                ),
                ("follow-ups", url("feedback:follow_ups", slug=lambda: lead_network.first())),
            ],
        ),
        "finance": (
            "two-factor",
            [
                ("claims", url("expenses:queue")),
                ("runs", url("expenses:runs")),
                ("run", url("expenses:run", pk=lambda: first_pk(ReimbursementRun.objects.order_by("-pk")))),
            ],
        ),
        "student": ("anonymous", [("feedback", student_form)]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8010)
    arguments = parser.parse_args()

    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    from accounts.demo import DEMO_PASSWORD, TOTP_PERIOD_SECONDS, demo_totp_code

    OUTPUT.mkdir(parents=True, exist_ok=True)
    # Every address is looked up before the browser starts (Django's ORM refuses to run inside
    # Playwright's event loop).
    roles = {
        role: (signs_in, [(name, address()) for name, address in pages])
        for role, (signs_in, pages) in pages_of_each_role().items()
    }
    written = 0
    with development_server(arguments.port) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        for role, (signs_in, pages) in roles.items():
            context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
            page = context.new_page()
            if signs_in != "anonymous":
                page.goto(f"{base}/accounts/login/")
                page.get_by_label("Email").fill(f"{role}@example.org")
                page.get_by_label("Password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Sign In").click()
                if signs_in == "two-factor":
                    left = TOTP_PERIOD_SECONDS - time.time() % TOTP_PERIOD_SECONDS
                    if left < 5:
                        time.sleep(left + 0.5)
                    page.get_by_label("Code").fill(demo_totp_code())
                    page.get_by_role("button", name="Sign In").click()
            for name, path in pages:
                if path is None:
                    print(f"  {role} {name}: nothing of that kind in the demo data; skipped")
                    continue
                for width_name, (width, height) in WIDTHS.items():
                    page.set_viewport_size({"width": width, "height": height})
                    page.goto(base + path)
                    target = OUTPUT / f"{role}-{name}-{width_name}.jpg"
                    page.screenshot(path=str(target), type="jpeg", quality=75)
                    written += 1
                print(f"  {role} {name}: {path}")
            context.close()
        browser.close()
    print(f"{written} screenshots in {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
