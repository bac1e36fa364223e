"""Versioned static assets.

Styles and scripts are served at ``/static/<release>/<path>`` with a one-year
immutable cache, so the service worker can cache them first and a release never
mixes old and new files. ``<release>`` is a digest of every asset and public file,
computed once at start-up; one digest for all (not one per file) keeps the
relative ``import`` of ES modules working.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

FRONTEND_DIR = Path(__file__).parents[2] / "frontend"
PUBLIC_DIR = Path(__file__).parents[2] / "public"
ASSET_FOLDERS = ("styles", "scripts")
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript"}


class Assets:
    def __init__(self, root: Path = FRONTEND_DIR, public: Path = PUBLIC_DIR) -> None:
        self.files: dict[str, Path] = {
            path.relative_to(root).as_posix(): path
            for folder in ASSET_FOLDERS
            for path in sorted((root / folder).rglob("*"))
            if path.suffix in MEDIA_TYPES
        }
        digest = hashlib.sha256()
        for name, path in sorted(self.files.items()):
            digest.update(name.encode() + b"\0" + path.read_bytes())
        for path in sorted(public.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(public).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
        self.version = digest.hexdigest()[:12]

    def url(self, name: str) -> str:
        if name not in self.files:
            raise KeyError(f"no asset named {name}")
        return f"/static/{self.version}/{name}"

    def find(self, version: str, name: str) -> tuple[Path, str] | None:
        """The file and its media type, only for this release's version."""
        path = self.files.get(name)
        if path is None or version != self.version:
            return None
        return path, MEDIA_TYPES[path.suffix]

    def urls(self) -> list[str]:
        return [self.url(name) for name in sorted(self.files)]
