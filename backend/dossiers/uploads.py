"""Checking an uploaded dossier attachment by its content, before anything keeps it.

Everything a citizen uploads is hostile until proven otherwise. The type comes from
the bytes, never from the name or the browser's Content-Type. Images are decoded and
re-encoded, so what is stored is pixels that we wrote ourselves: no EXIF (GPS), no
XMP, no comments, nothing appended. PDFs cannot be rewritten without risk of
changing a signed document, so they are stored as uploaded, but only after they are
parsed and found free of scripts, automatic actions and embedded files.

``inspect_upload`` is synchronous and CPU-bound: run it in a worker thread.
"""

from __future__ import annotations

import io
import re
import struct
import threading
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import pillow_heif
import pypdfium2 as pdfium  # type: ignore[import-untyped]
from PIL import Image, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from backend.errors import InvalidInput

MAX_FILE_BYTES: Final = 10 * 1024 * 1024
MAX_PIXELS: Final = 40_000_000
MAX_SIDE: Final = 12_000
STORED_LONG_SIDE: Final = 2_400
MAX_PDF_PAGES: Final = 100
MAX_NAME_CHARS: Final = 255
DISPLAY_NAME_CHARS: Final = 100
JPEG_QUALITY: Final = 85

Kind = Literal["jpeg", "png", "pdf", "heic"]
MediaType = Literal["image/jpeg", "image/png", "application/pdf"]
Extension = Literal["jpg", "png", "pdf"]


@dataclass(frozen=True, slots=True)
class CheckedFile:
    media_type: MediaType
    extension: Extension
    data: bytes = field(repr=False)
    display_name: str
    pages: int
    width: int | None
    height: int | None


def inspect_upload(data: bytes, filename: str) -> CheckedFile:
    """Return the safe form of an upload, or raise ``InvalidInput`` (field "file")."""
    if not data:
        raise _refusal(
            "Tệp này trống, không có nội dung. Hãy chọn lại tệp.",
            "This file is empty. Please choose the file again.",
        )
    if len(data) > MAX_FILE_BYTES:
        raise _refusal(
            "Tệp này lớn hơn 10 MB. Hãy chụp lại ảnh nhỏ hơn hoặc chia tệp PDF thành nhiều tệp.",
            "This file is larger than 10 MB. Take a smaller photo or split the PDF into "
            "several files.",
        )
    stem, declared = _parse_name(filename)
    kind = _sniff(data)
    if kind is None:
        # Readers accept a PDF header anywhere in the first KiB: such a file is a PDF to
        # them but something else to us, the classic polyglot.
        if b"%PDF-" in data[:1024]:
            raise _refusal(
                "Tệp PDF này có dữ liệu lạ ở đầu tệp nên không thể nhận. "
                "Hãy chụp ảnh giấy tờ rồi gửi ảnh.",
                "This PDF has unexpected data before its start, so it cannot be accepted. "
                "Take a photo of the papers and send the photo.",
            )
        raise _refusal(
            "Tệp này không phải ảnh JPEG/PNG/HEIC hay PDF. Hãy chụp lại hoặc chọn tệp khác.",
            "This file is not a JPEG, PNG or HEIC photo or a PDF. Take the photo again or "
            "choose another file.",
        )
    if declared is not None and declared != kind:
        said_vi, said_en = _KIND_NAMES[declared]
        is_vi, is_en = _KIND_NAMES[kind]
        raise _refusal(
            f"Nội dung tệp này không phải {said_vi} như tên tệp ghi, mà là {is_vi}. "
            "Hãy chọn đúng tệp hoặc đổi tên tệp.",
            f"The content of this file is not a {said_en} as its name says; it is a {is_en}. "
            "Choose the right file or rename it.",
        )
    if kind == "pdf":
        pages = _check_pdf(data)
        return CheckedFile(
            "application/pdf", "pdf", data, _display_name(stem, "pdf"), pages, None, None
        )
    if kind == "png":
        image = _decode_png(data)
        stored = _encode(_for_png(image), "png")
        return CheckedFile(
            "image/png", "png", stored, _display_name(stem, "png"), 1, image.width, image.height
        )
    image = _decode_jpeg(data) if kind == "jpeg" else _decode_heic(data)
    stored = _encode(_for_jpeg(image), "jpeg")
    return CheckedFile(
        "image/jpeg", "jpg", stored, _display_name(stem, "jpg"), 1, image.width, image.height
    )


