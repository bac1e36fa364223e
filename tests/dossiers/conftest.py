"""Fixtures of the dossiers tests: one app, the dossiers runtime with a controllable
clock, and people (citizens, officials) made straight in the database."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from litestar import Litestar
from PIL import Image

from backend.accounts.schemas import Principal
from backend.accounts.tables import Account
from backend.app import create_app
from backend.attachments import CheckedFile, inspect_upload
from backend.db import Database
from backend.dossiers import service
from backend.dossiers.runtime import DossiersRuntime, utc_now
from backend.dossiers.schemas import DossierRead, DraftCreate, DraftUpdate
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Clock, unique_phone
from tests.support.asgi import lifespan

AGENCY = "000.00.12.H56"  # Sở Tư pháp in the demo catalogue
OTHER_AGENCY = "000.00.13.H56"
# Thủ tục yêu cầu trợ giúp pháp lý: full online, three components, its own form fields.
PROCEDURE = "2.001680"
ANSWERS = {"case_summary": "Tranh chấp đất với hàng xóm", "beneficiary_group": "ngheo"}
# Monday 5 October 2026, 09:00 in Vietnam: no holiday within three weeks.
MONDAY = dt.datetime(2026, 10, 5, 2, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


@pytest.fixture(scope="session")
async def dossiers_app(settings: Settings, database: Database) -> AsyncIterator[Litestar]:
    app = create_app(fast_settings(settings))
    async with lifespan(app):
        yield app


@pytest.fixture
def runtime(dossiers_app: Litestar) -> DossiersRuntime:
    runtime: DossiersRuntime = dossiers_app.state["dossiers"]
    return runtime


@pytest.fixture
def clock(runtime: DossiersRuntime) -> Iterator[Clock]:
    clock = Clock(MONDAY)
    runtime.now = clock
    yield clock
    runtime.now = utc_now


PersonFactory = Callable[..., Awaitable[Principal]]


@pytest.fixture
def people(database: Database) -> PersonFactory:
    async def make(
        kind: str = "citizen", role: str | None = None, agency: str | None = AGENCY, name: str = ""
    ) -> Principal:
        n = next(_ids)
        staff = kind == "staff"
        full_name = name or (f"Cán bộ {role} {n}" if staff else f"Nguyễn Văn {n}")
        rows = await Account.insert(
            Account(
                kind=kind,
                full_name=full_name,
                phone=None if staff else unique_phone(),
                user_handle=f"test-handle-{n}-{dt.datetime.now().timestamp()}",
                role=role if staff else None,
                agency_code=agency if staff else None,
                created_at=utc_now(),
            )
        ).returning(Account.id)
        return Principal(
            account_id=rows[0]["id"],
            kind="staff" if staff else "citizen",
            name=full_name,
            role=role if staff else None,  # type: ignore[arg-type]
            agency_code=agency if staff else None,
            session_id="test",
        )

    return make


def jpeg(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def photo() -> CheckedFile:
    return inspect_upload(jpeg(), "anh.jpg")


async def draft_with_files(
    runtime: DossiersRuntime,
    citizen: Principal,
    procedure: str = PROCEDURE,
    organisation_id: int | None = None,
) -> DossierRead:
    """A complete draft: answers given and every required component uploaded."""
    key = f"draft-key-{next(_ids):06d}-{citizen.account_id}"
    dossier, _ = await service.create_draft(
        runtime,
        citizen,
        DraftCreate(procedure_code=procedure, draft_key=key, organisation_id=organisation_id),
    )
    answers = ANSWERS if procedure == PROCEDURE else {}
    await service.update_draft(runtime, citizen, dossier.id, DraftUpdate(form_data=answers))
    for component in dossier.components:
        if component.required and component.uploadable:
            await service.add_file(runtime, citizen, dossier.id, photo(), component_id=component.id)
    return await service.get_dossier(runtime, citizen, dossier.id)


async def submitted(runtime: DossiersRuntime, citizen: Principal) -> DossierRead:
    draft = await draft_with_files(runtime, citizen)
    return await service.submit(runtime, citizen, draft.id)
