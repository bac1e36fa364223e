"""What an attacker tries against sign-in, sign-up and recovery (issue 15): locking an
owner out with bogus assertions, guessing codes from rotating addresses or across a
window's edge, and telling registered numbers from the answers or the work done."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from litestar import Litestar

from backend.accounts.runtime import AccountsRuntime
from backend.accounts.tables import Account, RecoveryCode
from backend.app import create_app
from backend.clock import utc_now
from backend.outbox.tables import OutboxMessage
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import ORIGIN, Browser, Clock, new_browser, unique_phone
from tests.support.asgi import lifespan

RECOVERY = "/api/auth/recovery"


@pytest.fixture
async def limited(settings: Settings, database: object) -> AsyncIterator[Litestar]:
    """An app allowing 3 attempts per account (or number) in 15 minutes."""
    app = create_app(fast_settings(settings, auth_rate_per_account=3))
    async with lifespan(app):
        yield app


@pytest.fixture
async def opened() -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


async def browser_of(app: Litestar, opened: list[Browser], **kwargs: Any) -> Browser:
    browser = await new_browser(app, **kwargs)
    opened.append(browser)
    return browser


async def test_bogus_assertions_do_not_lock_the_owner_out(
    limited: Litestar, opened: list[Browser]
) -> None:
    """Ten assertions naming someone's passkey with a broken signature, each from
    another address, were counted against the account before the signature was
    checked; now only the senders' addresses pay."""
    owner = await browser_of(limited, opened)
    await owner.sign_up()
    for _ in range(10):
        attacker = await browser_of(limited, opened)
        options = await attacker.sign_in_options()
        forged = owner.authenticator.get(options, ORIGIN, tamper_signature=True)
        response = await attacker.post("/api/auth/passkeys/login", {"credential": forged})
        assert response.status_code == 401, response.text
    again = await browser_of(limited, opened, authenticator=owner.authenticator)
    assert (await again.sign_in()).status_code == 200


async def test_proven_failures_do_count_against_the_account(
    limited: Litestar, opened: list[Browser]
) -> None:
    """A cloned authenticator (its signature is good, its counter went back) is a
    failure of the account's own passkey: three, and the account waits."""
    owner = await browser_of(limited, opened)
    await owner.sign_up()
    assert (await owner.sign_in()).status_code == 200
    for _ in range(3):
        clone = await browser_of(limited, opened, authenticator=owner.authenticator)
        assert (await clone.sign_in(counter_override=0)).status_code == 401
    late = await browser_of(limited, opened, authenticator=owner.authenticator)
    response = await late.sign_in()
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0


@pytest.mark.parametrize("registered", [True, False])
async def test_recovery_guesses_are_limited_per_number_from_any_address(
    limited: Litestar, opened: list[Browser], registered: bool
) -> None:
    """Registered or not, a number takes three guesses in 15 minutes however many
    addresses send them, and the answers are the same for both."""
    phone = unique_phone()
    if registered:
        owner = await browser_of(limited, opened)
        await owner.sign_up(phone=phone)
    answers = []
    for _ in range(4):
        guesser = await browser_of(limited, opened)  # a new address each time
        response = await guesser.post(RECOVERY, {"phone": phone, "code": "AAAA-AAAA-AAAA"})
        answers.append((response.status_code, response.json()["error"]["message_en"]))
    assert [status for status, _ in answers] == [401, 401, 401, 429]
    assert len({message for status, message in answers if status == 401}) == 1
    assert answers[0][1].startswith("The phone number or the recovery code is wrong")


