"""Fixtures of the accounts tests: one app (cheap argon2, generous rate limits unless a
test asks otherwise), a controllable clock, and "browsers" that carry a software
passkey authenticator."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from litestar import Litestar

from backend.accounts import service
from backend.accounts.runtime import AccountsRuntime, utc_now
from backend.accounts.schemas import StaffCreate
from backend.app import create_app
from backend.db import Database
from backend.settings import Settings
from tests.accounts.helpers import AGENCY, Browser, Clock, enrol, new_browser
from tests.support.asgi import lifespan


def fast_settings(settings: Settings, **changes: object) -> Settings:
    defaults: dict[str, object] = {
        "argon2_memory_kib": 64,
        "argon2_time_cost": 1,
        "auth_rate_per_address": 100_000,
        "auth_rate_per_account": 100_000,
    }
    return dataclasses.replace(settings, **{**defaults, **changes})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def accounts_app(settings: Settings, database: Database) -> AsyncIterator[Litestar]:
    app = create_app(fast_settings(settings))
    async with lifespan(app):
        yield app


@pytest.fixture
def runtime(accounts_app: Litestar) -> AccountsRuntime:
    runtime: AccountsRuntime = accounts_app.state["accounts"]
    return runtime


@pytest.fixture
def clock(runtime: AccountsRuntime) -> Iterator[Clock]:
    """The app's clock, under the test's control (the real one comes back after)."""
    clock = Clock(utc_now())
    runtime.now = clock
    yield clock
    runtime.now = utc_now


BrowserFactory = Callable[..., Awaitable[Browser]]


@pytest.fixture
async def browsers(accounts_app: Litestar) -> AsyncIterator[BrowserFactory]:
    opened: list[Browser] = []

    async def make(**kwargs: object) -> Browser:
        browser = await new_browser(accounts_app, **kwargs)  # type: ignore[arg-type]
        opened.append(browser)
        return browser

    yield make
    for browser in opened:
        await browser.close()


@pytest.fixture
async def browser(browsers: BrowserFactory) -> Browser:
    return await browsers()


StaffFactory = Callable[..., Awaitable[tuple[Browser, int]]]


@pytest.fixture
def staff(browsers: BrowserFactory, runtime: AccountsRuntime) -> StaffFactory:
    """An official of an agency, created as ``motcua create-staff`` does and enrolled
    through their link; returns their browser (signed in) and account id."""

    async def make(role: str = "reception", agency: str = AGENCY) -> tuple[Browser, int]:
        created = await service.create_staff(
            runtime,
            StaffCreate(full_name=f"Cán bộ {role}", role=role, agency_code=agency),  # type: ignore[arg-type]
        )
        browser = await browsers()
        response = await enrol(browser, created.enrolment.url)
        assert response.status_code == 201, response.text
        return browser, created.official.id

    return make


CitizenFactory = Callable[..., Awaitable[tuple[Browser, int]]]


@pytest.fixture
def citizen(browsers: BrowserFactory) -> CitizenFactory:
    """A signed-up (and signed-in) resident: their browser and account id."""

    async def make(**fields: object) -> tuple[Browser, int]:
        browser = await browsers()
        result = await browser.sign_up(**fields)
        browser.recovery_codes = result["recovery_codes"]
        return browser, int(result["account"]["id"])

    return make
