"""The Structs of the privacy API."""

from __future__ import annotations

import msgspec


class DeletionIn(msgspec.Struct, frozen=True, kw_only=True):
    # "XÓA" (or "XOA"), as the page asks the person to type.
    confirm: str = ""


class Deleted(msgspec.Struct, frozen=True, kw_only=True):
    """What the deletion did: drafts deleted, submitted dossiers kept (unlinked from
    the account), upcoming bookings cancelled, waiting tickets taken out of the line."""

    drafts: int
    dossiers_kept: int
    bookings_cancelled: int
    tickets_left: int
