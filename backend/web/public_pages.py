"""Public pages served from memory (issue 21).

A page that looks the same to every anonymous visitor (the home page, a search, a
procedure) is rendered once per catalogue version, language and query, and kept with
its gzip and brotli bodies, made once when it is filled; later visitors get the stored
bytes, and a browser holding them gets ``304 Not Modified``.

- A page opts in with ``opt={PUBLIC_PAGE: (query names it reads)}`` on its route. The
  query is reduced to those names (sorted, empty values dropped) and the page is
  rendered for that reduced query: junk parameters neither change the page nor add
  entries. A query naming a parameter twice is not served from here.
- Only a GET (HEAD too: ``HeadAsGet`` outside makes it one) without the session cookie
  is served from here: a signed-in person's page shows their own header, and their
  requests neither read nor fill the cache.
- The key holds no version: each entry keeps the catalogue version it was rendered
  under and is used only while that is still the database's (read on every request,
  one fixed-SQL row), so a change anywhere (an admin edit, an import, another app
  process) shows at once, every process agreeing, and the entry is replaced in place.
- Nothing personal is stored: the CSRF middleware's fresh token cookie is dropped from
  the page (none of these pages posts a form), the request id and the security headers
  are added outside (``EdgeMiddleware``), and a page that sets any other cookie, or
  answers other than 200 HTML or JSON (the catalogue's API), is passed on and not kept.
- ``Cache-Control: public, no-cache``: any cache may keep the page, but must ask again
  before each use. A fee or a document list corrected in the catalogue must not be
  shown old for a minute; the question costs one round trip and a bodyless 304.
  A route that gives its own public policy keeps it (the catalogue API's minute).
- The entries' bytes (the three bodies) are bounded; the least recently used go first.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.cookies import SimpleCookie
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode

import brotli
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils import normalize_path

from backend import i18n

PUBLIC_PAGE = "public_page"
CACHE_CONTROL = b"public, no-cache"
VARY = b"Accept-Encoding, Accept-Language, Cookie"
LANGUAGE_COOKIE = "lang"
# Headers the stored page does not keep: made again for each answer, or its own.
_NOT_KEPT = frozenset(
    {
        b"content-length",
        b"content-encoding",
        b"set-cookie",
        b"etag",
        b"last-modified",
        b"cache-control",
        b"vary",
        b"date",
        b"x-request-id",
    }
)
_NOT_PASSED = frozenset(
    {b"cookie", b"accept-language", b"accept-encoding", b"if-none-match", b"if-modified-since"}
)
# Brotli's quality 9: within a few per cent of 11 on these pages at a fraction of the
# time; a fill happens on the event loop, once per page and catalogue version.
_BROTLI_QUALITY = 9
# Longest query kept as a key (the pages bound each parameter far below it).
_MAX_QUERY = 4096


@dataclass(frozen=True, slots=True)
class StoredPage:
    version: Hashable
    headers: tuple[tuple[bytes, bytes], ...]
    identity: bytes
    gzip: bytes
    br: bytes
    etag: bytes
    cache_control: bytes
    # Seconds since the epoch; the header's text alongside.
    modified: int
    last_modified: bytes

    @property
    def size(self) -> int:
        return len(self.identity) + len(self.gzip) + len(self.br) + 512

    def body(self, encoding: str) -> bytes:
        return self.br if encoding == "br" else self.gzip if encoding == "gzip" else self.identity

    def etag_of(self, encoding: str) -> bytes:
        # Each encoding is its own representation: a strong ETag names exact bytes.
        return self.etag if encoding == "identity" else self.etag[:-1] + f'-{encoding}"'.encode()


def store(
    version: Hashable, headers: list[tuple[bytes, bytes]], body: bytes, modified: int
) -> StoredPage:
    digest = hashlib.blake2b(body, digest_size=16).hexdigest()
    given = dict(headers).get(b"cache-control", b"")
    return StoredPage(
        version=version,
        headers=tuple((name, value) for name, value in headers if name not in _NOT_KEPT),
        identity=body,
        gzip=gzip.compress(body, compresslevel=9, mtime=0),
        br=brotli.compress(body, mode=brotli.MODE_TEXT, quality=_BROTLI_QUALITY),
        etag=f'"{digest}"'.encode(),
        # A route's own public policy stands (the API's searches may be kept a minute).
        cache_control=given if given.startswith(b"public") else CACHE_CONTROL,
        modified=modified,
        last_modified=formatdate(modified, usegmt=True).encode(),
    )


class PageCache:
    """Least recently used first out, within ``max_bytes`` of bodies."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self._pages: OrderedDict[Hashable, StoredPage] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, key: Hashable) -> StoredPage | None:
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
        return page

    def put(self, key: Hashable, page: StoredPage) -> None:
        self.discard(key)
        # One page may take at most an eighth: a huge one would empty the cache.
        if page.size > self.max_bytes // 8:
            return
        self._pages[key] = page
        self.used += page.size
        while self.used > self.max_bytes:
            _, oldest = self._pages.popitem(last=False)
            self.used -= oldest.size

    def discard(self, key: Hashable) -> None:
        old = self._pages.pop(key, None)
        if old is not None:
            self.used -= old.size


