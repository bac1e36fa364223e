"""A local fake of the National Public Service Portal's adapter service, for tests: a real
HTTP server on 127.0.0.1 (a free port) that speaks what ``backend.portal.adapters.dvcqg``
speaks, and checks it.

- ``POST /auth`` with ``{"username", "password"}``: ``{"error_code": 0, "session"}``, or
  ``{"error_code": "01", "message"}`` for wrong credentials.
- ``POST /sync`` with ``{"session", "madonvi", "service", "data": [...]}`` (and
  ``isUpdating`` for ``DongBoHoSoMC``): a session it did not give (or one it ended) is
  HTTP 401; a wrong unit, an unknown service, a missing field or a date not written
  ``yyyyMMddHHmmss`` is ``{"error_code": "02", "message"}``; a progress line for a
  dossier it does not hold is ``"03"``; otherwise ``{"error_code": "0"}``.

Knobs: ``fail_rate`` (that share of requests answered 500, from a seeded generator),
``delay_s`` (every answer waits that long first: beyond the client's timeout),
``reject[MaHoSo] = (code, message)`` (the portal's own refusal of one dossier), and
``end_sessions()``. It records what it received (``dossiers``: each dossier's latest
copy; ``progress``: every progress line; ``calls``)."""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USERNAME = "motcua-h56"
PASSWORD = "mat-khau-thu"
UNIT = "000.00.00.H56"
_DATE = re.compile(r"\d{14}")
DOSSIER_FIELDS = {
    "MaHoSo",
    "MaTTHC",
    "TenTTHC",
    "ChuHoSo",
    "LoaiDoiTuong",
    "SoDienThoai",
    "TrichYeuHoSo",
    "NgayTiepNhan",
    "NgayHenTra",
    "TrangThaiHoSo",
    "HinhThuc",
    "DonViXuLy",
}
PROGRESS_FIELDS = {"MaHoSo", "NguoiXuLy", "ThoiDiemXuLy", "NoiDungXuLy", "TrangThai"}
DATE_FIELDS = {
    "NgayTiepNhan",
    "NgayHenTra",
    "NgayTra",
    "NgayKetThucXuLy",
    "ThoiDiemXuLy",
    "NgayBatDau",
    "NgayKetThucTheoQuyDinh",
}


@dataclass
class PortalFake:
    fail_rate: float = 0.0
    delay_s: float = 0.0
    reject: dict[str, tuple[str, str]] = field(default_factory=dict)
    seed: int = 18
    dossiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, int]] = field(default_factory=list)  # (service or path, status)
    url: str = ""
    _sessions: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _random: random.Random = field(default_factory=random.Random)

    def reset(self) -> None:
        with self._lock:
            self.fail_rate = 0.0
            self.delay_s = 0.0
            self.reject.clear()
            self.dossiers.clear()
            self.progress.clear()
            self.calls.clear()
            self._random.seed(self.seed)

    def end_sessions(self) -> None:
        with self._lock:
            self._sessions.clear()

    def count(self, name: str, status: int | None = None) -> int:
        with self._lock:
            return sum(1 for n, s in self.calls if n == name and (status is None or s == status))

    # The protocol: (status, body) for one request.
    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            failing = self._random.random() < self.fail_rate
        if failing:
            return 500, {"error_code": "500", "message": "Lỗi hệ thống, vui lòng thử lại sau"}
        if path == "/auth":
            if body.get("username") != USERNAME or body.get("password") != PASSWORD:
                return 200, {"error_code": "01", "message": "Sai tên đăng nhập hoặc mật khẩu"}
            session = secrets.token_hex(16)
            with self._lock:
                self._sessions.add(session)
            return 200, {"error_code": 0, "session": session}
        if path != "/sync":
            return 404, {"error_code": "404", "message": "Không có dịch vụ này"}
        with self._lock:
            known = body.get("session") in self._sessions
        if not known:
            return 401, {"error_code": "401", "message": "Phiên làm việc không hợp lệ"}
        if body.get("madonvi") != UNIT:
            return 200, {"error_code": "02", "message": "Mã đơn vị không đúng"}
        service, data = body.get("service"), body.get("data")
        if service not in {"DongBoHoSoMC", "CapNhatTienDoHoSoMC"} or not isinstance(data, list):
            return 200, {"error_code": "02", "message": "Thiếu service hoặc data"}
        if service == "DongBoHoSoMC" and body.get("isUpdating") not in {"True", "False"}:
            return 200, {"error_code": "02", "message": "isUpdating phải là True hoặc False"}
        needed = DOSSIER_FIELDS if service == "DongBoHoSoMC" else PROGRESS_FIELDS
        for item in data:
            if not isinstance(item, dict) or not needed <= item.keys():
                return 200, {"error_code": "02", "message": f"Thiếu trường bắt buộc ({service})"}
            for name in DATE_FIELDS & item.keys():
                if item[name] and not _DATE.fullmatch(str(item[name])):
                    return 200, {"error_code": "02", "message": f"{name} sai định dạng"}
            refused = self.reject.get(item["MaHoSo"])
            if refused:
                return 200, {"error_code": refused[0], "message": refused[1]}
        with self._lock:
            for item in data:
                if service == "DongBoHoSoMC":
                    self.dossiers[item["MaHoSo"]] = item
                elif item["MaHoSo"] not in self.dossiers:
                    return 200, {"error_code": "03", "message": "Không tìm thấy hồ sơ"}
                else:
                    self.progress.append(item)
        return 200, {"error_code": "0", "message": "Thành công"}


def _handler(fake: PortalFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if not isinstance(body, dict):
                status, answer = 400, {"error_code": "400", "message": "Yêu cầu không phải JSON"}
            else:
                status, answer = fake.answer(self.path, body)
            name = body.get("service", self.path) if isinstance(body, dict) else self.path
            with fake._lock:
                fake.calls.append((str(name), status))
            if fake.delay_s:
                time.sleep(fake.delay_s)
            encoded = json.dumps(answer, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)
            except (BrokenPipeError, ConnectionResetError):
                # The client stopped waiting (its timeout): what a slow portal sees too.
                return

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: the test's own output says what matters

    return Handler


@contextmanager
def running(fake: PortalFake | None = None) -> Iterator[PortalFake]:
    fake = fake or PortalFake()
    fake.reset()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
