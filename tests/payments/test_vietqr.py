"""VietQR: the EMVCo payload and its CRC (CRC-16/CCITT-FALSE, known values and
payloads), parsing, payment references, and the bank's signed notification."""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import hmac
import json
import random
from typing import Any

import pytest

from backend.payments.gateways import vietqr
from backend.payments.gateways.vietqr import BankTransfer
from backend.vietnam import VIETNAM

# Written out field by field: 00 format, 01 dynamic, 38 NAPAS (GUID, 01 beneficiary
# with BIN 970436 and the account, service QRIBFTTA), 53 đồng, 54 amount, 58 VN,
# 62/08 the reference, 63 the CRC.
KNOWN_BODY = (
    "000201"
    "010212"
    "3857" "0010A000000727" "0127" "0006970436" "01130011001234567" "0208QRIBFTTA"
    "5303704"
    "5406115000"
    "5802VN"
    "6216" "0812MCABCD234567"
    "6304"
)  # fmt: skip
KNOWN = KNOWN_BODY + "C9CE"
# A payload published as decoded from VietQR's own generator (its purpose has a
# space, which our references never have).
THIRD_PARTY = (
    "00020101021238540010A00000072701240006970436011012345678900208QRIBFTTA5303704"
    "5405500005802VN62130809TEST MEMO6304DBA4"
)


def reference_crc(data: bytes) -> int:
    """CRC-16/CCITT-FALSE from the standard library: polynomial 0x1021, initial 0xFFFF."""
    return binascii.crc_hqx(data, 0xFFFF)


# ---------------------------------------------------------------- CRC


def test_crc_check_value() -> None:
    # The catalogue check value of CRC-16/CCITT-FALSE.
    assert vietqr.crc16_ccitt_false(b"123456789") == 0x29B1
    assert vietqr.crc16_ccitt_false(b"") == 0xFFFF


def test_every_payload_ends_with_the_crc_of_all_before_it() -> None:
    # The check covers the CRC field's own tag and length ("6304"), as EMVCo says.
    rng = random.Random(20261122)
    for _ in range(30):
        text = vietqr.payload(
            bank_bin="970436",
            account=str(rng.randrange(10**6, 10**13)),
            amount_vnd=rng.randrange(1, 10**9),
            reference=vietqr.new_reference(),
        )
        assert text[-8:-4] == "6304"
        assert text[-4:] == f"{reference_crc(text[:-4].encode()):04X}"


def test_the_known_payload_crc() -> None:
    assert f"{reference_crc(KNOWN_BODY.encode()):04X}" == "C9CE"


# ---------------------------------------------------------------- the payload


def test_payload_matches_the_hand_written_one() -> None:
    text = vietqr.payload(
        bank_bin="970436", account="0011001234567", amount_vnd=115_000, reference="MCABCD234567"
    )
    assert text == KNOWN


def test_parse_round_trip() -> None:
    text = vietqr.payload(
        bank_bin="970422", account="VQRQ00ABC12", amount_vnd=9_999_999_999_999, reference="MC23"
    )
    assert vietqr.parse(text) == {
        "00": "01",
        "01": "12",
        "38": {
            "00": "A000000727",
            "01": {"00": "970422", "01": "VQRQ00ABC12"},
            "02": "QRIBFTTA",
        },
        "53": "704",
        "54": "9999999999999",
        "58": "VN",
        "62": {"08": "MC23"},
        "63": text[-4:],
    }


def test_parse_a_third_party_payload() -> None:
    fields = vietqr.parse(THIRD_PARTY)
    assert fields["38"] == {
        "00": "A000000727",
        "01": {"00": "970436", "01": "1234567890"},
        "02": "QRIBFTTA",
    }
    assert fields["54"] == "50000"
    assert fields["62"] == {"08": "TEST MEMO"}


def test_parse_accepts_a_lower_case_crc() -> None:
    assert vietqr.parse(KNOWN[:-4] + KNOWN[-4:].lower())["54"] == "115000"


