"""The ``motcua`` command."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from backend.accounts.schemas import ROLES
from backend.backup import commands as backup_commands
from backend.settings import SQLITE_FILE, Settings, SettingsError, data_dir_of

# Where the data is (issue 16). A data dir is begun only where one is asked for:
# ``MOTCUA_DATA_DIR`` names it (``./dev run`` names the checkout's ``./var``), or the
# default ``./var`` is there already. Only the commands that fill a database may then
# begin a new SQLite one in it; the others (check, create-staff, qr-posters,
# catalogue-export, worker) need one with data and say so when there is none, instead
# of leaving an empty ``./var`` behind and failing on missing tables.
STARTS_DATA = frozenset(
    {"serve", "migrate", "seed-demo", "catalogue-import", "units-import", "restore"}
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motcua", description="Một Cửa: the one-stop shop.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply migrations, then serve the app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("seed-demo", help="load the demo catalogue (idempotent)")
    commands.add_parser("check", help="check the configuration and the database")
    staff = commands.add_parser(
        "create-staff", help="create an official and print their one-time enrolment link"
    )
    staff.add_argument("--name", required=True, help="full name")
    staff.add_argument("--agency", required=True, help="agency code, e.g. 000.00.12.H56")
    staff.add_argument(
        "--role",
        required=True,
        choices=list(ROLES),
        help="reception, processing, leader (an agency's counter work); admin (one agency's"
        " administrator: its details, counters, officials, procedures carried out);"
        " catalogue (the province's catalogue administrator: procedures, fees, the"
        " working-day calendar, every agency's details)",
    )
    posters = commands.add_parser(
        "qr-posters",
        help="write the A4 QR posters (PDF + SVG) of an agency's procedures and counters",
    )
    posters.add_argument("--agency", required=True, help="agency code, e.g. 000.00.01.H56")
    posters.add_argument("--out", required=True, help="folder to write the posters into")
    importer = commands.add_parser(
        "catalogue-import", help="import a catalogue file (JSON or CSV): all of it or nothing"
    )
    importer.add_argument("file", help="a .json or .csv file, as catalogue-export writes")
    importer.add_argument("--format", choices=["json", "csv"], help="default: from the name")
    units = commands.add_parser(
        "units-import",
        help="import the province's communes and wards (JSON or CSV): all of it or nothing",
    )
    units.add_argument("file", help="a .csv file (code,name_vi,name_en,kind,parent_code) or .json")
    units.add_argument("--format", choices=["json", "csv"], help="default: from the name")
    exporter = commands.add_parser("catalogue-export", help="write the catalogue as JSON or CSV")
    exporter.add_argument("--format", choices=["json", "csv"], default="json")
    exporter.add_argument("--out", help="file to write (default: standard output)")
    work = commands.add_parser(
        "worker",
        help="drain the outbox (notices, Web Push) and reconcile payments; several on PostgreSQL",
    )
    work.add_argument(
        "--once", action="store_true", help="one pass until nothing is due, then exit"
    )
    commands.add_parser(
        "audit-verify",
        help="check the audit log's hash chain; print its last hash, or the first broken link",
    )
    commands.add_parser(
        "audit-anchor",
        help="write the audit chain's head outside the database (the bucket or anchors/)",
    )
    commands.add_parser(
        "storage-migrate",
        help="copy the data dir's kept files into MOTCUA_STORAGE_URL's bucket (resumable)",
    )
    commands.add_parser("vapid-keys", help="print a new VAPID key pair for Web Push")
    backup_commands.add_commands(commands)
    test_ca = commands.add_parser(
        "signing-test-ca",
        help="make a local test CA and every agency's signing certificate (not for production)",
    )
    test_ca.add_argument("--out", help="folder to write (default: the data dir's pki/)")
    test_ca.add_argument(
        "--agency",
        action="append",
        default=[],
        metavar="CODE=NAME",
        help="an agency to certify (repeatable; default: the demo catalogue's agencies)",
    )
    test_ca.add_argument("--crl-url", default="", help="address the CRL will be served at")
    test_ca.add_argument(
        "--revoke", metavar="CODE", help="revoke this agency's certificate of an existing CA"
    )
    args = parser.parse_args(argv)

    if args.command == "vapid-keys":
        # Needs no settings: it is how one gets the key the settings require.
        from backend import vapid

        private, public = vapid.new_key_pair()
        print(f"MOTCUA_VAPID_PRIVATE_KEY={private}")
        print(f"# public key (applicationServerKey): {public}")
        return 0
    try:
        if args.command == "signing-test-ca":
            return _signing_test_ca(args, os.environ)
        where_data_is(args.command, os.environ)
        if args.command == "restore":
            return backup_commands.run_restore(args, os.environ, _files_root(os.environ))
        settings = Settings.from_env()
        handler: Callable[[Settings, argparse.Namespace], int] = {
            "serve": _serve,
            "migrate": _migrate,
            "seed-demo": _seed_demo,
            "check": _check,
            "create-staff": _create_staff,
            "qr-posters": _qr_posters,
            "catalogue-import": _catalogue_import,
            "units-import": _catalogue_import,
            "catalogue-export": _catalogue_export,
            "worker": _worker,
            "backup": lambda settings, args: backup_commands.run_backup(
                settings, args, _files_root(os.environ)
            ),
            "audit-verify": _audit_verify,
            "audit-anchor": _audit_anchor,
            "storage-migrate": _storage_migrate,
        }[args.command]
        return handler(settings, args)
    except SettingsError as error:
        print(f"motcua: configuration error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def where_data_is(command: str, env: Mapping[str, str]) -> None:
    """Refuse, before anything is written, a data dir that is not there to be used."""
    data_dir = data_dir_of(env)
    if "MOTCUA_DATA_DIR" not in env and not data_dir.is_dir():
        raise SettingsError(
            "MOTCUA_DATA_DIR",
            f"not set, and this folder has no ./var ({data_dir} does not exist). Run motcua "
            "in the folder that holds the data (in a checkout: ./dev motcua ARGS), or set "
            "MOTCUA_DATA_DIR to it; a new data dir is begun only where MOTCUA_DATA_DIR "
            "names one (./dev run names the checkout's ./var)",
        )
    database = data_dir / SQLITE_FILE
    on_sqlite = not env.get("DATABASE_URL", "").strip()
    if command not in STARTS_DATA and on_sqlite and not database.is_file():
        raise SettingsError(
            "MOTCUA_DATA_DIR",
            f"there is no database here ({database} does not exist). Point "
            "MOTCUA_DATA_DIR (or DATABASE_URL) at the data to use, or begin it with "
            "`motcua migrate` or `motcua serve` (./dev run in a checkout)",
        )


async def _no_pending_migrations(database: Any) -> bool:
    """False (and why, on stderr) when the database lacks migrations: a command that
    reads the tables would end in a traceback about one that is missing."""
    if await database.pending_migrations():
        print("motcua: the database has pending migrations: run `motcua migrate`", file=sys.stderr)
        return False
    return True


def _with_database(settings: Settings, work: Callable[[Any], Awaitable[int]]) -> int:
    from backend.db import Database, DatabaseUnavailable

    async def run() -> int:
        database = Database(settings)
        try:
            await database.open()
            return await work(database)
        finally:
            await database.close()

    try:
        return asyncio.run(run())
    # TimeoutError: a server that accepts and never answers (MOTCUA_DB_CONNECT_TIMEOUT_MS).
    except (OSError, ConnectionError, TimeoutError, DatabaseUnavailable) as error:
        variable = "DATABASE_URL" if settings.database_url else "MOTCUA_DATA_DIR"
        print(f"motcua: cannot reach the database ({variable}): {error}", file=sys.stderr)
        return 3


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from backend.app import background_jobs
    from backend.jobs import Runner
    from backend.notifications.runtime import NotificationsRuntime
    from backend.payments.runtime import PaymentsRuntime

    payments = PaymentsRuntime.from_settings(settings)
    jobs = background_jobs(NotificationsRuntime.from_settings(settings), payments, settings)

    async def work(database: Any) -> int:
        if not await _no_pending_migrations(database):
            return 1
        async with payments.connected(), Runner(jobs) as runner:
            if args.once:
                await runner.run_once(every_job=True)
                await runner.drain()
                return 0
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            print("motcua: worker running", flush=True)
            await runner.run(stop)
        return 0

    return _with_database(settings, work)


def _prepare(settings: Settings) -> int:
    """Migrations, then the demo data when MOTCUA_DEMO is on."""

    async def work(database: Any) -> int:
        applied = await database.migrate()
        if applied:
            print(f"motcua: applied {len(applied)} migration(s)")
        if settings.demo:
            from backend.catalogue.service import seed_demo

            result = await seed_demo()
            if result.procedures_added:
                print(f"motcua: demo catalogue loaded ({result.procedures_added} procedures)")
        return 0

    return _with_database(settings, work)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unsafe_defaults(settings: Settings, host: str, env: Mapping[str, str]) -> list[str]:
    """Warnings for ``serve`` (issue 15): without ``MOTCUA_ENV`` the defaults are a
    developer's (demo data, the demo gateway, a generated key), harmless on this machine
    and dangerous to anyone else who can reach it; and what the demo gateway does."""
    lines: list[str] = []
    if "MOTCUA_ENV" not in env and not _loopback(host):
        bar = "!" * 78
        lines += [
            bar,
            f"motcua: WARNING: serving on {host}, reachable from other machines, without "
            "MOTCUA_ENV:",
            f"motcua: running as {settings.environment}"
            + (" with demo data" if settings.demo else "")
            + (
                " and the demo payment gateway (its button marks fees paid)"
                if settings.sandbox_payments
                else ""
            )
            + ".",
            "motcua: set MOTCUA_ENV=production for real use, or MOTCUA_ENV=development to "
            "say this is a test.",
            bar,
        ]
    if settings.demo and not settings.sandbox_payments:
        lines.append(
            "motcua: the demo payment gateway is off: a real gateway (VNPay or VietQR) is "
            "configured."
        )
    return lines


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    if args.workers < 1:
        raise SettingsError("--workers", "must be at least 1")
    if args.workers > 1 and settings.database_kind == "sqlite":
        raise SettingsError(
            "--workers", "more than one worker needs DATABASE_URL (PostgreSQL); SQLite runs one"
        )
    shown_host = "localhost" if args.host in {"127.0.0.1", "0.0.0.0"} else args.host  # noqa: S104
    if "MOTCUA_PUBLIC_URL" not in os.environ:
        # Links, QR codes and passkeys need the address the browser really uses.
        os.environ["MOTCUA_PUBLIC_URL"] = f"http://{shown_host}:{args.port}"
        settings = Settings.from_env()
    for line in unsafe_defaults(settings, args.host, os.environ):
        print(line, file=sys.stderr)
    status = _prepare(settings)
    if status:
        return status
    print(f"Một Cửa: http://{shown_host}:{args.port}/  (public URL {settings.public_url})")
    sys.stdout.flush()
    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
    )
    return 0


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    async def work(database: Any) -> int:
        applied = await database.migrate()
        print(f"motcua: {len(applied)} migration(s) applied" if applied else "motcua: up to date")
        return 0

    return _with_database(settings, work)


def _seed_demo(settings: Settings, _: argparse.Namespace) -> int:
    async def work(database: Any) -> int:
        from backend.catalogue.service import seed_demo

        await database.migrate()
        result = await seed_demo()
        print(
            f"motcua: demo data: {result.agencies_added} agencies and "
            f"{result.procedures_added} procedures added"
        )
        return 0

    return _with_database(settings, work)


def _check(settings: Settings, _: argparse.Namespace) -> int:
    async def work(database: Any) -> int:
        await database.ping()
        pending = await database.pending_migrations()
        print(f"database: {settings.database_kind} reachable; pending migrations: {pending}")
        if settings.database_kind == "sqlite":
            rows = await database.engine.run_querystring(_pragma("journal_mode"))
            print(f"sqlite journal mode: {rows[0]['journal_mode']}")
        print(f"public URL: {settings.public_url}; demo: {'on' if settings.demo else 'off'}")
        if settings.redis_url:
            from redis.asyncio import Redis
            from redis.exceptions import RedisError

            # Bounded like the app's own calls: a Redis that accepts and never answers
            # is unreachable, not a hang.
            timeout = settings.redis_timeout_ms / 1000
            client = Redis.from_url(
                settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout
            )
            try:
                await client.ping()
            except RedisError as error:
                print(f"motcua: cannot reach MOTCUA_REDIS_URL: {error}", file=sys.stderr)
                return 3
            finally:
                await client.aclose()
            print("redis: reachable")
        if settings.storage.on_s3:
            from backend.attachments.s3 import ProbeFailed, S3Storage

            where = f"s3://{settings.storage.bucket}/{settings.storage.prefix}"
            try:
                await S3Storage(settings.storage).probe()
            except ProbeFailed as error:
                print(f"motcua: MOTCUA_STORAGE_URL {where}: {error}", file=sys.stderr)
                return 3
            print(f"storage: {where} writable (a probe object put, read back, deleted)")
        else:
            print(f"storage: local folder {settings.data_dir / 'files'}")
        return 1 if pending else 0

    return _with_database(settings, work)


def _audit_verify(settings: Settings, _: argparse.Namespace) -> int:
    async def work(database: Any) -> int:
        from backend.accounts import service

        if not await _no_pending_migrations(database):
            return 1
        report = await service.verify_audit_chain()
        broken = report.broken
        if broken is None:
            print(f"audit log: {report.checked} entries checked, ok")
            print(f"last entry: seq {report.last_seq}, hash {report.last_hash}")
        else:
            print(f"audit log: {report.checked} entries checked, then a broken link")
            print(
                f"broken at entry id {broken.id} (seq {broken.seq}, at {broken.at.isoformat()}):"
                f" {broken.explanation}"
            )
        anchors = await _audit_anchors(service, settings)
        return 0 if broken is None and anchors else 1

    return _with_database(settings, work)


async def _audit_anchors(service: Any, settings: Settings) -> bool:
    """The chain's anchors outside the database, each still in the chain."""
    from backend.errors import Unavailable

    try:
        report = await service.verify_audit_anchors(settings)
    except Unavailable as error:
        print(f"motcua: the anchors' bucket does not answer ({error.__cause__})", file=sys.stderr)
        return False
    if not report.checked and not report.forged_count:
        print(f"anchors: none yet in {report.where} (motcua audit-anchor writes one)")
        return True
    state = "ok" if report.ok else "PROBLEMS"
    print(f"anchors: {report.checked} checked in {report.where}, {state}")
    for forged in report.forged:
        print(f"forged or damaged anchor at {forged.where}: {forged.explanation}")
    if report.forged_count > len(report.forged):
        print(f"... {report.forged_count} forged or damaged anchors in all")
    if report.mismatch is not None:
        print(
            f"first anchor that no longer matches: {report.mismatch.where}:"
            f" {report.mismatch.explanation}"
        )
    return bool(report.ok)


