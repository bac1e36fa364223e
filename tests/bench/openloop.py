"""Open-loop load: Poisson arrivals at a fixed rate, independent of the responses.

    .venv/bin/python tests/bench/openloop.py --url http://127.0.0.1:8000 --path /ping \
        --rate 200 --duration 15

Closed-loop generators (locust's users, even paced by ``constant_throughput``) send the
next request only when the previous one has come back: a slow answer delays the
requests behind it, which are then never measured as late (coordinated omission), and
paced users fall into step and arrive in bursts. Here the send times are drawn up front
(exponential gaps: a Poisson process, as independent visitors arrive) and each request
starts at its time whatever the others are doing. Its latency runs from the *scheduled*
send time to the last byte of the response, so time spent waiting (for a connection, for
the event loop, in the server's queue) is counted.

HTTP/1.1 keep-alive over raw asyncio streams on loopback: a request takes an idle
connection or opens a new one (up to ``--max-connections``), so the client never queues
requests behind each other. Bounded in time (``--duration``, plus ``--grace`` to finish)
and count (``--max-requests``). ``--targets FILE`` replaces ``--path``: a JSON list of
``{"path": ..., "headers": {...}}``, one drawn at random for each request (signed-in
pages: each path with its owner's session cookie). Prints one JSON object: counts,
percentiles in ms, the worst lateness of a send against its schedule, and this process's
CPU use (user+system seconds over wall seconds: well below 1.0 means the generator is not
the bottleneck).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from queries import QUERIES

HEADERS = "Accept-Encoding: gzip\r\nAccept-Language: vi-VN,vi;q=0.9\r\n"


class Pool:
    """Keep-alive connections to one host: take an idle one or open another."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(limit)
        self.opened = 0

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.opened += 1
        return await asyncio.open_connection(self.host, self.port)

    async def get(self, target: str, headers: str = "") -> int:
        """One GET; its status. A kept-alive connection the server has closed meanwhile
        (its idle timeout) is replaced once, as HTTP clients do; other errors raise.
        ``headers``: more header lines, each ending in CRLF."""
        async with self.slots:
            if self.idle:
                try:
                    return await self._exchange(self.idle.pop(), target, headers)
                except (ConnectionError, asyncio.IncompleteReadError) as error:
                    if isinstance(error, asyncio.IncompleteReadError) and error.partial:
                        raise
            return await self._exchange(await self.open(), target, headers)

    async def _exchange(
        self,
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        target: str,
        headers: str = "",
    ) -> int:
        reader, writer = connection
        try:
            writer.write(
                f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"{HEADERS}{headers}\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            chunked = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:
                while True:
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            elif length:
                await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        self.idle.append(connection)
        return status

    async def warm(self, count: int, target: str, headers: str = "") -> None:
        """Open ``count`` connections (and use each once) before the clock starts."""
        await asyncio.gather(*(self.get(target, headers) for _ in range(count)))

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


def load_targets(path: str) -> list[tuple[str, str]]:
    """``--targets``: (path, extra header lines) pairs from a JSON list of
    ``{"path": "/x", "headers": {"Cookie": "..."}}``."""
    entries = json.loads(Path(path).read_text())
    targets = []
    for entry in entries:
        lines = "".join(f"{name}: {value}\r\n" for name, value in entry.get("headers", {}).items())
        if "\n" in entry["path"] or "\n" in lines.replace("\r\n", ""):
            raise ValueError(f"a target holds a line break: {entry!r}")
        targets.append((entry["path"], lines))
    if not targets:
        raise ValueError(f"{path}: no targets")
    return targets


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(args: argparse.Namespace) -> dict[str, object]:
    parts = urlsplit(args.url)
    pool = Pool(parts.hostname or "127.0.0.1", parts.port or 80, args.max_connections)
    rng = random.Random(args.seed)
    queries = list(QUERIES) if args.queries else []
    listed = load_targets(args.targets) if args.targets else []

    def target() -> tuple[str, str]:
        if listed:
            return rng.choice(listed)
        if not queries:
            return args.path, ""
        return f"{args.path}?q={quote(rng.choice(queries))}", ""

    await pool.warm(args.warm_connections, *target())
    loop = asyncio.get_running_loop()
    # The schedule, drawn before the start: exponential gaps at the mean rate.
    start = loop.time() + 0.05
    times: list[float] = []
    at = start
    while len(times) < args.max_requests:
        at += rng.expovariate(args.rate)
        if at - start > args.duration:
            break
        times.append(at)
    latencies: list[float] = []
    lateness: list[float] = []
    failures = 0
    statuses: dict[int, int] = {}
    errors: dict[str, int] = {}

    async def one(scheduled: float, path: str, headers: str) -> None:
        nonlocal failures
        lateness.append(loop.time() - scheduled)
        try:
            status = await pool.get(path, headers)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            failures += 1
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            return
        latencies.append(loop.time() - scheduled)
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 400:
            failures += 1

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    wall_before = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for scheduled in times:
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled, *target())))
    _done, pending = await asyncio.wait(tasks, timeout=args.grace) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    wall = time.perf_counter() - wall_before
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    pool.close()
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "scheduled": len(times),
        "completed": len(latencies),
        "failures": failures + len(pending),
        "statuses": statuses,
        "errors": errors,
        "rps": len(latencies) / wall if wall else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=float("nan")) * 1000,
        "send_late_p99_ms": percentile(lateness, 0.99) * 1000,
        "connections": pool.opened,
        "cpu": cpu / wall if wall else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--path", default="/ping")
    parser.add_argument("--queries", action="store_true", help="add ?q= from queries.py")
    parser.add_argument(
        "--targets", help='JSON list of {"path", "headers"}, one drawn for each request'
    )
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--max-connections", type=int, default=256)
    parser.add_argument("--warm-connections", type=int, default=16)
    parser.add_argument("--grace", type=float, default=10.0, help="seconds to finish")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
