"""People without an account are told too: a dossier entered at the counter reaches
the phone the official wrote down (one SMS a notice, with the tracking link that needs
no sign-in), and a feedback sender who left a phone and an e-mail address is told of
the answer by both (the signed tracking link); an anonymous sender, or a dossier with
an account, gets nothing this way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from litestar import Litestar

from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import AssistedCreate
from backend.feedback import service as feedback_service
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.schemas import AnswerIn, FeedbackIn
from backend.feedback.tables import Feedback
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.tables import ChannelJob, Notice
from backend.settings import Settings
from tests.accounts.helpers import Browser, Clock, new_browser, unique_phone
from tests.dossiers.conftest import AGENCY, ANSWERS, PROCEDURE, PersonFactory, submitted
from tests.feedback.conftest import clock, feedback
from tests.notifications.channel_fakes import FakeEsms, FakeSmtp
from tests.notifications.channel_helpers import SENDER, act, drain, with_channels
from tests.notifications.test_channel_email import quiet_outbox
from tests.notifications.test_pages import open_browsers, send

__all__ = ["clock", "feedback", "open_browsers", "quiet_outbox"]


@pytest.fixture
async def esms() -> AsyncIterator[FakeEsms]:
    async with FakeEsms() as gateway:
        yield gateway


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with FakeSmtp() as server:
        yield server


@pytest.fixture
def notify(
    dossiers_app: Litestar, settings: Settings, esms: FakeEsms, smtp: FakeSmtp
) -> NotificationsRuntime:
    return with_channels(
        dossiers_app.state["notifications"],
        settings,
        esms_api_key=esms.api_key,
        esms_secret_key=esms.secret_key,
        esms_brandname=esms.brandname,
        esms_api_url=esms.api_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_from=SENDER,
        smtp_security="none",
        channel_timeout_s=1.0,
    )


async def test_a_counter_dossier_without_an_account_reaches_the_applicants_phone(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    esms: FakeEsms,
    clock: Clock,
    people: PersonFactory,
) -> None:
    reception = await people("staff", "reception")
    phone = unique_phone()
    dossier = await dossiers.create_assisted(
        runtime,
        reception,
        AssistedCreate(
            procedure_code=PROCEDURE,
            channel="counter",
            applicant_name="Lò Thị Mai",
            applicant_phone=phone,
            form_data=ANSWERS,
        ),
    )
    assert dossier.owner_id is None and dossier.status == "received"
    await drain(notify)
    await drain(notify)
    [sms] = [sms for sms in esms.sent if sms.phone == phone]
    token = dossiers.tracking_token(runtime.secret_key, dossier.code or "")
    assert sms.content.startswith(f"Ho so {dossier.code} da duoc tiep nhan.")
    assert sms.content.endswith(f" http://localhost:8000/tra-cuu/{token}")
    assert await Notice.count().where(Notice.dossier_id == dossier.id) == 0, "no inbox"
    [job] = await ChannelJob.select(ChannelJob.channel, ChannelJob.status).where(
        ChannelJob.address == phone
    )
    assert job == {"channel": "sms", "status": "sent"}


async def test_an_online_dossier_is_not_texted_unless_its_owner_chose_it(
    runtime: DossiersRuntime, notify: NotificationsRuntime, esms: FakeEsms, people: PersonFactory
) -> None:
    citizen = await people()
    dossier = await submitted(runtime, citizen)
    await act(runtime, await people("staff", "reception"), dossier.id, "receive")
    await drain(notify)
    assert await ChannelJob.count().where(ChannelJob.dossier_id == dossier.id) == 0


def _feedback(**fields: object) -> FeedbackIn:
    values: dict[str, object] = {
        "category": "thoi_gian",
        "text": "Hồ sơ của tôi chờ quá lâu mà không ai báo.",
        "contact_name": "Trần Văn Ba",
        "publish_consent": True,
        "agency_code": AGENCY,
    }
    return FeedbackIn(**{**values, **fields})  # type: ignore[arg-type]


async def test_a_feedback_sender_without_an_account_is_told_of_the_answer(
    feedback: FeedbackRuntime,
    notify: NotificationsRuntime,
    esms: FakeEsms,
    smtp: FakeSmtp,
    clock: Clock,
    people: PersonFactory,
) -> None:
    reception = await people("staff", "reception", agency=AGENCY)
    phone, address = unique_phone(), f"ba.{unique_phone()}@example.vn"
    clock.advance(hours=2)  # an hour of its own: other tests' feedback is no burst of ours
    told = await feedback_service.submit(
        feedback, None, _feedback(contact_phone=phone, contact_email=address), []
    )
    silent = await feedback_service.submit(
        feedback, None, _feedback(anonymous=True, contact_name=""), []
    )
    for sent in (told, silent):
        # By its code: the agency's queue holds other tests' feedback too.
        [item] = await Feedback.select(Feedback.id).where(Feedback.code == sent.feedback.code)
        await feedback_service.answer(
            feedback, reception, item["id"], AnswerIn(answer="Đã xử lý, xin lỗi ông.")
        )
    await drain(notify)
    await drain(notify)

    code = told.feedback.code
    link = f"http://localhost:8000/phan-anh/{code}?k=" + feedback_service.tracking_token(
        feedback.secret_key, code
    )
    [sms] = [sms for sms in esms.sent if sms.phone == phone]
    assert sms.content == f"Phan anh {code} cua ban da duoc tra loi. {link}"
    [mail] = [mail for mail in smtp.mails if mail.recipients == [address]]
    assert mail.message["Subject"] == "Phản ánh đã được trả lời"
    text = mail.message.get_content()
    assert f"Phản ánh {code} của bạn đã được trả lời." in text and link in text
    assert "để lại địa chỉ thư điện tử" in text
    anonymous = silent.feedback.code
    assert await ChannelJob.count().where(ChannelJob.code == anonymous) == 0


async def test_a_sender_without_an_account_stops_the_emails_from_their_link(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    notify: NotificationsRuntime,
    esms: FakeEsms,
    smtp: FakeSmtp,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    reception = await people("staff", "reception", agency=AGENCY)
    phone, address = unique_phone(), f"chi.{unique_phone()}@example.vn"

    async def answered() -> None:
        clock.advance(hours=2)  # each in an hour of its own: no burst held for review
        sent = await feedback_service.submit(
            feedback, None, _feedback(contact_phone=phone, contact_email=address), []
        )
        # By its code: the agency's queue holds other tests' feedback too.
        [item] = await Feedback.select(Feedback.id).where(Feedback.code == sent.feedback.code)
        await feedback_service.answer(feedback, reception, item["id"], AnswerIn(answer="Đã xử lý."))
        await drain(notify)

    await answered()
    [mail] = [mail for mail in smtp.mails if mail.recipients == [address]]
    link = mail.message["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://localhost:8000/thong-bao/ngung/c")
    assert f"Không muốn nhận nữa: {link}" in mail.message.get_content()

    browser = await new_browser(dossiers_app)
    open_browsers.append(browser)
    path = link.removeprefix("http://localhost:8000")
    page = await browser.get(path)
    assert page.status_code == 200 and 'id="stop"' in page.text
    # Opening the link (as a mail scanner does) stops nothing: the form does.
    await answered()
    assert len([m for m in smtp.mails if m.recipients == [address]]) == 2
    stopped = await send(browser, path, [])
    assert stopped.status_code == 200 and "Đã ngừng." in stopped.text

    await answered()
    assert len([m for m in smtp.mails if m.recipients == [address]]) == 2, "no more e-mail"
    assert len([sms for sms in esms.sent if sms.phone == phone]) == 3, "the phone is apart"

    forged = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
    assert (await browser.get(forged)).status_code == 404
    assert (await send(browser, forged, [])).status_code == 404
