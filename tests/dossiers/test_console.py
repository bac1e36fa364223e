"""The officials' console (/can-bo): queues, one dossier's page with its viewer and
history, every step as a plain form (CSRF, the dossier's version), counter entry.

Officials are created as ``motcua create-staff`` does and enrol a software passkey
through their link; the pages are driven as a browser without JavaScript would: GET a
page, read its form, POST it back. The module has its own database, where the legal
aid procedure of the Department of Justice takes five working days (the demo says 0,
unconfirmed), so that an apology is offered only once the date is near or past."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest
from fpdf import FPDF
from litestar import Litestar
from PIL import Image

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal, StaffCreate
from backend.app import create_app
from backend.attachments import inspect_upload
from backend.catalogue import service as catalogue
from backend.catalogue import transfer
from backend.catalogue.schemas import DemoCatalogue
from backend.db import Database
from backend.dossiers import service
from backend.dossiers.runtime import DossiersRuntime, utc_now
from backend.dossiers.schemas import DossierRead, DraftCreate, DraftUpdate
from backend.dossiers.tables import Dossier
from backend.workdays import service as workdays
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import AGENCY, OTHER_AGENCY, Browser, Clock, enrol, new_browser
from tests.accounts.helpers import unique_phone as phone
from tests.conftest import make_settings
from tests.support.asgi import lifespan

PROCEDURE = "2.001680"  # Thủ tục yêu cầu trợ giúp pháp lý, Sở Tư pháp (AGENCY)
ANSWERS = {"case_summary": "Tranh chấp ranh giới đất với hàng xóm", "beneficiary_group": "ngheo"}
# Monday 7 December 2026, 09:00 in Vietnam. Dates are counted with the seeded calendar.
MONDAY = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
VIETNAM = dt.timezone(dt.timedelta(hours=7))
CONSOLE = "/can-bo"


@pytest.fixture(scope="module")
async def console_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Litestar]:
    """A database of this module's own (its procedure is changed), and its app."""
    settings = fast_settings(await make_settings(tmp_path_factory.mktemp("console"), "console"))
    database = Database(settings)
    await database.open()
    await database.migrate()
    await catalogue.seed_demo()
    demo = msgspec.json.decode(catalogue.DEMO_CATALOGUE.read_bytes(), type=DemoCatalogue)
    legal_aid = next(p for p in demo.procedures if p.code == PROCEDURE)
    await transfer.save_procedure(msgspec.structs.replace(legal_aid, processing_days=5))
    app = create_app(settings)
    async with lifespan(app):
        yield app
    await database.close()


@pytest.fixture
def clock(console_app: Litestar) -> Iterator[Clock]:
    """The dossiers' clock at a known Monday (the real one comes back after)."""
    runtime: DossiersRuntime = console_app.state["dossiers"]
    clock = Clock(MONDAY)
    runtime.now = clock
    yield clock
    runtime.now = utc_now


@pytest.fixture
def runtime(console_app: Litestar, clock: Clock) -> DossiersRuntime:
    dossiers: DossiersRuntime = console_app.state["dossiers"]
    return dossiers


@dataclass
class Person:
    browser: Browser
    principal: Principal

    @property
    def id(self) -> int:
        return self.principal.account_id


@pytest.fixture
async def people(console_app: Litestar) -> AsyncIterator[Any]:
    opened: list[Browser] = []

    async def official(role: Any, agency: str = AGENCY, name: str = "") -> Person:
        created = await accounts.create_staff(
            console_app.state["accounts"],
            StaffCreate(
                full_name=name or f"Trần Văn {role.title()}", role=role, agency_code=agency
            ),
        )
        browser = await new_browser(console_app)
        opened.append(browser)
        response = await enrol(browser, created.enrolment.url)
        assert response.status_code == 201, response.text
        principal = Principal(
            account_id=created.official.id,
            kind="staff",
            name=created.official.full_name,
            role=role,
            agency_code=agency,
            session_id="test",
        )
        return Person(browser, principal)

    async def citizen() -> Person:
        browser = await new_browser(console_app)
        opened.append(browser)
        result = await browser.sign_up(full_name="Nguyễn Thị Hoa")
        principal = Principal(
            account_id=int(result["account"]["id"]),
            kind="citizen",
            name="Nguyễn Thị Hoa",
            role=None,
            agency_code=None,
            session_id="test",
        )
        return Person(browser, principal)

    yield {"official": official, "citizen": citizen}
    for browser in opened:
        await browser.close()


