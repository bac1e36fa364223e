"""The data of an electronic receipt of fees and charges as XML, for the payer and for
officials: the same ``ReceiptView`` as the PDF, so every value equals the printed one.

The tax authority's own schema for e-receipts could not be found. What is known comes
from its published forms for electronic documents ("chứng từ điện tử", Decision
1306/QĐ-CT and the stylesheets of form 04/SS-CTDT): a document is named by ``KHMSCTu``
(template symbol), ``KHCTu`` (symbol), ``SCTu`` (number), ``NLap`` (date, YYYY-MM-DD)
and ``LCTDT`` (its kind, 3: "biên lai thu thuế, phí, lệ phí không in sẵn mệnh giá").
The rest borrows the names of the e-invoice schema (Decision 1450/QĐ-TCT: ``TTChung``,
``PBan``, ``DVTTe``, ``HTTToan``, ``Ten``, ``MST``, ``DChi``, ``STT``, ``TToan``,
``TgTTTBSo``, ``TgTTTBChu``, ``DSCKS``) for the matching parts, and names of our own,
by the same rule, where a receipt has parts an invoice has not. The document says
which, in a comment; so does the README."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from backend.payments.receipt_pdf import TITLE, ReceiptView, check
from backend.payments.words import vnd_in_words
from backend.vietnam import in_vietnam

# The version of the electronic documents' messages in Decision 1306/QĐ-CT's forms.
VERSION = "2.1.0"
# "Biên lai thu thuế, phí, lệ phí không in sẵn mệnh giá" in form 04/SS-CTDT's list.
KIND = "3"
NOTE = (
    " Dữ liệu biên lai điện tử thu phí, lệ phí (Nghị định 123/2020/NĐ-CP, Thông tư"
    " 78/2021/TT-BTC). Chưa xác minh được lược đồ XML biên lai của cơ quan thuế."
    " Tên thẻ theo mẫu chứng từ điện tử (QĐ 1306/QĐ-CT): KHMSCTu, KHCTu, SCTu, NLap,"
    " LCTDT. Theo hóa đơn điện tử (QĐ 1450/QĐ-TCT): TTChung, PBan, DVTTe, HTTToan, Ten,"
    " MST, DChi, STT, TToan, TgTTTBSo, TgTTTBChu, DSCKS. Chưa xác minh (đặt theo cùng"
    " quy tắc): BLai, DLBLai, TBLai, MGDich, NDBLai, TCThu, NNTien, DSKThu, KThu, MHSo,"
    " TKThu, CCu, STien, TgTien, TgTHoan. Chưa ký số: DSCKS để trống. "
)


def _add(parent: ET.Element, tag: str, value: str | int) -> None:
    """A child element, left out when it has nothing to say."""
    text = str(value).strip()
    if text:
        ET.SubElement(parent, tag).text = text


def _party(parent: ET.Element, tag: str, name: str, tax_code: str | None, address: str) -> None:
    party = ET.SubElement(parent, tag)
    _add(party, "Ten", name)
    _add(party, "MST", tax_code or "")
    _add(party, "DChi", address)


def receipt_xml(view: ReceiptView, receipt_id: int) -> bytes:
    """The receipt's data, UTF-8 with its declaration; refused (ValueError) when the
    receipt contradicts itself, as the PDF is."""
    check(view)
    root = ET.Element("BLai")
    root.append(ET.Comment(NOTE))
    data = ET.SubElement(root, "DLBLai", Id=f"BL{receipt_id}")
    common = ET.SubElement(data, "TTChung")
    _add(common, "PBan", VERSION)
    _add(common, "TBLai", TITLE)
    _add(common, "LCTDT", KIND)
    _add(common, "KHMSCTu", view.template_symbol)
    _add(common, "KHCTu", view.symbol)
    _add(common, "SCTu", view.number)
    _add(common, "NLap", in_vietnam(view.issued_at).date().isoformat())
    _add(common, "DVTTe", "VND")
    _add(common, "HTTToan", view.method)
    _add(common, "MGDich", view.transaction_ref)

    content = ET.SubElement(data, "NDBLai")
    _party(content, "TCThu", view.agency_name, view.agency_tax_code, view.agency_address)
    _party(content, "NNTien", view.payer_name, view.payer_tax_code, view.payer_address)
    items = ET.SubElement(content, "DSKThu")
    for number, item in enumerate(view.items, start=1):
        line = ET.SubElement(items, "KThu")
        _add(line, "STT", number)
        _add(line, "MHSo", item.dossier_code)
        _add(line, "TKThu", item.label)
        _add(line, "CCu", item.rule)
        _add(line, "STien", item.amount_vnd)
    total = ET.SubElement(content, "TToan")
    _add(total, "TgTien", view.total_vnd)
    _add(total, "TgTTTBSo", view.collected_vnd)
    _add(total, "TgTTTBChu", vnd_in_words(view.collected_vnd))
    if view.refunded_vnd:
        _add(total, "TgTHoan", view.refunded_vnd)
    ET.SubElement(root, "DSCKS")
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
