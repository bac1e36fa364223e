"""msgspec Structs of the dossiers API and pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

from backend.catalogue.schemas import FeeLine, FormField, PaymentStage
from backend.dossiers.lifecycle import CLOCK_RUNNING as CLOCK_RUNNING  # for the figures
from backend.dossiers.lifecycle import FINAL as FINAL
from backend.dossiers.lifecycle import Action, Decision, Status

Channel = Literal["online", "counter", "post", "assisted"]
StaffChannel = Literal["counter", "post", "assisted"]
Queue = Literal["new", "supplement", "processing", "due_soon", "overdue", "ready", "done"]
# "evidence": what proves the applicant group declared for a fee exemption.
FilePurpose = Literal["component", "evidence", "result"]
PaymentStatus = Literal["none", "unpaid", "paid", "refunded"]

DraftKey = Annotated[str, msgspec.Meta(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Answer = Annotated[str, msgspec.Meta(max_length=2000)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
Name = Annotated[str, msgspec.Meta(max_length=120)]
Phone = Annotated[str, msgspec.Meta(max_length=24)]
IdNumber = Annotated[str, msgspec.Meta(max_length=20)]
Address = Annotated[str, msgspec.Meta(max_length=300)]
AgencyCode = Annotated[str, msgspec.Meta(max_length=32)]
DossierCode = Annotated[str, msgspec.Meta(max_length=48)]
# A code of ``catalogue.APPLICANT_GROUPS``; "" for none.
GroupCode = Annotated[str, msgspec.Meta(max_length=32)]


class DraftCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    procedure_code: Annotated[str, msgspec.Meta(max_length=32)]
    # Made by the client (a random UUID) before the first try: a replay finds the draft.
    draft_key: DraftKey
    organisation_id: int | None = None
    # Where to file: an agency carrying out the procedure; may be left out only when
    # there is one.
    agency_code: AgencyCode | None = None
    # A person has one draft of a procedure at an agency for one payer: without this,
    # the one they have is given back (200) instead of a new one. True: a further
    # draft all the same ("Tạo hồ sơ mới", e.g. for a second child).
    another: bool = False


class DraftUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One step's answers: only the fields sent change."""

    form_data: Annotated[dict[str, Answer], msgspec.Meta(max_length=60)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    applicant_name: Name | msgspec.UnsetType = msgspec.UNSET
    applicant_phone: Phone | msgspec.UnsetType = msgspec.UNSET
    applicant_id_number: IdNumber | msgspec.UnsetType = msgspec.UNSET
    applicant_address: Address | msgspec.UnsetType = msgspec.UNSET
    # Another place to file at, while the dossier is a draft.
    agency_code: AgencyCode | msgspec.UnsetType = msgspec.UNSET
    # The applicant group declared for a fee exemption ("" for none); changing it
    # removes the evidence attached for the one before.
    applicant_group: GroupCode | msgspec.UnsetType = msgspec.UNSET


class ComponentSnapshot(msgspec.Struct, kw_only=True):
    id: int
    name_vi: str
    name_en: str
    originals: int
    copies: int
    required: bool
    uploadable: bool


class FileRead(msgspec.Struct, kw_only=True):
    id: int
    purpose: FilePurpose
    component_id: int | None
    round: int
    media_type: str
    size: int
    pages: int
    display_name: str
    created_at: dt.datetime
    # A result signed by the agency: its verification code (issue 17).
    signature_code: str | None = None


class SupplementItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One thing missing: a document (``component_id``), an answer (``field``), or
    something said in words only."""

    label: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    component_id: int | None = None
    field: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class EventRead(msgspec.Struct, kw_only=True):
    id: int
    at: dt.datetime
    action: Action
    from_status: Status
    to_status: Status
    actor_role: str
    actor_name: str
    agency_code: str
    note: str
    details: dict[str, Any]


class DossierSummary(msgspec.Struct, kw_only=True):
    id: int
    code: str | None
    procedure_code: str
    procedure_name_vi: str
    procedure_name_en: str
    status: Status
    channel: Channel
    applicant_name: str
    receiving_agency: str  # issued the code and collects the fees
    agency_code: str  # handling it now
    organisation_id: int | None
    submitted_at: dt.datetime | None
    due_date: dt.date | None
    updated_at: dt.datetime
    overdue: bool
    fee_total: int = 0
    payment_status: PaymentStatus = "none"


class DossierRead(DossierSummary, kw_only=True):
    processing_days: int
    owner_id: int | None
    entered_by: int | None
    assignee_id: int | None
    applicant_phone: str
    applicant_id_number: str
    applicant_address: str
    form_data: dict[str, str]
    form_fields: list[FormField]
    components: list[ComponentSnapshot]
    files: list[FileRead]
    supplement_items: list[SupplementItem]
    resume_status: Status | None
    decision: Decision | None
    created_at: dt.datetime
    received_at: dt.datetime | None
    paused_at: dt.datetime | None
    result_ready_at: dt.datetime | None
    finished_at: dt.datetime | None
    version: int
    fee_lines: list[FeeLine] = msgspec.field(default_factory=list)
    payment_stage: PaymentStage = "reception"
    # The applicant group declared for a fee exemption ("" for none); its evidence is
    # among ``files`` (purpose "evidence").
    applicant_group: str = ""
    events: list[EventRead]
    # What the person looking may do now (the buttons to show).
    actions: list[Action]


class DossierBrief(msgspec.Struct, kw_only=True):
    """A dossier's key facts (state, parties, agency, fees) for another domain, read by
    someone who may see it; ``may_act``: they may also act on it (citizens on their own
    and their organisations' dossiers, officials on their agency's)."""

    id: int
    code: str | None
    procedure_code: str
    procedure_name_vi: str
    procedure_name_en: str
    agency_code: str
    receiving_agency: str
    status: Status
    owner_id: int | None
    organisation_id: int | None
    applicant_name: str
    applicant_address: str
    fee_lines: list[FeeLine]
    fee_total: int
    payment_stage: PaymentStage
    payment_status: PaymentStatus
    may_act: bool = False


class OfflineDossier(msgspec.Struct, kw_only=True):
    """What a person shows at a counter without a network: the code and where the
    dossier stands, already in their language (the phone keeps it until sign-out)."""

    id: int
    code: str
    procedure_name: str
    status: Status
    status_text: str
    due_text: str  # the day the result is due, "" when none
    unpaid: bool  # a fee is still to be paid


class OfflineDossiers(msgspec.Struct, kw_only=True):
    lang: str
    items: list[OfflineDossier]


class DossierPage(msgspec.Struct, kw_only=True):
    items: list[DossierSummary]
    total: int
    page: int
    page_size: int


class ActionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One step of the lifecycle. ``version`` is the dossier's version the person saw:
    if someone else acted in between, the step is refused rather than applied twice."""

    action: Action
    version: int
    note: Note = ""
    items: Annotated[list[SupplementItem], msgspec.Meta(max_length=30)] = msgspec.field(
        default_factory=list
    )
    reasons: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=500)]],
        msgspec.Meta(max_length=20),
    ] = msgspec.field(default_factory=list)
    assignee_id: int | None = None
    target_agency: AgencyCode | None = None
    decision: Decision | None = None
    new_due_date: dt.date | None = None


class AssistedCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A dossier an official enters for a walk-in citizen: received at once."""

    procedure_code: Annotated[str, msgspec.Meta(max_length=32)]
    channel: StaffChannel
    applicant_name: Name
    applicant_phone: Phone
    applicant_id_number: IdNumber = ""
    applicant_address: Address = ""
    form_data: Annotated[dict[str, Answer], msgspec.Meta(max_length=60)] = msgspec.field(
        default_factory=dict
    )
    # The components the official saw on paper (by component id).
    components_received: Annotated[list[int], msgspec.Meta(max_length=60)] = msgspec.field(
        default_factory=list
    )
    # The applicant group the citizen claims a fee exemption for ("" for none), and
    # whether the official saw the evidence it requires on paper (required with a group).
    applicant_group: GroupCode = ""
    group_evidence_received: bool = False


class ClaimIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: DossierCode
    phone: Phone
    # Printed on form 01 at the counter (``XXXX-XXXX``; case, spaces and dashes ignored).
    claim_code: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]


class ClaimCodeRead(msgspec.Struct, kw_only=True):
    """A new claim code, shown this once (only its HMAC is kept)."""

    dossier_id: int
    code: str
    claim_code: str


class TrackIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: DossierCode
    phone_last4: Annotated[str, msgspec.Meta(max_length=8)]


class TrackingStep(msgspec.Struct, kw_only=True):
    at: dt.datetime
    action: Action
    to_status: Status


class TrackingRead(msgspec.Struct, kw_only=True):
    """What anyone with the code and the phone's last digits may see: no names, no
    answers, no files."""

    code: str
    procedure_name_vi: str
    procedure_name_en: str
    agency_code: str
    status: Status
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    due_date: dt.date | None
    finished_at: dt.datetime | None
    steps: list[TrackingStep]


class OfficialRead(msgspec.Struct, kw_only=True):
    id: int
    full_name: str
    role: str


class StoredDocument(msgspec.Struct, kw_only=True):
    """One document of the citizen's own store ("Giấy tờ của tôi"): a result released
    to them, or a document they sent with a submitted dossier."""

    file_id: int
    dossier_id: int
    dossier_code: str | None
    procedure_code: str
    procedure_name_vi: str
    procedure_name_en: str
    kind: Literal["result", "upload"]
    purpose: FilePurpose
    component_id: int | None
    # The component's name in the dossier's snapshot ("Kết quả giải quyết" for a result).
    name_vi: str
    name_en: str
    media_type: str
    size: int
    pages: int
    display_name: str
    created_at: dt.datetime
    # The file-download route, which checks access on every call.
    download_url: str
    # A result signed by the agency: its verification code (issue 17).
    signature_code: str | None = None


class ReuseIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A stored document to attach to a draft as one of its components' files."""

    file_id: int
    component_id: int


class SyncRecord(msgspec.Struct, kw_only=True):
    """A received dossier as it stands now, for the systems it is synced with (the
    National Public Service Portal): its facts, its applicant as declared, and its last
    history line (``last_event_id`` is its version: a later line is a later state)."""

    id: int
    code: str
    procedure_code: str
    procedure_name_vi: str
    agency_code: str
    receiving_agency: str
    status: Status
    channel: Channel
    organisation_id: int | None
    applicant_name: str
    applicant_phone: str
    applicant_id_number: str
    submitted_at: dt.datetime | None
    received_at: dt.datetime
    due_date: dt.date | None
    result_ready_at: dt.datetime | None
    finished_at: dt.datetime | None
    last_event_id: int
    last_action: Action
    last_event_at: dt.datetime
    last_actor_name: str
