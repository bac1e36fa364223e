"""The VietQR code as a picture to keep: a phone cannot scan its own screen, but every
Vietnamese banking app scans a code from a picture in the gallery. The words under
the code (amount, transfer content, account, deadline) make the saved picture
explain itself among a person's photos."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from backend.documents import font_file, make_qr

SCALE = 10  # pixels a module: about 450 pixels for a transfer's code
BORDER = 4  # the quiet zone, in modules
MARGIN = 24
GAP = 10
LARGEST = 34
SMALLEST = 16


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    size: int = 24
    bold: bool = False


@functools.lru_cache(maxsize=64)
def _truetype(style: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_file(style), size)


def _font(line: Line, width: int) -> ImageFont.FreeTypeFont:
    """The line's font, made smaller until the line fits the width."""
    style = "B" if line.bold else ""
    size = min(line.size, LARGEST)
    font = _truetype(style, size)
    while size > SMALLEST and font.getlength(line.text) > width:
        size -= 1
        font = _truetype(style, size)
    return font


def transfer_picture(payload: str, lines: Sequence[Line]) -> bytes:
    """A grey-scale PNG: the QR code of ``payload``, then ``lines`` centred under it."""
    out = io.BytesIO()
    make_qr(payload).save(out, kind="png", scale=SCALE, border=BORDER)
    code = Image.open(io.BytesIO(out.getvalue())).convert("L")
    text_width = code.width - 2 * MARGIN
    fonts = [_font(line, text_width) for line in lines]
    heights = [round(font.getbbox("ÁẬgy")[3]) for font in fonts]
    height = code.height + sum(heights) + GAP * len(lines) + MARGIN
    picture = Image.new("L", (code.width, height), 255)
    picture.paste(code, (0, 0))
    draw = ImageDraw.Draw(picture)
    top = code.height
    for line, font, line_height in zip(lines, fonts, heights, strict=True):
        draw.text((code.width / 2, top), line.text, fill=0, font=font, anchor="ma")
        top += line_height + GAP
    saved = io.BytesIO()
    picture.save(saved, format="PNG")
    return saved.getvalue()
