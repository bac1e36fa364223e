"""The citizen's own documents ("Giấy tờ của tôi"): exactly the results released to them
and what they sent with the dossiers they may read, never someone else's or a draft's;
and reusing one as a later draft's file, refused clearly (and leaving nothing behind)
for every file, draft or component it may not be used with."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar

from backend.accounts.schemas import Principal
from backend.accounts.tables import Membership, Organisation
from backend.attachments import inspect_upload
from backend.dossiers import service
from backend.dossiers.runtime import DossiersRuntime, utc_now
from backend.dossiers.schemas import ActionIn, DossierRead, DraftCreate
from backend.dossiers.service import files as files_module
from backend.dossiers.tables import DossierFile
from backend.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound
from tests.accounts.helpers import Browser, new_browser
from tests.dossiers.conftest import PROCEDURE, PersonFactory, draft_with_files, jpeg, photo

# Phiếu lý lịch tư pháp: its identity card is only shown at the counter (not uploadable).
CRIMINAL_RECORD = "2.000488"
_keys = iter(range(10**6))


async def new_draft(
    runtime: DossiersRuntime, who: Principal, procedure: str = PROCEDURE
) -> DossierRead:
    dossier, _ = await service.create_draft(
        runtime,
        who,
        DraftCreate(
            procedure_code=procedure,
            draft_key=f"store-draft-{next(_keys):08d}-{who.account_id}",
            another=True,  # beside the one draft_with_files may have made
        ),
    )
    return dossier


async def act(
    runtime: DossiersRuntime, who: Principal, dossier_id: int, action: str, **fields: Any
) -> None:
    current = await service.get_dossier(runtime, who, dossier_id)
    await service.act(
        runtime,
        who,
        dossier_id,
        ActionIn(action=action, version=current.version, **fields),  # type: ignore[arg-type]
    )


async def decided(
    runtime: DossiersRuntime, people: PersonFactory, citizen: Principal
) -> tuple[DossierRead, int, Principal]:
    """A submitted dossier approved, its result attached but not yet released."""
    draft = await draft_with_files(runtime, citizen)
    dossier = await service.submit(runtime, citizen, draft.id)
    reception = await people("staff", "reception")
    officer = await people("staff", "processing")
    leader = await people("staff", "leader")
    await act(runtime, reception, dossier.id, "receive")
    await act(runtime, reception, dossier.id, "assign", assignee_id=officer.account_id)
    await act(runtime, officer, dossier.id, "propose", decision="approve")
    await act(runtime, leader, dossier.id, "decide", decision="approve")
    decision = inspect_upload(jpeg(120, 90), "ket-qua.jpg")
    result = await service.add_file(runtime, officer, dossier.id, decision, component_id=None)
    return dossier, result.id, officer


async def membership(owner: Principal, member: Principal) -> int:
    rows = await Organisation.insert(
        Organisation(
            name="HTX Giấy Tờ",
            tax_code=f"{owner.account_id:010d}"[-10:],
            address="x",
            created_by=owner.account_id,
            created_at=utc_now(),
        )
    ).returning(Organisation.id)
    organisation = int(rows[0]["id"])
    for person, role in ((owner, "owner"), (member, "member")):
        await Membership.insert(
            Membership(
                member_key=f"{organisation}:{person.account_id}",
                organisation=organisation,
                account=person.account_id,
                role=role,
                created_at=utc_now(),
            )
        )
    return organisation


async def test_the_store_holds_what_was_sent_and_released_results(
    runtime: DossiersRuntime, people: PersonFactory
) -> None:
    hoa = await people()
    stranger = await people()
    assert await service.my_documents(runtime, hoa) == []
    dossier, result_id, officer = await decided(runtime, people, hoa)
    # A draft's files are still being prepared: not in the store.
    draft = await new_draft(runtime, hoa)
    await service.add_file(runtime, hoa, draft.id, photo(), component_id=draft.components[0].id)
    store = await service.my_documents(runtime, hoa)
    sent = {f.id for f in (await service.get_dossier(runtime, hoa, dossier.id)).files}
    assert {d.file_id for d in store} == sent and result_id not in sent, "no unreleased result"
    named = {c.id: c.name_vi for c in dossier.components}
    for document in store:
        assert document.kind == "upload" and document.dossier_code == dossier.code
        assert document.name_vi == named[document.component_id]
        assert document.procedure_code == PROCEDURE and document.procedure_name_vi
        assert document.download_url == f"/api/dossiers/{dossier.id}/files/{document.file_id}"

    await act(runtime, officer, dossier.id, "attach_result")
    store = await service.my_documents(runtime, hoa)
    assert store[0].file_id == result_id and store[0].kind == "result", "results first"
    assert store[0].name_vi == "Kết quả giải quyết" and store[0].name_en == "Result"
    assert draft.id not in {d.dossier_id for d in store}
    # Someone else sees none of it; an official has no store.
    assert await service.my_documents(runtime, stranger) == []
    with pytest.raises(Forbidden):
        await service.my_documents(runtime, officer)


async def test_an_organisations_documents_while_a_member(
    runtime: DossiersRuntime, people: PersonFactory
) -> None:
    owner = await people()
    member = await people()
    organisation = await membership(owner, member)
    draft = await draft_with_files(runtime, owner, organisation_id=organisation)
    dossier = await service.submit(runtime, owner, draft.id)
    ids = {f.id for f in dossier.files}
    assert {d.file_id for d in await service.my_documents(runtime, member)} == ids
    mine = await new_draft(runtime, member)
    component = next(c for c in mine.components if c.uploadable)
    file_id = next(iter(ids))
    await service.reuse_document(runtime, member, mine.id, component.id, file_id)
    # Removed from the organisation: its documents leave the store and cannot be used.
    await Membership.delete().where(Membership.account == member.account_id)
    assert await service.my_documents(runtime, member) == []
    with pytest.raises(NotFound) as gone:
        await service.reuse_document(runtime, member, mine.id, component.id, file_id)
    assert gone.value.field == "file_id"


async def test_a_stored_document_is_copied_into_a_new_draft(
    runtime: DossiersRuntime, people: PersonFactory
) -> None:
    hoa = await people()
    dossier, result_id, officer = await decided(runtime, people, hoa)
    await act(runtime, officer, dossier.id, "attach_result")
    source = dossier.files[0]
    later = await new_draft(runtime, hoa)
    component = next(c for c in later.components if c.id == source.component_id)
    offered = service.offered_for(await service.my_documents(runtime, hoa), PROCEDURE, component)
    assert offered[0].name_vi == component.name_vi, "the same document first"

    copy = await service.reuse_document(runtime, hoa, later.id, component.id, source.id)
    again = await service.reuse_document(runtime, hoa, later.id, component.id, source.id)
    assert again.id == copy.id, "a second tap attaches nothing more"
    assert copy.id != source.id and copy.component_id == component.id
    assert copy.purpose == "component" and copy.round == 0
    assert (copy.display_name, copy.media_type, copy.pages, copy.size) == (
        source.display_name,
        source.media_type,
        source.pages,
        source.size,
    )
    rows = await DossierFile.select().where(DossierFile.id.is_in([source.id, copy.id]))
    original, copied = sorted(rows, key=lambda r: r["id"])
    assert (
        original["storage_key"] != copied["storage_key"] and original["sha256"] == copied["sha256"]
    )
    _, data = await service.open_file(runtime, hoa, later.id, copy.id)
    assert hashlib.sha256(data).hexdigest() == original["sha256"]
    # A released result can be used too; removing a copy leaves the original.
    result_copy = await service.reuse_document(runtime, hoa, later.id, component.id, result_id)
    await service.remove_file(runtime, hoa, later.id, copy.id)
    await service.open_file(runtime, hoa, dossier.id, source.id)
    attached = (await service.get_dossier(runtime, hoa, later.id)).files
    assert [f.id for f in attached] == [result_copy.id]


async def test_every_wrong_reuse_is_refused_and_leaves_nothing(
    runtime: DossiersRuntime, people: PersonFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    hoa = await people()
    lan = await people()
    dossier, unreleased, _ = await decided(runtime, people, hoa)
    mine = dossier.files[0].id
    theirs = (
        (await service.submit(runtime, lan, (await draft_with_files(runtime, lan)).id)).files[0].id
    )
    target = await new_draft(runtime, hoa)
    component = next(c for c in target.components if c.uploadable).id
    own_photo = inspect_upload(jpeg(50, 40), "khac.jpg")
    own_draft_file = (
        await service.add_file(runtime, hoa, target.id, own_photo, component_id=component)
    ).id
    other_draft = await new_draft(runtime, hoa)
    other_draft_file = await service.add_file(
        runtime, hoa, other_draft.id, photo(), component_id=component
    )
    stored: list[str] = []
    storage = runtime.attachments.storage
    put = storage.put

    async def recording_put(data: bytes) -> str:
        key = await put(data)
        stored.append(key)
        return key

    monkeypatch.setattr(storage, "put", recording_put)
    before = await DossierFile.count()

    async def refused(dossier_id: int, component_id: int, file_id: int) -> AppError:
        with pytest.raises(AppError) as error:
            await service.reuse_document(runtime, hoa, dossier_id, component_id, file_id)
        return error.value

    for file_id in (theirs, unreleased, own_draft_file, other_draft_file.id, 999_999_999):
        error = await refused(target.id, component, file_id)
        assert isinstance(error, NotFound) and error.field == "file_id"
        assert error.message("vi") == "Không tìm thấy giấy tờ này trong “Giấy tờ của tôi”."
        assert error.message("en") != error.message("vi")
    error = await refused(target.id, 999_999, mine)
    assert isinstance(error, InvalidInput) and error.problems[0].field == "component_id"
    counter_only = await new_draft(runtime, hoa, CRIMINAL_RECORD)
    shown = next(c for c in counter_only.components if not c.uploadable)
    error = await refused(counter_only.id, shown.id, mine)
    assert isinstance(error, InvalidInput) and error.problems[0].field == "component_id"
    # Someone else's draft is not found; a submitted dossier takes no more files.
    lans_draft = await new_draft(runtime, lan)
    error = await refused(lans_draft.id, lans_draft.components[0].id, mine)
    assert isinstance(error, NotFound) and error.field == "dossier"
    error = await refused(dossier.id, dossier.components[0].id, mine)
    assert isinstance(error, Conflict) and error.status_code == 409
    # A full dossier: the copy kept for it is deleted again.
    monkeypatch.setattr(files_module, "MAX_FILES", 1)
    error = await refused(target.id, component, mine)
    assert isinstance(error, InvalidInput) and "tối đa 1 tệp" in error.message("vi")
    monkeypatch.setattr(files_module, "MAX_FILES", 60)
    monkeypatch.setattr(files_module, "MAX_DOSSIER_BYTES", 10)
    error = await refused(target.id, component, mine)
    assert isinstance(error, InvalidInput) and error.problems[0].field == "file"

    assert await DossierFile.count() == before, "nothing half-saved"
    for key in stored:
        with pytest.raises(NotFound):
            await storage.get(key)


# ----------------------------------------------------------------- over HTTP


@pytest.fixture
async def open_browsers(dossiers_app: Litestar) -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


async def signed_up(app: Litestar, browsers: list[Browser], name: str) -> tuple[Browser, Principal]:
    browser = await new_browser(app)
    browsers.append(browser)
    result = await browser.sign_up(full_name=name)
    await browser.headers()
    principal = Principal(
        account_id=int(result["account"]["id"]),
        kind="citizen",
        name=name,
        role=None,
        agency_code=None,
        session_id="test",
    )
    return browser, principal


async def test_the_store_page_and_api(
    dossiers_app: Litestar,
    open_browsers: list[Browser],
    runtime: DossiersRuntime,
    people: PersonFactory,
) -> None:
    hoa, hoa_principal = await signed_up(dossiers_app, open_browsers, "Trần Thị Hoa")
    lan, _ = await signed_up(dossiers_app, open_browsers, "Lê Văn Lâm")
    empty = await hoa.get("/giay-to")
    assert empty.status_code == 200 and 'id="store-empty"' in empty.text
    assert empty.headers["cache-control"] == "no-store"
    dossier, result_id, officer = await decided(runtime, people, hoa_principal)
    await act(runtime, officer, dossier.id, "attach_result")
    page = await hoa.get("/giay-to")
    assert "<h1>Giấy tờ của tôi</h1>" in page.text and "Kết quả giải quyết" in page.text
    assert page.text.index('id="results"') < page.text.index('id="uploads"')
    assert f'href="/api/dossiers/{dossier.id}/files/{result_id}"' in page.text
    assert dossier.code and dossier.code in page.text
    assert f"/files/{result_id}" not in (await lan.get("/giay-to")).text
    listed = await hoa.get("/api/dossiers/documents")
    assert listed.status_code == 200 and listed.json()[0]["file_id"] == result_id
    assert (await lan.get("/api/dossiers/documents")).json() == []
    assert 'href="/giay-to"' in (await hoa.get("/ho-so")).text
    english = await hoa.get("/giay-to", headers={"Accept-Language": "en"})
    assert "<h1>My documents</h1>" in english.text and "Results received" in english.text

    # The API: attach a copy to a new draft; Lan cannot use Hoa's file.
    created = await hoa.post(
        "/api/dossiers", {"procedure_code": PROCEDURE, "draft_key": "store-api-draft-000001"}
    )
    later = created.json()
    component = next(c for c in later["components"] if c["uploadable"])["id"]
    body = {"file_id": result_id, "component_id": component}
    copied = await hoa.post(f"/api/dossiers/{later['id']}/files/reuse", body)
    assert copied.status_code == 201, copied.text
    assert copied.json()["component_id"] == component and copied.json()["purpose"] == "component"
    theirs = await lan.post(
        "/api/dossiers", {"procedure_code": PROCEDURE, "draft_key": "store-api-draft-000002"}
    )
    refused = await lan.post(f"/api/dossiers/{theirs.json()['id']}/files/reuse", body)
    assert refused.status_code == 404 and refused.json()["error"]["field"] == "file_id"
    not_theirs = await lan.post(f"/api/dossiers/{later['id']}/files/reuse", body)
    assert not_theirs.status_code == 404
    wrong_type = await hoa.post(
        f"/api/dossiers/{later['id']}/files/reuse", {"file_id": "x", "component_id": component}
    )
    assert wrong_type.status_code == 400
    schema = (await hoa.get("/schema/openapi.json")).json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"myDocuments", "reuseDocument"} <= operations


async def test_one_tap_on_the_upload_step_without_javascript(
    dossiers_app: Litestar,
    open_browsers: list[Browser],
    runtime: DossiersRuntime,
    people: PersonFactory,
) -> None:
    hoa, hoa_principal = await signed_up(dossiers_app, open_browsers, "Trần Thị Hoa")
    lan, lan_principal = await signed_up(dossiers_app, open_browsers, "Lê Văn Lâm")
    earlier = await service.submit(
        runtime, hoa_principal, (await draft_with_files(runtime, hoa_principal)).id
    )
    lans = await service.submit(
        runtime, lan_principal, (await draft_with_files(runtime, lan_principal)).id
    )
    later = await new_draft(runtime, hoa_principal)
    number = 3  # the applicant, the answers, then the first document
    component = next(c for c in later.components if c.uploadable)
    step = await hoa.get(f"/ho-so/{later.id}/buoc/{number}")
    assert "Hoặc dùng giấy tờ đã có" in step.text
    source = next(f for f in earlier.files if f.component_id == component.id)
    assert f'name="file_id" value="{source.id}"' in step.text
    assert f'name="file_id" value="{lans.files[0].id}"' not in step.text
    assert (
        f'form="reuse-form-{component.id}"' in step.text
        and f'id="reuse-form-{component.id}"' in step.text
    )

    token = hoa.client.cookies["csrftoken"]
    url = f"/ho-so/{later.id}/buoc/{number}/dung-lai"
    done = await hoa.client.post(url, data={"_csrf_token": token, "file_id": str(source.id)})
    assert done.status_code == 303 and done.headers["location"].endswith("?xong=dung-lai")
    page = await hoa.get(done.headers["location"])
    assert 'id="reused"' in page.text and source.display_name in page.text
    attached = (await service.get_dossier(runtime, hoa_principal, later.id)).files
    assert [f.component_id for f in attached] == [component.id]
    # Someone else's file: a clear error at the choice, nothing attached.
    wrong = await hoa.client.post(
        url, data={"_csrf_token": token, "file_id": str(lans.files[0].id)}
    )
    assert wrong.status_code == 404
    assert (
        "Không tìm thấy giấy tờ này" in wrong.text and f'href="#reuse-{component.id}"' in wrong.text
    )
    nothing = await hoa.client.post(url, data={"_csrf_token": token})
    assert nothing.status_code == 422 and "Hãy chọn một giấy tờ để dùng." in nothing.text
    assert len((await service.get_dossier(runtime, hoa_principal, later.id)).files) == 1
    # Without the CSRF token, refused; Lan cannot post into Hoa's draft.
    assert (await hoa.client.post(url, data={"file_id": str(source.id)})).status_code == 403
    lan_token = lan.client.cookies["csrftoken"]
    foreign = await lan.client.post(url, data={"_csrf_token": lan_token, "file_id": str(source.id)})
    assert foreign.status_code == 404
    assert (
        await hoa.client.post(
            f"/ho-so/{later.id}/buoc/1/dung-lai",
            data={"_csrf_token": token, "file_id": str(source.id)},
        )
    ).status_code == 404
    assert len((await service.get_dossier(runtime, hoa_principal, later.id)).files) == 1
