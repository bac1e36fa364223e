"""Drafts that do not pile up (issue 16): one draft per person, procedure, agency and
payer, given back by "Bắt đầu" (even two at once: a double tap, two tabs), another
only when asked for ("Tạo hồ sơ mới"); "Tiếp tục" at the first step still to do; a
draft deleted with its files, from a page that asks first and works without
JavaScript, or by the API; and a database holding the duplicates made before this
upgrading cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import itertools
import re
import sqlite3
import uuid
from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from litestar import Litestar
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards

from backend.accounts.schemas import Principal
from backend.accounts.tables import Membership, Organisation
from backend.clock import utc_now
from backend.db import Database, fetch, write_transaction
from backend.dossiers import service
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import DossierRead, DraftCreate, DraftUpdate
from backend.dossiers.tables import Dossier, DossierFile
from backend.errors import Conflict, NotFound
from tests.accounts.helpers import Browser, Clock
from tests.conftest import make_settings
from tests.dossiers.conftest import ANSWERS, PROCEDURE, PersonFactory, photo
from tests.dossiers.test_citizen_pages import Person, assert_no_inline_code, citizen, send

# A commune-level procedure filed at any commune: two places to file at.
CERTIFY = "2.000815"
HAC_THANH = "000.01.40.H56"
NGA_AN = "000.03.40.H56"
# The legal-aid procedure (PROCEDURE): 1 applicant, 2 answers, 3 and 4 required
# documents, 5 an optional one, 6 the review.
REVIEW = 6
# The migration that brings the rule: the upgrade test runs everything before it.
ONE_DRAFT = "2026-12-07T12:34:30:000000"
_keys = itertools.count(1)


def new_key() -> str:
    return f"once-{next(_keys):06d}-{uuid.uuid4().hex[:12]}"


async def start(
    runtime: DossiersRuntime,
    person: Principal,
    procedure: str = PROCEDURE,
    **fields: object,
) -> tuple[DossierRead, bool]:
    data = DraftCreate(procedure_code=procedure, draft_key=new_key(), **fields)  # type: ignore[arg-type]
    return await service.create_draft(runtime, person, data)


async def drafts_of(owner_id: int) -> list[int]:
    rows = await Dossier.select(Dossier.id).where(
        (Dossier.owner_id == owner_id) & (Dossier.status == "draft")
    )
    return sorted(r["id"] for r in rows)


async def organisation_of(person: Principal) -> int:
    now = utc_now()
    rows = await Organisation.insert(
        Organisation(
            name="HTX Quảng Phú",
            tax_code=f"{person.account_id:010d}",
            address="Thôn Đông",
            created_by=person.account_id,
            created_at=now,
        )
    ).returning(Organisation.id)
    organisation = int(rows[0]["id"])
    await Membership.insert(
        Membership(
            member_key=f"{organisation}:{person.account_id}",
            organisation=organisation,
            account=person.account_id,
            role="owner",
            created_at=now,
        )
    )
    return organisation


@pytest.fixture
async def open_browsers(dossiers_app: Litestar) -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


# ----------------------------------------------------------------- one draft a place


async def test_starting_again_gives_back_the_draft_unless_another_is_asked(
    runtime: DossiersRuntime, people: PersonFactory, clock: Clock
) -> None:
    hoa = await people()
    first, created = await start(runtime, hoa)
    again, created_again = await start(runtime, hoa)
    assert created and not created_again and again.id == first.id
    # For her organisation, and at another place: other drafts, each given back too.
    organisation = await organisation_of(hoa)
    for_org, created = await start(runtime, hoa, organisation_id=organisation)
    assert created and for_org.id != first.id
    assert (await start(runtime, hoa, organisation_id=organisation))[0].id == for_org.id
    here, _ = await start(runtime, hoa, CERTIFY, agency_code=HAC_THANH)
    there, _ = await start(runtime, hoa, CERTIFY, agency_code=NGA_AN)
    assert here.id != there.id
    assert (await start(runtime, hoa, CERTIFY, agency_code=NGA_AN))[0].id == there.id
    # Somebody else starting the same procedure gets their own.
    lan = await people()
    assert (await start(runtime, lan))[0].id != first.id

    # Asked for: a second draft (a parent filing for two children).
    clock.advance(minutes=1)
    second, created = await start(runtime, hoa, another=True)
    assert created and second.id not in {first.id, for_org.id}
    # "Bắt đầu" then opens the one last worked on.
    clock.advance(minutes=1)
    await service.update_draft(runtime, hoa, first.id, DraftUpdate(form_data=ANSWERS))
    assert (await start(runtime, hoa))[0].id == first.id
    clock.advance(minutes=1)
    await service.update_draft(runtime, hoa, second.id, DraftUpdate(form_data=ANSWERS))
    assert (await start(runtime, hoa))[0].id == second.id
    assert len(await drafts_of(hoa.account_id)) == 5
    # With the first deleted, the second is the one: no new draft is made.
    await service.delete_draft(hoa, first.id, runtime.attachments.storage)
    assert (await start(runtime, hoa))[0].id == second.id
    # Once submitted, a draft is not given back: the next "Bắt đầu" makes a new one.
    for component in second.components:
        if component.required and component.uploadable:
            await service.add_file(runtime, hoa, second.id, photo(), component_id=component.id)
    await service.submit(runtime, hoa, second.id)
    after, created = await start(runtime, hoa)
    assert created and after.id != second.id
    # A key is still its owner's alone, whatever is asked with it.
    stolen = DraftCreate(procedure_code=PROCEDURE, draft_key=new_key(), another=True)
    await service.create_draft(runtime, lan, stolen)
    with pytest.raises(Conflict):
        await service.create_draft(runtime, hoa, stolen)


async def test_two_starts_at_once_make_one_draft(
    runtime: DossiersRuntime, people: PersonFactory
) -> None:
    hoa = await people()
    # Eight taps or tabs at once, each with its own key.
    made = await asyncio.gather(*(start(runtime, hoa) for _ in range(8)))
    assert len({dossier.id for dossier, _ in made}) == 1
    assert [created for _, created in made].count(True) == 1
    assert len(await drafts_of(hoa.account_id)) == 1
    # The same key sent four times at once (a replayed request): one draft too.
    lan = await people()
    data = DraftCreate(procedure_code=CERTIFY, draft_key=new_key(), agency_code=HAC_THANH)
    replays = await asyncio.gather(*(service.create_draft(runtime, lan, data) for _ in range(4)))
    assert len({dossier.id for dossier, _ in replays}) == 1
    assert len(await drafts_of(lan.account_id)) == 1
    # Further drafts asked for at once are each made: they were asked for.
    more = await asyncio.gather(*(start(runtime, hoa, another=True) for _ in range(3)))
    assert all(created for _, created in more)
    assert len(await drafts_of(hoa.account_id)) == 4


async def test_the_api_gives_the_draft_back_and_keeps_idempotency_keys(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    browser = hoa.browser
    headers = await browser.headers()

    def body(**extra: object) -> dict[str, object]:
        return {"procedure_code": PROCEDURE, "draft_key": new_key(), **extra}

    # Two "Bắt đầu" at once: one draft, made once (201) and given back (200).
    pair = await asyncio.gather(
        *(browser.client.post("/api/dossiers", json=body(), headers=headers) for _ in range(2))
    )
    assert sorted(r.status_code for r in pair) == [200, 201], [r.text for r in pair]
    assert pair[0].json()["id"] == pair[1].json()["id"]
    dossier_id = pair[0].json()["id"]
    # An Idempotency-Key replay is answered as the first time, marked as a replay.
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    asked = body(another=True)
    first = await browser.client.post("/api/dossiers", json=asked, headers=keyed)
    replay = await browser.client.post("/api/dossiers", json=asked, headers=keyed)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"] != dossier_id
    # The same key with another request is refused; a wrong field too.
    other = await browser.client.post("/api/dossiers", json=body(), headers=keyed)
    assert other.status_code == 422
    wrong = await browser.client.post("/api/dossiers", json=body(another="yes"), headers=headers)
    assert wrong.status_code == 400
    assert len(await drafts_of(hoa.principal.account_id)) == 2


async def test_a_draft_moved_to_where_one_is_keeps_both(
    runtime: DossiersRuntime, people: PersonFactory
) -> None:
    hoa = await people()
    here, _ = await start(runtime, hoa, CERTIFY, agency_code=HAC_THANH)
    there, _ = await start(runtime, hoa, CERTIFY, agency_code=NGA_AN)
    moved = await service.update_draft(runtime, hoa, there.id, DraftUpdate(agency_code=HAC_THANH))
    assert moved.receiving_agency == HAC_THANH
    kept = await service.get_dossier(runtime, hoa, here.id)
    assert kept.status == "draft" and kept.receiving_agency == HAC_THANH
    # The place it left is free: "Bắt đầu" there makes a new draft.
    assert (await start(runtime, hoa, CERTIFY, agency_code=NGA_AN))[1]


# ------------------------------------------------------------------- going on


def step_of(response: httpx.Response) -> tuple[int, int]:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/ho-so/(\d+)/buoc/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1)), int(found.group(2))


async def press_start(person: Person, **fields: str) -> httpx.Response:
    page = await person.browser.get(f"/p/{PROCEDURE}/nop")
    key = re.search(r'name="draft_key" value="([^"]+)"', page.text)
    assert key
    return await send(person.browser, f"/p/{PROCEDURE}/nop", {"draft_key": key[1], **fields})


async def resume(person: Person, dossier_id: int) -> int:
    found, number = step_of(await person.browser.get(f"/ho-so/{dossier_id}/tiep-tuc"))
    assert found == dossier_id
    return number


async def test_going_on_opens_the_first_step_still_to_do(
    dossiers_app: Litestar, open_browsers: list[Browser], runtime: DossiersRuntime
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    dossier_id, number = step_of(await press_start(hoa))
    assert number == 1
    # A second tap, before anything was saved: the same draft, at its first step.
    assert step_of(await press_start(hoa)) == (dossier_id, 1)
    mine = await hoa.browser.get("/ho-so")
    assert f'href="/ho-so/{dossier_id}/tiep-tuc"' in mine.text
    assert f'href="/ho-so/{dossier_id}/buoc/1"' not in mine.text
    assert await resume(hoa, dossier_id) == 1

    # The applicant confirmed: on to the answers, which are required.
    applicant = {"applicant_name": "Trần Thị Hoa", "applicant_phone": hoa.phone}
    assert step_of(await send(hoa.browser, f"/ho-so/{dossier_id}/buoc/1", applicant))[1] == 2
    assert await resume(hoa, dossier_id) == 2
    await send(hoa.browser, f"/ho-so/{dossier_id}/buoc/2", ANSWERS)
    assert await resume(hoa, dossier_id) == 3
    dossier = await service.get_dossier(runtime, hoa.principal, dossier_id)
    required = [c for c in dossier.components if c.required and c.uploadable]
    await service.add_file(runtime, hoa.principal, dossier_id, photo(), component_id=required[0].id)
    assert await resume(hoa, dossier_id) == 4
    await service.add_file(runtime, hoa.principal, dossier_id, photo(), component_id=required[1].id)
    # Only the optional document is left: the review, which offers to delete the draft.
    assert await resume(hoa, dossier_id) == REVIEW
    review = await hoa.browser.get(f"/ho-so/{dossier_id}/buoc/{REVIEW}")
    assert f'href="/ho-so/{dossier_id}/xoa"' in review.text
    # "Bắt đầu" with the draft there goes on where it stopped, and the page offers it.
    assert step_of(await press_start(hoa)) == (dossier_id, REVIEW)
    page = await hoa.browser.get(f"/p/{PROCEDURE}/nop")
    assert "Bạn đang soạn dở hồ sơ này" in page.text
    assert f'href="/ho-so/{dossier_id}/tiep-tuc"' in page.text
    assert 'name="another" value="1"' in page.text and "Tạo hồ sơ mới" in page.text
    assert_no_inline_code(page.text)
    # An answer removed since: back to that step.
    await service.update_draft(
        runtime, hoa.principal, dossier_id, DraftUpdate(form_data={"case_summary": ""})
    )
    assert await resume(hoa, dossier_id) == 2

    # "Tạo hồ sơ mới": a second draft, from its first step; both are listed.
    second, number = step_of(await press_start(hoa, another="1"))
    assert second != dossier_id and number == 1
    mine = await hoa.browser.get("/ho-so")
    assert f"/ho-so/{dossier_id}/tiep-tuc" in mine.text and f"/ho-so/{second}/tiep-tuc" in mine.text
    # Someone else's draft is not found; a submitted dossier opens its own page.
    lan = await citizen(dossiers_app, open_browsers, "Lê Văn Lâm")
    assert (await lan.browser.get(f"/ho-so/{dossier_id}/tiep-tuc")).status_code == 404
    await service.update_draft(runtime, hoa.principal, dossier_id, DraftUpdate(form_data=ANSWERS))
    await service.submit(runtime, hoa.principal, dossier_id)
    done = await hoa.browser.get(f"/ho-so/{dossier_id}/tiep-tuc")
    assert done.status_code == 303 and done.headers["location"] == f"/ho-so/{dossier_id}"


# ------------------------------------------------------------------- deleting


async def stored(runtime: DossiersRuntime, keys: list[str]) -> list[str]:
    """Those of ``keys`` whose file is still kept."""
    kept = []
    for key in keys:
        with contextlib.suppress(NotFound):
            await runtime.attachments.storage.get(key)
            kept.append(key)
    return kept


async def draft_with_photos(runtime: DossiersRuntime, person: Principal) -> tuple[int, list[str]]:
    dossier, _ = await start(runtime, person, another=True)
    component = next(c for c in dossier.components if c.uploadable)
    for _ in range(2):
        await service.add_file(runtime, person, dossier.id, photo(), component_id=component.id)
    rows = await DossierFile.select(DossierFile.storage_key).where(
        DossierFile.dossier == dossier.id
    )
    keys = [r["storage_key"] for r in rows]
    assert len(await stored(runtime, keys)) == 2
    return dossier.id, keys


async def test_a_draft_is_deleted_with_its_files_after_asking_without_javascript(
    dossiers_app: Litestar, open_browsers: list[Browser], runtime: DossiersRuntime
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    dossier_id, keys = await draft_with_photos(runtime, hoa.principal)
    mine = await hoa.browser.get("/ho-so")
    assert f'href="/ho-so/{dossier_id}/xoa"' in mine.text and "Xóa bản nháp" in mine.text
    ask = await hoa.browser.get(f"/ho-so/{dossier_id}/xoa")
    assert ask.status_code == 200 and "Xóa bản nháp này?" in ask.text
    assert "2 ảnh, tệp đã tải lên sẽ bị xóa hẳn" in ask.text
    assert f'action="/ho-so/{dossier_id}/xoa"' in ask.text and 'name="_csrf_token"' in ask.text
    assert_no_inline_code(ask.text)

    # Without the form's token: refused, nothing deleted.
    forged = await hoa.browser.client.post(f"/ho-so/{dossier_id}/xoa", data={})
    assert forged.status_code == 403
    # Someone else: nothing deleted, nothing said about it.
    lan = await citizen(dossiers_app, open_browsers, "Lê Văn Lâm")
    assert (await lan.browser.get(f"/ho-so/{dossier_id}/xoa")).status_code == 404
    theirs = await send(lan.browser, f"/ho-so/{dossier_id}/xoa", {})
    assert theirs.status_code == 303 and theirs.headers["location"] == "/ho-so"
    assert await drafts_of(hoa.principal.account_id) == [dossier_id]

    gone = await send(hoa.browser, f"/ho-so/{dossier_id}/xoa", {})
    assert gone.status_code == 303 and gone.headers["location"] == "/ho-so?xong=xoa"
    told = await hoa.browser.get(gone.headers["location"])
    assert "Đã xóa bản nháp cùng các ảnh, tệp của nó." in told.text
    assert f"/ho-so/{dossier_id}/" not in told.text
    assert await drafts_of(hoa.principal.account_id) == []
    assert await DossierFile.count().where(DossierFile.dossier == dossier_id) == 0
    assert await stored(runtime, keys) == []
    # A second tap finds nothing to delete and lands on the list.
    twice = await send(hoa.browser, f"/ho-so/{dossier_id}/xoa", {})
    assert twice.status_code == 303 and twice.headers["location"] == "/ho-so"

    # A submitted dossier is not a draft: its page instead, and it stays.
    submitted, _ = await start(runtime, hoa.principal)
    await service.update_draft(runtime, hoa.principal, submitted.id, DraftUpdate(form_data=ANSWERS))
    for component in submitted.components:
        if component.required and component.uploadable:
            await service.add_file(
                runtime, hoa.principal, submitted.id, photo(), component_id=component.id
            )
    await service.submit(runtime, hoa.principal, submitted.id)
    for response in (
        await hoa.browser.get(f"/ho-so/{submitted.id}/xoa"),
        await send(hoa.browser, f"/ho-so/{submitted.id}/xoa", {}),
    ):
        assert response.status_code == 303
        assert response.headers["location"] == f"/ho-so/{submitted.id}"
    assert (await service.get_dossier(runtime, hoa.principal, submitted.id)).status == "submitted"


async def test_the_api_deletes_drafts_only(
    dossiers_app: Litestar, open_browsers: list[Browser], runtime: DossiersRuntime
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    lan = await citizen(dossiers_app, open_browsers, "Lê Văn Lâm")
    dossier_id, keys = await draft_with_photos(runtime, hoa.principal)
    # Someone else's: not found, and kept.
    assert (await lan.browser.delete(f"/api/dossiers/{dossier_id}")).status_code == 404
    assert len(await stored(runtime, keys)) == 2
    deleted = await hoa.browser.delete(f"/api/dossiers/{dossier_id}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await hoa.browser.get(f"/api/dossiers/{dossier_id}")).status_code == 404
    assert await stored(runtime, keys) == []
    assert (await hoa.browser.delete(f"/api/dossiers/{dossier_id}")).status_code == 404
    assert (await hoa.browser.delete("/api/dossiers/2147483648")).status_code == 404

    # Submitted: refused (409), files and all kept.
    submitted_id, submitted_keys = await draft_with_photos(runtime, hoa.principal)
    await service.update_draft(runtime, hoa.principal, submitted_id, DraftUpdate(form_data=ANSWERS))
    draft = await service.get_dossier(runtime, hoa.principal, submitted_id)
    for component in draft.components:
        if component.required and component.uploadable:
            await service.add_file(
                runtime, hoa.principal, submitted_id, photo(), component_id=component.id
            )
    await service.submit(runtime, hoa.principal, submitted_id)
    refused = await hoa.browser.delete(f"/api/dossiers/{submitted_id}")
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await hoa.browser.get(f"/api/dossiers/{submitted_id}")).status_code == 200
    assert await stored(runtime, submitted_keys) == submitted_keys


# ------------------------------------------------------------------- upgrading


async def _before_the_rule() -> None:
    """Every app's migrations dated before the one-draft rule, in dependency order."""
    manager = BaseMigrationManager()
    for app in manager.get_sorted_app_names():
        folder = manager.get_app_config(app).resolved_migrations_folder_path
        ids = sorted(i for i in manager.get_migration_modules(folder) if i < ONE_DRAFT)
        if ids:
            with contextlib.redirect_stdout(io.StringIO()):
                result = await run_forwards(app_name=app, migration_id=ids[-1])
            assert result.success, result.message


