"""Dossier benchmark: submissions per second, and the dossier page's latency under load.

    .venv/bin/python tests/bench/dossiers.py [--clients 16] [--duration 20] [--rate 200]
    .venv/bin/python tests/bench/dossiers.py --rate 50,100,150  # where the budget holds

Starts ``motcua serve`` (one worker) on a fresh database (SQLite in a temp data dir, or
PostgreSQL when DATABASE_URL is set: ``<database>_bench_dossiers``, dropped at the end)
and signs ``--citizens`` people in without passkey ceremonies: this process opens the
same database and inserts each account and its session as sign-up does
(``backend.accounts.sessions.start`` makes the session and returns the cookie's token).
One GET gives the CSRF cookie. Then:

- submit: ``--clients`` concurrent keep-alive clients (httpx) each run the whole citizen
  journey for procedure 2.001680 again and again for ``--duration`` seconds: create the
  draft, save the answers, upload each required document (a 163 KB 1600×1200 photo,
  re-encoded by the server), submit. Submissions per second and each request kind's
  p50/p99; at the end the dossier codes in the database must be distinct and
  consecutive (0001, 0002, …) within each agency's day, and the codes the clients
  received;
- page: open-loop GETs (openloop.py, Poisson arrivals at ``--rate``/s, latency from the
  scheduled send time) of a random submitted dossier, each with its owner's session:
  the JSON ``/api/dossiers/{id}``, then the HTML page ``/ho-so/{id}`` (skipped with a
  note while that route answers 404), at each rate of ``--rate`` in turn. The design's
  budget: p99 ≤ 25 ms.

Nothing asserts on time; the script exits 1 if any request failed or a code is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.e2e.server import MotcuaServer  # noqa: E402
from tests.support.databases import POSTGRES_URL, fresh_postgres  # noqa: E402

PROCEDURE = "2.001680"  # legal aid: full online, two required documents of three
ANSWERS = {
    "case_summary": "Tranh chấp ranh giới đất với hộ liền kề, cần luật sư tư vấn.",
    "beneficiary_group": "ngheo",
}
SESSION_COOKIE = "motcua_session"  # http on loopback: not the __Host- name
CSRF_COOKIE = "csrftoken"
KINDS = ("create", "patch", "upload", "submit")
EXPECTED = {"create": 201, "patch": 200, "upload": 201, "submit": 200}
DATABASE_SUFFIX = "bench_dossiers"
WARM_UP_PAGE_REQUESTS = 40
OTHERS_NOTICE = 0.15  # cores used by other processes that make a run's figures suspect
OTHERS_QUIET = 0.10  # --wait-quiet: what "the rest of the machine is quiet" means
NO_SUCH_DOSSIER = "Không tìm thấy hồ sơ này"  # the service's "not found", not the router's


# ------------------------------------------------------------------- the photo


def photo_jpeg(width: int = 1600, height: int = 1200, quality: int = 80) -> bytes:
    """A phone photo of a typed page, made once: a sheet with lines of "words" on a
    darker table, lit unevenly (gradients), slightly soft. No noise: 163 KB."""
    from PIL import Image, ImageDraw, ImageFilter

    across = Image.linear_gradient("L").resize((width, height))
    down = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize((width, height))
    image = Image.merge("RGB", (across, down, Image.new("L", (width, height), 90)))
    draw = ImageDraw.Draw(image)
    rng = random.Random(7)
    draw.rectangle((120, 80, width - 140, height - 60), fill=(236, 230, 214))
    for row in range(140, height - 120, 34):
        x = 180
        while x < width - 220:
            word = rng.randint(20, 110)
            ink = 40 + rng.randint(0, 40)
            draw.rectangle((x, row, x + word, row + 14), fill=(ink, ink, ink))
            x += word + rng.randint(10, 22)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    light = Image.radial_gradient("L").resize((width, height)).point(lambda v: 255 - v // 3)
    image = Image.composite(image, Image.new("RGB", (width, height), (60, 50, 40)), light)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


# ------------------------------------------------------------ the bench's database


class BenchServer(MotcuaServer):
    """``motcua serve``, with ``MOTCUA_IMAGE_WORKERS`` when the run names it."""

    def __init__(self, data_dir: Path, database_url: str | None, image_workers: int | None) -> None:
        super().__init__(data_dir, database_url)
        self.image_workers = image_workers

    def environment(self) -> dict[str, str]:
        env = super().environment()
        if self.image_workers is None:
            del env["MOTCUA_IMAGE_WORKERS"]  # the server's own default: one per core
        else:
            env["MOTCUA_IMAGE_WORKERS"] = str(self.image_workers)
        return env


async def with_database(server: MotcuaServer, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Open the server's database from this process (as search.py grows the catalogue)."""
    from backend.db import Database
    from backend.settings import Settings

    settings = Settings.from_env(server.environment())
    database = Database(settings)
    await database.open()
    try:
        return await work(settings)
    finally:
        await database.close()


