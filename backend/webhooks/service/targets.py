"""Where a webhook may be sent (SSRF safety).

A subscription's address is https, without a user name, on a host whose every address
is public: no private, loopback, link-local, multicast, reserved or unspecified one
(an IPv4 address written as IPv6 counts as itself). It is checked when the
subscription is made and again at each delivery: the name is resolved once per
delivery, every address it gives checked, and the connection made to the first one,
the name going only into the Host header and TLS's SNI (so the certificate is still
checked against the name). A name that changed its answer to a private address
between the two (DNS rebinding) is refused at delivery. Plain http to a loopback
address only with ``MOTCUA_WEBHOOK_ALLOW_HTTP_LOOPBACK`` (tests; refused in
production)."""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from backend.errors import InvalidInput
from backend.i18n import N_
from backend.webhooks.runtime import WebhooksRuntime

MAX_URL = 500
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """A delivery's target may not be reached (said in the delivery log, in English:
    it is for the integrator's engineers, like the HTTP status)."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where one delivery goes: the address connected to, and the name it stands for."""

    url: str  # the request's URL, with the address in place of the name
    host_header: str
    sni: str | None  # https: the name the certificate must carry
    address: str


def blocked(address: Address, *, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if allow_loopback and address.is_loopback:
        return False
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def parse_url(runtime: WebhooksRuntime, raw: str) -> tuple[str, str, int]:
    """The address as kept (normalised), its host and port; refused with the reason."""
    url = raw.strip()
    if not url:
        raise InvalidInput(N_("Hãy nhập địa chỉ nhận sự kiện (https://...)."), field="url")
    if len(url) > MAX_URL:
        raise InvalidInput(N_("Địa chỉ dài quá %(limit)s ký tự.", limit=MAX_URL), field="url")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    try:
        # An internationalised name as DNS and the Host header carry it.
        host = (parts.hostname or "").lower().encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    if parts.scheme not in {"https", "http"} or not host or port == -1 or port == 0:
        raise InvalidInput(N_("Địa chỉ phải có dạng https://ten-may-chu/duong-dan."), field="url")
    if parts.username or parts.password:
        raise InvalidInput(N_("Địa chỉ không được chứa tên đăng nhập hay mật khẩu."), field="url")
    if parts.fragment:
        raise InvalidInput(N_("Địa chỉ không được có phần “#...”."), field="url")
    if parts.scheme == "http" and not runtime.allow_http_loopback:
        raise InvalidInput(N_("Địa chỉ phải dùng https."), field="url")
    literal = _literal(host)
    if literal is not None and _refused(parts.scheme, [literal], runtime):
        raise _private()
    netloc = f"[{host}]" if literal is not None and literal.version == 6 else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    kept = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    if len(kept) > MAX_URL:
        raise InvalidInput(N_("Địa chỉ dài quá %(limit)s ký tự.", limit=MAX_URL), field="url")
    return kept, host, port or (443 if parts.scheme == "https" else 80)


def _private() -> InvalidInput:
    return InvalidInput(
        N_(
            "Địa chỉ trỏ tới một mạng nội bộ hoặc địa chỉ dành riêng: chỉ được gửi sự kiện"
            " tới máy chủ công khai trên Internet."
        ),
        field="url",
    )


def _refused(scheme: str, addresses: list[Address], runtime: WebhooksRuntime) -> list[Address]:
    """The addresses a delivery may not go to: plain http only ever to loopback (with
    the tests' setting), https to public addresses (and loopback with that setting)."""
    allow = runtime.allow_http_loopback
    return [
        address
        for address in addresses
        if blocked(address, allow_loopback=allow) or (scheme == "http" and not address.is_loopback)
    ]


async def addresses_of(runtime: WebhooksRuntime, host: str, port: int) -> list[Address]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    found = await asyncio.wait_for(runtime.resolve(host, port), runtime.timeout_s)
    addresses = [address for text in found if (address := _literal(text.split("%")[0]))]
    if not addresses:
        raise OSError("no address")
    return addresses


async def check_url(runtime: WebhooksRuntime, raw: str) -> str:
    """A subscription's address, checked as it is made: its name must resolve, and to
    public addresses only."""
    url, host, port = parse_url(runtime, raw)
    try:
        addresses = await addresses_of(runtime, host, port)
    except (OSError, TimeoutError):
        raise InvalidInput(
            N_("Không tìm thấy máy chủ “%(host)s”: hãy kiểm tra địa chỉ.", host=host),
            field="url",
        ) from None
    if _refused(urlsplit(url).scheme, addresses, runtime):
        raise _private()
    return url


async def pin(runtime: WebhooksRuntime, url: str) -> Target:
    """Resolve a delivery's target once and check it; ``Refused`` says why not."""
    try:
        kept, host, port = parse_url(runtime, url)
    except InvalidInput as error:
        raise Refused(f"address refused: {error.message('en')}") from None
    try:
        addresses = await addresses_of(runtime, host, port)
    except (OSError, TimeoutError):
        raise Refused(f"name not resolved: {host}") from None
    bad = _refused(urlsplit(kept).scheme, addresses, runtime)
    if bad:
        raise Refused(f"address not allowed: {bad[0]}")
    chosen = addresses[0]
    parts = urlsplit(kept)
    netloc = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    return Target(
        url=urlunsplit((parts.scheme, f"{netloc}:{port}", parts.path, parts.query, "")),
        host_header=parts.netloc,
        sni=host if parts.scheme == "https" else None,
        address=str(chosen),
    )