def pdf_page_png(data: bytes, page: int, width: int = 1200) -> bytes:
    """One page (numbered from 1) of a checked PDF as a PNG ``width`` pixels wide."""
    if not 100 <= width <= STORED_LONG_SIDE:
        raise InvalidInput(
            f"Chiều rộng ảnh xem trước phải từ 100 đến {STORED_LONG_SIDE} điểm ảnh.",
            f"The preview width must be between 100 and {STORED_LONG_SIDE} pixels.",
            field="width",
        )
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            raise _refusal(*_PDF_DAMAGED) from None
        try:
            count = len(document)
            if not 1 <= page <= count:
                raise InvalidInput(
                    f"Tệp này không có trang {page}; tệp có {count} trang.",
                    f"This file has no page {page}; it has {count} pages.",
                    field="page",
                )
            image = _render(document, page - 1, width)
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# --- refusals -------------------------------------------------------------------------

_KIND_NAMES: Final[dict[Kind, tuple[str, str]]] = {
    "jpeg": ("ảnh JPEG", "JPEG image"),
    "png": ("ảnh PNG", "PNG image"),
    "heic": ("ảnh HEIC", "HEIC image"),
    "pdf": ("tệp PDF", "PDF"),
}

_IMAGE_DAMAGED: Final = (
    "Ảnh này bị hỏng hoặc chưa tải lên hết. Hãy chụp lại hoặc chọn tệp khác.",
    "This image is damaged or incomplete. Take the photo again or choose another file.",
)
_PDF_DAMAGED: Final = (
    "Tệp PDF này bị hỏng hoặc chưa tải lên hết. Hãy tạo lại tệp PDF hoặc chụp ảnh giấy tờ.",
    "This PDF is damaged or incomplete. Make the PDF again or take a photo of the papers.",
)
_PDF_ACTIVE: Final = (
    "Tệp PDF này có chứa mã chạy tự động hoặc lệnh mở chương trình nên không thể nhận. "
    "Hãy chụp ảnh giấy tờ rồi gửi ảnh.",
    "This PDF contains scripts or actions that run by themselves, so it cannot be accepted. "
    "Take a photo of the papers and send the photo.",
)
_PDF_ATTACHED: Final = (
    "Tệp PDF này có đính kèm tệp khác bên trong nên không thể nhận. Hãy gửi riêng từng giấy tờ.",
    "This PDF has other files attached inside it, so it cannot be accepted. "
    "Send each document separately.",
)


def _refusal(message_vi: str, message_en: str) -> InvalidInput:
    return InvalidInput(message_vi, message_en, field="file")


def _smuggled(kind_vi: str, kind_en: str) -> InvalidInput:
    return _refusal(
        f"Tệp này có chứa thứ khác ngoài {kind_vi} nên không thể nhận. "
        "Hãy chụp lại hoặc chọn tệp khác.",
        f"This file contains something else besides the {kind_en}, so it cannot be accepted. "
        "Take the photo again or choose another file.",
    )


# --- file names -----------------------------------------------------------------------

_DECLARED: Final[dict[str, Kind]] = {
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "png": "png",
    "pdf": "pdf",
    "heic": "heic",
    "heif": "heic",
}
# Bidirectional overrides make "ảnh‮gpj.exe" display as "ảnhexe.jpg".
_INVISIBLE_CONTROLS: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_LOOKS_LIKE_EXTENSION: Final = re.compile(r"(?=[A-Za-z0-9]{1,5}\Z)[0-9]*[A-Za-z][A-Za-z0-9]*")
_DEFAULT_STEM: Final = "tệp đính kèm"


