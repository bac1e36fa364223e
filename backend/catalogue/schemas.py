from typing import Annotated, Literal

import msgspec
from litestar.params import PathParameter

# A procedure's code as an address carries it (/p/{code}): lenient on purpose, so that a
# code of the wrong form is "not found" (404) like an unknown one, not a bad request.
ProcedureCodeParam = Annotated[str, PathParameter(max_length=32, pattern=r"^[0-9A-Za-z.\-]+$")]

Level = Literal["province", "commune"]
UnitKind = Literal["province", "ward", "commune"]
OnlineLevel = Literal["full", "partial", "info"]
FeeKind = Literal["phi", "le_phi"]
# When the fees are due: before the agency receives the dossier, or before the result
# is handed over.
PaymentStage = Literal["reception", "result"]


FieldType = Literal["text", "number", "date", "choice", "address", "id_number"]
FieldName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class FieldChoice(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    value: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    label_vi: Label
    label_en: Label


class FieldCondition(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Ask the field (or charge the fee line) only when another field has this answer."""

    field: FieldName
    equals: Annotated[str, msgspec.Meta(max_length=40)]


class FormField(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One question of a procedure's online form, defined as data in the catalogue."""

    name: FieldName
    type: FieldType
    label_vi: Label
    label_en: Label
    required: bool = True
    hint_vi: str = ""
    hint_en: str = ""
    options: list[FieldChoice] = msgspec.field(default_factory=list)
    when: FieldCondition | None = None
    max_length: Annotated[int, msgspec.Meta(ge=1, le=2000)] = 200
    min: float | None = None
    max: float | None = None


class AgencyRead(msgspec.Struct, kw_only=True):
    code: str
    name_vi: str
    name_en: str
    level: Level
    address: str
    hours_vi: str
    hours_en: str
    phone: str | None
    unit_code: str = ""


class UnitRead(msgspec.Struct, kw_only=True):
    """An administrative unit: the province, or one of its communes and wards."""

    code: str
    name_vi: str
    name_en: str
    kind: UnitKind
    parent_code: str | None
    unconfirmed: bool = False


class Place(msgspec.Struct, kw_only=True, frozen=True):
    """An agency that carries out a procedure, with the unit it serves."""

    agency: AgencyRead
    unit: UnitRead | None


class CounterBrief(msgspec.Struct, kw_only=True):
    number: int
    name_vi: str
    name_en: str
    # Another agency's counter that receives the procedure for it (the provincial
    # public administration service centre's, for a department); None: its own.
    at: AgencyRead | None = None


class ProvisionRead(msgspec.Struct, kw_only=True):
    """Where a procedure is carried out: an agency, what it adds about it, and the
    counters of the agency that receive it."""

    agency: AgencyRead
    unit: UnitRead | None
    note_vi: str
    note_en: str
    counters: list[CounterBrief]


class ComponentRead(msgspec.Struct, kw_only=True):
    id: int
    name_vi: str
    name_en: str
    originals: int
    copies: int
    required: bool
    template: str | None
    uploadable: bool


class FeeRead(msgspec.Struct, kw_only=True):
    """A fee line. ``when``: charged only when that form answer has that value;
    ``per_field``: a "number" form field whose answer multiplies the amount."""

    kind: FeeKind
    label_vi: str
    label_en: str
    amount: int
    online_amount: int | None
    when: FieldCondition | None = None
    per_field: FieldName | None = None


class ProcedureSummary(msgspec.Struct, kw_only=True):
    code: str
    name_vi: str
    name_en: str
    field_vi: str
    field_en: str
    level: Level
    online_level: OnlineLevel
    processing_days: int
    anywhere: bool


class ProcedureRead(ProcedureSummary, kw_only=True):
    # The agencies that carry it out, by code.
    agency_codes: list[str]
    purpose_vi: str
    purpose_en: str
    steps_vi: list[str]
    steps_en: list[str]
    legal_basis: list[str]
    result_vi: str
    result_en: str
    components: list[ComponentRead]
    fees: list[FeeRead]
    unconfirmed: list[str]
    source: str
    form_fields: list[FormField] = msgspec.field(default_factory=list)
    payment_stage: PaymentStage = "reception"


class ProcedurePage(msgspec.Struct, kw_only=True):
    """One page of results. A text search returns at most the 200 best matches."""

    items: list[ProcedureSummary]
    total: int
    page: int
    page_size: int


class FieldOption(msgspec.Struct, kw_only=True):
    field_vi: str
    field_en: str


class CounterRead(msgspec.Struct, kw_only=True):
    agency: AgencyRead
    number: int
    name_vi: str
    name_en: str
    procedures: list[ProcedureSummary]
    # Those of its procedures the counter's own agency carries out (a provincial centre's
    # counters also receive the departments' procedures).
    own_codes: list[str] = msgspec.field(default_factory=list)


# The demo catalogue file (backend/catalogue/demo_catalogue.json): validated on load.


class DemoProvince(msgspec.Struct, kw_only=True):
    name_vi: str
    name_en: str
    code: str
    source: str = ""


class DemoAgency(msgspec.Struct, kw_only=True):
    code: str
    name_vi: str
    name_en: str
    level: Level
    address: str = ""
    hours_vi: str = ""
    hours_en: str = ""
    phone: str | None = None
    unit_code: str = ""


class DemoUnit(msgspec.Struct, kw_only=True):
    code: str
    name_vi: str
    name_en: str
    kind: UnitKind
    parent_code: str | None = None
    unconfirmed: bool = False


class DemoComponent(msgspec.Struct, kw_only=True):
    name_vi: str
    name_en: str
    originals: int = msgspec.field(default=1)
    copies: int = 0
    required: bool = True
    template: str | None = None
    uploadable: bool = True


class DemoFee(msgspec.Struct, kw_only=True):
    kind: FeeKind
    label_vi: str
    label_en: str
    amount: int
    online_amount: int | None = None
    when: FieldCondition | None = None
    per_field: FieldName | None = None


class DemoProcedure(msgspec.Struct, kw_only=True):
    code: str
    name_vi: str
    name_en: str
    field_vi: str
    field_en: str
    # The codes of the agencies that carry it out (at least one).
    agencies: list[str]
    level: Level
    online_level: OnlineLevel
    processing_days: int
    anywhere: bool = False
    purpose_vi: str = ""
    purpose_en: str = ""
    components: list[DemoComponent] = msgspec.field(default_factory=list)
    steps_vi: list[str] = msgspec.field(default_factory=list)
    steps_en: list[str] = msgspec.field(default_factory=list)
    fees: list[DemoFee] = msgspec.field(default_factory=list)
    legal_basis: list[str] = msgspec.field(default_factory=list)
    result_vi: str = ""
    result_en: str = ""
    unconfirmed: list[str] = msgspec.field(default_factory=list)
    source: str = ""
    form_fields: list[FormField] = msgspec.field(default_factory=list)
    payment_stage: PaymentStage = "reception"


class DemoCounter(msgspec.Struct, kw_only=True):
    agency: str
    number: int
    name_vi: str
    name_en: str
    procedures: list[str] = msgspec.field(default_factory=list)


class DemoCatalogue(msgspec.Struct, kw_only=True):
    province: DemoProvince
    units: list[DemoUnit] = msgspec.field(default_factory=list)
    units_note: str = ""
    agencies: list[DemoAgency]
    procedures: list[DemoProcedure]
    counters: list[DemoCounter] = msgspec.field(default_factory=list)
    counters_note: str = ""


class FeeLine(msgspec.Struct, kw_only=True):
    """One fee line that applies. ``amount`` = ``unit_amount`` × ``quantity`` is what is
    owed; ``full_amount`` is what the same line costs at the counter (no online
    discount), so a page can show the saving."""

    kind: str
    label_vi: str
    label_en: str
    unit_amount: int
    quantity: int
    amount: int
    full_amount: int