@pytest.mark.parametrize(
    "text",
    [
        KNOWN.replace("5406115000", "5406915000"),  # the amount changed
        KNOWN.replace("MCABCD234567", "MCABCD234568"),  # the reference changed
        KNOWN[:-1] + "F",  # the CRC changed
        KNOWN[:-4] + "C9C",
        KNOWN[:-8],  # no CRC field
        KNOWN + "00",
        "",
    ],
)
def test_parse_detects_tampering(text: str) -> None:
    with pytest.raises(ValueError):
        vietqr.parse(text)


def with_crc(body: str) -> str:
    body += "6304"
    return body + f"{reference_crc(body.encode()):04X}"


@pytest.mark.parametrize(
    "body",
    [
        "0002",  # a field running past the end
        "000201" + "0A02xx",  # a tag that is not two digits
        "000201" + "00020",  # a header cut short
        "000201" + "000201",  # a tag twice
        "000201" + "6304ABCD",  # a second CRC field
        "000201" + "38040099",  # a template whose inside is not fields
    ],
)
def test_parse_refuses_broken_fields_even_with_a_right_crc(body: str) -> None:
    with pytest.raises(ValueError):
        vietqr.parse(with_crc(body))


GOOD: dict[str, Any] = {
    "bank_bin": "970436",
    "account": "0011001234567",
    "amount_vnd": 115_000,
    "reference": "MCABCD234567",
}


@pytest.mark.parametrize(
    "change",
    [
        {"bank_bin": "97043"},
        {"bank_bin": "9704361"},
        {"bank_bin": "97043a"},
        {"bank_bin": "９７０４３６"},
        {"account": ""},
        {"account": "1" * 20},
        {"account": "0011-001234"},
        {"account": "0011 001234"},
        {"amount_vnd": 0},
        {"amount_vnd": -1},
        {"amount_vnd": 10**13},
        {"reference": ""},
        {"reference": "M" * 26},
        {"reference": "MC ABCD"},
        {"reference": "MCĐ"},
    ],
)
def test_payload_refuses_bad_inputs(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        vietqr.payload(**{**GOOD, **change})


def test_payload_limits() -> None:
    vietqr.payload(**{**GOOD, "account": "1" * 19, "reference": "M" * 25, "amount_vnd": 1})


# ---------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("description", "found"),
    [
        ("MCABCD234567", "MCABCD234567"),
        ("CT DEN:123 MCABCD234567 thanh toan", "MCABCD234567"),
        ("mcabcd234567", "MCABCD234567"),
        ("Mcabcd234567 nop phi", "MCABCD234567"),
        ("MBVCB.5512345.MCABCD234567.CT tu 0011001234567", "MCABCD234567"),
        ("(MCABCD234567)", "MCABCD234567"),
        ("MCABCD234567-NGUYEN VAN A", "MCABCD234567"),
        ("ref_MCABCD234567", "MCABCD234567"),
        ("chuyển tiền MCABCD234567 đóng phí", "MCABCD234567"),
        ("MCABCD234567 MCABCD234567", "MCABCD234567"),  # the same one twice
        ("", None),
        ("thanh toan le phi", None),
        ("MCABCD23456", None),  # too short
        ("MCABCD2345678", None),  # part of something longer
        ("XMCABCD234567", None),
        ("123MCABCD234567", None),
        ("MCABCD234567đ", None),
        ("MCABCD23456O", None),  # O is not in the alphabet (nor 0, 1, I)
        ("MCABCD234560", None),
        ("MCABCD23456I", None),
        ("MCABCD234567 MCEFGH234567", None),  # two different ones: a person decides
    ],
)
def test_find_reference(description: str, found: str | None) -> None:
    assert vietqr.find_reference(description) == found


