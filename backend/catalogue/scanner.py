"""What the scanner read (or a person typed): which addresses it may open."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from backend.catalogue.reads import procedure_exists

PROCEDURE_CODE = re.compile(r"^\d{1,2}\.\d{6}$")


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """``target``: a path of this site to open; otherwise the text is only shown."""

    kind: Literal["empty", "local", "procedure", "unknown_code", "foreign"]
    target: str | None = None


async def resolve_scanned(text: str, public_url: str) -> ScanOutcome:
    """Decide what scanned or typed text may open. Only addresses of this deployment
    (and procedure codes) open; anything else is shown as text, never followed, so
    a sticker over a poster cannot send people to a look-alike site."""
    text = text.strip()
    if not text:
        return ScanOutcome("empty")
    if PROCEDURE_CODE.match(text):
        if await procedure_exists(text):
            return ScanOutcome("procedure", f"/p/{text}")
        return ScanOutcome("unknown_code")
    origin = urlsplit(public_url)
    if text.lower().startswith(origin.netloc.lower() + "/"):
        text = f"{origin.scheme}://{text}"  # the short address printed on posters
    parts = urlsplit(text)
    same_origin = (parts.scheme.lower(), parts.netloc.lower()) == (
        origin.scheme,
        origin.netloc.lower(),
    )
    path = parts.path or "/"
    local = path.startswith("/") and not path.startswith("//")
    if same_origin and local and "\\" not in text and text.isprintable():
        return ScanOutcome("local", path + (f"?{parts.query}" if parts.query else ""))
    return ScanOutcome("foreign")
