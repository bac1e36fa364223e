"""Images people send, decoded and written again: what is stored is pixels we wrote
ourselves, with no EXIF (GPS), XMP, comments or anything appended. Every size is
checked from the file's own headers before a decoder allocates anything (pixel bombs).

A photo the browser has already downscaled (a small JPEG) is decoded and re-encoded all
the same (issue 21 asked whether to skip it). Cutting its EXIF/XMP/ICC segments without
re-encoding would keep the sender's own tables and scan data, which the officials'
viewers then decode: a crafted stream Pillow reads may still trip another decoder, and
only our encoder's output is known to be plain. Skipped is only what is provably
nothing: the resize of a photo already small enough, and pixel copies (orientation
applied in place, one paste into the clean image).
"""

from __future__ import annotations

import contextlib
import io
import struct
import zlib
from typing import Final, Literal

import pillow_heif
from PIL import Image, ImageOps

from backend.attachments.refusals import IMAGE_DAMAGED, refusal, smuggled
from backend.errors import InvalidInput
from backend.i18n import N_

MAX_PIXELS: Final = 40_000_000
MAX_SIDE: Final = 12_000
STORED_LONG_SIDE: Final = 2_400
JPEG_QUALITY: Final = 85
PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

# Writers pad files to a block size with these; nothing can hide in them.
_PADDING: Final = frozenset(b"\x00\r\n")
_MAX_PADDING: Final = 1024
_SOF_MARKERS: Final = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)


class _Damaged(Exception):
    """The file cannot be read as the type its bytes claim."""


def decode_jpeg(data: bytes) -> Image.Image:
    try:
        end, size = _walk_jpeg(data, 0)
    except _Damaged:
        raise refusal(IMAGE_DAMAGED) from None
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
            raise refusal(
                N_(
                    "Tệp này có chứa thứ khác ngoài ảnh nên không thể nhận. Nếu điện thoại "
                    "đang bật chế độ ảnh động (Motion Photo), hãy tắt đi rồi chụp lại."
                )
            )
        raise smuggled(N_("ảnh"))


def decode_png(data: bytes) -> Image.Image:
    try:
        end, size = _walk_png(data)
    except _Damaged:
        raise refusal(IMAGE_DAMAGED) from None
    _check_trailer(data, end, allow_jpeg=False)
    _check_pixels(*size)
    return _decode_with_pillow(data, "PNG")


def _walk_png(data: bytes) -> tuple[int, tuple[int, int]]:
    """Follow the chunks to IEND, checking every CRC; return where IEND ends and the size."""
    n = len(data)
    pos = len(PNG_SIGNATURE)
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


def decode_heic(data: bytes) -> Image.Image:
    try:
        heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
        width, height = heif.size
    except Exception:
        raise refusal(IMAGE_DAMAGED) from None
    _check_pixels(width, height)
    try:
        # libheif has already applied the HEIF rotation and mirroring (irot/imir);
        # pillow_heif resets the EXIF orientation to match, so no transpose here.
        image = heif.to_pillow()
        image.load()
    except Exception:
        raise refusal(IMAGE_DAMAGED) from None
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
        raise refusal(IMAGE_DAMAGED)
    if width > MAX_SIDE or height > MAX_SIDE or width * height > _pixel_limit():
        raise refusal(
            N_(
                "Ảnh quá lớn (%(width)s×%(height)s điểm ảnh). Hãy chụp lại với độ phân giải "
                "thấp hơn hoặc chọn ảnh khác.",
                width=width,
                height=height,
            )
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
            # In place: no copy of the pixels when the photo is upright already. A
            # broken EXIF block must not cost the citizen the photo; it is dropped anyway.
            with contextlib.suppress(Exception):
                ImageOps.exif_transpose(opened, in_place=True)
            opened.thumbnail((STORED_LONG_SIDE, STORED_LONG_SIDE), Image.Resampling.LANCZOS)
            # Closing drops the file, not the decoded pixels.
            return opened
    except InvalidInput:
        raise
    except Exception:
        raise refusal(IMAGE_DAMAGED) from None


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    ratio = min(1.0, STORED_LONG_SIDE / max(width, height))
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def _to_eight_bit(image: Image.Image) -> Image.Image:
    # Image.convert("L") clips 16-bit grey at 255 (a white page); scale it instead.
    return image.convert("I").point(lambda value: value / 256).convert("L")


def for_jpeg(image: Image.Image) -> Image.Image:
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


def for_png(image: Image.Image) -> Image.Image:
    if image.mode in {"1", "L", "LA", "RGB", "RGBA"}:
        return image
    if image.mode.startswith("I"):
        return _to_eight_bit(image)
    return image.convert("RGBA" if "transparency" in image.info else "RGB")


def encode(image: Image.Image, image_format: Literal["jpeg", "png"]) -> bytes:
    # A new image with the bare pixels pasted in: Pillow copies some metadata from
    # image.info when saving (JPEG comments, ICC profiles), so nothing of the upload's
    # info may reach it. (Pasting is one copy; tobytes/frombytes was three.)
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    if image_format == "jpeg":
        # Optimised Huffman tables halve the file for 12 ms of a 1600 px photo;
        # progressive would add 12 ms more, holding the GIL, for no smaller file.
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        clean.save(out, "PNG")
    return out.getvalue()