def _parse_name(filename: str) -> tuple[str, Kind | None]:
    """The name without its extension, and the type that extension claims (if ours)."""
    name = unicodedata.normalize("NFC", filename)
    if len(name) > MAX_NAME_CHARS:
        raise _refusal(
            f"Tên tệp quá dài (hơn {MAX_NAME_CHARS} ký tự). Hãy đổi tên ngắn hơn rồi gửi lại.",
            f"The file name is too long (over {MAX_NAME_CHARS} characters). "
            "Give it a shorter name and send it again.",
        )
    if (
        "/" in name
        or "\\" in name
        or ".." in name
        or any(
            unicodedata.category(c) in {"Cc", "Zl", "Zp"} or c in _INVISIBLE_CONTROLS for c in name
        )
    ):
        raise _refusal(
            "Tên tệp có ký tự không được phép (như / \\ .. hoặc ký tự điều khiển). "
            "Hãy đổi tên tệp rồi gửi lại.",
            "The file name contains characters that are not allowed (such as / \\ .. or "
            "control characters). Rename the file and send it again.",
        )
    name = " ".join(name.split())
    stem, dot, extension = name.rpartition(".")
    if not dot or not _LOOKS_LIKE_EXTENSION.fullmatch(extension):
        return name, None
    return stem, _DECLARED.get(extension.lower())


def _display_name(stem: str, extension: str) -> str:
    room = DISPLAY_NAME_CHARS - len(extension) - 1
    stem = stem.strip(" .")[:room].rstrip(" .") or _DEFAULT_STEM
    return f"{stem}.{extension}"


# --- types by content ------------------------------------------------------------------

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_HEIF_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)
# AVIF files also carry mif1; we have no AV1 decoder, so they are not ours.
_AVIF_BRANDS: Final = frozenset({b"avif", b"avis"})


def _sniff(data: bytes) -> Kind | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(_PNG_SIGNATURE):
        return "png"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if len(data) >= 16 and data[4:8] == b"ftyp":
        (box_size,) = struct.unpack(">I", data[:4])
        if 16 <= box_size <= min(len(data), 4096):
            brands = {data[8:12]} | {data[i : i + 4] for i in range(16, box_size - 3, 4)}
            if brands & _HEIF_BRANDS and not brands & _AVIF_BRANDS:
                return "heic"
    return None


# --- images ---------------------------------------------------------------------------

# Writers pad files to a block size with these; nothing can hide in them.
_PADDING: Final = frozenset(b"\x00\r\n")
_MAX_PADDING: Final = 1024
_SOF_MARKERS: Final = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)


class _Damaged(Exception):
    """The file cannot be read as the type its bytes claim."""


def _decode_jpeg(data: bytes) -> Image.Image:
    try:
        end, size = _walk_jpeg(data, 0)
    except _Damaged:
        raise _refusal(*_IMAGE_DAMAGED) from None
    _check_trailer(data, end, allow_jpeg=True)
    _check_pixels(*size)
    return _decode_with_pillow(data, "JPEG")