@dataclass(frozen=True)
class Citizen:
    account_id: int
    token: str  # the session cookie's value
    csrf: str = ""  # a CSRF token bound to that session (issue 15)


async def sign_in_citizens(server: MotcuaServer, count: int) -> list[Citizen]:
    """``count`` citizen accounts, each with a session, as sign-up leaves them (less the
    passkey and recovery codes, which no request here reads)."""
    from backend.accounts import sessions
    from backend.accounts.runtime import AccountsRuntime
    from backend.accounts.tables import Account
    from backend.db import write_transaction

    async def work(settings: Any) -> list[Citizen]:
        runtime = AccountsRuntime.from_settings(settings)
        citizens = []
        try:
            for number in range(count):
                now = runtime.clock()
                async with write_transaction():
                    rows = await Account.insert(
                        Account(
                            kind="citizen",
                            full_name=f"Người Dân Thử {number + 1}",
                            phone=f"09{number:08d}",
                            user_handle=secrets.token_urlsafe(32),  # base64url of 32 bytes
                            created_at=now,
                        )
                    ).returning(Account.id)
                account_id = rows[0]["id"]
                token = await sessions.start(runtime, account_id, "Bench · Linux")
                citizens.append(Citizen(account_id, token))
        finally:
            await runtime.limiter.close()
        return citizens

    result: list[Citizen] = await with_database(server, work)
    return result


