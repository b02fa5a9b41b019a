"""The upload battery: expenses.receipts.check_receipt, and the same files through services.add_item.

PDF, JPEG or PNG recognised by content (never the name), at most 10 MB and 40 megapixels, images
re-encoded so their metadata (a phone's GPS position, a camera, a text comment) is gone, stored
under MEDIA_ROOT and never in the static tree.
"""

from __future__ import annotations

import datetime
import io
import struct
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

from expenses import services
from expenses.models import Claim, ClaimItem, Receipt
from expenses.receipts import MAX_BYTES, ReceiptError, check_receipt
from expenses.services import ClaimError
from tests import factories
from tests.conftest import World
from tests.expenses.factories import ClaimFactory, attended_on, rate_card_for

NOT_A_RECEIPT = "Please send a PDF, a JPEG or a PNG. This file is none of those, whatever its name says."
INCOMPLETE_PDF = "This PDF looks incomplete or damaged. Please save it again and send it."
TOO_LARGE_IMAGE = "This image is too large (more than 40 megapixels). Please send a smaller one."
TOO_BIG_FILE = "This file is larger than 10 MB. Please send a smaller photo or scan."
EMPTY = "This file is empty."
UNREADABLE = "This image could not be read. Please take the photo again and send it."

MINIMAL_PDF = factories.RECEIPT_PDF
SECRET_PLACE = "12 Acacia Avenue, near the hospice"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def jpeg_with_gps() -> bytes:
    """A phone photo: EXIF with the camera and the GPS position where it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif[ExifTags.Base.ImageDescription] = SECRET_PLACE
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (53.0, 48.0, 1.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (1.0, 32.0, 5.0)
    output = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(output, format="JPEG", exif=exif)
    return output.getvalue()


def png_with_text() -> bytes:
    info = PngInfo()
    info.add_text("Comment", SECRET_PLACE)
    info.add_itxt("Location", "53.8N 1.5W")
    output = io.BytesIO()
    Image.new("RGBA", (32, 32), (10, 120, 200, 255)).save(output, format="PNG", pnginfo=info)
    return output.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny real PNG whose header (IHDR, with a correct CRC) claims ``width`` × ``height`` pixels."""
    output = io.BytesIO()
    Image.new("L", (1, 1)).save(output, format="PNG")
    data = bytearray(output.getvalue())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def opened(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


# check_receipt -------------------------------------------------------------------------------------


def test_check_receipt_accepts_a_real_pdf_unchanged():
    checked = check_receipt(upload("ticket.pdf", MINIMAL_PDF, "application/pdf"))

    assert (checked.content, checked.content_type, checked.extension) == (MINIMAL_PDF, "application/pdf", "pdf")


def test_check_receipt_recognises_content_not_the_name():
    checked = check_receipt(upload("receipt.pdf", png_with_text(), "application/pdf"))

    assert (checked.content_type, checked.extension) == ("image/png", "png")


def test_check_receipt_reencodes_a_jpeg_without_its_exif_and_gps():
    original = jpeg_with_gps()
    assert opened(original).getexif().get_ifd(ExifTags.IFD.GPSInfo) != {}

    checked = check_receipt(upload("IMG_0001.JPG", original, "image/jpeg"))

    image = opened(checked.content)
    assert (checked.content_type, checked.extension) == ("image/jpeg", "jpg")
    assert (image.format, image.size) == ("JPEG", (64, 48))
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info
    assert b"PhoneMaker" not in checked.content
    assert SECRET_PLACE.encode() not in checked.content


def test_check_receipt_reencodes_a_png_without_its_text_chunks():
    original = png_with_text()
    assert opened(original).text == {"Comment": SECRET_PLACE, "Location": "53.8N 1.5W"}

    checked = check_receipt(upload("scan.png", original, "image/png"))

    image = opened(checked.content)
    assert (checked.content_type, checked.extension) == ("image/png", "png")
    assert (image.format, image.size, image.mode) == ("PNG", (32, 32), "RGBA")
    assert image.text == {}
    assert SECRET_PLACE.encode() not in checked.content
    assert b"tEXt" not in checked.content
    assert b"iTXt" not in checked.content


BAD_FILES = {
    "text-named-pdf": ("receipt.pdf", lambda: b"Train ticket, Leeds to York, 12.40\n", NOT_A_RECEIPT),
    "svg-named-png": (
        "receipt.png",
        lambda: b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        NOT_A_RECEIPT,
    ),
    "gif-named-jpg": ("receipt.jpg", lambda: b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", NOT_A_RECEIPT),
    "html-mentioning-pdf": ("receipt.pdf", lambda: b"<html><body>%PDF-1.4 %%EOF</body></html>", NOT_A_RECEIPT),
    "truncated-pdf": ("receipt.pdf", lambda: MINIMAL_PDF[:120], INCOMPLETE_PDF),
    "pdf-without-end": ("receipt.pdf", lambda: MINIMAL_PDF + b"0" * 4096, INCOMPLETE_PDF),
    "empty": ("receipt.pdf", lambda: b"", EMPTY),
    "jpeg-header-then-garbage": ("receipt.jpg", lambda: b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8, UNREADABLE),
    "png-signature-then-html": ("receipt.png", lambda: b"\x89PNG\r\n\x1a\n<html>not an image</html>", UNREADABLE),
    "image-bomb": ("receipt.png", lambda: png_claiming(100_000, 100_000), TOO_LARGE_IMAGE),
    "50-mb": ("receipt.pdf", lambda: b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024) + b"\n%%EOF", TOO_BIG_FILE),
}


@pytest.mark.parametrize("case", BAD_FILES.keys())
def test_check_receipt_refuses_with_a_clear_message(case):
    name, content, message = BAD_FILES[case]

    with pytest.raises(ReceiptError) as error:
        check_receipt(upload(name, content()))

    assert str(error.value) == message


def test_check_receipt_refuses_a_truncated_jpeg():
    photo = io.BytesIO()
    Image.effect_noise((400, 300), 64).convert("RGB").save(photo, format="JPEG", quality=95)
    truncated = photo.getvalue()[: len(photo.getvalue()) // 2]

    with pytest.raises(ReceiptError) as error:
        check_receipt(upload("receipt.jpg", truncated))

    assert str(error.value) == UNREADABLE


def test_check_receipt_refuses_a_png_with_corrupted_pixel_data():
    photo = io.BytesIO()
    Image.effect_noise((64, 64), 64).save(photo, format="PNG")
    data = bytearray(photo.getvalue())
    start = data.index(b"IDAT") + 40
    data[start : start + 160] = b"\xff" * 160

    with pytest.raises(ReceiptError) as error:
        check_receipt(upload("receipt.png", bytes(data)))

    assert str(error.value) == UNREADABLE


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (100_000, 100_000),  # Pillow's own decompression-bomb error
        (10_000, 10_000),  # Pillow's warning (above its 89 megapixels), made an error
        (8_000, 5_001),  # just above our 40 megapixels
        (1, 40_000_001),
    ],
)
def test_check_receipt_refuses_an_image_bomb_before_decoding(width, height):
    with pytest.raises(ReceiptError) as error:
        check_receipt(upload("receipt.png", png_claiming(width, height)))

    assert str(error.value) == TOO_LARGE_IMAGE


