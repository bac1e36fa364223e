"""Brand-name SMS through eSMS.vn (VIHAT), its documented JSON API
(developers.esms.vn): ``POST <api>/SendMultipleMessage_V4_post_json/`` with ApiKey,
SecretKey, Phone, Content, Brandname, SmsType 2 (customer care, sent under the brand
name), IsUnicode 0, RequestId (ours: eSMS refuses a second request with the same one,
so a send left unanswered is retried safely) and CallbackUrl. The answer's CodeResult
"100" means accepted, with the message's SMSID. eSMS then calls CallbackUrl with an
HTTP GET carrying SMSID, SendStatus (5: done, 4: rejected), SendSuccess, SendFailed,
RequestId and the phone number.

Texts go without diacritics (IsUnicode 0): 160 characters a part instead of 70, the
cheaper rate. Customer-care texts must match a template registered with the carriers
through eSMS: the texts of ``notices.py`` folded to ASCII are the ones to register.

Not confirmed from eSMS's documentation: that CallbackUrl keeps the path we give it
(its samples append the query to the URL given); which CodeResult values other than
100 are transient (we retry only 99, "unknown error, try again"); the callbacks are not
signed, so ours carry an HMAC of the job in their path (``callback_token``)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from backend.notifications.channels.base import (
    Address,
    Message,
    Sent,
    StatusReport,
    post_json,
    without_diacritics,
)
from backend.settings import Settings

SEND = "SendMultipleMessage_V4_post_json/"
CUSTOMER_CARE = "2"
ACCEPTED = "100"
TRANSIENT = frozenset({"99"})
# A brand-name SMS of two parts at most (an unaccented part holds 160 characters; a
# longer message is sent as parts of 153).
MAX_TEXT = 306


@dataclass(frozen=True, slots=True)
class EsmsConfig:
    api_url: str
    api_key: str
    secret_key: str
    brandname: str
    timeout_s: float


class EsmsChannel:
    name = "sms"
    address: Address = "phone"
    idempotent = True  # RequestId: eSMS drops a repeat
    kinds: frozenset[str] | None = None

    def __init__(self, config: EsmsConfig) -> None:
        self.config = config

    def text(self, message: Message) -> str:
        """The body, shortened if it must be (never the link), then the link."""
        url = without_diacritics(message.url)
        body = without_diacritics(message.body)[: max(0, MAX_TEXT - len(url) - 1)]
        return f"{body} {url}"

    async def send(self, message: Message) -> Sent:
        config = self.config
        body = {
            "ApiKey": config.api_key,
            "SecretKey": config.secret_key,
            "Phone": message.address,
            "Content": self.text(message),
            "Brandname": config.brandname,
            "SmsType": CUSTOMER_CARE,
            "IsUnicode": "0",
            "RequestId": message.tracking_id,
            "CallbackUrl": message.callback_url,
        }
        # Unanswered, the request may have reached eSMS: the same RequestId makes a
        # retry safe.
        response = await post_json(
            config.api_url + SEND, body, {}, config.timeout_s, unanswered="retry"
        )
        if isinstance(response, Sent):
            return response
        try:
            answer = response.json()
            code = str(answer.get("CodeResult", ""))
        except (ValueError, AttributeError):
            return Sent("retry", detail="unreadable answer")
        if code == ACCEPTED:
            return Sent("sent", provider_id=str(answer.get("SMSID", ""))[:100])
        return Sent(
            "retry" if code in TRANSIENT else "failed",
            detail=f"CodeResult {code[:10]}",
        )


def callback_token(secret: str, job_id: int) -> str:
    """What proves a status callback is about this job: eSMS signs nothing."""
    return hmac.new(secret.encode(), f"esms-status:{job_id}".encode(), hashlib.sha256).hexdigest()[
        :32
    ]


def token_ok(secret: str, job_id: int, token: str) -> bool:
    return hmac.compare_digest(callback_token(secret, job_id), token)


def report_of(query: Mapping[str, str]) -> StatusReport | None:
    """A callback's final word (SendStatus 5 done, 4 rejected); None for an interim one
    (1 awaiting approval, 2 waiting, 7 at the carrier awaiting its report)."""
    sms_id = query.get("SMSID", "").strip()
    status = query.get("SendStatus", "").strip()
    if not sms_id or status not in {"4", "5"}:
        return None
    try:
        success = int(query.get("SendSuccess", "0") or 0)
    except ValueError:
        success = 0
    delivered = status == "5" and success > 0
    return StatusReport(
        channel="sms",
        provider_id=sms_id[:100],
        delivered=delivered,
        report_key=f"esms:{sms_id[:100]}:{status}",
        detail=f"SendStatus {status}",
    )


def from_settings(settings: Settings) -> EsmsChannel | None:
    if not settings.channels.esms_api_key:
        return None
    return EsmsChannel(
        EsmsConfig(
            api_url=settings.channels.esms_api_url,
            api_key=settings.channels.esms_api_key,
            secret_key=settings.channels.esms_secret_key,
            brandname=settings.channels.esms_brandname,
            timeout_s=settings.channels.channel_timeout_s,
        )
    )
