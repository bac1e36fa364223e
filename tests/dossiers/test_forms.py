"""The legal forms of a dossier (Circular 01/2018/TT-VPCP) as PDFs, read back with a
real PDF engine (pdfium) and a real QR decoder (zxing-cpp). No database: the dossiers
are built as the API returns them."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pypdfium2
import pytest
import zxingcpp

from backend.documents import short_address
from backend.dossiers.forms import FORM_TITLES, FormContext, FormKind, render_form
from backend.dossiers.schemas import DossierRead, EventRead

AGENCY = "000.00.12.H56"
PARTNER = "000.00.34.H56"
CODE = "000.00.12.H56-261122-0001"
APPLICANT = "Nguyễn Thị Lan"
TRACKING = f"http://localhost:8000/t/{CODE}?s=Zk3p9QwErTy-12345_abcdeFGHIJ"
CONTEXT = FormContext(
    agency_name="Sở Tư pháp tỉnh Thanh Hóa",
    agency_address="15 Hạc Thành, phường Hạc Thành, tỉnh Thanh Hóa",
    province_name="Tỉnh Thanh Hóa",
    tracking_url=TRACKING,
    officials={12: "Lê Thị Hoa", 14: "Đỗ Quang Huy"},
)
KINDS: list[FormKind] = ["01", "02", "03", "04", "05"]
FOOTER = re.compile(r"Mẫu số 0\d – Thông tư 01/2018/TT-VPCP · Mã hồ sơ \S+ · Trang \d+/\d+")


def event(number: int, at: str, action: str, before: str, after: str, role: str, name: str,
          **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "id": number,
        "at": at,
        "action": action,
        "from_status": before,
        "to_status": after,
        "actor_role": role,
        "actor_name": name,
        "agency_code": extra.pop("agency_code", AGENCY),
        "note": extra.pop("note", ""),
        "details": extra,
    }


# A dossier's life, in UTC (Vietnam is 7 hours ahead): submitted online on Sunday
# 22 November 2026 at 08:00, received at 08:30, appointment on 5 December, then an
# apology moving it to 10 December, and a result one day after that.
SUBMIT = event(1, "2026-11-22T01:00:00Z", "submit", "draft", "submitted", "citizen", APPLICANT)
RECEIVE = event(
    2, "2026-11-22T01:30:00Z", "receive", "submitted", "received", "reception", "Trần Văn Bình",
    components_received=[2],
)  # fmt: skip
ASSIGN = event(
    3, "2026-11-23T02:15:00Z", "assign", "received", "processing", "reception", "Trần Văn Bình",
    assignee_id=12,
)  # fmt: skip
SUPPLEMENT_ASKED = event(
    4, "2026-11-24T03:00:00Z", "request_supplement", "processing", "supplement_requested",
    "processing", "Lê Thị Hoa",
    note="Giấy chứng sinh nộp kèm bị mờ, không đọc được họ tên người mẹ.",
    items=[
        {"label": "Bản chính Giấy chứng sinh rõ nét", "component_id": 2, "field": None},
        {"label": "Ghi rõ nơi sinh của trẻ", "component_id": None, "field": "birth_place"},
    ],
)  # fmt: skip
SUPPLEMENTED = event(
    5, "2026-11-26T02:00:00Z", "supplement", "supplement_requested", "processing", "citizen",
    APPLICANT,
)  # fmt: skip
TRANSFER = event(
    6, "2026-11-27T04:40:00Z", "transfer", "processing", "received", "processing", "Lê Thị Hoa",
    from_agency=AGENCY, to_agency=PARTNER,
)  # fmt: skip
APOLOGY = event(
    7, "2026-12-04T08:05:00Z", "apologise", "received", "received", "leader", "Phạm Minh Đức",
    note="Cần xác minh thông tin hộ tịch với Ủy ban nhân dân xã nơi cư trú trước đây.",
    old_due_date="2026-12-05", new_due_date="2026-12-10", agency_code=PARTNER,
)  # fmt: skip
PROPOSE = event(
    8, "2026-12-08T02:00:00Z", "propose", "processing", "proposed", "processing", "Vũ Văn Nam",
    proposal="approve", agency_code=PARTNER,
)  # fmt: skip
DECIDE = event(
    9, "2026-12-10T01:00:00Z", "decide", "proposed", "approved", "leader", "Phạm Minh Đức",
    decision="approve", agency_code=PARTNER,
)  # fmt: skip
RESULT = event(
    10, "2026-12-11T09:20:00Z", "attach_result", "approved", "result_ready", "processing",
    "Vũ Văn Nam", agency_code=PARTNER,
)  # fmt: skip
LIFE = [SUBMIT, RECEIVE, ASSIGN, SUPPLEMENT_ASKED, SUPPLEMENTED, TRANSFER, APOLOGY, PROPOSE,
        DECIDE, RESULT]  # fmt: skip
REFUSAL = event(
    11, "2026-11-22T02:00:00Z", "refuse", "submitted", "refused", "reception", "Trần Văn Bình",
    reasons=[
        "Thủ tục không thuộc thẩm quyền giải quyết của Sở Tư pháp.",
        "Người nộp không phải là cha, mẹ hoặc người giám hộ của trẻ.",
    ],
)  # fmt: skip


def component(number: int, name: str, originals: int = 1, copies: int = 0) -> dict[str, Any]:
    return {
        "id": number,
        "name_vi": name,
        "name_en": f"Document {number}",
        "originals": originals,
        "copies": copies,
        "required": True,
        "uploadable": True,
    }


def upload(number: int, component_id: int) -> dict[str, Any]:
    return {
        "id": number,
        "purpose": "component",
        "component_id": component_id,
        "round": 1,
        "media_type": "application/pdf",
        "size": 52_000,
        "pages": 1,
        "display_name": f"giay-to-{number}.pdf",
        "created_at": "2026-11-22T00:55:00Z",
    }


def make_dossier(events: list[dict[str, Any]], **changes: Any) -> DossierRead:
    data: dict[str, Any] = {
        "id": 41,
        "code": CODE,
        "procedure_code": "1.001193",
        "procedure_name_vi": "Đăng ký khai sinh",
        "procedure_name_en": "Birth registration",
        "status": "result_ready",
        "channel": "online",
        "applicant_name": APPLICANT,
        "agency_code": PARTNER,
        "organisation_id": None,
        "submitted_at": "2026-11-22T01:00:00Z",
        "due_date": "2026-12-05",
        "updated_at": "2026-12-11T09:20:00Z",
        "overdue": False,
        "processing_days": 10,
        "receiving_agency": AGENCY,
        "owner_id": 3,
        "entered_by": None,
        "assignee_id": 12,
        "applicant_phone": "0912345678",
        "applicant_id_number": "038190012345",
        "applicant_address": "Thôn Đông, xã Quảng Phú, tỉnh Thanh Hóa",
        "form_data": {"birth_place": ""},
        "form_fields": [
            {"name": "birth_place", "type": "text", "label_vi": "Nơi sinh", "label_en": "Place"}
        ],
        "components": [
            component(1, "Tờ khai đăng ký khai sinh theo mẫu"),
            component(2, "Giấy chứng sinh"),
            component(3, "Giấy tờ chứng minh nơi cư trú", originals=0, copies=1),
        ],
        "files": [upload(1, 1), upload(2, 1)],
        "supplement_items": [],
        "resume_status": None,
        "decision": "approve",
        "created_at": "2026-11-22T00:30:00Z",
        "received_at": "2026-11-22T01:30:00Z",
        "paused_at": None,
        "result_ready_at": "2026-12-11T09:20:00Z",
        "finished_at": None,
        "version": 12,
        "events": events,
        "actions": [],
        **changes,
    }
    return msgspec.convert(data, DossierRead)


def as_event(data: dict[str, Any]) -> EventRead:
    return msgspec.convert(data, EventRead)


def read(pdf: bytes) -> list[str]:
    """Each page's text, whitespace collapsed (lines wrap wherever the layout says)."""
    document = pypdfium2.PdfDocument(pdf)
    pages = []
    for page in document:
        width, height = page.get_size()
        assert (round(width), round(height)) == (595, 842), "A4 in points"
        pages.append(" ".join(page.get_textpage().get_text_range().split()))
    return pages


