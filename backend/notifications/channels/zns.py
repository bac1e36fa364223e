"""Zalo Notification Service (ZNS): a message from a template the Official Account
registered with Zalo, to the Zalo account of a phone number. ``POST
https://business.openapi.zalo.me/message/template`` with the OA's ``access_token``
header and a JSON body ``{"phone": "84…", "template_id", "template_data",
"tracking_id"}``; the answer ``{"error": 0, "data": {"msg_id": …}}`` means accepted,
any other ``error`` a refusal. Delivery comes by the OA's webhook, event
``user_received_message`` with ``message.msg_id``, signed in the header
``X-ZEvent-Signature: mac=<sha256(app_id + body + timestamp + OA secret key)>``.

Each kind of notice needs its own approved template (``MOTCUA_ZNS_TEMPLATES``); the
data we fill in: ``code`` (the dossier or feedback code), ``title`` and ``date``.

Not confirmed from Zalo's documentation: that a repeated ``tracking_id`` is dropped
(we assume not, so an unanswered send is never repeated: "unknown"); the exact shape
of the ``user_received_message`` event (we read ``message.msg_id`` and ``timestamp``
in milliseconds); which error codes are transient (none are retried; HTTP 429/5xx are).
The access token expires (about a day) and must be refreshed with the OA's refresh
token: not done here, the setting holds a token."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from backend.notifications.channels.base import (
    Address,
    Message,
    Sent,
    StatusReport,
    phone_84,
    post_json,
)
from backend.settings import Settings

RECEIVED = "user_received_message"
# An event older than this is refused: a replay of a captured one (Zalo retries a
# webhook that failed within seconds, not hours).
MAX_EVENT_AGE_MS = 15 * 60 * 1000


@dataclass(frozen=True, slots=True)
class ZnsConfig:
    api_url: str
    access_token: str
    app_id: str
    oa_secret: str
    templates: Mapping[str, str] = field(default_factory=dict)  # kind -> template id
    timeout_s: float = 10.0


class ZnsChannel:
    name = "zns"
    address: Address = "phone"
    idempotent = False
    kinds: frozenset[str] | None

    def __init__(self, config: ZnsConfig) -> None:
        self.config = config
        self.kinds = frozenset(config.templates)

    async def send(self, message: Message) -> Sent:
        template = self.config.templates.get(message.kind)
        if template is None:
            return Sent("failed", detail="no template for this kind")
        body = {
            "phone": phone_84(message.address),
            "template_id": template,
            "template_data": dict(message.params),
            "tracking_id": message.tracking_id,
        }
        response = await post_json(
            self.config.api_url,
            body,
            {"access_token": self.config.access_token},
            self.config.timeout_s,
            unanswered="unknown",
        )
        if isinstance(response, Sent):
            return response
        try:
            answer = response.json()
            code = int(answer.get("error", -1))
        except (ValueError, AttributeError, TypeError):
            return Sent("unknown", detail="unreadable answer")
        if code == 0:
            data = answer.get("data") or {}
            return Sent("sent", provider_id=str(data.get("msg_id", ""))[:100])
        return Sent("failed", detail=f"error {code}")


def signature(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret.encode())
    return f"mac={digest.hexdigest()}"


def verify_event(
    config: ZnsConfig, body: bytes, header: str, now_ms: int
) -> tuple[StatusReport | None, str]:
    """(the report, "") for a delivery event; (None, "") for a genuine event of another
    kind; (None, reason) for a forged, stale or unreadable one."""
    try:
        event = json.loads(body)
        timestamp = str(event["timestamp"])
        sent_ms = int(timestamp)
    except (ValueError, KeyError, TypeError):
        return None, "unreadable"
    expected = signature(config.app_id, body, timestamp, config.oa_secret)
    if not hmac.compare_digest(expected, header.strip()):
        return None, "signature"
    if str(event.get("app_id", config.app_id)) != config.app_id:
        return None, "app"
    if abs(now_ms - sent_ms) > MAX_EVENT_AGE_MS:
        return None, "stale"
    if event.get("event_name") != RECEIVED:
        return None, ""
    msg_id = str((event.get("message") or {}).get("msg_id", ""))[:100]
    if not msg_id:
        return None, "unreadable"
    return StatusReport(
        channel="zns",
        provider_id=msg_id,
        delivered=True,
        report_key=f"zns:{msg_id}:{RECEIVED}",
        detail=RECEIVED,
    ), ""


def from_settings(settings: Settings) -> ZnsChannel | None:
    if not settings.channels.zns_access_token:
        return None
    return ZnsChannel(
        ZnsConfig(
            api_url=settings.channels.zns_api_url,
            access_token=settings.channels.zns_access_token,
            app_id=settings.channels.zns_app_id,
            oa_secret=settings.channels.zns_oa_secret,
            templates=dict(settings.channels.zns_templates),
            timeout_s=settings.channels.channel_timeout_s,
        )
    )
