"""Hostile receipts, each built from bytes here: refused with a clear message, through the check
and through the claim (nothing saved); an image with GPS EXIF accepted with its metadata gone;
receipts only ever served as downloads."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from expenses.models import ClaimItem, Receipt
from expenses.receipts import ReceiptError, check_receipt
from expenses.services import ClaimError
from tests import factories
from tests.conftest import World, signed_in
from tests.expenses.test_receipts import add_parking, claim, jpeg_with_gps  # noqa: F401 -- claim is a fixture

NOT_A_RECEIPT = "Please send a PDF, a JPEG or a PNG. This file is none of those, whatever its name says."
DAMAGED = "This PDF looks incomplete or damaged. Please save it again and send it."
WEB_PAGE = "This file is partly a web page, so it cannot be accepted as a PDF receipt."


def active(what: str) -> str:
    return (
        f"This PDF contains {what}, which a receipt does not need. "
        "Please print it to a new PDF, or send a photo or scan of the receipt."
    )


def pdf_open_action_javascript() -> bytes:
    return factories.pdf_document(
        b"<< /Type /Action /S /JavaScript /JS (app.alert\\('x'\\)) >>", catalog=b"/OpenAction 4 0 R "
    )


def pdf_script_in_names_tree() -> bytes:
    return factories.pdf_document(
        b"<< /JavaScript 5 0 R >>",
        b"<< /Names [(run) 6 0 R] >>",
        b"<< /S /JavaScript /JS (this.print\\(\\)) >>",
        catalog=b"/Names 4 0 R ",
    )


def pdf_script_with_escaped_names() -> bytes:
    """``/J#61vaScript`` is ``/JavaScript`` to a PDF reader; a byte search would miss it."""
    return factories.pdf_document(b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>", catalog=b"/OpenAction 4 0 R ")


def pdf_launch_action() -> bytes:
    return factories.pdf_document(
        b"<< /Type /Action /S /Launch /F (C:\\\\Windows\\\\System32\\\\calc.exe) >>", catalog=b"/OpenAction 4 0 R "
    )


def pdf_embedded_file() -> bytes:
    return factories.pdf_document(
        b"<< /EmbeddedFiles 5 0 R >>",
        b"<< /Names [(invoice.exe) 6 0 R] >>",
        b"<< /Type /Filespec /F (invoice.exe) /EF << /F 7 0 R >> >>",
        b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
        catalog=b"/Names 4 0 R ",
    )


def html_pdf_polyglot() -> bytes:
    page = b"<html><body><script>fetch('/money/').then(r => r.text())</script></body></html>\n"
    return factories.pdf_document(b"<< /Length %d >>\nstream\n" % len(page) + page + b"\nendstream")


def svg() -> bytes:
    return b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'><script>alert(2)</script></svg>"


def truncated_png() -> bytes:
    photo = io.BytesIO()
    Image.effect_noise((120, 80), 64).save(photo, format="PNG")
    return photo.getvalue()[: len(photo.getvalue()) // 2]


def bomb_png() -> bytes:
    """A real 1×1 PNG whose header (with a correct CRC) claims 60,000 × 60,000 pixels."""
    output = io.BytesIO()
    Image.new("L", (1, 1)).save(output, format="PNG")
    data = bytearray(output.getvalue())
    data[16:24] = struct.pack(">II", 60_000, 60_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


HOSTILE: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "pdf-openaction-javascript": ("receipt.pdf", pdf_open_action_javascript, active("script")),
    "pdf-javascript-names-tree": ("receipt.pdf", pdf_script_in_names_tree, active("script")),
    "pdf-escaped-javascript": ("receipt.pdf", pdf_script_with_escaped_names, active("script")),
    "pdf-launch-action": ("receipt.pdf", pdf_launch_action, active("an action that starts a program")),
    "pdf-embedded-file": ("receipt.pdf", pdf_embedded_file, active("files attached inside it")),
    "html-pdf-polyglot": ("receipt.pdf", html_pdf_polyglot, WEB_PAGE),
    "html-named-pdf": ("receipt.pdf", lambda: b"<!doctype html><html><body>Receipt</body></html>", NOT_A_RECEIPT),
    "svg": ("receipt.svg", svg, NOT_A_RECEIPT),
    "svg-named-png": ("receipt.png", svg, NOT_A_RECEIPT),
    "zero-bytes": ("receipt.pdf", lambda: b"", "This file is empty."),
    "truncated-png": (
        "receipt.png",
        truncated_png,
        "This image could not be read. Please take the photo again and send it.",
    ),
    "decompression-bomb-png": (
        "receipt.png",
        bomb_png,
        "This image is too large (more than 40 megapixels). Please send a smaller one.",
    ),
    "50-mb": (
        "scan.pdf",
        lambda: factories.pdf_document(
            b"<< /Length 52428800 >>\nstream\n" + b"0" * (50 * 1024 * 1024) + b"\nendstream"
        ),
        "This file is larger than 10 MB. Please send a smaller photo or scan.",
    ),
    "pdf-unreadable": ("receipt.pdf", lambda: b"%PDF-1.7\nnot really a pdf\n%%EOF\n", DAMAGED),
}


@pytest.mark.parametrize("case", HOSTILE.keys())
def test_check_receipt_refuses_with_a_clear_message(case: str) -> None:
    name, content, message = HOSTILE[case]

    with pytest.raises(ReceiptError) as refused:
        check_receipt(SimpleUploadedFile(name, content(), content_type="application/pdf"))

    assert str(refused.value) == message


@pytest.mark.parametrize("case", ["pdf-openaction-javascript", "html-pdf-polyglot", "svg", "50-mb", "zero-bytes"])
def test_a_claim_refuses_the_file_and_saves_nothing(world: World, claim, case: str) -> None:  # noqa: F811
    name, content, message = HOSTILE[case]

    with pytest.raises(ClaimError) as refused:
        add_parking(world, claim, SimpleUploadedFile(name, content()))

    assert str(refused.value) == message
    assert (ClaimItem.objects.count(), Receipt.objects.count()) == (0, 0)


def test_a_plain_pdf_receipt_is_accepted_unchanged() -> None:
    checked = check_receipt(SimpleUploadedFile("ticket.pdf", factories.RECEIPT_PDF))

    assert (checked.content, checked.content_type) == (factories.RECEIPT_PDF, "application/pdf")


def test_a_pdf_with_a_web_link_is_accepted() -> None:
    """Links are common on invoices and run nothing by themselves."""
    linked = factories.pdf_document(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://shop.example) >> >>"
    )

    assert check_receipt(SimpleUploadedFile("invoice.pdf", linked)).content == linked


def test_a_photo_with_gps_is_accepted_with_its_metadata_gone() -> None:
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo) != {}

    checked = check_receipt(SimpleUploadedFile("IMG_0001.JPG", original))

    image = Image.open(io.BytesIO(checked.content))
    assert (checked.content_type, image.size) == ("image/jpeg", (64, 48))
    assert (dict(image.getexif()), "exif" in image.info) == ({}, False)
    assert b"PhoneMaker" not in checked.content


def test_receipts_are_never_served_inline(world: World, claim) -> None:  # noqa: F811
    item = add_parking(world, claim, SimpleUploadedFile("ticket.pdf", factories.RECEIPT_PDF))
    assert item.receipt is not None

    response = signed_in(world.volunteer).get(f"/receipts/{item.receipt.pk}/")
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]

    assert (response.status_code, body) == (200, factories.RECEIPT_PDF)
    assert response["Content-Disposition"].startswith("attachment;")
    assert (response["X-Content-Type-Options"], response["Content-Type"]) == ("nosniff", "application/pdf")
