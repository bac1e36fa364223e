"""The National Public Service Portal (Cổng Dịch vụ công quốc gia, DVCQG): its adapter
service for one-stop systems ("một cửa", hence the services' "MC" suffix).

What could be confirmed, and from where. The portal's specification is not public;
VietOpenCPS's one-stop software (github.com/VietOpenCPS/opencps-v2,
``DVCQGIntegrationActionImpl.java``, read to learn, nothing copied) publishes the client
side it uses in production:
- **Sign-in**: POST of ``{"username", "password"}`` to the adapter's auth address; the
  answer carries ``error_code`` (0 when it worked) and ``session``, the token sent in
  every later call's body as ``session``, beside ``madonvi`` (the province's unit code).
- **A dossier**: POST of ``{"session", "madonvi", "service": "DongBoHoSoMC",
  "isUpdating": "True"|"False", "data": [dossier...]}``; the dossier's fields are
  ``HoSoMC`` below, with these names and spellings (MaHoSo, MaTTHC, TenTTHC, ChuHoSo,
  LoaiDoiTuong "1" person / "2" organisation, MaDoiTuong, SoDienThoai, TrichYeuHoSo,
  NgayTiepNhan, NgayHenTra, TrangThaiHoSo, NgayTra, HinhThuc, NgayKetThucXuLy,
  DonViXuLy, the lists TaiLieuNop, DanhSachLePhi, DanhSachHoSoBoSung,
  DanhSachGiayToKetQua ...). Dates are ``yyyyMMddHHmmss`` in Vietnamese time.
- **Its progress**: after a dossier went through, POST of ``service
  "CapNhatTienDoHoSoMC"`` with ``data: [{MaHoSo, NguoiXuLy, ChucDanh, ThoiDiemXuLy,
  PhongBanXuLy, NoiDungXuLy, TrangThai, NgayBatDau, NgayKetThucTheoQuyDinh}]``.
- **Answers**: JSON with ``error_code`` ("0", "00" or 0 when it worked).

What is guessed (kept in one place here, to correct against the province's copy of the
specification): the addresses of the two calls under the base URL (``AUTH_PATH``,
``SYNC_PATH``: OpenCPS reads them from its configuration), the numeric status codes
(``STATUS_CODES``: OpenCPS maps them in a table the province fills in; these follow the
portal's published list of dossier states as far as it was found), the ``message`` field
of an error answer, that a session that ran out is answered with HTTP 401, and
``HinhThuc`` "1" for a result returned by post. Our own dossier code goes as MaHoSo.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import msgspec

from backend.portal.adapters.base import Adapter, Outcome, Outgoing
from backend.settings import PortalSettings
from backend.vietnam import VIETNAM

NAME = "dvcqg"
AUTH_PATH = "/auth"
SYNC_PATH = "/sync"
DATE_FORMAT = "%Y%m%d%H%M%S"
# Our dossier states -> the portal's TrangThaiHoSo. 1 "mới đăng ký" (submitted, never
# sent: only received dossiers are), 2 "được tiếp nhận", 3 "không được tiếp nhận",
# 4 "đang xử lý", 5 "yêu cầu bổ sung giấy tờ", 7 "rút hồ sơ", 9 "đã xử lý xong",
# 10 "đã trả kết quả".
STATUS_CODES: dict[str, str] = {
    "draft": "1",
    "submitted": "1",
    "received": "2",
    "refused": "3",
    "processing": "4",
    "proposed": "4",
    "approved": "4",
    "rejected": "4",
    "supplement_requested": "5",
    "withdrawn": "7",
    "result_ready": "9",
    "returned": "10",
}
# What a history line did, as the progress line's NoiDungXuLy.
ACTION_TEXTS: dict[str, str] = {
    "submit": "Nộp hồ sơ",
    "receive": "Tiếp nhận hồ sơ",
    "request_supplement": "Yêu cầu bổ sung hồ sơ",
    "supplement": "Bổ sung hồ sơ",
    "refuse": "Từ chối tiếp nhận",
    "assign": "Phân công xử lý",
    "transfer": "Chuyển cơ quan xử lý",
    "propose": "Trình phê duyệt",
    "send_back": "Trả lại để xử lý tiếp",
    "decide": "Phê duyệt kết quả",
    "attach_result": "Có kết quả",
    "return_result": "Trả kết quả",
    "withdraw": "Rút hồ sơ",
    "apologise": "Gửi thư xin lỗi, hẹn lại ngày trả",
}


class HoSoMC(msgspec.Struct, kw_only=True):
    """One dossier for ``DongBoHoSoMC``, under the portal's own field names."""

    MaHoSo: str
    MaTTHC: str
    TenTTHC: str
    MaLinhVuc: str = ""
    TenLinhVuc: str = ""
    ChuHoSo: str
    LoaiDoiTuong: str  # "1" a person, "2" an organisation
    MaDoiTuong: str = ""  # the applicant's id at the portal, when known: never here
    ThongTinKhac: str = ""
    Email: str = ""
    Fax: str = ""
    SoDienThoai: str
    TrichYeuHoSo: str
    NgayTiepNhan: str
    NgayHenTra: str
    TrangThaiHoSo: str
    NgayTra: str = ""
    ThongTinTra: str = ""
    HinhThuc: str  # "0" at the counter or online, "1" by post
    NgayKetThucXuLy: str = ""
    DonViXuLy: str
    GhiChu: str = ""
    TaiLieuNop: list[dict[str, str]] = msgspec.field(default_factory=list)
    DanhSachLePhi: list[dict[str, str]] = msgspec.field(default_factory=list)
    DanhSachTepDinhKemKhac: list[dict[str, str]] = msgspec.field(default_factory=list)
    DanhSachHoSoBoSung: list[dict[str, str]] = msgspec.field(default_factory=list)
    DanhSachGiayToKetQua: list[dict[str, str]] = msgspec.field(default_factory=list)


