"""``GET /api/assistant``: the reply's shape, citations, the unknown case with the
search and whom to ask, and the bad inputs (empty, too long, another language)."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import msgspec
import pytest

from backend.assistant.schemas import AssistantReply

BIRTH = "1.001193"


async def ask(client: httpx.AsyncClient, q: str, **headers: str) -> httpx.Response:
    return await client.get("/api/assistant", params={"q": q}, headers=headers)


async def test_a_question_gets_procedures_with_what_to_bring_fee_time_and_where(
    client: httpx.AsyncClient,
) -> None:
    response = await ask(client, "con tôi mới sinh thì làm giấy gì")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    reply = response.json()
    assert reply["kind"] == "found" and reply["reason"] == ""
    first = reply["procedures"][0]
    assert first["citation"] == {
        "code": BIRTH,
        "name": "Thủ tục đăng ký khai sinh",
        "url": f"/p/{BIRTH}",
    }
    assert reply["citations"][0] == first["citation"]
    documents = [document["name"] for document in first["documents"]]
    assert "Tờ khai đăng ký khai sinh" in documents
    assert first["fees"] == [] and first["processing_days"] == 1
    # Thirteen communes carry it out: three shown, the page lists them all.
    assert len(first["places"]) == 3 and first["places_total"] == 13
    assert first["your_place"] is False
    assert first["file_online_url"] == f"/p/{BIRTH}/nop"
    assert first["booking_url"] == f"/dat-lich/{BIRTH}"
    assert reply["search_url"] is None and reply["contacts"] == []


async def test_a_procedure_with_fees_shows_both_amounts(client: httpx.AsyncClient) -> None:
    reply = (await ask(client, "xin lý lịch tư pháp")).json()
    first = reply["procedures"][0]
    assert first["citation"]["code"] == "2.000488"
    assert first["fees"] and all(fee["amount"] > 0 for fee in first["fees"])
    # One department carries it out: filing online goes straight to it.
    assert first["places_total"] == 1
    assert first["file_online_url"].startswith("/p/2.000488/nop?co-quan=")


async def test_an_information_only_procedure_has_no_online_filing(
    client: httpx.AsyncClient,
) -> None:
    reply = (await ask(client, "chứng thực chữ ký")).json()
    first = reply["procedures"][0]
    assert first["citation"]["code"] == "2.000884" and first["online_level"] == "info"
    assert first["file_online_url"] is None


async def test_unknown_offers_the_search_with_the_question_and_whom_to_ask(
    client: httpx.AsyncClient,
) -> None:
    reply = (await ask(client, "làm hộ chiếu đi nước ngoài")).json()
    assert reply["kind"] == "unknown" and reply["reason"] == "outside"
    assert reply["procedures"] == [] and reply["citations"] == []
    assert reply["search_url"] == "/thu-tuc?" + urlencode({"q": "làm hộ chiếu đi nước ngoài"})
    assert reply["contacts"], "someone to ask"
    assert "Trung tâm Phục vụ hành chính công" in reply["contacts"][0]["name"]
    assert "bộ phận một cửa" in reply["message"]


async def test_the_reply_is_in_the_readers_language(client: httpx.AsyncClient) -> None:
    reply = (await ask(client, "mat bang lai xe", **{"accept-language": "en"})).json()
    first = reply["procedures"][0]
    assert first["citation"]["name"] == "Reissue of a lost driving licence"
    assert first["fees"] == [
        {
            "label": "Driving licence fee",
            "amount": 135000,
            "online_amount": 115000,
            "conditional": False,
        }
    ]
    assert reply["message"] == reply["message_en"] != reply["message_vi"]


async def test_a_question_of_2000_characters_is_refused_naming_the_limit(
    client: httpx.AsyncClient,
) -> None:
    response = await ask(client, "khai sinh " * 200)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["field"] == "q"
    assert "300" in body["error"]["message_vi"] and "300" in body["error"]["message_en"]
    assert "ký tự" in body["error"]["message_vi"]
    assert "characters" in body["error"]["message_en"]


@pytest.mark.parametrize("q", ["", "   ", "\n\t"])
async def test_an_empty_question_is_refused(client: httpx.AsyncClient, q: str) -> None:
    response = await ask(client, q)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "q"


async def test_another_language_says_which_languages_it_reads(client: httpx.AsyncClient) -> None:
    reply = (await ask(client, "我的孩子刚出生需要办理什么手续")).json()
    assert reply["kind"] == "refused" and reply["reason"] == "language"
    assert "tiếng Việt" in reply["message_vi"] and "Vietnamese" in reply["message_en"]
    assert reply["procedures"] == []


async def test_the_reply_matches_its_schema(client: httpx.AsyncClient) -> None:
    for q in ("mất bằng lái xe", "xin chào", "bonjour madame"):
        msgspec.convert((await ask(client, q)).json(), AssistantReply)


async def test_the_api_is_documented(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/assistant"]["get"]
    assert operation["operationId"] == "askAssistant"
    assert operation["tags"] == ["assistant"]
