"""VietQR bank transfers: the QR code a citizen scans with any Vietnamese banking app,
and the bank's notification that the money arrived.

The QR code holds an EMVCo merchant-presented payload as NAPAS profiles it: a string
of fields, each a two-digit tag, a two-digit length and the value, some values being
fields themselves (templates). Tag 38 names the beneficiary (NAPAS's GUID, the bank's
six-digit BIN and the account, the service "QRIBFTTA": transfer to an account), 53
the currency (704, the đồng), 54 the amount, 58 the country, 62/08 the purpose of the
transfer, which banks copy into the transfer's description: our payment reference.
The payload ends with tag 63, a CRC-16/CCITT-FALSE over everything before it
including "6304", as four upper-case hex digits.

The bank (or an aggregator watching the account) then POSTs a JSON notification of
each incoming transfer, signed with a shared secret: the hex HMAC-SHA256 of the raw
body. The transfer's description is searched for the reference; banks change its
case and surround it with their own words.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Annotated, TypeAlias

import msgspec

from backend.vietnam import VIETNAM

NAPAS_GUID = "A000000727"
TO_ACCOUNT = "QRIBFTTA"  # NAPAS service code: fast transfer to an account number
CURRENCY_VND = "704"  # ISO 4217
MAX_AMOUNT = 9_999_999_999_999  # tag 54 holds at most 13 characters

# Our payment references: "MC" and ten characters without the look-alikes 0/O, 1/I,
# so that a reference read aloud or retyped by hand stays right.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERENCE_PREFIX = "MC"
_REFERENCE_RANDOM = 10
# Case-insensitive, and not inside a longer word or number: "(?<![^\W_])" is "not
# after a letter or digit" (any script), so punctuation and "_" still separate.
REFERENCE_PATTERN = re.compile(
    rf"(?<![^\W_]){REFERENCE_PREFIX}[{REFERENCE_ALPHABET}]{{{_REFERENCE_RANDOM}}}(?![^\W_])",
    re.IGNORECASE,
)

Fields: TypeAlias = dict[str, "str | Fields"]

_BIN = re.compile(r"[0-9]{6}")
_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,19}")
_PURPOSE = re.compile(r"[0-9A-Za-z]{1,25}")
_HEX = re.compile(r"[0-9A-Fa-f]{4}")
_CRC_FIELD = "6304"


# ---------------------------------------------------------------- the QR payload


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (the check of EMVCo QR codes): polynomial 0x1021, initial
    value 0xFFFF, no reflection, no final XOR, which is the standard library's
    CRC-CCITT started at 0xFFFF."""
    return binascii.crc_hqx(data, 0xFFFF)


def _field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def _crc(text: str) -> str:
    return f"{crc16_ccitt_false(text.encode()):04X}"


def payload(*, bank_bin: str, account: str, amount_vnd: int, reference: str) -> str:
    """The VietQR payload asking for a transfer of ``amount_vnd`` to ``account`` at
    the bank ``bank_bin`` (its NAPAS BIN), with ``reference`` as its purpose."""
    if not _BIN.fullmatch(bank_bin):
        raise ValueError("the bank BIN must be 6 digits")
    if not _ACCOUNT.fullmatch(account):
        raise ValueError("the account must be 1 to 19 letters or digits")
    if not 1 <= amount_vnd <= MAX_AMOUNT:
        raise ValueError(f"the amount must be between 1 and {MAX_AMOUNT:,} đồng")
    if not _PURPOSE.fullmatch(reference):
        raise ValueError("the reference must be 1 to 25 letters or digits")
    beneficiary = _field("00", bank_bin) + _field("01", account)
    merchant = _field("00", NAPAS_GUID) + _field("01", beneficiary) + _field("02", TO_ACCOUNT)
    text = (
        _field("00", "01")  # payload format indicator
        + _field("01", "12")  # dynamic: for one payment (11 would be reusable)
        + _field("38", merchant)
        + _field("53", CURRENCY_VND)
        + _field("54", str(amount_vnd))
        + _field("58", "VN")
        + _field("62", _field("08", reference))
        + _CRC_FIELD
    )
    return text + _crc(text)


