"""The catalogue answerer on the issue's examples and on what people really type:
no diacritics, typos, other offices' topics, other languages."""

from __future__ import annotations

import pytest

from backend.assistant.answerers import Answerer
from tests.assistant.conftest import codes_of

BIRTH = "1.001193"
MARITAL_STATUS = "1.004873"
MARRIAGE = "1.000894"
LICENCE_REISSUE = "1.002820"
LICENCE_EXCHANGE = "1.002809"


@pytest.mark.parametrize(
    ("question", "first"),
    [
        # The examples of the issue.
        ("con tôi mới sinh thì làm giấy gì", BIRTH),
        ("mất bằng lái xe", LICENCE_REISSUE),
        ("xin giấy độc thân để cưới", MARITAL_STATUS),
        # The same without diacritics, in capitals, with a typo.
        ("con toi moi sinh thi lam giay gi", BIRTH),
        ("MAT BANG LAI XE", LICENCE_REISSUE),
        ("xin giay doc than de cuoi", MARITAL_STATUS),
        ("khai sin cho con", BIRTH),
        ("đổi bằng lái xe hết hạn", LICENCE_EXCHANGE),
    ],
)
async def test_everyday_questions_find_the_procedure_first(
    answerer: Answerer, question: str, first: str
) -> None:
    answer = await answerer.answer(question, "vi")
    assert answer.kind == "found"
    assert answer.procedures[0].code == first
    assert len(answer.procedures) <= 3


async def test_getting_married_offers_both_procedures(answerer: Answerer) -> None:
    codes = await codes_of(answerer, "sắp cưới vợ thì làm giấy gì")
    assert codes[0] == MARRIAGE and MARITAL_STATUS in codes


async def test_what_matched_is_said(answerer: Answerer) -> None:
    answer = await answerer.answer("con tôi mới sinh thì làm giấy gì", "vi")
    assert "mới sinh" in answer.procedures[0].matched


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("làm hộ chiếu đi nước ngoài", "outside"),
        ("xin cấp căn cước công dân", "outside"),
        ("hôm nay trời có mưa không", "not_understood"),
        ("xin chào", "not_understood"),
        ("giá lúa hôm nay bao nhiêu", "not_understood"),
    ],
)
async def test_what_the_catalogue_does_not_answer_is_unknown(
    answerer: Answerer, question: str, reason: str
) -> None:
    answer = await answerer.answer(question, "vi")
    assert (answer.kind, answer.reason, answer.procedures) == ("unknown", reason, ())


@pytest.mark.parametrize(
    "question",
    [
        "我的孩子刚出生需要办理什么手续",
        "ลูกของฉันเพิ่งเกิด ต้องทำเอกสารอะไร",
        "Мой ребёнок родился, какие документы нужны",
        "je voudrais un certificat de naissance pour mon fils",
        "asdfgh qwerty zxcv",
    ],
)
async def test_another_language_is_refused(answerer: Answerer, question: str) -> None:
    answer = await answerer.answer(question, "vi")
    assert (answer.kind, answer.reason) == ("refused", "language")


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("I lost my driving licence", LICENCE_REISSUE),
        ("birth registration for my newborn baby", BIRTH),
        ("criminal record certificate", "2.000488"),
    ],
)
async def test_english_questions_are_read_against_the_english_catalogue(
    answerer: Answerer, question: str, first: str
) -> None:
    answer = await answerer.answer(question, "en")
    assert answer.kind == "found" and answer.question_language == "en"
    assert answer.procedures[0].code == first
