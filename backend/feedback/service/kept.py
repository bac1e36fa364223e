"""Photos kept across a refused feedback form, so that nobody sends them twice.

On a slow network a photo takes a minute to travel; a form refused for a missing name
must not make the person choose and send it again. The photos that passed their check
are kept (as attachments: random keys, our own re-encoded bytes) and the form carries
them back in one signed value (``kept_token``), which lists them for 30 minutes. No
row holds them until the feedback is sent, so the attachments' sweep removes the ones
never sent once its grace period is over; sending copies them under new keys, which the
feedback's row then holds.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from PIL import Image

from backend.attachments import CheckedFile
from backend.errors import NotFound
from backend.feedback.runtime import FeedbackRuntime
from backend.i18n import N_

KEPT_MINUTES = 30
THUMBNAIL_SIDE = 192
# The kinds a checked photo has (``CheckedFile.media_type``).
_TYPES: dict[str, Literal["image/jpeg", "image/png"]] = {"j": "image/jpeg", "p": "image/png"}
_EXTENSIONS: dict[str, Literal["jpg", "png"]] = {"j": "jpg", "p": "png"}


@dataclass(frozen=True, slots=True)
class KeptPhoto:
    key: str
    kind: str  # "j" or "p"
    size: int
    name: str
    kept_at: int  # POSIX seconds

    @property
    def media_type(self) -> str:
        return _TYPES[self.kind]


def _mac(secret_key: str, payload: str) -> str:
    digest = hmac.new(secret_key.encode(), f"kept-photos:{payload}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:16]).decode().rstrip("=")


def kept_token(runtime: FeedbackRuntime, photos: Sequence[KeptPhoto]) -> str:
    """The signed value a form carries its kept photos in ("" for none)."""
    if not photos:
        return ""
    rows = [[p.key, p.kind, p.size, p.name, p.kept_at] for p in photos]
    payload = base64.urlsafe_b64encode(json.dumps(rows, ensure_ascii=False).encode()).decode()
    payload = payload.rstrip("=")
    return f"{payload}.{_mac(runtime.secret_key, payload)}"


def kept_photos(runtime: FeedbackRuntime, token: str) -> list[KeptPhoto]:
    """The photos a token we signed lists and that are still kept; nothing for a
    forged, altered or stale one (the form then simply has no kept photos)."""
    payload, _, mac = token.partition(".")
    expected = _mac(runtime.secret_key, payload)
    if not payload or not hmac.compare_digest(mac.encode(), expected.encode()):
        return []
    try:
        rows = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        photos = [KeptPhoto(str(k), str(t), int(s), str(n), int(a)) for k, t, s, n, a in rows]
    except (ValueError, TypeError, binascii.Error):
        return []
    limit = runtime.now().timestamp() - KEPT_MINUTES * 60
    return [p for p in photos if p.kind in _TYPES and p.kept_at > limit]


async def keep(runtime: FeedbackRuntime, photos: Sequence[CheckedFile]) -> list[KeptPhoto]:
    """Keep checked photos for the form that was refused."""
    kept = []
    for photo in photos:
        kind = "p" if photo.media_type == "image/png" else "j"
        key = await runtime.attachments.storage.put(photo.data)
        kept_at = int(runtime.now().timestamp())
        kept.append(KeptPhoto(key, kind, len(photo.data), photo.display_name, kept_at))
    return kept


def _missing() -> NotFound:
    return NotFound(N_("Ảnh này không còn được giữ. Hãy chọn lại ảnh."), field="photos")


async def read_kept(
    runtime: FeedbackRuntime, photos: Sequence[KeptPhoto]
) -> tuple[list[CheckedFile], list[KeptPhoto]]:
    """The kept photos as checked files, to send with the feedback; and those no longer
    kept (the sweep may remove them sooner than the token says, with a short grace)."""
    files, gone = [], []
    for photo in photos:
        try:
            data = await runtime.attachments.storage.get(photo.key)
        except NotFound:
            gone.append(photo)
            continue
        files.append(
            CheckedFile(
                _TYPES[photo.kind], _EXTENSIONS[photo.kind], data, photo.name, 1, None, None
            )
        )
    return files, gone


def _thumbnail(data: bytes) -> bytes:
    # Our own re-encoded bytes (checked when kept): safe to decode. draft() lets the
    # JPEG decoder skip most of the pixels of a big photo.
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        small = image.convert("RGB")
        small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=75)
        return out.getvalue()


async def kept_thumbnail(runtime: FeedbackRuntime, token: str, number: int) -> bytes:
    """A small JPEG of the ``number``th (from 1) photo a token keeps."""
    photos = kept_photos(runtime, token)
    if not 1 <= number <= len(photos):
        raise _missing()
    found, _gone = await read_kept(runtime, [photos[number - 1]])
    if not found:
        raise _missing()
    return await asyncio.to_thread(_thumbnail, found[0].data)
