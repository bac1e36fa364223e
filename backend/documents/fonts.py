"""Noto Sans, from the ``pymupdf-fonts`` wheel: PDF's standard fonts have no
Vietnamese glyphs."""

from __future__ import annotations

import functools
import hashlib
import importlib
import logging
import os
import tempfile
from pathlib import Path

# fontTools (inside fpdf2) logs every font subsetting step.
logging.getLogger("fontTools").setLevel(logging.ERROR)

FONT = "Noto"
_NOTO_STYLES = {"": "Regular", "B": "Bold", "I": "Italic", "BI": "BoldItalic"}


@functools.cache
def font_file(style: str = "") -> str:
    """Noto Sans in one fpdf2 style ("", "B", "I", "BI") as a file (fpdf2 reads fonts
    from files), written once per process into the temp folder under a name that
    depends on its content."""
    name = _NOTO_STYLES[style]
    # Each module holds one lzma-packed font as bytes.
    data: bytes = importlib.import_module(f"pymupdf_fonts.NotoSans_{name}").fontbuffer
    digest = hashlib.sha256(data).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"motcua-notosans-{name.lower()}-{digest}.ttf"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(path)
    return str(path)
