"""Fixtures of the privacy tests: the payments tests' app (every domain wired, the
sandbox gateways), people signed up with passkeys through it, and a person with a
bit of everything: a paid dossier with its receipt, a dossier taken to its result and
rated, a draft."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from backend.accounts.schemas import Principal
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import DossierRead
from backend.feedback import service as feedback
from backend.feedback.schemas import RatingIn
from backend.payments import service as payments_service
from backend.payments.runtime import PaymentsRuntime
from tests.accounts.helpers import Browser, new_browser
from tests.dossiers.conftest import PersonFactory, draft_with_files
from tests.feedback.conftest import returned
from tests.payments.conftest import (
    LICENCE_AGENCY,
    clock,
    payments,
    payments_app,
    people,
    runtime,
    submitted_with_fees,
)

__all__ = ["clock", "payments", "payments_app", "people", "runtime"]


@dataclasses.dataclass
class Person:
    browser: Browser
    principal: Principal

    @property
    def id(self) -> int:
        return self.principal.account_id


@pytest.fixture
async def open_browsers() -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


async def sign_up(
    app: Litestar, browsers: list[Browser], name: str, phone: str | None = None
) -> Person:
    """A resident signed up with a passkey (so signed in), holding the CSRF cookie."""
    browser = await new_browser(app)
    browsers.append(browser)
    result = await browser.sign_up(full_name=name, **({"phone": phone} if phone else {}))
    browser.recovery_codes = result["recovery_codes"]
    await browser.headers()
    principal = Principal(
        account_id=int(result["account"]["id"]),
        kind="citizen",
        name=name,
        role=None,
        agency_code=None,
        session_id="test",
    )
    return Person(browser, principal)


@dataclasses.dataclass
class Holdings:
    paid: DossierRead
    rated: DossierRead
    draft: DossierRead


async def give_everything(
    app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    people: PersonFactory,
    person: Person,
) -> Holdings:
    """A dossier paid in cash at the counter (a receipt), one returned and rated, a
    draft with a file."""
    paid = await submitted_with_fees(runtime, person.principal)
    cashier = await people("staff", "reception", agency=LICENCE_AGENCY)
    await payments_service.record_cash(payments, cashier, paid.id, "vi")
    rated, _ = await returned(runtime, people, person.principal)
    await feedback.rate_dossier(
        app.state["feedback"],
        person.principal,
        rated.id,
        RatingIn(overall=4, speed=5, comment="Cán bộ hướng dẫn tận tình"),
    )
    draft = await draft_with_files(runtime, person.principal)
    return Holdings(paid=paid, rated=rated, draft=draft)


async def send_form(browser: Browser, url: str, data: dict[str, Any]) -> httpx.Response:
    """A plain HTML form post, as a browser without JavaScript sends it."""
    token = browser.client.cookies["csrftoken"]
    return await browser.client.post(url, data={"_csrf_token": token, **data})


@dataclasses.dataclass
class Archive:
    data: dict[str, Any]
    text: str
    members: dict[str, bytes]
    manifest: dict[str, str]


def open_archive(body: bytes) -> Archive:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = {}
    for line in members["manifest.sha256"].decode().splitlines():
        digest, name = line.split("  ", 1)
        manifest[name] = digest
    text = members["data.json"].decode()
    return Archive(json.loads(text), text, members, manifest)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def download(person: Person) -> httpx.Response:
    return await send_form(person.browser, "/tai-khoan/du-lieu/tai-ve", {})
