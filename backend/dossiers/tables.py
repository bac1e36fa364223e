"""Piccolo tables of the dossiers domain.

A dossier keeps snapshots of what it was submitted under (the procedure's name and
processing time, the applicant's details): later catalogue or account edits do not
rewrite a legal record. Its history (``DossierEvent``) is append-only: database
triggers refuse UPDATE and DELETE, as for the audit log.
"""

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


class Dossier(Table, tablename="dossiers_dossier"):
    id: Serial  # added by Piccolo; declared for the type checker
    # Circular 01/2018 Art. 19: "<agency code>-<YYMMDD>-<4-digit daily sequence>";
    # given on submission (drafts have none).
    code = Varchar(length=48, null=True, default=None, unique=True)
    # The client's idempotency key for creating the draft: a replayed request finds it.
    draft_key = Varchar(length=64, unique=True)
    # A person has one draft per procedure, agency and payer (themselves or an
    # organisation): a unique index over the drafts not marked here (migration
    # 2026-12-07T12:34:30:000001). Marked: a further draft asked for ("Tạo hồ sơ mới",
    # a parent filing for two children), one moved here from another agency, or an
    # older duplicate kept by that migration.
    another_draft = Boolean(default=False)
    procedure_code = Varchar(length=32, index=True)
    procedure_name_vi = Text()
    procedure_name_en = Text()
    processing_days = Integer()
    # The procedure's components and form fields when the draft was made: files and
    # answers refer to these, whatever the catalogue becomes.
    components = JSON(default=[])
    form_fields = JSON(default=[])
    receiving_agency = Varchar(length=32, index=True)  # issued the code
    agency_code = Varchar(length=32, index=True)  # handling it now (after a transfer)
    status = Varchar(length=24, index=True)
    # The state a supplement request came from (the supplement goes back there).
    resume_status = Varchar(length=24, null=True, default=None)
    channel = Varchar(length=16)  # "online" | "counter" | "post" | "assisted"
    owner_id = Integer(null=True, default=None, index=True)  # the citizen's account
    organisation_id = Integer(null=True, default=None, index=True)
    entered_by = Integer(null=True, default=None)  # the official, for assisted dossiers
    # A counter dossier is claimed into a citizen's account with the code printed on
    # form 01 (issue 15): only its HMAC is kept, and the wrong attempts against it,
    # which lock it after ``service.claims.MAX_CLAIM_FAILURES`` until a new code is issued.
    claim_code_hash = Varchar(length=64, null=True, default=None)
    claim_failures = Integer(default=0)
    assignee_id = Integer(null=True, default=None, index=True)
    applicant_name = Text(default="")
    applicant_phone = Varchar(length=16, default="")
    applicant_id_number = Varchar(length=12, default="")
    applicant_address = Text(default="")
    # The applicant group declared for a fee exemption or reduction (a code of
    # ``catalogue.APPLICANT_GROUPS``; "" for none), its evidence a file of purpose
    # "evidence"; checked against the procedure's fee rules on submission.
    applicant_group = Varchar(length=32, default="")
    form_data = JSON(default={})
    # The open supplement request: [{"component_id": int | None, "label": str}].
    supplement_items = JSON(default=[])
    decision = Varchar(length=8, null=True, default=None)  # "approve" | "reject"
    created_at = Timestamptz()
    # Indexed for the figures (backend/stats): what changed since the last refresh.
    updated_at = Timestamptz(index=True)
    submitted_at = Timestamptz(null=True, default=None)
    received_at = Timestamptz(null=True, default=None, index=True)
    due_date = Date(null=True, default=None, index=True)  # the appointment date
    paused_at = Timestamptz(null=True, default=None)  # waiting for a supplement
    result_ready_at = Timestamptz(null=True, default=None, index=True)
    finished_at = Timestamptz(null=True, default=None)
    # Optimistic concurrency: every transition bumps it; two officials acting at once
    # cannot both succeed.
    version = Integer(default=0)
    # Fees: the procedure's fee definitions when the draft was made, and the lines due
    # (fixed on submission from them, the channel and the answers), in VND.
    fees = JSON(default=[])
    fee_lines = JSON(default=[])
    fee_total = BigInt(default=0)
    payment_stage = Varchar(length=16, default="reception")  # "reception" | "result"
    # "none" (nothing to pay) | "unpaid" | "paid" | "refunded"; only payments change it.
    payment_status = Varchar(length=16, default="none", index=True)
    # How many reminders of fees still unpaid before reception were sent (issue 16,
    # ``service.reminders``): each is taken by a conditional update, so once only.
    fee_reminders = Integer(default=0)


class DossierEvent(Table, tablename="dossiers_event"):
    """One line of the history, and of the process-control slip (Form 05)."""

    id: Serial
    dossier = ForeignKey(references=Dossier, on_delete=OnDelete.restrict, index=True)
    at = Timestamptz()
    action = Varchar(length=24)
    from_status = Varchar(length=24)
    to_status = Varchar(length=24)
    actor_id = Integer(null=True, default=None)
    actor_role = Varchar(length=16)  # "citizen" | a staff role
    actor_name = Text(default="")
    agency_code = Varchar(length=32, default="")
    note = Text(default="")
    details = JSON(default={})


class DossierFile(Table, tablename="dossiers_file"):
    """An attachment: a component's document, a supplement, or the result."""

    id: Serial
    dossier = ForeignKey(references=Dossier, on_delete=OnDelete.cascade, index=True)
    purpose = Varchar(length=16)  # "component" | "evidence" (of the group) | "result"
    component_id = Integer(null=True, default=None)
    # 0 for the first submission, n for the n-th supplement.
    round = Integer(default=0)
    storage_key = Varchar(length=64, unique=True)
    media_type = Varchar(length=40)
    size = Integer()
    pages = Integer(default=1)
    display_name = Text()
    sha256 = Varchar(length=64)
    uploaded_by = Integer(null=True, default=None)
    created_at = Timestamptz()
    # A result signed by the agency (issue 17): the code of its signed document, whose
    # bytes these now are.
    signature_code = Varchar(length=16, null=True, default=None)


class DossierSequence(Table, tablename="dossiers_sequence"):
    """The last daily sequence number given, per "<agency code>-<YYMMDD>"."""

    id: Serial
    day_key = Varchar(length=48, unique=True)
    last_number = Integer(default=0)
