"""Search benchmark: catalogue search under load, beside the ceiling endpoint.

    .venv/bin/python tests/bench/search.py [--procedures 2500] [--rate 200] [--duration 20]

Starts ``motcua serve`` on a fresh database (SQLite, or PostgreSQL when DATABASE_URL
is set: ``<database>_bench_search``), grows the demo catalogue to ``--procedures``
procedures (variants of the 30 demo ones, with their own codes, names and agencies),
and the ceiling app of tests/bench/ceiling.py. Then three phases run on each target:

- open loop (openloop.py, its own process): Poisson arrivals at ``--rate`` requests/s
  (the target: p99 ≤ 25 ms at 200 requests/s), latency from each request's scheduled
  send time, so queueing is counted; the figure to read against the target;
- locust (headless, on this same machine) at the same fixed rate, paced by
  ``constant_throughput``: it adds its own scheduling, kept for comparison;
- locust as fast as the server answers (``--users`` busy connections): throughput.

Searches cycle through the queries of the relevance set (with and without
diacritics, misspelled, partial). Nothing here asserts on time: it prints figures.

Before the load, the public set of everyday queries (tests/catalogue/everyday_queries.json)
is searched once, one query at a time: its top-3 hit rate on the demo catalogue and on
the grown one (the quality figure, asserted at a floor by
tests/catalogue/test_everyday_queries.py), and on the grown one the latency of those
first, uncached searches (the cost of the synonym layer, typo widening and ranking; the
load phases after the warm-up measure mostly cached ones).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import msgspec

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parents[1]
for folder in (str(REPO), str(BENCH_DIR)):
    if folder not in sys.path:
        sys.path.insert(0, folder)

from load import CeilingServer  # noqa: E402

from tests.catalogue import everyday  # noqa: E402
from tests.e2e.server import MotcuaServer  # noqa: E402
from tests.support.databases import POSTGRES_URL, fresh_postgres  # noqa: E402

SEARCH_PATH = "/api/procedures"
# Place names that make the grown catalogue's names differ as a province's do.
PLACES = [
    "Hạc Thành",
    "Sầm Sơn",
    "Nga An",
    "Bỉm Sơn",
    "Nghi Sơn",
    "Thọ Xuân",
    "Quảng Xương",
    "Hoằng Hóa",
    "Hậu Lộc",
    "Đông Sơn",
    "Triệu Sơn",
    "Yên Định",
    "Vĩnh Lộc",
    "Thạch Thành",
    "Cẩm Thủy",
    "Ngọc Lặc",
    "Lang Chánh",
    "Bá Thước",
    "Quan Hóa",
    "Mường Lát",
    "Như Xuân",
    "Như Thanh",
    "Nông Cống",
    "Thiệu Hóa",
    "Hà Trung",
    "Nga Sơn",
    "Tĩnh Gia",
    "Thường Xuân",
]
VARIANTS = [
    "",
    "(trường hợp có yếu tố nước ngoài)",
    "(cấp lại do mất, hỏng)",
    "(trường hợp ủy quyền)",
    "(đối với tổ chức)",
    "(đối với cá nhân)",
    "(thực hiện lần đầu)",
    "(bổ sung, điều chỉnh)",
]


async def grow_catalogue(server: MotcuaServer, total: int) -> tuple[int, dict[str, str]]:
    """Add variants of the demo procedures until the catalogue holds ``total``; the
    count, and the code of the demo procedure each variant copies."""
    from backend.catalogue import service
    from backend.catalogue.schemas import DemoCatalogue
    from backend.catalogue.tables import Agency
    from backend.db import Database, write_transaction
    from backend.settings import Settings

    settings = Settings.from_env(server.environment())
    database = Database(settings)
    await database.open()
    try:
        catalogue = msgspec.json.decode(service.DEMO_CATALOGUE.read_bytes(), type=DemoCatalogue)
        agencies = {row["code"]: row["id"] for row in await Agency.select(Agency.code, Agency.id)}
        have = await service.count_procedures()
        now = dt.datetime.now(dt.UTC)
        number = 0
        copies: dict[str, str] = {}
        async with write_transaction():
            while have < total:
                base = catalogue.procedures[number % len(catalogue.procedures)]
                place = PLACES[(number // len(catalogue.procedures)) % len(PLACES)]
                variant = VARIANTS[number % len(VARIANTS)]
                item = msgspec.structs.replace(
                    base,
                    code=f"9.{number:06d}",
                    name_vi=f"{base.name_vi} {variant} – {place}".replace("  ", " "),
                    name_en=f"{base.name_en} – {place}",
                )
                await service.insert_procedure(item, agencies, now)
                copies[item.code] = base.code
                have += 1
                number += 1
        return have, copies
    finally:
        await database.close()


def warm_up(url: str) -> None:
    """Every query of the mix once: the figures are of a running server, not of its
    first requests (cold page cache, the typo vocabulary being built)."""
    import httpx
    from queries import QUERIES

    with httpx.Client(base_url=url, timeout=30) as client:
        for query in QUERIES:
            client.get(SEARCH_PATH, params={"q": query}).raise_for_status()


def quality(url: str, label: str, copies: dict[str, str] | None = None) -> None:
    """The everyday queries once each, in order: the top-3 hit rate and, as they are
    the first searches of a changed catalogue, the latency of uncached searches.
    ``copies``: a grown procedure's demo original, which it stands for (a variant of
    "Đổi giấy phép lái xe" found for "doi bang lai xe" is the procedure sought)."""
    import time

    import httpx

    outcomes = []
    latencies = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for query in everyday.load():
            started = time.perf_counter()
            response = client.get(SEARCH_PATH, params={"q": query.q})
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            codes = tuple(
                (copies or {}).get(item["code"], item["code"]) for item in response.json()["items"]
            )
            outcomes.append(everyday.Outcome(query, codes))
    print(f"  {label}:", flush=True)
    everyday.report(outcomes, lambda line: print(f"    {line}", flush=True))
    latencies.sort()
    print(
        f"    uncached searches: median {latencies[len(latencies) // 2]:.1f} ms,"
        f" p90 {latencies[int(len(latencies) * 0.9)]:.1f} ms, max {latencies[-1]:.1f} ms",
        flush=True,
    )


@dataclass(frozen=True)
class Figures:
    label: str
    phase: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p99_ms: float
    saturated: bool
    generator_cpu: float | None = None


def run_openloop(
    label: str, url: str, path: str, rate: float, duration: int, queries: bool
) -> Figures:
    """openloop.py in its own process: Poisson arrivals at ``rate``, latency from the
    scheduled send time (queueing counted), its own CPU use reported."""
    command = [
        sys.executable, str(BENCH_DIR / "openloop.py"), "--url", url, "--path", path,
        "--rate", str(rate), "--duration", str(duration),
        "--max-requests", str(int(rate * duration * 2) + 100),
    ] + (["--queries"] if queries else [])  # fmt: skip
    done = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, timeout=duration + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"openloop.py failed for {label}:\n{done.stderr.decode()[-3000:]}")
    result = json.loads(done.stdout)
    return Figures(
        label=label,
        phase=f"{rate:.0f}/s open",
        requests=result["completed"],
        failures=result["failures"],
        rps=result["rps"],
        p50_ms=result["p50_ms"],
        p99_ms=result["p99_ms"],
        saturated=result["cpu"] > 0.9,
        generator_cpu=result["cpu"],
    )


def run_locust(
    label: str, url: str, path: str, users: int, rate: float, duration: int, out: Path
) -> Figures:
    phase = f"{rate * users:.0f}/s" if rate else "max"
    prefix = out / f"{label}_{phase}".replace(" ", "_").replace("/", "_")
    command = [
        sys.executable, "-m", "locust", "-f", str(BENCH_DIR / "search_locustfile.py"),
        "--headless", "--users", str(users), "--spawn-rate", str(users),
        "--run-time", f"{duration}s", "--stop-timeout", "2", "--host", url,
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {**os.environ, "BENCH_PATH": path, "BENCH_RATE": str(rate)}
    log = prefix.with_suffix(".log")
    with log.open("wb") as handle:
        subprocess.run(
            command, cwd=out, env=env, stdin=subprocess.DEVNULL, stdout=handle,
            stderr=subprocess.STDOUT, timeout=duration + 60, check=False,
        )  # fmt: skip
    stats = Path(f"{prefix}_stats.csv")
    text = log.read_text(errors="replace")
    if not stats.exists():
        raise RuntimeError(f"locust wrote no statistics for {label}:\n{text[-3000:]}")
    with stats.open(newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == path)
    return Figures(
        label=label,
        phase=phase,
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        rps=float(row["Requests/s"]),
        p50_ms=float(row["50%"]),
        p99_ms=float(row["99%"]),
        saturated="CPU usage above" in text,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procedures", type=int, default=2500)
    parser.add_argument("--rate", type=int, default=200, help="requests/s of the fixed phase")
    parser.add_argument("--users", type=int, default=20, help="locust users")
    parser.add_argument("--duration", type=int, default=20, help="seconds per phase")
    parser.add_argument(
        "--workers", type=int, default=1, help="app processes (more than one: PostgreSQL only)"
    )
    args = parser.parse_args(argv)
    if not 30 <= args.procedures <= 100_000 or not 1 <= args.rate <= 5000:
        parser.error("--procedures from 30 to 100000, --rate from 1 to 5000")
    database = "postgresql" if POSTGRES_URL else "sqlite"
    print(
        f"motcua search benchmark: {args.procedures} procedures, database {database}, "
        f"{args.workers} worker(s), "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        flush=True,
    )
    results: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="motcua-search-bench-") as temp:
        work = Path(temp)
        (work / "app").mkdir()
        (work / "ceiling").mkdir()
        url = asyncio.run(fresh_postgres("bench_search")) if POSTGRES_URL else None
        app = MotcuaServer(work / "app", url, workers=args.workers)
        ceiling = CeilingServer(work / "ceiling")
        try:
            app.start()
            quality(app.url, "demo catalogue (30 procedures)")
            grown, copies = asyncio.run(grow_catalogue(app, args.procedures))
            print(f"  catalogue grown to {grown} procedures", flush=True)
            quality(
                app.url,
                f"grown catalogue ({grown} procedures, a variant counting as its original)",
                copies,
            )
            warm_up(app.url)
            ceiling.start()
            per_user = args.rate / args.users
            for label, server, path in (
                ("ceiling /ping", ceiling, "/ping"),
                ("motcua search", app, SEARCH_PATH),
            ):
                print(f"  {label}: open loop ...", flush=True)
                results.append(
                    run_openloop(
                        label, server.url, path, args.rate, args.duration, path == SEARCH_PATH
                    )
                )
                for rate in (per_user, 0.0):
                    print(f"  {label}: {'fixed rate' if rate else 'max'} ...", flush=True)
                    results.append(
                        run_locust(label, server.url, path, args.users, rate, args.duration, work)
                    )
        finally:
            app.stop()
            ceiling.stop()
    print()
    header = (
        f"{'target':<16}{'load':>11}{'requests':>10}{'fail':>6}{'req/s':>9}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'gen CPU':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.label:<16}{r.phase:>11}{r.requests:>10}{r.failures:>6}{r.rps:>9.0f}"
            f"{r.p50_ms:>8.1f}{r.p99_ms:>8.1f}"
            + (f"{r.generator_cpu:>9.0%}" if r.generator_cpu is not None else f"{'-':>9}")
        )
    if any(r.saturated for r in results):
        print("\nnote: a load generator's CPU went above 90%: it limits these figures.")
    return 1 if any(r.failures for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
