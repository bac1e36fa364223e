"""Recovery codes (keyed HMACs, single use, rate-limited) and re-enrolment links
issued at a counter."""

from __future__ import annotations

import dataclasses

import pytest
from litestar import Litestar

from backend.accounts.tables import Passkey, RecoveryCode, Session
from backend.app import create_app
from backend.settings import Settings
from tests.accounts.conftest import BrowserFactory, CitizenFactory, StaffFactory, fast_settings
from tests.accounts.helpers import (
    ORIGIN,
    Browser,
    audit_events,
    enrol,
    new_browser,
    scan,
    token_of,
)
from tests.support.asgi import lifespan
from tests.support.authenticator import SoftAuthenticator


async def test_codes_are_stored_as_keyed_hmacs(citizen: CitizenFactory) -> None:
    person, account_id = await citizen()
    rows = await RecoveryCode.select(RecoveryCode.code_hash).where(
        RecoveryCode.account == account_id
    )
    assert len(rows) == 10
    assert all(row["code_hash"].startswith("hmac-sha256$") for row in rows)
    stored = " ".join(row["code_hash"] for row in rows)
    assert not any(code in stored for code in person.recovery_codes)


async def test_a_code_signs_in_once_and_ends_every_other_session(
    citizen: CitizenFactory, browsers: BrowserFactory
) -> None:
    person, account_id = await citizen()
    lost_phone = person
    new_phone = await browsers()
    code = person.recovery_codes[3]
    typed = code.lower().replace("-", " ")  # as a person might type it
    response = await new_phone.post("/api/auth/recovery", {"phone": person.phone, "code": typed})
    assert response.status_code == 200, response.text
    assert response.json()["next"] == "/tai-khoan/thiet-bi?them-khoa=1"
    assert (await lost_phone.get("/api/account/")).status_code == 401
    assert await Session.count().where(Session.account == account_id) == 1
    # Straight on to a new passkey.
    added = await new_phone.add_passkey(SoftAuthenticator("EdDSA"))
    assert added.status_code == 201
    # The same code again fails, from anywhere.
    again = await (await browsers()).post(
        "/api/auth/recovery", {"phone": person.phone, "code": code}
    )
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "recovery_failed"
    events = [e["event"] for e in await audit_events(account_id)]
    assert "recovery_used" in events and "recovery_failed" in events
    used = await audit_events(account_id, "recovery_used")
    assert used[-1]["details"] == {"codes_left": 9}


@pytest.mark.parametrize("code", ["AAAA-BBBB-CCCC", "", "x" * 40])
async def test_wrong_codes_and_unknown_phones(
    citizen: CitizenFactory, browsers: BrowserFactory, code: str
) -> None:
    person, _ = await citizen()
    stranger = await browsers()
    wrong = await stranger.post("/api/auth/recovery", {"phone": person.phone, "code": code})
    assert wrong.status_code in {400, 401}
    unknown = await stranger.post(
        "/api/auth/recovery", {"phone": "0399999999", "code": person.recovery_codes[0]}
    )
    assert unknown.status_code == 401
    # The same message either way: no way to learn which numbers have accounts.
    if wrong.status_code == 401:
        assert wrong.json()["error"]["message_en"] == unknown.json()["error"]["message_en"]
    assert stranger.session is None


async def test_recovery_is_rate_limited_per_account(settings: Settings, database: object) -> None:
    limited = dataclasses.replace(fast_settings(settings), auth_rate_per_account=3)
    app: Litestar = create_app(limited)
    async with lifespan(app):
        person = await new_browser(app)
        result = await person.sign_up()
        tries = [await new_browser(app) for _ in range(4)]  # 4 addresses: per-account limit
        statuses = [
            (
                await b.post(
                    "/api/auth/recovery", {"phone": person.phone, "code": "AAAA-AAAA-AAAA"}
                )
            ).status_code
            for b in tries
        ]
        assert statuses == [401, 401, 401, 429]
        last = await (await new_browser(app)).post(
            "/api/auth/recovery", {"phone": person.phone, "code": result["recovery_codes"][0]}
        )
        assert last.status_code == 429 and int(last.headers["retry-after"]) > 0
        for browser in [person, *tries]:
            await browser.close()


