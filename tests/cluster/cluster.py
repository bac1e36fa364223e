"""Several app nodes on this machine, as a province would run them on several: nginx
(Debian's) in front of ``motcua serve`` processes, ``motcua worker`` processes beside
them, one PostgreSQL database, one Redis and one S3 bucket (SeaweedFS) shared by all.

Each node has a data dir of its own (another machine's disk): what the nodes share is
only what they are configured to share, as in production (DATABASE_URL, MOTCUA_REDIS_URL,
MOTCUA_STORAGE_URL, MOTCUA_SECRET_KEY, MOTCUA_VAPID_PRIVATE_KEY, the signing keys).
Blocking on purpose (subprocesses, polling): async callers use ``asyncio.to_thread``.
Used by tests/cluster and tests/bench/nodes.py.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from backend import vapid
from tests.e2e.server import REPO, MotcuaServer, free_port, motcua_command
from tests.support.pki import signing_env

NGINX = "/usr/sbin/nginx"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
START_TIMEOUT_S = 60.0


def available() -> list[str]:
    """What this machine lacks to run a cluster (empty: nothing)."""
    missing = []
    if not os.access(NGINX, os.X_OK):
        missing.append("nginx (apt-get install nginx)")
    if not os.access(REDIS_SERVER, os.X_OK):
        missing.append("redis-server (apt-get install redis-server)")
    return missing


def _stop(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no output)"


class Node(MotcuaServer):
    """One app node: ``motcua serve`` with the cluster's shared settings; its public URL
    is the proxy's, as a browser sees it."""

    def __init__(self, name: str, data_dir: Path, shared: Mapping[str, str]) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        super().__init__(data_dir, shared["DATABASE_URL"])
        self.name = f"motcua serve ({name})"
        self.shared = dict(shared)

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env.update(self.shared)
        return env


@dataclass
class Worker:
    """``motcua worker``: the outbox's pushes and webhooks, and the chores."""

    name: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "worker.log"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*motcua_command(), "worker"],
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while "worker running" not in _tail(self.log_path, 200):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{_tail(self.log_path)}")
            time.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        _stop(self.process)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Redis:
    """A redis-server of the cluster's own on a free port: no key of another test run
    (CI runs two suites side by side) meets the cluster's rate limits."""

    folder: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.port = free_port()
        log = self.folder / "redis.log"
        command = [
            REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
            "--appendonly", "no", "--dir", str(self.folder), "--logfile", str(log),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection,
            ):
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{_tail(log)}")
            time.sleep(0.05)

    def stop(self) -> None:
        _stop(self.process)


def nginx_config(folder: Path, port: int, upstreams: list[int]) -> str:
    """The proxy of infra/nginx-compose.conf on loopback ports. ``proxy_next_upstream
    error timeout`` without ``non_idempotent``: a request that could not even be sent
    to a node goes to the next one, but a POST a node received and then failed to answer
    is never sent again (the node may have written it before it died)."""
    servers = "\n".join(
        f"        server 127.0.0.1:{up} max_fails=1 fail_timeout=10s;" for up in upstreams
    )
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
{temp}
    upstream motcua {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 60m;
        # Uploads (a phone photo) stay in memory: no temp file for the workers to write.
        client_body_buffer_size 1m;
        location / {{
            proxy_pass http://motcua;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-ID $request_id;
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            proxy_next_upstream_timeout 5s;
            proxy_connect_timeout 1s;
            proxy_read_timeout 30s;
        }}
    }}
}}
"""


@dataclass
class Nginx:
    folder: Path
    port: int
    upstreams: list[int]
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # Its worker processes run as nobody when this runs as root: they must reach
        # their temp folders (pytest's and mkdtemp's folders are the owner's only).
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)
        config = self.folder / "nginx.conf"
        config.write_text(nginx_config(self.folder, self.port, self.upstreams))
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.folder), "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "stderr.log").open("wb"),
        )
        deadline = time.monotonic() + 20
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"nginx did not start:\n{_tail(self.folder / 'error.log')}\n"
                        f"{_tail(self.folder / 'stderr.log')}"
                    )
                time.sleep(0.05)

    def stop(self) -> None:
        # SIGQUIT is nginx's graceful stop; SIGTERM its fast one: no need to wait here.
        _stop(self.process, timeout=5)

    def error_log(self) -> str:
        return _tail(self.folder / "error.log", 60)


@dataclass
class Cluster:
    folder: Path
    shared: dict[str, str]
    redis: Redis
    nodes: list[Node] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    nginx: Nginx | None = None

    @property
    def url(self) -> str:
        assert self.nginx is not None
        return self.nginx.url

    @property
    def public_url(self) -> str:
        return self.shared["MOTCUA_PUBLIC_URL"]

    def stop(self) -> None:
        """Everything, whatever started (also after a failed start)."""
        if self.nginx is not None:
            self.nginx.stop()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda one: one.stop(), [*self.nodes, *self.workers]))
        self.redis.stop()

    def logs(self) -> str:
        """The tails of every log, for a failure's message."""
        parts = [f"== {node.name}\n{node.log_tail()}" for node in self.nodes]
        parts += [f"== {worker.name}\n{_tail(worker.log_path)}" for worker in self.workers]
        if self.nginx is not None:
            parts.append(f"== nginx\n{self.nginx.error_log()}")
        return "\n".join(parts)


