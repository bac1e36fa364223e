"""msgspec Structs of the accounts API (and the Principal the guards hand out)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

Kind = Literal["citizen", "staff"]
# "admin": the administrator of one agency (its details, counters, officials, which
# procedures it carries out); "catalogue": the province's catalogue administrator
# (procedures, fees, the working-day calendar), an official of the provincial office.
Role = Literal["reception", "processing", "leader", "admin", "catalogue"]
ROLES: tuple[Role, ...] = ("reception", "processing", "leader", "admin", "catalogue")
# The roles that handle dossiers and feedback at a one-stop counter (not administrators).
OFFICIAL_ROLES: frozenset[str] = frozenset({"reception", "processing", "leader"})
MemberRole = Literal["owner", "member"]

ShortText = Annotated[str, msgspec.Meta(max_length=200)]
Token = Annotated[str, msgspec.Meta(min_length=16, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is signed in on this request."""

    account_id: int
    kind: Kind
    name: str
    role: Role | None  # staff only
    agency_code: str | None  # staff only: the catalogue Agency.code
    session_id: str  # opaque, for sign-out


class SignUp(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    full_name: ShortText
    phone: Annotated[str, msgspec.Meta(max_length=24)]
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    citizen_id: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    # Where the person lives: it suggests where to file a commune's procedures.
    address: Annotated[str, msgspec.Meta(max_length=300)] | None = None


class CredentialIn(msgspec.Struct, kw_only=True):
    """What ``PublicKeyCredential.toJSON()`` gave the page, and a name for the passkey."""

    credential: dict[str, Any]
    name: Annotated[str, msgspec.Meta(max_length=60)] | None = None
    next: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class EnrolmentOptionsIn(msgspec.Struct, kw_only=True):
    token: Token


class EnrolmentIn(CredentialIn, kw_only=True):
    token: Token


class AccountRead(msgspec.Struct, kw_only=True):
    id: int
    kind: Kind
    full_name: str
    phone: str | None
    email: str | None
    citizen_id: str | None
    role: Role | None
    agency_code: str | None
    address: str = ""


class SignedIn(msgspec.Struct, kw_only=True):
    account: AccountRead
    next: str


class SignedUp(SignedIn, kw_only=True):
    recovery_codes: list[str]


class PasskeyRead(msgspec.Struct, kw_only=True):
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    backed_up: bool


class PasskeyRename(msgspec.Struct, kw_only=True):
    name: Annotated[str, msgspec.Meta(max_length=60)]


class SessionRead(msgspec.Struct, kw_only=True):
    id: str
    device: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    current: bool


class RecoveryCodes(msgspec.Struct, kw_only=True):
    codes: list[str]


class RecoveryIn(msgspec.Struct, kw_only=True):
    phone: Annotated[str, msgspec.Meta(max_length=24)]
    code: Annotated[str, msgspec.Meta(max_length=40)]
    # Where the person was going: after the new passkey, the page leads there.
    next: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class OrganisationCreate(msgspec.Struct, kw_only=True):
    name: ShortText
    tax_code: Annotated[str, msgspec.Meta(max_length=20)]
    address: Annotated[str, msgspec.Meta(max_length=300)]


class MemberRead(msgspec.Struct, kw_only=True):
    account_id: int
    full_name: str
    role: MemberRole
    joined_at: dt.datetime


class OrganisationRead(msgspec.Struct, kw_only=True):
    id: int
    name: str
    tax_code: str
    address: str
    my_role: MemberRole


class OrganisationDetail(OrganisationRead, kw_only=True):
    members: list[MemberRead]


ClaimStatus = Literal["pending", "confirmed", "rejected"]
ClaimReason = Annotated[str, msgspec.Meta(max_length=1000)]


class ClaimIn(msgspec.Struct, kw_only=True):
    """A claim to represent a registered organisation (the certificate comes beside it,
    as the multipart form's ``file``)."""

    tax_code: Annotated[str, msgspec.Meta(max_length=20)]
    reason: ClaimReason


class ClaimDecision(msgspec.Struct, kw_only=True):
    confirm: bool
    reason: ClaimReason


class ClaimRead(msgspec.Struct, kw_only=True):
    """A claim as its claimant sees it (the certificate by name only)."""

    id: int
    organisation_id: int
    organisation_name: str
    tax_code: str
    status: ClaimStatus
    reason: str
    certificate_name: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str


class ClaimReview(ClaimRead, kw_only=True):
    """A claim as the official deciding it sees it: who claims, with the details the
    certificate is compared with, and who holds the organisation now."""

    claimant_id: int
    claimant_name: str
    claimant_citizen_id: str | None
    organisation_address: str
    owners: list[str]
    certificate_media_type: str
    certificate_pages: int
    decided_by: int | None


class LinkIssued(msgspec.Struct, kw_only=True):
    url: str
    expires_at: dt.datetime


class InvitationRead(msgspec.Struct, kw_only=True):
    organisation_name: str
    tax_code: str
    expires_at: dt.datetime


class StaffCreate(msgspec.Struct, kw_only=True):
    full_name: ShortText
    role: Role
    agency_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None


class StaffUpdate(msgspec.Struct, kw_only=True):
    role: Role | msgspec.UnsetType = msgspec.UNSET
    disabled: bool | msgspec.UnsetType = msgspec.UNSET


class StaffRead(msgspec.Struct, kw_only=True):
    id: int
    full_name: str
    role: Role
    agency_code: str
    disabled: bool
    passkeys: int


class StaffCreated(msgspec.Struct, kw_only=True):
    official: StaffRead
    enrolment: LinkIssued


class ReenrolmentIn(msgspec.Struct, kw_only=True):
    phone: Annotated[str, msgspec.Meta(max_length=24)]
    # The official confirms they checked the person's citizen ID card at the counter.
    identity_checked: bool


class ReenrolmentIssued(msgspec.Struct, kw_only=True):
    """What the official at the counter gets: the link only as a QR code (SVG markup)
    for the person's own phone to scan, never as text to copy, send or open."""

    qr_svg: str
    expires_at: dt.datetime
    account_id: int
    full_name: str


class DisownIn(msgspec.Struct, kw_only=True):
    token: Token


class CounterPasskeyRead(msgspec.Struct, kw_only=True):
    """A passkey added at a counter, as its "this was not me" link shows it: to whoever
    holds the link, so nothing personal (no name, no phone number)."""

    agency_code: str
    agency_name_vi: str
    agency_name_en: str
    added_at: dt.datetime
    disowned: bool
    disown_until: dt.datetime
    expired: bool  # not disowned, and too late to be


class Disowned(msgspec.Struct, kw_only=True):
    """What "this was not me" did; ``already``: it had been done, nothing more was."""

    already: bool
    passkeys_removed: int
    sessions_ended: int


class AuditRead(msgspec.Struct, kw_only=True):
    id: int
    at: dt.datetime
    event: str
    actor_id: int | None
    subject_id: int | None
    client_address: str | None
    details: dict[str, Any]