def _walk_jpeg(data: bytes, start: int, *, strict: bool = False) -> tuple[int, tuple[int, int]]:
    """Follow one JPEG stream from its SOI; return where its EOI ends and its frame size.

    Not ``strict``, stray bytes before a marker are skipped as libjpeg does, rather than
    refusing a camera's photo for them.
    """
    n = len(data)
    pos = start + 2
    size: tuple[int, int] | None = None
    while True:
        if strict and not data.startswith(b"\xff", pos):
            raise _Damaged
        pos = data.find(b"\xff", pos)
        if pos < 0:
            raise _Damaged
        while pos < n and data[pos] == 0xFF:
            pos += 1
        if pos >= n:
            raise _Damaged
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            if size is None:
                raise _Damaged
            return pos, size
        if marker == 0x00 or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        if marker == 0xD8 or pos + 2 > n:
            raise _Damaged
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2 or pos + length > n:
            raise _Damaged
        if marker in _SOF_MARKERS:
            if length < 8:
                raise _Damaged
            height, width = struct.unpack(">HH", data[pos + 3 : pos + 7])
            # Several frame headers: the largest decides, as a decoder may use any of them.
            if size is None or width * height > size[0] * size[1]:
                size = (width, height)
        pos += length
        if marker == 0xDA:
            pos = _skip_entropy_coded(data, pos)


def _skip_entropy_coded(data: bytes, pos: int) -> int:
    """Offset of the first real marker after a scan's compressed data."""
    n = len(data)
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= n:
            raise _Damaged
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos += 2
        elif following == 0xFF:
            pos += 1
        else:
            return pos


def _check_trailer(data: bytes, pos: int, *, allow_jpeg: bool) -> None:
    """Refuse anything after the end of the image, but padding and, for JPEG, more JPEG.

    Phones append further JPEG streams declared by an MPF header (iPhone and Android
    HDR gain maps, depth maps): those are images too and are dropped on re-encoding,
    so they are no reason to refuse the photo.
    """
    padding = 0
    n = len(data)
    while pos < n:
        if data[pos] in _PADDING:
            padding += 1
            if padding > _MAX_PADDING:
                break
            pos += 1
        elif allow_jpeg and data.startswith(b"\xff\xd8\xff", pos):
            try:
                pos, _ = _walk_jpeg(data, pos, strict=True)
            except _Damaged:
                break
        else:
            break
    if pos < n:
        if allow_jpeg:
            raise _refusal(
                "Tệp này có chứa thứ khác ngoài ảnh nên không thể nhận. Nếu điện thoại đang "
                "bật chế độ ảnh động (Motion Photo), hãy tắt đi rồi chụp lại.",
                "This file contains something else besides the image, so it cannot be "
                "accepted. If the phone takes motion photos, turn that off and take the "
                "photo again.",
            )
        raise _smuggled("ảnh", "image")


def _decode_png(data: bytes) -> Image.Image:
    try:
        end, size = _walk_png(data)
    except _Damaged:
        raise _refusal(*_IMAGE_DAMAGED) from None
    _check_trailer(data, end, allow_jpeg=False)
    _check_pixels(*size)
    return _decode_with_pillow(data, "PNG")


def _walk_png(data: bytes) -> tuple[int, tuple[int, int]]:
    """Follow the chunks to IEND, checking every CRC; return where IEND ends and the size."""
    n = len(data)
    pos = len(_PNG_SIGNATURE)
    size: tuple[int, int] | None = None
    while True:
        if pos + 12 > n:
            raise _Damaged
        length, chunk_type = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > n or not chunk_type.isalpha():
            raise _Damaged
        body = data[pos + 8 : end - 4]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(body, zlib.crc32(chunk_type)) != crc:
            raise _Damaged
        if size is None:
            if chunk_type != b"IHDR" or length != 13:
                raise _Damaged
            width, height = struct.unpack(">II", body[:8])
            size = (width, height)
        pos = end
        if chunk_type == b"IEND":
            return pos, size


def _decode_heic(data: bytes) -> Image.Image:
    try:
        heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
        width, height = heif.size
    except Exception:
        raise _refusal(*_IMAGE_DAMAGED) from None
    _check_pixels(width, height)
    try:
        # libheif has already applied the HEIF rotation and mirroring (irot/imir);
        # pillow_heif resets the EXIF orientation to match, so no transpose here.
        image = heif.to_pillow()
        image.load()
    except Exception:
        raise _refusal(*_IMAGE_DAMAGED) from None
    image.thumbnail((STORED_LONG_SIDE, STORED_LONG_SIDE), Image.Resampling.LANCZOS)
    return image


