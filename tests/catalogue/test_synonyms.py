"""Search's synonyms as the catalogue administrator keeps them: the page and the API,
their refusals, and searches that follow every edit at once (the results cache is
keyed by the catalogue's version, which synonym edits raise)."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.catalogue import service
from backend.catalogue.schemas import DemoSynonym
from backend.catalogue.tables import Synonym
from backend.db import Database
from backend.errors import InvalidInput, NotFound
from tests.catalogue.test_admin_pages import csrf, english, sign_in_as
from tests.conftest import PUBLIC_URL, make_settings
from tests.support.asgi import client_for

PAGE = "/quan-tri/tu-dong-nghia"
API = "/api/admin/catalogue/synonyms"
# A word that is in no procedure: only a synonym can make it find something.
ODD = "zzquyx"


@pytest.fixture(scope="module")
async def own(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Litestar]:
    """A database of this module's own: these tests change the synonyms."""
    settings = await make_settings(tmp_path_factory.mktemp("synonyms"), "synonyms")
    database = Database(settings)
    await database.open()
    await database.migrate()
    await service.seed_demo()
    yield create_app(settings)
    await database.close()


@pytest.fixture
async def client(own: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(own, PUBLIC_URL) as client:
        yield client


async def _codes(client: httpx.AsyncClient, q: str) -> list[str]:
    response = await client.get("/api/procedures", params={"q": q})
    assert response.status_code == 200
    return [item["code"] for item in response.json()["items"]]


async def _id_of(term: str) -> int:
    rows = await Synonym.select(Synonym.id).where(Synonym.folded == service.fold(term))
    return int(rows[0]["id"])


async def test_the_demo_seed_is_there_once(own: Litestar) -> None:
    terms = {entry.term for entry in await service.list_synonyms()}
    assert {"bằng lái", "GPLX", "LLTP", "sổ đỏ", "hộ khẩu", "độc thân", "công chứng"} <= terms
    before = len(terms)
    assert (await service.seed_demo()).synonyms_added == 0
    assert len(await service.list_synonyms()) == before


async def test_an_administrator_adds_edits_and_removes_a_synonym_and_search_follows(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    await sign_in_as(client, own, "staff", "catalogue")
    # The search is cached first: the edits below must end that cache.
    assert await _codes(client, ODD) == []
    listing = await client.get(PAGE)
    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-store"
    assert "GPLX" in listing.text and 'name="_csrf_token"' in listing.text
    catalogue = await client.get("/quan-tri/thu-tuc")
    assert f'href="{PAGE}"' in catalogue.text

    token = await csrf(client)
    added = await client.post(
        PAGE, data={"term": f"  {ODD.upper()} ", "replacement": "khai sinh", "_csrf_token": token}
    )
    assert added.status_code == 303 and added.headers["location"] == f"{PAGE}?xong=them"
    assert "Đã thêm từ." in (await client.get(added.headers["location"])).text
    assert (await _codes(client, ODD))[:1] == ["1.001193"]
    assert (await _codes(client, f"dang ky {ODD}"))[:1] == ["1.001193"]

    synonym_id = await _id_of(ODD)
    edit = await client.get(f"{PAGE}/{synonym_id}")
    assert edit.status_code == 200 and f'value="{ODD.upper()}"' in edit.text
    saved = await client.post(
        f"{PAGE}/{synonym_id}",
        data={"term": ODD, "replacement": "kết hôn", "_csrf_token": token},
    )
    assert saved.status_code == 303
    assert (await _codes(client, ODD))[:1] == ["1.000894"]

    removed = await client.post(f"{PAGE}/{synonym_id}/xoa", data={"_csrf_token": token})
    assert removed.status_code == 303
    assert await _codes(client, ODD) == []
    assert (await client.get(f"{PAGE}/{synonym_id}")).status_code == 404
    gone = await client.post(f"{PAGE}/{synonym_id}/xoa", data={"_csrf_token": token})
    assert gone.status_code == 404
    # Without the form's CSRF token nothing is added.
    forged = await client.post(PAGE, data={"term": ODD, "replacement": "khai sinh"})
    assert forged.status_code == 403
    assert await _codes(client, ODD) == []


@pytest.mark.parametrize(
    ("term", "replacement", "field", "message"),
    [
        ("", "giấy phép lái xe", "term", "Từ người dân gõ: hãy nhập ít nhất một chữ hoặc số."),
        ("!!! ...", "giấy phép lái xe", "term", "Từ người dân gõ: hãy nhập ít nhất một chữ"),
        ("bằng", "   ", "replacement", "Từ trong danh mục thủ tục: hãy nhập ít nhất"),
        ("một hai ba bốn năm", "khai sinh", "term", "Từ người dân gõ: tối đa 4 từ."),
        ("a", "x " * 9, "replacement", "Từ trong danh mục thủ tục: tối đa 8 từ."),
        ("a" * 33, "khai sinh", "term", "mỗi từ tối đa 32 chữ cái."),
        ("ab " * 70, "khai sinh", "term", "tối đa 200 ký tự."),
        ("Khai Sinh", "khai sinh", "replacement", "phải khác từ người dân gõ"),
        ("bằng\x00lái", "giấy phép lái xe", "term", "không được chứa ký tự điều khiển."),
        ("bằng", "giấy\tphép", "replacement", "không được chứa ký tự điều khiển."),
        ("BANG LAI", "giấy phép", "term", "đã có “bằng lái”"),
    ],
)
async def test_a_synonym_search_could_not_use_is_refused_naming_the_field(
    client: httpx.AsyncClient, own: Litestar, term: str, replacement: str, field: str, message: str
) -> None:
    await sign_in_as(client, own, "staff", "catalogue")
    before = await service.list_synonyms()
    page = await client.post(
        PAGE,
        data={"term": term, "replacement": replacement, "_csrf_token": await csrf(client)},
    )
    assert page.status_code == 422
    shown = html.unescape(page.text)
    assert message in shown and f'href="#{field}"' in page.text
    assert f'value="{html.escape(term.strip())}"' in page.text or not term.strip()
    client.headers["x-csrftoken"] = await csrf(client)
    api = await client.post(API, json={"term": term, "replacement": replacement})
    assert api.status_code == 422
    assert api.json()["error"]["field"] == field
    assert await service.list_synonyms() == before


async def test_the_api_lists_adds_replaces_and_removes(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    await sign_in_as(client, own, "staff", "catalogue")
    client.headers["x-csrftoken"] = await csrf(client)
    listed = await client.get(API)
    assert listed.status_code == 200
    assert {"id", "term", "replacement"} == set(listed.json()[0])
    created = await client.post(API, json={"term": "giấy đăng ký xe", "replacement": "cà vẹt"})
    assert created.status_code == 201
    body = created.json()
    assert (body["term"], body["replacement"]) == ("giấy đăng ký xe", "cà vẹt")
    replaced = await client.put(
        f"{API}/{body['id']}", json={"term": "cà vẹt", "replacement": "đăng ký xe"}
    )
    assert replaced.status_code == 200 and replaced.json()["term"] == "cà vẹt"
    # Renaming onto another synonym's term is refused; keeping its own term is not.
    clash = await client.put(f"{API}/{body['id']}", json={"term": "gplx", "replacement": "x"})
    assert clash.status_code == 422 and clash.json()["error"]["field"] == "term"
    assert (await client.delete(f"{API}/{body['id']}")).status_code == 204
    assert (await client.delete(f"{API}/{body['id']}")).status_code == 404
    missing = await client.put(f"{API}/{body['id']}", json={"term": "a b", "replacement": "c"})
    assert missing.status_code == 404
    assert (await client.get(f"{API}/0")).status_code in (400, 404, 405)
    malformed = await client.post(API, json={"term": 3})
    assert malformed.status_code == 400
    english(client)
    refused = await client.post(API, json={"term": "", "replacement": "khai sinh"})
    assert "at least one letter or digit" in refused.json()["error"]["message"]


async def test_the_service_refuses_as_the_api_does(own: Litestar) -> None:
    with pytest.raises(InvalidInput) as refused:
        await service.add_synonym(DemoSynonym(term="", replacement=""))
    assert [problem.field for problem in refused.value.problems] == ["term", "replacement"]
    with pytest.raises(NotFound):
        await service.save_synonym(2_000_000_000, DemoSynonym(term="ab", replacement="cd"))
    with pytest.raises(NotFound):
        await service.remove_synonym(2_000_000_000)


async def test_an_edit_by_any_path_ends_the_cached_search(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    """Even a row written past the service (plain SQL, another process) raises the
    catalogue's version: the trigger, not the service, ends the cache."""
    assert await _codes(client, ODD) == []
    await Synonym.insert(Synonym(term=ODD, folded=ODD, replacement="tạm trú"))
    try:
        assert (await _codes(client, ODD))[:1] == ["1.004194"]
        await Synonym.update({Synonym.replacement: "thường trú"}).where(Synonym.folded == ODD)
        assert (await _codes(client, ODD))[:1] == ["1.004222"]
    finally:
        await Synonym.delete().where(Synonym.folded == ODD)
    assert await _codes(client, ODD) == []


async def test_the_catalogue_file_carries_the_synonyms(own: Litestar) -> None:
    exported = msgspec.json.decode(service.to_json(await service.export_catalogue()))
    pairs = {(s["term"], s["replacement"]) for s in exported["synonyms"]}
    assert ("sổ đỏ", "giấy chứng nhận quyền sử dụng đất") in pairs
    assert len(pairs) == len(await service.list_synonyms())
    again = await service.import_catalogue(msgspec.json.encode(exported), "json")
    assert (again.synonyms_added, again.synonyms_updated) == (0, len(pairs))

    changed = {
        "synonyms": [
            {"term": "SỔ ĐỎ", "replacement": "đăng ký đất đai"},
            {"term": f"{ODD} moi", "replacement": "tách hộ"},
        ]
    }
    result = await service.import_catalogue(msgspec.json.encode(changed), "json")
    assert (result.synonyms_added, result.synonyms_updated) == (1, 1)
    terms = {s.term: s.replacement for s in await service.list_synonyms()}
    assert terms["SỔ ĐỎ"] == "đăng ký đất đai" and "sổ đỏ" not in terms
    assert len(terms) == len(pairs) + 1  # what the file does not name stays
    assert terms["GPLX"] == "giấy phép lái xe"


async def test_a_file_with_a_bad_synonym_changes_nothing(own: Litestar) -> None:
    before = await service.list_synonyms()
    bad = {
        "procedures": [],
        "synonyms": [
            {"term": "đúng", "replacement": "khai sinh"},
            {"term": "", "replacement": "khai sinh"},
            {"term": "Đúng", "replacement": "kết hôn"},
            {"term": "x"},
        ],
    }
    with pytest.raises(service.ImportRejected) as refused:
        await service.import_catalogue(msgspec.json.encode(bad), "json")
    named = {error.name for error in refused.value.errors}
    assert named == {"synonyms[2].term", "synonyms[3].term", "synonyms[4].replacement"}
    assert await service.list_synonyms() == before
    not_a_list = msgspec.json.encode({"synonyms": {"term": "a"}})
    with pytest.raises(service.ImportRejected):
        await service.import_catalogue(not_a_list, "json")


async def test_the_same_term_added_at_once_is_added_once(own: Litestar) -> None:
    async def add(written: str) -> str:
        try:
            await service.add_synonym(DemoSynonym(term=written, replacement="khai sinh"))
        except InvalidInput as error:
            return str(error.field)
        return "added"

    spellings = [f"{ODD} đồng", f"{ODD} dong", f"{ODD.upper()} ĐỒNG", f"{ODD} Đồng"] * 2
    outcomes = await asyncio.gather(*(add(written) for written in spellings))
    assert sorted(outcomes) == ["added"] + ["term"] * (len(spellings) - 1)
    assert await Synonym.count().where(Synonym.folded == f"{ODD} dong") == 1
    await Synonym.delete().where(Synonym.folded == f"{ODD} dong")
