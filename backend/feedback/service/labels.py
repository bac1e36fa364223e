"""What people read of the feedback's data: the five levels of the scale, the survey's
criteria, the kinds of feedback, its states, and the fields' names in messages.

Every label is a gettext message (English in ``feedback.po``), translated when shown;
templates show them with ``tr()``.
"""

from __future__ import annotations

from typing import Final

from backend.i18n import N_, Text

SCALE: Final[dict[int, Text]] = {
    1: N_("Rất không hài lòng"),
    2: N_("Không hài lòng"),
    3: N_("Bình thường"),
    4: N_("Hài lòng"),
    5: N_("Rất hài lòng"),
}
# The survey's optional questions, on the same scale (their names are RatingIn's fields).
CRITERIA: Final[dict[str, Text]] = {
    "info": N_("Thông tin đầy đủ, dễ tìm"),
    "speed": N_("Thời gian giải quyết"),
    "convenience": N_("Thuận tiện khi làm thủ tục"),
    "attitude": N_("Thái độ của cán bộ"),
}
CATEGORIES: Final[dict[str, Text]] = {
    "thu_tuc": N_("Quy định, thủ tục hành chính"),
    "thoi_gian": N_("Chậm trễ, thời gian giải quyết"),
    "thai_do": N_("Thái độ, hành vi của cán bộ"),
    "phi": N_("Phí, lệ phí"),
    "co_so": N_("Cơ sở vật chất, nơi tiếp nhận"),
    "khac": N_("Vấn đề khác"),
}
STATUSES: Final[dict[str, Text]] = {
    "open": N_("Đang chờ trả lời"),
    "answered": N_("Đã trả lời"),
    "held": N_("Đang chờ kiểm tra trước khi tiếp nhận"),
    "rejected": N_("Không được tiếp nhận"),
}
# The fields as people call them, in the messages about them (forms.convert).
FIELDS: Final[dict[str, Text]] = {
    "overall": N_("Mức độ hài lòng chung"),
    **CRITERIA,
    "comment": N_("Ý kiến thêm"),
    "stated_code": N_("Mã hồ sơ"),
    "visit_code": N_("Mã đánh giá tại quầy"),
    "category": N_("Loại phản ánh"),
    "text": N_("Nội dung phản ánh"),
    "anonymous": N_("Gửi ẩn danh"),
    "publish_consent": N_("Đồng ý công khai"),
    "contact_name": N_("Họ và tên"),
    "contact_phone": N_("Số điện thoại"),
    "contact_email": N_("Thư điện tử"),
    "dossier_id": N_("Hồ sơ"),
    "counter_token": N_("Mã QR của quầy"),
    "procedure_code": N_("Thủ tục"),
    "agency_code": N_("Cơ quan nhận phản ánh"),
    "answer": N_("Câu trả lời"),
    "publish": N_("Công khai câu trả lời"),
    "note": N_("Ghi chú"),
    "stars": N_("Đánh giá câu trả lời"),
}
