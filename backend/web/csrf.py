"""Cross-site request forgery: a double-submit token bound to the session, and the
request's origin checked (issue 15).

Litestar's own CSRF middleware signs a random token but binds it to nothing, so a
token planted in the cookie (from a sibling subdomain, over plain http) is as good as
ours, and it looks at no origin. Here:

- the token is ``<nonce><HMAC(secret, nonce, binding)>``, the binding being a digest of
  the session cookie the browser sends (none when signed out): a token made for
  another session, or for nobody, is refused once someone is signed in;
- a response that sets or clears the session cookie (signing in or out) carries a new
  token bound to it, so the page's scripts read a good one at once;
- an unsafe request whose ``Origin`` is not the public origin, or whose
  ``Sec-Fetch-Site`` says it came from another site, is refused before its token is
  looked at (a request with neither, from a non-browser client, rests on the token;
  ``Origin: null`` passes only with ``Sec-Fetch-Site: same-origin``);
- on https the cookie is ``__Host-csrftoken`` (Secure, Path=/, no Domain: no sibling
  can set it);
- no token cookie goes out on a response marked ``public`` (a shared cache would give
  it to everyone).

Paths that authenticate otherwise (a gateway's signed notification) are excluded.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType, ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from backend.errors import Forbidden
from backend.i18n import N_

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HEADER = "x-csrftoken"
FORM_FIELD = "_csrf_token"
_NONCE_HEX = 32
_TOKEN = re.compile(r"^[0-9a-f]{128}$")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True, slots=True)
class CsrfSettings:
    secret: str
    public_origin: str
    # The session cookie whose value the token is bound to.
    session_cookie: str
    secure: bool
    # Exact paths, not patterns: nothing else slips through by a prefix.
    exclude: frozenset[str] = frozenset()

    @property
    def cookie_name(self) -> str:
        return "__Host-csrftoken" if self.secure else "csrftoken"


class CsrfMiddleware:
    def __init__(self, app: ASGIApp, settings: CsrfSettings) -> None:
        self.app = app
        self.settings = settings

    # ---------------------------------------------------------------- tokens

    def _mac(self, nonce: str, binding: str) -> str:
        message = f"csrf:{nonce}:{binding}".encode()
        return hmac.new(self.settings.secret.encode(), message, hashlib.sha256).hexdigest()

    def new_token(self, binding: str) -> str:
        nonce = secrets.token_hex(_NONCE_HEX)
        return nonce + self._mac(nonce, binding)

    def valid(self, token: str | None, binding: str) -> bool:
        if token is None or not _TOKEN.match(token):
            return False
        nonce, mac = token[: _NONCE_HEX * 2], token[_NONCE_HEX * 2 :]
        return hmac.compare_digest(mac, self._mac(nonce, binding))

    @staticmethod
    def binding_of(session: str | None) -> str:
        """A digest, never the session's token itself, goes into the MAC."""
        return hashlib.sha256(session.encode()).hexdigest() if session else ""

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["path"] in self.settings.exclude:
            await self.app(scope, receive, send)
            return
        request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive)
        cookies: dict[str, str] = request.cookies
        binding = self.binding_of(cookies.get(self.settings.session_cookie))
        kept = cookies.get(self.settings.cookie_name)
        state = ScopeState.from_scope(scope)
        if request.method in SAFE_METHODS:
            if kept is not None and self.valid(kept, binding):
                state.csrf_token = kept
                await self.app(scope, receive, self._wrap(send, None))
            else:
                state.csrf_token = fresh = self.new_token(binding)
                await self.app(scope, receive, self._wrap(send, fresh))
            return
        self._check_origin(request.headers)
        sent = request.headers.get(HEADER)
        if sent is None and request.content_type[0] in {
            RequestEncodingType.URL_ENCODED,
            RequestEncodingType.MULTI_PART,
        }:
            form = await request.form()
            value = form.get(FORM_FIELD)
            sent = value if isinstance(value, str) else None
        if (
            sent is None
            or kept is None
            or not hmac.compare_digest(sent, kept)
            or not self.valid(kept, binding)
        ):
            raise Forbidden(
                N_(
                    "Trang này đã cũ hoặc phiên đăng nhập đã đổi. Hãy tải lại trang rồi "
                    "thử lại; những gì đã lưu vẫn còn nguyên."
                ),
                field="csrf",
            )
        state.csrf_token = kept
        await self.app(scope, receive, self._wrap(send, None))

    def _check_origin(self, headers: Any) -> None:
        origin = headers.get("origin")
        site = headers.get("sec-fetch-site")
        if origin == "null":
            # A page sent with ``Referrer-Policy: no-referrer`` (feedback tracking,
            # whose address holds its key) posts ``Origin: null`` even to itself;
            # so does a sandboxed frame elsewhere. The browser's own
            # Sec-Fetch-Site tells them apart.
            foreign = site != "same-origin"
        elif origin is not None:
            foreign = origin.lower() != self.settings.public_origin
        else:
            # "none": the person's own action (a bookmark, the address bar).
            foreign = site is not None and site not in {"same-origin", "none"}
        if foreign:
            raise Forbidden(
                N_(
                    "Yêu cầu bị từ chối vì không được gửi từ trang của Một Cửa. Hãy mở "
                    "Một Cửa từ địa chỉ chính thức rồi thử lại."
                ),
                field="origin",
            )

    def _wrap(self, send: Send, fresh: str | None) -> Send:
        """Sets the token cookie: a fresh one, or one bound to the session cookie the
        response sets or clears; never on a response a shared cache may keep."""
        session_cookie = self.settings.session_cookie

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                token = fresh
                for value in headers.getall("set-cookie", []):
                    parsed: SimpleCookie = SimpleCookie()
                    parsed.load(value)
                    if session_cookie in parsed:
                        morsel = parsed[session_cookie]
                        ended = not morsel.value or morsel["max-age"] in {"0", 0}
                        token = self.new_token("" if ended else self.binding_of(morsel.value))
                cache = headers.get("cache-control", "") or ""
                if token is not None and "public" not in cache.lower():
                    headers.add("set-cookie", self._cookie(token))
            await send(message)

        return wrapped

    def _cookie(self, token: str) -> str:
        return Cookie(
            key=self.settings.cookie_name,
            value=token,
            path="/",
            secure=self.settings.secure,
            # The page scripts read it to send it back in the header.
            httponly=False,
            samesite="lax",
        ).to_header(header="")
