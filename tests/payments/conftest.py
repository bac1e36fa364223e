"""Fixtures of the payments tests: an app with every gateway a test can reach (the
sandbox, VietQR with a known webhook secret), its runtimes on one controllable clock,
people made straight in the database, and dossiers that owe fees: at a department (the
driving licence exchange: 115.000 đồng online, 135.000 at the counter, paid before
reception) and at a ward (a copy of a civil status extract: 8.000 đồng)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from litestar import Litestar

from backend.accounts import service as accounts
from backend.accounts.schemas import OrganisationCreate, Principal
from backend.accounts.service import Client
from backend.accounts.validation import tax_code_check_digit
from backend.app import create_app
from backend.db import Database
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.runtime import utc_now as dossiers_utc_now
from backend.dossiers.schemas import DossierRead, DraftCreate, DraftUpdate
from backend.payments.runtime import PaymentsRuntime
from backend.payments.runtime import utc_now as payments_utc_now
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser, Clock
from tests.conftest import PUBLIC_URL
from tests.dossiers.conftest import MONDAY, people, photo
from tests.support.asgi import lifespan

__all__ = [
    "LICENCE",
    "LICENCE_AGENCY",
    "LICENCE_ANSWERS",
    "VIETQR_ACCOUNT",
    "VIETQR_BANK_BIN",
    "VIETQR_SECRET",
    "WARD",
    "WARD_PROCEDURE",
    "clock",
    "http",
    "open_browsers",
    "organisation_of",
    "payments",
    "payments_app",
    "people",
    "runtime",
    "submitted_at_ward",
    "submitted_with_fees",
]

# Đổi giấy phép lái xe: 135.000 đồng at the counter, 115.000 online; paid before reception.
LICENCE = "1.002809"
LICENCE_AGENCY = "000.00.16.H56"
LICENCE_ANSWERS = {"licence_number": "790123456789", "licence_class": "B", "delivery": "tai_quay"}
# Cấp bản sao trích lục hộ tịch, carried out by every commune: 8.000 đồng a copy, online
# too (a national charge, which the province's online waiver does not touch).
WARD_PROCEDURE = "2.000635"
WARD = "000.01.40.H56"  # Ủy ban nhân dân phường Hạc Thành
VIETQR_BANK_BIN = "970436"
VIETQR_ACCOUNT = "0123456789"
VIETQR_SECRET = "test-vietqr-webhook-secret-0123456789abcdef"
_keys = itertools.count(1)


@pytest.fixture(scope="session")
async def payments_app(settings: Settings, database: Database) -> AsyncIterator[Litestar]:
    app = create_app(
        fast_settings(
            dataclasses.replace(
                settings,
                vietqr_bank_bin=VIETQR_BANK_BIN,
                vietqr_account=VIETQR_ACCOUNT,
                vietqr_webhook_secret=VIETQR_SECRET,
            )
        )
    )
    async with lifespan(app):
        yield app


@pytest.fixture
def runtime(payments_app: Litestar) -> DossiersRuntime:
    runtime: DossiersRuntime = payments_app.state["dossiers"]
    return runtime


@pytest.fixture
def payments(payments_app: Litestar) -> PaymentsRuntime:
    runtime: PaymentsRuntime = payments_app.state["payments"]
    return runtime


@pytest.fixture
def clock(runtime: DossiersRuntime, payments: PaymentsRuntime) -> Iterator[Clock]:
    """One clock for the dossiers and the payments, at a known Monday."""
    clock = Clock(MONDAY)
    runtime.now = clock
    payments.now = clock
    yield clock
    runtime.now = dossiers_utc_now
    payments.now = payments_utc_now


@pytest.fixture
async def http(payments_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client without cookies: a gateway's servers, or a browser signed in nowhere."""
    transport = httpx.ASGITransport(app=payments_app, client=("203.0.113.50", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        yield client


@pytest.fixture
async def open_browsers(payments_app: Litestar) -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


async def organisation_of(app: Litestar, owner: Principal, seed: int) -> int:
    """A company the person owns (a valid tax code made from ``seed``); its id."""
    while True:
        head = f"{seed % 10**9:09d}"
        check = tax_code_check_digit(head)
        if head[2:] != "0000000" and check is not None:
            break
        seed += 1
    organisation = await accounts.register_organisation(
        app.state["accounts"],
        owner,
        OrganisationCreate(
            name="Công ty TNHH Vận tải Sông Mã",
            tax_code=head + str(check),
            address="Số 1 đường Lê Lợi, Thanh Hóa",
        ),
        Client(address="10.0.0.1", device="test"),
    )
    return organisation.id


async def submitted_with_fees(
    runtime: DossiersRuntime,
    citizen: Principal,
    organisation_id: int | None = None,
    *,
    procedure: str = LICENCE,
    agency: str | None = None,
    answers: dict[str, str] | None = None,
) -> DossierRead:
    """A dossier submitted online, by default a driving licence exchange: it owes
    115.000 đồng to the provincial police."""
    draft, _ = await dossiers.create_draft(
        runtime,
        citizen,
        DraftCreate(
            procedure_code=procedure,
            draft_key=f"payments-draft-{next(_keys):06d}-{citizen.account_id}",
            organisation_id=organisation_id,
            agency_code=agency,
        ),
    )
    await dossiers.update_draft(
        runtime,
        citizen,
        draft.id,
        DraftUpdate(
            applicant_name=citizen.name,
            applicant_phone="0912345678",
            form_data=LICENCE_ANSWERS if answers is None else answers,
        ),
    )
    for component in draft.components:
        if component.required and component.uploadable:
            await dossiers.add_file(runtime, citizen, draft.id, photo(), component_id=component.id)
    return await dossiers.submit(runtime, citizen, draft.id)


async def submitted_at_ward(
    runtime: DossiersRuntime,
    citizen: Principal,
    organisation_id: int | None = None,
    agency: str = WARD,
) -> DossierRead:
    """A copy of a civil status extract filed with a ward: it owes 8.000 đồng."""
    return await submitted_with_fees(
        runtime,
        citizen,
        organisation_id,
        procedure=WARD_PROCEDURE,
        agency=agency,
        answers={"copies": "1"},
    )