class PublicPages:
    """``route_opt(path)``: the opt of the GET route the path leads to, or None.
    ``version()``: the catalogue's version, read for each request it may serve."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        cache: PageCache,
        route_opt: Callable[[str], dict[str, Any] | None],
        version: Callable[[], Awaitable[Hashable]],
        session_cookie: str,
        csrf_cookies: tuple[str, ...],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.cache = cache
        self.route_opt = route_opt
        self.version = version
        self.session_cookie = session_cookie
        self.csrf_cookies = frozenset(csrf_cookies)
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        cookies = _cookies(headers.get(b"cookie", b""))
        names = self._query_names(scope, cookies)
        query = _reduced_query(scope["query_string"], names) if names is not None else None
        if query is None:
            await self.app(scope, receive, send)
            return
        lang = i18n.negotiate(
            cookies.get(LANGUAGE_COOKIE), headers.get(b"accept-language", b"").decode("latin-1")
        )
        key = (lang, scope["path"], query)
        try:
            version = await self.version()
        except Exception:
            # The database away (or any failure to read the version): the app answers
            # as without a cache, through its error handlers (a 503 with Retry-After).
            await self.app(scope, receive, send)
            return
        page = self.cache.get(key)
        if page is None or page.version != version:
            page = await self._fill(scope, receive, send, key, version, page, lang, query)
            if page is None:
                return
        await self._answer(page, headers, send)

    def _query_names(self, scope: Scope, cookies: dict[str, str]) -> tuple[str, ...] | None:
        if self.session_cookie in cookies:
            return None
        try:
            opt = self.route_opt(normalize_path(scope["path"]))
        except Exception:  # no route, or not a GET one: the app answers as it does
            return None
        names = opt.get(PUBLIC_PAGE) if opt else None
        return tuple(names) if names is not None else None

    async def _fill(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: Hashable,
        version: Hashable,
        old: StoredPage | None,
        lang: str,
        query: bytes,
    ) -> StoredPage | None:
        """Renders the page for the reduced query, uncompressed; keeps it if it is a
        plain public page. Otherwise the answer goes out as rendered, and None."""
        # The page sees only what its key holds: the language (as the one cookie, so
        # that it cannot be read otherwise than here), the path and the reduced query;
        # no other cookie, no conditional header, no compression asked.
        inner_headers = [
            (name, value) for name, value in scope["headers"] if name not in _NOT_PASSED
        ]
        inner_headers.append((b"cookie", f"{LANGUAGE_COOKIE}={lang}".encode()))
        inner: Any = {**scope, "query_string": query, "headers": inner_headers}
        start: dict[str, Any] | None = None
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = dict(message)
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(inner, receive, capture)
        assert start is not None
        body = b"".join(parts)
        kept = self._keepable(start)
        if kept is None:
            await send(cast("Message", start))
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return None
        # A later page than any this process gave for the key: a browser's
        # If-Modified-Since of the old one never matches the new.
        modified = int(self.clock())
        if old is not None and modified <= old.modified:
            modified = old.modified + 1
        page = store(version, kept, body, modified)
        self.cache.put(key, page)
        return page

    def _keepable(self, start: dict[str, Any]) -> list[tuple[bytes, bytes]] | None:
        if start["status"] != 200:
            return None
        headers = [(bytes(name).lower(), bytes(value)) for name, value in start["headers"]]
        kept = []
        for name, value in headers:
            if name == b"content-encoding":
                return None
            if name == b"set-cookie":
                if _cookie_name(value) not in self.csrf_cookies:
                    return None
                continue
            kept.append((name, value))
        content_type = dict(kept).get(b"content-type", b"")
        return kept if content_type.startswith((b"text/html", b"application/json")) else None

    async def _answer(self, page: StoredPage, headers: dict[bytes, bytes], send: Send) -> None:
        encoding = _encoding(headers.get(b"accept-encoding", b""))
        etag = page.etag_of(encoding)
        common = [
            (b"etag", etag),
            (b"last-modified", page.last_modified),
            (b"cache-control", page.cache_control),
            (b"vary", VARY),
        ]
        if _not_modified(page, headers):
            await send({"type": "http.response.start", "status": 304, "headers": common})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        body = page.body(encoding)
        response_headers = [*page.headers, *common, (b"content-length", str(len(body)).encode())]
        if encoding != "identity":
            response_headers.append((b"content-encoding", encoding.encode()))
        await send({"type": "http.response.start", "status": 200, "headers": response_headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _headers(scope: Scope) -> dict[bytes, bytes]:
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        # Repeated headers are one list (RFC 9110, 5.3); cookies are joined by "; ".
        if name in found:
            found[name] += (b"; " if name == b"cookie" else b", ") + value
        else:
            found[name] = value
    return found


def _cookies(header: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.decode("latin-1").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name not in found:
            found[name] = value
    return found


def _cookie_name(set_cookie: bytes) -> str:
    parsed: SimpleCookie = SimpleCookie()
    parsed.load(set_cookie.decode("latin-1"))
    return next(iter(parsed), "")


def _reduced_query(raw: bytes, names: tuple[str, ...]) -> bytes | None:
    """The query with only the page's own parameters, sorted, empty ones dropped; None
    for one that names a parameter twice or is too long to be a page's."""
    if len(raw) > _MAX_QUERY:
        return None
    try:
        pairs = parse_qsl(
            raw.decode("latin-1"), keep_blank_values=False, encoding="utf-8", errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        return None
    kept = [(name, value) for name, value in pairs if name in names]
    if len({name for name, _ in kept}) != len(kept):
        return None
    return urlencode(sorted(kept)).encode()


def _encoding(accept: bytes) -> str:
    """br, else gzip, else none: whichever the client accepts (q > 0)."""
    accepted: dict[str, float] = {}
    for item in accept.decode("latin-1").lower().split(","):
        token, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        accepted[token.strip()] = quality
    for encoding in ("br", "gzip"):
        if accepted.get(encoding, accepted.get("*", 0.0)) > 0:
            return encoding
    return "identity"


def _not_modified(page: StoredPage, headers: dict[bytes, bytes]) -> bool:
    """RFC 9110, 13.1: If-None-Match (weak comparison, any encoding of these same
    bytes) wins; If-Modified-Since counts only without it."""
    if_none_match = headers.get(b"if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")}
        ours = {page.etag_of(encoding) for encoding in ("identity", "gzip", "br")}
        return b"*" in tags or bool(tags & ours)
    since = headers.get(b"if-modified-since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(since.decode("latin-1")).timestamp() >= page.modified
    except (TypeError, ValueError):
        return False
