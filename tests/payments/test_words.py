"""Amounts in Vietnamese words, as receipts write them."""

from __future__ import annotations

import itertools

import pytest

from backend.payments.words import vnd_in_words

CASES = [
    (0, "Không đồng"),
    (1, "Một đồng"),
    (5, "Năm đồng"),
    (10, "Mười đồng"),
    (11, "Mười một đồng"),
    (14, "Mười bốn đồng"),
    (15, "Mười lăm đồng"),
    (20, "Hai mươi đồng"),
    (21, "Hai mươi mốt đồng"),
    (24, "Hai mươi tư đồng"),
    (25, "Hai mươi lăm đồng"),
    (55, "Năm mươi lăm đồng"),
    (99, "Chín mươi chín đồng"),
    (100, "Một trăm đồng"),
    (101, "Một trăm linh một đồng"),
    (104, "Một trăm linh bốn đồng"),
    (105, "Một trăm linh năm đồng"),
    (110, "Một trăm mười đồng"),
    (111, "Một trăm mười một đồng"),
    (115, "Một trăm mười lăm đồng"),
    (121, "Một trăm hai mươi mốt đồng"),
    (1_000, "Một nghìn đồng"),
    (1_001, "Một nghìn không trăm linh một đồng"),
    (1_010, "Một nghìn không trăm mười đồng"),
    (1_025, "Một nghìn không trăm hai mươi lăm đồng"),
    (8_000, "Tám nghìn đồng"),
    (10_000, "Mười nghìn đồng"),
    (15_000, "Mười lăm nghìn đồng"),
    (21_000, "Hai mươi mốt nghìn đồng"),
    (50_000, "Năm mươi nghìn đồng"),
    (100_000, "Một trăm nghìn đồng"),
    (115_000, "Một trăm mười lăm nghìn đồng"),
    (350_500, "Ba trăm năm mươi nghìn năm trăm đồng"),
    (1_000_000, "Một triệu đồng"),
    (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
    (1_000_005, "Một triệu không trăm linh năm đồng"),
    (2_500_000, "Hai triệu năm trăm nghìn đồng"),
    (10_000_000, "Mười triệu đồng"),
    (24_040_004, "Hai mươi tư triệu không trăm bốn mươi nghìn không trăm linh bốn đồng"),
    (
        999_999_999,
        "Chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn "
        "chín trăm chín mươi chín đồng",
    ),
    (1_000_000_000, "Một tỷ đồng"),
    (1_000_000_005, "Một tỷ không trăm linh năm đồng"),
    (1_500_000_000, "Một tỷ năm trăm triệu đồng"),
    (2_015_000_000, "Hai tỷ không trăm mười lăm triệu đồng"),
    (21_000_001_000, "Hai mươi mốt tỷ không trăm linh một nghìn đồng"),
    (1_000_000_000_000, "Một nghìn tỷ đồng"),
    (5_000_000_000_000_000_000, "Năm tỷ tỷ đồng"),
]


@pytest.mark.parametrize(("amount", "words"), CASES)
def test_vnd_in_words(amount: int, words: str) -> None:
    assert vnd_in_words(amount) == words


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError):
        vnd_in_words(-1)


def test_every_amount_up_to_a_million_reads_cleanly() -> None:
    for amount in range(0, 1_000_001, 997):
        words = vnd_in_words(amount)
        assert words[0].isupper() and words.endswith(" đồng")
        assert "  " not in words and words == words.strip()
        # "linh" only ever joins hundreds to units; "mốt" and "tư" only follow "mươi".
        spoken = words.split()
        for before, after in itertools.pairwise(spoken):
            if after == "linh":
                assert before == "trăm"
            if after in {"mốt", "tư"}:
                assert before == "mươi"
