from __future__ import annotations

import functools
import json
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import File, Redirect, Template

from backend.catalogue import service as catalogue
from backend.i18n import LANGUAGES
from backend.web.assets import PUBLIC_DIR, Assets
from backend.web.paths import local_path
from backend.web.public_pages import PUBLIC_PAGE
from backend.web.templates import LANGUAGE_COOKIE, page

ICON_URLS = ["/icons/icon-192.png", "/icons/icon-512.png", "/icons/maskable-512.png"]

ONE_YEAR = 365 * 24 * 3600


class HomePages(Controller):
    include_in_schema = False

    @get("/", name="home", opt={PUBLIC_PAGE: ()})
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        common = await catalogue.list_procedures(page_size=6)
        return page(request, "home.html", procedures=common.items)

    @get("/ngon-ngu", name="language")
    async def choose_language(
        self,
        lang: Annotated[str, QueryParameter(name="lang", max_length=8)],
        next_path: Annotated[str, QueryParameter(name="next", max_length=2000)] = "/",
    ) -> Response[Any]:
        """A plain link (works without JavaScript) that remembers the choice for a year."""
        response: Response[Any] = Redirect(local_path(next_path), status_code=303)
        if lang in LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE, lang, max_age=ONE_YEAR, samesite="lax", httponly=True
            )
        return response

    @get("/offline.html", name="offline", cache_control=None)
    async def offline(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "offline.html")


class ShellFiles(Controller):
    """The PWA's own files. ``/sw.js`` is served from the root so its scope is the whole
    site, with the release version and precache list filled in."""

    include_in_schema = False

    @get("/sw.js", name="service-worker")
    async def service_worker(self, assets: NamedDependency[Assets]) -> Response[bytes]:
        return Response(
            _service_worker(assets),
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
        )

    @get("/manifest.webmanifest", name="manifest")
    async def manifest(self) -> File:
        return File(
            PUBLIC_DIR / "manifest.webmanifest",
            content_disposition_type="inline",
            media_type="application/manifest+json",
            headers={"Cache-Control": "no-cache"},
        )

    @get(["/robots.txt", "/favicon.ico"], name="root-files")
    async def root_file(self, request: Request[Any, Any, Any]) -> File:
        name = request.url.path.lstrip("/")
        return File(
            PUBLIC_DIR / name,
            content_disposition_type="inline",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @get("/static/{release:str}/{name:path}", name="static")
    async def static(
        self, assets: NamedDependency[Assets], release: FromPath[str], name: FromPath[str]
    ) -> File:
        found = assets.find(release, name.lstrip("/"))
        if found is None:
            raise NotFoundException()
        path, media_type = found
        return File(
            path,
            content_disposition_type="inline",
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )


@functools.cache
def _service_worker(assets: Assets) -> bytes:
    """Built once per release (an Assets is made once, at start-up)."""
    precache = ["/offline.html", "/manifest.webmanifest", *assets.urls(), *ICON_URLS]
    source = (PUBLIC_DIR / "sw.js").read_text()
    source = source.replace("__MOTCUA_VERSION__", assets.version)
    source = source.replace("__MOTCUA_PRECACHE__", json.dumps(precache))
    return source.encode()