def body(pages: list[str]) -> str:
    """The pages' text as one, without the footers between them (so a paragraph that
    flows onto the next page reads on)."""
    return " ".join(FOOTER.sub("", page) for page in pages)


def squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("kind", KINDS)
def test_every_form_has_its_title_code_applicant_and_motto(kind: FormKind) -> None:
    pages = read(render_form(kind, make_dossier([*LIFE, REFUSAL]), CONTEXT))
    first = pages[0]
    assert FORM_TITLES[kind].render("vi").upper() in first
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in first
    assert "Độc lập - Tự do - Hạnh phúc" in first
    assert "SỞ TƯ PHÁP TỈNH THANH HÓA" in first
    assert f"Mã hồ sơ: {CODE}" in first
    assert APPLICANT in " ".join(pages)
    assert all(CODE in page for page in pages), "every page names its dossier"


def test_the_receipt_gives_the_applicant_the_documents_and_the_appointment() -> None:
    (text,) = read(render_form("01", make_dossier(LIFE), CONTEXT))
    assert "Tiếp nhận hồ sơ của Ông/Bà: Nguyễn Thị Lan" in text
    assert "038190012345" in text
    assert "0912345678" in text
    assert "Thôn Đông, xã Quảng Phú, tỉnh Thanh Hóa" in text
    assert "Đăng ký khai sinh (mã thủ tục 1.001193)" in text
    # Uploaded twice for the form, received on paper for the birth certificate; the
    # proof of residence was not received at all.
    assert "Tờ khai đăng ký khai sinh theo mẫu — — Bản điện tử (2 tệp)" in text
    assert "Giấy chứng sinh 1 0 Bản giấy" in text
    assert "Giấy tờ chứng minh nơi cư trú" not in text
    assert "10 ngày làm việc" in text
    assert "4. Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 22/11/2026" in text
    assert "5. Thời gian trả kết quả giải quyết hồ sơ: ngày 05/12/2026" in text
    assert "Trực tuyến" in text
    assert "Thanh Hóa, ngày 22 tháng 11 năm 2026" in text
    assert "NGƯỜI NỘP HỒ SƠ" in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text
    assert "Trần Văn Bình" in text