async def test_no_more_guesses_across_a_window_edge(
    limited: Litestar, opened: list[Browser]
) -> None:
    runtime: AccountsRuntime = limited.state["accounts"]
    owner = await browser_of(limited, opened)
    await owner.sign_up()
    clock = Clock(runtime.clock().replace(minute=14, second=58, microsecond=0))
    runtime.now = clock
    try:
        guesser = await browser_of(limited, opened)
        body = {"phone": owner.phone, "code": "AAAA-AAAA-AAAA"}
        assert [(await guesser.post(RECOVERY, body)).status_code for _ in range(3)] == [401] * 3
        clock.advance(seconds=4)  # a new fixed 15-minute window
        assert (await guesser.post(RECOVERY, body)).status_code == 429
    finally:
        runtime.now = utc_now


class CountingHasher(PasswordHasher):
    verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        CountingHasher.verified += 1
        return super().verify(hash, password)


async def test_codes_from_before_still_work_with_the_same_work_for_any_number(
    settings: Settings, database: object, opened: list[Browser]
) -> None:
    """Codes hashed with argon2 before issue 15 still sign in; while any remain, every
    attempt does the same argon2 work, whether the number has an account or not."""
    app = create_app(fast_settings(settings))
    async with lifespan(app):
        runtime: AccountsRuntime = app.state["accounts"]
        runtime.hasher = CountingHasher(time_cost=1, memory_cost=64, parallelism=1)
        owner = await browser_of(app, opened)
        result = await owner.sign_up()
        account_id = int(result["account"]["id"])
        code = "ABCD-EFGH-JKMN"
        await RecoveryCode.insert(
            RecoveryCode(
                account=account_id,
                code_hash=PasswordHasher(time_cost=1, memory_cost=64).hash(code),
                created_at=runtime.clock(),
            )
        )
        runtime.legacy_codes = None
        work = []
        for phone in (owner.phone, unique_phone()):
            CountingHasher.verified = 0
            guesser = await browser_of(app, opened)
            response = await guesser.post(RECOVERY, {"phone": phone, "code": "AAAA-AAAA-AAAA"})
            assert response.status_code == 401
            work.append(CountingHasher.verified)
        assert work == [10, 10]
        recovered = await (await browser_of(app, opened)).post(
            RECOVERY, {"phone": owner.phone, "code": code.lower()}
        )
        assert recovered.status_code == 200, recovered.text


async def test_sign_up_does_not_tell_a_stranger_a_number_is_registered(
    limited: Litestar, opened: list[Browser]
) -> None:
    """Asking to sign up costs nothing, so its answer is the same for any number; only
    a finished passkey registration learns the number is taken, and its owner hears of
    it on their own devices and inbox."""
    owner = await browser_of(limited, opened)
    result = await owner.sign_up()
    owner_id = int(result["account"]["id"])
    stranger = await browser_of(limited, opened)
    fresh = await stranger.post(
        "/api/auth/passkeys/register/options", {"full_name": "Kẻ Khác", "phone": unique_phone()}
    )
    taken = await stranger.post(
        "/api/auth/passkeys/register/options", {"full_name": "Kẻ Khác", "phone": owner.phone}
    )
    assert fresh.status_code == taken.status_code == 200
    assert fresh.json().keys() == taken.json().keys()

    credential = stranger.authenticator.create(taken.json(), ORIGIN)
    finished = await stranger.post("/api/auth/passkeys/register", {"credential": credential})
    assert finished.status_code == 409 and finished.json()["error"]["field"] == "phone"
    assert stranger.session is None
    assert await Account.count().where(Account.phone == owner.phone) == 1
    told = await OutboxMessage.select(OutboxMessage.account_ids).where(
        OutboxMessage.kind == "account.sign_up_attempted"
    )
    ids = [row["account_ids"] for row in told]
    assert [owner_id] in [json.loads(v) if isinstance(v, str) else v for v in ids]


async def test_sign_up_is_limited_per_number(limited: Litestar, opened: list[Browser]) -> None:
    phone = unique_phone()
    statuses = []
    for _ in range(4):
        browser = await browser_of(limited, opened)
        response = await browser.post(
            "/api/auth/passkeys/register/options", {"full_name": "Lê Thị Na", "phone": phone}
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
