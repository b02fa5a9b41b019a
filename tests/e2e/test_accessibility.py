"""Every page of every demo role, checked in a real browser: axe-core's WCAG 2.2 A and AA rules
with 0 violations, no sideways scrolling at 320 CSS px nor with text at 200%, and 0 errors from the
Nu HTML Checker. Pages are found by following links from each person's home (tests/e2e/crawl.py);
each main form is also sent empty, and its page of errors checked the same way."""

from __future__ import annotations

import shutil

import pytest
from django.core.management import call_command

from feedback.models import StudentFeedbackLink
from sessions_app.models import Booking
from sessions_app.views.volunteer import invitation_url
from tests.e2e.conftest import sign_in
from tests.e2e.crawl import Crawl, validate_html

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# email (None: nobody signed in), whether two-factor is asked for
ROLES = [
    (None, False),
    ("volunteer@example.org", False),
    ("coordinator@example.org", True),
    ("lead@example.org", True),
    ("finance@example.org", True),
    ("admin@example.org", True),
]


def extra_starts(email: str | None) -> list[str]:
    """Pages reached from an email or a shared link rather than from a link on the site."""
    if email is None:
        link = next((link for link in StudentFeedbackLink.objects.select_related("session") if link.is_open), None)
        return ["/accounts/login/", "/accounts/signup/", *([f"/s/{link.token}/"] if link else [])]
    if email == "volunteer@example.org":
        booking = Booking.objects.filter(volunteer__user__email=email, status=Booking.Status.INVITED).first()
        return [invitation_url(booking)] if booking else []
    return []


@pytest.mark.skipif(
    shutil.which("java") is None, reason="the Nu HTML Checker needs Java (apt-get install default-jre-headless)"
)
def test_every_page_of_every_role_is_accessible_and_valid(live_server, browser, settings, tmp_path):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    problems: list[str] = []
    pages: dict[str, str] = {}
    visited: dict[str, int] = {}

    for email, totp in ROLES:
        context = browser.new_context(
            locale="en-GB", timezone_id="Europe/London", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        if email is not None:
            sign_in(page, base, email, totp=totp)
        crawl = Crawl(page=page, base=base, role=email or "anonymous")
        crawl.follow("/")
        for start in extra_starts(email):
            crawl.follow(start)
        crawl.submit_forms_empty()
        context.close()
        problems += crawl.problems
        pages.update(crawl.pages)
        visited[crawl.role] = len(crawl.pages)

    errors = validate_html(pages, tmp_path)

    report = problems + errors
    assert min(visited.values()) > 0
    assert report == [], f"pages checked by role: {visited}\n" + "\n".join(report)


@pytest.mark.skipif(shutil.which("java") is None, reason="the Nu HTML Checker needs Java")
def test_the_html_check_finds_errors_when_there_are_some(tmp_path):
    broken = (
        '<!DOCTYPE html><html lang="en-GB"><head><title>x</title></head>'
        '<body><p id="a"></p><p id="a"></p></body></html>'
    )

    errors = validate_html({"somebody /broken/": broken}, tmp_path)

    assert [error.split(" :: ")[0] for error in errors] == ["somebody /broken/ line 1: Duplicate ID “a”."]
