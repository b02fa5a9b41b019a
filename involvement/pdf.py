"""PDFs drawn from templates by WeasyPrint, with nothing fetched from the network.

WeasyPrint loads what a document links to (stylesheets, images) through a URL fetcher. Ours
serves only the project's static files: the document's base URL is an address that can never
resolve (``https://involvement.invalid/``, a reserved top-level domain), so ``{% static %}`` links
become URLs under it, and those are read from the static files finders. Every other URL (http,
https, file, data, ftp, anything) is refused, so a document can never make a request or read a
file elsewhere on the server, whatever text it holds. Fonts come from the system (fontconfig:
DejaVu is installed with WeasyPrint's packages, see README).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from PIL import ImageFile
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Importing WeasyPrint tells Pillow, for the whole process, to accept truncated images: that would
# let a damaged receipt through its checks (expenses.receipts). Our PDFs draw no uploaded images,
# so Pillow's own default (refuse them) is put back. ``tests/reports/test_pdfs.py`` holds it.
ImageFile.LOAD_TRUNCATED_IMAGES = False

PDF_BASE_URL = "https://involvement.invalid/"
PDF_CONTENT_TYPE = "application/pdf"


def static_file_for(url: str) -> Path | None:
    """The static file ``url`` names (a URL under the PDF base and STATIC_URL), or None."""
    prefix = PDF_BASE_URL + settings.STATIC_URL.lstrip("/")
    if not url.startswith(prefix):
        return None
    relative = unquote(urlsplit(url).path).removeprefix(urlsplit(prefix).path)
    if not relative or any(part in {"", ".", ".."} for part in relative.split("/")):
        return None
    try:
        found = finders.find(relative)
    except SuspiciousFileOperation:
        return None
    return Path(found) if isinstance(found, str) else None


class StaticFilesOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher, answering only with the project's static files (``static_file_for``)
    and refusing everything else before any connection is opened."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = static_file_for(url)
        if path is None:
            raise ValueError(f"PDFs may load only the project's static files, not {url[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), headers={"Content-Type": content_type})


def render_pdf(template_name: str, context: dict[str, Any], *, request: HttpRequest | None = None) -> bytes:
    """The template rendered (autoescaped, as every page) and drawn as a PDF."""
    html = render_to_string(template_name, context, request=request)
    pdf: bytes = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticFilesOnlyFetcher()).write_pdf()
    return pdf


def pdf_response(content: bytes, *, filename: str) -> HttpResponse:
    """``content`` as a PDF download, never cached (these documents hold personal data)."""
    response = HttpResponse(content, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
