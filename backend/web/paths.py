"""Where a "next" parameter may send a person: only a path of this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path of this site, else ``default``: never an open redirect."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        # Browsers read a backslash as a slash: "/\\evil.example" leaves the site.
        or "\\" in target
        or any(ord(char) < 32 for char in target)
    ):
        return default
    return target
