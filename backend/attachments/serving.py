"""Serving a kept file back: always as a download, never as a page of ours."""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from litestar import Response

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


def file_response(data: bytes, media_type: str, name: str | None) -> Response[bytes]:
    """A kept file (``name`` None: shown inline, such as a preview image)."""
    headers = dict(FILE_HEADERS)
    if name is not None:
        headers["Content-Disposition"] = attachment(name)
    return Response(data, media_type=media_type, headers=headers)
