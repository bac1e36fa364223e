"""Signing documents with the agency's key, keeping each signed file once, and
checking a file or a code for anyone who asks.

Other domains sign through ``sign`` (a result, form 01, a fee receipt), named by a
``subject`` that makes a second call find the first signature instead of making
another; the public verification page calls ``check_file`` and ``check_code``."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from backend.db import write_transaction
from backend.errors import InvalidInput, NotFound, Unavailable
from backend.i18n import N_
from backend.settings import TEST_CA_MARK
from backend.signing import pdf, verify
from backend.signing.runtime import SigningRuntime
from backend.signing.schemas import DocumentKind, SignatureRead, SignedRead, VerificationRead
from backend.signing.tables import SignedDocument

__all__ = [
    "MAX_CHECK_BYTES",
    "SigningRuntime",
    "can_sign",
    "check_code",
    "check_file",
    "held_files",
    "open_signed",
    "sign",
    "signed_copy",
    "storage_key_of",
    "withdraw",
]

logger = logging.getLogger(__name__)
# A signed result is at most an upload (10 MB) and its signature; this leaves room.
MAX_CHECK_BYTES = 20 * 1024 * 1024
# Codes read aloud or typed from paper: no 0/O, 1/I/L; 10 characters are 50 bits.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 10


def _new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))


def _read(row: dict[str, Any], runtime: SigningRuntime) -> SignedRead:
    read = msgspec.convert(row, SignedRead, strict=False)
    read.url = runtime.verification_url(read.code)
    return read


def can_sign(runtime: SigningRuntime, agency_code: str) -> bool:
    """Whether this agency has a signing key here (then its results must be signed)."""
    return runtime.keys is not None and runtime.keys.signer(agency_code) is not None


async def _existing(subject: str) -> dict[str, Any] | None:
    rows = await SignedDocument.select().where(SignedDocument.subject == subject)
    return rows[0] if rows else None


async def sign(
    runtime: SigningRuntime,
    *,
    kind: DocumentKind,
    subject: str,
    reference: str,
    agency_code: str,
    document: bytes,
    reason: str,
) -> SignedRead:
    """The document signed with the agency's key, kept, and recorded under a new code.
    What was signed before under ``subject`` is returned as it was."""
    found = await _existing(subject)
    if found is not None:
        return _read(found, runtime)
    signer = runtime.keys.signer(agency_code) if runtime.keys is not None else None
    if signer is None:
        raise InvalidInput(N_("Cơ quan chưa có chứng thư số để ký văn bản."), field="signature")
    certificate = signer.signing_cert
    assert certificate is not None
    subject_name = certificate.subject.native
    if runtime.production and TEST_CA_MARK in str(subject_name.get("organizational_unit_name")):
        raise InvalidInput(
            N_("Chứng thư số này là của CA thử nghiệm, không dùng được khi vận hành thật."),
            field="signature",
        )
    if certificate.not_valid_after <= runtime.now():
        raise InvalidInput(
            N_("Chứng thư số của cơ quan đã hết hạn; hãy gia hạn rồi ký lại."), field="signature"
        )
    code = _new_code()
    request = pdf.SignRequest(
        pdf=document,
        code=code,
        url=runtime.verification_url(code),
        who=str(subject_name.get("common_name") or agency_code),
        reason=reason,
    )
    try:
        async with runtime.lock:
            signed = await asyncio.to_thread(
                pdf.sign_pdf,
                request,
                signer,
                timestamper=runtime.timestamper,
                validation=runtime.validation(),
            )
    except (SigningError, TimestampRequestError):
        # The timestamping authority or a CRL did not answer, or the key refused.
        raise Unavailable(
            N_("Chưa ký được văn bản: dịch vụ chứng thực chữ ký số không trả lời. Hãy thử lại sau.")
        ) from None
    key = await runtime.storage.put(signed)
    try:
        async with write_transaction():
            again = await _existing(subject)
            if again is not None:  # signed meanwhile by another request: theirs stands
                await runtime.storage.delete(key)
                return _read(again, runtime)
            rows = await SignedDocument.insert(
                SignedDocument(
                    code=code,
                    kind=kind,
                    subject=subject,
                    reference=reference,
                    agency_code=agency_code,
                    storage_key=key,
                    sha256=hashlib.sha256(signed).hexdigest(),
                    size=len(signed),
                    signer=request.who,
                    signer_serial=format(certificate.serial_number, "x"),
                    signed_at=runtime.now(),
                )
            ).returning(*SignedDocument.all_columns())
    except BaseException:
        await runtime.storage.delete(key)
        raise
    return _read(rows[0], runtime)


async def signed_copy(
    runtime: SigningRuntime,
    *,
    kind: DocumentKind,
    subject: str,
    reference: str,
    agency_code: str,
    render: Callable[[], Awaitable[bytes]],
    reason: str,
) -> bytes | None:
    """A document the system seals by itself (form 01, a fee receipt): the copy signed
    the first time it was asked for, else rendered and signed now. None where the
    agency has no key, or while signing is unavailable (the caller serves it unsigned:
    a receipt is not withheld because a timestamping authority is away)."""
    found = await open_signed(runtime, subject)
    if found is not None:
        return found[1]
    if not can_sign(runtime, agency_code):
        return None
    try:
        signed = await sign(
            runtime,
            kind=kind,
            subject=subject,
            reference=reference,
            agency_code=agency_code,
            document=await render(),
            reason=reason,
        )
    except Unavailable:
        logger.warning("signing unavailable: %s served unsigned", kind)
        return None
    return await runtime.storage.get(await storage_key_of(signed.code))


async def open_signed(runtime: SigningRuntime, subject: str) -> tuple[SignedRead, bytes] | None:
    found = await _existing(subject)
    if found is None:
        return None
    return _read(found, runtime), await runtime.storage.get(found["storage_key"])


async def storage_key_of(code: str) -> str:
    rows = await SignedDocument.select(SignedDocument.storage_key).where(
        SignedDocument.code == code
    )
    if not rows:
        raise NotFound(N_("Không có văn bản nào mang mã này."), field="code")
    return str(rows[0]["storage_key"])


async def withdraw(runtime: SigningRuntime, subject: str) -> None:
    """The agency took the document back before releasing it (a result replaced): the
    record stays, and the verification page says it was withdrawn."""
    async with write_transaction():
        await SignedDocument.update({SignedDocument.withdrawn_at: runtime.now()}).where(
            (SignedDocument.subject == subject) & SignedDocument.withdrawn_at.is_null()
        )


async def held_files(keys: Sequence[str]) -> set[str]:
    """Of these storage keys, those a signed document holds (for the files' sweep)."""
    if not keys:
        return set()
    rows = await SignedDocument.select(SignedDocument.storage_key).where(
        SignedDocument.storage_key.is_in(list(keys))
    )
    return {row["storage_key"] for row in rows}


def _signatures(found: verify.PdfCheck) -> list[SignatureRead]:
    return [
        SignatureRead(
            outcome=s.outcome,
            signer=s.signer,
            signer_code=s.signer_code,
            serial=s.serial,
            signed_at=s.signed_at,
            timestamped=s.timestamped,
            not_after=s.not_after,
        )
        for s in found.signatures
    ]


async def _check(runtime: SigningRuntime, data: bytes) -> verify.PdfCheck:
    try:
        return await asyncio.to_thread(
            verify.check_pdf,
            data,
            runtime.trust_roots,
            fetch=runtime.settings.fetch_revocation,
        )
    except verify.NotAPdf:
        raise InvalidInput(
            N_("Tệp này không phải là tệp PDF. Hãy chọn đúng tệp văn bản điện tử bạn nhận được."),
            field="file",
        ) from None


async def _record(runtime: SigningRuntime, **where: str) -> SignedRead | None:
    column = getattr(SignedDocument, next(iter(where)))
    rows = await SignedDocument.select().where(column == next(iter(where.values())))
    return _read(rows[0], runtime) if rows else None


async def check_file(runtime: SigningRuntime, data: bytes, code: str = "") -> VerificationRead:
    """A file someone holds: its signatures checked, and the record it is, if ours.
    With ``code`` (from the QR code), whether it is the document that code names."""
    named = None
    if code:
        named = await _record(runtime, code=code)
        if named is None:
            raise NotFound(N_("Không có văn bản nào mang mã này."), field="code")
    found = await _check(runtime, data)
    digest = hashlib.sha256(data).hexdigest()
    document = await _record(runtime, sha256=digest)
    outcome: Any = found.outcome
    if named is not None and (document is None or document.code != named.code):
        # Not the file this code was given for: say what the file itself is.
        if outcome == "valid":
            outcome = "other_document"
        document = named
    elif document is not None and document.withdrawn_at is not None and outcome == "valid":
        outcome = "withdrawn"
    return VerificationRead(outcome=outcome, signatures=_signatures(found), document=document)


async def check_code(runtime: SigningRuntime, code: str) -> VerificationRead:
    """The document a code names, its stored file checked now (a certificate revoked
    since shows here)."""
    document = await _record(runtime, code=code)
    if document is None:
        raise NotFound(N_("Không có văn bản nào mang mã này."), field="code")
    found = await _check(runtime, await runtime.storage.get(await storage_key_of(code)))
    outcome: Any = found.outcome
    if document.withdrawn_at is not None:
        outcome = "withdrawn"
    return VerificationRead(outcome=outcome, signatures=_signatures(found), document=document)
