"""Dashboard benchmark: the leaders' figures over 1,000,000 dossiers, on SQLite and on
PostgreSQL.

    .venv/bin/python tests/bench/dashboard.py                          # both databases
    .venv/bin/python tests/bench/dashboard.py --database sqlite --dossiers 100000

For each database: a fresh one (SQLite in a temp data dir; on PostgreSQL
``motcua_test_bench_dashboard`` on the server of DATABASE_URL, default
``postgresql://postgres@127.0.0.1:5432``: only ``*test*bench*`` names are recreated,
and it is dropped at the end), migrated, with the demo catalogue. Then generated
straight into the tables (SQLite: one executemany transaction per table; PostgreSQL:
COPY), from a fixed seed, over the three years before now:

- ``--dossiers`` dossiers at the 10 demo agencies and over the 34 demo procedures
  (channels online 55 %, counter 30 %, assisted 10 %, post 5 %); those older than 20
  days have their result (about 8 % late, 1 in 10 of the late with an apology
  event), but 1 % are still in progress, overdue; of the last 20 days, half;
- ``--payments`` payments of one dossier each (VNPay, VietQR, cash), 95 % paid;
- ``--ratings`` ratings (counter 60 %, dossier 40 %) and ``--feedback`` feedback
  (95 % answered, 40 % of the answers rated, 5 % about a dossier).

Then it times the first aggregation (``refresh_once`` with its default 5 s budget a
call, called until done; on PostgreSQL a ``VACUUM ANALYZE stats_daily`` follows, as
autovacuum would); then, in simulated time, five rounds of: 100 dossiers of the last
20 days get their result, 20 ratings, 5 feedback and 10 payments change; the refresh
after them; the next one (it looks at the same rows again: they are within the
two-minute margin); and one with nothing new. SQLite gets no ANALYZE (the app never
runs it). Then ``--samples`` runs (after 10 warm-up runs) of
each dashboard read, in this process, one at a time:

| read | what |
| --- | --- |
| province, year | ``service.figures(None, last 365 days)``: sums + the live counts |
| agency, 30 days | ``service.figures(agency, last 30 days)`` |
| series by month, year | ``service.series(None, last 365 days, "month")`` |
| series by day, 30 days | ``service.series(agency, last 30 days, "day")`` |
| overdue now, province | ``service.overdue_now(None, today)`` |
| overdue now, agency | ``service.overdue_now(agency, today)`` |

It prints p50, p99 and max in ms. Nothing asserts on time; it exits 1 if the
aggregated counts disagree with a direct count of the generated rows.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import platform
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from backend.catalogue.service import DEMO_CATALOGUE, seed_demo  # noqa: E402
from backend.db import Database, fetch  # noqa: E402
from backend.settings import Settings  # noqa: E402
from backend.stats import service  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DATABASE_NAME = "motcua_test_bench_dashboard"
VIETNAM = dt.timezone(dt.timedelta(hours=7))
YEARS = 3
WARM_UP = 10
SEED = 766


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# ------------------------------------------------------------------- the data


class Generated:
    """Rows as tuples, in the columns of ``COLUMNS``, ready for both engines."""

    def __init__(self, args: argparse.Namespace, now: dt.datetime) -> None:
        self.now = now
        catalogue = json.loads(DEMO_CATALOGUE.read_text())
        self.agencies = [a["code"] for a in catalogue["agencies"]]
        procedures = [(p["code"], p["processing_days"]) for p in catalogue["procedures"]]
        rng = random.Random(SEED)
        span = YEARS * 365 * 86400
        latest = now - dt.timedelta(minutes=1)  # nothing is changed in the future
        today = now.astimezone(VIETNAM).date()
        self.dossiers: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        resolved_ids: list[int] = []
        # Ids follow the time of reception, as they do when dossiers come one by one.
        moments = sorted(
            now - dt.timedelta(seconds=rng.random() * span) for _ in range(args.dossiers)
        )
        for number, received in enumerate(moments, start=1):
            agency = rng.choice(self.agencies)
            procedure, days = rng.choice(procedures)
            channel = rng.choices(("online", "counter", "assisted", "post"), (55, 30, 10, 5))[0]
            received_day = received.astimezone(VIETNAM).date()
            allowed = max(1, days) + 1  # calendar days, roughly
            due = received_day + dt.timedelta(days=allowed)
            recent = (today - received_day).days < 20
            ready: dt.datetime | None = None
            if (recent and rng.random() < 0.5) or (not recent and rng.random() >= 0.01):
                late = rng.random() < 0.08
                took = allowed + rng.randint(1, 10) if late else rng.randint(0, allowed)
                ready = received + dt.timedelta(days=took, hours=rng.random() * 6)
                if ready > now:
                    ready = now - dt.timedelta(minutes=1)
                if late and rng.random() < 0.1:
                    self.events.append((number, received + dt.timedelta(days=allowed)))
                resolved_ids.append(number)
            status = "returned" if ready else "processing"
            updated = ready or received
            self.dossiers.append(
                (
                    number,
                    f"bench-{number}",
                    procedure,
                    days,
                    agency,
                    agency,
                    status,
                    channel,
                    received,
                    updated,
                    received,
                    received,
                    due,
                    ready,
                )
            )
        self.payments: list[tuple[Any, ...]] = []
        self.payment_links: list[tuple[Any, ...]] = []
        for number in range(1, args.payments + 1):
            dossier = self.dossiers[rng.randrange(len(self.dossiers))]
            provider = rng.choices(("vnpay", "vietqr", "cash"), (50, 20, 30))[0]
            created = dossier[8] + dt.timedelta(hours=rng.random() * 48)
            created = min(created, now - dt.timedelta(minutes=1))
            paid = rng.random() < 0.95
            ms = int(created.timestamp() * 1000)
            self.payments.append(
                (
                    number,
                    f"B{number:012d}",
                    provider,
                    "paid" if paid else "expired",
                    50_000,
                    "person",
                    1,
                    "Người nộp",
                    created,
                    ms,
                    ms + 900_000,
                    0,
                    created if paid else None,
                )
            )
            self.payment_links.append((number, number, dossier[0], 50_000))
        self.ratings: list[tuple[Any, ...]] = []
        for number in range(1, args.ratings + 1):
            counter = rng.random() < 0.6
            day = today - dt.timedelta(days=rng.randrange(YEARS * 365))
            moment = min(dt.datetime.combine(day, dt.time(10), VIETNAM), latest)
            dossier_id = None if counter else rng.choice(resolved_ids)
            self.ratings.append(
                (
                    number,
                    f"bench-rating-{number}",
                    "counter" if counter else "dossier",
                    rng.choice(self.agencies),
                    dossier_id,
                    rng.choices((5, 4, 3, 2, 1), (50, 30, 10, 6, 4))[0],
                    day,
                    moment,
                    moment,
                )
            )
        self.feedback: list[tuple[Any, ...]] = []
        for number in range(1, args.feedback + 1):
            agency = rng.choice(self.agencies)
            received_day = today - dt.timedelta(days=rng.randrange(YEARS * 365))
            due = received_day + dt.timedelta(days=14)
            answered = received_day + dt.timedelta(days=rng.randint(0, 18))
            open_ = answered > today or rng.random() < 0.05
            rated = None if open_ or rng.random() >= 0.4 else rng.randint(1, 5)
            last = received_day if open_ else answered
            moment = min(dt.datetime.combine(last, dt.time(15), VIETNAM), latest)
            self.feedback.append(
                (
                    number,
                    f"PA-B{number:08d}",
                    agency,
                    agency,
                    rng.choice(resolved_ids) if rng.random() < 0.05 else None,
                    "service",
                    "Phản ánh",
                    "open" if open_ else "answered",
                    received_day,
                    due,
                    None if open_ else moment,
                    None if open_ else answered,
                    None if open_ else answered <= due,
                    rated,
                    min(dt.datetime.combine(received_day, dt.time(8), VIETNAM), moment),
                    moment,
                )
            )


@dataclass(frozen=True)
class Facts:
    """What the runs need of the generated rows, kept once the rows are dropped (a few
    million Python objects would make every full garbage collection pause the reads)."""

    agencies: list[str]
    waiting: list[int]  # dossiers of the last 20 days without a result
    ratings: int
    feedback: int
    payments: int
    received_by_day: Counter[dt.date]
    ratings_by_day: Counter[dt.date]

    @classmethod
    def of(cls, data: Generated) -> Facts:
        return cls(
            agencies=data.agencies,
            waiting=[
                row[0]
                for row in data.dossiers
                if row[13] is None and row[11] > data.now - dt.timedelta(days=20)
            ],
            ratings=len(data.ratings),
            feedback=len(data.feedback),
            payments=len(data.payments),
            received_by_day=Counter(row[11].astimezone(VIETNAM).date() for row in data.dossiers),
            ratings_by_day=Counter(row[6] for row in data.ratings),
        )


COLUMNS = {
    "dossiers_dossier": (
        "id",
        "draft_key",
        "procedure_code",
        "processing_days",
        "receiving_agency",
        "agency_code",
        "status",
        "channel",
        "created_at",
        "updated_at",
        "submitted_at",
        "received_at",
        "due_date",
        "result_ready_at",
    ),
    "dossiers_event": ("dossier", "at", "action", "from_status", "to_status", "actor_role"),
    "payments_payment": (
        "id",
        "reference",
        "provider",
        "status",
        "amount",
        "payer_kind",
        "account_id",
        "payer_name",
        "created_at",
        "created_ms",
        "expires_ms",
        "check_ms",
        "paid_at",
    ),
    "payments_dossier": ("id", "payment", "dossier_id", "amount"),
    "feedback_rating": (
        "id",
        "rating_key",
        "source",
        "agency_code",
        "dossier_id",
        "overall",
        "day",
        "created_at",
        "updated_at",
    ),
    "feedback_item": (
        "id",
        "code",
        "agency_code",
        "first_agency",
        "dossier_id",
        "category",
        "text",
        "status",
        "received_day",
        "due_date",
        "answered_at",
        "answered_day",
        "on_time",
        "answer_rating",
        "created_at",
        "updated_at",
    ),
}


def _tables(data: Generated) -> dict[str, list[tuple[Any, ...]]]:
    events = [(d, at, "apologise", "processing", "processing", "leader") for d, at in data.events]
    return {
        "dossiers_dossier": data.dossiers,
        "dossiers_event": events,
        "payments_payment": data.payments,
        "payments_dossier": data.payment_links,
        "feedback_rating": data.ratings,
        "feedback_item": data.feedback,
    }


def _sqlite_value(value: Any) -> Any:
    """As Piccolo writes it: timestamps as UTC text, dates as ISO text, booleans 0/1."""
    if isinstance(value, dt.datetime):
        return str(value.astimezone(dt.UTC))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def load_sqlite(path: Path, data: Generated) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        for table, rows in _tables(data).items():
            columns = COLUMNS[table]
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            with connection:
                connection.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows))
        # No ANALYZE: the app never runs it, so the planner works without statistics.
        connection.commit()
    finally:
        connection.close()


async def load_postgres(url: str, data: Generated) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        for table, rows in _tables(data).items():
            await connection.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
        for table in (
            "dossiers_dossier",
            "payments_payment",
            "payments_dossier",
            "feedback_rating",
            "feedback_item",
        ):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT MAX(id) FROM {table}))"
            )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


# ------------------------------------------------------------------ the runs


async def fresh_postgres(url: str) -> str:
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.strip("/")
    if "test" not in name or "bench" not in name or not re.fullmatch(r"[a-z0-9_]+", name):
        raise RuntimeError(f"refusing to recreate {name!r}: not a *test*bench* database")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return url


async def drop_postgres(url: str) -> None:
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.strip("/")
    assert "test" in name and "bench" in name
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def timed(call: Callable[[], Awaitable[Any]], samples: int) -> list[float]:
    for _ in range(WARM_UP):
        await call()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def change_some(facts: Facts, now: dt.datetime) -> None:
    """What a busy half-minute changes: results, ratings, feedback, payments."""
    rng = random.Random(now.timestamp())
    for dossier_id in rng.sample(facts.waiting, min(100, len(facts.waiting))):
        await fetch(
            "UPDATE dossiers_dossier SET status = 'result_ready', result_ready_at = {},"
            " updated_at = {} WHERE id = {}",
            now,
            now,
            dossier_id,
        )
    for number in rng.sample(range(1, facts.ratings + 1), min(20, facts.ratings)):
        await fetch(
            "UPDATE feedback_rating SET overall = 5, updated_at = {} WHERE id = {}", now, number
        )
    for number in rng.sample(range(1, facts.feedback + 1), min(5, facts.feedback)):
        await fetch(
            "UPDATE feedback_item SET answer_rating = 4, updated_at = {} WHERE id = {}",
            now,
            number,
        )
    for number in rng.sample(range(1, facts.payments + 1), min(10, facts.payments)):
        await fetch(
            "UPDATE payments_payment SET status = 'paid', paid_at = {} WHERE id = {}", now, number
        )


async def check_counts(facts: Facts, today: dt.date) -> list[str]:
    """The aggregates against a direct count of the generated rows."""
    problems = []
    start = today - dt.timedelta(days=365)
    figures = await service.figures(None, start, today)
    expected_received = sum(n for day, n in facts.received_by_day.items() if start <= day <= today)
    if figures.count("received") != expected_received:
        problems.append(f"received {figures.count('received')} != {expected_received}")
    expected_ratings = sum(n for day, n in facts.ratings_by_day.items() if start <= day <= today)
    if figures.count("ratings.count") != expected_ratings:
        problems.append(f"ratings {figures.count('ratings.count')} != {expected_ratings}")
    return problems


async def run(kind: str, args: argparse.Namespace) -> tuple[list[tuple[str, str]], bool]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    results: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="motcua-dashboard-bench-") as temp:
        env = {
            "MOTCUA_DATA_DIR": temp,
            "MOTCUA_LOG_LEVEL": "WARNING",
            "MOTCUA_DEMO": "true",
        }
        url = None
        if kind == "postgres":
            base = os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES
            url = await fresh_postgres(
                urlunsplit(urlsplit(base)._replace(path=f"/{DATABASE_NAME}"))
            )
            env["DATABASE_URL"] = url
        settings = Settings.from_env(env)
        database = Database(settings)
        await database.open()
        try:
            await database.migrate()
            await seed_demo()
            started = time.perf_counter()
            data = Generated(args, now)
            generated_s = time.perf_counter() - started
            started = time.perf_counter()
            if url:
                await load_postgres(url, data)
            else:
                load_sqlite(settings.sqlite_path, data)
            loaded_s = time.perf_counter() - started
            print(
                f"  {kind}: generated in {generated_s:.1f} s, loaded in {loaded_s:.1f} s",
                flush=True,
            )
            results.append(("load (rows/s)", f"{len(data.dossiers) / loaded_s:,.0f} dossiers/s"))
            facts = Facts.of(data)
            del data
            gc.collect()
            gc.freeze()  # as the app does once started

            started = time.perf_counter()
            calls = 0
            while True:
                calls += 1
                if (await service.refresh_once(now)).done:
                    break
            first_s = time.perf_counter() - started
            if url:
                # What autovacuum does after so many new rows (visibility map, statistics).
                import asyncpg

                connection = await asyncpg.connect(url)
                await connection.execute("VACUUM ANALYZE stats_daily")
                await connection.close()
            rows = await fetch("SELECT COUNT(*) AS n FROM stats_daily")
            results.append(
                (
                    "first aggregation",
                    f"{first_s:.1f} s in {calls} calls, {int(rows[0]['n']):,} rows",
                )
            )
            print(f"  {kind}: first aggregation {first_s:.1f} s ({calls} calls)", flush=True)

            # Simulated time: 135 rows change; the refresh after them; the next one (it
            # looks at them again: they are within the two-minute margin); one 150 s
            # later (still within, not measured); and one with nothing new. The pairs
            # recomputed are counted.
            timings: dict[str, list[float]] = {"busy": [], "again": [], "quiet": []}
            pairs: dict[str, list[int]] = {"busy": [], "again": [], "quiet": []}
            moment = now + dt.timedelta(seconds=service.MARGIN_MS / 1000 + 31)
            await service.refresh_once(moment)  # the first aggregation's margin, behind us
            for _ in range(5):
                await change_some(facts, moment + dt.timedelta(seconds=15))
                steps = (("busy", 31), ("again", 31), ("settle", 150), ("quiet", 31))
                for kind_, step in steps:
                    moment += dt.timedelta(seconds=step)
                    started = time.perf_counter()
                    done = await service.refresh_once(moment)
                    if kind_ in timings:
                        timings[kind_].append((time.perf_counter() - started) * 1000)
                        pairs[kind_].append(len(done.pairs))
            labels = {
                "busy": "refresh after 135 changed rows",
                "again": "next refresh (same rows, in the margin)",
                "quiet": "refresh, nothing changed",
            }
            for kind_, label in labels.items():
                results.append(
                    (
                        label,
                        f"p50 {percentile(timings[kind_], 0.5):.0f} · max"
                        f" {max(timings[kind_]):.0f} ms, {percentile(pairs[kind_], 0.5)} pairs",
                    )
                )

            today = moment.astimezone(VIETNAM).date()
            year = (today - dt.timedelta(days=364), today)
            month = (today - dt.timedelta(days=29), today)
            agency = facts.agencies[3]
            reads: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
                ("figures: province, year", lambda: service.figures(None, *year, moment)),
                ("figures: agency, 30 days", lambda: service.figures(agency, *month, moment)),
                ("series: province, year by month", lambda: service.series(None, *year, "month")),
                ("series: agency, 30 days by day", lambda: service.series(agency, *month, "day")),
                ("overdue now: province", lambda: service.overdue_now(None, today)),
                ("overdue now: agency", lambda: service.overdue_now(agency, today)),
            ]
            for name, call in reads:
                times = await timed(call, args.samples)
                results.append(
                    (
                        name,
                        f"p50 {percentile(times, 0.5):.2f} · p99 {percentile(times, 0.99):.2f}"
                        f" · max {max(times):.2f} ms",
                    )
                )
            problems = await check_counts(facts, today)
            for problem in problems:
                print(f"  {kind}: MISMATCH {problem}", flush=True)
        finally:
            await database.close()
            if url:
                await drop_postgres(url)
    return results, not problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=300_000)
    parser.add_argument("--ratings", type=int, default=200_000)
    parser.add_argument("--feedback", type=int, default=50_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    kinds = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    print(
        f"motcua dashboard benchmark: {args.dossiers:,} dossiers, {args.payments:,} payments, "
        f"{args.ratings:,} ratings, {args.feedback:,} feedback; {args.samples} samples a read; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        flush=True,
    )
    ok = True
    table: dict[str, dict[str, str]] = {}
    for kind in kinds:
        results, good = asyncio.run(run(kind, args))
        ok = ok and good
        for name, value in results:
            table.setdefault(name, {})[kind] = value
    print()
    print("| measure | " + " | ".join(kinds) + " |")
    print("| --- |" + " --- |" * len(kinds))
    for name, values in table.items():
        print(f"| {name} | " + " | ".join(values.get(kind, "") for kind in kinds) + " |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
