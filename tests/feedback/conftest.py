"""Fixtures of the feedback tests: the dossiers tests' app and people, the feedback
runtime with the same controllable clock, returned dossiers and counter tokens."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
from litestar import Litestar

from backend.accounts.schemas import Principal
from backend.accounts.service import RateLimiter
from backend.catalogue import service as catalogue
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.runtime import utc_now as dossiers_now
from backend.dossiers.schemas import ActionIn, DossierRead
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.runtime import utc_now as feedback_now
from backend.feedback.service import visits
from tests.accounts.helpers import Clock
from tests.dossiers.conftest import (
    AGENCY,
    MONDAY,
    PersonFactory,
    dossiers_app,
    people,
    photo,
    runtime,
    submitted,
)

__all__ = ["dossiers_app", "people", "runtime"]

# A counter of the demo catalogue: counter 1 of the provincial one-stop centre.
COUNTER_AGENCY, COUNTER_NUMBER = "000.00.01.H56", 1


@pytest.fixture
def feedback(dossiers_app: Litestar) -> FeedbackRuntime:
    runtime: FeedbackRuntime = dossiers_app.state["feedback"]
    return runtime


# Each test's clock starts a few minutes after the previous test's (same Monday):
# the ratings and feedback of one test are never part of another test's burst.
_STARTS = itertools.count()


@pytest.fixture
def clock(runtime: DossiersRuntime, feedback: FeedbackRuntime) -> Iterator[Clock]:
    clock = Clock(MONDAY + dt.timedelta(minutes=11 * next(_STARTS)))
    runtime.now = feedback.now = clock
    yield clock
    runtime.now, feedback.now = dossiers_now, feedback_now


@pytest.fixture
def limiter(dossiers_app: Litestar) -> RateLimiter:
    limiter: RateLimiter = dossiers_app.state["accounts"].limiter
    return limiter


def visit_code(
    feedback: FeedbackRuntime, agency: str = COUNTER_AGENCY, number: int = COUNTER_NUMBER
) -> str:
    """The code the counter shows now, as its screen would."""
    step = visits.step_of(feedback, feedback.now())
    return visits.code_at(feedback.secret_key, feedback.counter_key_version, agency, number, step)


def wrong_code(
    feedback: FeedbackRuntime,
    n: int = 0,
    agency: str = COUNTER_AGENCY,
    number: int = COUNTER_NUMBER,
) -> str:
    """A six-digit code that is not the counter's now nor the one before (the ``n``th)."""
    step = visits.step_of(feedback, feedback.now())
    valid = {
        visits.code_at(feedback.secret_key, feedback.counter_key_version, agency, number, s)
        for s in (step, step - 1)
    }
    return next(code for m in range(n, n + 3) if (code := f"{m:06d}") not in valid)


def counter_token(
    feedback: FeedbackRuntime, agency: str = COUNTER_AGENCY, number: int = COUNTER_NUMBER
) -> str:
    return catalogue.counter_token(
        feedback.secret_key, feedback.counter_key_version, agency, number
    )


async def _step(
    runtime: DossiersRuntime, who: Principal, dossier_id: int, action: str, **fields: object
) -> DossierRead:
    current = await dossiers.get_dossier(runtime, who, dossier_id)
    return await dossiers.act(
        runtime,
        who,
        dossier_id,
        ActionIn(action=action, version=current.version, **fields),  # type: ignore[arg-type]
    )


async def returned(
    runtime: DossiersRuntime, people: PersonFactory, citizen: Principal
) -> tuple[DossierRead, list[Principal]]:
    """A dossier taken through its whole life to "returned"; and the officials."""
    reception = await people("staff", "reception", agency=AGENCY)
    officer = await people("staff", "processing", agency=AGENCY)
    leader = await people("staff", "leader", agency=AGENCY)
    dossier = await submitted(runtime, citizen)
    await _step(runtime, reception, dossier.id, "receive")
    await _step(runtime, reception, dossier.id, "assign", assignee_id=officer.account_id)
    await _step(runtime, officer, dossier.id, "propose", decision="approve")
    await _step(runtime, leader, dossier.id, "decide", decision="approve")
    await dossiers.add_file(runtime, officer, dossier.id, photo(), component_id=None)
    await _step(runtime, officer, dossier.id, "attach_result")
    done = await _step(runtime, reception, dossier.id, "return_result")
    return done, [reception, officer, leader]


# ------------------------------------------ pages and API (appended by the pages work)

import dataclasses  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

from backend.accounts import service as accounts  # noqa: E402
from backend.accounts.schemas import StaffCreate  # noqa: E402
from tests.accounts.helpers import Browser, enrol, new_browser  # noqa: E402


@dataclasses.dataclass
class Person:
    browser: Browser
    principal: Principal


@pytest.fixture
async def open_browsers() -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


async def citizen_browser(
    app: Litestar, browsers: list[Browser], name: str = "Lê Thị Mai", **options: Any
) -> Person:
    """A resident signed up with a passkey, holding the CSRF cookie."""
    browser = await new_browser(app, **options)
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
    return Person(browser, principal)


async def official_browser(
    app: Litestar, browsers: list[Browser], role: str, agency: str, name: str = ""
) -> Person:
    """An official made as `motcua create-staff` does, enrolled through their link."""
    created = await accounts.create_staff(
        app.state["accounts"],
        StaffCreate(full_name=name or f"Cán bộ {role}", role=role, agency_code=agency),  # type: ignore[arg-type]
    )
    browser = await new_browser(app)
    browsers.append(browser)
    assert (await enrol(browser, created.enrolment.url)).status_code == 201
    await browser.headers()
    principal = Principal(
        account_id=created.official.id,
        kind="staff",
        name=created.official.full_name,
        role=role,  # type: ignore[arg-type]
        agency_code=agency,
        session_id="test",
    )
    return Person(browser, principal)


async def visitor(app: Litestar, browsers: list[Browser], **options: Any) -> Browser:
    """Someone with no account (a phone that just scanned a QR code), with the CSRF
    cookie a first page gives."""
    browser = await new_browser(app, **options)
    browsers.append(browser)
    await browser.headers()
    return browser


async def send_form(
    browser: Browser, url: str, data: dict[str, Any], files: Any = None
) -> httpx.Response:
    """A plain HTML form post, as a browser without JavaScript sends it."""
    token = browser.client.cookies["csrftoken"]
    return await browser.client.post(url, data={"_csrf_token": token, **data}, files=files)
