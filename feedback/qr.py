"""The QR code students scan, drawn by segno as inline SVG.

Inline SVG needs no extra request and no inline style or script (the Content-Security-Policy allows
neither): segno writes the modules as one ``path`` with presentation attributes only. The SVG is
sized by its ``viewBox``, so it fills whatever column the page gives it.
"""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(url: str, *, title: str) -> SafeString:
    """``url`` as an inline SVG QR code, with ``title`` as its accessible name. The URL is the
    site's own address of a link (never user input), and segno escapes the title."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=10, border=4, title=title, svgclass="qr-code w-100 h-auto", lineclass=None, omitsize=True
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308 -- segno's own markup, title escaped by it