def test_check_receipt_accepts_exactly_40_megapixels():
    output = io.BytesIO()
    Image.new("L", (8_000, 5_000)).save(output, format="PNG")

    checked = check_receipt(upload("big-scan.png", output.getvalue()))

    assert opened(checked.content).size == (8_000, 5_000)


def test_check_receipt_refuses_a_file_over_10_mb_whose_size_is_not_declared():
    big = upload("receipt.pdf", b"%PDF-1.4\n" + b"0" * MAX_BYTES + b"\n%%EOF")
    big.size = None  # type: ignore[assignment]  # a stream that does not say how long it is

    with pytest.raises(ReceiptError) as error:
        check_receipt(big)

    assert str(error.value) == TOO_BIG_FILE


def pdf_of_size(size: int) -> bytes:
    """A well-formed PDF of exactly ``size`` bytes: a page and one stream of padding."""

    def build(padding: int) -> bytes:
        return factories.pdf_document(b"<< /Length %d >>\nstream\n" % padding + b"0" * padding + b"\nendstream")

    padding = size - len(build(0))
    while len(build(padding)) != size:  # the length's own digits
        padding -= len(build(padding)) - size
    return build(padding)


def test_check_receipt_accepts_exactly_10_mb():
    content = pdf_of_size(MAX_BYTES)
    assert len(content) == MAX_BYTES

    assert check_receipt(upload("receipt.pdf", content)).content == content