def _audit_anchor(settings: Settings, _: argparse.Namespace) -> int:
    async def work(database: Any) -> int:
        from backend.accounts import service
        from backend.clock import utc_now
        from backend.errors import Unavailable

        if not await _no_pending_migrations(database):
            return 1
        try:
            anchor = await service.anchor_audit_chain(settings, utc_now())
        except Unavailable as error:
            print(f"motcua: the bucket does not answer ({error.__cause__})", file=sys.stderr)
            return 1
        if anchor is None:
            print("audit log: empty, nothing to anchor")
            return 0
        print(f"audit anchor: entry id {anchor.id}, seq {anchor.seq}, hash {anchor.hash}")
        print(f"at {anchor.at}, written to {service.anchors_where(settings)}")
        return 0

    return _with_database(settings, work)


def _storage_migrate(settings: Settings, _: argparse.Namespace) -> int:
    """Every file of the data dir's folder into the bucket, each read back and compared
    by SHA-256; what the bucket already holds alike is skipped (issue 20)."""
    from backend.attachments.migrate import migrate
    from backend.attachments.s3 import S3Storage
    from backend.errors import Unavailable

    if not settings.storage.on_s3:
        raise SettingsError("MOTCUA_STORAGE_URL", "storage-migrate copies into s3://bucket/prefix")
    folder = settings.data_dir / "files"
    try:
        counts = asyncio.run(migrate(folder, S3Storage(settings.storage)))
    except Unavailable as error:
        print(f"motcua: the bucket does not answer ({error.__cause__}); run again", file=sys.stderr)
        return 1
    print(
        f"storage-migrate: {counts.copied} copied ({counts.bytes_copied} bytes), "
        f"{counts.already} already there, {counts.mismatched} mismatched, "
        f"{counts.vanished} removed meanwhile"
    )
    if counts.mismatched:
        print("motcua: some copies read back differently; run again", file=sys.stderr)
        return 1
    return 0


