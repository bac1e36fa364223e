"""The upload checks against an attack corpus built here, byte by byte: nothing binary is
committed, and every hostile file says in its builder what makes it hostile."""

from __future__ import annotations

import io
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any

import pillow_heif
import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript

from backend.attachments import (
    MAX_FILE_BYTES,
    CheckedFile,
    checks,
    inspect_upload,
    pdf_page_png,
    pdfs,
)
from backend.errors import InvalidInput

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RED = (220, 20, 20)
BLUE = (20, 20, 220)


# --- the corpus --------------------------------------------------------------------------


def two_colours(size: tuple[int, int] = (80, 40)) -> Image.Image:
    """Red on the left half, blue on the right: rotations become visible."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1]))
    return image


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "SecretPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (19.0, 48.0, 25.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (105.0, 46.0, 40.0)
    return exif


@cache
def jpeg(size: tuple[int, int] = (80, 40)) -> bytes:
    out = io.BytesIO()
    two_colours(size).save(out, "JPEG", quality=95)
    return out.getvalue()


@cache
def jpeg_with_metadata() -> bytes:
    """A phone photo held sideways: EXIF orientation 6, GPS, a comment, XMP, an ICC profile."""
    out = io.BytesIO()
    two_colours().save(
        out,
        "JPEG",
        quality=95,
        exif=gps_exif(orientation=6),
        comment=b"secret-comment",
        xmp=b"<x:xmpmeta>secret-xmp</x:xmpmeta>",
        icc_profile=b"\x00" * 128 + b"secret-icc",
    )
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG that claims to be width × height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + png_chunk(b"IEND", b"")
    )


@cache
def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "secret-author")
    info.add_text("Comment", "secret-ztxt", zip=True)
    info.add_itxt("Description", "secret-itxt", lang="vi")
    out = io.BytesIO()
    two_colours().save(out, "PNG", pnginfo=info)
    return out.getvalue()


def heic_encoder_available() -> bool:
    return bool(pillow_heif.libheif_info().get("HEIF"))


@cache
def heic() -> bytes:
    out = io.BytesIO()
    pillow_heif.from_pillow(two_colours()).save(out, quality=90, exif=gps_exif().tobytes())
    return out.getvalue()


@cache
def zip_file(comment: bytes = b"") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
        archive.comment = comment
    return out.getvalue()


def raw_pdf(
    catalog_extra: bytes = b"", page_extra: bytes = b"", more: tuple[bytes, ...] = ()
) -> bytes:
    """A hand-written PDF, so that each hostile variant differs from a clean one by one entry.

    Objects 1-3 are the catalog, the page tree and the page; ``more`` become 4, 5, ...
    """
    objects = (
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] " + page_extra + b" >>",
        *more,
    )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_with_compressed_script() -> bytes:
    """The JavaScript action hides in a compressed object stream, where no byte scan sees it."""
    header = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    plain = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    hidden = b"<< /S /JavaScript /JS (app.alert(1)) >>"
    index = b"4 0 "
    packed = zlib.compress(index + hidden)
    out = bytearray(header)
    offsets = {}
    for number, body in enumerate(plain, start=1):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets[5] = len(out)
    out += (
        b"5 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(index), len(packed))
        + packed
        + b"\nendstream\nendobj\n"
    )
    xref_at = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offsets[n], 0) for n in (1, 2, 3)]
    rows += [struct.pack(">BIH", 2, 5, 0), struct.pack(">BIH", 1, offsets[5], 0)]
    rows += [struct.pack(">BIH", 1, xref_at, 0)]
    table = zlib.compress(b"".join(rows))
    out += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode "
        b"/Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    )
    return bytes(out)


def written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pdf(pages: int = 1) -> PdfWriter:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    return writer


@cache
def document_pdf(pages: int = 3) -> bytes:
    """What a scanner app makes: pages with text and a black box, made by fpdf2."""
    pdf = FPDF(format="A4")
    pdf.set_font("helvetica", size=24)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(text=f"Page {number}")
        pdf.rect(20, 40, 120, 80, style="F")
    return bytes(pdf.output())


def refusal(data: bytes, filename: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        inspect_upload(data, filename)
    error = caught.value
    assert error.field == "file"
    assert error.message("vi") and error.message("en")
    # Vietnamese, not English twice: it carries letters only Vietnamese uses.
    assert any(unicodedata.normalize("NFD", c) != c or c == "đ" for c in error.message("vi"))
    return error


# --- images accepted and cleaned ---------------------------------------------------------


def test_jpeg_loses_gps_exif_comment_xmp_and_icc_and_is_turned_upright() -> None:
    original = jpeg_with_metadata()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the corpus is what it says
        assert before.info.get("comment") == b"secret-comment"

    checked = inspect_upload(original, "Ảnh CCCD.jpg")

    assert (checked.media_type, checked.extension, checked.pages) == ("image/jpeg", "jpg", 1)
    assert checked.display_name == "Ảnh CCCD.jpg"
    with Image.open(io.BytesIO(checked.data)) as after:
        assert after.format == "JPEG"
        assert len(after.getexif()) == 0
        assert not {"exif", "comment", "xmp", "icc_profile"} & set(after.info)
        # Orientation 6 means "turn 90° clockwise to view": 80×40 becomes 40×80 with the
        # left (red) half on top.
        assert after.size == (40, 80) == (checked.width, checked.height)
        top, bottom = (
            after.convert("RGB").getpixel((20, 10)),
            after.convert("RGB").getpixel((20, 70)),
        )
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]
    for secret in (b"secret", b"SecretPhone", b"Exif\x00\x00", b"GPS"):
        assert secret not in checked.data


def test_png_loses_its_text_chunks() -> None:
    original = png_with_text()
    assert b"tEXt" in original and b"zTXt" in original and b"iTXt" in original

    checked = inspect_upload(original, "chup man hinh.png")

    assert (checked.media_type, checked.extension) == ("image/png", "png")
    assert checked.display_name == "chup man hinh.png"
    assert b"secret" not in checked.data
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"):
        assert chunk not in checked.data
    with Image.open(io.BytesIO(checked.data)) as after:
        assert after.size == (80, 40)
        assert not getattr(after, "text", {})


@pytest.mark.skipif(
    not heic_encoder_available(), reason="pillow-heif was built without a HEIF encoder"
)
def test_heic_from_an_iphone_becomes_a_jpeg_without_metadata() -> None:
    original = heic()
    assert checks._sniff(original) == "heic"
    assert pillow_heif.open_heif(original).info.get("exif")

    checked = inspect_upload(original, "IMG_0412.HEIC")

    assert (checked.media_type, checked.extension) == ("image/jpeg", "jpg")
    assert checked.display_name == "IMG_0412.jpg"
    with Image.open(io.BytesIO(checked.data)) as after:
        assert after.format == "JPEG"
        assert after.size == (80, 40)
        assert len(after.getexif()) == 0
    assert b"SecretPhone" not in checked.data


def test_a_large_photo_is_scaled_down_to_2400_pixels() -> None:
    checked = inspect_upload(jpeg((4800, 1200)), "anh.jpg")

    assert (checked.width, checked.height) == (2400, 600)
    with Image.open(io.BytesIO(checked.data)) as after:
        assert after.size == (2400, 600)


def test_a_multi_picture_jpeg_like_a_phone_gain_map_is_accepted() -> None:
    # iPhones and Android "Ultra HDR" append further JPEG streams declared by an MPF
    # header (gain maps, depth maps): they are images, and re-encoding drops them.
    out = io.BytesIO()
    two_colours().save(out, "MPO", save_all=True, append_images=[Image.new("L", (20, 10))])
    mpo = out.getvalue()
    assert b"MPF\x00" in mpo and mpo.count(b"\xff\xd8\xff") == 2

    checked = inspect_upload(mpo, "hdr.jpg")

    assert b"MPF\x00" not in checked.data and checked.data.count(b"\xff\xd8") == 1
    assert (checked.width, checked.height) == (80, 40)


def grey16_png() -> bytes:
    image = Image.new("I;16", (40, 20), 40_000)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def image_bytes(mode: str, image_format: str, colour: object) -> Callable[[], bytes]:
    def make() -> bytes:
        out = io.BytesIO()
        image = Image.new(mode, (40, 20), colour)  # type: ignore[arg-type]
        if mode == "P":
            image.info["transparency"] = 0
        image.save(out, image_format)
        return out.getvalue()

    return make


@pytest.mark.parametrize(
    ("make", "filename", "stored_mode"),
    [
        (image_bytes("L", "JPEG", 128), "grey.jpg", "L"),
        (image_bytes("CMYK", "JPEG", (0, 255, 255, 0)), "cmyk.jpg", "RGB"),
        (image_bytes("RGBA", "PNG", (255, 0, 0, 128)), "rgba.png", "RGBA"),
        (image_bytes("LA", "PNG", (100, 200)), "la.png", "LA"),
        (image_bytes("P", "PNG", 3), "palette.png", "RGBA"),
        (image_bytes("1", "PNG", 1), "bilevel.png", "1"),
        (grey16_png, "scan16.png", "L"),
    ],
)
def test_every_common_colour_mode_comes_out_as_a_plain_image(
    make: Callable[[], bytes], filename: str, stored_mode: str
) -> None:
    checked = inspect_upload(make(), filename)

    with Image.open(io.BytesIO(checked.data)) as after:
        assert after.mode == stored_mode
        assert after.size == (40, 20)
        if filename == "scan16.png":
            assert after.getpixel((0, 0)) == 40_000 // 256  # scaled, not clipped to white


@pytest.mark.skipif(
    not heic_encoder_available(), reason="pillow-heif was built without a HEIF encoder"
)
def test_a_heic_with_transparency_is_flattened_on_white() -> None:
    out = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGBA", (40, 20), (0, 0, 0, 0))).save(out, quality=90)

    checked = inspect_upload(out.getvalue(), "trong-suot.heic")

    with Image.open(io.BytesIO(checked.data)) as after:
        assert after.mode == "RGB"
        pixel = after.getpixel((10, 10))
    assert isinstance(pixel, tuple) and min(pixel) > 240


# --- refused before decoding: pixel bombs --------------------------------------------------


def forbid_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, opening or decoding any image fails the test (build the corpus first)."""

    def forbidden(*_: object, **__: object) -> None:
        raise AssertionError("the decoder was reached")

    monkeypatch.setattr(Image, "open", forbidden)
    monkeypatch.setattr(Image.Image, "load", forbidden)


