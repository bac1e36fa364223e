"""Local stand-ins for the channels' providers, each speaking its documented protocol:
an SMTP server (aiosmtpd), eSMS.vn's JSON send API and status callback, and Zalo's
ZNS template API with its signed ``user_received_message`` webhook. Each runs on
127.0.0.1 and records what it was asked."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import socket
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---------------------------------------------------------------------------- SMTP


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage


class _Mailbox:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        # What the server answers to DATA: "250 OK", "451 4.3.0 ..." or "550 5.1.1 ...".
        self.answer = "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not self.answer.startswith("250"):
            return self.answer
        parsed = message_from_bytes(envelope.content or b"", policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mails.append(
            Mail(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], parsed)
        )
        return "250 OK"


class FakeSmtp:
    """An SMTP server in a thread (aiosmtpd's controller), without TLS."""

    def __init__(self) -> None:
        self.box = _Mailbox()
        self.port = free_port()
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> FakeSmtp:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def mails(self) -> list[Mail]:
        return self.box.mails

    def answer(self, line: str) -> None:
        self.box.answer = line


class SilentServer:
    """Accepts connections and never says a word: a relay or gateway that hangs."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._held: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> SilentServer:
        async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._held.append(writer)

        self._server = await asyncio.start_server(hold, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for writer in self._held:
            writer.close()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


# ---------------------------------------------------------------------------- HTTP


class _HttpFake:
    def __init__(self) -> None:
        self.app = web.Application()
        self.runner: web.AppRunner | None = None
        self.port = 0
        # "ok" | "http500" | "slow" | a provider error code, per fake
        self.mode = "ok"
        # Set when the fake stops: a request it holds ("slow") then ends.
        self.stopping = asyncio.Event()

    async def __aenter__(self) -> Any:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        self.stopping.set()
        await self.runner.cleanup()

    async def hold(self) -> None:
        """Keep the request waiting until the fake stops (longer than any timeout)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), 60)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _misbehave(self) -> web.Response | None:
        if self.mode == "http500":
            return web.Response(status=503, text="busy", headers={"Retry-After": "120"})
        if self.mode == "slow":
            await self.hold()
        return None


@dataclass
class Sms:
    sms_id: str
    phone: str
    content: str
    request_id: str
    callback_url: str


@dataclass
class FakeEsms(_HttpFake):
    """eSMS.vn's ``SendMultipleMessage_V4_post_json``: checks the keys, the brand name,
    SmsType 2 and IsUnicode 0 (the content must be plain ASCII), answers CodeResult 100
    and an SMSID; a RequestId seen before sends nothing new (as eSMS documents)."""

    api_key: str = "esms-api-key"
    secret_key: str = "esms-secret-key"
    brandname: str = "MOTCUA"
    sent: list[Sms] = field(default_factory=list)
    requests: int = 0

    def __post_init__(self) -> None:
        _HttpFake.__init__(self)
        self._ids = itertools.count(1)
        self.app.router.add_post(
            "/MainService.svc/json/SendMultipleMessage_V4_post_json/", self.send
        )

    @property
    def api_url(self) -> str:
        return f"{self.base}/MainService.svc/json/"

    async def send(self, request: web.Request) -> web.Response:
        self.requests += 1
        odd = await self._misbehave()
        if odd is not None:
            return odd
        body = await request.json()
        if body.get("ApiKey") != self.api_key or body.get("SecretKey") != self.secret_key:
            return web.json_response({"CodeResult": "101", "ErrorMessage": "Authorize Failed"})
        if body.get("Brandname") != self.brandname or body.get("SmsType") != "2":
            return web.json_response({"CodeResult": "104", "ErrorMessage": "Brandname"})
        content = str(body.get("Content", ""))
        if body.get("IsUnicode") != "0" or not content.isascii():
            return web.json_response({"CodeResult": "118", "ErrorMessage": "Unicode"})
        if self.mode not in {"ok", "slow", "lose_answer"}:
            return web.json_response({"CodeResult": self.mode, "ErrorMessage": "refused"})
        request_id = str(body.get("RequestId", ""))
        for sms in self.sent:
            if sms.request_id == request_id:
                return web.json_response({"CodeResult": "100", "SMSID": sms.sms_id})
        sms = Sms(
            sms_id=f"esms-{next(self._ids):06d}",
            phone=str(body["Phone"]),
            content=content,
            request_id=request_id,
            callback_url=str(body.get("CallbackUrl", "")),
        )
        self.sent.append(sms)
        if self.mode == "lose_answer":
            await self.hold()  # taken, but the answer never reaches the sender
        return web.json_response({"CodeResult": "100", "CountRegenerate": 0, "SMSID": sms.sms_id})


