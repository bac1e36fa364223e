"""The dossier pages composed of other domains' blocks: the citizen's page draws the
slot "dossier.citizen", the receipt "dossier.receipt", the officials' page
"dossier.console", each with the dossier as its subject; another domain's refused
form shows the officials' page again (``Console.page_again``) with its errors in the
summary and its state given to its block only. And the console's shared navigation,
with the dossiers' section."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar, Request, post
from litestar.params import FromPath
from litestar.response import Template

from backend.accounts import service as accounts
from backend.accounts.guards import require_official
from backend.accounts.schemas import Principal, StaffCreate
from backend.app import create_app
from backend.db import Database
from backend.dossiers.schemas import DossierRead
from backend.settings import Settings
from backend.web.blocks import Block, BlockState
from backend.web.console import console_of
from backend.web.forms import FormErrors
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser, enrol, new_browser
from tests.dossiers.conftest import AGENCY, submitted
from tests.support.asgi import lifespan

# A template every deployment has, that says it was drawn: the dossier pages' styles.
PROBE_TEMPLATE = "dossiers/_head.html"
PROBE_MESSAGE = "Khối thử: chưa đánh dấu xác nhận."


@dataclass
class Probe:
    """A block of a make-believe domain: what it was asked to draw."""

    seen: list[tuple[str, int, BlockState | None]] = field(default_factory=list)

    def source(self, slot: str) -> Any:
        async def draw(request: Any, dossier: DossierRead, state: BlockState | None) -> Block:
            self.seen.append((slot, dossier.id, state))
            return Block(PROBE_TEMPLATE, view=dossier.code)

        return draw


@post("/can-bo/ho-so/{dossier_id:int}/khoi-thu", guards=[require_official])
async def refused_probe_form(
    request: Request[Any, Any, Any], dossier_id: FromPath[int]
) -> Template:
    """What another domain's handler does with a refused form of its block."""
    state = BlockState("probe", FormErrors([("probe-confirm", PROBE_MESSAGE)]), {"confirm": ""})
    return await console_of(request).page_again("dossier", request, dossier_id, state, 422)


@pytest.fixture(scope="module")
async def probed(settings: Settings, database: Database) -> AsyncIterator[tuple[Litestar, Probe]]:
    app = create_app(fast_settings(settings))
    probe = Probe()
    for slot in ("dossier.citizen", "dossier.receipt", "dossier.console"):
        app.state["blocks"].add(slot, "probe", probe.source(slot))
    app.register(refused_probe_form)
    async with lifespan(app):
        yield app, probe


async def signed_in_citizen(app: Litestar) -> tuple[Browser, Principal]:
    browser = await new_browser(app)
    result = await browser.sign_up(full_name="Đinh Thị Khối")
    principal = Principal(
        account_id=int(result["account"]["id"]),
        kind="citizen",
        name="Đinh Thị Khối",
        role=None,
        agency_code=None,
        session_id="test",
    )
    return browser, principal


async def official(app: Litestar, role: str) -> Browser:
    created = await accounts.create_staff(
        app.state["accounts"],
        StaffCreate(full_name=f"Cán bộ {role}", role=role, agency_code=AGENCY),  # type: ignore[arg-type]
    )
    browser = await new_browser(app)
    assert (await enrol(browser, created.enrolment.url)).status_code == 201
    return browser


async def test_both_dossier_pages_draw_the_blocks_of_their_slot(
    probed: tuple[Litestar, Probe],
) -> None:
    app, probe = probed
    citizen, principal = await signed_in_citizen(app)
    reception = await official(app, "reception")
    try:
        dossier = await submitted(app.state["dossiers"], principal)
        probe.seen.clear()
        page = await citizen.get(f"/ho-so/{dossier.id}")
        receipt = await citizen.get(f"/ho-so/{dossier.id}/bien-nhan")
        assert page.status_code == receipt.status_code == 200
        # Once in the page's head, once drawn as the block.
        assert page.text.count("styles/dossiers.css") == 2
        assert receipt.text.count("styles/dossiers.css") == 2
        console = await reception.get(f"/can-bo/ho-so/{dossier.id}")
        assert console.status_code == 200 and "styles/dossiers.css" in console.text
        assert probe.seen == [
            ("dossier.citizen", dossier.id, None),
            ("dossier.receipt", dossier.id, None),
            ("dossier.console", dossier.id, None),
        ]
    finally:
        await citizen.close()
        await reception.close()


async def test_a_block_refused_form_shows_the_officials_page_again(
    probed: tuple[Litestar, Probe],
) -> None:
    app, probe = probed
    _, principal = await signed_in_citizen(app)
    reception = await official(app, "reception")
    try:
        dossier = await submitted(app.state["dossiers"], principal)
        await reception.headers()  # the csrftoken cookie
        probe.seen.clear()
        again = await reception.client.post(
            f"/can-bo/ho-so/{dossier.id}/khoi-thu",
            data={"_csrf_token": reception.client.cookies["csrftoken"]},
        )
        assert again.status_code == 422
        assert again.headers["cache-control"] == "no-store"
        summary = re.search(r'<div class="error-summary" role="alert".*?</div>', again.text, re.S)
        assert summary and f'<a href="#probe-confirm">{PROBE_MESSAGE}</a>' in summary.group(0)
        assert 'id="action-receive"' in again.text, "the dossier's own steps are still offered"
        [(slot, dossier_id, state)] = probe.seen
        assert (slot, dossier_id) == ("dossier.console", dossier.id)
        assert state is not None and state.block == "probe" and state.value("confirm") == ""
    finally:
        await reception.close()


async def test_the_console_navigation_names_every_section(probed: tuple[Litestar, Probe]) -> None:
    app, _ = probed
    reception = await official(app, "reception")
    leader = await official(app, "leader")
    try:
        home = await reception.get("/can-bo")
        nav = re.search(r'<nav class="console-nav".*?</nav>', home.text, re.S)
        assert nav, "no console navigation"
        links = nav.group(0)
        assert 'href="/can-bo" id="nav-dossiers" aria-current="page"' in links
        assert 'id="nav-feedback"' in links and 'id="nav-ratings"' in links
        assert 'id="nav-stats"' not in links, "the figures are the leaders'"
        assert 'id="nav-stats"' in (await leader.get("/can-bo")).text
        entry = await reception.get("/can-bo/nhap-ho-so")
        assert 'id="nav-dossiers" aria-current="page"' in entry.text
    finally:
        await reception.close()
        await leader.close()
