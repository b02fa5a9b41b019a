"""The PDFs: the evidence pack, the certificate of involvement and the tax-year statement, read
back with pypdf; free text shown as text (escaped in the HTML they are drawn from); and WeasyPrint
never reaching the network or the file system beyond the static files."""

from __future__ import annotations

import io
import urllib.request
from collections.abc import Iterator

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse
from pypdf import PdfReader
from weasyprint import HTML

from involvement.pdf import PDF_BASE_URL, StaticFilesOnlyFetcher, render_pdf, static_file_for
from involvement.periods import academic_year
from reports import selectors
from tests.conftest import signed_in
from tests.reports.conftest import SCRIPT, Story
from tests.reports.factories import uk


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(uk(2026, 9, 15, 12), tick=False):
        yield


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_evidence_pdf_names_only_as_chosen_and_shows_text_as_text(story: Story):
    url = reverse("reports:evidence_pdf", kwargs={"pk": story.p1.pk, "year": 2025})
    response = signed_in(story.world.coordinator).get(url)

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="evidence-{story.p1.pk}-2025.pdf"'
    text = pdf_text(response.content)
    assert "Service user and carer involvement: BSc Diagnostic Radiography, 2025/26" in text
    assert "2: Siân Ellis, Tom" in text
    assert "Dee Patel" not in text
    assert f"{SCRIPT} Listening matters" in text
    assert "Produced by the Involvement platform on Tuesday 15 September 2026" in text


def test_the_html_a_pdf_is_drawn_from_is_escaped(story: Story):
    scope = selectors.ReportScope(organisation=story.world.university, period=academic_year(2025), programme=story.p1)
    html = render_to_string(
        "reports/evidence_pdf.html", {"evidence": selectors.evidence(scope, "2025/26"), "issued_on": None}
    )

    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "A carer&#x27;s perspective &lt;b&gt;now&lt;/b&gt; opens the module" in html


def test_certificate_pdf_lists_sessions_hours_and_a_reference(story: Story):
    response = signed_in(story.ann.user).get(reverse("reports:certificate"))

    assert response["Content-Disposition"] == 'attachment; filename="certificate-of-involvement-2026-09-15.pdf"'
    text = pdf_text(response.content)
    reference = selectors.certificate(story.ann, uk(2026, 9, 15).date()).reference
    assert "Certificate of involvement This is to certify that Siân Ellis" in text
    assert "in 8 healthcare education sessions at 2 universities, giving 16.50 hours" in text
    assert "from Sunday 1 June 2025 to Friday 1 May 2026" in text
    assert "Signed off by the Involvement platform on Tuesday 15 September 2026" in text
    assert f"Verification reference: {reference}" in text
    assert story.sessions["B1"].title in text
    assert story.sessions["X1"].title not in text


def test_certificate_reference_changes_with_what_it_certifies(story: Story):
    day = uk(2026, 9, 15).date()
    first = selectors.certificate(story.ann, day).reference
    again = selectors.certificate(story.ann, day).reference
    other_day = selectors.certificate(story.ann, uk(2026, 9, 16).date()).reference
    booking = story.bookings["ann-S6"]
    booking.hours = "5.00"
    booking.save()

    assert first == again
    assert other_day != first
    assert selectors.certificate(story.ann, day).reference != first


def test_certificate_of_someone_with_no_sessions(story: Story):
    response = signed_in(story.world.volunteer).get(reverse("reports:certificate"))

    assert "has no sessions recorded on the Involvement platform yet" in pdf_text(response.content)


def test_fetcher_serves_only_static_files():
    fetcher = StaticFilesOnlyFetcher()

    css = fetcher.fetch(f"{PDF_BASE_URL}static/css/pdf.css")
    assert css.read().startswith(b"/* The PDFs drawn by WeasyPrint")
    assert css.content_type == "text/css"
    for url in [
        "https://example.org/tracker.png",
        "http://127.0.0.1:8000/static/css/pdf.css",
        "file:///etc/passwd",
        "data:text/css,body{}",
        f"{PDF_BASE_URL}static/../../etc/passwd",
        f"{PDF_BASE_URL}static/%2e%2e/%2e%2e/etc/passwd",
        f"{PDF_BASE_URL}static/css/missing.css",
        f"{PDF_BASE_URL}media/receipts/anything.pdf",
    ]:
        assert static_file_for(url) is None
        with pytest.raises(ValueError, match="PDFs may load only the project's static files"):
            fetcher.fetch(url)


def test_a_document_asking_for_the_network_gets_nothing(monkeypatch: pytest.MonkeyPatch):
    opened: list[object] = []
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda self, *args, **kwargs: opened.append(args))
    html = (
        '<link rel="stylesheet" href="https://example.org/evil.css">'
        '<img src="http://127.0.0.1:9/pixel.png"><img src="file:///etc/hostname">'
        '<p style="background: url(https://example.org/bg.png)">Hello</p>'
    )

    content = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticFilesOnlyFetcher()).write_pdf()

    assert opened == []
    assert "Hello" in pdf_text(content)


def test_render_pdf_uses_the_static_stylesheet(story: Story):
    content = render_pdf(
        "reports/certificate_pdf.html", {"certificate": selectors.certificate(story.ben, uk(2026, 9, 15).date())}
    )

    # A4 is 595 by 842 points.
    page = PdfReader(io.BytesIO(content)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert "Page 1 of" in pdf_text(content)


def test_drawing_a_pdf_leaves_pillow_refusing_truncated_images(story: Story):
    from PIL import ImageFile

    render_pdf(
        "reports/certificate_pdf.html", {"certificate": selectors.certificate(story.ben, uk(2026, 9, 15).date())}
    )

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
