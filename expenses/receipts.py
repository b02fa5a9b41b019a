"""Receipt files: PDF, JPEG or PNG recognised by their content (never their name), at most 10 MB
and 40 megapixels; images are re-encoded with Pillow so their metadata (location, camera) is gone;
PDFs are parsed with pypdf and refused when they carry anything active.

PDFs: refuse, rather than re-render. A receipt needs to be read by a person, and nothing in a
receipt needs script, actions that start programs, attached files, embedded media or XFA forms,
so a PDF carrying any of them is refused with a message saying so (pypdf, a maintained pure-Python
parser, walks every object reachable from the document's root, including those packed in object
streams, and sees names however they are escaped). Re-rendering to a flat PDF would also remove
them, but it needs a renderer (Ghostscript or Poppler) run on hostile input, turns text into
pictures, and changes the very document finance keeps as evidence. A file that is both HTML and
PDF (a polyglot) is refused too: receipts are only ever served as downloads with ``nosniff``, but a
browser given the file another way must not find a page in it. A PDF that pypdf cannot read, or
that is password-protected, cannot be checked, so it is refused with a way forward.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadWarning
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
# What a PDF receipt may not carry: each PDF name (as a key or a value anywhere in the document)
# and what to call it in the message.
ACTIVE_PDF_NAMES = {
    "/JavaScript": "script",
    "/JS": "script",
    "/Launch": "an action that starts a program",
    "/EmbeddedFile": "files attached inside it",
    "/EmbeddedFiles": "files attached inside it",
    "/GoToE": "files attached inside it",
    "/RichMedia": "embedded media",
    "/XFA": "an interactive (XFA) form",
    "/SubmitForm": "a form that sends data",
    "/ImportData": "a form that reads data",
}
# HTML where a browser would find a page: tags whose first letter no PDF hex string can start with.
HTML_TAGS = re.compile(rb"<\s*(?:!doctype|html|head|body|script|iframe|object|embed|svg|meta|link|style)[\s/>]", re.I)
# Walking more objects than a 10 MB receipt plausibly holds means something is wrong with it.
MAX_PDF_OBJECTS = 200_000
DAMAGED_PDF = "This PDF looks incomplete or damaged. Please save it again and send it."


class ReceiptError(ValueError):
    """The file cannot be accepted as a receipt; the message is safe to show."""


@dataclass(frozen=True)
class CheckedReceipt:
    content: bytes
    content_type: str
    extension: str


def sniff(head: bytes) -> str | None:
    return next((kind for signature, kind in SIGNATURES.items() if head.startswith(signature)), None)


def check_receipt(upload: UploadedFile) -> CheckedReceipt:
    """Accept a PDF, JPEG or PNG by its content; raise ReceiptError otherwise."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ReceiptError("This file is larger than 10 MB. Please send a smaller photo or scan.")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ReceiptError("This file is larger than 10 MB. Please send a smaller photo or scan.")
    if not data:
        raise ReceiptError("This file is empty.")
    content_type = sniff(data[:16])
    if content_type is None:
        raise ReceiptError("Please send a PDF, a JPEG or a PNG. This file is none of those, whatever its name says.")
    if content_type == "application/pdf":
        if b"%%EOF" not in data[-2048:]:
            raise ReceiptError(DAMAGED_PDF)
        _check_pdf(data)
        return CheckedReceipt(data, content_type, "pdf")
    return CheckedReceipt(_reencode(data, content_type), content_type, EXTENSIONS[content_type])


def _check_pdf(data: bytes) -> None:
    """Refuse a PDF that is also a web page, cannot be read, is locked, or carries anything active."""
    if HTML_TAGS.search(data):
        raise ReceiptError("This file is partly a web page, so it cannot be accepted as a PDF receipt.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PdfReadWarning)
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise ReceiptError("This PDF is password-protected. Please send a copy without a password.")
            found = _active_content(reader)
    except ReceiptError:
        raise
    except Exception as error:  # pypdf raises many kinds on hostile input: any of them means "unreadable"
        raise ReceiptError(DAMAGED_PDF) from error
    if found:
        raise ReceiptError(
            f"This PDF contains {found}, which a receipt does not need. "
            "Please print it to a new PDF, or send a photo or scan of the receipt."
        )


def _active_content(reader: PdfReader) -> str | None:
    """What active content the document holds (``ACTIVE_PDF_NAMES``), walking every object
    reachable from its trailer once; None when there is none."""
    seen: set[tuple[int, int]] = set()
    pending: list[object] = [reader.trailer]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            if len(seen) > MAX_PDF_OBJECTS:
                raise ValueError("too many objects")
            item = item.get_object()
        if isinstance(item, NameObject):
            if item in ACTIVE_PDF_NAMES:
                return ACTIVE_PDF_NAMES[item]
        elif isinstance(item, DictionaryObject):  # streams too: their dictionary, not their data
            for key, value in dict.items(item):
                if key in ACTIVE_PDF_NAMES:
                    return ACTIVE_PDF_NAMES[key]
                pending.append(value)
        elif isinstance(item, ArrayObject):
            pending.extend(list.__iter__(item))
    return None


def _reencode(data: bytes, content_type: str) -> bytes:
    """Decode the image (refusing decompression bombs) and save a fresh copy without metadata."""
    too_large = "This image is too large (more than 40 megapixels). Please send a smaller one."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ReceiptError(too_large)
                image.load()
                clean = image.copy()
        clean.info = {}
        output = io.BytesIO()
        if content_type == "image/jpeg":
            clean.convert("RGB").save(output, format="JPEG", quality=90)
        else:
            clean.save(output, format="PNG")
        return output.getvalue()
    except ReceiptError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ReceiptError(too_large) from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise ReceiptError("This image could not be read. Please take the photo again and send it.") from error
