"""Subscriptions through the API and the console page: who may manage which, the
addresses refused when subscribing (private, loopback, link-local, multicast, reserved,
plain http), bad input named by field, and the settings."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from backend import vapid
from backend.accounts.schemas import Principal
from backend.errors import Forbidden
from backend.settings import Settings, SettingsError
from backend.webhooks import service
from backend.webhooks.runtime import WebhooksRuntime
from backend.webhooks.schemas import SubscriptionCreate
from tests.webhooks.conftest import (
    CENTRE,
    A,
    B,
    Staff,
    drain,
    new_dossier,
    payment_event,
    subscribe,
)
from tests.webhooks.receiver import Receiver

API = "/api/webhooks/subscriptions"
PAGE = "/quan-tri/webhook"


def field_of(response: object) -> list[str]:
    body = response.json()  # type: ignore[attr-defined]
    return [item["name"] for item in body.get("invalid_params", [])]


async def test_only_administrators_manage_subscriptions(
    hooks: WebhooksRuntime, staff: Staff
) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "events": ["payment.settled"]}
    anonymous = await staff("anonymous")
    assert (await anonymous.get(API)).status_code == 401
    assert (await anonymous.post(API, json=body)).status_code in {401, 403}
    for role in ("citizen", "reception", "processing", "leader"):
        client = await staff(role, A)
        assert (await client.get(API)).status_code == 403, role
        assert (await client.post(API, json=body)).status_code == 403, role
        assert (await client.get(PAGE)).status_code == 403, role


async def test_an_agency_administrator_manages_their_own_agency_s_only(
    hooks: WebhooksRuntime, staff: Staff
) -> None:
    province = await staff("catalogue", CENTRE)
    admin_a = await staff("admin", A)
    admin_b = await staff("admin", B)
    body = {"url": "http://127.0.0.1:9/hook", "events": ["payment.settled"]}
    everything = await subscribe(province, **body)
    assert everything["subscription"]["agency_code"] is None
    own = await subscribe(admin_a, **body)
    assert own["subscription"]["agency_code"] == A
    other = await admin_a.post(API, json={**body, "agency_code": B})
    assert other.status_code == 403
    assert field_of(other) == ["agency_code"] or other.json()["error"]["field"] == "agency_code"
    # Each sees theirs; the province every one.
    assert [s["id"] for s in (await admin_a.get(API)).json()] == [own["subscription"]["id"]]
    assert (await admin_b.get(API)).json() == []
    assert len((await province.get(API)).json()) == 2
    for path in ("", "/keys", "/deliveries"):
        url = f"{API}/{own['subscription']['id']}{path}"
        response = await (admin_b.post(url) if path == "/keys" else admin_b.get(url))
        assert response.status_code == 404, path
    assert (await admin_a.get(f"{API}/{everything['subscription']['id']}")).status_code == 404
    assert (await admin_b.delete(f"{API}/{own['subscription']['id']}")).status_code == 404
    assert (await admin_a.delete(f"{API}/{own['subscription']['id']}")).status_code == 204
    assert (await admin_a.get(f"{API}/{own['subscription']['id']}")).status_code == 404
    # The province's administrator names an agency that exists.
    unknown = await province.post(API, json={**body, "agency_code": "999.99.99.H56"})
    assert unknown.status_code == 422
    scoped = await subscribe(province, **body, agency_code=B)
    assert scoped["subscription"]["agency_code"] == B


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://192.168.1.20/hook",
        "https://172.16.5.4/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://224.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://100.64.0.1/hook",
        "https://240.0.0.1/hook",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fc00::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "http://127.0.0.1:8080/hook",
        "http://example.com/hook",
        "https://user:secret@example.com/hook",
        "ftp://example.com/hook",
        "https:///hook",
        "https://example.com:99999/hook",
        "",
        "https://" + "a" * 600 + ".vn/",
    ],
)
async def test_an_address_that_is_not_a_public_https_one_is_refused(
    hooks: WebhooksRuntime, staff: Staff, url: str
) -> None:
    hooks.allow_http_loopback = False  # as in production
    province = await staff("catalogue", CENTRE)
    response = await province.post(API, json={"url": url, "events": ["payment.settled"]})
    assert response.status_code == 422, response.text
    assert "url" in field_of(response)
    assert (await province.get(API)).json() == []


async def test_a_name_of_a_private_address_is_refused_when_subscribing(
    hooks: WebhooksRuntime, staff: Staff
) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return {"intranet.example.test": ["10.20.30.40"], "public.example.test": ["93.184.216.34"]}[
            host
        ]

    hooks.resolve = resolve
    hooks.allow_http_loopback = False
    province = await staff("catalogue", CENTRE)
    refused = await province.post(
        API, json={"url": "https://intranet.example.test/x", "events": ["payment.settled"]}
    )
    assert refused.status_code == 422
    assert "url" in field_of(refused)
    created = await subscribe(
        province, url="https://public.example.test/x", events=["payment.settled"]
    )
    assert created["subscription"]["url"] == "https://public.example.test/x"


async def test_bad_input_is_named_by_field(hooks: WebhooksRuntime, staff: Staff) -> None:
    province = await staff("catalogue", CENTRE)
    url = "http://127.0.0.1:9/hook"
    unknown = await province.post(API, json={"url": url, "events": ["dossier.deleted"]})
    assert unknown.status_code == 422 and "events" in field_of(unknown)
    empty = await province.post(API, json={"url": url, "events": []})
    assert empty.status_code == 422 and "events" in field_of(empty)
    both = await province.post(API, json={"url": "https://10.0.0.1/", "events": []})
    assert both.status_code == 422 and set(field_of(both)) == {"url", "events"}
    wrong_type = await province.post(API, json={"url": url, "events": "payment.settled"})
    assert wrong_type.status_code == 400
    extra = await province.post(API, json={"url": url, "events": ["payment.settled"], "x": 1})
    assert extra.status_code == 400
    assert (await province.get(f"{API}/999999")).status_code == 404
    assert (await province.get(f"{API}/abc")).status_code in {400, 404}
    assert (await province.get(f"{API}/0")).status_code in {400, 404}
    bad_status = await province.get(f"{API}/1/deliveries?status=lost")
    assert bad_status.status_code in {400, 404}


async def test_the_console_page_subscribes_shows_the_secret_once_and_replays(
    hooks: WebhooksRuntime, staff: Staff
) -> None:
    province = await staff("catalogue", CENTRE)
    async with Receiver() as receiver:
        page = await province.get(PAGE)
        assert page.status_code == 200
        refused = await province.post(
            PAGE, data={"url": "https://10.0.0.1/", "events": ["payment.settled"]}
        )
        assert refused.status_code == 422
        assert "máy chủ công khai" in refused.text
        made = await province.post(
            PAGE,
            data={
                "url": receiver.url(),
                "events": ["payment.settled"],
                "description": "Kho dữ liệu",
            },
        )
        assert made.status_code == 201, made.text
        assert made.headers["cache-control"] == "no-store"
        [subscription] = (await province.get(API)).json()
        [key] = subscription["keys"]
        assert key["key_id"] in made.text and "whsec_" in made.text
        await payment_event(new_dossier())
        await drain(hooks)
        shown = await province.get(f"{PAGE}/{subscription['id']}")
        assert "whsec_" not in shown.text  # shown once
        assert "HTTP 200" in shown.text
        [entry] = (await province.get(f"{API}/{subscription['id']}/deliveries")).json()
        replay = await province.post(f"{PAGE}/{subscription['id']}/gui-lai/{entry['id']}")
        assert replay.status_code == 303
        await drain(hooks)
        rotated = await province.post(f"{PAGE}/{subscription['id']}/khoa")
        assert rotated.status_code == 200 and "whsec_" in rotated.text
        removed = await province.post(f"{PAGE}/{subscription['id']}/xoa")
        assert removed.status_code == 303
    assert len(receiver.received) == 2
    assert receiver.received[0].event_id == receiver.received[1].event_id
    assert html.escape(receiver.url()) not in (await province.get(PAGE)).text


def test_the_settings(tmp_path: Path) -> None:
    env = {"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_DEMO": "false"}
    defaults = Settings.from_env(env).webhooks
    assert (defaults.timeout_s, defaults.lease_s, defaults.key_grace_hours) == (10, 60, 24)
    assert defaults.allow_http_loopback is False
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**env, "MOTCUA_WEBHOOK_TIMEOUT_S": "20", "MOTCUA_WEBHOOK_LEASE_S": "30"})
    assert refused.value.variable == "MOTCUA_WEBHOOK_LEASE_S"
    production = {
        **env,
        "MOTCUA_ENV": "production",
        "MOTCUA_PUBLIC_URL": "https://a.vn",
        "MOTCUA_SECRET_KEY": "s" * 40,
        "MOTCUA_VAPID_PRIVATE_KEY": vapid.new_key_pair()[0],
        "MOTCUA_VAPID_SUBJECT": "mailto:motcua@thanhhoa.gov.vn",
    }
    assert Settings.from_env(production).webhooks.allow_http_loopback is False
    with pytest.raises(SettingsError) as loopback:
        Settings.from_env({**production, "MOTCUA_WEBHOOK_ALLOW_HTTP_LOOPBACK": "true"})
    assert loopback.value.variable == "MOTCUA_WEBHOOK_ALLOW_HTTP_LOOPBACK"
    with pytest.raises(SettingsError) as bad:
        Settings.from_env({**env, "MOTCUA_WEBHOOK_TIMEOUT_S": "0"})
    assert bad.value.variable == "MOTCUA_WEBHOOK_TIMEOUT_S"


async def test_the_service_itself_refuses_someone_who_is_not_an_administrator(
    hooks: WebhooksRuntime,
) -> None:
    body = SubscriptionCreate(url="http://127.0.0.1:9/hook", events=["payment.settled"])
    for role, kind in (("reception", "staff"), ("leader", "staff"), (None, "citizen")):
        principal = Principal(
            account_id=1, kind=kind, name="Thử", role=role, agency_code=A, session_id="x"
        )  # type: ignore[arg-type]
        with pytest.raises(Forbidden):
            await service.create_subscription(hooks, principal, body)
        with pytest.raises(Forbidden):
            await service.list_subscriptions(hooks, principal)