def _pixel_limit() -> int:
    # Pillow warns (DecompressionBombWarning) above MAX_IMAGE_PIXELS and raises above
    # twice that. Catching the warning would mean changing the process-wide warning
    # filters from a worker thread, which is not thread-safe; refusing everything above
    # it ourselves, before Pillow opens the file, turns that warning into a refusal.
    pillow_limit = Image.MAX_IMAGE_PIXELS
    return MAX_PIXELS if pillow_limit is None else min(MAX_PIXELS, int(pillow_limit))


def _check_pixels(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise _refusal(*_IMAGE_DAMAGED)
    if width > MAX_SIDE or height > MAX_SIDE or width * height > _pixel_limit():
        raise _refusal(
            f"Ảnh quá lớn ({width}×{height} điểm ảnh). Hãy chụp lại với độ phân giải thấp hơn "
            "hoặc chọn ảnh khác.",
            f"This image is too large ({width}×{height} pixels). Take it again at a lower "
            "resolution or choose another image.",
        )


def _decode_with_pillow(data: bytes, image_format: Literal["JPEG", "PNG"]) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data), formats=[image_format]) as opened:
            # Pillow reads the header on open and decodes on load: check its own idea of
            # the size too, in case it parsed the header differently from us.
            _check_pixels(*opened.size)
            if image_format == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the photo is far larger
                # than what we keep: less memory and time for the same result.
                opened.draft(None, _fitted(opened.size))
            opened.load()
            try:
                image = ImageOps.exif_transpose(opened)
            except Exception:
                # A broken EXIF block must not cost the citizen the photo; it is dropped anyway.
                image = opened.copy()
            image.thumbnail((STORED_LONG_SIDE, STORED_LONG_SIDE), Image.Resampling.LANCZOS)
            return image
    except InvalidInput:
        raise
    except Exception:
        raise _refusal(*_IMAGE_DAMAGED) from None


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    ratio = min(1.0, STORED_LONG_SIDE / max(width, height))
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def _to_eight_bit(image: Image.Image) -> Image.Image:
    # Image.convert("L") clips 16-bit grey at 255 (a white page); scale it instead.
    return image.convert("I").point(lambda value: value / 256).convert("L")


def _for_jpeg(image: Image.Image) -> Image.Image:
    if image.mode in {"RGB", "L"}:
        return image
    if image.mode.startswith("I"):
        return _to_eight_bit(image)
    if "A" in image.mode or "a" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _for_png(image: Image.Image) -> Image.Image:
    if image.mode in {"1", "L", "LA", "RGB", "RGBA"}:
        return image
    if image.mode.startswith("I"):
        return _to_eight_bit(image)
    return image.convert("RGBA" if "transparency" in image.info else "RGB")


def _encode(image: Image.Image, image_format: Literal["jpeg", "png"]) -> bytes:
    # A new image from bare pixels: Pillow copies some metadata from image.info when
    # saving (JPEG comments, ICC profiles), so nothing of the upload's info may reach it.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    if image_format == "jpeg":
        # Optimised Huffman tables halve the file for 12 ms of a 1600 px photo;
        # progressive would add 12 ms more, holding the GIL, for no smaller file.
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        clean.save(out, "PNG")
    return out.getvalue()


# --- PDF ------------------------------------------------------------------------------

# PDFium must never be entered from two threads at once, even for different documents.
_PDFIUM = threading.Lock()

# Anywhere in the file: code, programs to launch, files inside the file, remote files.
_SCRIPT_NAMES: Final = frozenset(
    {"/JS", "/JavaScript", "/Launch", "/XFA", "/GoToR", "/ImportData", "/RichMediaExecute"}
)
_ATTACHMENT_NAMES: Final = frozenset(
    {"/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/RichMediaContent", "/GoToE"}
)
# Harmless behind a click on a link, not when they fire by themselves on opening.
_AUTOMATIC_ONLY: Final = frozenset({"/URI", "/SubmitForm", "/Rendition", "/Sound", "/Movie"})