def shared_settings(
    database_url: str, redis_url: str, storage: Mapping[str, str], public_port: int
) -> dict[str, str]:
    """What every node and worker is given alike, as production's configuration does."""
    return {
        "DATABASE_URL": database_url,
        "MOTCUA_REDIS_URL": redis_url,
        **storage,
        # Links and passkeys name the proxy's address, the one a browser uses.
        "MOTCUA_PUBLIC_URL": f"http://localhost:{public_port}",
        "MOTCUA_ENV": "development",
        "MOTCUA_DEMO": "true",
        "MOTCUA_LOG_LEVEL": "WARNING",
        "MOTCUA_SECRET_KEY": secrets.token_urlsafe(48),
        "MOTCUA_VAPID_PRIVATE_KEY": vapid.new_key_pair()[0],
        # The proxy is trusted: the client's address is the one it forwards.
        "MOTCUA_TRUSTED_PROXIES": "127.0.0.1/32",
        # The production path (uploads checked in a worker process), one a node.
        "MOTCUA_IMAGE_WORKERS": "1",
        # Only the worker processes send: a node's own loop would hide a worker's fault.
        "MOTCUA_WORKER_IN_PROCESS": "false",
        "MOTCUA_PUSH_ALLOW_HTTP_LOOPBACK": "true",
        "MOTCUA_WEBHOOK_ALLOW_HTTP_LOOPBACK": "true",
        "MOTCUA_WEBHOOK_TIMEOUT_S": "3",
        "MOTCUA_PUSH_TIMEOUT_S": "3",
        # Two nodes, two workers and the test's own pool on one PostgreSQL server.
        "MOTCUA_DB_POOL_MAX": "6",
        **signing_env(),
    }


def worker_env(shared: Mapping[str, str], data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MOTCUA_") and key != "DATABASE_URL"
    }
    env.update(shared, MOTCUA_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    return env


@contextlib.contextmanager
def running_cluster(
    database_url: str,
    storage: Mapping[str, str],
    *,
    nodes: int = 2,
    workers: int = 2,
    extra: Mapping[str, str] | None = None,
) -> Iterator[Cluster]:
    """Start the cluster (nginx last, in front of every node); stop it all and delete
    its folder when the block ends, also on a failure."""
    folder = Path(tempfile.mkdtemp(prefix="motcua-cluster-"))
    folder.chmod(0o711)  # nginx's workers (nobody, under root) pass through to theirs
    redis = Redis(folder)
    public_port = free_port()
    cluster = Cluster(folder, {}, redis)
    try:
        redis.start()
        cluster.shared = shared_settings(database_url, redis.url, storage, public_port)
        cluster.shared.update(extra or {})
        cluster.nodes = [
            Node(chr(ord("A") + n), folder / f"node-{n}", cluster.shared) for n in range(nodes)
        ]
        cluster.workers = [
            Worker(
                f"motcua worker {n + 1}",
                folder / f"worker-{n}",
                worker_env(cluster.shared, folder / f"worker-{n}"),
            )
            for n in range(workers)
        ]
        # Side by side: each start is mostly Python importing the app.
        with ThreadPoolExecutor(max_workers=nodes + workers) as pool:
            for started in [pool.submit(one.start) for one in [*cluster.nodes, *cluster.workers]]:
                started.result()
        cluster.nginx = Nginx(folder / "nginx", public_port, [node.port for node in cluster.nodes])
        cluster.nginx.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