# ----------------------------------------------------------------------- helpers


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def pdf(pages: int = 2) -> bytes:
    document = FPDF()
    document.set_font("helvetica", size=16)
    for number in range(1, pages + 1):
        document.add_page()
        document.cell(text=f"Quyet dinh - trang {number}")
    return bytes(document.output())


_keys = iter(range(10**6))


async def submitted(runtime: DossiersRuntime, citizen: Person) -> DossierRead:
    """A complete online dossier, submitted by the citizen through the service."""
    draft, _ = await service.create_draft(
        runtime,
        citizen.principal,
        DraftCreate(procedure_code=PROCEDURE, draft_key=f"console-draft-{next(_keys):08d}"),
    )
    await service.update_draft(runtime, citizen.principal, draft.id, DraftUpdate(form_data=ANSWERS))
    photo = inspect_upload(jpeg(), "giay-to.jpg")
    for component in draft.components:
        if component.required:
            await service.add_file(
                runtime, citizen.principal, draft.id, photo, component_id=component.id
            )
    return await service.submit(runtime, citizen.principal, draft.id)


async def due_in(days: int, start: dt.date | None = None) -> dt.date:
    calendar = await workdays.load()
    return calendar.add_working_days(start or MONDAY.astimezone(VIETNAM).date(), days)


