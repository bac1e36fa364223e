"""A real ``motcua serve`` process on a free loopback port, for the browser tests
(and the load benchmark in tests/bench).

Blocking on purpose (subprocess, polling): async fixtures call it through
``asyncio.to_thread`` so the event loop the browser runs on stays free.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.pki import signing_env

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def motcua_command() -> list[str]:
    """The installed console script next to this interpreter, else the module."""
    script = Path(sys.executable).with_name("motcua")
    return [str(script)] if script.exists() else [sys.executable, "-m", "backend.cli"]


class MotcuaServer:
    """``motcua serve`` with its own data dir (and database, on PostgreSQL runs)."""

    name = "motcua serve"
    ready_path = "/readyz"

    def __init__(self, data_dir: Path, database_url: str | None = None, workers: int = 1) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.workers = workers
        self.log_path = data_dir / "server.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        # Nothing of the caller's own configuration leaks in.
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("MOTCUA_") and key != "DATABASE_URL"
        }
        env.update(
            MOTCUA_DATA_DIR=str(self.data_dir),
            MOTCUA_PUBLIC_URL=self.url,
            MOTCUA_DEMO="true",
            MOTCUA_LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            # Uploads checked in the server's threads: a pool of spawned workers costs
            # each server seconds of imports at its first upload, dozens of servers a
            # run. The pool is tested in tests/attachments/test_workers.py and runs in
            # the cluster's nodes and the benches' servers.
            MOTCUA_IMAGE_WORKERS="0",
            # Every agency signs its results with the session's test CA (issue 17).
            **signing_env(),
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def command(self) -> list[str]:
        return [
            *motcua_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]

    def start(self) -> None:
        # A free port can be taken between the probe and the bind: try a few.
        for _ in range(3):
            if self._start_once():
                return
        raise RuntimeError(f"{self.name} could not bind a port:\n{self.log_tail()}")

    def next_port(self) -> int:
        return free_port()

    def _start_once(self) -> bool:
        self.port = self.next_port()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=REPO,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while True:
                code = self.process.poll()
                if code is not None:
                    if "address already in use" in self.log_tail().lower():
                        return False
                    raise RuntimeError(
                        f"{self.name} exited with status {code} before it was ready:\n"
                        f"{self.log_tail()}"
                    )
                with contextlib.suppress(httpx.TransportError):  # not listening yet
                    if client.get(f"{self.url}{self.ready_path}").status_code == 200:
                        return True
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"{self.name} was not ready on {self.url}{self.ready_path} within "
                        f"{START_TIMEOUT_S:.0f} s:\n{self.log_tail()}"
                    )
                time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down gracefully), SIGKILL if it lingers."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"
