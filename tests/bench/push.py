"""Push benchmark: notifications per second delivered by one worker, and by two.

    .venv/bin/python tests/bench/push.py [--citizens 1000] [--messages 10000] [--workers 1,2]
    DATABASE_URL=postgresql://…/motcua_test .venv/bin/python tests/bench/push.py  # 1 and 2

Starts the fake Web Push service (``python -m tests.support.fakepush``: it checks every
VAPID signature and decrypts every message, as a browser would) as its own process, so
its CPU is not the worker's, and prepares a fresh database: SQLite in a temp data dir,
or ``<database>_bench_push`` on PostgreSQL (only ``*test*`` names are recreated; it is
dropped at the end, with the temp dir). This process opens that database (as
dossiers.py does), migrates it and makes ``--citizens`` citizens, each with a live
session row and one subscription of the fake service (``service.subscribe``, the
Principal carrying that session). Then, for each count of ``--workers``:

- ``--messages`` fresh outbox messages (``dossier.received``, one recipient each, the
  payload the dossiers service writes) are enqueued with ``backend.outbox.service.enqueue``
  in write transactions of ``ENQUEUE_BATCH``;
- that many ``motcua worker --once`` processes start at once, with the same settings;
  the wall time runs from their start until the fake service has received every
  message (``/_stats``), and on until the workers have exited (the last bookkeeping);
- every message must have arrived once: the fake service's received and rejected
  counts, and the database's push jobs (all sent, each in one attempt), deliveries,
  notices and outbox against the count enqueued.

CPU in cores over the phase (100 % = one core): the workers (exact, from wait4), the
fake push service, PostgreSQL's processes and everything else on the machine.
On SQLite two ``motcua worker`` processes share one file: each write transaction is
BEGIN IMMEDIATE (the claim is one UPDATE … RETURNING inside one), so SQLite runs them
one at a time and no job can be taken twice; they gain only where they do not write
(encrypting and sending). Embedded mode itself runs one worker, inside the app; the
two-worker SQLite phase is there for the figure. Nothing asserts on time; the
script exits 1 if a message was lost, sent twice or rejected, or a worker failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.bench.dossiers import drop_postgres  # noqa: E402
from tests.e2e.server import motcua_command  # noqa: E402
from tests.support.databases import POSTGRES_URL, fresh_postgres  # noqa: E402

DATABASE_SUFFIX = "bench_push"
KIND = "dossier.received"
DUE_DATE = "2026-12-01"
AGENCY = "000.00.12.H56"
ENQUEUE_BATCH = 500  # outbox messages a write transaction
SETUP_BATCH = 500  # accounts or sessions an insert
POLL_S = 0.05  # /_stats
POSTGRES_POLL_S = 0.25  # /proc scan of PostgreSQL's processes (theirs end with a worker)
TARGET = 500.0  # notifications/s, the target
OTHERS_NOTICE = 0.15


# ------------------------------------------------------------------ processes


def cpu_seconds(pid: int) -> float:
    """user+system CPU seconds of one process (all its threads), NaN once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_seconds() -> float:
    """Busy seconds of all CPUs: everything but idle and I/O wait."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class PostgresCpu:
    """CPU seconds of PostgreSQL's processes since ``start``. A worker's backend process
    ends with its connection, so the scan runs during the phase and keeps the last
    figure seen of each (at most one poll of a dying backend's CPU is missed)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start_seen: dict[int, float] = {}
        self.seen: dict[int, float] = {}
        self.scanned = 0.0

    def _scan(self) -> dict[int, float]:
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue  # gone meanwhile
            if text[text.index("(") + 1 : text.rindex(")")] == "postgres":
                found[int(stat.parent.name)] = cpu_seconds(int(stat.parent.name))
        return {pid: spent for pid, spent in found.items() if spent == spent}

    def start(self) -> None:
        if self.enabled:
            self.start_seen = self._scan()
            self.seen = dict(self.start_seen)
            self.scanned = time.perf_counter()

    def poll(self, force: bool = False) -> None:
        if self.enabled and (force or time.perf_counter() - self.scanned >= POSTGRES_POLL_S):
            self.seen.update(self._scan())
            self.scanned = time.perf_counter()

    def spent(self) -> float:
        if not self.enabled:
            return float("nan")
        return sum(cpu - self.start_seen.get(pid, 0.0) for pid, cpu in self.seen.items())


def wait_until_quiet(limit: float, quiet: float = 0.10) -> float:
    """Wait (at most ``limit`` seconds) until the machine has used under ``quiet`` cores
    for three seconds in a row (the fake service idles meanwhile); the seconds waited."""
    started = time.perf_counter()
    calm = 0
    while calm < 3 and time.perf_counter() - started < limit:
        before = machine_seconds()
        time.sleep(1.0)
        calm = calm + 1 if machine_seconds() - before < quiet else 0
    return time.perf_counter() - started


class FakePush:
    """``python -m tests.support.fakepush --port 0`` in its own process."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: subprocess.Popen[str] | None = None
        self.origin = ""
        self.client = httpx.Client(timeout=10, trust_env=False)

    def start(self) -> None:
        with self.log.open("a") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.fakepush", "--port", "0"],
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()  # its origin, once it listens
        if not line.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the fake push service did not start:\n{self.log.read_text()}")
        self.origin = line

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.client.get(f"{self.origin}/_stats").json()
        return result

    def new_subscription(self, name: str) -> dict[str, Any]:
        response = self.client.post(f"{self.origin}/_subscriptions", params={"name": name})
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        self.client.close()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def reap(process: subprocess.Popen[bytes]) -> resource.struct_rusage | None:
    """The child's resource use if it has exited (reaped here, so that its CPU is exact
    to the tick), else None."""
    pid, status, usage = os.wait4(process.pid, os.WNOHANG)
    if pid == 0:
        return None
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage


@contextlib.contextmanager
def profiled(pids: list[int], out: Path | None, name: str) -> Iterator[None]:
    """py-spy (pip install py-spy) samples each worker, idle time included (the event
    loop waiting for the database or the push service): collapsed stacks in
    ``out/<name>-<n>.txt``. Nothing when ``out`` is None."""
    if out is None:
        yield
        return
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    spy = shutil.which("py-spy", path=search)
    if spy is None:
        raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
    out.mkdir(parents=True, exist_ok=True)
    spies = []
    for number, pid in enumerate(pids, 1):
        command = [spy, "record", "--pid", str(pid), "--rate", "200", "--nonblocking"]
        command += ["--threads", "--idle", "--format", "raw"]
        command += ["--output", str(out / f"{name}-{number}.txt")]
        spies.append(
            subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        yield
    finally:
        for spying in spies:  # py-spy writes its file when the worker exits
            try:
                spying.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spying.send_signal(signal.SIGINT)
                try:
                    spying.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    spying.kill()
                    spying.wait()


# ------------------------------------------------------------- the database


def environment(data_dir: Path, database_url: str | None, vapid_key: str) -> dict[str, str]:
    """The workers' settings (and this process's, to prepare the database)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MOTCUA_") and key != "DATABASE_URL"
    }
    env.update(
        MOTCUA_DATA_DIR=str(data_dir),
        MOTCUA_DEMO="false",
        MOTCUA_LOG_LEVEL="WARNING",
        MOTCUA_PUSH_ALLOW_HTTP_LOOPBACK="true",
        MOTCUA_WORKER_IN_PROCESS="false",
        MOTCUA_VAPID_PRIVATE_KEY=vapid_key,
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


async def with_database(env: dict[str, str], work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Open the workers' database from this process; ``work`` gets the Database."""
    from backend.db import Database
    from backend.settings import Settings

    database = Database(Settings.from_env(env))
    await database.open()
    try:
        return await work(database)
    finally:
        await database.close()


async def prepare(env: dict[str, str], push: FakePush, count: int) -> list[int]:
    """Migrate; ``count`` citizens, each with a live session and one subscription of the
    fake service. Returns their account ids."""
    from backend.accounts.schemas import Principal
    from backend.accounts.tables import Account, Session
    from backend.db import write_transaction
    from backend.notifications import service
    from backend.notifications.runtime import NotificationsRuntime, utc_now
    from backend.notifications.schemas import SubscriptionIn, SubscriptionKeys

    async def work(database: Any) -> list[int]:
        applied = await database.migrate()
        print(f"  {len(applied)} migration(s) applied", flush=True)
        runtime = NotificationsRuntime.from_settings(database.settings)
        now = utc_now()
        people: list[tuple[int, str]] = []  # (account id, session public id)
        for first in range(0, count, SETUP_BATCH):
            numbers = range(first, min(count, first + SETUP_BATCH))
            async with write_transaction():
                rows = await Account.insert(
                    *(
                        Account(
                            kind="citizen",
                            full_name=f"Người Nhận Thử {n + 1}",
                            phone=f"08{n:08d}",
                            user_handle=secrets.token_urlsafe(32),
                            created_at=now,
                        )
                        for n in numbers
                    )
                ).returning(Account.id)
                ids = sorted(int(row["id"]) for row in rows)
                public_ids = [secrets.token_urlsafe(16) for _ in ids]
                # As backend.accounts.sessions.start writes it, in one insert.
                await Session.insert(
                    *(
                        Session(
                            token_hash=secrets.token_hex(32),
                            public_id=public_id,
                            account=account_id,
                            created_at=now,
                            last_seen_at=now,
                            device="Bench · Linux",
                        )
                        for account_id, public_id in zip(ids, public_ids, strict=True)
                    )
                )
            people.extend(zip(ids, public_ids, strict=True))
        for account_id, public_id in people:
            made = push.new_subscription(f"citizen-{account_id}")
            principal = Principal(
                account_id=account_id,
                kind="citizen",
                name=f"citizen {account_id}",
                role=None,
                agency_code=None,
                session_id=public_id,
            )
            await service.subscribe(
                runtime,
                principal,
                SubscriptionIn(
                    endpoint=made["endpoint"],
                    keys=SubscriptionKeys(p256dh=made["keys"]["p256dh"], auth=made["keys"]["auth"]),
                ),
            )
        return [account_id for account_id, _ in people]

    result: list[int] = await with_database(env, work)
    return result


async def enqueue(env: dict[str, str], accounts: list[int], first: int, count: int) -> None:
    """``count`` dossier.received messages for dossiers ``first``…, one recipient each
    (the citizens in turn), as the dossiers service writes them."""
    from backend.db import write_transaction
    from backend.notifications.runtime import utc_now
    from backend.outbox import service as outbox

    async def work(_: Any) -> None:
        for start in range(first, first + count, ENQUEUE_BATCH):
            async with write_transaction():
                now = utc_now()
                for dossier_id in range(start, min(first + count, start + ENQUEUE_BATCH)):
                    await outbox.enqueue(
                        event_key=f"dossier:{dossier_id}:event:{dossier_id}",
                        kind=KIND,
                        subject=f"dossier:{dossier_id}",
                        account_ids=[accounts[dossier_id % len(accounts)]],
                        payload={
                            "dossier_id": dossier_id,
                            "code": f"{AGENCY}-261122-{dossier_id:04d}",
                            "status": "received",
                            "due_date": DUE_DATE,
                        },
                        now=now,
                    )

    await with_database(env, work)


@dataclass(frozen=True)
class Counts:
    """What the database holds: push jobs by status, jobs tried more than once,
    deliveries by outcome, notices, outbox messages not done."""

    jobs: dict[str, int]
    retried: int
    deliveries: dict[str, int]
    notices: int
    outbox_pending: int


async def database_counts(env: dict[str, str]) -> Counts:
    from backend.db import fetch

    async def work(_: Any) -> Counts:
        def grouped(rows: list[dict[str, Any]]) -> dict[str, int]:
            return {str(row["key"]): int(row["n"]) for row in rows}

        async def one(sql: str) -> int:
            return int((await fetch(sql))[0]["n"])

        return Counts(
            jobs=grouped(
                await fetch(
                    "SELECT status AS key, COUNT(*) AS n FROM notifications_push_job"
                    " GROUP BY status"
                )
            ),
            retried=await one(
                "SELECT COUNT(*) AS n FROM notifications_push_job WHERE attempts > 1"
            ),
            deliveries=grouped(
                await fetch(
                    "SELECT outcome AS key, COUNT(*) AS n FROM notifications_delivery"
                    " GROUP BY outcome"
                )
            ),
            notices=await one("SELECT COUNT(*) AS n FROM notifications_notice"),
            outbox_pending=await one(
                "SELECT COUNT(*) AS n FROM outbox_message WHERE done_at IS NULL"
            ),
        )

    result: Counts = await with_database(env, work)
    return result


# -------------------------------------------------------------------- a phase


@dataclass
class Phase:
    workers: int
    messages: int
    enqueue_s: float = 0.0
    received: int = 0
    rejected: int = 0
    rejected_by_status: dict[str, int] = field(default_factory=dict)
    first_s: float = float("nan")  # the first message received
    delivered_s: float = float("nan")  # all received (NaN: never)
    done_s: float = float("nan")  # the workers exited
    worker_cpu: list[float] = field(default_factory=list)  # seconds, each process
    push_cpu: float = float("nan")  # seconds, the fake service
    database_cpu: float = float("nan")  # seconds, PostgreSQL
    machine_cpu: float = float("nan")  # busy seconds, all CPUs
    bench_cpu: float = 0.0  # seconds, this process (polling)
    exit_codes: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Delivered notifications/s: start of the workers → every message received."""
        return self.messages / self.delivered_s if self.delivered_s == self.delivered_s else 0.0

    @property
    def steady(self) -> float:
        """Notifications/s once the first was received: without the process start-up
        (imports, settings) a long-running ``motcua worker`` pays once."""
        span = self.delivered_s - self.first_s
        return self.messages / span if span == span and span > 0 else 0.0

    def cores(self, seconds: float) -> float:
        return seconds / self.done_s if self.done_s else float("nan")

    @property
    def others(self) -> float:
        database = 0.0 if self.database_cpu != self.database_cpu else self.database_cpu
        ours = sum(self.worker_cpu) + self.push_cpu + database + self.bench_cpu
        return max(0.0, self.cores(self.machine_cpu - ours))  # ticks vs wait4: ±1 %


def run_phase(
    env: dict[str, str],
    push: FakePush,
    workers: int,
    messages: int,
    logs: Path,
    timeout: float,
    profile: Path | None,
) -> Phase:
    phase = Phase(workers=workers, messages=messages)
    before = push.stats()
    postgres = PostgresCpu("DATABASE_URL" in env)
    bench = resource.getrusage(resource.RUSAGE_SELF)
    push_start, machine_start = cpu_seconds(push.pid), machine_seconds()
    postgres.start()
    started = time.perf_counter()
    processes: list[subprocess.Popen[bytes]] = []
    usage: dict[int, resource.struct_rusage] = {}
    try:
        for number in range(workers):
            with (logs / f"worker-{workers}-{number + 1}.log").open("ab") as log:
                processes.append(
                    subprocess.Popen(
                        [*motcua_command(), "worker", "--once"],
                        cwd=REPO,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        with profiled([p.pid for p in processes], profile, f"workers-{workers}"):
            while len(usage) < len(processes):
                now = time.perf_counter() - started
                stats = push.stats()
                received = stats["received"] - before["received"]
                if received and phase.first_s != phase.first_s:
                    phase.first_s = now
                if received >= messages and phase.delivered_s != phase.delivered_s:
                    phase.delivered_s = now
                for process in processes:
                    if process.pid not in usage and (used := reap(process)) is not None:
                        usage[process.pid] = used
                postgres.poll()
                if now > timeout:
                    phase.problems.append(f"workers still running after {timeout:.0f} s: killed")
                    break
                time.sleep(POLL_S)
            phase.done_s = time.perf_counter() - started
            postgres.poll(force=True)
            phase.push_cpu = cpu_seconds(push.pid) - push_start
            phase.machine_cpu = machine_seconds() - machine_start
    finally:
        for process in processes:
            if process.pid not in usage and process.poll() is None:
                process.kill()
                process.wait()
    after_bench = resource.getrusage(resource.RUSAGE_SELF)
    phase.bench_cpu = (after_bench.ru_utime - bench.ru_utime) + (
        after_bench.ru_stime - bench.ru_stime
    )
    phase.database_cpu = postgres.spent()
    phase.worker_cpu = [
        usage[p.pid].ru_utime + usage[p.pid].ru_stime if p.pid in usage else float("nan")
        for p in processes
    ]
    phase.exit_codes = [p.returncode for p in processes]
    after = push.stats()
    phase.received = after["received"] - before["received"]
    phase.rejected = after["rejected"] - before["rejected"]
    phase.rejected_by_status = {
        status: n - before["rejected_by_status"].get(status, 0)
        for status, n in after["rejected_by_status"].items()
        if n != before["rejected_by_status"].get(status, 0)
    }
    for number, (process, code) in enumerate(zip(processes, phase.exit_codes, strict=True), 1):
        if code != 0:
            output = logs / f"worker-{workers}-{number}.log"
            tail = "\n".join(output.read_text(errors="replace").splitlines()[-15:])
            phase.problems.append(f"worker {number} (pid {process.pid}) exited {code}:\n{tail}")
    return phase


def check(phase: Phase, before: Counts, after: Counts) -> None:
    """Every message once: the fake service's counts and the database's, against the
    count enqueued."""
    m = phase.messages

    def delta(now: dict[str, int], then: dict[str, int], key: str) -> int:
        return now.get(key, 0) - then.get(key, 0)

    if phase.received != m:
        phase.problems.append(f"the push service received {phase.received}, not {m}")
    if phase.rejected:
        phase.problems.append(
            f"the push service rejected {phase.rejected}: {phase.rejected_by_status}"
        )
    sent = delta(after.jobs, before.jobs, "sent")
    if sent != m:
        phase.problems.append(f"{sent} push jobs sent, not {m}")
    for status in sorted(set(after.jobs) - {"sent"}):
        if delta(after.jobs, before.jobs, status):
            phase.problems.append(f"{delta(after.jobs, before.jobs, status)} push jobs {status}")
    if after.retried != before.retried:
        phase.problems.append(f"{after.retried - before.retried} push jobs tried more than once")
    for outcome in sorted(set(after.deliveries) | set(before.deliveries)):
        n = delta(after.deliveries, before.deliveries, outcome)
        if n != (m if outcome == "sent" else 0):
            phase.problems.append(f"{n} deliveries {outcome}")
    if after.notices - before.notices != m:
        phase.problems.append(f"{after.notices - before.notices} notices, not {m}")
    if after.outbox_pending:
        phase.problems.append(f"{after.outbox_pending} outbox messages not done")


# --------------------------------------------------------------------- report


def table(phases: list[Phase]) -> str:
    def share(value: float, width: int) -> str:
        if value != value:
            return f"{'-':>{width}}"
        return f"{value:>{width}.0%}"

    header = (
        f"{'workers':>7}{'messages':>9}{'received':>9}{'rej.':>5}{'first s':>8}"
        f"{'all s':>7}{'deliv./s':>9}{'steady/s':>9}{'done s':>7}{'done/s':>7}"
        f"{'worker':>12}{'push':>6}{'db':>6}{'others':>7}"
    )
    lines = [header, "-" * len(header)]
    for p in phases:
        workers = "+".join(f"{p.cores(c):.0%}" for c in p.worker_cpu)
        done_rate = p.messages / p.done_s if p.done_s else 0.0
        lines.append(
            f"{p.workers:>7}{p.messages:>9}{p.received:>9}{p.rejected:>5}{p.first_s:>8.2f}"
            f"{p.delivered_s:>7.2f}{p.rate:>9.0f}{p.steady:>9.0f}{p.done_s:>7.2f}{done_rate:>7.0f}"
            f"{workers:>12}{share(p.cores(p.push_cpu), 6)}"
            f"{share(p.cores(p.database_cpu), 6)}{share(p.others, 7)}"
        )
    return "\n".join(lines)


def counts_list(text: str) -> list[int]:
    """``--workers``: "1" or "1,2"."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of worker counts: {text!r}") from None
    if not values or not all(1 <= v <= 8 for v in values):
        raise argparse.ArgumentTypeError("worker counts from 1 to 8")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=1000, help="subscribed citizens")
    parser.add_argument("--messages", type=int, default=10_000, help="outbox messages a phase")
    parser.add_argument(
        "--workers",
        type=counts_list,
        default=[1, 2],
        help="worker processes of each phase, comma-separated (default 1,2)",
    )
    parser.add_argument("--timeout", type=int, default=900, help="seconds a phase at most")
    parser.add_argument(
        "--wait-quiet",
        type=int,
        default=0,
        metavar="SECONDS",
        help="before each phase, wait up to this long for other processes to go quiet",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="py-spy each worker: collapsed stacks (idle included) in DIR/workers-<k>-<n>.txt",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.citizens <= 100_000 or not 1 <= args.messages <= 1_000_000:
        parser.error("--citizens from 1 to 100000, --messages from 1 to 1000000")
    postgres = POSTGRES_URL is not None
    phases_of = args.workers
    print(
        f"motcua push benchmark: {args.citizens} citizens with one subscription each, "
        f"{args.messages} messages a phase, workers {'/'.join(map(str, phases_of))}, "
        f"database {'postgresql' if postgres else 'sqlite'}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    from backend import vapid

    phases: list[Phase] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="motcua-push-bench-") as temp:
        work = Path(temp)
        (work / "app").mkdir()
        push = FakePush(work / "fakepush.log")
        database_url = asyncio.run(fresh_postgres(DATABASE_SUFFIX)) if postgres else None
        try:
            push.start()
            env = environment(work / "app", database_url, vapid.new_key_pair()[0])
            started = time.perf_counter()
            accounts = asyncio.run(prepare(env, push, args.citizens))
            print(
                f"  fake push service at {push.origin}; {len(accounts)} citizens subscribed "
                f"in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            first = 1
            for workers in phases_of:
                counts = asyncio.run(database_counts(env))
                started = time.perf_counter()
                asyncio.run(enqueue(env, accounts, first, args.messages))
                enqueued = time.perf_counter() - started
                first += args.messages
                waited = wait_until_quiet(args.wait_quiet)
                print(
                    f"  {args.messages} messages enqueued in {enqueued:.1f} s; "
                    f"{workers} worker(s) ..."
                    + (f" (waited {waited:.0f} s)" if waited > 1 else ""),
                    flush=True,
                )
                phase = run_phase(
                    env, push, workers, args.messages, work, args.timeout, args.profile
                )
                phase.enqueue_s = enqueued
                check(phase, counts, asyncio.run(database_counts(env)))
                phases.append(phase)
        finally:
            push.stop()
            if database_url:
                asyncio.run(drop_postgres(database_url))
    print()
    print(table(phases))
    print(
        "first s: the first message received; all s: every message received (from the\n"
        "workers' start); deliv./s = messages / all s; steady/s = messages / (all s - first s),\n"
        "without the start-up; done: the workers exited (bookkeeping of the last batch\n"
        "included). CPU in cores over the phase (100% = one core):\n"
        "worker = each motcua worker, push = the fake service (VAPID check, decryption),\n"
        "db = PostgreSQL, others = everything else on this machine."
    )
    print()
    for phase in phases:
        rate = f"{phase.rate:.0f}/s"
        verdict = "meets" if phase.rate >= TARGET else "misses"
        notes.append(
            f"{phase.workers} worker(s): {rate} delivered, {verdict} the {TARGET:.0f}/s target; "
            f"worker CPU {' + '.join(f'{c:.1f}' for c in phase.worker_cpu)} s "
            f"({sum(phase.worker_cpu) / phase.messages * 1000:.2f} ms a notification), "
            f"push service {phase.push_cpu:.1f} s"
            + (
                ""
                if phase.database_cpu != phase.database_cpu
                else f", PostgreSQL {phase.database_cpu:.1f} s"
            )
        )
    if not postgres and any(p.workers > 1 for p in phases):
        notes.append(
            "SQLite: the workers are separate processes on one file; their write "
            "transactions run one at a time (embedded mode runs one worker, in the app)"
        )
    for note in notes:
        print(f"note: {note}")
    problems = [f"{p.workers} worker(s): {problem}" for p in phases for problem in p.problems]
    for problem in problems:
        print(f"FAILED: {problem}")
    if any(p.others > OTHERS_NOTICE for p in phases if p.others == p.others):
        print(
            "note: other processes used CPU during a phase (column others): this machine "
            "was shared, the figures are worse than the app's own; rerun when idle."
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