async def check_codes(server: MotcuaServer, received: set[str]) -> tuple[int, list[str]]:
    """(how many dossiers hold a code, the problems): codes distinct, numbered 0001…n
    without a gap within each agency's day, and the same as the clients received."""
    from backend.dossiers.tables import Dossier

    async def work(_: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await Dossier.select(Dossier.code, Dossier.status).where(
            Dossier.code.is_not_null()
        )
        return rows

    rows = await with_database(server, work)
    codes = [row["code"] for row in rows]
    problems = []
    if len(set(codes)) != len(codes):
        problems.append(f"{len(codes) - len(set(codes))} duplicate code(s)")
    days: dict[str, list[int]] = {}
    for code in codes:
        match = re.fullmatch(r"(.+-\d{6})-(\d{4,})", code)
        if match is None:
            problems.append(f"malformed code {code!r}")
            continue
        days.setdefault(match[1], []).append(int(match[2]))
    for day, numbers in sorted(days.items()):
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
            problems.append(f"{day}: numbers not 1..{len(numbers)} (missing {missing[:10]})")
    if set(codes) != received:
        problems.append(
            f"database and clients disagree: {len(set(codes) - received)} code(s) only in the "
            f"database, {len(received - set(codes))} only in answers"
        )
    if any(row["status"] != "submitted" for row in rows):
        problems.append("a coded dossier is not in status submitted")
    return len(codes), problems


async def drop_postgres(url: str) -> None:
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.strip("/")
    if "test" not in name or not re.fullmatch(r"[a-z0-9_]+", name):
        raise RuntimeError(f"refusing to drop {name!r}: test databases must be named *test*")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


# ---------------------------------------------------------------- server CPU


@dataclass(frozen=True)
class Cpu:
    """Cores kept busy over a phase (CPU seconds over wall seconds: 1.0 is one core)."""

    server: float
    database: float  # PostgreSQL's processes; NaN on SQLite (it runs inside the server)
    machine: float


class CpuMeter:
    """CPU seconds from /proc: the server's (user+system, all its threads, and its child
    processes': the upload checks' workers, issue 21), PostgreSQL's processes' and the
    whole machine's, so what others ran meanwhile shows. Linux only."""

    def __init__(self, pid: int, postgres: bool) -> None:
        self.pid = pid
        self.path = Path(f"/proc/{pid}/stat")
        self.postgres = postgres
        self.tick = os.sysconf("SC_CLK_TCK")
        self.start_machine = self.start_wall = 0.0
        self.start_server: dict[int, float] = {}
        self.start_database: dict[int, float] = {}

    def _seconds(self, stat: Path) -> tuple[str, float]:
        """(command name, user+system seconds) of one process."""
        text = stat.read_text()
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        return name, (int(fields[11]) + int(fields[12])) / self.tick

    def _server(self) -> dict[int, float]:
        """The server's CPU seconds, and each of its child processes' (by pid)."""
        try:
            seconds = {self.pid: self._seconds(self.path)[1]}
        except OSError:
            return {self.pid: float("nan")}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
                if int(text.rsplit(")", 1)[1].split()[1]) == self.pid:
                    seconds[int(stat.parent.name)] = self._seconds(stat)[1]
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
        return seconds

    def _database(self) -> dict[int, float]:
        """Each PostgreSQL process's CPU seconds (the server's own, on loopback)."""
        if not self.postgres:
            return {}
        seconds = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                name, spent = self._seconds(stat)
            except (OSError, ValueError):
                continue  # gone meanwhile
            if name == "postgres":
                seconds[int(stat.parent.name)] = spent
        return seconds

    def _machine(self) -> float:
        """Busy seconds of all CPUs: everything but idle and I/O wait."""
        try:
            values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except OSError:
            return float("nan")
        return (sum(values[:8]) - values[3] - values[4]) / self.tick

    def start(self) -> None:
        self.start_server, self.start_machine = self._server(), self._machine()
        self.start_database = self._database()
        self.start_wall = time.perf_counter()

    def read(self) -> Cpu:
        """What was used since ``start``."""
        wall = time.perf_counter() - self.start_wall
        database = float("nan")
        if self.postgres:
            now = self._database()
            spent = sum(cpu - self.start_database.get(pid, 0.0) for pid, cpu in now.items())
            database = spent / wall
        return Cpu(
            server=sum(cpu - self.start_server.get(pid, 0.0) for pid, cpu in self._server().items())
            / wall,
            database=database,
            machine=(self._machine() - self.start_machine) / wall,
        )


def wait_until_quiet(cpu: CpuMeter, limit: float) -> float:
    """Wait (at most ``limit`` seconds) until the rest of the machine has used under
    OTHERS_QUIET cores for three seconds in a row; return the seconds waited."""
    started = time.perf_counter()
    calm = 0
    while calm < 3 and time.perf_counter() - started < limit:
        cpu.start()
        time.sleep(1.0)
        used = cpu.read()
        database = 0.0 if used.database != used.database else used.database
        calm = calm + 1 if used.machine - used.server - database < OTHERS_QUIET else 0
    return time.perf_counter() - started


@contextlib.contextmanager
def profiled(pid: int, out: Path | None, name: str) -> Iterator[None]:
    """py-spy (pip install py-spy) samples the server during the block: collapsed stacks
    in ``out/<name>.txt``, for flamegraph.pl or speedscope. Nothing when ``out`` is None."""
    if out is None:
        yield
        return
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    spy = shutil.which("py-spy", path=search)
    if spy is None:
        raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
    out.mkdir(parents=True, exist_ok=True)
    command = [spy, "record", "--pid", str(pid), "--rate", "250", "--nonblocking", "--threads"]
    command += ["--format", "raw", "--output", str(out / f"{name}.txt")]
    spying = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        spying.send_signal(signal.SIGINT)  # py-spy writes its file on ^C
        try:
            spying.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spying.kill()
            spying.wait()


# -------------------------------------------------------------- submit phase


@dataclass
class SubmitRun:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    journeys: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    errors: dict[str, int] = field(default_factory=dict)
    # (dossier id, owner's index in the citizens list, code)
    submitted: list[tuple[int, int, str]] = field(default_factory=list)
    wall: float = 0.0
    cpu: Cpu | None = None
    client_cpu: float = float("nan")


class Failed(Exception):
    """A request failed or a check on the database did not hold: the run exits 1."""


def no_cookie_jar() -> CookieJar:
    """A jar that keeps nothing: every request names its own session in its headers."""
    return CookieJar(DefaultCookiePolicy(allowed_domains=[]))


async def with_csrf_tokens(url: str, citizens: list[Citizen]) -> list[Citizen]:
    """Each citizen with a CSRF token of their own: a token is bound to the session it
    was made for (issue 15), so one GET / per session, as the citizen's browser does."""
    found = []
    async with httpx.AsyncClient(
        base_url=url, trust_env=False, timeout=30, cookies=no_cookie_jar()
    ) as client:
        for citizen in citizens:
            response = await client.get(
                "/",
                headers={"Cookie": f"{SESSION_COOKIE}={citizen.token}", "Accept": "text/html"},
            )
            response.raise_for_status()
            token = response.cookies.get(CSRF_COOKIE)
            if not token:
                raise RuntimeError(f"GET / with a session set no {CSRF_COOKIE} cookie")
            found.append(replace(citizen, csrf=token))
    return found


async def journey(
    client: httpx.AsyncClient,
    run: SubmitRun | None,
    citizen: Citizen,
    photo: bytes,
    key: str,
) -> tuple[int, str]:
    """One citizen's submission, start to end: (dossier id, code). ``run`` None: not
    measured (the warm-up)."""
    csrf = citizen.csrf
    headers = {
        "Cookie": f"{SESSION_COOKIE}={citizen.token}; {CSRF_COOKIE}={csrf}",
        "x-csrftoken": csrf,
    }

    async def timed(kind: str, request: Awaitable[httpx.Response]) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await request
        except httpx.HTTPError as error:
            name = f"{kind}: {type(error).__name__}"
            if run is not None:
                run.failures[kind] += 1
                run.errors[name] = run.errors.get(name, 0) + 1
            raise Failed(name) from error
        elapsed = time.perf_counter() - started
        if response.status_code != EXPECTED[kind]:
            name = f"{kind}: {response.status_code} {response.text[:160]}"
            if run is not None:
                run.failures[kind] += 1
                run.errors[name] = run.errors.get(name, 0) + 1
            raise Failed(name)
        if run is not None:
            run.latencies[kind].append(elapsed)
        return response

    base = "/api/dossiers"
    created = await timed(
        "create",
        # Each journey a dossier of its own ("another"): a citizen may run several at once.
        client.post(
            base,
            json={"procedure_code": PROCEDURE, "draft_key": key, "another": True},
            headers=headers,
        ),
    )
    dossier = created.json()
    dossier_id = int(dossier["id"])
    await timed(
        "patch", client.patch(f"{base}/{dossier_id}", json={"form_data": ANSWERS}, headers=headers)
    )
    for component in dossier["components"]:
        if component["required"] and component["uploadable"]:
            await timed(
                "upload",
                client.post(
                    f"{base}/{dossier_id}/files",
                    files={"file": ("giay-to.jpg", photo, "image/jpeg")},
                    data={"component_id": str(component["id"])},
                    headers=headers,
                ),
            )
    done = await timed("submit", client.post(f"{base}/{dossier_id}/submit", headers=headers))
    return dossier_id, str(done.json()["code"])


async def submit_phase(
    url: str,
    citizens: list[Citizen],
    photo: bytes,
    clients: int,
    duration: float,
    cpu: CpuMeter,
) -> SubmitRun:
    run = SubmitRun()
    # One unmeasured journey first: caches filled, the code sequence's row made.
    async with httpx.AsyncClient(base_url=url, trust_env=False, cookies=no_cookie_jar()) as warm:
        dossier_id, code = await journey(warm, None, citizens[0], photo, "bench-warm-up-000")
        run.submitted.append((dossier_id, 0, code))

    async def worker(number: int) -> None:
        # Each client has its own citizens (by index), one journey after another.
        mine = list(range(number, len(citizens), clients)) or [number % len(citizens)]
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(
            base_url=url, trust_env=False, timeout=60, limits=limits, cookies=no_cookie_jar()
        ) as client:
            round_ = 0
            while time.perf_counter() < deadline:
                owner = mine[round_ % len(mine)]
                key = f"bench-{number:03d}-{round_:06d}-{secrets.token_hex(4)}"
                round_ += 1
                started = time.perf_counter()
                try:
                    dossier_id, code = await journey(client, run, citizens[owner], photo, key)
                except Failed:
                    continue
                run.journeys.append(time.perf_counter() - started)
                run.submitted.append((dossier_id, owner, code))

    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu.start()
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(*(worker(n) for n in range(clients)))
    run.wall = time.perf_counter() - started
    run.cpu = cpu.read()
    after = resource.getrusage(resource.RUSAGE_SELF)
    spent = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    run.client_cpu = spent / run.wall
    return run


# ---------------------------------------------------------------- page phase


@dataclass(frozen=True)
class Row:
    phase: str
    kind: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    generator_cpu: float
    cpu: Cpu | None = None

    @property
    def other_cpu(self) -> float:
        """Cores the rest of the machine used meanwhile: not the server, its database or
        the load generator."""
        if self.cpu is None:
            return float("nan")
        database = 0.0 if self.cpu.database != self.cpu.database else self.cpu.database
        return self.cpu.machine - self.cpu.server - database - self.generator_cpu


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def page_targets(
    prefix: str, run: SubmitRun, citizens: list[Citizen], out: Path
) -> tuple[Path, list[dict[str, Any]]]:
    targets = [
        {"path": f"{prefix}{dossier_id}", "headers": {"Cookie": f"{SESSION_COOKIE}={c.token}"}}
        for dossier_id, owner, _ in run.submitted
        for c in (citizens[owner],)
    ]
    path = out / f"targets{prefix.replace('/', '_')}.json"
    path.write_text(json.dumps(targets))
    return path, targets


def warm_up_pages(url: str, targets: list[dict[str, Any]]) -> tuple[set[int], bool]:
    """Templates compiled, caches and pools filled: (the statuses met, whether the
    route is there). A 404 that is not the service's "no such dossier" is the
    router's: the route does not exist (yet)."""
    statuses = set()
    routed = True
    with httpx.Client(base_url=url, trust_env=False, timeout=30, cookies=no_cookie_jar()) as client:
        for target in random.Random(5).sample(targets, min(WARM_UP_PAGE_REQUESTS, len(targets))):
            response = client.get(target["path"], headers=target["headers"])
            statuses.add(response.status_code)
            if response.status_code == 404 and NO_SUCH_DOSSIER not in response.text:
                routed = False
    return statuses, routed


def run_openloop(
    label: str, url: str, targets: Path, rate: float, duration: float, cpu: CpuMeter
) -> Row:
    command = [
        sys.executable, str(BENCH_DIR / "openloop.py"), "--url", url, "--targets", str(targets),
        "--rate", str(rate), "--duration", str(duration),
        "--max-requests", str(int(rate * duration * 2) + 100),
    ]  # fmt: skip
    cpu.start()
    done = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, timeout=duration + 60, check=False
    )
    used = cpu.read()
    if done.returncode != 0:
        raise RuntimeError(f"openloop.py failed for {label}:\n{done.stderr.decode()[-3000:]}")
    result = json.loads(done.stdout)
    # openloop.py counts errors and statuses ≥ 400; a redirect (to the sign-in page, to a
    # draft's step) is a failure here too.
    redirected = sum(n for status, n in result["statuses"].items() if 200 < int(status) < 400)
    failures = result["failures"] + redirected
    if failures:
        print(f"    {label}: statuses {result['statuses']} errors {result['errors']}", flush=True)
    return Row(
        phase=f"page {rate:g}/s open",
        kind=label,
        requests=result["completed"],
        failures=failures,
        rps=result["rps"],
        p50_ms=result["p50_ms"],
        p99_ms=result["p99_ms"],
        max_ms=result["max_ms"],
        generator_cpu=result["cpu"],
        cpu=used,
    )


