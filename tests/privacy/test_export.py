"""The archive of "Dữ liệu của bạn": everything of the person and nothing of anyone
else, files matching their SHA-256, the hourly limit, the session and CSRF checks,
and the audit log's entry (the chain still whole)."""

from __future__ import annotations

from litestar import Litestar

from backend.accounts import service as accounts
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.tables import DossierFile
from backend.payments.runtime import PaymentsRuntime
from tests.accounts.helpers import Browser, audit_events, new_browser
from tests.dossiers.conftest import PersonFactory
from tests.privacy.conftest import (
    download,
    give_everything,
    open_archive,
    send_form,
    sha256,
    sign_up,
)

API = "/api/account/export"


async def test_the_archive_holds_the_person_and_their_files(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    lan = await sign_up(payments_app, open_browsers, "Trần Thị Lan")
    other = await sign_up(payments_app, open_browsers, "Phạm Văn Khải")
    held = await give_everything(payments_app, runtime, payments, people, lan)
    theirs = await give_everything(payments_app, runtime, payments, people, other)

    page = await lan.browser.get("/tai-khoan/thiet-bi")
    assert 'href="/tai-khoan/du-lieu"' in page.text
    page = await lan.browser.get("/tai-khoan/du-lieu")
    assert page.status_code == 200 and "Tải về dữ liệu của tôi" in page.text

    response = await download(lan)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    archive = open_archive(response.content)
    data = archive.data

    assert data["account"]["full_name"] == "Trần Thị Lan"
    assert data["account"]["phone"] == lan.browser.phone
    [passkey] = data["passkeys"]
    assert passkey["name"] and passkey["created_at"]
    assert set(passkey) == {"name", "created_at", "last_used_at", "backed_up", "transports"}
    assert data["recovery_codes_left"] == len(lan.browser.recovery_codes)
    assert data["sessions"] and "token_hash" not in data["sessions"][0]
    # No secret of any kind: hashes of tokens and codes, key material, claim codes.
    for secret in ("token_hash", "code_hash", "public_key", "credential_id", "claim_code_hash"):
        assert secret not in archive.text

    codes = {d["code"] for d in data["dossiers"]}
    assert {held.paid.code, held.rated.code} <= codes
    assert held.draft.id in {d["id"] for d in data["dossiers"]}
    paid = next(d for d in data["dossiers"] if d["code"] == held.paid.code)
    assert paid["form_data"]["licence_number"] == "790123456789"
    assert paid["applicant_phone"] == "0912345678" and paid["payment_status"] == "paid"
    assert paid["history"][0]["action"] == "submit"
    rated = next(d for d in data["dossiers"] if d["code"] == held.rated.code)
    assert rated["status"] == "returned"
    assert {e["action"] for e in rated["history"]} >= {"receive", "decide", "return_result"}
    assert {f["purpose"] for f in rated["files"]} == {"component", "result"}

    [payment] = [
        p for p in data["payments"] if paid["id"] in {d["dossier_id"] for d in p["dossiers"]}
    ]
    assert payment["provider"] == "cash" and payment["status"] == "paid"
    assert payment["amount"] == 135_000 or payment["amount"] == 115_000
    receipt_path = payment["receipt"]["path"]
    assert archive.members[receipt_path].startswith(b"%PDF")

    [rating] = data["ratings"]
    assert rating["overall"] == 4 and rating["comment"] == "Cán bộ hướng dẫn tận tình"

    # Every file listed, in the manifest, its bytes matching; an upload's bytes are the
    # ones the dossier recorded, and the ones kept in the store.
    listed = {f["path"]: f["sha256"] for f in data["files"]}
    assert receipt_path in listed
    assert set(archive.manifest) == {"data.json", *listed}
    assert archive.manifest["data.json"] == sha256(archive.members["data.json"])
    for path, digest in listed.items():
        assert sha256(archive.members[path]) == digest == archive.manifest[path]
    for dossier in data["dossiers"]:
        for file in dossier["files"]:
            assert listed[file["path"]] == file["sha256"]
    assert data["missing_files"] == []
    uploaded = await DossierFile.select(DossierFile.sha256).where(DossierFile.dossier == paid["id"])
    assert {f["sha256"] for f in paid["files"]} == {row["sha256"] for row in uploaded}

    # Nothing of the other person.
    assert "Phạm Văn Khải" not in archive.text and str(other.browser.phone) not in archive.text
    assert theirs.paid.code not in archive.text and theirs.rated.code not in archive.text

    [entry] = await audit_events(subject_id=lan.id, event="data_exported")
    assert entry["actor_id"] == lan.id
    assert "Trần" not in str(entry["details"])
    report = await accounts.verify_audit_chain()
    assert report.broken is None


async def test_only_the_signed_in_person_gets_an_archive(
    payments_app: Litestar, open_browsers: list[Browser]
) -> None:
    lan = await sign_up(payments_app, open_browsers, "Đỗ Thị Hoa")
    stranger = await new_browser(payments_app)
    open_browsers.append(stranger)
    await stranger.headers()
    # Nobody signed in: the page sends to sign-in, the API answers 401.
    page = await send_form(stranger, "/tai-khoan/du-lieu/tai-ve", {})
    assert page.status_code == 303 and page.headers["location"].startswith("/dang-nhap")
    assert (await stranger.post(API)).status_code == 401
    # A session cookie made up: refused (by the CSRF check bound to it, or as nobody's).
    stranger.client.cookies.set("motcua_session", "x" * 43)
    refused = await stranger.post(API)
    assert refused.status_code in {401, 403} and not refused.content.startswith(b"PK")
    # The person's own archive, through the API, is theirs.
    response = await lan.browser.post(API)
    assert response.status_code == 200
    assert open_archive(response.content).data["account"]["full_name"] == "Đỗ Thị Hoa"


async def test_a_form_without_its_csrf_token_is_refused(
    payments_app: Litestar, open_browsers: list[Browser]
) -> None:
    lan = await sign_up(payments_app, open_browsers, "Vũ Thị Nga")
    english = await lan.browser.get("/tai-khoan/du-lieu", headers={"accept-language": "en"})
    assert "Download my data" in english.text and 'name="_csrf_token"' in english.text
    response = await lan.browser.client.post("/tai-khoan/du-lieu/tai-ve", data={})
    assert response.status_code == 403
    response = await lan.browser.client.post(API)
    assert response.status_code == 403
    assert await audit_events(subject_id=lan.id, event="data_exported") == []


async def test_a_few_archives_an_hour(payments_app: Litestar, open_browsers: list[Browser]) -> None:
    lan = await sign_up(payments_app, open_browsers, "Lý Thị Thu")
    other = await sign_up(payments_app, open_browsers, "Lý Văn Tâm")
    for _ in range(3):
        assert (await lan.browser.post(API)).status_code == 200
    refused = await lan.browser.post(API)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    page = await download(lan)
    assert page.status_code == 429 and "Có quá nhiều lần thử" in page.text
    # Someone else's limit is their own.
    assert (await other.browser.post(API)).status_code == 200
    assert len(await audit_events(subject_id=lan.id, event="data_exported")) == 3
