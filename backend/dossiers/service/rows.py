"""A dossier's row as the service works on it, read by fixed SQL text on every request
(see ``backend.db.fetch``: Piccolo would build the query anew each call), and the two
refusals every read and step may give: "not found" and "changed since you looked"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from backend.catalogue.schemas import FeeLine, FormField, PaymentStage
from backend.db import fetch
from backend.dossiers.lifecycle import Decision, Status
from backend.dossiers.schemas import Channel, ComponentSnapshot, PaymentStatus, SupplementItem
from backend.errors import Conflict, NotFound
from backend.i18n import N_


class DossierRow(msgspec.Struct, kw_only=True):
    """One ``dossiers_dossier`` row, its JSON columns decoded."""

    id: int
    code: str | None
    draft_key: str
    procedure_code: str
    procedure_name_vi: str
    procedure_name_en: str
    processing_days: int
    components: list[ComponentSnapshot]
    form_fields: list[FormField]
    receiving_agency: str
    agency_code: str
    status: Status
    resume_status: Status | None
    channel: Channel
    owner_id: int | None
    organisation_id: int | None
    entered_by: int | None
    assignee_id: int | None
    applicant_name: str
    applicant_phone: str
    applicant_id_number: str
    applicant_address: str
    applicant_group: str
    form_data: dict[str, str]
    supplement_items: list[SupplementItem]
    decision: Decision | None
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    due_date: dt.date | None
    paused_at: dt.datetime | None
    result_ready_at: dt.datetime | None
    finished_at: dt.datetime | None
    version: int
    # The catalogue's fee definitions when the draft was made (``catalogue.fee_lines``
    # reads them as they are).
    fees: list[dict[str, Any]]
    fee_lines: list[FeeLine]
    fee_total: int
    payment_stage: PaymentStage
    payment_status: PaymentStatus


def columns(kind: type[msgspec.Struct], *, leave_out: tuple[str, ...] = ()) -> str:
    """A Struct's fields as the column list of a fixed SELECT."""
    return ", ".join(f'"{name}"' for name in kind.__struct_fields__ if name not in leave_out)


# Typed decoders: the JSON columns come back as text (on both databases).
DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "components": msgspec.json.Decoder(list[ComponentSnapshot]),
    "form_fields": msgspec.json.Decoder(list[FormField]),
    "form_data": msgspec.json.Decoder(dict[str, str]),
    "supplement_items": msgspec.json.Decoder(list[SupplementItem]),
    "fees": msgspec.json.Decoder(list[dict[str, Any]]),
    "fee_lines": msgspec.json.Decoder(list[FeeLine]),
}
# Column names from the Struct, known at import: fixed text, no input in it.
_DOSSIER = f"SELECT {columns(DossierRow)} FROM dossiers_dossier WHERE id = {{}}"  # noqa: S608


async def load_row(dossier_id: int) -> DossierRow:
    rows = await fetch(_DOSSIER, dossier_id)
    if not rows:
        raise not_found()
    row = rows[0]
    for column, decoder in DECODERS.items():
        row[column] = decoder.decode(row[column])
    # The database gives every column its type already: no second conversion.
    return DossierRow(**row)


def not_found() -> NotFound:
    return NotFound(N_("Không tìm thấy hồ sơ này, hoặc bạn không có quyền xem."), field="dossier")


def stale() -> Conflict:
    return Conflict(
        N_("Hồ sơ vừa được người khác cập nhật. Hãy tải lại trang để xem trạng thái mới."),
        field="version",
    )
