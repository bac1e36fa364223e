"""The ceiling: a bare Litestar app with one JSON endpoint and nothing else (no
database, templates, middleware or compression). Served by uvicorn the way
``motcua serve`` is served, it shows what one worker can do on this machine."""

from __future__ import annotations

from litestar import Litestar, get


@get("/ping", sync_to_thread=False)
def ping() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar(route_handlers=[ping], debug=False)