def decode_all(pdf: bytes) -> list[str]:
    found = []
    for page in pypdfium2.PdfDocument(pdf):
        image = page.render(scale=3).to_pil()
        found += [result.text for result in zxingcpp.read_barcodes(image)]
    return found


def test_the_receipt_qr_code_decodes_to_the_tracking_url_printed_under_it() -> None:
    pdf = render_form("01", make_dossier(LIFE), CONTEXT)
    assert decode_all(pdf) == [TRACKING]
    assert squeezed(short_address(TRACKING)) in squeezed(read(pdf)[0])


def test_a_long_receipt_flows_and_keeps_its_qr_code_whole() -> None:
    components = [component(n, f"Giấy tờ kèm theo số {n:02d} của hồ sơ") for n in range(1, 46)]
    dossier = make_dossier(
        [SUBMIT, RECEIVE],
        components=components,
        files=[upload(n, n) for n in range(1, 46)],
        applicant_address="Số 12, ngõ 34, " * 18 + "tỉnh Thanh Hóa",
    )
    pdf = render_form("01", dossier, CONTEXT)
    pages = read(pdf)
    assert len(pages) >= 2
    everything = body(pages)
    assert all(f"Giấy tờ kèm theo số {n:02d} của hồ sơ" in everything for n in range(1, 46))
    assert squeezed(dossier.applicant_address) in squeezed(everything)
    assert decode_all(pdf) == [TRACKING]
    assert "ngày 05/12/2026" in everything


