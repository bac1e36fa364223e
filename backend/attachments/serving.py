"""Serving a kept file back: always as a download, never as a page of ours."""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from litestar import Response
from litestar.response import Stream

from backend.attachments.storage import Opened

# Files are never rendered by the browser as a page of ours: downloaded, sniffing off,
# and sandboxed should anything still open them.
FILE_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
    # Read by our own pages only: no other site may embed it (issue 15).
    "Cross-Origin-Resource-Policy": "same-origin",
}


def attachment(name: str) -> str:
    """A Content-Disposition that keeps a Vietnamese name (RFC 6266 ``filename*``)."""
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _headers(name: str | None) -> dict[str, str]:
    headers = dict(FILE_HEADERS)
    if name is not None:
        headers["Content-Disposition"] = attachment(name)
    return headers


def file_response(data: bytes, media_type: str, name: str | None) -> Response[bytes]:
    """A kept file (``name`` None: shown inline, such as a preview image)."""
    return Response(data, media_type=media_type, headers=_headers(name))


def file_stream(opened: Opened, media_type: str, name: str) -> Stream:
    """A kept file as a download, streamed from the store a chunk at a time, with the
    same headers as ``file_response``. Content-Length is the stored size: a store that
    fails mid-way cuts the connection short of it, which the browser reports as a
    failed download rather than keeping a truncated file as whole."""
    headers = _headers(name)
    headers["Content-Length"] = str(opened.size)
    return Stream(opened.chunks, media_type=media_type, headers=headers)
