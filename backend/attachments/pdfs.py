"""PDFs people send. They cannot be rewritten without risk of changing a signed
document, so they are kept as sent, but only once parsed and found free of scripts,
automatic actions and embedded files, and openable by the viewer's PDFium."""

from __future__ import annotations

import io
import re
import struct
import threading
from collections.abc import Iterator
from typing import Any, Final

import pypdfium2 as pdfium  # type: ignore[import-untyped]
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from backend.attachments.refusals import (
    PDF_ACTIVE,
    PDF_ATTACHED,
    PDF_DAMAGED,
    refusal,
    smuggled,
)
from backend.errors import InvalidInput
from backend.i18n import N_

MAX_PDF_PAGES: Final = 100

# PDFium must never be entered from two threads at once, even for different documents.
PDFIUM = threading.Lock()

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


def check_pdf(data: bytes) -> int:
    _check_pdf_tail(data)
    _scan_raw_names(data)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise refusal(
                N_("Tệp PDF này có mật khẩu hoặc bị khóa. Hãy gửi bản không đặt mật khẩu.")
            )
        pages = len(reader.pages)
        _walk_pdf(reader)
    except InvalidInput:
        raise
    except Exception:
        raise refusal(PDF_DAMAGED) from None
    if pages < 1:
        raise refusal(PDF_DAMAGED)
    if pages > MAX_PDF_PAGES:
        raise refusal(
            N_(
                "Tệp PDF có %(pages)s trang, nhiều hơn giới hạn %(limit)s trang. "
                "Hãy chia thành nhiều tệp nhỏ hơn.",
                pages=pages,
                limit=MAX_PDF_PAGES,
            )
        )
    # The officials' viewer renders with PDFium: a file it cannot open is of no use.
    with PDFIUM:
        try:
            pdfium.PdfDocument(data).close()
        except pdfium.PdfiumError:
            raise refusal(PDF_DAMAGED) from None
    return pages


def _check_pdf_tail(data: bytes) -> None:
    last_eof = data.rfind(b"%%EOF")
    if last_eof < 0:
        raise refusal(PDF_DAMAGED)
    tail = data[last_eof + 5 :].lower()
    if any(signature in tail for signature in _ZIP_OR_MARKUP) or _ends_with_zip(data):
        raise smuggled(N_("tài liệu PDF"))


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
        raise refusal(PDF_ACTIVE)
    if name in _ATTACHMENT_NAMES or name.startswith("/RichMedia"):
        raise refusal(PDF_ATTACHED)


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
            raise refusal(PDF_DAMAGED)
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
            raise refusal(PDF_ACTIVE)
        current = actions.pop()
        if not isinstance(current, DictionaryObject):
            continue
        kind = current.get("/S")
        if isinstance(kind, NameObject):
            _refuse_name(str(kind))
            if str(kind) in _AUTOMATIC_ONLY:
                raise refusal(PDF_ACTIVE)
        following = current.get("/Next")
        if isinstance(following, DictionaryObject):
            actions.append(following)
        elif isinstance(following, ArrayObject):
            actions.extend(entry.get_object() for entry in list.__iter__(following))


def render_page(document: Any, index: int, width: int) -> Image.Image:
    page = document[index]
    try:
        page_width, page_height = (float(v) for v in page.get_size())
        if page_width <= 0 or page_height <= 0:
            raise refusal(PDF_DAMAGED)
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
        raise refusal(PDF_DAMAGED) from None
    finally:
        page.close()
    return image