def test_a_counter_receipt_names_the_official_who_entered_it() -> None:
    dossier = make_dossier(
        [{**RECEIVE, "actor_name": ""}], channel="assisted", entered_by=14, files=[]
    )
    (text,) = read(render_form("01", dossier, CONTEXT))
    assert "Đỗ Quang Huy" in text
    assert "Cán bộ hỗ trợ nộp hồ sơ thay người dân" in text
    assert "Giấy chứng sinh 1 0 Bản giấy" in text


def test_the_supplement_request_lists_every_missing_item_once() -> None:
    pages = read(render_form("02", make_dossier(LIFE), CONTEXT))
    text = " ".join(pages)
    assert "Yêu cầu Ông/Bà hoàn thiện hồ sơ gồm những nội dung như sau:" in text
    assert "1. Bản chính Giấy chứng sinh rõ nét (giấy tờ: Giấy chứng sinh)" in text
    assert "2. Ghi rõ nơi sinh của trẻ (mục “Nơi sinh” của tờ khai)" in text
    assert "Lý do: Giấy chứng sinh nộp kèm bị mờ, không đọc được họ tên người mẹ." in text
    assert "Thanh Hóa, ngày 24 tháng 11 năm 2026" in text
    assert "NGƯỜI HƯỚNG DẪN" in text
    assert "Lê Thị Hoa" in text


def test_forty_items_and_a_long_note_flow_onto_more_pages_without_loss() -> None:
    labels = [f"Bản sao có chứng thực giấy tờ số {n:02d} của người yêu cầu" for n in range(1, 41)]
    words = [f"đoạn{n:03d} hồ sơ cần được bổ sung đầy đủ theo quy định" for n in range(60)]
    note = " ".join(words)[:3000]
    assert len(note) == 3000
    asked = event(
        4, "2026-11-24T03:00:00Z", "request_supplement", "processing", "supplement_requested",
        "processing", "Lê Thị Hoa", note=note,
        items=[{"label": label, "component_id": None, "field": None} for label in labels],
    )  # fmt: skip
    pages = read(render_form("02", make_dossier([SUBMIT, RECEIVE, ASSIGN, asked]), CONTEXT))
    assert len(pages) >= 2
    text = body(pages)
    for number, label in enumerate(labels, start=1):
        assert f"{number}. {label}" in text
    assert squeezed(note) in squeezed(text)
    assert "Lê Thị Hoa" in pages[-1], "the signature comes after everything"


def test_the_supplement_request_documents_the_event_given() -> None:
    later = event(
        12, "2026-12-01T03:00:00Z", "request_supplement", "processing", "supplement_requested",
        "leader", "Phạm Minh Đức", note="Thiếu chữ ký.",
        items=[{"label": "Chữ ký của người đi đăng ký", "component_id": None, "field": None}],
    )  # fmt: skip
    dossier = make_dossier([*LIFE, later])
    latest = " ".join(read(render_form("02", dossier, CONTEXT)))
    assert "Chữ ký của người đi đăng ký" in latest
    assert "Giấy chứng sinh rõ nét" not in latest
    earlier = " ".join(read(render_form("02", dossier, CONTEXT, as_event(SUPPLEMENT_ASKED))))
    assert "Giấy chứng sinh rõ nét" in earlier
    assert "Chữ ký của người đi đăng ký" not in earlier


def test_the_refusal_gives_its_reasons_numbered() -> None:
    (text,) = read(render_form("03", make_dossier([SUBMIT, REFUSAL]), CONTEXT))
    assert "không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:" in text
    assert "1. Thủ tục không thuộc thẩm quyền giải quyết của Sở Tư pháp." in text
    assert "2. Người nộp không phải là cha, mẹ hoặc người giám hộ của trẻ." in text
    assert "Xin thông báo cho Ông/Bà được biết và thực hiện./." in text
    assert "Trần Văn Bình" in text


