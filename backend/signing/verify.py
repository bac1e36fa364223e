"""Checking a signed PDF (pyHanko's validator): each signature's integrity, its signer's
path to the configured trust roots, the certificate's validity and, where it names a
CRL, its revocation; anything written after signing other than the signature's own
validation data. CPU work: callers run it in a thread."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfError, PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESSubIndic
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import EmbeddedPdfSignature, validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureStatus
from pyhanko_certvalidator import ValidationContext

# What a person is told about one signature, best first.
Outcome = Literal["valid", "unchecked", "expired", "unknown_signer", "revoked", "modified"]
_RANK: dict[Outcome, int] = {
    "valid": 0,
    "unchecked": 1,
    "expired": 2,
    "unknown_signer": 3,
    "revoked": 4,
    "modified": 5,
}


class NotAPdf(ValueError):
    """The bytes are not a PDF file pyHanko can read."""


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    outcome: Outcome
    signer: str  # the certificate's subject, as its holder is named
    signer_code: str  # the agency code of one of our certificates (UID), else ""
    serial: str
    signed_at: dt.datetime | None  # by the timestamp when there is one
    timestamped: bool
    not_after: dt.datetime | None


@dataclass(frozen=True, slots=True)
class PdfCheck:
    signatures: tuple[SignatureCheck, ...]

    @property
    def outcome(self) -> Outcome | Literal["unsigned"]:
        if not self.signatures:
            return "unsigned"
        return max((s.outcome for s in self.signatures), key=_RANK.__getitem__)


def _name(certificate: asn1_x509.Certificate) -> tuple[str, str]:
    subject = certificate.subject.native
    common = subject.get("common_name") or subject.get("organization_name") or ""
    return str(common), str(subject.get("user_id") or "")


_REVOKED: frozenset[AdESSubIndic] = frozenset(
    {AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}
)
_OUT_OF_DATE: frozenset[AdESSubIndic] = frozenset(
    {
        AdESFailure.NOT_YET_VALID,
        AdESIndeterminate.EXPIRED,
        AdESIndeterminate.NOT_YET_VALID,
        AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
        AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    }
)
# The revocation list named by the certificate could not be had now.
_LATER: frozenset[AdESSubIndic] = frozenset(
    {AdESIndeterminate.TRY_LATER, AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE}
)


# What a CRL that cannot be fetched gives, among other failures of the chain: the
# chain is then checked again without CRLs to tell the two apart.
_UNCLEAR: frozenset[AdESSubIndic] = frozenset({AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE})


def _trust_outcome(status: SignatureStatus) -> Outcome | None:
    problem = status.trust_problem_indic
    if problem is None:
        return None
    if problem in _REVOKED:
        return "revoked"
    if problem in _OUT_OF_DATE:
        return "expired"
    if problem in _LATER:
        return "unchecked"
    return "unknown_signer"


def _context(roots: Sequence[asn1_x509.Certificate], fetch: bool, mode: str) -> ValidationContext:
    # Without fetching there is no CRL to insist on.
    mode = mode if fetch else "soft-fail"
    return ValidationContext(trust_roots=list(roots), allow_fetching=fetch, revocation_mode=mode)


# A signature whose parts no longer fit together: its bytes were changed.
_BROKEN = SignatureCheck(
    outcome="modified",
    signer="",
    signer_code="",
    serial="",
    signed_at=None,
    timestamped=False,
    not_after=None,
)


def _check_one(
    signature: EmbeddedPdfSignature, roots: Sequence[asn1_x509.Certificate], fetch: bool
) -> SignatureCheck:
    try:
        status = validate_pdf_signature(signature, _context(roots, fetch, "hard-fail"))
    except (SignatureValidationError, PdfError, ValueError, TypeError, KeyError):
        return _BROKEN
    certificate = status.signing_cert
    signer, code = _name(certificate)
    outcome: Outcome
    modified = (
        status.modification_level is None
        or status.modification_level.value > ModificationLevel.FORM_FILLING.value
        or not status.docmdp_ok
    )
    if not status.intact or not status.valid or modified:
        outcome = "modified"
    else:
        outcome = _trust_outcome(status) or "valid"
        if outcome == "unknown_signer" and status.trust_problem_indic in _UNCLEAR:
            lenient = validate_pdf_signature(signature, _context(roots, fetch, "soft-fail"))
            if lenient.bottom_line:  # the same signature once read already: no new error
                outcome = "unchecked"
    timestamp = status.timestamp_validity
    return SignatureCheck(
        outcome=outcome,
        signer=signer,
        signer_code=code,
        serial=format(certificate.serial_number, "x"),
        signed_at=timestamp.timestamp if timestamp else status.signer_reported_dt,
        timestamped=timestamp is not None and timestamp.intact and timestamp.valid,
        not_after=certificate.not_valid_after,
    )


def check_pdf(data: bytes, roots: Sequence[asn1_x509.Certificate], *, fetch: bool) -> PdfCheck:
    """Every signature of the file, checked against these trust roots; with ``fetch``,
    the CRL a certificate names must be had and must not list it. Raises ``NotAPdf``."""
    if not data.startswith(b"%PDF-"):
        raise NotAPdf("not a PDF")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise NotAPdf(str(error)) from error
    checks = [_check_one(signature, roots, fetch) for signature in embedded]
    return PdfCheck(tuple(checks))


__all__ = ["NotAPdf", "PdfCheck", "SignatureCheck", "check_pdf"]