_OLD_DOSSIER = (
    "INSERT INTO dossiers_dossier (draft_key, procedure_code, procedure_name_vi,"
    " procedure_name_en, processing_days, receiving_agency, agency_code, status, channel,"
    " owner_id, organisation_id, created_at, updated_at)"
    " VALUES ({}, {}, 'Trợ giúp pháp lý', 'Legal aid', 10, {}, {}, {}, 'online', {}, {}, {}, {})"
    " RETURNING id"
)
_OLD_FILE = (
    "INSERT INTO dossiers_file (dossier, purpose, component_id, storage_key, media_type, size,"
    " display_name, sha256, created_at)"
    " VALUES ({}, 'component', 1, {}, 'image/jpeg', 10, 'anh.jpg', {}, {})"
)
AGENCY = "000.00.12.H56"


async def test_duplicate_drafts_made_before_upgrade_cleanly(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = await make_settings(tmp_path_factory.mktemp("drafts-upgrade"), "draftsupgrade")
    database = Database(settings)
    await database.open()
    try:
        await _before_the_rule()
        t0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
        later = t0 + dt.timedelta(hours=1)

        async def old(
            touched: bool = False,
            owner: int = 1,
            organisation: int | None = None,
            status: str = "draft",
            at: dt.datetime = t0,
        ) -> int:
            rows = await fetch(
                _OLD_DOSSIER,
                new_key(),
                PROCEDURE,
                AGENCY,
                AGENCY,
                status,
                owner,
                organisation,
                at,
                at + dt.timedelta(minutes=5) if touched else at,
            )
            return int(rows[0]["id"])

        async with write_transaction():
            # Hoa pressed "Bắt đầu" four times: two untouched, one with answers, one
            # with a photo (and nothing saved after it).
            untouched = [await old(), await old()]
            answered = await old(touched=True, at=later)
            with_photo = await old()
            await fetch(_OLD_FILE, with_photo, uuid.uuid4().hex, "0" * 64, t0)
            # For her organisation: three untouched ones, the newest stays.
            for_org = [await old(organisation=7) for _ in range(3)]
            # Lan's single untouched draft, and a submitted dossier of Hoa's.
            alone = await old(owner=2)
            submitted = await old(status="submitted")

        assert await database.pending_migrations() > 0
        applied = await database.migrate()
        assert ONE_DRAFT in applied and await database.pending_migrations() == 0

        rows = await fetch("SELECT id, another_draft FROM dossiers_dossier ORDER BY id")
        found = {r["id"]: bool(r["another_draft"]) for r in rows}
        # What held nothing typed is gone; work is kept, the one last worked on first.
        assert found == {
            answered: False,
            with_photo: True,
            for_org[-1]: False,
            alone: False,
            submitted: False,
        }
        assert not set(untouched) & set(found)
        assert await fetch("SELECT dossier FROM dossiers_file") == [{"dossier": with_photo}]

        # The index now holds: a second draft in the same place is refused by the
        # database itself; a further one asked for, or one elsewhere, is not.
        with pytest.raises((sqlite3.IntegrityError, asyncpg.UniqueViolationError)):
            async with write_transaction():
                await old()
        async with write_transaction():
            await fetch("UPDATE dossiers_dossier SET another_draft = TRUE WHERE id = {}", alone)
            await old(owner=2)
            await old(organisation=8)
        if settings.database_url is None:
            assert (await fetch("PRAGMA integrity_check"))[0]["integrity_check"] == "ok"
    finally:
        await database.close()
