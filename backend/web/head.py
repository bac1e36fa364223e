"""``HEAD`` answered as ``GET`` would be, without the body (RFC 9110, 9.3.2).

Litestar routes ``HEAD`` only to handlers declared for it, so every page and API read
answered 405 to a link checker, an uptime probe or ``curl -I``. This wraps the whole
ASGI handler: the application sees a ``GET`` (same routing, guards, headers, status,
``Content-Length``), and the body it sends is dropped.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                # One empty body closes the response, once the handler's last part comes.
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # A copy: the outer middleware (the log line) still sees HEAD.
        await self.app({**scope, "method": "GET"}, receive, without_body)
