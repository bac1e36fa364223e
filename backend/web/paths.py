"""Where a "next" parameter may send a person: only a path of this site."""

from __future__ import annotations

from urllib.parse import quote, urlsplit


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
        # Control characters (DEL too): some browsers drop them, "/\t/evil" is "//evil".
        or any(ord(char) < 32 or ord(char) == 127 for char in target)
    ):
        return default
    return target


def with_next(path: str, target: str) -> str:
    """``path`` carrying ``target`` as its ``next`` (a link between the sign-in, sign-up
    and recovery pages keeps where the person was going); the home page needs none."""
    if target == "/":
        return path
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}next={quote(target, safe='/')}"
