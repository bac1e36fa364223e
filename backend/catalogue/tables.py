from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Unit(Table, tablename="catalogue_unit"):
    """An administrative unit of the province: the province itself, or one of its
    communes and wards (two-level local government since 1 July 2025)."""

    id: Serial  # added by Piccolo; declared for the type checker
    code = Varchar(length=16, unique=True, index=True)  # the national unit code
    name_vi = Text()  # "Phường Hạc Thành"
    name_en = Text()
    kind = Varchar(length=16)  # "province" | "ward" | "commune"
    parent_code = Varchar(length=16, null=True, default=None)  # the province, for a commune
    # The code could not be confirmed from a published list when the data was entered.
    unconfirmed = Boolean(default=False)


class Agency(Table, tablename="catalogue_agency"):
    """A province department or a commune People's Committee."""

    id: Serial  # added by Piccolo; declared for the type checker
    code = Varchar(length=32, unique=True, index=True)
    name_vi = Text()
    name_en = Text()
    level = Varchar(length=16)  # "province" | "commune"
    # The administrative unit it serves: a commune or ward, or the province (departments).
    unit_code = Varchar(length=16, default="", index=True)
    address = Text(default="")
    hours_vi = Text(default="")
    hours_en = Text(default="")
    phone = Varchar(length=32, null=True, default=None)
    # The collecting organisation on its receipts of fees and charges: its tax code (10
    # digits, or 13 for a dependent unit) and the receipt template and symbol it
    # registered with the tax authority ("01BLP0-001"; "AA", printed "AA-26E" with the
    # year of issue). Empty until the agency enters them: see payments' numbering.
    tax_code = Varchar(length=13, default="")
    receipt_template = Varchar(length=16, default="")
    receipt_symbol = Varchar(length=2, default="")


class Procedure(Table, tablename="catalogue_procedure"):
    id: Serial  # added by Piccolo; declared for the type checker
    code = Varchar(length=32, unique=True, index=True)  # national code, e.g. 1.001445
    name_vi = Text()
    name_en = Text()
    field_vi = Text()
    field_en = Text()
    level = Varchar(length=16)
    # May be filed at any agency that carries it out, whatever commune the person lives
    # in ("không phụ thuộc địa giới hành chính"); otherwise at their own commune's.
    anywhere = Boolean(default=False)
    online_level = Varchar(length=16)  # "full" | "partial" | "info"
    processing_days = Integer()
    purpose_vi = Text(default="")
    purpose_en = Text(default="")
    steps_vi = JSON(default=[])
    steps_en = JSON(default=[])
    legal_basis = JSON(default=[])
    result_vi = Text(default="")
    result_en = Text(default="")
    # Fields whose published value could not be confirmed when the data was entered.
    unconfirmed = JSON(default=[])
    source = Text(default="")
    # The procedure's own questions on the online form (see catalogue.schemas.FormField).
    form_fields = JSON(default=[])
    # When the fees are due: "reception" (before the agency receives the dossier) or
    # "result" (before the result is handed over).
    payment_stage = Varchar(length=16, default="reception")
    updated_at = Timestamptz()


class Provision(Table, tablename="catalogue_provision"):
    """An agency carries out a procedure (one national code, many agencies: every
    commune carries out the commune-level ones). (procedure, agency) is unique: a raw
    index in the migration."""

    id: Serial  # added by Piccolo; declared for the type checker
    procedure = ForeignKey(references=Procedure, on_delete=OnDelete.cascade, index=True)
    agency = ForeignKey(references=Agency, on_delete=OnDelete.cascade, index=True)
    # What this agency adds (where to go inside the building, a day it does not receive).
    note_vi = Text(default="")
    note_en = Text(default="")


class ProcedureComponent(Table, tablename="catalogue_component"):
    """One document of the dossier (thành phần hồ sơ)."""

    id: Serial  # added by Piccolo; declared for the type checker
    procedure = ForeignKey(references=Procedure, on_delete=OnDelete.cascade, index=True)
    position = Integer()
    name_vi = Text()
    name_en = Text()
    originals = Integer(default=1)
    copies = Integer(default=0)
    required = Boolean(default=True)
    template = Text(null=True, default=None)
    uploadable = Boolean(default=True)


class ProcedureFee(Table, tablename="catalogue_fee"):
    """A fee (phí) or charge (lệ phí) in VND, with the reduced amount for online submission."""

    id: Serial  # added by Piccolo; declared for the type checker
    procedure = ForeignKey(references=Procedure, on_delete=OnDelete.cascade, index=True)
    position = Integer()
    kind = Varchar(length=16)  # "phi" | "le_phi"
    label_vi = Text()
    label_en = Text()
    amount = BigInt()
    online_amount = BigInt(null=True, default=None)
    # {"field": <form field name>, "equals": <answer>}: the line applies only then.
    when = JSON(null=True, default=None)
    # The name of a "number" form field whose answer multiplies the amount (copies).
    per_field = Varchar(length=40, null=True, default=None)


class FeeRule(Table, tablename="catalogue_fee_rule"):
    """A rule that changes what a fee line costs: an agency's own base fee, or a
    reduction (100%: a waiver) by channel, period and applicant group. The fields are
    catalogue.schemas.DemoFeeRule's; how rules combine is catalogue.fees'."""

    id: Serial  # added by Piccolo; declared for the type checker
    procedure = ForeignKey(references=Procedure, on_delete=OnDelete.cascade, index=True)
    # The fee line's position (catalogue_fee.position); null: every line.
    position = Integer(null=True, default=None)
    agency_code = Varchar(length=32, default="")  # "": every agency carrying it out
    amount = BigInt(null=True, default=None)  # the agency's base fee (per unit)
    percent = Integer(null=True, default=None)  # or a reduction of the base
    channels = JSON(default=[])  # [] : every channel
    valid_from = Date(null=True, default=None)
    valid_to = Date(null=True, default=None)
    group = Varchar(length=32, default="")  # "": any applicant
    label_vi = Text()
    label_en = Text()
    basis = Text(default="")


class Counter(Table, tablename="catalogue_counter"):
    """A reception counter (quầy) of an agency; its QR code names it in a signed token.

    (agency, number) is unique: a raw index in the migration, as SQLite rejects
    Piccolo's composite constraint."""

    id: Serial  # added by Piccolo; declared for the type checker
    agency = ForeignKey(references=Agency, on_delete=OnDelete.cascade, index=True)
    number = Integer()
    name_vi = Text()
    name_en = Text()
    # National codes of the procedures received at this counter.
    procedure_codes = JSON(default=[])


class Synonym(Table, tablename="catalogue_synonym"):
    """A word or abbreviation people type for what the catalogue calls otherwise ("bằng
    lái" for "giấy phép lái xe", "LLTP" for "lý lịch tư pháp"): search looks for either.
    ``folded`` (the term as search folds it) is unique: a raw index in the migration."""

    id: Serial  # added by Piccolo; declared for the type checker
    term = Text()  # as the administrator wrote it
    folded = Varchar(length=200)
    replacement = Text()  # the catalogue's words, as written
