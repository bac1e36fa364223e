"""Load benchmark: ``motcua serve`` against a bare Litestar app (the ceiling).

    .venv/bin/python tests/bench/load.py [--duration 20] [--users 32]

Starts ``motcua serve`` (SQLite in a fresh data dir; PostgreSQL in a fresh
``<DATABASE_URL's database>_bench`` database when DATABASE_URL is set) and the
ceiling app (tests/bench/ceiling.py, uvicorn with one worker and no access log,
as ``motcua serve`` runs), both on loopback ports. Then locust, headless, loads
each target in turn for --duration seconds, and a table shows requests/s, p50 and
p99 latency and how each compares with the ceiling. Everything it starts, it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.e2e.server import MotcuaServer  # noqa: E402
from tests.support.databases import POSTGRES_URL, fresh_postgres  # noqa: E402

WARM_UP_REQUESTS = 50


class UncachedServer(MotcuaServer):
    """The app without its public page cache (issue 21): the figure from before it."""

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "MOTCUA_PAGE_CACHE_MB": "0"}


class CeilingServer(MotcuaServer):
    """tests/bench/ceiling.py under uvicorn, with the options ``motcua serve`` uses."""

    name = "ceiling app"
    ready_path = "/ping"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "ceiling:app",
            "--app-dir",
            str(BENCH_DIR),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
            "--no-proxy-headers",
            "--no-server-header",
        ]


@dataclass(frozen=True)
class Target:
    label: str
    server: MotcuaServer
    path: str


@dataclass(frozen=True)
class Result:
    target: Target
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p99_ms: float
    generator_saturated: bool


def warm_up(target: Target) -> None:
    """Compile templates, fill pools: the first requests are not what is measured."""
    with httpx.Client(base_url=target.server.url, trust_env=False, timeout=10) as client:
        for _ in range(WARM_UP_REQUESTS):
            response = client.get(target.path)
            if response.status_code != 200:
                raise RuntimeError(f"{target.label}: {target.path} answered {response.status_code}")


def run_locust(target: Target, users: int, duration: int, out_dir: Path) -> Result:
    prefix = out_dir / target.label.replace(" ", "_").replace("/", "_")
    log_path = prefix.with_suffix(".log")
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(BENCH_DIR / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{duration}s",
        "--stop-timeout",
        "2",
        "--host",
        target.server.url,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {**os.environ, "BENCH_PATH": target.path}
    with log_path.open("wb") as log:
        # Locust exits non-zero when a request failed; the failures column says so.
        subprocess.run(
            command,
            cwd=out_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=duration + 60,
            check=False,
        )
    log_text = log_path.read_text(errors="replace")
    stats_path = Path(f"{prefix}_stats.csv")
    if not stats_path.exists():
        raise RuntimeError(f"locust wrote no statistics for {target.label}:\n{log_text[-3000:]}")
    with stats_path.open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["Name"] == target.path]
    if not rows:
        raise RuntimeError(f"no statistics for {target.path} in {stats_path}")
    row = rows[0]
    return Result(
        target=target,
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        rps=float(row["Requests/s"]),
        p50_ms=_number(row["50%"]),
        p99_ms=_number(row["99%"]),
        generator_saturated="CPU usage above" in log_text,
    )


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _ratio(value: float, ceiling: float) -> str:
    return f"{value / ceiling:.2f}x" if ceiling else "n/a"


def table(results: list[Result]) -> str:
    ceiling = results[0]
    header = (
        f"{'target':<26}{'path':<9}{'requests':>9}{'fail':>6}{'req/s':>10}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'req/s÷ceil':>12}{'p50÷ceil':>10}{'p99÷ceil':>10}"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        lines.append(
            f"{result.target.label:<26}{result.target.path:<9}{result.requests:>9}"
            f"{result.failures:>6}{result.rps:>10.0f}{result.p50_ms:>8.0f}{result.p99_ms:>8.0f}"
            f"{_ratio(result.rps, ceiling.rps):>12}{_ratio(result.p50_ms, ceiling.p50_ms):>10}"
            f"{_ratio(result.p99_ms, ceiling.p99_ms):>10}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per target")
    parser.add_argument("--users", type=int, default=32, help="concurrent locust users")
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="serve with MOTCUA_PAGE_CACHE_MB=0: the home page rendered for each request",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be between 1 and 600 seconds")
    if not 1 <= args.users <= 1000:
        parser.error("--users must be between 1 and 1000")

    database = "postgresql" if POSTGRES_URL else "sqlite"
    print(
        f"motcua load benchmark: {args.users} users, {args.duration} s per target, "
        f"database {database}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as temp:
        work = Path(temp)
        (work / "app").mkdir()
        (work / "ceiling").mkdir()
        database_url = asyncio.run(fresh_postgres("bench")) if POSTGRES_URL else None
        app = (UncachedServer if args.no_page_cache else MotcuaServer)(work / "app", database_url)
        ceiling = CeilingServer(work / "ceiling")
        try:
            app.start()
            ceiling.start()
            targets = [
                Target("ceiling (bare Litestar)", ceiling, "/ping"),
                Target("motcua readiness", app, "/readyz"),
                Target("motcua home page", app, "/"),
            ]
            results = []
            for target in targets:
                warm_up(target)
                print(f"  loading {target.label} {target.server.url}{target.path} ...", flush=True)
                results.append(run_locust(target, args.users, args.duration, work))
        finally:
            app.stop()
            ceiling.stop()
    print()
    print(table(results))
    if any(result.generator_saturated for result in results):
        print(
            "\nnote: locust reported its own CPU above 90%: the load generator, not only the"
            " server, limits these numbers (it shares this machine's CPUs with the servers)."
        )
    if any(result.failures for result in results):
        print("\nsome requests failed: see the fail column")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
