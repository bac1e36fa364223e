"""Checking a file a person sends, by its content, before anything keeps it.

Everything uploaded is hostile until proven otherwise. The type comes from the bytes,
never from the name or the browser's Content-Type. Images are decoded and re-encoded
(``images``); PDFs are parsed and kept as sent when clean (``pdfs``).

``inspect_upload`` and ``pdf_page_png`` are synchronous and CPU-bound: ``Attachments``
runs the first in a worker process (``workers``), the second in a thread.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
from dataclasses import dataclass, field
from typing import Final, Literal

import pypdfium2 as pdfium  # type: ignore[import-untyped]

from backend.attachments import images, pdfs
from backend.attachments.refusals import PDF_DAMAGED, refusal
from backend.errors import InvalidInput
from backend.i18n import N_, Text

MAX_FILE_BYTES: Final = 10 * 1024 * 1024
MAX_NAME_CHARS: Final = 255
DISPLAY_NAME_CHARS: Final = 100

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


_KIND_NAMES: Final[dict[Kind, Text]] = {
    "jpeg": N_("ảnh JPEG"),
    "png": N_("ảnh PNG"),
    "heic": N_("ảnh HEIC"),
    "pdf": N_("tệp PDF"),
}


def inspect_upload(data: bytes, filename: str) -> CheckedFile:
    """Return the safe form of an upload, or raise ``InvalidInput`` (field "file")."""
    if not data:
        raise refusal(N_("Tệp này trống, không có nội dung. Hãy chọn lại tệp."))
    if len(data) > MAX_FILE_BYTES:
        raise refusal(
            N_("Tệp này lớn hơn 10 MB. Hãy chụp lại ảnh nhỏ hơn hoặc chia tệp PDF thành nhiều tệp.")
        )
    stem, declared = _parse_name(filename)
    kind = _sniff(data)
    if kind is None:
        # Readers accept a PDF header anywhere in the first KiB: such a file is a PDF to
        # them but something else to us, the classic polyglot.
        if b"%PDF-" in data[:1024]:
            raise refusal(
                N_(
                    "Tệp PDF này có dữ liệu lạ ở đầu tệp nên không thể nhận. "
                    "Hãy chụp ảnh giấy tờ rồi gửi ảnh."
                )
            )
        raise refusal(
            N_("Tệp này không phải ảnh JPEG/PNG/HEIC hay PDF. Hãy chụp lại hoặc chọn tệp khác.")
        )
    if declared is not None and declared != kind:
        raise refusal(
            N_(
                "Nội dung tệp này không phải %(said)s như tên tệp ghi, mà là %(actual)s. "
                "Hãy chọn đúng tệp hoặc đổi tên tệp.",
                said=_KIND_NAMES[declared],
                actual=_KIND_NAMES[kind],
            )
        )
    if kind == "pdf":
        pages = pdfs.check_pdf(data)
        return CheckedFile(
            "application/pdf", "pdf", data, _display_name(stem, "pdf"), pages, None, None
        )
    if kind == "png":
        image = images.decode_png(data)
        stored = images.encode(images.for_png(image), "png")
        return CheckedFile(
            "image/png", "png", stored, _display_name(stem, "png"), 1, image.width, image.height
        )
    image = images.decode_jpeg(data) if kind == "jpeg" else images.decode_heic(data)
    stored = images.encode(images.for_jpeg(image), "jpeg")
    return CheckedFile(
        "image/jpeg", "jpg", stored, _display_name(stem, "jpg"), 1, image.width, image.height
    )


def pdf_page_png(data: bytes, page: int, width: int = 1200) -> bytes:
    """One page (numbered from 1) of a checked PDF as a PNG ``width`` pixels wide."""
    if not 100 <= width <= images.STORED_LONG_SIDE:
        raise InvalidInput(
            N_(
                "Chiều rộng ảnh xem trước phải từ 100 đến %(limit)s điểm ảnh.",
                limit=images.STORED_LONG_SIDE,
            ),
            field="width",
        )
    with pdfs.PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            raise refusal(PDF_DAMAGED) from None
        try:
            count = len(document)
            if not 1 <= page <= count:
                raise InvalidInput(
                    N_(
                        "Tệp này không có trang %(page)s; tệp có %(count)s trang.",
                        page=page,
                        count=count,
                    ),
                    field="page",
                )
            image = pdfs.render_page(document, page - 1, width)
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


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
        raise refusal(
            N_(
                "Tên tệp quá dài (hơn %(limit)s ký tự). Hãy đổi tên ngắn hơn rồi gửi lại.",
                limit=MAX_NAME_CHARS,
            )
        )
    if (
        "/" in name
        or "\\" in name
        or ".." in name
        or any(
            unicodedata.category(c) in {"Cc", "Zl", "Zp"} or c in _INVISIBLE_CONTROLS for c in name
        )
    ):
        raise refusal(
            N_(
                "Tên tệp có ký tự không được phép (như / \\ .. hoặc ký tự điều khiển). "
                "Hãy đổi tên tệp rồi gửi lại."
            )
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

_HEIF_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)
# AVIF files also carry mif1; we have no AV1 decoder, so they are not ours.
_AVIF_BRANDS: Final = frozenset({b"avif", b"avis"})


def _sniff(data: bytes) -> Kind | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(images.PNG_SIGNATURE):
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