def _qr_posters(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from backend.catalogue import service
    from backend.errors import NotFound

    def bar(done: int, total: int, name: str) -> None:
        filled = round(30 * done / total)
        print(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {name:<24}",
            end="\n" if done == total else "",
            file=sys.stderr,
            flush=True,
        )

    async def work(database: Any) -> int:
        if not await _no_pending_migrations(database):
            return 1
        try:
            written = await service.write_agency_posters(
                args.agency,
                Path(args.out),
                public_url=settings.public_url,
                secret_key=settings.secret_key,
                key_version=settings.counter_key_version,
                progress=bar,
            )
        except NotFound as error:
            print(f"motcua: {error.message('en')}", file=sys.stderr)
            return 1
        print(f"motcua: {len(written)} poster(s) written to {args.out} (PDF and SVG each)")
        return 0

    return _with_database(settings, work)


def _create_staff(settings: Settings, args: argparse.Namespace) -> int:
    async def work(database: Any) -> int:
        from backend.accounts import service
        from backend.accounts.runtime import AccountsRuntime
        from backend.accounts.schemas import StaffCreate
        from backend.catalogue.service import get_agency
        from backend.errors import AppError

        await database.migrate()
        runtime = AccountsRuntime.from_settings(settings, find_agency=get_agency)
        try:
            created = await service.create_staff(
                runtime, StaffCreate(full_name=args.name, role=args.role, agency_code=args.agency)
            )
        except AppError as error:
            print(f"motcua: {error.message('en')}", file=sys.stderr)
            return 2
        finally:
            await runtime.limiter.close()
        expires = created.enrolment.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        official = created.official
        print(f"Official #{official.id} created ({args.role}, {official.agency_code}).")
        print(f"One-time enrolment link (expires {expires}):")
        print(created.enrolment.url)
        return 0

    return _with_database(settings, work)


def _catalogue_import(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from backend.catalogue import service

    path = Path(args.file)
    fmt: service.FileFormat = args.format or ("csv" if path.suffix.lower() == ".csv" else "json")
    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"motcua: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 1

    units = args.command == "units-import"

    async def work(database: Any) -> int:
        await database.migrate()
        try:
            if units:
                result = await service.import_units(data, fmt)
            else:
                result = await service.import_catalogue(data, fmt)
        except service.ImportRejected as error:
            print(f"motcua: {error.message('en')}", file=sys.stderr)
            for row in error.errors:
                field = f" {row.field}" if row.field else ""
                print(f"  {row.section} row {row.row}{field}: {row.message('en')}", file=sys.stderr)
            return 1
        if units:
            print(
                f"motcua: imported {result.units_added} new and {result.units_updated} "
                "updated unit(s)"
            )
            return 0
        print(
            f"motcua: imported {result.procedures_added} new and {result.procedures_updated} "
            f"updated procedure(s), {result.agencies_added + result.agencies_updated} "
            f"agency(ies), {result.counters_added + result.counters_updated} counter(s)"
        )
        return 0

    return _with_database(settings, work)


def _catalogue_export(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from backend.catalogue import service

    async def work(database: Any) -> int:
        if not await _no_pending_migrations(database):
            return 1
        catalogue = await service.export_catalogue()
        body = service.to_json(catalogue) if args.format == "json" else service.to_csv(catalogue)
        if args.out:
            await asyncio.to_thread(Path(args.out).write_bytes, body)
        else:
            sys.stdout.buffer.write(body)
        return 0

    return _with_database(settings, work)


def _files_root(env: Mapping[str, str]) -> Path:
    from backend.attachments import Attachments, LocalStorage

    """The folder of the kept files, which backup and restore copy file by file."""
    storage = Attachments.in_folder(data_dir_of(env)).storage
    if not isinstance(storage, LocalStorage):
        raise SettingsError("MOTCUA_STORAGE_URL", "backup and restore copy a local files folder")
    return storage.root


def _signing_test_ca(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """A test CA in a folder; outside production the settings use ``<data dir>/pki``
    without being told (``./dev run`` makes one there on its first run)."""
    import json
    from pathlib import Path

    from backend.catalogue.service import DEMO_CATALOGUE
    from backend.settings import TEST_CA_FOLDER
    from backend.signing.testca import LocalCa

    if env.get("MOTCUA_ENV") == "production":
        raise SettingsError("MOTCUA_ENV", "the test CA is refused in production")
    folder = Path(args.out) if args.out else data_dir_of(env) / TEST_CA_FOLDER
    if args.revoke:
        LocalCa(folder).revoke(args.revoke)
        print(f"revoked the certificate of {args.revoke}; CRL: {folder / 'crl.der'}")
        return 0
    agencies = [tuple(item.split("=", 1)) for item in args.agency if "=" in item]
    if len(agencies) != len(args.agency):
        raise SettingsError("--agency", "must be CODE=NAME")
    if not agencies:
        demo = json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))
        agencies = [(a["code"], a["name_vi"]) for a in demo["agencies"]]
    try:
        ca = LocalCa.create(folder, crl_url=args.crl_url)
    except FileExistsError:
        print(f"motcua: {folder} already holds files; choose another --out", file=sys.stderr)
        return 1
    ca.issue_all(agencies)
    print(f"test CA in {folder}: root.pem, tsa.p12, keys/ ({len(agencies)} agencies)")
    if args.out:
        print(f"MOTCUA_SIGNING_KEYS={folder / 'keys'}")
        print(f"MOTCUA_SIGNING_PASSPHRASE={ca.passphrase.decode()}")
        print(f"MOTCUA_SIGNING_TRUST_ROOTS={folder / 'root.pem'}")
        print(f"MOTCUA_SIGNING_TSA={folder / 'tsa.p12'}")
    return 0


def _pragma(name: str) -> Any:
    from piccolo.querystring import QueryString

    return QueryString(f"PRAGMA {name}")


if __name__ == "__main__":
    sys.exit(main())
