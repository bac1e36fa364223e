"""What the signing domain tells: a signed document's public record, and what checking
a file found."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

DocumentKind = Literal["result", "form01", "fee_receipt"]
Outcome = Literal[
    "valid", "unchecked", "expired", "unknown_signer", "revoked", "modified", "unsigned"
]


class SignedRead(msgspec.Struct, kw_only=True):
    """The public record of a signed document: nothing personal, only what the
    document's own signature block shows and its digest."""

    code: str
    kind: DocumentKind
    reference: str
    agency_code: str
    sha256: str
    size: int
    signer: str
    signer_serial: str
    signed_at: dt.datetime
    withdrawn_at: dt.datetime | None = None
    url: str = ""


class SignatureRead(msgspec.Struct, kw_only=True):
    outcome: Outcome
    signer: str
    signer_code: str
    serial: str
    signed_at: dt.datetime | None
    timestamped: bool
    not_after: dt.datetime | None


class VerificationRead(msgspec.Struct, kw_only=True):
    """A check: of a file sent (``signatures`` of it, and the record it matches if we
    signed it), or of a code (the record, its stored file checked now)."""

    outcome: Outcome | Literal["withdrawn", "other_document"]
    signatures: list[SignatureRead]
    document: SignedRead | None = None