# Through add_item ------------------------------------------------------------------------------


@pytest.fixture
def claim(world: World) -> Claim:
    rate_card_for(world.university)
    booking = attended_on(
        world.university, world.coordinator, world.volunteer.volunteer_profile, datetime.date(2025, 10, 1)
    )
    return ClaimFactory(booking=booking)


def add_parking(world: World, claim: Claim, receipt_file: SimpleUploadedFile | None) -> ClaimItem:
    return services.add_item(
        claim=claim,
        actor=world.volunteer,
        kind=ClaimItem.Kind.PARKING,
        date=datetime.date(2025, 10, 1),
        amount=Decimal("4.50"),
        receipt_file=receipt_file,
    )


def files_under(root: str) -> list[Path]:
    return sorted(path for path in Path(root).rglob("*") if path.is_file())


def test_add_item_stores_a_cleaned_photo_under_media_root(world, claim):
    item = add_parking(world, claim, upload("IMG_0001.JPG", jpeg_with_gps(), "image/jpeg"))

    receipt = Receipt.objects.get()
    assert item.receipt == receipt
    assert (receipt.claim, receipt.content_type, receipt.original_name, receipt.uploaded_by) == (
        claim,
        "image/jpeg",
        "IMG_0001.JPG",
        world.volunteer,
    )
    stored = Path(receipt.file.path).resolve()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    assert stored.is_relative_to(media_root / "receipts")
    assert not stored.is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert not any(stored.is_relative_to(Path(folder).resolve()) for folder in settings.STATICFILES_DIRS)
    assert not stored.is_relative_to((Path(settings.BASE_DIR) / "static").resolve())
    assert stored.name.startswith(f"claim-{claim.pk}")
    assert stored.suffix == ".jpg"
    content = stored.read_bytes()
    assert receipt.size == len(content)
    assert dict(opened(content).getexif()) == {}
    assert SECRET_PLACE.encode() not in content
    assert files_under(settings.MEDIA_ROOT) == [stored]


def test_add_item_stores_a_pdf_and_names_it_by_content(world, claim):
    add_parking(world, claim, upload("../../static/evil.html", MINIMAL_PDF, "text/html"))

    receipt = Receipt.objects.get()
    stored = Path(receipt.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve() / "receipts")
    assert stored.suffix == ".pdf"
    assert receipt.content_type == "application/pdf"
    assert stored.read_bytes() == MINIMAL_PDF


def test_add_item_stores_a_png_without_its_text(world, claim):
    add_parking(world, claim, upload("scan.png", png_with_text(), "image/png"))

    receipt = Receipt.objects.get()
    assert opened(Path(receipt.file.path).read_bytes()).text == {}


@pytest.mark.parametrize(
    "case", ["text-named-pdf", "truncated-pdf", "image-bomb", "50-mb", "empty", "jpeg-header-then-garbage"]
)
def test_add_item_with_a_bad_file_saves_nothing(world, claim, case):
    name, content, message = BAD_FILES[case]

    with pytest.raises(ClaimError) as error:
        add_parking(world, claim, upload(name, content()))

    assert str(error.value) == message
    assert ClaimItem.objects.count() == 0
    assert Receipt.objects.count() == 0
    assert files_under(settings.MEDIA_ROOT) == []