async def test_new_codes_replace_the_old_ones(
    citizen: CitizenFactory, browsers: BrowserFactory
) -> None:
    person, _ = await citizen()
    renewed = await person.post("/api/account/recovery-codes")
    assert renewed.status_code == 201
    codes = renewed.json()["codes"]
    assert len(codes) == 10 and not set(codes) & set(person.recovery_codes)
    old = await (await browsers()).post(
        "/api/auth/recovery", {"phone": person.phone, "code": person.recovery_codes[0]}
    )
    assert old.status_code == 401
    new = await (await browsers()).post(
        "/api/auth/recovery", {"phone": person.phone, "code": codes[0]}
    )
    assert new.status_code == 200


async def test_re_enrolment_at_a_counter(
    citizen: CitizenFactory, staff: StaffFactory, browsers: BrowserFactory
) -> None:
    person, account_id = await citizen()
    officer, officer_id = await staff("reception")
    unchecked = await officer.post(
        "/api/staff/reenrolments", {"phone": person.phone, "identity_checked": False}
    )
    assert unchecked.status_code == 422 and unchecked.json()["error"]["field"] == "identity_checked"
    issued = await officer.post(
        "/api/staff/reenrolments", {"phone": person.phone, "identity_checked": True}
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["account_id"] == account_id
    audit = await audit_events(account_id, "reenrolment_issued")
    assert audit[-1]["actor_id"] == officer_id

    [url] = scan(issued.json()["qr_svg"])
    new_phone = await browsers()
    enrolled = await enrol(new_phone, url)
    assert enrolled.status_code == 201, enrolled.text
    assert len(enrolled.json()["recovery_codes"]) == 10
    # The passkey is added and the old codes are gone; the old passkey and session stay
    # (they are told, and may disown it: test_reenrolment.py); the new phone signs in.
    assert await Passkey.count().where(Passkey.account == account_id) == 2
    assert (await person.get("/api/account/")).status_code == 200
    old_code = await (await browsers()).post(
        "/api/auth/recovery", {"phone": person.phone, "code": person.recovery_codes[0]}
    )
    assert old_code.status_code == 401
    fresh = await browsers(authenticator=new_phone.authenticator)
    assert (await fresh.sign_in()).status_code == 200
    # The link works once.
    other = await browsers()
    options = await other.post("/api/auth/enrolment/options", {"token": token_of(url)})
    assert options.status_code == 410 and options.json()["error"]["code"] == "link_unusable"


async def test_recovery_codes_are_for_citizens(staff: StaffFactory) -> None:
    official, _ = await staff("leader")
    assert (await official.post("/api/account/recovery-codes")).status_code == 403


async def test_unknown_phone_at_the_counter(staff: StaffFactory) -> None:
    officer, _ = await staff("reception")
    response = await officer.post(
        "/api/staff/reenrolments", {"phone": "0399999998", "identity_checked": True}
    )
    assert response.status_code == 404 and response.json()["error"]["field"] == "phone"


async def test_enrolment_browser_must_use_its_own_challenge(
    citizen: CitizenFactory, staff: StaffFactory, browsers: BrowserFactory
) -> None:
    """An enrolment challenge is bound to its link's account."""
    person, _ = await citizen()
    officer, _ = await staff("reception")
    issued = (
        await officer.post(
            "/api/staff/reenrolments", {"phone": person.phone, "identity_checked": True}
        )
    ).json()
    [url] = scan(issued["qr_svg"])
    token = token_of(url)
    browser: Browser = await browsers()
    options = (await browser.post("/api/account/passkeys/options")).status_code
    assert options == 401
    enrol_options = (await browser.post("/api/auth/enrolment/options", {"token": token})).json()
    credential = browser.authenticator.create(enrol_options, ORIGIN, uv=False)
    refused = await browser.post("/api/auth/enrolment", {"token": token, "credential": credential})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "user_not_verified"
    # A refused response does not spend the link.
    assert (await enrol(browser, url)).status_code == 201
