"""Receipt files: PDF, JPEG or PNG recognised by their content (never their name), at most 10 MB
and 40 megapixels; images are re-encoded with Pillow so their metadata (location, camera) is gone."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


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
            raise ReceiptError("This PDF looks incomplete or damaged. Please save it again and send it.")
        return CheckedReceipt(data, content_type, "pdf")
    return CheckedReceipt(_reencode(data, content_type), content_type, EXTENSIONS[content_type])


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
