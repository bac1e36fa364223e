"""What a notice says, in each language: titles and bodies from the catalogues (a push
carries them in the device's language), dates written by Babel, and where it leads."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.notifications import service
from backend.notifications.service.notices import NoticeRow, notice_text, notice_url

NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


def notice(kind: str, **fields: object) -> NoticeRow:
    values: dict[str, object] = {
        "id": 7,
        "account_id": 1,
        "kind": kind,
        "dossier_id": 42,
        "code": "H56.01-261120-0001",
        "status": "",
        "due_date": None,
        "created_at": NOW,
        "read_at": None,
    }
    return NoticeRow(**{**values, **fields})  # type: ignore[arg-type]


def test_a_due_date_is_written_the_readers_way() -> None:
    received = notice("dossier.received", due_date="2026-11-25")
    assert notice_text(received, "vi") == (
        "Hồ sơ đã được tiếp nhận",
        "Hồ sơ H56.01-261120-0001 đã được tiếp nhận. Hẹn trả kết quả ngày 25/11/2026.",
    )
    assert notice_text(received, "en") == (
        "Dossier received",
        "Dossier H56.01-261120-0001 was received. The result is due on 25 Nov 2026.",
    )


@pytest.mark.parametrize("kind", list(service.KINDS))
def test_every_kind_reads_in_both_languages(kind: str) -> None:
    row = notice(kind, due_date="2026-12-01")
    vi, en = notice_text(row, "vi"), notice_text(row, "en")
    assert vi[0] != en[0] and vi[1] != en[1]
    assert "H56.01-261120-0001" in vi[1] and "H56.01-261120-0001" in en[1]


def test_where_a_notice_leads() -> None:
    assert notice_url(notice("dossier.received")) == "/ho-so/42"
    assert notice_url(notice("dossier.returned")) == "/ho-so/42/danh-gia"
    assert notice_url(notice("feedback.answered", dossier_id=None, code="PA-1")) == "/phan-anh/PA-1"
    assert notice_url(notice("payment.confirmed", dossier_id=None)) == "/thong-bao"
