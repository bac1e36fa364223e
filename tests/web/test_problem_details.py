"""Errors leave as problem details under /api (every field's problem in invalid_params,
in the reader's language and in both) and as a page elsewhere."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get, post
from litestar.params import JSONBody

from backend.app import create_app
from backend.errors import InvalidInput, Problems
from backend.i18n import N_
from backend.settings import Settings
from tests.support.asgi import client_for


def _two_problems() -> InvalidInput:
    problems = Problems()
    problems.add("applicant_name", N_("Hãy điền “%(label)s”.", label="Họ và tên"))
    problems.add("applicant_phone", N_("Hãy điền “%(label)s”.", label="Số điện thoại"))
    return InvalidInput(problems=problems.items)


@get("/api/test-only/problems")
async def api_problems() -> None:
    raise _two_problems()


@get("/test-only/problems")
async def page_problems() -> None:
    raise _two_problems()


class Named(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(max_length=5)]


@post("/api/test-only/named", status_code=200)
async def named(data: JSONBody[Named]) -> Named:
    return data


async def test_an_api_error_lists_every_field(settings: Settings, database: object) -> None:
    app = create_app(settings)
    app.register(api_problems)
    async with client_for(app) as client:
        response = await client.get("/api/test-only/problems", headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 422 and body["title"] == "Unprocessable Entity"
    assert body["code"] == "invalid_input"
    assert body["detail"] == "Fill in “Họ và tên”."
    assert [p["name"] for p in body["invalid_params"]] == ["applicant_name", "applicant_phone"]
    assert body["invalid_params"][1] == {
        "name": "applicant_phone",
        "reason": "Fill in “Số điện thoại”.",
        "reason_vi": "Hãy điền “Số điện thoại”.",
        "reason_en": "Fill in “Số điện thoại”.",
    }
    # The first problem, in the shape the page scripts and installed service workers read.
    assert body["error"] == {
        "code": "invalid_input",
        "message": "Fill in “Họ và tên”.",
        "message_vi": "Hãy điền “Họ và tên”.",
        "message_en": "Fill in “Họ và tên”.",
        "field": "applicant_name",
    }


async def test_a_body_litestar_refuses_names_its_field(
    settings: Settings, database: object
) -> None:
    app = create_app(settings)
    app.register(named)
    async with client_for(app) as client:
        await client.get("/dang-nhap")
        token = client.cookies["csrftoken"]
        response = await client.post(
            "/api/test-only/named", json={"name": "too long"}, headers={"x-csrftoken": token}
        )
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["field"] == "name"
    assert body["invalid_params"][0]["reason_vi"] == "Dữ liệu không hợp lệ ở trường “name”."


async def test_a_page_shows_the_error_in_the_readers_language(
    settings: Settings, database: object
) -> None:
    app = create_app(settings)
    app.register(page_problems)
    async with client_for(app) as client:
        vi = await client.get("/test-only/problems", headers={"Accept-Language": "vi"})
        en = await client.get("/test-only/problems", headers={"Accept-Language": "en"})
    assert vi.status_code == en.status_code == 422
    assert "text/html" in vi.headers["content-type"]
    assert "Hãy điền “Họ và tên”." in vi.text
    assert "Fill in “Họ và tên”." in en.text
