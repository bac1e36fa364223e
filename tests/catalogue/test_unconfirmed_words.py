"""What the procedure pages say about facts not yet confirmed: a plain sentence in the
reader's language, never the data's field names (issue 16: "chưa được đối chiếu …:
code, processing_days, legal_basis" was shown on most demo procedure pages)."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.catalogue.pages import unconfirmed_sentence

DEMO = json.loads(
    (Path(__file__).parents[2] / "backend/catalogue/demo_catalogue.json").read_text("utf-8")
)
PROCEDURES: list[dict[str, Any]] = DEMO["procedures"]
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def field_names(value: Any) -> set[str]:
    """Every snake_case word of the demo data: its keys and its unconfirmed lists."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            found |= set(SNAKE.findall(key)) | field_names(inner)
            if key == "unconfirmed" and isinstance(inner, list):
                found |= {name for name in inner if isinstance(name, str)}
    elif isinstance(value, list):
        for inner in value:
            found |= field_names(inner)
    return found


def visible_text(page: str) -> str:
    """What a person reads: the body without scripts, styles and markup."""
    body = page.split("<body", 1)[1]
    body = re.sub(r"<(script|style|template)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_no_procedure_page_shows_a_field_name(client: httpx.AsyncClient, lang: str) -> None:
    names = {name for name in field_names(DEMO) if "_" in name}
    assert {"processing_days", "legal_basis", "online_level", "fee_rules"} <= names
    told = 0
    for procedure in PROCEDURES:
        page = await client.get(f"/p/{procedure['code']}", headers={"Cookie": f"lang={lang}"})
        assert page.status_code == 200, procedure["code"]
        text = visible_text(page.text)
        shown = sorted(set(SNAKE.findall(text)) & names)
        assert shown == [], f"/p/{procedure['code']} ({lang}) shows {shown}"
        # Nor the short ones (code, fees, components) after the sentence.
        assert not re.search(r"(đối chiếu|checked)[^.]*:\s*(code|fees|components)\b", text)
        if procedure["unconfirmed"]:
            told += 1
            sentence = unconfirmed_sentence(procedure["unconfirmed"])
            assert sentence is not None and sentence.render(lang) in text, procedure["code"]
    assert told >= 19


async def test_the_sentence_names_the_facts_in_words(client: httpx.AsyncClient) -> None:
    # 1.002809: code, processing_days, legal_basis unconfirmed.
    vi = visible_text((await client.get("/p/1.002809")).text)
    assert (
        "Mã thủ tục, thời hạn giải quyết và căn cứ pháp lý chưa được đối chiếu với "
        "Cơ sở dữ liệu quốc gia về thủ tục hành chính" in vi
    )
    en = visible_text((await client.get("/p/1.002809", headers={"Cookie": "lang=en"})).text)
    assert (
        "Not yet checked against the National Database of Administrative Procedures: "
        "the procedure code, the processing time, and the legal basis." in en
    )
    # Every fact confirmed: no sentence at all.
    assert "đối chiếu" not in visible_text((await client.get("/p/1.001193")).text)


def test_a_field_without_words_is_other_details_never_its_name() -> None:
    sentence = unconfirmed_sentence(["fees", "new_field_x", "steps_vi", "steps_en", "fees"])
    assert sentence is not None
    vi, en = sentence.render("vi"), sentence.render("en")
    assert vi.startswith("Số tiền phải nộp, các bước thực hiện và một số thông tin khác chưa")
    assert "the amounts to pay, the steps, and some other details." in en
    assert "new_field_x" not in vi + en and "steps" not in vi
    assert unconfirmed_sentence([]) is None
