"""What a notice says: the kinds of event a person is told about, each notice's title
and body (only the dossier's code, its state and a date: no name, no answers; for a
passkey added at a counter, the agency and the moment; for a transfer, the agency now
handling the dossier) and where it leads. Written in Vietnamese and translated when
shown, in the inbox's language or in the one a device chose when it subscribed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import msgspec

from backend.accounts import service as accounts
from backend.catalogue import service as catalogue
from backend.errors import AppError
from backend.i18n import N_, Localized, Moment, Text, Translatable

# A transfer's notice names the agency now handling the dossier.
TRANSFERRED = "dossier.transferred"
# The events a person is told about, by what they are called (the settings list them).
KINDS: dict[str, Text] = {
    "dossier.received": N_("Hồ sơ đã được tiếp nhận"),
    "dossier.supplement_requested": N_("Hồ sơ cần bổ sung"),
    "dossier.late": N_("Hồ sơ trễ hẹn, có ngày hẹn mới"),
    "dossier.result_ready": N_("Hồ sơ đã có kết quả"),
    "dossier.refused": N_("Hồ sơ bị từ chối tiếp nhận"),
    "dossier.returned": N_("Đã trả kết quả"),
    TRANSFERRED: N_("Hồ sơ được chuyển cơ quan giải quyết"),
    # A dossier waiting for its fees before reception (issue 16): on submission, then
    # reminders while unpaid; both lead to the pay page.
    "payment.due": N_("Cần nộp phí, lệ phí"),
    "payment.reminder": N_("Nhắc nộp phí, lệ phí"),
    "payment.confirmed": N_("Đã thanh toán"),
    "payment.failed": N_("Thanh toán chưa thành công"),
    "payment.refunded": N_("Đã hoàn phí"),
    "payment.partial": N_("Đã nhận một phần phí, lệ phí"),
    "payment.excess": N_("Có tiền nộp thừa sẽ được hoàn lại"),
    "feedback.answered": N_("Phản ánh đã được trả lời"),
    # A visit booked (issue 19): the evening before; a queue ticket: near the front, called.
    "appointment.reminder": N_("Nhắc lịch hẹn"),
    "appointment.cancelled": N_("Lịch hẹn bị hủy vì cơ quan nghỉ"),
    "ticket.near": N_("Sắp đến lượt bạn"),
    "ticket.called": N_("Đến lượt bạn"),
}
# Told whatever the person muted, and not offered in the settings: someone else may be
# taking the account over. The notice keeps the "this was not me" token as its code
# and names the agency whose counter added the passkey.
SECURITY: dict[str, Text] = {
    accounts.NOTICE_KIND: N_("Khóa truy cập mới được thêm tại quầy"),
    # Who acts for an organisation changed (an official decided a claim to represent it):
    # the owners and the claimant are told, with no code to show, only where to look.
    accounts.ORGANISATION_CLAIMED: N_("Tổ chức của bạn có thêm người đại diện"),
    accounts.CLAIM_CONFIRMED: N_("Yêu cầu đại diện tổ chức được xác nhận"),
    accounts.CLAIM_REJECTED: N_("Yêu cầu đại diện tổ chức bị từ chối"),
    # Someone tried to sign up with the person's number: the sign-up page does not say
    # the number has an account (it would tell anyone), so its owner is told here.
    accounts.SIGN_UP_ATTEMPTED: N_("Có người định đăng ký bằng số điện thoại của bạn"),
}
# What the worker turns into notices.
TOLD = frozenset(KINDS) | frozenset(SECURITY)
# What the person must act on goes out at once even on a phone saving its battery.
URGENT = frozenset(
    {
        "dossier.supplement_requested",
        "dossier.late",
        "dossier.refused",
        accounts.NOTICE_KIND,
        "ticket.near",
        "ticket.called",
    }
)
# The visit's reminder names the agency; its notice's status is the time, its code the
# booking's. A ticket's code is its number, its status the ticket page's id.
REMINDER = "appointment.reminder"
CANCELLED = "appointment.cancelled"
_NOTICE = N_("Thông báo")
_ANOTHER_AGENCY = N_("một cơ quan khác")


class NoticeRow(msgspec.Struct, frozen=True, kw_only=True):
    """A line of the inbox as stored."""

    id: int
    account_id: int
    kind: str
    dossier_id: int | None
    code: str | None
    status: str
    due_date: str | None  # ISO day: the result's due date, when the event sets one
    agency_code: str = ""
    created_at: dt.datetime
    read_at: dt.datetime | None


def notice_title(kind: str) -> Text:
    return KINDS.get(kind) or SECURITY.get(kind, _NOTICE)


async def agency_names(notices: Iterable[NoticeRow]) -> dict[str, Localized]:
    """The agencies the counter and transfer notices among these name (usually none:
    no query)."""
    names: dict[str, Localized] = {}
    for code in sorted({n.agency_code for n in notices if n.agency_code}):
        try:
            agency = await catalogue.get_agency(code)
        except AppError:
            continue  # since removed from the catalogue: the code stands for it
        names[code] = Localized(agency.name_vi, agency.name_en)
    return names


def _counter_body(notice: NoticeRow, agencies: Mapping[str, Localized]) -> Text:
    time = Moment(notice.created_at)
    if not notice.agency_code:
        return N_(
            "Lúc %(time)s, một khóa truy cập mới đã được thêm vào tài khoản của bạn tại "
            "quầy một cửa. Nếu không phải bạn, hãy bấm vào đây: “Đây không phải tôi”.",
            time=time,
        )
    return N_(
        "Lúc %(time)s, một khóa truy cập mới đã được thêm vào tài khoản của bạn tại quầy "
        "một cửa của %(agency)s. Nếu không phải bạn, hãy bấm vào đây: “Đây không phải tôi”.",
        time=time,
        agency=agencies.get(notice.agency_code)
        or Localized(notice.agency_code, notice.agency_code),
    )


def _transfer_body(notice: NoticeRow, agencies: Mapping[str, Localized]) -> Text:
    agency = agencies.get(notice.agency_code) if notice.agency_code else None
    return N_(
        "Hồ sơ %(code)s đã được chuyển đến %(agency)s để giải quyết.",
        code=notice.code or "",
        agency=agency or _ANOTHER_AGENCY,
    )


def _reminder_body(notice: NoticeRow, agencies: Mapping[str, Localized]) -> Text:
    agency = agencies.get(notice.agency_code) if notice.agency_code else None
    return N_(
        "Bạn có lịch hẹn lúc %(time)s ngày %(date)s tại %(agency)s (mã %(code)s). Mang đủ "
        "giấy tờ; đến nơi, quét mã QR ở cửa vào để lấy số ưu tiên.",
        time=notice.status,
        date=Moment(dt.date.fromisoformat(notice.due_date)) if notice.due_date else "",
        agency=agency or _ANOTHER_AGENCY,
        code=notice.code or "",
    )


def _cancelled_body(notice: NoticeRow, agencies: Mapping[str, Localized]) -> Text:
    agency = agencies.get(notice.agency_code) if notice.agency_code else None
    return N_(
        "%(agency)s nghỉ ngày %(date)s nên lịch hẹn %(code)s lúc %(time)s đã bị hủy. Bấm "
        "để chọn ngày khác.",
        agency=agency or _ANOTHER_AGENCY,
        date=Moment(dt.date.fromisoformat(notice.due_date)) if notice.due_date else "",
        code=notice.code or "",
        time=notice.status,
    )


def notice_body(kind: str, code: str, due: str | None) -> Translatable:
    date: Moment | str = Moment(dt.date.fromisoformat(due)) if due else ""
    match kind:
        case "dossier.received":
            return N_(
                "Hồ sơ %(code)s đã được tiếp nhận. Hẹn trả kết quả ngày %(date)s.",
                code=code,
                date=date,
            )
        case "dossier.supplement_requested":
            return N_("Hồ sơ %(code)s cần bổ sung giấy tờ. Bấm để xem cần gì.", code=code)
        case "dossier.late":
            return N_(
                "Hồ sơ %(code)s chậm so với hẹn. Ngày hẹn mới: %(date)s.", code=code, date=date
            )
        case "dossier.result_ready":
            return N_("Hồ sơ %(code)s đã có kết quả. Bấm để xem cách nhận.", code=code)
        case "dossier.refused":
            return N_("Hồ sơ %(code)s không được tiếp nhận. Bấm để xem lý do.", code=code)
        case "dossier.returned":
            return N_("Hồ sơ %(code)s đã trả kết quả. Bấm để đánh giá mức độ hài lòng.", code=code)
        case "payment.due":
            return N_(
                "Đã gửi hồ sơ %(code)s. Cơ quan chỉ tiếp nhận sau khi bạn nộp phí, lệ phí."
                " Bấm để thanh toán.",
                code=code,
            )
        case "payment.reminder":
            return N_(
                "Hồ sơ %(code)s chưa được tiếp nhận vì chưa nộp phí, lệ phí. Bấm để thanh toán.",
                code=code,
            )
        case "payment.confirmed":
            return N_("Đã nhận thanh toán cho hồ sơ %(code)s.", code=code)
        case "payment.failed":
            return N_(
                "Thanh toán cho hồ sơ %(code)s chưa thành công. Bấm để thanh toán lại.", code=code
            )
        case "payment.refunded":
            return N_("Đã hoàn phí, lệ phí của hồ sơ %(code)s.", code=code)
        case "payment.partial":
            return N_(
                "Đã nhận một phần phí, lệ phí của hồ sơ %(code)s. Bấm để xem số còn thiếu"
                " và nộp nốt.",
                code=code,
            )
        case "payment.excess":
            return N_(
                "Khoản nộp cho hồ sơ %(code)s bị thừa hoặc trùng: cơ quan sẽ hoàn lại cho bạn."
                " Bấm để xem số tiền.",
                code=code,
            )
        case "feedback.answered":
            return N_("Phản ánh %(code)s của bạn đã được trả lời.", code=code)
        case "ticket.near":
            return N_("Sắp đến lượt số %(code)s. Hãy đến gần quầy để không bị lỡ lượt.", code=code)
        case "ticket.called":
            return N_("Mời số %(code)s đến quầy. Bấm để xem quầy nào.", code=code)
        case accounts.CLAIM_CONFIRMED:
            return N_(
                "Cơ quan đã xác nhận bạn là người đại diện của tổ chức; bạn có quyền như chủ "
                "tài khoản. Bấm để mở trang tổ chức."
            )
        case accounts.CLAIM_REJECTED:
            return N_("Yêu cầu đại diện tổ chức của bạn không được chấp nhận. Bấm để xem lý do.")
        case accounts.SIGN_UP_ATTEMPTED:
            return N_(
                "Ai đó vừa định tạo tài khoản mới bằng số điện thoại của bạn; không có gì "
                "thay đổi. Nếu là bạn: hãy đăng nhập bằng khóa truy cập, hoặc dùng mã khôi "
                "phục nếu mất điện thoại."
            )
        case accounts.ORGANISATION_CLAIMED:
            return N_(
                "Theo giấy chứng nhận đăng ký kinh doanh, cơ quan đã xác nhận thêm một người "
                "đại diện có quyền như chủ tài khoản cho tổ chức của bạn. Bấm để xem thành viên."
            )
    return Localized(code, code)


def notice_text(
    notice: NoticeRow, lang: str, agencies: Mapping[str, Localized] | None = None
) -> tuple[str, str]:
    """(title, body) in ``lang``; ``agencies``: what ``agency_names`` found."""
    if notice.kind == accounts.NOTICE_KIND:
        body: Translatable = _counter_body(notice, agencies or {})
    elif notice.kind == TRANSFERRED:
        body = _transfer_body(notice, agencies or {})
    elif notice.kind == REMINDER:
        body = _reminder_body(notice, agencies or {})
    elif notice.kind == CANCELLED:
        body = _cancelled_body(notice, agencies or {})
    else:
        body = notice_body(notice.kind, notice.code or "", notice.due_date)
    return notice_title(notice.kind).render(lang), body.render(lang)


def notice_url(notice: NoticeRow) -> str:
    """What the notice is about: the dossier, its rating, the feedback, "this was not
    me" for a passkey added at a counter, or the inbox."""
    if notice.kind == accounts.NOTICE_KIND and notice.code:
        return f"{accounts.DISOWN_PATH}/{notice.code}"
    if notice.kind in {accounts.CLAIM_CONFIRMED, accounts.ORGANISATION_CLAIMED} and notice.code:
        return f"/to-chuc/{notice.code}"
    if notice.kind == accounts.CLAIM_REJECTED and notice.code:
        return f"/to-chuc/yeu-cau/{notice.code}"
    if notice.kind == "feedback.answered" and notice.code:
        return f"/phan-anh/{notice.code}"
    if notice.kind in {REMINDER, CANCELLED} and notice.code:
        return f"/lich-hen/{notice.code}"
    if notice.kind in {"ticket.near", "ticket.called"} and notice.status:
        return f"/so-thu-tu/{notice.status}"
    if notice.kind == "dossier.returned" and notice.dossier_id:
        return f"/ho-so/{notice.dossier_id}/danh-gia"
    if notice.kind in {"payment.due", "payment.reminder"} and notice.dossier_id:
        return f"/ho-so/{notice.dossier_id}/thanh-toan"
    return f"/ho-so/{notice.dossier_id}" if notice.dossier_id else "/thong-bao"