def vn(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def page_url(dossier_id: int) -> str:
    return f"{CONSOLE}/ho-so/{dossier_id}"


def version_in(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, "no action form on the page"
    return found.group(1)


async def post_form(
    browser: Browser, url: str, fields: dict[str, Any], files: dict[str, Any] | None = None
) -> httpx.Response:
    await browser.headers()  # the csrftoken cookie
    data = {**fields, "_csrf_token": browser.client.cookies["csrftoken"]}
    return await browser.client.post(url, data=data, files=files)


async def act(browser: Browser, dossier_id: int, action: str, **fields: Any) -> httpx.Response:
    """Open the dossier's page, check the step's form is offered, and send it."""
    page = await browser.get(page_url(dossier_id))
    assert page.status_code == 200, page.text
    assert f'id="form-{action}"' in page.text, f"{action} is not offered"
    body = {"action": action, "version": version_in(page.text), **fields}
    return await post_form(browser, f"{page_url(dossier_id)}/thao-tac", body)


async def followed(browser: Browser, response: httpx.Response) -> httpx.Response:
    assert response.status_code == 303, text_of(response)
    return await browser.get(response.headers["location"])


def form_links(page: str, dossier_id: int) -> set[str]:
    return set(
        re.findall(rf'href="(/api/dossiers/{dossier_id}/forms/0\d[^"]*)"', html.unescape(page))
    )


async def is_pdf(browser: Browser, url: str) -> bool:
    response = await browser.get(url)
    return response.status_code == 200 and response.content.startswith(b"%PDF-")


# ------------------------------------------------------------------------- access


async def test_only_reception_processing_and_leaders_reach_the_console(
    console_app: Litestar, people: Any
) -> None:
    nobody = await new_browser(console_app)
    try:
        response = await nobody.get(CONSOLE)
        assert response.status_code == 303
        assert response.headers["location"] == "/dang-nhap?next=/can-bo"
    finally:
        await nobody.close()
    citizen = await people["citizen"]()
    assert (await citizen.browser.get(CONSOLE)).status_code == 403
    assert (await citizen.browser.get(f"{CONSOLE}/nhap-ho-so")).status_code == 403
    admin = await people["official"]("admin")
    forbidden = await admin.browser.get(CONSOLE)
    assert forbidden.status_code == 403 and "không có quyền" in text_of(forbidden)
    for role in ("reception", "processing", "leader"):
        official = await people["official"](role)
        response = await official.browser.get(CONSOLE)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        assert "Hồ sơ của cơ quan" in text_of(response)
        entry_link = 'id="enter-dossier"' in response.text
        assert entry_link is (role != "processing")
    processing = await people["official"]("processing")
    assert (await processing.browser.get(f"{CONSOLE}/nhap-ho-so")).status_code == 403


async def test_the_queues_list_a_submitted_dossier(runtime: DossiersRuntime, people: Any) -> None:
    citizen = await people["citizen"]()
    dossier = await submitted(runtime, citizen)
    reception = await people["official"]("reception")
    page = await reception.browser.get(CONSOLE, params={"hang": "moi-nop"})
    text = text_of(page)
    assert page.status_code == 200
    assert 'aria-current="page"' in page.text and "Mới nộp" in text
    for tab in (
        "Chờ bổ sung",
        "Đang xử lý",
        "Sắp đến hạn (2 ngày)",
        "Quá hạn",
        "Chờ trả kết quả",
        "Đã xong",
    ):
        assert tab in text
    assert dossier.code is not None and dossier.code in text
    assert f'href="{page_url(dossier.id)}"' in page.text
    assert "Nguyễn Thị Hoa" in text and "Thủ tục yêu cầu trợ giúp pháp lý" in text
    assert "Trực tuyến" in text and vn(await due_in(5)) in text  # the provisional date

    found = await reception.browser.get(CONSOLE, params={"hang": "moi-nop", "q": dossier.code})
    assert dossier.code in found.text and "khớp điều kiện tìm" in text_of(found)
    by_name = await reception.browser.get(CONSOLE, params={"hang": "moi-nop", "q": "Thị Hoa"})
    assert dossier.code in by_name.text
    nothing = await reception.browser.get(CONSOLE, params={"hang": "moi-nop", "q": "không-có-ai"})
    assert dossier.code not in nothing.text and "Không có hồ sơ nào ở đây." in text_of(nothing)
    filtered = await reception.browser.get(
        CONSOLE, params={"hang": "moi-nop", "thu-tuc": PROCEDURE}
    )
    assert dossier.code in filtered.text
    assert f'<option value="{PROCEDURE}" selected>' in filtered.text
    other_procedure = await reception.browser.get(
        CONSOLE, params={"hang": "moi-nop", "thu-tuc": "1.001193"}
    )
    assert dossier.code not in other_procedure.text

    stranger = await people["official"]("reception", agency=OTHER_AGENCY)
    assert dossier.code not in (await stranger.browser.get(CONSOLE)).text


# ---------------------------------------------------------------- the whole path


async def test_the_whole_path_through_the_pages(runtime: DossiersRuntime, people: Any) -> None:
    citizen = await people["citizen"]()
    dossier = await submitted(runtime, citizen)
    reception = await people["official"]("reception", name="Trần Thị Tiếp")
    processor = await people["official"]("processing", name="Lê Văn Xử")
    leader = await people["official"]("leader", name="Phạm Minh Lãnh")

    # The dossier's page: answers with their labels, components with their files.
    opened = await reception.browser.get(page_url(dossier.id))
    text = text_of(opened)
    assert opened.status_code == 200 and opened.headers["cache-control"] == "no-store"
    assert "img-src 'self'" in opened.headers["content-security-policy"]
    assert "Tóm tắt vụ việc cần trợ giúp" in text and ANSWERS["case_summary"] in text
    assert "Người thuộc hộ nghèo" in text  # a choice shown by its label
    assert "Đơn yêu cầu trợ giúp pháp lý" in text and "giay-to.jpg" in text
    assert 'id="action-receive"' in opened.text and 'id="action-refuse"' in opened.text
    assert 'id="action-propose-approve"' not in opened.text

    # The inline viewer: the image itself, through the API, with a download link.
    component_file = dossier.files[0]
    viewer = await reception.browser.get(page_url(dossier.id), params={"xem": component_file.id})
    assert (
        f'<img id="viewer-image" src="/api/dossiers/{dossier.id}/files/{component_file.id}"'
        in viewer.text
    )
    image = await reception.browser.get(f"/api/dossiers/{dossier.id}/files/{component_file.id}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"

    # Reception: Form 01 and the process-control slip come with the step.
    received = await followed(
        reception.browser, await act(reception.browser, dossier.id, "receive")
    )
    assert "Đã thực hiện: Tiếp nhận hồ sơ." in text_of(received)
    links = form_links(received.text, dossier.id)
    assert f"/api/dossiers/{dossier.id}/forms/01" in links
    assert f"/api/dossiers/{dossier.id}/forms/05" in links
    assert await is_pdf(reception.browser, f"/api/dossiers/{dossier.id}/forms/01")
    assert "Còn 5 ngày làm việc" in text_of(received)

    # Assignment: the processing officials and leaders of the agency are offered.
    page = await reception.browser.get(page_url(dossier.id))
    assert f'<option value="{processor.id}">Lê Văn Xử – Cán bộ xử lý</option>' in text_of(page)
    assigned = await followed(
        reception.browser,
        await act(
            reception.browser, dossier.id, "assign", assignee_id=str(processor.id), note="Xử lý gấp"
        ),
    )
    assert "Giao cho: Lê Văn Xử" in text_of(assigned)

    # The processing officer proposes; the leader decides.
    proposed = await act(
        processor.browser, dossier.id, "propose", decision="approve", note="Đủ điều kiện trợ giúp"
    )
    assert proposed.status_code == 303, text_of(proposed)
    page = await leader.browser.get(page_url(dossier.id))
    text = text_of(page)
    assert "Đề xuất của Lê Văn Xử: Phê duyệt." in text and "Đủ điều kiện trợ giúp" in text
    assert 'id="action-decide-approve"' in page.text and 'id="action-send-back"' in page.text
    assert "data-confirm=" in page.text  # the script asks before a decision
    decided = await followed(
        leader.browser, await act(leader.browser, dossier.id, "decide", decision="approve")
    )
    assert "Quyết định: Phê duyệt" in text_of(decided)

    # The result: nothing to attach yet is refused, then a PDF and a photo are uploaded.
    too_soon = await act(processor.browser, dossier.id, "attach_result")
    assert too_soon.status_code == 422 and "Hãy tải lên văn bản kết quả trước." in text_of(too_soon)
    no_file = await post_form(processor.browser, f"{page_url(dossier.id)}/ket-qua", {})
    assert no_file.status_code == 422 and "Hãy chọn tệp văn bản kết quả" in text_of(no_file)
    bad = await post_form(
        processor.browser,
        f"{page_url(dossier.id)}/ket-qua",
        {},
        files={"file": ("ket-qua.pdf", b"not a pdf at all", "application/pdf")},
    )
    assert bad.status_code == 422 and 'id="attach_result-file-error"' in bad.text
    uploaded = await post_form(
        processor.browser,
        f"{page_url(dossier.id)}/ket-qua",
        {},
        files={"file": ("Quyết định trợ giúp.pdf", pdf(2), "application/pdf")},
    )
    page = await followed(processor.browser, uploaded)
    assert "Đã tải lên văn bản kết quả." in text_of(page)
    photo = await post_form(
        processor.browser,
        f"{page_url(dossier.id)}/ket-qua",
        {},
        files={"file": ("bien-ban.png", png(), "image/png")},
    )
    assert photo.status_code == 303
    current = await service.get_dossier(runtime, processor.principal, dossier.id)
    result_pdf, result_png = (f for f in current.files if f.purpose == "result")
    assert result_pdf.pages == 2 and result_png.media_type == "image/png"
    # A mistaken upload can be removed before the result is confirmed.
    removed = await post_form(
        processor.browser, f"{page_url(dossier.id)}/ket-qua/{result_png.id}/xoa", {}
    )
    assert removed.status_code == 303

    # The PDF in the viewer, page by page, without JavaScript.
    first = await processor.browser.get(page_url(dossier.id), params={"xem": result_pdf.id})
    assert f'src="/api/dossiers/{dossier.id}/files/{result_pdf.id}/pages/1"' in first.text
    assert "Trang 1 / 2" in first.text and f"xem={result_pdf.id}&amp;trang=2" in first.text
    second = await processor.browser.get(
        page_url(dossier.id), params={"xem": result_pdf.id, "trang": 2}
    )
    assert f"/files/{result_pdf.id}/pages/2" in second.text and "Trang 2 / 2" in second.text
    rendered = await processor.browser.get(
        f"/api/dossiers/{dossier.id}/files/{result_pdf.id}/pages/2"
    )
    assert rendered.status_code == 200 and rendered.content.startswith(b"\x89PNG")

    attached = await followed(
        processor.browser, await act(processor.browser, dossier.id, "attach_result")
    )
    assert "Có kết quả, chờ trả" in text_of(attached)
    returned = await followed(
        reception.browser, await act(reception.browser, dossier.id, "return_result")
    )
    text = text_of(returned)
    assert "Đã trả kết quả" in text and 'id="no-actions"' in returned.text
    # The history: every step with the official who took it (Form 05's lines).
    for name in ("Trần Thị Tiếp", "Lê Văn Xử", "Phạm Minh Lãnh"):
        assert name in text
    for step in ("Nộp hồ sơ", "Tiếp nhận hồ sơ", "Chuyển cán bộ xử lý", "Trình lãnh đạo",
                 "Lãnh đạo quyết định", "Có kết quả", "Trả kết quả"):  # fmt: skip
        assert f'<th scope="row">{step}</th>' in text
    assert await is_pdf(reception.browser, f"/api/dossiers/{dossier.id}/forms/05")
    done = await reception.browser.get(CONSOLE, params={"hang": "da-xong"})
    assert dossier.code is not None and dossier.code in done.text


# ------------------------------------------------------------- other outcomes


async def test_a_supplement_request_lists_every_item(runtime: DossiersRuntime, people: Any) -> None:
    citizen = await people["citizen"]()
    dossier = await submitted(runtime, citizen)
    reception = await people["official"]("reception")
    page = await reception.browser.get(page_url(dossier.id))
    component = dossier.components[1]
    assert f'name="items_component" value="{component.id}"' in page.text
    assert 'name="items_field" value="case_summary"' in page.text

    empty = await act(reception.browser, dossier.id, "request_supplement", items_other="  ")
    assert empty.status_code == 422
    assert "Hãy liệt kê mọi giấy tờ, thông tin còn thiếu" in text_of(empty)
    assert 'href="#request_supplement-items"' in empty.text

    response = await act(
        reception.browser,
        dossier.id,
        "request_supplement",
        items_component=[str(component.id)],
        items_field=["case_summary"],
        items_other="Bản sao sổ hộ nghèo có chứng thực\n\nẢnh chân dung 4x6",
        note="Nộp bổ sung trong 10 ngày",
    )
    after = await followed(reception.browser, response)
    current = await service.get_dossier(runtime, reception.principal, dossier.id)
    assert current.status == "supplement_requested"
    assert [(i.label, i.component_id, i.field) for i in current.supplement_items] == [
        (component.name_vi, component.id, None),
        ("Tóm tắt vụ việc cần trợ giúp", None, "case_summary"),
        ("Bản sao sổ hộ nghèo có chứng thực", None, None),
        ("Ảnh chân dung 4x6", None, None),
    ]
    text = text_of(after)
    assert "Nội dung yêu cầu bổ sung" in text and "Ảnh chân dung 4x6" in text
    event = current.events[-1]
    assert f"/api/dossiers/{dossier.id}/forms/02?event={event.id}" in form_links(
        after.text, dossier.id
    )
    assert await is_pdf(reception.browser, f"/api/dossiers/{dossier.id}/forms/02?event={event.id}")
    assert "Tạm dừng tính thời hạn" not in text  # not received yet: nothing to pause
    listed = await reception.browser.get(CONSOLE, params={"hang": "cho-bo-sung"})
    assert current.code is not None and current.code in listed.text


async def test_a_refusal_gives_its_reasons(runtime: DossiersRuntime, people: Any) -> None:
    citizen = await people["citizen"]()
    dossier = await submitted(runtime, citizen)
    reception = await people["official"]("reception")
    page = await reception.browser.get(page_url(dossier.id))
    assert 'data-confirm="Từ chối tiếp nhận hồ sơ này?' in text_of(page)

    empty = await act(reception.browser, dossier.id, "refuse", reasons="\n")
    assert empty.status_code == 422 and "Hãy ghi rõ lý do từ chối." in text_of(empty)
    assert 'id="refuse-reasons-error"' in empty.text and 'aria-invalid="true"' in empty.text

    refused = await followed(
        reception.browser,
        await act(
            reception.browser,
            dossier.id,
            "refuse",
            reasons="Thủ tục không thuộc thẩm quyền\nNgười nộp không thuộc diện trợ giúp",
        ),
    )
    current = await service.get_dossier(runtime, reception.principal, dossier.id)
    assert current.status == "refused"
    assert current.events[-1].details["reasons"] == [
        "Thủ tục không thuộc thẩm quyền",
        "Người nộp không thuộc diện trợ giúp",
    ]
    event = current.events[-1]
    assert f"/api/dossiers/{dossier.id}/forms/03?event={event.id}" in form_links(
        refused.text, dossier.id
    )
    assert "Người nộp không thuộc diện trợ giúp" in text_of(refused)
    assert 'id="no-actions"' in refused.text


async def test_an_apology_is_offered_only_when_the_date_is_near_or_past(
    runtime: DossiersRuntime, clock: Clock, people: Any
) -> None:
    citizen = await people["citizen"]()
    dossier = await submitted(runtime, citizen)
    reception = await people["official"]("reception")
    await act(reception.browser, dossier.id, "receive")
    calendar = await workdays.load()
    due = await due_in(5)
    page = await reception.browser.get(page_url(dossier.id))
    assert 'id="form-apologise"' not in page.text and vn(due) in page.text
    # Sent anyway (an old page, a crafted form): the service refuses with the reason.
    early = await post_form(
        reception.browser,
        f"{page_url(dossier.id)}/thao-tac",
        {
            "action": "apologise",
            "version": version_in(page.text),
            "new_due_date": (due + dt.timedelta(days=10)).isoformat(),
            "note": "Chậm",
        },
    )
    assert early.status_code == 422
    assert "Chỉ gửi thư xin lỗi khi hồ sơ sắp đến hoặc đã quá ngày hẹn." in text_of(early)

    late_day = calendar.add_working_days(due, 1)  # one working day late
    clock.now = dt.datetime.combine(late_day, dt.time(9), tzinfo=VIETNAM)
    late = await reception.browser.get(page_url(dossier.id))
    text = text_of(late)
    assert 'id="form-apologise"' in late.text and "Quá hạn 1 ngày làm việc" in text
    overdue = await reception.browser.get(CONSOLE, params={"hang": "qua-han"})
    assert dossier.code is not None and dossier.code in overdue.text
    assert 'class="overdue"' in overdue.text

    day_off = next(
        late_day + dt.timedelta(days=n)
        for n in range(1, 10)
        if not calendar.is_working_day(late_day + dt.timedelta(days=n))
    )
    weekend = await act(
        reception.browser, dossier.id, "apologise", new_due_date=day_off.isoformat(), note="Chờ"
    )
    assert weekend.status_code == 422 and "Ngày hẹn mới phải là ngày làm việc." in text_of(weekend)
    assert f'value="{day_off.isoformat()}"' in weekend.text  # what was typed comes back
    new_due = calendar.add_working_days(late_day, 3)
    no_reason = await act(reception.browser, dossier.id, "apologise", new_due_date=vn(new_due))
    assert no_reason.status_code == 422 and "Hãy ghi lý do chậm trễ." in text_of(no_reason)
    apologised = await followed(
        reception.browser,
        await act(
            reception.browser,
            dossier.id,
            "apologise",
            new_due_date=new_due.isoformat(),
            note="Cần xác minh thêm với cơ quan khác",
        ),
    )
    current = await service.get_dossier(runtime, reception.principal, dossier.id)
    assert current.due_date == new_due
    assert f"Hẹn lại từ {vn(due)} sang {vn(new_due)}" in text_of(apologised)
    event = current.events[-1]
    link = f"/api/dossiers/{dossier.id}/forms/04?event={event.id}"
    assert link in form_links(apologised.text, dossier.id)
    assert await is_pdf(reception.browser, link)


async def test_another_agency_sees_neither_the_dossier_nor_its_files(
    runtime: DossiersRuntime, people: Any
) -> None:
    citizen = await people["citizen"]()
    dossier = await submitted(runtime, citizen)
    stranger = await people["official"]("reception", agency=OTHER_AGENCY)
    file_id = dossier.files[0].id
    assert (await stranger.browser.get(page_url(dossier.id))).status_code == 404
    assert (
        await stranger.browser.get(f"/api/dossiers/{dossier.id}/files/{file_id}")
    ).status_code == 404
    assert (
        await stranger.browser.get(page_url(dossier.id), params={"xem": file_id})
    ).status_code == 404
    posted = await post_form(
        stranger.browser,
        f"{page_url(dossier.id)}/thao-tac",
        {"action": "receive", "version": str(dossier.version)},
    )
    assert posted.status_code == 404
    still = await service.get_dossier(runtime, citizen.principal, dossier.id)
    assert still.status == "submitted"


async def test_only_the_assignee_proposes(runtime: DossiersRuntime, people: Any) -> None:
    citizen = await people["citizen"]()
    dossier = await submitted(runtime, citizen)
    reception = await people["official"]("reception")
    assignee = await people["official"]("processing", name="Đỗ Thị Giao")
    other = await people["official"]("processing", name="Vũ Văn Khác")
    await act(reception.browser, dossier.id, "receive")
    await act(reception.browser, dossier.id, "assign", assignee_id=str(assignee.id))

    page = await other.browser.get(page_url(dossier.id))
    assert page.status_code == 200
    assert 'id="form-propose"' not in page.text and 'id="action-propose-approve"' not in page.text
    current = await service.get_dossier(runtime, other.principal, dossier.id)
    refused = await post_form(
        other.browser,
        f"{page_url(dossier.id)}/thao-tac",
        {"action": "propose", "version": str(current.version), "decision": "approve"},
    )
    assert refused.status_code == 403
    assert "Hồ sơ này được giao cho cán bộ khác." in text_of(refused)
    mine = await assignee.browser.get(page_url(dossier.id))
    assert 'id="action-propose-approve"' in mine.text and 'id="action-propose-reject"' in mine.text


async def test_a_dossier_only_its_agency_handles_is_not_passed_on(
    runtime: DossiersRuntime, people: Any
) -> None:
    # Legal aid is the Department of Justice's alone: there is no agency to pass it to,
    # and one named anyway is refused (transfers between communes: test_transfer.py).
    citizen = await people["citizen"]()
    dossier = await submitted(runtime, citizen)
    reception = await people["official"]("reception")
    processor = await people["official"]("processing")
    await act(reception.browser, dossier.id, "receive")
    await act(reception.browser, dossier.id, "assign", assignee_id=str(processor.id))
    page = await processor.browser.get(page_url(dossier.id))
    assert 'id="transfer-none"' in page.text and 'id="form-transfer"' not in page.text
    refused = await post_form(
        processor.browser,
        f"{page_url(dossier.id)}/thao-tac",
        {"action": "transfer", "version": version_in(page.text), "target_agency": OTHER_AGENCY},
    )
    assert refused.status_code == 422
    assert "Sở Tài chính tỉnh Thanh Hóa không thực hiện thủ tục 2.001680" in text_of(refused)
    kept = await service.get_dossier(runtime, processor.principal, dossier.id)
    assert (kept.agency_code, kept.status) == (AGENCY, "processing")


async def test_a_stale_page_is_refused_with_the_reason(
    runtime: DossiersRuntime, people: Any
) -> None:
    citizen = await people["citizen"]()
    dossier = await submitted(runtime, citizen)
    first = await people["official"]("reception")
    second = await people["official"]("reception")
    seen = await second.browser.get(page_url(dossier.id))
    await act(first.browser, dossier.id, "receive")
    late = await post_form(
        second.browser,
        f"{page_url(dossier.id)}/thao-tac",
        {"action": "receive", "version": version_in(seen.text)},
    )
    assert late.status_code == 409
    text = text_of(late)
    assert "Hồ sơ vừa được người khác cập nhật. Hãy tải lại trang để xem trạng thái mới." in text
    assert 'role="alert"' in late.text and "Đã tiếp nhận" in text  # the page as it is now
    events = (await service.get_dossier(runtime, first.principal, dossier.id)).events
    assert [e.action for e in events] == ["submit", "receive"]


# ------------------------------------------------------------------ counter entry


async def test_counter_entry_creates_a_received_dossier(
    runtime: DossiersRuntime, people: Any
) -> None:
    reception = await people["official"]("reception", name="Ngô Thị Quầy")
    start = await reception.browser.get(f"{CONSOLE}/nhap-ho-so")
    assert start.status_code == 200 and f'<option value="{PROCEDURE}">' in start.text
    assert "1.001193" not in start.text  # another agency's procedure is not offered
    foreign = await reception.browser.get(f"{CONSOLE}/nhap-ho-so", params={"thu-tuc": "1.001193"})
    assert foreign.status_code == 422 and "Hãy chọn một thủ tục của cơ quan bạn." in text_of(
        foreign
    )

    form = await reception.browser.get(f"{CONSOLE}/nhap-ho-so", params={"thu-tuc": PROCEDURE})
    assert form.status_code == 200
    assert 'name="f-case_summary"' in form.text and 'name="f-beneficiary_group"' in form.text
    procedure = await catalogue.get_procedure(PROCEDURE)
    paper = [str(c.id) for c in procedure.components[:2]]
    number = phone()
    fields: dict[str, Any] = {
        "procedure_code": PROCEDURE,
        "channel": "assisted",
        "applicant_name": "Hoàng Văn Minh",
        "applicant_phone": number,
        "applicant_id_number": "038090001234",
        "applicant_address": "Xã Nga An, tỉnh Thanh Hóa",
        "f-case_summary": "Cần luật sư bào chữa",
        "f-beneficiary_group": "ngheo",
        "f-household_members": "",
        "f-opponent_id": "",
        "components_received": paper,
    }
    missing = await post_form(
        reception.browser, f"{CONSOLE}/nhap-ho-so", {**fields, "f-beneficiary_group": ""}
    )
    assert missing.status_code == 422
    assert "Hãy chọn một câu trả lời cho “Bạn thuộc diện”." in text_of(missing)
    assert 'href="#f-beneficiary_group"' in missing.text
    assert 'value="Hoàng Văn Minh"' in text_of(missing)  # nothing typed is lost
    bad_phone = await post_form(
        reception.browser, f"{CONSOLE}/nhap-ho-so", {**fields, "applicant_phone": "12"}
    )
    assert bad_phone.status_code == 422 and 'href="#applicant_phone"' in bad_phone.text

    created = await post_form(reception.browser, f"{CONSOLE}/nhap-ho-so", fields)
    assert created.status_code == 303, text_of(created)
    location = created.headers["location"]
    dossier_id = int(re.search(r"/ho-so/(\d+)\?xong=nhap", location).group(1))  # type: ignore[union-attr]
    page = await reception.browser.get(location)
    text = text_of(page)
    # Form 01 is printed with a new claim code (issue 15): a form that posts.
    assert f'action="{CONSOLE}/ho-so/{dossier_id}/ma-nhan"' in page.text
    assert 'id="print-receipt"' in page.text
    assert "cán bộ nhập: Ngô Thị Quầy" in text and "Tổ công tác hỗ trợ nộp" in text
    assert number in text and "đã nhận bản giấy tại quầy" in text
    assert await is_pdf(reception.browser, f"/api/dossiers/{dossier_id}/forms/01")

    rows = await Dossier.select().where(Dossier.id == dossier_id).output(load_json=True)
    row = rows[0]
    assert row["status"] == "received" and row["channel"] == "assisted"
    assert row["entered_by"] == reception.id and row["owner_id"] is None
    assert row["applicant_phone"] == number and row["received_at"] is not None
    assert row["form_data"] == {
        "case_summary": "Cần luật sư bào chữa",
        "beneficiary_group": "ngheo",
    }
    assert row["due_date"] == await due_in(5)
    dossier = await service.get_dossier(runtime, reception.principal, dossier_id)
    assert dossier.events[0].details["components_received"] == [int(i) for i in paper]
    assert "assign" in dossier.actions and 'id="action-assign"' in page.text


async def test_the_console_speaks_english(runtime: DossiersRuntime, people: Any) -> None:
    citizen = await people["citizen"]()
    dossier = await submitted(runtime, citizen)
    reception = await people["official"]("reception")
    reception.browser.client.cookies.set("lang", "en")
    listing = text_of(await reception.browser.get(CONSOLE))
    for words in ("New", "Awaiting supplement", "Overdue", "Result to return", "Finished"):
        assert words in listing
    page = text_of(await reception.browser.get(page_url(dossier.id)))
    assert "Receive the dossier" in page and "Submitted, awaiting reception" in page
    assert "Summary of the matter" in page and "A poor household" in page
