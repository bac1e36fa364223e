"""Payments benchmark: VNPay IPNs handled per second, on SQLite and on PostgreSQL.

    .venv/bin/python tests/bench/payments.py                      # both databases
    .venv/bin/python tests/bench/payments.py --database sqlite --orders 2000 --concurrency 16,64

For each database, starts ``motcua serve`` (one worker, demo mode: the sandbox gateway is
the merchant account the IPNs are signed for) on a fresh database: SQLite in a temp data
dir, or ``motcua_test_bench_payments`` on the PostgreSQL server of DATABASE_URL (default
``postgresql://postgres@127.0.0.1:5432``; only ``*test*`` names are recreated, and it is
dropped at the end, with the temp dir and the server). This process opens the same
database (as dossiers.py does) and makes ``--citizens`` citizens. Then:

- distinct, once for each count of ``--concurrency``: ``--orders`` orders are prepared
  through the services (a driving-licence dossier with its fee, drafted, three small
  documents attached, submitted; one pending sandbox order for it: ``service.start``),
  then their success IPNs, signed as VNPay signs them, are sent as
  ``GET /api/payments/vnpay/ipn`` by that many concurrent keep-alive clients (raw HTTP/1.1),
  each order's once. IPNs/s over the phase's wall time, p50/p99/max latency. Each must
  answer 200 ``{"RspCode": "00"}``; afterwards every order must be paid, its dossier
  paid, with exactly one receipt, one inbox notice (outcome 00) and one
  ``payment.confirmed`` outbox message per dossier;
- duplicates: one more order, and its success IPN sent ``--duplicates`` times by
  ``--duplicate-concurrency`` clients: exactly one answer 00 and the rest 02 ("already
  confirmed"); afterwards one paid order, one receipt, one notice, one outbox message.

Embedded mode (SQLite) runs the notifications worker inside the server, as it ships: it
turns the ``payment.confirmed`` messages into notices during the phase, in the same
process and the same write lock. On PostgreSQL the worker is its own process and none is
started. CPU columns as in dossiers.py: cores over the phase (100 % = one core). Nothing
asserts on time; the script exits 1 if an answer or a check is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.bench.dossiers import (  # noqa: E402
    OTHERS_NOTICE,
    Cpu,
    CpuMeter,
    drop_postgres,
    percentile,
    wait_until_quiet,
)
from tests.e2e.server import MotcuaServer  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DATABASE_NAME = "motcua_test_bench_payments"
IPN = "/api/payments/vnpay/ipn"
# Đổi giấy phép lái xe: 115,000 online, paid before reception; three required documents.
LICENCE = "1.002809"
LICENCE_ANSWERS = {"licence_number": "790123456789", "licence_class": "B", "delivery": "tai_quay"}
PREPARERS = 4  # orders prepared at once (the services, from this process)
WARM_UP = 20  # IPNs of extra orders sent before each distinct phase, not measured
PROGRESS_EVERY = 500


# ------------------------------------------------------------------- database


def postgres_url() -> str:
    """The bench database on DATABASE_URL's server (its own name is not used)."""
    base = os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES
    return urlunsplit(urlsplit(base)._replace(path=f"/{DATABASE_NAME}"))


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


@contextlib.asynccontextmanager
async def opened(server: MotcuaServer) -> AsyncIterator[Any]:
    """The server's database, opened from this process; yields its settings."""
    from backend.db import Database
    from backend.settings import Settings

    settings = Settings.from_env(server.environment())
    database = Database(settings)
    await database.open()
    try:
        yield settings
    finally:
        await database.close()


@dataclass(frozen=True)
class Order:
    dossier_id: int
    payment_id: int
    reference: str
    target: str  # the signed IPN's path and query