class TienDoHoSoMC(msgspec.Struct, kw_only=True):
    """The dossier's last step for ``CapNhatTienDoHoSoMC``."""

    MaHoSo: str
    NguoiXuLy: str
    ChucDanh: str = ""
    ThoiDiemXuLy: str
    PhongBanXuLy: str = ""
    NoiDungXuLy: str
    TrangThai: str
    NgayBatDau: str = ""
    NgayKetThucTheoQuyDinh: str = ""


class Request(msgspec.Struct, kw_only=True):
    session: str
    madonvi: str
    service: str
    data: list[HoSoMC] | list[TienDoHoSoMC]
    isUpdating: str | msgspec.UnsetType = msgspec.UNSET  # "True" | "False"


class Answer(msgspec.Struct, kw_only=True):
    error_code: int | str | None = None
    message: str = ""
    session: str = ""

    @property
    def ok(self) -> bool:
        return str(self.error_code).strip() in {"0", "00"}


def portal_time(value: dt.datetime | dt.date | None) -> str:
    """A moment (or a day, at its start) as the portal writes it, in Vietnamese time."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=VIETNAM)
    return value.astimezone(VIETNAM).strftime(DATE_FORMAT)


def dossier_of(outgoing: Outgoing) -> HoSoMC:
    record = outgoing.record
    returned = record.status == "returned"
    return HoSoMC(
        MaHoSo=record.code,
        MaTTHC=record.procedure_code,
        TenTTHC=record.procedure_name_vi,
        ChuHoSo=record.applicant_name,
        LoaiDoiTuong="2" if record.organisation_id is not None else "1",
        SoDienThoai=record.applicant_phone,
        TrichYeuHoSo=record.procedure_name_vi,
        NgayTiepNhan=portal_time(record.received_at),
        NgayHenTra=portal_time(record.due_date),
        TrangThaiHoSo=STATUS_CODES[record.status],
        NgayTra=portal_time(record.finished_at) if returned else "",
        HinhThuc="1" if record.channel == "post" else "0",
        NgayKetThucXuLy=portal_time(record.result_ready_at),
        DonViXuLy=outgoing.agency_name or record.agency_code,
    )


def progress_of(outgoing: Outgoing) -> TienDoHoSoMC:
    record = outgoing.record
    return TienDoHoSoMC(
        MaHoSo=record.code,
        NguoiXuLy=record.last_actor_name,
        ThoiDiemXuLy=portal_time(record.last_event_at),
        PhongBanXuLy=outgoing.agency_name,
        NoiDungXuLy=ACTION_TEXTS[record.last_action],
        TrangThai=STATUS_CODES[record.status],
        NgayBatDau=portal_time(record.received_at),
        NgayKetThucTheoQuyDinh=portal_time(record.due_date),
    )


class _Failed(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.problem)
        self.outcome = outcome


class _SessionEnded(Exception):
    """The portal no longer knows our session token: sign in again, then resend once."""


_ANSWER = msgspec.json.Decoder(Answer)
# Most bytes of an answer read: it is a code and a message.
ANSWER_LIMIT = 16_384


class DvcqgAdapter:
    def __init__(self, settings: PortalSettings) -> None:
        self.settings = settings
        self._client: httpx.AsyncClient | None = None
        self._session = ""
        self._signing_in = asyncio.Lock()

    async def __aenter__(self) -> Adapter:
        timeout = self.settings.timeout_s
        self._client = httpx.AsyncClient(
            base_url=self.settings.base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, outgoing: Outgoing) -> Outcome:
        # Three calls at most, each bounded by the timeout: the whole send is too.
        try:
            return await asyncio.wait_for(self._send(outgoing), 3 * self.settings.timeout_s)
        except TimeoutError:
            return Outcome.retry_later("timeout")

    async def _send(self, outgoing: Outgoing) -> Outcome:
        dossier = [dossier_of(outgoing)]
        progress = [progress_of(outgoing)]
        updating = "True" if outgoing.updating else "False"
        try:
            await self._call("DongBoHoSoMC", dossier, updating)
            await self._call("CapNhatTienDoHoSoMC", progress)
        except _Failed as failed:
            return failed.outcome
        return Outcome.synced()

    async def _call(
        self,
        service: str,
        data: list[HoSoMC] | list[TienDoHoSoMC],
        updating: str | msgspec.UnsetType = msgspec.UNSET,
    ) -> None:
        for fresh in (False, True):
            session = await self._sign_in(fresh)
            body = Request(
                session=session,
                madonvi=self.settings.unit_code,
                service=service,
                data=data,
                isUpdating=updating,
            )
            try:
                answer = await self._post(SYNC_PATH, msgspec.json.encode(body))
            except _SessionEnded:
                continue  # signed in again, once
            if not answer.ok:
                raise _Failed(Outcome.rejected(answer.message or f"error_code {answer.error_code}"))
            return
        raise _Failed(Outcome.retry_later("auth", "phiên làm việc không được chấp nhận"))

    async def _sign_in(self, fresh: bool) -> str:
        async with self._signing_in:
            if self._session and not fresh:
                return self._session
            credentials = {"username": self.settings.username, "password": self.settings.password}
            try:
                answer = await self._post(AUTH_PATH, msgspec.json.encode(credentials))
            except _SessionEnded:
                raise _Failed(Outcome.retry_later("auth")) from None
            if not answer.ok or not answer.session:
                # Wrong credentials are the province's to fix: retried meanwhile.
                raise _Failed(Outcome.retry_later("auth", answer.message))
            self._session = answer.session
            return self._session

    async def _post(self, path: str, body: bytes) -> Answer:
        assert self._client is not None, "enter the adapter first"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        try:
            async with self._client.stream("POST", path, content=body, headers=headers) as response:
                raw = bytearray()
                async for chunk in response.aiter_bytes():
                    raw += chunk
                    if len(raw) >= ANSWER_LIMIT:
                        break
        except httpx.TimeoutException:
            raise _Failed(Outcome.retry_later("timeout")) from None
        except httpx.HTTPError as error:
            raise _Failed(Outcome.retry_later("unreachable", type(error).__name__)) from None
        answer = _decode(bytes(raw))
        status = response.status_code
        if status == 401:
            raise _SessionEnded
        if status == 429 or status >= 500:
            raise _Failed(Outcome.retry_later("server", answer.message or f"HTTP {status}"))
        if status >= 300:
            raise _Failed(Outcome.rejected(answer.message or f"HTTP {status}"))
        return answer


def _decode(raw: bytes) -> Answer:
    try:
        return _ANSWER.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return Answer(error_code=None, message="")


def make(settings: PortalSettings) -> Adapter:
    return DvcqgAdapter(settings)


def payload(outgoing: Outgoing) -> dict[str, Any]:
    """The two bodies' ``data`` as the portal gets them (for a look at what is sent)."""
    return {
        "DongBoHoSoMC": msgspec.to_builtins(dossier_of(outgoing)),
        "CapNhatTienDoHoSoMC": msgspec.to_builtins(progress_of(outgoing)),
    }
