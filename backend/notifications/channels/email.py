"""E-mail over SMTP (aiosmtplib): one message per notice, plain text, our tracking id
as its Message-ID. Acceptance by the relay is all SMTP ever tells, so a sent e-mail is
final; bounces come back to the sender address, not to us (not read here)."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib

from backend.notifications.channels.base import Address, Message, Sent
from backend.settings import Settings

Security = Literal["starttls", "tls", "none"]


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    username: str
    password: str
    security: Security
    timeout_s: float


class EmailChannel:
    name = "email"
    address: Address = "email"
    # An SMTP relay does not drop a repeated message: never resend one left unanswered.
    idempotent = False
    kinds: frozenset[str] | None = None

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.domain = config.sender.rpartition("@")[2] or "localhost"

    def compose(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.config.sender
        mail["To"] = message.address
        mail["Subject"] = message.title
        mail["Date"] = email.utils.formatdate(usegmt=True)
        mail["Message-ID"] = f"<{message.tracking_id}@{self.domain}>"
        # Automatic mail: no out-of-office answers back (RFC 3834).
        mail["Auto-Submitted"] = "auto-generated"
        if message.unsubscribe_url:
            mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        text = f"{message.body}\n\n{message.url}\n"
        if message.footer:
            text += f"\n-- \n{message.footer}\n"
        mail.set_content(text, charset="utf-8")
        return mail

    async def send(self, message: Message) -> Sent:
        config = self.config
        try:
            await aiosmtplib.send(
                self.compose(message),
                hostname=config.host,
                port=config.port,
                username=config.username or None,
                password=config.password or None,
                use_tls=config.security == "tls",
                start_tls=config.security == "starttls",
                timeout=config.timeout_s,
            )
        except aiosmtplib.SMTPConnectTimeoutError:
            return Sent("retry", detail="connect timeout")
        except aiosmtplib.SMTPTimeoutError:
            # Past the connection the relay may have the message already.
            return Sent("unknown", detail="timeout")
        except aiosmtplib.SMTPConnectError as error:
            return Sent("retry", detail=f"connect: {type(error).__name__}")
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = sorted({refused.code for refused in error.recipients})
            return _by_code(codes[-1] if codes else 550, "recipient refused")
        except aiosmtplib.SMTPResponseException as error:
            return _by_code(error.code, type(error).__name__)
        except (aiosmtplib.SMTPException, OSError) as error:
            return Sent("retry", detail=type(error).__name__)
        return Sent("sent", final=True)


def _by_code(code: int, what: str) -> Sent:
    """SMTP 4xx is "try later", 5xx is "never" (RFC 5321)."""
    return Sent("retry" if 400 <= code < 500 else "failed", detail=f"SMTP {code} {what}")


def from_settings(settings: Settings) -> EmailChannel | None:
    if not settings.channels.smtp_host:
        return None
    return EmailChannel(
        SmtpConfig(
            host=settings.channels.smtp_host,
            port=settings.channels.smtp_port,
            sender=settings.channels.smtp_from,
            username=settings.channels.smtp_username,
            password=settings.channels.smtp_password,
            security=settings.channels.smtp_security,
            timeout_s=settings.channels.channel_timeout_s,
        )
    )