_ZIP_OR_MARKUP: Final = (
    b"pk\x03\x04",
    b"pk\x01\x02",
    b"pk\x05\x06",
    b"<html",
    b"<!doctype",
    b"<script",
    b"<svg",
    b"<?xml",
    b"<iframe",
    b"<body",
    b"<?php",
    b"javascript:",
)
_NAME_CHARS: Final = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
_SUSPECT_NAME: Final = re.compile(
    rb"/(?:JS|JavaScript|Launch|XFA|GoToR|ImportData|RichMedia\w*|EmbeddedFiles?|GoToE)"
    rb"(?!" + _NAME_CHARS + rb")"
)
_ESCAPED_NAME: Final = re.compile(rb"/(" + _NAME_CHARS + rb"*#[0-9A-Fa-f]{2}" + _NAME_CHARS + b"*)")
_STREAM_START: Final = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_MAX_PDF_OBJECTS: Final = 2_000_000


def _check_pdf(data: bytes) -> int:
    _check_pdf_tail(data)
    _scan_raw_names(data)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refusal(
                "Tệp PDF này có mật khẩu hoặc bị khóa. Hãy gửi bản không đặt mật khẩu.",
                "This PDF is protected by a password or locked. Send a copy without a password.",
            )
        pages = len(reader.pages)
        _walk_pdf(reader)
    except InvalidInput:
        raise
    except Exception:
        raise _refusal(*_PDF_DAMAGED) from None
    if pages < 1:
        raise _refusal(*_PDF_DAMAGED)
    if pages > MAX_PDF_PAGES:
        raise _refusal(
            f"Tệp PDF có {pages} trang, nhiều hơn giới hạn {MAX_PDF_PAGES} trang. "
            "Hãy chia thành nhiều tệp nhỏ hơn.",
            f"This PDF has {pages} pages, more than the limit of {MAX_PDF_PAGES}. "
            "Split it into several smaller files.",
        )
    # The officials' viewer renders with PDFium: a file it cannot open is of no use.
    with _PDFIUM:
        try:
            pdfium.PdfDocument(data).close()
        except pdfium.PdfiumError:
            raise _refusal(*_PDF_DAMAGED) from None
    return pages


def _check_pdf_tail(data: bytes) -> None:
    last_eof = data.rfind(b"%%EOF")
    if last_eof < 0:
        raise _refusal(*_PDF_DAMAGED)
    tail = data[last_eof + 5 :].lower()
    if any(signature in tail for signature in _ZIP_OR_MARKUP) or _ends_with_zip(data):
        raise _smuggled("tài liệu PDF", "PDF document")


def _ends_with_zip(data: bytes) -> bool:
    """Whether a ZIP end record sits where an unzip tool looks for it: just before the end.

    A ZIP comment may swallow the PDF's own ending, so this is not caught by the tail.
    """
    window_start = max(0, len(data) - 22 - 0xFFFF)
    pos = data.find(b"PK\x05\x06", window_start)
    while pos >= 0:
        if pos + 22 <= len(data):
            (comment_length,) = struct.unpack("<H", data[pos + 20 : pos + 22])
            if data[pos + 22 + comment_length :].strip(b"\x00\r\n\t ") == b"":
                return True
        pos = data.find(b"PK\x05\x06", pos + 1)
    return False


def _outside_streams(data: bytes) -> Iterator[bytes]:
    # Compressed stream bodies are random bytes where "/JS " turns up by chance; object
    # streams inside them are read through pypdf instead.
    pos = 0
    for start in _STREAM_START.finditer(data):
        if start.start() < pos:
            continue
        yield data[pos : start.start()]
        end = data.find(b"endstream", start.end())
        if end < 0:
            return
        pos = end
    yield data[pos:]