def test_a_50000_by_50000_png_header_is_refused_without_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bomb = png_header_only(50_000, 50_000)
    assert len(bomb) < 200
    forbid_decoding(monkeypatch)

    error = refusal(bomb, "bomb.png")

    assert "quá lớn" in error.message("vi") and "50000×50000" in error.message("vi")


def test_a_side_over_12000_pixels_is_refused_even_when_the_area_is_small(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    strip = png_header_only(12_001, 10)
    forbid_decoding(monkeypatch)

    assert "quá lớn" in refusal(strip, "strip.png").message("vi")


def test_a_jpeg_claiming_30000_by_30000_is_refused_without_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = bytearray(jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 30_000, 30_000)
    forbid_decoding(monkeypatch)

    assert "quá lớn" in refusal(bytes(data), "bomb.jpg").message("vi")


def test_a_second_larger_frame_header_cannot_slip_past_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = jpeg()
    sof = data.index(b"\xff\xc0")
    (length,) = struct.unpack(">H", data[sof + 2 : sof + 4])
    segment = bytearray(data[sof : sof + 2 + length])
    segment[5:9] = struct.pack(">HH", 9_000, 9_000)
    sneaky = data[: sof + 2 + length] + bytes(segment) + data[sof + 2 + length :]
    forbid_decoding(monkeypatch)

    assert "quá lớn" in refusal(sneaky, "two-frames.jpg").message("vi")


# --- refused: damaged or hiding something ----------------------------------------------------


def test_a_truncated_jpeg_is_refused() -> None:
    data = jpeg((400, 300))
    assert "hỏng" in refusal(data[: len(data) // 2], "anh.jpg").message("vi")


def test_a_png_with_a_bad_checksum_is_refused() -> None:
    data = bytearray(png_with_text())
    data[40] ^= 0xFF
    assert "hỏng" in refusal(bytes(data), "anh.png").message("vi")


def test_a_jpeg_zip_polyglot_is_refused() -> None:
    polyglot = jpeg() + zip_file()
    assert zipfile.is_zipfile(io.BytesIO(polyglot))

    error = refusal(polyglot, "anh.jpg")

    assert "thứ khác" in error.message("vi") and "something else" in error.message("en")


def test_a_png_with_html_after_iend_is_refused() -> None:
    polyglot = png_with_text() + b"<html><script>alert(document.cookie)</script></html>"

    assert "thứ khác" in refusal(polyglot, "anh.png").message("vi")


def test_a_few_padding_bytes_after_the_image_are_accepted() -> None:
    assert inspect_upload(png_with_text() + b"\n\x00\x00\r\n", "anh.png").extension == "png"
    assert inspect_upload(jpeg() + b"\x00" * 16, "anh.jpg").extension == "jpg"


# --- refused: not one of our types ---------------------------------------------------------


def gif() -> bytes:
    out = io.BytesIO()
    two_colours().save(out, "GIF")
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    two_colours().save(out, "WEBP")
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/me')</script></body></html>"


@pytest.mark.parametrize(
    ("make", "filename"),
    [
        (gif, "anh.gif"),
        (gif, "anh.jpg"),
        (webp, "anh.webp"),
        (lambda: SVG, "logo.svg"),
        (lambda: SVG, "logo.png"),
        (lambda: HTML, "trang.html"),
        (lambda: HTML, "anh.jpg"),
        (zip_file, "hoso.zip"),
        (lambda: b"MZ\x90\x00\x03" + b"\x00" * 200, "giay-to.pdf"),
        (lambda: b"just some text", "ghi-chu.txt"),
    ],
)
def test_other_types_are_refused_naming_the_accepted_ones(
    make: Callable[[], bytes], filename: str
) -> None:
    error = refusal(make(), filename)

    assert "JPEG/PNG/HEIC hay PDF" in error.message("vi")


def test_a_pdf_named_photo_jpg_is_refused_as_a_mismatch() -> None:
    error = refusal(document_pdf(), "photo.jpg")

    assert "không phải ảnh JPEG như tên tệp" in error.message("vi")
    assert "not a JPEG image as its name says" in error.message("en")
    assert "PDF" in error.message("en")


def test_a_jpeg_named_pdf_is_refused_as_a_mismatch() -> None:
    assert "không phải tệp PDF" in refusal(jpeg(), "to-khai.PDF").message("vi")


# --- file names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/passwd.jpg",
        "/etc/passwd.jpg",
        "a\\b.png",
        "..\\..\\boot.ini.jpg",
        "x\x00.jpg",
        "dòng\nmới.jpg",
        "tab\t.jpg",
        "ảnh\u202egpj.exe",
        "a" * 252 + ".jpg",
    ],
)
def test_dangerous_or_overlong_names_are_refused(filename: str) -> None:
    error = refusal(png_with_text(), filename)

    assert "Tên tệp" in error.message("vi")


@pytest.mark.parametrize(
    ("filename", "display_name"),
    [
        ("a\u0309nh the\u0302\u0301.JPG", "ảnh thế.jpg"),  # macOS sends decomposed (NFD) names
        ("Giấy khai sinh", "Giấy khai sinh.jpg"),
        ("giay to.exe", "giay to.jpg"),
        ("scan.2024", "scan.2024.jpg"),
        ("  so   ho khau .jpeg ", "so ho khau.jpg"),
        ("", "tệp đính kèm.jpg"),
        (".jpg", "tệp đính kèm.jpg"),
        ("x" * 200 + ".jpg", "x" * 96 + ".jpg"),
    ],
)
def test_display_names(filename: str, display_name: str) -> None:
    checked = inspect_upload(jpeg(), filename)

    assert checked.display_name == display_name
    assert unicodedata.is_normalized("NFC", checked.display_name)
    assert len(checked.display_name) <= 100


def test_a_name_of_exactly_255_characters_is_accepted() -> None:
    assert len(inspect_upload(jpeg(), "a" * 251 + ".jpg").display_name) == 100


# --- sizes --------------------------------------------------------------------------------


def test_an_11_mb_file_is_refused() -> None:
    big = b"\xff\xd8\xff" + b"\x00" * (11 * 1024 * 1024)

    assert "10 MB" in refusal(big, "anh.jpg").message("vi")


def test_one_byte_over_the_limit_is_refused() -> None:
    assert "10 MB" in refusal(b"%PDF-" + b"\x00" * (MAX_FILE_BYTES - 4), "x.pdf").message("vi")


def test_an_empty_file_is_refused() -> None:
    assert "trống" in refusal(b"", "anh.jpg").message("vi")


# --- PDFs ---------------------------------------------------------------------------------


def test_a_clean_multi_page_pdf_is_kept_as_uploaded_and_renders_to_png() -> None:
    data = document_pdf(3)

    checked = inspect_upload(data, "Tờ khai.pdf")

    assert checked == CheckedFile("application/pdf", "pdf", data, "Tờ khai.pdf", 3, None, None)
    png = pdf_page_png(checked.data, 2)
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as page:
        assert page.width == 1200
        assert 1650 < page.height < 1750  # A4
        darkest = min(page.convert("L").getextrema())
    assert isinstance(darkest, int) and darkest < 50  # the black box was drawn


def test_pdf_page_png_honours_the_width() -> None:
    with Image.open(io.BytesIO(pdf_page_png(document_pdf(1), 1, width=600))) as page:
        assert page.width == 600


@pytest.mark.parametrize("page", [0, 4, -1])
def test_pdf_page_png_refuses_a_page_out_of_range(page: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        pdf_page_png(document_pdf(3), page)

    assert caught.value.field == "page"
    assert "3 trang" in caught.value.message("vi")


def test_a_hand_written_clean_pdf_with_a_link_is_accepted() -> None:
    # A link asks for a click: it is not an automatic action.
    link = (
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 50 50] "
        b"/A << /S /URI /URI (https://dichvucong.gov.vn) >> >>"
    )
    data = raw_pdf(page_extra=b"/Annots [4 0 R]", more=(link,))

    assert inspect_upload(data, "don.pdf").pages == 1


def js_via_writer() -> bytes:
    writer = blank_pdf()
    writer.add_open_action(JavaScript("app.alert('xin chào');"))
    return written(writer)


def attachment_via_writer() -> bytes:
    writer = blank_pdf()
    writer.add_attachment("hoadon.exe", b"MZ not really a program")
    return written(writer)


ACTIVE = "mã chạy tự động"
ATTACHED = "đính kèm tệp khác"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: raw_pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), ACTIVE),
        (
            lambda: raw_pdf(b"/OpenAction 4 0 R", more=(b"<< /S /JavaScript /JS 5 0 R >>", b"(x)")),
            ACTIVE,
        ),
        (lambda: raw_pdf(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), ACTIVE),
        (lambda: raw_pdf(b"/OpenAction << /S /URI /URI (https://attacker.example) >>"), ACTIVE),
        (lambda: raw_pdf(page_extra=b"/AA << /O << /S /JavaScript /JS (x) >> >>"), ACTIVE),
        (
            lambda: raw_pdf(
                page_extra=b"/AA << /O << /S /GoTo /D [3 0 R /Fit] "
                b"/Next << /S /Launch /F (x) >> >> >>"
            ),
            ACTIVE,
        ),
        (lambda: raw_pdf(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"), ACTIVE),
        (lambda: raw_pdf(b"/AcroForm << /Fields [] /XFA 4 0 R >>", more=(b"[]",)), ACTIVE),
        (
            lambda: raw_pdf(
                b"/Names << /JavaScript << /Names [(a) 4 0 R] >> >>",
                more=(b"<< /S /JavaScript /JS (x) >>",),
            ),
            ACTIVE,
        ),
        (js_via_writer, ACTIVE),
        (pdf_with_compressed_script, ACTIVE),
        (attachment_via_writer, ATTACHED),
        (lambda: raw_pdf(b"/Names << /EmbeddedFiles << /Names [] >> >>"), ATTACHED),
        (
            lambda: raw_pdf(page_extra=b"/Annots [<< /Subtype /RichMedia /Rect [0 0 9 9] >>]"),
            ATTACHED,
        ),
    ],
)
def test_pdfs_with_active_content_or_attachments_are_refused(
    make: Callable[[], bytes], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make()

    assert expected in refusal(data, "to-khai.pdf").message("vi")
    # The byte scan and the parsed walk each stand on their own: another reader may
    # parse what pypdf skips, and object streams hide from a byte scan.
    monkeypatch.setattr(pdfs, "_scan_raw_names", lambda _data: None)
    assert expected in refusal(data, "to-khai.pdf").message("vi")


def test_the_compressed_script_is_invisible_to_a_byte_scan() -> None:
    data = pdf_with_compressed_script()
    assert b"JavaScript" not in data
    root: Any = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert root["/OpenAction"]["/S"] == "/JavaScript"
    pdfs._scan_raw_names(data)  # finds nothing: the parsed walk must


def test_an_encrypted_pdf_is_refused() -> None:
    writer = blank_pdf()
    writer.encrypt(user_password="", owner_password="chu-so-huu", algorithm="AES-128")

    assert "mật khẩu" in refusal(written(writer), "sao-ke.pdf").message("vi")


def test_a_pdf_with_more_than_100_pages_is_refused() -> None:
    assert inspect_upload(written(blank_pdf(100)), "dai.pdf").pages == 100

    assert "101 trang" in refusal(written(blank_pdf(101)), "qua-dai.pdf").message("vi")


def test_a_pdf_header_not_at_offset_0_is_refused() -> None:
    error = refusal(b"<html><!-- " + document_pdf(1), "to-khai.pdf")

    assert "đầu tệp" in error.message("vi")


@pytest.mark.parametrize(
    "tail",
    [
        b"<html><script>alert(1)</script></html>",
        b"\n<SCRIPT>alert(1)</SCRIPT>",
        b"\n<svg onload=alert(1)>",
        zip_file(),
    ],
)
def test_a_pdf_with_something_after_its_last_eof_is_refused(tail: bytes) -> None:
    assert "thứ khác" in refusal(document_pdf(1) + tail, "to-khai.pdf").message("vi")


def test_a_pdf_whose_ending_hides_in_a_zip_comment_is_refused() -> None:
    # The ZIP comment carries a fresh %%EOF, so nothing follows the "last" %%EOF.
    polyglot = document_pdf(1) + zip_file(comment=b"\n%%EOF\n")
    assert zipfile.is_zipfile(io.BytesIO(polyglot))

    assert "thứ khác" in refusal(polyglot, "to-khai.pdf").message("vi")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n this is not a PDF at all\n%%EOF\n",
        b"%PDF-1.4\n1 0 obj << >> endobj\n",
        b"%PDF-",
    ],
)
def test_garbage_behind_a_pdf_header_is_refused(data: bytes) -> None:
    assert "hỏng" in refusal(data, "to-khai.pdf").message("vi")


def test_a_truncated_pdf_is_refused() -> None:
    data = document_pdf(3)
    assert "hỏng" in refusal(data[: len(data) // 2], "to-khai.pdf").message("vi")


# --- nothing but a CheckedFile or an InvalidInput, whatever the bytes -------------------------


def seeds() -> list[bytes]:
    return [jpeg(), png_with_text(), document_pdf(1), raw_pdf()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=3),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8),
    cut=st.none() | st.integers(min_value=1),
)
def test_mutated_files_never_escape_as_another_error(
    seed: int, edits: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(seeds()[seed])
    for position, value in edits:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data) + 1]
    outcome: CheckedFile | InvalidInput
    try:
        outcome = inspect_upload(bytes(data), "tep")
    except InvalidInput as error:
        outcome = error
    if isinstance(outcome, InvalidInput):
        assert outcome.field == "file"
    else:
        assert outcome.media_type in {"image/jpeg", "image/png", "application/pdf"}


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=2048))
def test_random_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        inspect_upload(data, "x")
