"""A TCP proxy in front of a real server that a test can cut, as a network can.

``forward()``: bytes pass both ways. ``blackhole()``: connections are accepted and
nothing goes through, either way, on new or existing connections (a partition: what
was sent waits, as TCP would retransmit it, and arrives once forwarding resumes).
``reset()``: every open connection, and each new one, is closed with a RST.

It runs its own event loop in a thread, as a proxy on another machine would: the
app's synchronous moments (Piccolo checks the server's version when an engine is
made) must not stall it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from types import TracebackType


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with a RST rather than a FIN (SO_LINGER with a zero timeout)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """``with FaultProxy(host, port) as proxy:`` listens on 127.0.0.1:``proxy.port``."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._proxy = _Proxy(upstream_host, upstream_port)
        self.port = 0

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self._call(self._proxy.start)
        self.port = self._proxy.port
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self._proxy.close(), self._loop).result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    def forward(self) -> None:
        self._call(self._proxy.forward)

    def blackhole(self) -> None:
        self._call(self._proxy.blackhole)

    def reset(self) -> None:
        self._call(self._proxy.reset)

    def _call(self, action: Callable[[], object]) -> None:
        async def run() -> None:
            result = action()
            if asyncio.iscoroutine(result):
                await result

        asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)


class _Proxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._passing = asyncio.Event()  # set: forward or reset; clear: blackhole
        self._passing.set()
        self._resetting = False
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for client, upstream in list(self._links):
            client.transport.abort()
            upstream.transport.abort()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    def forward(self) -> None:
        self._resetting = False
        self._passing.set()

    def blackhole(self) -> None:
        self._resetting = False
        self._passing.clear()

    def reset(self) -> None:
        self._resetting = True
        self._passing.set()  # wake whatever waits, so that it is reset too
        for client, upstream in list(self._links):
            _abort(client)
            _abort(upstream)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._passing.wait()
            if self._resetting:
                _abort(writer)
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                _abort(writer)
                return
            link = (writer, up_writer)
            self._links.add(link)
            pumps = [
                asyncio.create_task(self._pump(reader, up_writer)),
                asyncio.create_task(self._pump(up_reader, writer)),
            ]
            try:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
                self._links.discard(link)
                up_writer.transport.abort()
        finally:
            writer.transport.abort()
            self._handlers.discard(task)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._passing.wait()  # a blackhole holds what was read
                if self._resetting:
                    return
                writer.write(data)
                await writer.drain()
        except OSError:
            return