# --------------------------------------------------------------------- report


def submit_rows(run: SubmitRun) -> list[Row]:
    rows = []
    for kind in KINDS:
        values = run.latencies[kind]
        rows.append(
            Row(
                phase="submit",
                kind=kind,
                requests=len(values),
                failures=run.failures[kind],
                rps=len(values) / run.wall if run.wall else 0.0,
                p50_ms=percentile(values, 0.50) * 1000,
                p99_ms=percentile(values, 0.99) * 1000,
                max_ms=max(values, default=float("nan")) * 1000,
                generator_cpu=float("nan"),
            )
        )
    rows.append(
        Row(
            phase="submit",
            kind="whole journey",
            requests=len(run.journeys),
            failures=sum(run.failures.values()),
            rps=len(run.journeys) / run.wall if run.wall else 0.0,
            p50_ms=percentile(run.journeys, 0.50) * 1000,
            p99_ms=percentile(run.journeys, 0.99) * 1000,
            max_ms=max(run.journeys, default=float("nan")) * 1000,
            generator_cpu=run.client_cpu,
            cpu=run.cpu,
        )
    )
    return rows


def table(rows: list[Row]) -> str:
    header = (
        f"{'phase':<17}{'request':<21}{'requests':>9}{'fail':>6}{'req/s':>8}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'server':>8}{'db':>6}{'gen':>6}{'others':>8}"
    )
    lines = [header, "-" * len(header)]

    def share(value: float | None, width: int) -> str:
        if value is None or value != value:  # not measured
            return f"{'-':>{width}}"
        return f"{value:>{width}.0%}"

    for r in rows:
        lines.append(
            f"{r.phase:<17}{r.kind:<21}{r.requests:>9}{r.failures:>6}{r.rps:>8.1f}"
            f"{r.p50_ms:>8.1f}{r.p99_ms:>8.1f}{r.max_ms:>8.1f}"
            f"{share(r.cpu and r.cpu.server, 8)}{share(r.cpu and r.cpu.database, 6)}"
            f"{share(r.generator_cpu, 6)}{share(r.other_cpu, 8)}"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------- main


def rates(text: str) -> list[float]:
    """``--rate``: "200" or "50,100,150"."""
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a rate or a list of rates: {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent submitting clients")
    parser.add_argument("--citizens", type=int, default=64, help="signed-in citizens")
    parser.add_argument("--duration", type=int, default=20, help="seconds of each phase")
    parser.add_argument(
        "--rate",
        type=rates,
        default=[200.0],
        help="page requests/s of the open loop; several, comma-separated, run in turn",
    )
    parser.add_argument(
        "--wait-quiet",
        type=int,
        default=0,
        metavar="SECONDS",
        help="before each phase, wait up to this long for other processes to go quiet",
    )
    parser.add_argument(
        "--image-workers",
        type=int,
        metavar="N",
        help="the server's MOTCUA_IMAGE_WORKERS (default: its own, one per core; 0: threads)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="py-spy the server in each phase: collapsed stacks in DIR/<phase>.txt",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256 or not 1 <= args.citizens <= 10_000:
        parser.error("--clients from 1 to 256, --citizens from 1 to 10000")
    if not 1 <= args.duration <= 600 or not all(1 <= r <= 5000 for r in args.rate or [0]):
        parser.error("--duration from 1 to 600 s, --rate from 1 to 5000")
    database = "postgresql" if POSTGRES_URL else "sqlite"
    print(
        f"motcua dossier benchmark: {args.clients} clients, {args.citizens} citizens, "
        f"{args.duration} s a phase, {'/'.join(f'{r:g}' for r in args.rate)} pages/s, "
        f"database {database}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    photo = photo_jpeg()
    rows: list[Row] = []
    notes: list[str] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="motcua-dossier-bench-") as temp:
        work = Path(temp)
        (work / "app").mkdir()
        database_url = asyncio.run(fresh_postgres(DATABASE_SUFFIX)) if POSTGRES_URL else None
        app = BenchServer(work / "app", database_url, image_workers=args.image_workers)
        try:
            app.start()
            assert app.process is not None
            cpu = CpuMeter(app.process.pid, postgres=database_url is not None)
            citizens = asyncio.run(sign_in_citizens(app, args.citizens))
            citizens = asyncio.run(with_csrf_tokens(app.url, citizens))
            print(
                f"  {len(citizens)} citizens signed in; photo {len(photo) / 1024:.0f} KB; "
                f"submitting for {args.duration} s ...",
                flush=True,
            )
            waited = wait_until_quiet(cpu, args.wait_quiet)
            with profiled(app.process.pid, args.profile, "submit"):
                run = asyncio.run(
                    submit_phase(app.url, citizens, photo, args.clients, args.duration, cpu)
                )
            rows.extend(submit_rows(run))
            for error, count in sorted(run.errors.items()):
                problems.append(f"{count} × {error}")
            coded, code_problems = asyncio.run(
                check_codes(app, {code for _, _, code in run.submitted})
            )
            problems.extend(f"codes: {p}" for p in code_problems)
            notes.append(
                f"{len(run.journeys)} submissions in {run.wall:.1f} s "
                f"= {len(run.journeys) / run.wall:.1f}/s (plus 1 warm-up); "
                + (
                    f"server CPU {run.cpu.server * run.wall / len(run.journeys) * 1000:.0f} ms "
                    "a submission (its upload workers included); "
                    if run.cpu and run.journeys
                    else ""
                )
                + f"{coded} codes in the database, "
                + ("distinct and consecutive per day" if not code_problems else "WRONG")
            )
            for prefix, label, name in (
                ("/api/dossiers/", "GET /api/dossiers/{id}", "page-api"),
                ("/ho-so/", "GET /ho-so/{id}", "page-html"),
            ):
                targets_file, targets = page_targets(prefix, run, citizens, work)
                statuses, routed = warm_up_pages(app.url, targets)
                if not routed:
                    notes.append(f"{label} answers 404 (no such route yet): skipped")
                    continue
                if statuses != {200}:
                    problems.append(f"{label}: warm-up statuses {sorted(statuses)}: not loaded")
                    continue
                for rate in args.rate:
                    waited += wait_until_quiet(cpu, args.wait_quiet)
                    print(f"  {label}: open loop at {rate:g}/s ...", flush=True)
                    with profiled(app.process.pid, args.profile, f"{name}-{rate:g}"):
                        rows.append(
                            run_openloop(label, app.url, targets_file, rate, args.duration, cpu)
                        )
            if args.wait_quiet:
                notes.append(f"waited {waited:.0f} s in all for the machine to go quiet")
        finally:
            app.stop()
            if database_url:
                asyncio.run(drop_postgres(database_url))
    print()
    print(table(rows))
    print(
        "CPU in cores over the phase (100% = one core): server = motcua serve, db = PostgreSQL,"
        "\ngen = the load generator, others = everything else on this machine."
    )
    print()
    for note in notes:
        print(f"note: {note}")
    for problem in problems:
        print(f"FAILED: {problem}")
    if any(r.generator_cpu > 0.9 for r in rows if r.generator_cpu == r.generator_cpu):
        print("note: a load generator's CPU went above 90%: it limits these figures.")
    if any(r.other_cpu > OTHERS_NOTICE for r in rows if r.other_cpu == r.other_cpu):
        print(
            "note: other processes used CPU during a phase (column others, in cores): this "
            "machine was shared, the figures are worse than the app's own; rerun when idle."
        )
    return 1 if problems or any(r.failures for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