def esms_callback_query(sms: Sms, *, delivered: bool = True, status: str = "5") -> dict[str, str]:
    """The documented callback's parameters for a customer-care SMS."""
    return {
        "SMSID": sms.sms_id,
        "SendFailed": "0" if delivered else "1",
        "SendStatus": status,
        "SendSuccess": "1" if delivered else "0",
        "TotalPrice": "700.0000",
        "TotalReceiver": "1",
        "TotalSent": "1",
        "RequestId": sms.request_id,
        "TypeId": "2",
        "telcoid": "1",
        "phonenumber": sms.phone,
    }


@dataclass
class Zns:
    msg_id: str
    phone: str
    template_id: str
    template_data: dict[str, str]
    tracking_id: str


@dataclass
class FakeZns(_HttpFake):
    """Zalo's ``POST /message/template``: the ``access_token`` header, the phone in 84
    form, a template the OA has, its data; answers ``{"error": 0, "data": {"msg_id"}}``.
    ``event`` makes the OA webhook's signed ``user_received_message``."""

    access_token: str = "zalo-oa-access-token"
    app_id: str = "4361812075662036180"
    oa_secret: str = "zalo-oa-secret-key"
    templates: dict[str, set[str]] = field(default_factory=dict)  # id -> parameter names
    sent: list[Zns] = field(default_factory=list)

    def __post_init__(self) -> None:
        _HttpFake.__init__(self)
        self._ids = itertools.count(1)
        self.app.router.add_post("/message/template", self.send)

    @property
    def api_url(self) -> str:
        return f"{self.base}/message/template"

    async def send(self, request: web.Request) -> web.Response:
        odd = await self._misbehave()
        if odd is not None:
            return odd
        if request.headers.get("access_token") != self.access_token:
            return web.json_response({"error": -124, "message": "Access token is invalid"})
        body = await request.json()
        phone = str(body.get("phone", ""))
        if not (phone.startswith("84") and phone.isdigit() and len(phone) == 11):
            return web.json_response({"error": -108, "message": "Phone number is invalid"})
        template = str(body.get("template_id", ""))
        data = body.get("template_data")
        if template not in self.templates or not isinstance(data, dict):
            return web.json_response({"error": -1124, "message": "Template is invalid"})
        if set(data) != self.templates[template]:
            return web.json_response({"error": -1123, "message": "Template data is invalid"})
        if self.mode != "ok":
            return web.json_response({"error": int(self.mode), "message": "refused"})
        zns = Zns(
            msg_id=f"zns{next(self._ids):010d}",
            phone=phone,
            template_id=template,
            template_data=data,
            tracking_id=str(body.get("tracking_id", "")),
        )
        self.sent.append(zns)
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {
                    "msg_id": zns.msg_id,
                    "sent_time": str(int(time.time() * 1000)),
                    "quota": {"dailyQuota": "500", "remainingQuota": "499"},
                },
            }
        )

    def event(
        self, zns: Zns, *, timestamp_ms: int | None = None, secret: str | None = None
    ) -> tuple[bytes, str]:
        """The webhook's body and its X-ZEvent-Signature."""
        stamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
        body = json.dumps(
            {
                "event_name": "user_received_message",
                "app_id": self.app_id,
                "sender": {"id": "oa-1397492183140006179"},
                "recipient": {"id": "user-8846232"},
                "message": {"msg_id": zns.msg_id, "delivery_time": stamp},
                "timestamp": stamp,
            }
        ).encode()
        mac = hashlib.sha256(
            self.app_id.encode() + body + stamp.encode() + (secret or self.oa_secret).encode()
        ).hexdigest()
        return body, f"mac={mac}"
