"""What a notice says: the kinds of event a person is told about, each notice's title
and body (only the dossier's code, its state and a date: no name, no answers) and
where it leads. Written in Vietnamese and translated when shown, in the inbox's
language or in the one a device chose when it subscribed."""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.i18n import N_, Localized, Moment, Text, Translatable

# The events a person is told about, by what they are called (the settings list them).
KINDS: dict[str, Text] = {
    "dossier.received": N_("Hồ sơ đã được tiếp nhận"),
    "dossier.supplement_requested": N_("Hồ sơ cần bổ sung"),
    "dossier.late": N_("Hồ sơ trễ hẹn, có ngày hẹn mới"),
    "dossier.result_ready": N_("Hồ sơ đã có kết quả"),
    "dossier.refused": N_("Hồ sơ bị từ chối tiếp nhận"),
    "dossier.returned": N_("Đã trả kết quả"),
    "payment.confirmed": N_("Đã thanh toán"),
    "payment.failed": N_("Thanh toán chưa thành công"),
    "payment.refunded": N_("Đã hoàn phí"),
    "feedback.answered": N_("Phản ánh đã được trả lời"),
}
# What the person must act on goes out at once even on a phone saving its battery.
URGENT = frozenset({"dossier.supplement_requested", "dossier.late", "dossier.refused"})
_NOTICE = N_("Thông báo")


class NoticeRow(msgspec.Struct, frozen=True, kw_only=True):
    """A line of the inbox as stored."""

    id: int
    account_id: int
    kind: str
    dossier_id: int | None
    code: str | None
    status: str
    due_date: str | None  # ISO day: the result's due date, when the event sets one
    created_at: dt.datetime
    read_at: dt.datetime | None


def notice_title(kind: str) -> Text:
    return KINDS.get(kind, _NOTICE)


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
        case "payment.confirmed":
            return N_("Đã nhận thanh toán cho hồ sơ %(code)s.", code=code)
        case "payment.failed":
            return N_(
                "Thanh toán cho hồ sơ %(code)s chưa thành công. Bấm để thanh toán lại.", code=code
            )
        case "payment.refunded":
            return N_("Đã hoàn phí, lệ phí của hồ sơ %(code)s.", code=code)
        case "feedback.answered":
            return N_("Phản ánh %(code)s của bạn đã được trả lời.", code=code)
    return Localized(code, code)


def notice_text(notice: NoticeRow, lang: str) -> tuple[str, str]:
    """(title, body) in ``lang``."""
    body = notice_body(notice.kind, notice.code or "", notice.due_date)
    return notice_title(notice.kind).render(lang), body.render(lang)


def notice_url(notice: NoticeRow) -> str:
    """What the notice is about: the dossier, its rating, the feedback, or the inbox."""
    if notice.kind == "feedback.answered" and notice.code:
        return f"/phan-anh/{notice.code}"
    if notice.kind == "dossier.returned" and notice.dossier_id:
        return f"/ho-so/{notice.dossier_id}/danh-gia"
    return f"/ho-so/{notice.dossier_id}" if notice.dossier_id else "/thong-bao"