class Preparer:
    """Citizens, dossiers with fees and pending orders, through the services."""

    def __init__(self, settings: Any) -> None:
        from backend.attachments import Attachments, inspect_upload
        from backend.dossiers.runtime import DossiersRuntime
        from backend.payments.runtime import PaymentsRuntime
        from backend.signing.service import SigningRuntime

        attachments = Attachments.in_folder(settings.data_dir)
        self.dossiers = DossiersRuntime.from_settings(
            settings, attachments, SigningRuntime.from_settings(settings, attachments.storage)
        )
        self.payments = PaymentsRuntime.from_settings(settings)
        self.citizens: list[Any] = []
        self.document = inspect_upload(small_jpeg(), "giay-to.jpg")
        self.made = 0

    async def make_citizens(self, count: int) -> None:
        from backend.accounts.schemas import Principal
        from backend.accounts.tables import Account
        from backend.db import write_transaction
        from backend.dossiers.runtime import utc_now

        async with write_transaction():
            rows = await Account.insert(
                *(
                    Account(
                        kind="citizen",
                        full_name=f"Người Nộp Phí {n + 1}",
                        phone=f"09{n:08d}",
                        user_handle=secrets.token_urlsafe(32),
                        created_at=utc_now(),
                    )
                    for n in range(count)
                )
            ).returning(Account.id, Account.full_name)
        self.citizens = [
            Principal(
                account_id=row["id"],
                kind="citizen",
                name=row["full_name"],
                role=None,
                agency_code=None,
                session_id="bench",
            )
            for row in rows
        ]

    async def order(self) -> Order:
        from backend.dossiers import service as dossiers
        from backend.dossiers.schemas import DraftCreate, DraftUpdate
        from backend.payments import service
        from backend.payments.gateways import vnpay
        from backend.payments.schemas import PaymentStart
        from backend.payments.service import records

        number = self.made
        self.made += 1
        citizen = self.citizens[number % len(self.citizens)]
        draft, _ = await dossiers.create_draft(
            self.dossiers,
            citizen,
            # A dossier of its own each time, even for a citizen whose last is unfinished.
            DraftCreate(procedure_code=LICENCE, draft_key=f"bench-pay-{number:06d}", another=True),
        )
        await dossiers.update_draft(
            self.dossiers, citizen, draft.id, DraftUpdate(form_data=LICENCE_ANSWERS)
        )
        for component in draft.components:
            if component.required and component.uploadable:
                await dossiers.add_file(
                    self.dossiers, citizen, draft.id, self.document, component_id=component.id
                )
        await dossiers.submit(self.dossiers, citizen, draft.id)
        payment = await service.start(
            self.payments,
            citizen,
            PaymentStart(dossier_ids=[draft.id], provider="sandbox"),
            client_ip="203.0.113.9",
            lang="vi",
        )
        sandbox = self.payments.sandbox
        assert sandbox is not None  # demo mode
        signed = vnpay.signed_notification(
            sandbox,
            {
                "vnp_TmnCode": sandbox.tmn_code,
                "vnp_Amount": str(payment.amount * 100),
                "vnp_BankCode": "NCB",
                "vnp_BankTranNo": f"VNP{number:08d}",
                "vnp_CardType": "ATM",
                "vnp_OrderInfo": f"Thanh toan phi le phi {payment.reference}",
                "vnp_PayDate": time.strftime("%Y%m%d%H%M%S"),
                "vnp_ResponseCode": "00",
                "vnp_TransactionNo": f"{number + 1:08d}",
                "vnp_TransactionStatus": "00",
                "vnp_TxnRef": payment.reference,
            },
        )
        row = await records.payment_row(reference=payment.reference)
        return Order(draft.id, row.id, payment.reference, f"{IPN}?{urlencode(signed)}")

    async def orders(self, count: int) -> list[Order]:
        """``count`` orders, ``PREPARERS`` at a time."""
        made: list[Order] = []

        async def one_after_another(share: int) -> None:
            for _ in range(share):
                made.append(await self.order())
                if len(made) % PROGRESS_EVERY == 0:
                    print(f"    {len(made)}/{count} orders ...", flush=True)

        async with self.payments.connected():
            shares = [count // PREPARERS + (n < count % PREPARERS) for n in range(PREPARERS)]
            await asyncio.gather(*(one_after_another(share) for share in shares if share))
        return made


def small_jpeg() -> bytes:
    """A small scan: what matters here is the payment, not the upload."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


async def check(orders: list[Order], duplicates: bool) -> tuple[str, list[str]]:
    """(what was found, the problems): every order paid once, each dossier paid, one
    receipt, one inbox notice and one payment.confirmed message per dossier."""
    from backend.db import fetch

    payment_ids = {o.payment_id for o in orders}
    references = {o.reference for o in orders}
    subjects = {f"dossier:{o.dossier_id}" for o in orders}
    dossier_ids = {o.dossier_id for o in orders}

    status = {
        int(r["id"]): r["status"] for r in await fetch("SELECT id, status FROM payments_payment")
    }
    paid = sum(status.get(pid) == "paid" for pid in payment_ids)
    receipts: dict[int, int] = {}
    for r in await fetch("SELECT payment FROM payments_receipt"):
        receipts[int(r["payment"])] = receipts.get(int(r["payment"]), 0) + 1
    notices: dict[str, list[str]] = {}
    for r in await fetch("SELECT reference, outcome FROM payments_notice"):
        notices.setdefault(r["reference"], []).append(r["outcome"])
    messages: dict[str, int] = {}
    for r in await fetch("SELECT subject FROM outbox_message WHERE kind = {}", "payment.confirmed"):
        messages[r["subject"]] = messages.get(r["subject"], 0) + 1
    settled = sum(
        r["payment_status"] == "paid"
        for r in await fetch("SELECT id, payment_status FROM dossiers_dossier")
        if int(r["id"]) in dossier_ids
    )
    one_receipt = sum(receipts.get(pid) == 1 for pid in payment_ids)
    one_notice = sum(notices.get(ref) == ["00"] for ref in references)
    one_message = sum(messages.get(subject) == 1 for subject in subjects)
    n = len(orders)
    problems = []
    if paid != n:
        problems.append(f"{n - paid} order(s) not paid")
    if settled != n:
        problems.append(f"{n - settled} dossier(s) not marked paid")
    if one_receipt != n:
        problems.append(f"{n - one_receipt} order(s) without exactly one receipt")
    if one_notice != n:
        problems.append(f"{n - one_notice} order(s) without exactly one inbox notice (00)")
    if one_message != n:
        problems.append(f"{n - one_message} dossier(s) without exactly one payment.confirmed")
    found = (
        f"{paid}/{n} paid, {settled}/{n} dossiers paid, {one_receipt}/{n} with one receipt, "
        f"{one_notice}/{n} with one notice, {one_message}/{n} with one payment.confirmed"
    )
    if duplicates:
        found = (
            f"paid {paid}, receipts {sum(receipts.get(pid, 0) for pid in payment_ids)}, "
            f"notices {sum(len(notices.get(ref, [])) for ref in references)}, "
            f"payment.confirmed {sum(messages.get(s, 0) for s in subjects)}"
        )
    return found, problems


# ------------------------------------------------------------------------ load


class OwnCpu(CpuMeter):
    """dossiers.py's meter, but of PostgreSQL only the backends of this bench's
    database and the server's shared processes (writer, checkpointer, WAL): other
    databases' backends on the same server (a test suite beside) count as others."""

    def _database(self) -> dict[int, float]:
        seconds = super()._database()
        return {pid: spent for pid, spent in seconds.items() if self._ours(pid)}

    @staticmethod
    def _ours(pid: int) -> bool:
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            return False
        if DATABASE_NAME in title:
            return True
        backend = re.search(r"\(\d+\)|\[local\]", title) or "autovacuum worker" in title
        return not backend


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)  # RspCode (or HTTP status, error)
    wall: float = 0.0
    cpu: Cpu | None = None
    client_cpu: float = float("nan")


