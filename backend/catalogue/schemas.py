import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar.params import PathParameter

# A procedure's code as an address carries it (/p/{code}): lenient on purpose, so that a
# code of the wrong form is "not found" (404) like an unknown one, not a bad request.
ProcedureCodeParam = Annotated[str, PathParameter(max_length=32, pattern=r"^[0-9A-Za-z.\-]+$")]
# A fee rule's id as an address carries it.
FeeRuleIdParam = Annotated[int, PathParameter(ge=1, le=2_147_483_647)]

Level = Literal["province", "commune"]
UnitKind = Literal["province", "ward", "commune"]
OnlineLevel = Literal["full", "partial", "info"]
FeeKind = Literal["phi", "le_phi"]
# When the fees are due: before the agency receives the dossier, or before the result
# is handed over.
PaymentStage = Literal["reception", "result"]
# A receipt template symbol as agencies register it with the tax authority
# ("01BLP0-001") and the letters of its receipt symbol ("AA": "AA-26E" on a receipt of
# 2026), or empty (not registered yet). The forms are those of the e-receipts issued
# under Decree 123/2020 and Circular 78/2021 (see payments' numbering).
RECEIPT_TEMPLATE = r"^(\d{2}[A-Z]{3}\d-\d{3})?$"
RECEIPT_SYMBOL = r"^([A-Z]{2})?$"


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
    # As the collecting organisation on its receipts (see tables.Agency).
    tax_code: str = ""
    receipt_template: str = ""
    receipt_symbol: str = ""


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


class DemoFeeRule(msgspec.Struct, kw_only=True):
    """A rule that changes what a fee line costs (see ``catalogue.fees``): for one
    agency or every one (``agency_code`` ""), one line (``position``, from 0, as the
    procedure's fees are listed) or every line (None), within an inclusive period
    (either end open). Its effect is one of: ``amount``, the agency's own base fee for
    the line, or ``percent``, a reduction of the base (100: a waiver) for the
    ``channels`` listed (none: every channel) and, with ``group``, only for applicants
    of that group (catalogue.fees.APPLICANT_GROUPS), who attach its evidence.
    ``channels`` and ``group`` are plain text here so that an unknown one is refused
    by the catalogue's rules with a message, not by the decoder."""

    position: int | None = None
    agency_code: str = ""
    amount: int | None = None
    percent: int | None = None
    channels: list[str] = msgspec.field(default_factory=list)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    group: str = ""
    label_vi: str
    label_en: str
    basis: str = ""


class FeeRuleRead(DemoFeeRule, kw_only=True):
    id: int = 0


# A synonym's id as an address carries it.
SynonymIdParam = Annotated[int, PathParameter(ge=1, le=2_147_483_647)]


class DemoSynonym(msgspec.Struct, kw_only=True):
    """A word or abbreviation people type (``term``: "bằng lái", "LLTP") and the
    catalogue's words for it (``replacement``: "giấy phép lái xe"): search looks for
    either. Their lengths and words are checked by catalogue.synonyms, with a message
    naming the field; the decoder only bounds what it reads."""

    term: Annotated[str, msgspec.Meta(max_length=2000)]
    replacement: Annotated[str, msgspec.Meta(max_length=2000)]


class SynonymRead(DemoSynonym, kw_only=True):
    id: int


class ApplicantGroup(msgspec.Struct, kw_only=True, frozen=True):
    """A group of applicants the law exempts from some fees, with what proves it."""

    code: str
    name_vi: str
    name_en: str
    evidence_vi: str
    evidence_en: str
    basis: str


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
    # Every fee rule of the procedure (consumers pick by agency, channel and date).
    fee_rules: list[FeeRuleRead] = msgspec.field(default_factory=list)


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


class CounterPlace(msgspec.Struct, frozen=True, kw_only=True):
    """A counter and the national codes of the procedures it receives (all counters of
    the province in one read: where each procedure is received)."""

    agency_code: str
    number: int
    name_vi: str
    name_en: str
    procedure_codes: list[str]


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
    # The format only (the agency's page checks the tax code's check digit).
    tax_code: Annotated[str, msgspec.Meta(pattern=r"^(\d{10}(\d{3})?)?$")] = ""
    receipt_template: Annotated[str, msgspec.Meta(pattern=RECEIPT_TEMPLATE)] = ""
    receipt_symbol: Annotated[str, msgspec.Meta(pattern=RECEIPT_SYMBOL)] = ""


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
    # None (a file without them): a procedure replaced keeps the rules it has.
    fee_rules: list[DemoFeeRule] | None = None


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
    agencies_note: str = ""
    # Search's synonyms and abbreviations (catalogue.synonyms).
    synonyms: list[DemoSynonym] = msgspec.field(default_factory=list)
    synonyms_note: str = ""


class FeeLine(msgspec.Struct, kw_only=True):
    """One fee line that applies. ``amount`` = ``unit_amount`` × ``quantity`` is what is
    owed; ``full_amount`` is what the same line costs at the counter (no online
    discount), so a page can show the saving. ``rule_vi``/``rule_en``: why ``amount``
    differs from the base fee (the reduction or exemption that applied, with its legal
    basis); empty when the base applies."""

    kind: str
    label_vi: str
    label_en: str
    unit_amount: int
    quantity: int
    amount: int
    full_amount: int
    rule_vi: str = ""
    rule_en: str = ""