def _is_template(tag: str) -> bool:
    # EMVCo: 26–51 merchant account information, 62 additional data, 64 language,
    # 80–99 unreserved templates.
    number = int(tag)
    return 26 <= number <= 51 or number in (62, 64) or number >= 80


def _fields(text: str, *, top: bool) -> Fields:
    fields: Fields = {}
    at = 0
    while at < len(text):
        head = text[at : at + 4]
        if len(head) < 4 or not head.isascii() or not head.isdigit():
            raise ValueError(f"no field header at position {at}")
        tag, size = head[:2], int(head[2:])
        value = text[at + 4 : at + 4 + size]
        if len(value) < size:
            raise ValueError(f"field {tag} runs past the end")
        if tag in fields:
            raise ValueError(f"field {tag} appears twice")
        fields[tag] = _fields(value, top=False) if top and _is_template(tag) else value
        at += 4 + size
    return fields


def parse(text: str) -> Fields:
    """The fields of an EMVCo payload (templates as nested dicts; NAPAS's
    beneficiary, 38/01, too), after checking its CRC: ValueError if wrong."""
    if len(text) < 8 or text[-8:-4] != _CRC_FIELD or not _HEX.fullmatch(text[-4:]):
        raise ValueError("the payload does not end with a CRC field (6304 and 4 hex digits)")
    if _crc(text[:-4]) != text[-4:].upper():
        raise ValueError("the payload's CRC is wrong")
    fields = _fields(text[:-8], top=True)
    if "63" in fields:
        raise ValueError("the CRC field appears twice")
    for value in fields.values():
        if isinstance(value, dict) and value.get("00") == NAPAS_GUID:
            beneficiary = value.get("01")
            if isinstance(beneficiary, str):
                value["01"] = _fields(beneficiary, top=False)
    fields["63"] = text[-4:]
    return fields


# ---------------------------------------------------------------- references


def new_reference() -> str:
    """A fresh payment reference, e.g. "MCK7P2XW9QHD" (32^10 ≈ 10^15 of them)."""
    return REFERENCE_PREFIX + "".join(
        secrets.choice(REFERENCE_ALPHABET) for _ in range(_REFERENCE_RANDOM)
    )


def find_reference(description: str) -> str | None:
    """Our payment reference in a transfer's description, upper-cased; None when
    there is none, or several different ones (a person must then look)."""
    found = {match.upper() for match in REFERENCE_PATTERN.findall(description)}
    return found.pop() if len(found) == 1 else None


# ---------------------------------------------------------------- the bank's notification


def webhook_signature(secret: str, body: bytes) -> str:
    """The signature of a notification: hex HMAC-SHA256 of its raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_webhook(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` (hex, either case) signs ``body``."""
    if signature is None:
        return False
    expected = webhook_signature(secret, body)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


class BankTransfer(msgspec.Struct, forbid_unknown_fields=False, frozen=True):
    """One incoming transfer, as the bank notifies it (further fields ignored)."""

    transaction_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    account: str  # the receiving account, ours
    amount: Annotated[int, msgspec.Meta(gt=0)]  # in đồng
    description: Annotated[str, msgspec.Meta(max_length=500)]
    time: str  # ISO 8601; without an offset, Vietnam time

    @property
    def at(self) -> dt.datetime:
        return _moment(self.time)


def _moment(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VIETNAM)


def read_webhook(body: bytes) -> BankTransfer:
    """The transfer in a notification's body (its signature checked beforehand):
    ValueError saying what is wrong with it."""
    try:
        transfer = msgspec.json.decode(body, type=BankTransfer)
    except msgspec.ValidationError as exc:
        raise ValueError(f"invalid bank notification: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ValueError(f"the bank notification is not JSON: {exc}") from exc
    # Checked here, so that reading ``at`` later cannot fail.
    try:
        _moment(transfer.time)
    except ValueError as exc:
        raise ValueError(
            f"invalid bank notification: time {transfer.time!r} is not ISO 8601"
        ) from exc
    return transfer