def test_new_references() -> None:
    references = {vietqr.new_reference() for _ in range(500)}
    assert len(references) == 500
    for reference in references:
        assert len(reference) == 12 and reference.startswith("MC")
        assert set(reference[2:]) <= set(vietqr.REFERENCE_ALPHABET)
        assert vietqr.REFERENCE_PATTERN.fullmatch(reference)
        assert vietqr.find_reference(f"CT DEN:99 {reference.lower()} phi") == reference
    # Fits the QR code's purpose field.
    vietqr.payload(**{**GOOD, "reference": references.pop()})


def test_the_alphabet_leaves_out_look_alikes() -> None:
    assert len(vietqr.REFERENCE_ALPHABET) == len(set(vietqr.REFERENCE_ALPHABET)) == 32
    assert not set("01IO") & set(vietqr.REFERENCE_ALPHABET)


# ---------------------------------------------------------------- the bank's notification

SECRET = "webhook-secret-7c1f"
NOTICE = {
    "transaction_id": "FT26326123456789",
    "account": "0011001234567",
    "amount": 115000,
    "description": "CT DEN:123 MCABCD234567 thanh toan",
    "time": "2026-11-22T08:35:12+07:00",
    "bank": "VCB",  # further fields are ignored
}
BODY = json.dumps(NOTICE).encode()


def test_webhook_signature_is_hmac_sha256_of_the_body() -> None:
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert vietqr.webhook_signature(SECRET, BODY) == expected
    assert vietqr.verify_webhook(SECRET, BODY, expected)
    assert vietqr.verify_webhook(SECRET, BODY, expected.upper())


def test_forged_or_missing_webhook_signatures() -> None:
    good = vietqr.webhook_signature(SECRET, BODY)
    assert not vietqr.verify_webhook(SECRET, BODY, None)
    assert not vietqr.verify_webhook(SECRET, BODY, "")
    assert not vietqr.verify_webhook(SECRET, BODY, vietqr.webhook_signature("guess", BODY))
    assert not vietqr.verify_webhook(SECRET, BODY.replace(b"115000", b"915000"), good)
    assert not vietqr.verify_webhook(SECRET, BODY, good[:-1])
    assert not vietqr.verify_webhook(SECRET, BODY, "ż" * 64)


def test_read_webhook() -> None:
    transfer = vietqr.read_webhook(BODY)
    assert transfer == BankTransfer(
        transaction_id="FT26326123456789",
        account="0011001234567",
        amount=115000,
        description="CT DEN:123 MCABCD234567 thanh toan",
        time="2026-11-22T08:35:12+07:00",
    )
    assert transfer.at == dt.datetime(2026, 11, 22, 1, 35, 12, tzinfo=dt.UTC)
    assert vietqr.find_reference(transfer.description) == "MCABCD234567"


def test_a_time_without_offset_is_vietnam_time() -> None:
    body = json.dumps({**NOTICE, "time": "2026-11-22 08:35:12"}).encode()
    assert vietqr.read_webhook(body).at == dt.datetime(2026, 11, 22, 8, 35, 12, tzinfo=VIETNAM)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'{"transaction_id": "x"',
        json.dumps({k: v for k, v in NOTICE.items() if k != "amount"}).encode(),
        json.dumps({**NOTICE, "amount": 0}).encode(),
        json.dumps({**NOTICE, "amount": -5}).encode(),
        json.dumps({**NOTICE, "amount": "115000"}).encode(),
        json.dumps({**NOTICE, "amount": 1150.5}).encode(),
        json.dumps({**NOTICE, "transaction_id": ""}).encode(),
        json.dumps({**NOTICE, "transaction_id": "x" * 65}).encode(),
        json.dumps({**NOTICE, "description": "x" * 501}).encode(),
        json.dumps({**NOTICE, "description": None}).encode(),
        json.dumps({**NOTICE, "time": "yesterday"}).encode(),
        json.dumps({**NOTICE, "time": 1795833312}).encode(),
    ],
)
def test_read_webhook_refuses_bad_notifications(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"bank notification"):
        vietqr.read_webhook(body)
