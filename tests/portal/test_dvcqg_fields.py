"""The DVCQG adapter's fields for every state and step of our lifecycle, and its dates
in the portal's format (Vietnamese time, ``yyyyMMddHHmmss``)."""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.dossiers import lifecycle
from backend.dossiers.schemas import SyncRecord
from backend.portal.adapters.base import Outgoing
from backend.portal.adapters.dvcqg import ACTION_TEXTS, STATUS_CODES, payload, portal_time


def test_every_state_and_step_has_its_portal_code_and_words() -> None:
    assert set(STATUS_CODES) == set(lifecycle.STATUSES)
    assert set(ACTION_TEXTS) == set(lifecycle.ACTIONS)


def test_dates_are_written_in_vietnamese_time() -> None:
    # 17:30 UTC on 31 December is 00:30 on 1 January in Vietnam.
    assert portal_time(dt.datetime(2026, 12, 31, 17, 30, 5, tzinfo=dt.UTC)) == "20270101003005"
    assert portal_time(dt.date(2027, 1, 4)) == "20270104000000"
    assert portal_time(None) == ""


def test_an_organisation_s_dossier_returned_by_post() -> None:
    at = dt.datetime(2026, 10, 5, 2, 0, tzinfo=dt.UTC)
    record = SyncRecord(
        id=1,
        code="000.00.12.H56-261005-0001",
        procedure_code="2.001680",
        procedure_name_vi="Thủ tục yêu cầu trợ giúp pháp lý",
        agency_code="000.00.12.H56",
        receiving_agency="000.00.12.H56",
        status="returned",
        channel="post",
        organisation_id=7,
        applicant_name="Công ty TNHH Minh Long",
        applicant_phone="0912345678",
        applicant_id_number="012345678901",
        submitted_at=at,
        received_at=at,
        due_date=dt.date(2026, 10, 12),
        result_ready_at=at + dt.timedelta(days=3),
        finished_at=at + dt.timedelta(days=4),
        last_event_id=99,
        last_action="return_result",
        last_event_at=at + dt.timedelta(days=4),
        last_actor_name="Cán bộ một cửa",
    )
    sent = payload(Outgoing(record, "Sở Tư pháp", updating=True))
    dossier, progress = sent["DongBoHoSoMC"], sent["CapNhatTienDoHoSoMC"]
    assert (dossier["LoaiDoiTuong"], dossier["HinhThuc"], dossier["TrangThaiHoSo"]) == (
        "2",
        "1",
        "10",
    )
    assert dossier["NgayTiepNhan"] == "20261005090000"
    assert dossier["NgayTra"] == "20261009090000"
    assert dossier["NgayKetThucXuLy"] == "20261008090000"
    assert dossier["DonViXuLy"] == "Sở Tư pháp"
    assert (progress["TrangThai"], progress["NoiDungXuLy"]) == ("10", "Trả kết quả")
    # The applicant's ID number is ours to keep: not among what is sent.
    assert "012345678901" not in msgspec.json.encode(sent).decode()
