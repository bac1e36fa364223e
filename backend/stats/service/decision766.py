"""The groups of Decision 766/QĐ-TTg (2022), the index of service to people and
businesses: each group's maximum points, the indicators our data can give (each with
its formula, written on the page) and what the group also scores that it cannot.

The page shows rates, no points of its own: the official scoring scale could not be
confirmed. Each indicator's ``key`` is the ``Figures`` property that holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.i18n import N_, Text


@dataclass(frozen=True)
class Indicator:
    """One indicator of the index that our data can give."""

    key: str  # the Counts property that holds it
    name: Text
    formula: Text


@dataclass(frozen=True)
class Group:
    name: Text
    points: int  # the group's maximum in the index
    indicators: tuple[Indicator, ...]
    # What the group also scores that our data cannot give.
    missing: Text


GROUPS: tuple[Group, ...] = (
    Group(
        N_("Công khai, minh bạch"),
        18,
        (),
        N_(
            "Không tính được từ dữ liệu của Một Cửa: cần ngày ban hành quyết định công bố thủ tục,"
            " việc cập nhật, công khai thủ tục và việc đồng bộ hồ sơ lên Cổng Dịch vụ công quốc "
            "gia."
        ),
    ),
    Group(
        N_("Tiến độ, kết quả giải quyết"),
        20,
        (
            Indicator(
                "on_time",
                N_("Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn"),
                N_(
                    "Số hồ sơ có kết quả trong kỳ vào hoặc trước ngày hẹn trả ÷ số hồ sơ có kết "
                    "quả trong kỳ × 100 %. Hồ sơ đã gửi thư xin lỗi, hẹn lại (Mẫu 04) tính là trễ "
                    "hạn. Thời gian chờ người nộp bổ sung không tính (ngày hẹn đã lùi tương ứng)."
                ),
            ),
            Indicator(
                "average_days",
                N_("Thời gian giải quyết trung bình"),
                N_(
                    "Tổng số ngày lịch từ ngày tiếp nhận đến ngày có kết quả ÷ số hồ sơ có kết quả"
                    " trong kỳ. Ngày lịch, kể cả ngày nghỉ và thời gian chờ bổ sung; chung cho mọi"
                    " thủ tục (Quyết định 766 tính theo từng thủ tục)."
                ),
            ),
        ),
        N_(
            "Điểm chính thức của nhóm do hệ thống của Văn phòng Chính phủ chấm; trang này không "
            "quy đổi tỷ lệ ra điểm."
        ),
    ),
    Group(
        N_("Số hóa hồ sơ"),
        22,
        (),
        N_(
            "Không tính được từ dữ liệu của Một Cửa: cần dữ liệu số hóa hồ sơ, kết quả giải quyết "
            "và việc tái sử dụng dữ liệu đã số hóa."
        ),
    ),
    Group(
        N_("Cung cấp dịch vụ trực tuyến"),
        22,
        (
            Indicator(
                "procedures_online",
                N_("Tỷ lệ thủ tục cung cấp dịch vụ công trực tuyến"),
                N_(
                    "Số thủ tục trực tuyến toàn trình hoặc một phần ÷ tổng số thủ tục trong danh "
                    "mục (hiện tại, không theo kỳ) × 100 %."
                ),
            ),
            Indicator(
                "online",
                N_("Tỷ lệ hồ sơ trực tuyến"),
                N_(
                    "Số hồ sơ nộp trực tuyến của các thủ tục có dịch vụ công trực tuyến (toàn "
                    "trình hoặc một phần) ÷ tổng số hồ sơ tiếp nhận trong kỳ của các thủ tục đó, "
                    "mọi kênh × 100 %."
                ),
            ),
            Indicator(
                "full_online",
                N_("Tỷ lệ hồ sơ trực tuyến toàn trình"),
                N_(
                    "Số hồ sơ nộp trực tuyến của các thủ tục toàn trình ÷ tổng số hồ sơ tiếp nhận "
                    "của các thủ tục toàn trình × 100 %."
                ),
            ),
            Indicator(
                "partial_online",
                N_("Tỷ lệ hồ sơ trực tuyến một phần"),
                N_(
                    "Số hồ sơ nộp trực tuyến của các thủ tục một phần ÷ tổng số hồ sơ tiếp nhận "
                    "của các thủ tục một phần × 100 %."
                ),
            ),
            Indicator(
                "paid_online",
                N_("Tỷ lệ thanh toán trực tuyến"),
                N_(
                    "Số hồ sơ nộp phí, lệ phí trong kỳ qua cổng thanh toán (VNPay, VietQR, ...) ÷ "
                    "số hồ sơ nộp phí, lệ phí trong kỳ (kể cả tiền mặt) × 100 %."
                ),
            ),
        ),
        N_("Điểm và trọng số từng chỉ số trong nhóm chưa được xác nhận; trang này chỉ hiện tỷ lệ."),
    ),
    Group(
        N_("Mức độ hài lòng"),
        18,
        (
            Indicator(
                "feedback_on_time",
                N_("Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn"),
                N_(
                    "Số phản ánh, kiến nghị trả lời trong kỳ, đúng hoặc trước hạn ÷ số phản ánh, "
                    "kiến nghị trả lời trong kỳ × 100 %. Phản ánh chưa trả lời đã quá hạn được đếm"
                    " riêng (hiện tại)."
                ),
            ),
            Indicator(
                "feedback_satisfaction",
                N_("Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị"),
                N_(
                    "(Số phản ánh, kiến nghị trả lời trong kỳ − số trả lời quá hạn hoặc bị người "
                    "gửi đánh giá 1–2 trên 5) ÷ số phản ánh, kiến nghị trả lời trong kỳ × 100 %."
                ),
            ),
            Indicator(
                "dossier_satisfaction",
                N_("Tỷ lệ hài lòng trong tiếp nhận, giải quyết thủ tục hành chính"),
                N_(
                    "(Số hồ sơ có kết quả trong kỳ − số hồ sơ trễ hạn, bị người nộp đánh giá 1–2 "
                    "trên 5 hoặc có phản ánh, kiến nghị) ÷ số hồ sơ có kết quả trong kỳ × 100 %."
                ),
            ),
        ),
        N_(
            "Theo các bản tóm tắt Quyết định 766, chỉ số hài lòng trong tiếp nhận, giải quyết được"
            " tối đa 6/18 điểm khi đạt mục tiêu của Nghị quyết 76/NQ-CP; điểm của hai chỉ số kia "
            "và thang quy đổi chưa được xác nhận, nên trang này không tính điểm."
        ),
    ),
)
