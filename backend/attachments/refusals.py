"""Why an upload is refused, in words its sender can act on (field "file")."""

from __future__ import annotations

from typing import Final

from backend.errors import InvalidInput
from backend.i18n import N_, Text

IMAGE_DAMAGED: Final = N_("Ảnh này bị hỏng hoặc chưa tải lên hết. Hãy chụp lại hoặc chọn tệp khác.")
PDF_DAMAGED: Final = N_(
    "Tệp PDF này bị hỏng hoặc chưa tải lên hết. Hãy tạo lại tệp PDF hoặc chụp ảnh giấy tờ."
)
PDF_ACTIVE: Final = N_(
    "Tệp PDF này có chứa mã chạy tự động hoặc lệnh mở chương trình nên không thể nhận. "
    "Hãy chụp ảnh giấy tờ rồi gửi ảnh."
)
PDF_ATTACHED: Final = N_(
    "Tệp PDF này có đính kèm tệp khác bên trong nên không thể nhận. Hãy gửi riêng từng giấy tờ."
)


def refusal(message: Text) -> InvalidInput:
    return InvalidInput(message, field="file")


def smuggled(kind: Text) -> InvalidInput:
    """Something else hides in the file besides what it claims to be."""
    return refusal(
        N_(
            "Tệp này có chứa thứ khác ngoài %(kind)s nên không thể nhận. "
            "Hãy chụp lại hoặc chọn tệp khác.",
            kind=kind,
        )
    )
