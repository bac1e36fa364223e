"""Sign-up, sign-in, a second passkey and removal, driven by the software
authenticator; then every bad response, each refused with its own message and
changing nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backend.accounts.tables import Account, Challenge, Passkey, RecoveryCode, Session
from tests.accounts.conftest import BrowserFactory, CitizenFactory
from tests.accounts.helpers import ORIGIN, Browser, Clock, audit_events, unique_phone
from tests.support.authenticator import SoftAuthenticator, b64url_decode, b64url_encode


async def counts() -> tuple[int, int, int, int]:
    return (
        await Account.count(),
        await Passkey.count(),
        await Session.count(),
        await RecoveryCode.count(),
    )


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA", "RS256"])
async def test_sign_up_then_sign_in(browsers: BrowserFactory, algorithm: Any) -> None:
    browser = await browsers(algorithm=algorithm)
    local = unique_phone()
    options = await browser.sign_up_options(
        full_name="  Trần   Văn Bình ", phone=f"+84 {local[1:4]} {local[4:7]} {local[7:]}"
    )
    # The options are the WebAuthn L3 JSON form, with our rules in them.
    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -8, -257]
    assert options["timeout"] == 300_000
    assert options["user"]["displayName"] == "Trần Văn Bình"
    credential = browser.authenticator.create(options, ORIGIN)
    created = await browser.post("/api/auth/passkeys/register", {"credential": credential})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["account"]["full_name"] == "Trần Văn Bình"
    assert body["account"]["phone"] == local
    assert len(body["recovery_codes"]) == 10 and len(set(body["recovery_codes"])) == 10
    first_session = browser.session
    assert first_session

    # Username-less sign-in from a fresh browser holding the same passkey.
    other = await browsers(authenticator=browser.authenticator)
    options = await other.sign_in_options()
    assert options.get("allowCredentials", []) == []
    assert options["userVerification"] == "required"
    signed_in = await other.post(
        "/api/auth/passkeys/login",
        {"credential": other.authenticator.get(options, ORIGIN), "next": "/to-chuc"},
    )
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["next"] == "/to-chuc"
    assert other.session and other.session != first_session
    me = await other.get("/api/account/")
    assert me.json()["id"] == body["account"]["id"]
    events = [e["event"] for e in await audit_events(body["account"]["id"])]
    assert events[:2] == ["sign_up", "sign_in"]


async def test_sign_in_never_redirects_off_site(
    citizen: CitizenFactory, browsers: BrowserFactory
) -> None:
    person, _ = await citizen()
    other = await browsers(authenticator=person.authenticator)
    options = await other.sign_in_options()
    response = await other.post(
        "/api/auth/passkeys/login",
        {"credential": other.authenticator.get(options, ORIGIN), "next": "//evil.example/"},
    )
    assert response.json()["next"] == "/"


async def test_second_passkey_then_removal(
    citizen: CitizenFactory, browsers: BrowserFactory
) -> None:
    person, account_id = await citizen()
    phone = SoftAuthenticator("EdDSA")
    added = await person.add_passkey(phone, name="Điện thoại của con")
    assert added.status_code == 201, added.text
    assert added.json()["name"] == "Điện thoại của con"
    listed = (await person.get("/api/account/passkeys")).json()
    assert [p["name"] for p in listed][1] == "Điện thoại của con"

    # The new phone signs in on its own.
    second = await browsers(authenticator=phone)
    assert (await second.sign_in()).status_code == 200

    # The same phone cannot be added twice (the options exclude it).
    options = (await person.post("/api/account/passkeys/options")).json()
    assert {c["id"] for c in options["excludeCredentials"]} == {
        b64url_encode(c.id) for c in person.authenticator.credentials + phone.credentials
    }

    removed = await person.delete(f"/api/account/passkeys/{listed[0]['id']}")
    assert removed.status_code == 204
    # The removed passkey no longer signs in.
    again = await browsers(authenticator=person.authenticator)
    refused = await again.sign_in()
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unknown_credential"
    # The last passkey cannot be removed.
    last = await person.delete(f"/api/account/passkeys/{listed[1]['id']}")
    assert last.status_code == 409
    assert "duy nhất" in last.json()["error"]["message_vi"]
    events = [e["event"] for e in await audit_events(account_id)]
    assert "passkey_added" in events and "passkey_removed" in events


async def test_rename_passkey(citizen: CitizenFactory) -> None:
    person, _ = await citizen()
    passkey = (await person.get("/api/account/passkeys")).json()[0]
    renamed = await person.patch(f"/api/account/passkeys/{passkey['id']}", {"name": "Máy của tôi"})
    assert renamed.json()["name"] == "Máy của tôi"
    empty = await person.patch(f"/api/account/passkeys/{passkey['id']}", {"name": "   "})
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "name"


# ------------------------------------------------------------------ bad input


async def refused_sign_up(
    browser: Browser, credential: dict[str, Any], code: str
) -> dict[str, Any]:
    before = await counts()
    response = await browser.post("/api/auth/passkeys/register", {"credential": credential})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert (
        error["message_vi"] and error["message_en"] and error["message_vi"] != error["message_en"]
    )
    assert await counts() == before, "a refused sign-up changed something"
    assert browser.session is None
    return dict(error)


async def test_sign_up_replay_is_refused(browser: Browser, browsers: BrowserFactory) -> None:
    options = await browser.sign_up_options()
    credential = browser.authenticator.create(options, ORIGIN)
    ok = await browser.post("/api/auth/passkeys/register", {"credential": credential})
    assert ok.status_code == 201
    thief = await browsers()
    await refused_sign_up(thief, credential, "challenge_unknown")


async def test_sign_up_with_an_expired_challenge(browser: Browser, clock: Clock) -> None:
    options = await browser.sign_up_options()
    clock.advance(minutes=5, seconds=1)
    error = await refused_sign_up(
        browser, browser.authenticator.create(options, ORIGIN), "challenge_expired"
    )
    assert "5 phút" in error["message_vi"]
    # The expired challenge was deleted on use, so a retry is "unknown", not "expired".
    assert not await Challenge.exists().where(Challenge.challenge == options["challenge"])


async def test_sign_up_from_a_foreign_origin(browser: Browser) -> None:
    options = await browser.sign_up_options()
    credential = browser.authenticator.create(options, "https://motcua.evil.example")
    await refused_sign_up(browser, credential, "wrong_origin")


async def test_sign_up_for_another_rp_id(browser: Browser) -> None:
    options = await browser.sign_up_options()
    credential = browser.authenticator.create(options, ORIGIN, rp_id_override="evil.example")
    await refused_sign_up(browser, credential, "wrong_rp_id")


async def test_sign_up_without_user_verification(browser: Browser) -> None:
    options = await browser.sign_up_options()
    error = await refused_sign_up(
        browser, browser.authenticator.create(options, ORIGIN, uv=False), "user_not_verified"
    )
    assert "vân tay" in error["message_vi"] and "fingerprint" in error["message_en"]


async def test_sign_up_with_a_sign_in_challenge(browser: Browser) -> None:
    """A challenge from another flow: taken from sign-in options, used to sign up."""
    sign_up = await browser.sign_up_options()
    sign_in = await browser.sign_in_options()
    forged = browser.authenticator.create(
        sign_up, ORIGIN, challenge_override=b64url_decode(sign_in["challenge"])
    )
    await refused_sign_up(browser, forged, "wrong_flow")


@pytest.mark.parametrize(
    "damage",
    ["no_response", "truncated_attestation", "garbage_client_data", "not_base64", "wrong_type"],
)
async def test_malformed_registration(browser: Browser, damage: str) -> None:
    options = await browser.sign_up_options()
    credential = browser.authenticator.create(options, ORIGIN)
    response = credential["response"]
    if damage == "no_response":
        del credential["response"]
    elif damage == "truncated_attestation":
        response["attestationObject"] = response["attestationObject"][:40]
    elif damage == "garbage_client_data":
        response["clientDataJSON"] = b64url_encode(b"{not json")
    elif damage == "not_base64":
        response["clientDataJSON"] = "***"
    else:
        credential["type"] = "password"
    await refused_sign_up(browser, credential, "malformed")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("phone", "0123 456 789", "di động"),
        ("phone", "+84 2 4383 1234", "di động"),
        ("phone", "09123", "di động"),
        ("citizen_id", "12345678901", "12 chữ số"),
        ("citizen_id", "099123456789", "001–096"),
        ("citizen_id", "000123456789", "001–096"),
        ("email", "lan@", "thư điện tử"),
        ("full_name", "A", "Họ và tên"),
    ],
)
async def test_sign_up_fields_are_checked(
    browser: Browser, field: str, value: str, words: str
) -> None:
    fields = {"full_name": "Lê Văn C", "phone": unique_phone(), field: value}
    before = await counts()
    challenges = await Challenge.count()
    response = await browser.post("/api/auth/passkeys/register/options", fields)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field and words in error["message_vi"]
    assert await counts() == before and await Challenge.count() == challenges


async def test_sign_up_reports_every_field_at_once(browser: Browser) -> None:
    challenges = await Challenge.count()
    response = await browser.client.post(
        "/api/auth/passkeys/register/options",
        json={"full_name": "A", "phone": "0123", "email": "lan@", "citizen_id": "12345"},
        headers={**await browser.headers(), "Accept-Language": "en"},
    )
    assert response.status_code == 422, response.text
    problems = response.json()["invalid_params"]
    assert [p["name"] for p in problems] == ["full_name", "phone", "email", "citizen_id"]
    assert all(p["reason_vi"] != p["reason_en"] == p["reason"] for p in problems)
    assert response.json()["error"]["field"] == "full_name"  # the first, for older scripts
    assert await Challenge.count() == challenges


async def test_a_phone_number_has_one_account(
    citizen: CitizenFactory, browsers: BrowserFactory
) -> None:
    person, _ = await citizen()
    other = await browsers()
    options = await other.sign_up_options(full_name="Kẻ Khác", phone=person.phone)
    credential = other.authenticator.create(options, ORIGIN)
    response = await other.post("/api/auth/passkeys/register", {"credential": credential})
    assert response.status_code == 409 and response.json()["error"]["field"] == "phone"


# -------------------------------------------------------------- sign-in refusals


async def refused_sign_in(browser: Browser, credential: dict[str, Any], code: str) -> None:
    sessions = await Session.count()
    response = await browser.post("/api/auth/passkeys/login", {"credential": credential})
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message_vi"] and error["message_en"]
    assert await Session.count() == sessions and browser.session is None


async def test_sign_in_replay_fails_even_with_counter_zero(
    citizen: CitizenFactory, browsers: BrowserFactory
) -> None:
    person, _ = await citizen()
    person.authenticator.increment_counter = False  # a synced passkey: counter stays 0
    fresh = await browsers(authenticator=person.authenticator)
    options = await fresh.sign_in_options()
    credential = fresh.authenticator.get(options, ORIGIN)
    assert (
        await fresh.post("/api/auth/passkeys/login", {"credential": credential})
    ).status_code == 200
    thief = await browsers()
    await refused_sign_in(thief, credential, "challenge_unknown")


async def test_sign_in_with_an_expired_challenge(
    citizen: CitizenFactory, browsers: BrowserFactory, clock: Clock
) -> None:
    person, _ = await citizen()
    fresh = await browsers(authenticator=person.authenticator)
    options = await fresh.sign_in_options()
    clock.advance(minutes=6)
    await refused_sign_in(fresh, fresh.authenticator.get(options, ORIGIN), "challenge_expired")


@pytest.mark.parametrize(
    ("knobs", "code"),
    [
        ({"origin": "https://evil.example"}, "wrong_origin"),
        ({"rp_id_override": "evil.example"}, "wrong_rp_id"),
        ({"uv": False}, "user_not_verified"),
        ({"tamper_signature": True}, "bad_signature"),
        ({"type_override": "webauthn.create"}, "wrong_flow"),
    ],
)
async def test_bad_assertions(
    citizen: CitizenFactory, browsers: BrowserFactory, knobs: dict[str, Any], code: str
) -> None:
    person, account_id = await citizen()
    fresh = await browsers(authenticator=person.authenticator)
    options = await fresh.sign_in_options()
    credential = fresh.authenticator.get(options, knobs.pop("origin", ORIGIN), **knobs)
    await refused_sign_in(fresh, credential, code)
    failures = await audit_events(account_id, "sign_in_failed")
    assert failures and failures[-1]["details"]["reason"] == code


async def test_a_sign_up_challenge_does_not_sign_in(
    citizen: CitizenFactory, browsers: BrowserFactory
) -> None:
    person, _ = await citizen()
    fresh = await browsers(authenticator=person.authenticator)
    sign_up = await fresh.sign_up_options()
    options = await fresh.sign_in_options()
    forged = fresh.authenticator.get(
        options, ORIGIN, challenge_override=b64url_decode(sign_up["challenge"])
    )
    await refused_sign_in(fresh, forged, "wrong_flow")


async def test_unknown_credential(browser: Browser) -> None:
    stranger = SoftAuthenticator()
    stranger.create(
        {
            "rp": {"id": "localhost"},
            "user": {"id": b64url_encode(b"someone"), "name": "x"},
            "challenge": b64url_encode(b"c" * 32),
            "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        },
        ORIGIN,
    )
    options = await browser.sign_in_options()
    await refused_sign_in(browser, stranger.get(options, ORIGIN), "unknown_credential")


@pytest.mark.parametrize("damage", ["truncated_authenticator_data", "no_signature", "not_json"])
async def test_malformed_assertions(
    citizen: CitizenFactory, browsers: BrowserFactory, damage: str
) -> None:
    person, _ = await citizen()
    fresh = await browsers(authenticator=person.authenticator)
    options = await fresh.sign_in_options()
    credential: Any = fresh.authenticator.get(options, ORIGIN)
    if damage == "truncated_authenticator_data":
        credential["response"]["authenticatorData"] = credential["response"]["authenticatorData"][
            :20
        ]
    elif damage == "no_signature":
        del credential["response"]["signature"]
    else:
        credential = json.dumps(credential)
        response = await fresh.post("/api/auth/passkeys/login", {"credential": credential})
        assert response.status_code == 400 and response.json()["error"]["field"] == "credential"
        return
    await refused_sign_in(fresh, credential, "malformed")


async def test_counter_regression_is_refused_and_audited(
    citizen: CitizenFactory, browsers: BrowserFactory
) -> None:
    person, account_id = await citizen()
    fresh = await browsers(authenticator=person.authenticator)
    assert (await fresh.sign_in()).status_code == 200  # counter now 1
    assert (await fresh.sign_in()).status_code == 200  # counter now 2
    clone = await browsers(authenticator=person.authenticator)
    options = await clone.sign_in_options()
    await refused_sign_in(
        clone, clone.authenticator.get(options, ORIGIN, counter_override=2), "cloned_authenticator"
    )
    suspicious = await audit_events(account_id, "possible_cloned_authenticator")
    assert suspicious[-1]["details"]["stored_counter"] == 2
    assert suspicious[-1]["details"]["reported_counter"] == 2
    stored = await Passkey.select(Passkey.sign_count).where(Passkey.account == account_id)
    assert stored[0]["sign_count"] == 2


async def test_disabled_account_cannot_sign_in(
    citizen: CitizenFactory, browsers: BrowserFactory, runtime: Any
) -> None:
    from backend.accounts import service

    person, account_id = await citizen()
    await service.set_disabled(runtime, account_id, True)
    assert (await person.get("/api/account/")).status_code == 401
    fresh = await browsers(authenticator=person.authenticator)
    response = await fresh.sign_in()
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_disabled"
    assert fresh.session is None
    await service.set_disabled(runtime, account_id, False)
    assert (await fresh.sign_in()).status_code == 200


async def test_a_user_handle_of_another_account_is_refused(
    citizen: CitizenFactory, browsers: BrowserFactory
) -> None:
    person, _ = await citizen()
    other, _ = await citizen()
    fresh = await browsers(authenticator=person.authenticator)
    options = await fresh.sign_in_options()
    credential = fresh.authenticator.get(options, ORIGIN)
    other_handle = other.authenticator.credentials[0].user_handle
    credential["response"]["userHandle"] = b64url_encode(other_handle)
    await refused_sign_in(fresh, credential, "wrong_account")


async def test_an_add_passkey_challenge_is_bound_to_its_account(
    citizen: CitizenFactory,
) -> None:
    person, _ = await citizen()
    other, _ = await citizen()
    options = (await person.post("/api/account/passkeys/options")).json()
    credential = SoftAuthenticator().create(options, ORIGIN)
    response = await other.post("/api/account/passkeys", {"credential": credential})
    assert response.status_code == 400 and response.json()["error"]["code"] == "wrong_account"