def _scan_raw_names(data: bytes) -> None:
    """Look at the bytes themselves, in case another reader parses them unlike pypdf."""
    for chunk in _outside_streams(data):
        found = _SUSPECT_NAME.search(chunk)
        if found is not None:
            _refuse_name(found.group(0).decode("latin-1"))
        for escaped in _ESCAPED_NAME.finditer(chunk):
            name = "/" + re.sub(
                rb"#([0-9A-Fa-f]{2})",
                lambda m: bytes([int(m.group(1), 16)]),
                escaped.group(1),
            ).decode("latin-1")
            _refuse_name(name)


def _refuse_name(name: str) -> None:
    if name in _SCRIPT_NAMES:
        raise _refusal(*_PDF_ACTIVE)
    if name in _ATTACHMENT_NAMES or name.startswith("/RichMedia"):
        raise _refusal(*_PDF_ATTACHED)


def _walk_pdf(reader: PdfReader) -> None:
    """Visit every object: the trailer's graph and every entry of the cross-reference."""
    pending: list[Any] = [reader.trailer]
    for generation, table in reader.xref.items():
        pending.extend(IndirectObject(number, generation, reader) for number in table)
    pending.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    visited = 0
    while pending:
        item = pending.pop()
        visited += 1
        if visited > _MAX_PDF_OBJECTS:
            raise _refusal(*_PDF_DAMAGED)
        if isinstance(item, IndirectObject):
            reference = (item.idnum, item.generation)
            if reference in seen:
                continue
            seen.add(reference)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            for key, value in dict.items(item):
                _refuse_name(str(key))
                pending.append(value)
            for trigger in ("/OpenAction", "/AA"):
                if trigger in item:
                    _check_automatic(item.get(trigger), trigger == "/AA")
        elif isinstance(item, ArrayObject):
            pending.extend(list.__iter__(item))
        elif isinstance(item, NameObject):
            _refuse_name(str(item))


def _check_automatic(action: Any, is_trigger_table: bool) -> None:
    """Actions that run on opening a document or page, or on a form event."""
    actions: list[Any] = []
    if is_trigger_table and isinstance(action, DictionaryObject):
        actions = [value.get_object() for value in dict.values(action)]
    elif isinstance(action, DictionaryObject):
        actions = [action]
    depth = 0
    while actions:
        depth += 1
        if depth > 1000:
            raise _refusal(*_PDF_ACTIVE)
        current = actions.pop()
        if not isinstance(current, DictionaryObject):
            continue
        kind = current.get("/S")
        if isinstance(kind, NameObject):
            _refuse_name(str(kind))
            if str(kind) in _AUTOMATIC_ONLY:
                raise _refusal(*_PDF_ACTIVE)
        following = current.get("/Next")
        if isinstance(following, DictionaryObject):
            actions.append(following)
        elif isinstance(following, ArrayObject):
            actions.extend(entry.get_object() for entry in list.__iter__(following))


def _render(document: Any, index: int, width: int) -> Image.Image:
    page = document[index]
    try:
        page_width, page_height = (float(v) for v in page.get_size())
        if page_width <= 0 or page_height <= 0:
            raise _refusal(*_PDF_DAMAGED)
        scale = width / page_width
        # A long, thin page would otherwise make a huge bitmap at the requested width.
        if page_height * scale > 8 * width:
            scale = 8 * width / page_height
        bitmap = page.render(scale=scale, may_draw_forms=False)
        try:
            # to_pil may share the bitmap's memory, which PDFium frees on close.
            image: Image.Image = bitmap.to_pil().convert("RGB")
        finally:
            bitmap.close()
    except pdfium.PdfiumError:
        raise _refusal(*_PDF_DAMAGED) from None
    finally:
        page.close()
    return image
