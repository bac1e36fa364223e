"""The interface every notification channel (e-mail, SMS, Zalo ZNS) speaks, and what
passes through it. A channel only sends one message and says what happened; the
outbox bookkeeping (claims, leases, retries, the at-most-once rule) is
``service/channel_jobs.py``'s, the same for every provider."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

Address = Literal["phone", "email"]
# "sent": the provider took it (a status report may follow); "retry": nothing was sent
# (refused connection, 429, 5xx, a transient error code), try again later; "failed":
# refused for good; "unknown": it may or may not have been sent (no answer in time) and
# the provider does not drop repeats, so it is not sent again (never a duplicate).
Result = Literal["sent", "retry", "failed", "unknown"]


@dataclass(frozen=True, slots=True)
class Message:
    """One notice for one address, already in the recipient's language."""

    # Ours and unique per job: the provider's request id (eSMS RequestId, ZNS tracking_id,
    # the e-mail's Message-ID), so a provider that drops repeats drops ours.
    tracking_id: str
    address: str  # a phone number (0XXXXXXXXX) or an e-mail address: never logged
    kind: str
    title: str
    body: str
    url: str  # absolute
    # Template parameters (ZNS): the dossier or feedback code, a date, the title.
    params: Mapping[str, str] = field(default_factory=dict)
    # Where the provider reports the delivery ("" when it reports elsewhere or never).
    callback_url: str = ""
    # Why this person gets it and how to stop it (e-mail), in their language, and the
    # page that stops it (the List-Unsubscribe header, RFC 2369).
    footer: str = ""
    unsubscribe_url: str = ""


@dataclass(frozen=True, slots=True)
class Sent:
    """What one attempt gave. ``detail`` names codes and errors, never an address."""

    result: Result
    provider_id: str = ""
    detail: str = ""
    retry_after_s: int | None = None
    # True when acceptance is all the provider ever reports (SMTP): no status follows.
    final: bool = False


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A provider's word on a message sent earlier (a callback or a webhook event)."""

    channel: str
    provider_id: str
    delivered: bool
    # Unique per event: a replay of the same report changes nothing.
    report_key: str
    detail: str = ""


class Channel(Protocol):
    """One provider of one channel. ``kinds`` is what it can carry (ZNS sends only the
    kinds with a registered template); None: every kind."""

    name: str
    address: Address
    # The provider drops a second request with the same tracking id: a send left
    # unanswered may then be retried without a duplicate.
    idempotent: bool
    kinds: frozenset[str] | None

    async def send(self, message: Message) -> Sent:
        """Send within the configured timeout, never raising for a provider's fault."""
        ...


def carries(channel: Channel, kind: str) -> bool:
    return channel.kinds is None or kind in channel.kinds


_ASCII = {"đ": "d", "Đ": "D", "“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "…": "..."}


def without_diacritics(text: str) -> str:
    """Vietnamese as plain ASCII ("Hồ sơ đã được tiếp nhận" -> "Ho so da duoc tiep nhan"):
    an unaccented SMS fits 160 characters a part in the GSM alphabet, where a Unicode one
    fits 70 and costs two to three times as much; people read unaccented Vietnamese."""
    folded = "".join(_ASCII.get(char, char) for char in text)
    plain = "".join(
        char for char in unicodedata.normalize("NFD", folded) if not unicodedata.combining(char)
    )
    return "".join(char for char in plain if 32 <= ord(char) < 127)


def phone_84(phone: str) -> str:
    """0912345678 -> 84912345678 (the international form Zalo asks for)."""
    return "84" + phone[1:] if phone.startswith("0") else phone


def retry_after(value: str | None) -> int | None:
    """Retry-After in seconds (these services send seconds, not dates), at most a day."""
    if value is None:
        return None
    try:
        return max(0, min(86_400, int(value.strip())))
    except ValueError:
        return None


def _by_status(status: int) -> Result | None:
    """What an HTTP status alone says: 429 and 5xx mean the provider took nothing and
    may take it later (None: read the body)."""
    if status == 429 or status >= 500:
        return "retry"
    if status >= 400:
        return "failed"
    return None


async def post_json(
    url: str,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    timeout_s: float,
    *,
    unanswered: Result,
) -> httpx.Response | Sent:
    """The provider's answer to read, or what the attempt gave without one: a refused
    connection took nothing (retry), a request that went out unanswered gives
    ``unanswered`` (retry only where the provider drops repeats), an HTTP error status
    its result. One connection a message: a few thousand messages a day need no pool,
    and a client a send keeps no socket across event loops. ``timeout_s`` bounds each
    phase (connect, write, read); the worker bounds the whole send."""
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.post(url, json=dict(body), headers=dict(headers))
    except httpx.ConnectError as error:
        return Sent("retry", detail=f"connect: {type(error).__name__}")
    except httpx.HTTPError as error:
        return Sent(unanswered, detail=type(error).__name__)
    by_status = _by_status(response.status_code)
    if by_status is not None:
        return Sent(
            by_status,
            detail=f"HTTP {response.status_code}",
            retry_after_s=retry_after(response.headers.get("Retry-After")),
        )
    return response
