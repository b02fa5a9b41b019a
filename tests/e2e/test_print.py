"""The documents people print, on A4: the regulator evidence and the 4Pi annual report (web pages
printed from the browser with the print stylesheet) and the evidence, tax-year statement and
certificate PDFs. Each page is A4, every line of text starts inside the page, and the printed web
pages carry the report without the site's navigation, filters and buttons, and fit the printable
width without being cut off at the side."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Membership
from expenses.models import Payment
from involvement.periods import academic_year_start
from sessions_app.models import Booking, Programme
from tests.conftest import signed_in
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

A4_POINTS = (595, 842)
# A4's width less print.css's side margins (14 mm each), in CSS pixels (96 to the inch).
PRINTABLE_WIDTH_PX = round((210 - 2 * 14) / 25.4 * 96)


def text_outside(page: Any, width: float, height: float) -> list[str]:
    """Each run of text on ``page`` whose start lies outside it (pypdf's text positions)."""
    outside: list[str] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if not (0 <= x < width and 0 <= y <= height):
            outside.append(f"{text.strip()[:30]!r} at ({x:.0f}, {y:.0f})")

    page.extract_text(visitor_text=visit)
    return outside


def pdf_problems(name: str, content: bytes) -> list[str]:
    """Pages that are not A4, and text that starts outside its page."""
    problems = []
    reader = PdfReader(io.BytesIO(content))
    for number, page in enumerate(reader.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        if (round(width), round(height)) != A4_POINTS:
            problems.append(f"{name} page {number} is {width:.0f} × {height:.0f} points, not A4")
        outside = text_outside(page, width, height)
        problems += [f"{name} page {number}: text outside the page: {where}" for where in outside]
    if not reader.pages:
        problems.append(f"{name} has no pages")
    return problems


def print_problems(page: Any, name: str, heading: str) -> list[str]:
    """The page as printed: the report's heading shown, the site's chrome hidden, nothing wider
    than the paper, and Chromium's A4 PDF of it inside its pages."""
    page.wait_for_load_state("networkidle")  # the charts too
    page.set_viewport_size({"width": PRINTABLE_WIDTH_PX, "height": 1100})
    page.emulate_media(media="print")
    problems = []
    shown = page.evaluate(
        """() => {
            const visible = (selector) => [...document.querySelectorAll(selector)]
                .filter((element) => element.getClientRects().length > 0).length;
            return {
                heading: document.querySelector("main h1")?.innerText ?? "",
                chrome: visible("header, nav, footer, .skip-link, form, .report-filters, button"),
                overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            };
        }"""
    )
    if heading not in shown["heading"]:
        problems.append(f"{name}: printed heading is {shown['heading']!r}")
    if shown["chrome"]:
        problems.append(f"{name}: {shown['chrome']} navigation, form or button elements are printed")
    if shown["overflow"] > 0:
        problems.append(f"{name}: {shown['overflow']} px wider than A4's printable width")
    problems += pdf_problems(name, page.pdf(format="A4", prefer_css_page_size=True))
    page.emulate_media(media="screen")
    return problems


def busiest_programme_and_year() -> tuple[Programme, int]:
    """The programme and academic year with the most attended sessions in the demo data."""
    booking = (
        Booking.objects.filter(status=Booking.Status.ATTENDED)
        .values("session__module__programme")
        .annotate(count=Count("pk"))
        .order_by("-count")
        .first()
    )
    assert booking is not None
    programme = Programme.objects.get(pk=booking["session__module__programme"])
    latest = (
        Booking.objects.filter(status=Booking.Status.ATTENDED, session__module__programme=programme)
        .order_by("-session__starts_at")
        .values_list("session__starts_at", flat=True)
        .first()
    )
    assert latest is not None
    return programme, academic_year_start(timezone.localdate(latest))


def test_reports_certificates_and_statements_print_on_a4(live_server: Any, browser: Any, settings: Any) -> None:
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    programme, year = busiest_programme_and_year()
    university = programme.university
    coordinator = Membership.objects.filter(organisation=university, role=Membership.Role.COORDINATOR).first()
    assert coordinator is not None
    paid = Payment.objects.select_related("volunteer__user").order_by("-paid_on").first()
    assert paid is not None
    problems: list[str] = []

    staff = browser.new_context(locale="en-GB", timezone_id="Europe/London")
    page = staff.new_page()
    sign_in(page, base, coordinator.user.email, totp=True)
    page.goto(base + reverse("reports:evidence", kwargs={"pk": programme.pk, "year": year}))
    problems += print_problems(page, "evidence page", "involvement")
    page.goto(base + reverse("reports:annual", kwargs={"slug": university.slug, "year": year}))
    problems += print_problems(page, "4Pi annual report", "Annual")
    staff.close()

    # The PDFs as their views send them (a browser would only download them).
    evidence_pdf = signed_in(coordinator.user).get(
        reverse("reports:evidence_pdf", kwargs={"pk": programme.pk, "year": year})
    )
    volunteer = signed_in(paid.volunteer.user)
    paid_on = paid.paid_on
    tax_year = paid_on.year if paid_on >= paid_on.replace(month=4, day=6) else paid_on.year - 1
    statement = volunteer.get(reverse("expenses:statement_pdf", kwargs={"year": tax_year}))
    certificate = volunteer.get(reverse("reports:certificate"))
    problems += pdf_problems("evidence PDF", evidence_pdf.content)
    problems += pdf_problems("tax-year statement PDF", statement.content)
    problems += pdf_problems("certificate PDF", certificate.content)

    assert (evidence_pdf.status_code, statement.status_code, certificate.status_code) == (200, 200, 200)
    assert problems == [], "\n".join(problems)