def test_the_apology_gives_the_missed_date_the_reason_and_the_new_date() -> None:
    (text,) = read(render_form("04", make_dossier(LIFE, due_date="2026-12-10"), CONTEXT))
    assert "Kính gửi: Ông/Bà Nguyễn Thị Lan" in text
    assert "Ngày 22/11/2026, Sở Tư pháp tỉnh Thanh Hóa tiếp nhận" in text
    assert "Thời hạn trả kết quả giải quyết hồ sơ: ngày 05/12/2026" in text
    assert "Lý do: Cần xác minh thông tin hộ tịch với Ủy ban nhân dân xã" in text
    assert "vào ngày 10/12/2026" in text
    assert "Thanh Hóa, ngày 04 tháng 12 năm 2026" in text
    assert "THỦ TRƯỞNG CƠ QUAN" in text


def test_the_control_slip_lists_every_handoff_and_judges_it_against_the_appointment() -> None:
    pages = read(render_form("05", make_dossier(LIFE), CONTEXT))
    text = " ".join(pages)
    # The agency that received the dossier and passed it on (no name recorded here).
    assert "Cơ quan phối hợp giải quyết hồ sơ: 000.00.12.H56" in text
    rows = {
        "08 giờ 00 phút, ngày 22/11/2026": "Nộp hồ sơ.",
        "08 giờ 30 phút, ngày 22/11/2026": "Tiếp nhận hồ sơ.",
        "09 giờ 15 phút, ngày 23/11/2026": "Chuyển cán bộ xử lý.",
        "10 giờ 00 phút, ngày 24/11/2026": "Yêu cầu bổ sung: 2 nội dung.",
        "09 giờ 00 phút, ngày 26/11/2026": "Bổ sung hồ sơ.",
        "11 giờ 40 phút, ngày 27/11/2026": "Chuyển cơ quan khác.",
        "15 giờ 05 phút, ngày 04/12/2026": "Xin lỗi, hẹn lại ngày trả: 10/12/2026.",
        "09 giờ 00 phút, ngày 08/12/2026": "Trình lãnh đạo: đề xuất phê duyệt.",
        "08 giờ 00 phút, ngày 10/12/2026": "Lãnh đạo quyết định: phê duyệt.",
        "16 giờ 20 phút, ngày 11/12/2026": "Có kết quả.",
    }
    for when, remark in rows.items():
        assert when in text
        assert remark in text
    for name in ("Trần Văn Bình", "Lê Thị Hoa", "Phạm Minh Đức", "Vũ Văn Nam", APPLICANT):
        assert name in text
    # The assignee comes from the officials' names; the step before reception is not
    # judged; the decision meets the new date; the result comes a day after it.
    assert "Trần Văn Bình Cán bộ tiếp nhận Lê Thị Hoa Cán bộ xử lý" in text
    assert text.count("Trước hạn") == 6
    assert text.count("Đúng hạn") == 1
    assert text.count("Quá hạn") == 1


def test_a_long_note_on_the_slip_goes_under_the_table_whole() -> None:
    note = "Đã liên hệ Ủy ban nhân dân xã để xác minh nơi cư trú. " * 40
    sent = {**TRANSFER, "note": note}
    pages = read(render_form("05", make_dossier([SUBMIT, RECEIVE, ASSIGN, sent]), CONTEXT))
    assert len(pages) == 2
    text = body(pages)
    assert "Xem ghi chú (4) dưới bảng." in text
    assert squeezed(note) in squeezed(text)


@pytest.mark.parametrize("kind", ["02", "03", "04"])
def test_an_event_form_needs_its_event(kind: FormKind) -> None:
    with pytest.raises(ValueError, match="event"):
        render_form(kind, make_dossier([SUBMIT, RECEIVE]), CONTEXT)


def test_an_event_form_refuses_an_event_of_another_kind() -> None:
    with pytest.raises(ValueError, match="request_supplement"):
        render_form("02", make_dossier(LIFE), CONTEXT, as_event(APOLOGY))


def test_a_draft_has_no_forms() -> None:
    with pytest.raises(ValueError, match="draft"):
        render_form("01", make_dossier([], code=None, status="draft"), CONTEXT)


def test_the_same_dossier_gives_the_same_bytes() -> None:
    dossier = make_dossier([*LIFE, REFUSAL])
    for kind in KINDS:
        assert render_form(kind, dossier, CONTEXT) == render_form(kind, dossier, CONTEXT)
