"""Counter re-enrolment without a takeover: the official gets the link only as a QR
code for the person's own phone, for minutes, once; the person's old devices and inbox
are told, with a "this was not me" link that undoes it without signing in; until then
the official cannot remove what the account had before. Real passkey ceremonies (the
software authenticator), a fake push service that decrypts what it gets."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar

from backend.accounts.runtime import AccountsRuntime
from backend.accounts.service.reenrolment import disown_token
from backend.accounts.tables import EnrolmentLink, Passkey, RecoveryCode
from backend.jobs import Runner
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.service import KINDS
from backend.notifications.worker import Notifier
from tests.accounts.conftest import BrowserFactory, CitizenFactory, StaffFactory
from tests.accounts.helpers import (
    AGENCY,
    ORIGIN,
    OTHER_AGENCY,
    Browser,
    Clock,
    audit_events,
    enrol,
    scan,
    token_of,
)
from tests.accounts.test_pages import form_token
from tests.support.fakepush import FakePushService, Subscription

JUSTICE = "Sở Tư pháp tỉnh Thanh Hóa"
FINANCE_VI, FINANCE_EN = "Sở Tài chính tỉnh Thanh Hóa", "Thanh Hoa Department of Finance"


@pytest.fixture
async def push() -> AsyncIterator[FakePushService]:
    async with FakePushService() as service_:
        yield service_


@pytest.fixture
def notify(accounts_app: Litestar) -> NotificationsRuntime:
    runtime: NotificationsRuntime = accounts_app.state["notifications"]
    return runtime


async def drain(notify: NotificationsRuntime) -> None:
    async with Runner([Notifier(notify)]) as runner:
        for _ in range(5):
            if not await runner.run_once():
                return


async def subscribe(push: FakePushService, browser: Browser, lang: str = "vi") -> Subscription:
    fake = push.new_subscription()
    response = await browser.post("/api/push/subscriptions", {**fake.as_json(), "lang": lang})
    assert response.status_code == 201, response.text
    return fake


async def issue(officer: Browser, phone: str | None) -> dict[str, Any]:
    response = await officer.post(
        "/api/staff/reenrolments", {"phone": phone, "identity_checked": True}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def link_in(issued: dict[str, Any]) -> str:
    """The link, as the person's phone reads it off the official's screen."""
    [url] = scan(issued["qr_svg"])
    return url


async def notices(browser: Browser) -> list[dict[str, Any]]:
    response = await browser.get("/api/notices/")
    assert response.status_code == 200, response.text
    return [n for n in response.json()["items"] if n["kind"] == "account.counter_passkey"]


async def reenrolled(
    citizen: CitizenFactory,
    staff: StaffFactory,
    browsers: BrowserFactory,
    clock: Clock | None = None,
) -> tuple[Browser, int, Browser, int, Browser]:
    """A person (signed in on their old phone), the official who re-enrolled them at a
    counter, and the phone that registered the new passkey."""
    person, account_id = await citizen()
    if clock is not None:
        clock.advance(days=3)  # the account is older than its re-enrolment
    officer, officer_id = await staff("reception")
    new_phone = await browsers()
    enrolled = await enrol(new_phone, link_in(await issue(officer, person.phone)))
    assert enrolled.status_code == 201, enrolled.text
    new_phone.recovery_codes = enrolled.json()["recovery_codes"]
    return person, account_id, officer, officer_id, new_phone


# --------------------------------------------------------------- the QR code only


async def test_the_official_gets_a_qr_code_and_no_link(
    citizen: CitizenFactory, staff: StaffFactory, clock: Clock
) -> None:
    person, account_id = await citizen()
    officer, _ = await staff("reception")
    response = await officer.post(
        "/api/staff/reenrolments", {"phone": person.phone, "identity_checked": True}
    )
    assert response.status_code == 201
    issued = response.json()
    assert set(issued) == {"qr_svg", "expires_at", "account_id", "full_name"}
    assert issued["account_id"] == account_id and issued["qr_svg"].startswith("<svg")
    url = link_in(issued)
    assert url.startswith(f"{ORIGIN}/kich-hoat/")
    # Nothing in the answer but the drawing carries the link: no URL, no token, no title.
    assert "kich-hoat" not in response.text and token_of(url) not in response.text
    assert "<title" not in issued["qr_svg"]
    svg_namespace = 'xmlns="http://www.w3.org/2000/svg"'
    assert "http" not in str({**issued, "qr_svg": issued["qr_svg"].replace(svg_namespace, "")})

    page = await officer.get("/can-bo/cap-lai")
    issued_page = await officer.client.post(
        "/can-bo/cap-lai",
        data={**form_token(officer), "phone": person.phone or "", "identity_checked": "on"},
    )
    assert issued_page.status_code == 200 and page.status_code == 200
    html = issued_page.text
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg
    [page_url] = scan(svg.group(0))
    assert page_url.startswith(f"{ORIGIN}/kich-hoat/") and page_url != url
    assert "kich-hoat" not in html and token_of(page_url) not in html
    assert "bằng chính điện thoại của họ" in html and " style=" not in html
    english = await officer.client.post(
        "/can-bo/cap-lai",
        data={**form_token(officer), "phone": person.phone or "", "identity_checked": "on"},
        headers={"Accept-Language": "en"},
    )
    assert "scan this QR code with their own phone" in english.text


async def test_the_link_works_once_within_minutes(
    runtime: AccountsRuntime,
    citizen: CitizenFactory,
    staff: StaffFactory,
    browsers: BrowserFactory,
    clock: Clock,
) -> None:
    person, _ = await citizen()
    officer, _ = await staff("reception")
    issued = await issue(officer, person.phone)
    assert runtime.reenrol_ttl.total_seconds() == 600
    late = await browsers()
    clock.advance(minutes=10, seconds=1)
    options = await late.post("/api/auth/enrolment/options", {"token": token_of(link_in(issued))})
    assert options.status_code == 410 and options.json()["error"]["code"] == "link_unusable"

    first = await issue(officer, person.phone)
    second = await issue(officer, person.phone)
    # A new link replaces the unused one.
    replaced = await late.post("/api/auth/enrolment/options", {"token": token_of(link_in(first))})
    assert replaced.status_code == 404
    clock.advance(minutes=9)
    phone = await browsers()
    assert (await enrol(phone, link_in(second))).status_code == 201
    again = await browsers()
    used = await again.post("/api/auth/enrolment/options", {"token": token_of(link_in(second))})
    assert used.status_code == 410 and used.json()["error"]["code"] == "link_unusable"


# ------------------------------------------------------------ everyone is told


async def test_old_devices_and_the_inbox_are_told(
    citizen: CitizenFactory,
    staff: StaffFactory,
    browsers: BrowserFactory,
    notify: NotificationsRuntime,
    push: FakePushService,
) -> None:
    person, account_id = await citizen()
    old_phone = await subscribe(push, person)
    tablet = await subscribe(push, person, lang="en")
    # Muting every kind a person may mute does not silence this one.
    muted = await person.client.put(
        "/api/push/preferences", json={"muted": list(KINDS)}, headers=await person.headers()
    )
    assert muted.status_code == 200, muted.text
    officer, officer_id = await staff("reception", OTHER_AGENCY)
    new_phone = await browsers()
    assert (await enrol(new_phone, link_in(await issue(officer, person.phone)))).status_code == 201
    await drain(notify)

    [told] = push.received_for(old_phone)
    assert told.data["kind"] == "account.counter_passkey" and told.urgency == "high"
    assert FINANCE_VI in told.data["body"] and "Đây không phải tôi" in told.data["body"]
    assert told.data["url"].startswith("/khong-phai-toi/")
    [english] = push.received_for(tablet)
    assert FINANCE_EN in english.data["body"] and "This was not me" in english.data["body"]
    [notice] = await notices(person)
    assert notice["url"] == told.data["url"] and FINANCE_VI in notice["body"]
    assert notice["title"] == "Khóa truy cập mới được thêm tại quầy"
    # The old phone is still signed in, and its passkey still signs in.
    assert (await person.get("/api/account/")).status_code == 200
    assert (await (await browsers(authenticator=person.authenticator)).sign_in()).status_code == 200
    assert await Passkey.count().where(Passkey.account == account_id) == 2
    # Audited: who issued it, at which agency, and its use.
    [issued] = await audit_events(account_id, "reenrolment_issued")
    assert issued["actor_id"] == officer_id and issued["details"]["agency"] == OTHER_AGENCY
    used = (await audit_events(account_id, "enrolment_used"))[-1]
    assert used["details"]["kind"] == "reenrol"
    assert used["details"]["issued_by"] == officer_id
    assert used["details"]["agency"] == OTHER_AGENCY


# ------------------------------------------------------------ "this was not me"


async def test_this_was_not_me_undoes_the_re_enrolment(
    citizen: CitizenFactory,
    staff: StaffFactory,
    browsers: BrowserFactory,
    notify: NotificationsRuntime,
) -> None:
    person, account_id, _, officer_id, new_phone = await reenrolled(citizen, staff, browsers)
    # The official, holding the new phone, adds a second passkey of theirs.
    from tests.support.authenticator import SoftAuthenticator

    spare = SoftAuthenticator()
    assert (await new_phone.add_passkey(spare)).status_code == 201
    await drain(notify)
    [notice] = await notices(person)
    path = notice["url"]

    stranger = await browsers()  # no sign-in needed
    page = await stranger.get(path)
    assert page.status_code == 200 and JUSTICE in page.text
    assert 'id="disown"' in page.text and person.phone not in page.text
    assert "Nguyễn Thị Lan" not in page.text  # nothing personal for whoever has the link
    assert " style=" not in page.text and not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    english = (await stranger.get(path, headers={"Accept-Language": "en"})).text
    assert "This was not me" in english and "Thanh Hoa Department of Justice" in english
    done = await stranger.client.post(path, data=form_token(stranger))
    assert done.status_code == 200 and 'id="disowned"' in done.text

    # Every passkey, code and session made since is gone; what was before stays.
    assert (await new_phone.get("/api/account/")).status_code == 401
    for authenticator in (new_phone.authenticator, spare):
        again = await (await browsers(authenticator=authenticator)).sign_in()
        assert again.status_code in {400, 401}, again.text
    code = await (await browsers()).post(
        "/api/auth/recovery", {"phone": person.phone, "code": new_phone.recovery_codes[0]}
    )
    assert code.status_code == 401
    assert await RecoveryCode.count().where(RecoveryCode.account == account_id) == 0
    assert (await person.get("/api/account/")).status_code == 200
    assert (await (await browsers(authenticator=person.authenticator)).sign_in()).status_code == 200
    [disowned] = await audit_events(account_id, "reenrolment_disowned")
    assert disowned["details"]["issued_by"] == officer_id
    assert disowned["details"]["agency"] == AGENCY and disowned["details"]["passkeys"] == 2

    # A replay changes nothing, even after the person added a passkey of their own.
    assert (await person.add_passkey(SoftAuthenticator())).status_code == 201
    replay = await stranger.client.post(path, data=form_token(stranger))
    assert replay.status_code == 200 and 'id="already-disowned"' in replay.text
    api = await stranger.post("/api/auth/counter-passkeys/disown", {"token": token_of(path)})
    assert api.status_code == 200 and api.json() == {
        "already": True,
        "passkeys_removed": 0,
        "sessions_ended": 0,
    }
    assert await Passkey.count().where(Passkey.account == account_id) == 2
    assert len(await audit_events(account_id, "reenrolment_disowned")) == 1


async def test_the_api_disowns_too(
    citizen: CitizenFactory,
    staff: StaffFactory,
    browsers: BrowserFactory,
    notify: NotificationsRuntime,
) -> None:
    person, account_id, _, _, new_phone = await reenrolled(citizen, staff, browsers)
    await drain(notify)
    [notice] = await notices(person)
    answer = await (await browsers()).post(
        "/api/auth/counter-passkeys/disown", {"token": token_of(notice["url"])}
    )
    assert answer.status_code == 200 and answer.json() == {
        "already": False,
        "passkeys_removed": 1,
        "sessions_ended": 1,
    }
    assert (await new_phone.get("/api/account/")).status_code == 401
    assert await Passkey.count().where(Passkey.account == account_id) == 1


async def test_forged_tokens_are_refused(
    runtime: AccountsRuntime,
    citizen: CitizenFactory,
    staff: StaffFactory,
    browsers: BrowserFactory,
    notify: NotificationsRuntime,
) -> None:
    person, account_id, _, _, new_phone = await reenrolled(citizen, staff, browsers)
    await drain(notify)
    [notice] = await notices(person)
    token = token_of(notice["url"])
    link = (
        await EnrolmentLink.select(EnrolmentLink.id, EnrolmentLink.created_at)
        .where(EnrolmentLink.account == account_id)
        .order_by(EnrolmentLink.id, ascending=False)
        .first()
    )
    assert link is not None
    assert disown_token(runtime, link["id"], account_id, link["created_at"]) == token
    other_key = dataclasses.replace(runtime, link_key=b"k" * 32)
    forged = [
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),  # the signature altered
        disown_token(other_key, link["id"], account_id, link["created_at"]),  # another key
        disown_token(runtime, link["id"], account_id + 1, link["created_at"]),  # another person
        disown_token(runtime, link["id"] + 1000, account_id, link["created_at"]),  # no such link
        "A" * 32,
        "not-a-token",
    ]
    stranger = await browsers()
    for bad in forged:
        page = await stranger.get(f"/khong-phai-toi/{bad}")
        assert page.status_code == 404, bad
        api = await stranger.post("/api/auth/counter-passkeys/disown", {"token": bad})
        assert api.status_code in {400, 404}, bad
        if api.status_code == 404:
            assert api.json()["error"]["field"] == "token"
    # An official's own enrolment link is no re-enrolment, even signed right.
    staff_link = (
        await EnrolmentLink.select(
            EnrolmentLink.id, EnrolmentLink.account, EnrolmentLink.created_at
        )
        .where(EnrolmentLink.purpose == "staff")
        .first()
    )
    assert staff_link is not None
    signed = disown_token(
        runtime, staff_link["id"], staff_link["account"], staff_link["created_at"]
    )
    assert (await stranger.get(f"/khong-phai-toi/{signed}")).status_code == 404
    assert (await new_phone.get("/api/account/")).status_code == 200
    assert len(await audit_events(None, "reenrolment_disown_failed")) >= len(forged)


async def test_this_was_not_me_lasts_days_not_forever(
    citizen: CitizenFactory,
    staff: StaffFactory,
    browsers: BrowserFactory,
    notify: NotificationsRuntime,
    clock: Clock,
) -> None:
    person, account_id, *_ = await reenrolled(citizen, staff, browsers, clock)
    await drain(notify)
    [notice] = await notices(person)
    clock.advance(days=13)
    assert 'id="disown"' in (await person.get(notice["url"])).text
    clock.advance(days=1, seconds=1)
    page = await person.get(notice["url"])
    assert page.status_code == 200 and 'id="disown-expired"' in page.text
    token = token_of(notice["url"])
    late = await person.post("/api/auth/counter-passkeys/disown", {"token": token})
    assert late.status_code == 410 and late.json()["error"]["code"] == "link_unusable"
    assert await Passkey.count().where(Passkey.account == account_id) == 2


# ------------------------------------------------------- what stays meanwhile


async def test_the_new_passkey_cannot_push_the_old_devices_out(
    citizen: CitizenFactory,
    staff: StaffFactory,
    browsers: BrowserFactory,
    notify: NotificationsRuntime,
    push: FakePushService,
    clock: Clock,
) -> None:
    person, account_id = await citizen()
    old_phone = await subscribe(push, person)
    clock.advance(days=3)
    officer, _ = await staff("reception")
    new_phone = await browsers()
    enrolled = await enrol(new_phone, link_in(await issue(officer, person.phone)))
    assert enrolled.status_code == 201 and enrolled.json()["next"].endswith("?xong=cap-lai")
    passkeys = (await new_phone.get("/api/account/passkeys")).json()
    old_key, new_key = passkeys[0]["id"], passkeys[1]["id"]
    sessions = (await new_phone.get("/api/account/sessions")).json()
    [old_session] = [s["id"] for s in sessions if not s["current"]]

    removed = await new_phone.delete(f"/api/account/passkeys/{old_key}")
    assert removed.status_code == 409
    assert removed.json()["error"]["code"] == "kept_after_counter_reenrolment"
    ended = await new_phone.delete(f"/api/account/sessions/{old_session}")
    assert ended.status_code == 409
    everywhere = await new_phone.post("/api/auth/logout-everywhere")
    assert everywhere.status_code in {200, 204}
    assert (await person.get("/api/account/")).status_code == 200
    # Nor can a recovery code given at the counter sign the old phone out.
    recovered = await (await browsers()).post(
        "/api/auth/recovery",
        {"phone": person.phone, "code": enrolled.json()["recovery_codes"][0]},
    )
    assert recovered.status_code == 200
    assert (await person.get("/api/account/")).status_code == 200
    await drain(notify)
    assert [m.data["kind"] for m in push.received_for(old_phone)] == ["account.counter_passkey"]

    devices = (await person.get("/tai-khoan/thiet-bi")).text
    assert 'id="kept-after-counter"' in devices
    assert f"/khoa/{old_key}/xoa" not in devices and f"/khoa/{new_key}/xoa" in devices
    # The old phone may remove what the counter added.
    assert (await person.delete(f"/api/account/passkeys/{new_key}")).status_code == 204
    assert await Passkey.count().where(Passkey.account == account_id) == 1


async def test_after_the_days_the_old_passkeys_can_go(
    citizen: CitizenFactory, staff: StaffFactory, browsers: BrowserFactory, clock: Clock
) -> None:
    person, _, _, _, new_phone = await reenrolled(citizen, staff, browsers, clock)
    old_key = (await new_phone.get("/api/account/passkeys")).json()[0]["id"]
    clock.advance(days=13)
    assert (await new_phone.delete(f"/api/account/passkeys/{old_key}")).status_code == 409
    clock.advance(days=1, seconds=1)
    assert 'id="kept-after-counter"' not in (await new_phone.get("/tai-khoan/thiet-bi")).text
    assert (await new_phone.delete(f"/api/account/passkeys/{old_key}")).status_code == 204
    assert (await person.get("/api/account/")).status_code == 200


async def test_only_reception_officials_issue_links(
    citizen: CitizenFactory, staff: StaffFactory
) -> None:
    person, _ = await citizen()
    for role in ("processing", "leader"):
        official, _ = await staff(role)
        refused = await official.post(
            "/api/staff/reenrolments", {"phone": person.phone, "identity_checked": True}
        )
        assert refused.status_code == 403
    # A citizen cannot issue one for another.
    other, _ = await citizen()
    assert (
        await other.post(
            "/api/staff/reenrolments", {"phone": person.phone, "identity_checked": True}
        )
    ).status_code == 403