class Client:
    """One keep-alive HTTP/1.1 connection on raw asyncio streams, as openloop.py talks:
    0.2 ms of CPU a request where httpx took 1.4 ms, CPU the server needs on two cores."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        """(status, body) of one GET; reconnects once if the server closed it idle."""
        for attempt in (1, 2):
            if self.streams is None:
                self.streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self.streams
            try:
                writer.write(
                    f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode()
                )
                head = await reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError) as error:
                self.close()
                if attempt == 2 or (
                    isinstance(error, asyncio.IncompleteReadError) and error.partial
                ):
                    raise
                continue
            try:
                status = int(head.split(b" ", 2)[1])
                length, close = 0, False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"transfer-encoding":
                        raise RuntimeError("a chunked answer: not expected here")
                    elif name == b"connection" and b"close" in value.lower():
                        close = True
                body = await reader.readexactly(length) if length else b""
            except BaseException:
                self.close()
                raise
            if close:
                self.close()
            return status, body
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def send(url: str, targets: list[str], concurrency: int, cpu: CpuMeter | None) -> Load:
    """Every target once, ``concurrency`` keep-alive clients taking the next in turn."""
    load = Load()
    pending = iter(targets)
    clients = [Client(url) for _ in range(concurrency)]

    async def client_loop(client: Client) -> None:
        for target in pending:
            started = time.perf_counter()
            try:
                status, body = await client.get(target)
            except (OSError, asyncio.IncompleteReadError, RuntimeError) as error:
                code = type(error).__name__
            else:
                code = str(json.loads(body).get("RspCode")) if status == 200 else f"HTTP {status}"
            load.latencies.append(time.perf_counter() - started)
            load.codes[code] = load.codes.get(code, 0) + 1

    try:
        # Each client's connection opened (and used once) before the clock starts.
        await asyncio.gather(*(client.get("/readyz") for client in clients))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        if cpu is not None:
            cpu.start()
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for client in clients))
        load.wall = time.perf_counter() - started
        if cpu is not None:
            load.cpu = cpu.read()
        after = resource.getrusage(resource.RUSAGE_SELF)
        spent = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
        load.client_cpu = spent / load.wall
    finally:
        for client in clients:
            client.close()
    return load


# ---------------------------------------------------------------------- report


@dataclass(frozen=True)
class Row:
    database: str
    phase: str
    concurrency: int
    load: Load
    verdict: str  # "ok" or "WRONG"

    @property
    def requests(self) -> int:
        return len(self.load.latencies)

    @property
    def other_cpu(self) -> float:
        cpu = self.load.cpu
        if cpu is None:
            return float("nan")
        database = 0.0 if cpu.database != cpu.database else cpu.database
        return cpu.machine - cpu.server - database - self.load.client_cpu


def table(rows: list[Row]) -> str:
    header = (
        f"{'database':<11}{'phase':<12}{'clients':>8}{'IPNs':>7}{'IPN/s':>8}{'p50 ms':>8}"
        f"{'p99 ms':>8}{'max ms':>8}{'server':>8}{'db':>6}{'gen':>6}{'others':>8}  check"
    )
    lines = [header, "-" * len(header)]

    def share(value: float | None, width: int) -> str:
        if value is None or value != value:
            return f"{'-':>{width}}"
        return f"{value:>{width}.0%}"

    for r in rows:
        values = r.load.latencies
        cpu = r.load.cpu
        lines.append(
            f"{r.database:<11}{r.phase:<12}{r.concurrency:>8}{r.requests:>7}"
            f"{r.requests / r.load.wall if r.load.wall else 0.0:>8.1f}"
            f"{percentile(values, 0.50) * 1000:>8.1f}{percentile(values, 0.99) * 1000:>8.1f}"
            f"{max(values, default=float('nan')) * 1000:>8.1f}"
            f"{share(cpu.server if cpu else None, 8)}{share(cpu.database if cpu else None, 6)}"
            f"{share(r.load.client_cpu, 6)}{share(r.other_cpu, 8)}  {r.verdict}"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------ runs


@contextlib.contextmanager
def server_for(database: str, work: Path) -> Iterator[MotcuaServer]:
    url = asyncio.run(fresh_postgres(postgres_url())) if database == "postgresql" else None
    (work / "app").mkdir()
    app = MotcuaServer(work / "app", url)
    try:
        app.start()
        yield app
    finally:
        app.stop()
        if url:
            asyncio.run(drop_postgres(url))


async def bench_database(
    database: str, app: MotcuaServer, args: argparse.Namespace
) -> tuple[list[Row], list[str], list[str]]:
    """(rows, notes, problems) of one database."""
    assert app.process is not None
    cpu = OwnCpu(app.process.pid, postgres=database == "postgresql")
    rows: list[Row] = []
    notes: list[str] = []
    problems: list[str] = []
    async with opened(app) as settings:
        preparer = Preparer(settings)
        await preparer.make_citizens(args.citizens)
        for concurrency in args.concurrency:
            started = time.perf_counter()
            print(f"  {database}: preparing {args.orders} orders ...", flush=True)
            orders = await preparer.orders(args.orders + WARM_UP)
            warm, orders = orders[:WARM_UP], orders[WARM_UP:]
            spent = time.perf_counter() - started
            made = len(orders) + len(warm)
            notes.append(
                f"{database}: {made} orders prepared in {spent:.0f} s "
                f"({spent / made * 1000:.0f} ms each)"
            )
            warmed = await send(app.url, [o.target for o in warm], min(concurrency, WARM_UP), None)
            if warmed.codes != {"00": len(warm)}:
                problems.append(f"{database}: warm-up answers {warmed.codes}")
            waited = await asyncio.to_thread(wait_until_quiet, cpu, args.wait_quiet)
            if args.wait_quiet:
                notes.append(f"{database}: waited {waited:.0f} s for the machine to go quiet")
            print(f"  {database}: {len(orders)} IPNs, {concurrency} clients ...", flush=True)
            load = await send(app.url, [o.target for o in orders], concurrency, cpu)
            found, wrong = await check(orders, duplicates=False)
            if load.codes != {"00": len(orders)}:
                wrong.insert(0, f"answers {load.codes}, expected 00 only")
            print(f"    check: {found}" + ("" if not wrong else " — WRONG"), flush=True)
            notes.append(f"{database} distinct ×{concurrency}: {found}")
            problems.extend(f"{database} distinct ×{concurrency}: {w}" for w in wrong)
            rows.append(Row(database, "distinct", concurrency, load, "WRONG" if wrong else "ok"))

        if args.duplicates:
            [order] = await preparer.orders(1)
            waited = await asyncio.to_thread(wait_until_quiet, cpu, args.wait_quiet)
            print(
                f"  {database}: one IPN {args.duplicates} times, "
                f"{args.duplicate_concurrency} clients ...",
                flush=True,
            )
            load = await send(
                app.url, [order.target] * args.duplicates, args.duplicate_concurrency, cpu
            )
            found, wrong = await check([order], duplicates=True)
            expected = {"00": 1, "02": args.duplicates - 1} if args.duplicates > 1 else {"00": 1}
            if load.codes != expected:
                wrong.insert(0, f"answers {load.codes}, expected {expected}")
            print(
                f"    check: answers {dict(sorted(load.codes.items()))}; {found}"
                + ("" if not wrong else " — WRONG"),
                flush=True,
            )
            notes.append(
                f"{database} duplicates: answers {dict(sorted(load.codes.items()))}; {found}"
            )
            problems.extend(f"{database} duplicates: {w}" for w in wrong)
            rows.append(
                Row(
                    database,
                    "duplicates",
                    args.duplicate_concurrency,
                    load,
                    "WRONG" if wrong else "ok",
                )
            )
    return rows, notes, problems


def counts(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a count or a list of counts: {text!r}") from None
    if not values or not all(1 <= v <= 512 for v in values):
        raise argparse.ArgumentTypeError("counts from 1 to 512")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", choices=("sqlite", "postgresql", "both"), default="both", help="where"
    )
    parser.add_argument("--orders", type=int, default=2000, help="distinct IPNs a phase")
    parser.add_argument(
        "--concurrency",
        type=counts,
        default=[16, 64],
        help="concurrent clients of the distinct phase; several, comma-separated, in turn",
    )
    parser.add_argument("--duplicates", type=int, default=1000, help="copies of the same IPN")
    parser.add_argument("--duplicate-concurrency", type=int, default=64, help="their clients")
    parser.add_argument("--citizens", type=int, default=200, help="owners of the dossiers")
    parser.add_argument(
        "--wait-quiet",
        type=int,
        default=0,
        metavar="SECONDS",
        help="before each phase, wait up to this long for other processes to go quiet",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.orders <= 100_000 or not 0 <= args.duplicates <= 100_000:
        parser.error("--orders from 1 to 100000, --duplicates from 0 to 100000")
    if not 1 <= args.duplicate_concurrency <= 512 or not 1 <= args.citizens <= 10_000:
        parser.error("--duplicate-concurrency from 1 to 512, --citizens from 1 to 10000")
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(
        f"motcua payments benchmark: {args.orders} distinct IPNs with "
        f"{'/'.join(map(str, args.concurrency))} clients, the same IPN {args.duplicates} times "
        f"with {args.duplicate_concurrency}; {', '.join(databases)}; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    rows: list[Row] = []
    notes: list[str] = []
    problems: list[str] = []
    for database in databases:
        with (
            tempfile.TemporaryDirectory(prefix="motcua-payments-bench-") as temp,
            server_for(database, Path(temp)) as app,
        ):
            try:
                found = asyncio.run(bench_database(database, app, args))
            except Exception:
                print(f"server log ({database}):\n{app.log_tail()}", file=sys.stderr)
                raise
            rows.extend(found[0])
            notes.extend(found[1])
            problems.extend(found[2])
            errors = [line for line in app.log_tail(400).splitlines() if "ERROR" in line.upper()][
                -5:
            ]
            for line in errors:
                notes.append(f"{database} server log: {line[:200]}")
    print()
    print(table(rows))
    print(
        "CPU in cores over the phase (100% = one core): server = motcua serve (on SQLite with"
        "\nits in-process worker), db = PostgreSQL, gen = this process (the clients),"
        "\nothers = everything else on this machine."
    )
    print()
    for note in notes:
        print(f"note: {note}")
    for problem in problems:
        print(f"FAILED: {problem}")
    if any(r.other_cpu > OTHERS_NOTICE for r in rows if r.other_cpu == r.other_cpu):
        print(
            "note: other processes used CPU during a phase (column others, in cores): this "
            "machine was shared, the figures are worse than the app's own; rerun when idle."
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
