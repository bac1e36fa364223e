"""The five forms of the one-stop shop (Circular 01/2018/TT-VPCP): their numbers and
titles, the event each of forms 02 to 04 documents, and what drawing one needs beside
the dossier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from backend.dossiers.lifecycle import Action
from backend.dossiers.schemas import DossierRead, EventRead
from backend.i18n import N_, Text

FormKind = Literal["01", "02", "03", "04", "05"]

# Pages name the forms in the reader's language; the forms themselves are printed in
# Vietnamese, as the law writes them (``render("vi")``).
FORM_TITLES: dict[FormKind, Text] = {
    "01": N_("Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    "02": N_("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "03": N_("Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
    "04": N_("Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
    "05": N_("Phiếu kiểm soát quá trình giải quyết hồ sơ"),
}

# The action each event-based form documents.
FORM_ACTIONS: dict[FormKind, Action] = {
    "02": "request_supplement",
    "03": "refuse",
    "04": "apologise",
}


@dataclass(frozen=True, slots=True)
class FormContext:
    agency_name: str  # Vietnamese name of the agency issuing the form
    agency_address: str
    province_name: str  # e.g. "Tỉnh Thanh Hóa"
    tracking_url: str  # the public tracking link (signed) for the QR code on form 01
    officials: dict[int, str]  # account id -> full name, for the slip and signature lines
    # Form 01 of a counter dossier, printed as its claim code is issued: the code the
    # citizen takes it into their account with ("" on any other print).
    claim_code: str = ""


def latest_event(dossier: DossierRead, action: Action) -> EventRead | None:
    matching = [e for e in dossier.events if e.action == action]
    return max(matching, key=lambda e: (e.at, e.id)) if matching else None
