"""PgBouncer (Debian's) in transaction pooling mode in front of a PostgreSQL server, on a
free loopback port, for the tests that prove the app needs no session state."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def available() -> bool:
    return os.access(PGBOUNCER, os.X_OK)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(upstream: str, port: int, folder: Path, pool_size: int) -> str:
    parts = urlsplit(upstream)
    return "\n".join(
        [
            "[databases]",
            # Any database name the client asks for, on the upstream server.
            f"* = host={parts.hostname or '127.0.0.1'} port={parts.port or 5432}"
            f" user={parts.username or 'postgres'}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {port}",
            f"unix_socket_dir = {folder}",
            "auth_type = trust",
            f"auth_file = {folder / 'users.txt'}",
            "pool_mode = transaction",
            # Fewer server connections than the app's pool holds: every transaction is
            # handed a server connection another client used a moment ago.
            f"default_pool_size = {pool_size}",
            "max_client_conn = 200",
            f"logfile = {folder / 'pgbouncer.log'}",
            f"pidfile = {folder / 'pgbouncer.pid'}",
            # Only what a stock PgBouncer keeps: a client that sends any other
            # startup parameter is refused, as in production.
            "ignore_startup_parameters = extra_float_digits",
            "",
        ]
    )


@contextmanager
def pgbouncer(upstream: str, pool_size: int = 2) -> Iterator[str]:
    """Run PgBouncer until the block ends; yield ``upstream`` rewritten to go through it."""
    # A folder of its own under /tmp: pytest's are closed to the unprivileged user.
    folder = Path(tempfile.mkdtemp(prefix="motcua-pgbouncer-"))
    port = _free_port()
    (folder / "users.txt").write_text('"postgres" ""\n')
    config = folder / "pgbouncer.ini"
    config.write_text(_config(upstream, port, folder, pool_size))
    # PgBouncer refuses to run as root; the unprivileged user must read its folder.
    command = [PGBOUNCER, str(config)]
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        for child in folder.iterdir():
            shutil.chown(child, "postgres")
        command = [PGBOUNCER, "-u", "postgres", str(config)]
    # Its log goes to the log file and to stderr: only the file is kept.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pgbouncer did not start: {log_of(folder)}") from None
                time.sleep(0.05)
        parts = urlsplit(upstream)
        user = parts.username or "postgres"
        yield urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{port}"))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def log_of(folder: Path) -> str:
    log = folder / "pgbouncer.log"
    return log.read_text(errors="replace") if log.exists() else ""
