"""Piccolo tables of the accounts domain.

Secrets never sit in the clear: session tokens, invitation and enrolment tokens are
kept as SHA-256 digests (they are long random values), recovery codes as argon2 hashes
(they are short enough to be worth guessing). Time limits are checked in Python after
a lookup by a unique key, so they behave the same on SQLite and PostgreSQL.
"""

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Account(Table, tablename="accounts_account"):
    """A person: a citizen (who may act for organisations) or an official."""

    id: Serial  # added by Piccolo; declared for the type checker
    kind = Varchar(length=16)  # "citizen" | "staff"
    full_name = Text()
    # Vietnamese mobile number, normalised to 0XXXXXXXXX; officials may have none.
    phone = Varchar(length=16, null=True, default=None, unique=True)
    email = Varchar(length=254, null=True, default=None)
    citizen_id = Varchar(length=12, null=True, default=None)
    # WebAuthn user.id: random, never personal data (base64url of 32 bytes).
    user_handle = Varchar(length=64, unique=True, index=True)
    role = Varchar(length=16, null=True, default=None)  # staff only
    agency_code = Varchar(length=32, null=True, default=None, index=True)  # staff only
    # Where a citizen lives, as they wrote it at sign-up (suggests where to file).
    address = Text(default="")
    disabled_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class Passkey(Table, tablename="accounts_passkey"):
    id: Serial
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    credential_id = Varchar(length=1400, unique=True, index=True)  # base64url
    public_key = Bytea()  # COSE_Key
    sign_count = BigInt(default=0)
    name = Varchar(length=60)
    transports = JSON(default=[])
    backed_up = Boolean(default=False)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)


class Challenge(Table, tablename="accounts_challenge"):
    """One WebAuthn challenge: bound to its flow (and account, when there is one),
    valid for five minutes, deleted by the first response that names it."""

    id: Serial
    challenge = Varchar(length=128, unique=True, index=True)  # base64url
    flow = Varchar(length=16)  # "sign_up" | "sign_in" | "add_passkey" | "enrol"
    account_id = Integer(null=True, default=None)
    data = JSON(default={})  # the sign-up fields, or the enrolment link's id
    expires_at = Timestamptz()


class Session(Table, tablename="accounts_session"):
    id: Serial
    token_hash = Varchar(length=64, unique=True, index=True)  # sha256 of the cookie
    public_id = Varchar(length=32, unique=True, index=True)  # shown and used to end it
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    device = Varchar(length=120, default="")
    # How the session began: "passkey" | "recovery" | "enrolment" | "identity" (an
    # identity provider's sign-in; officials may be required to use one).
    method = Varchar(length=16, default="passkey")


class Identity(Table, tablename="accounts_identity"):
    """A person's identity at a provider (VNeID): the issuer and the subject it knows
    them by. One row per identity and one per account and issuer; both are kept as
    composite keys in a unique column (SQLite refuses ALTER TABLE for a constraint)."""

    id: Serial
    # sha256 of "<issuer> <subject>": an identity signs in to one account only.
    identity_key = Varchar(length=64, unique=True, index=True)
    # "<sha256 of the issuer, 16 hex>:<account id>": an account has one identity there.
    account_key = Varchar(length=40, unique=True)
    issuer = Text()
    subject = Varchar(length=255)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)


class RecoveryCode(Table, tablename="accounts_recovery_code"):
    id: Serial
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    code_hash = Text()  # argon2id
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class EnrolmentLink(Table, tablename="accounts_enrolment_link"):
    """A one-time link to register a passkey: an official's first one (create-staff),
    or a person's new one after an identity check at a counter (re-enrolment)."""

    id: Serial
    token_hash = Varchar(length=64, unique=True, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    purpose = Varchar(length=16)  # "staff" | "reenrol"
    issued_by = Integer(null=True, default=None)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class Organisation(Table, tablename="accounts_organisation"):
    id: Serial
    name = Text()
    # 10 or 13 digits (no dash), or a household business's 12-digit personal ID number.
    tax_code = Varchar(length=13, unique=True, index=True)
    address = Text()
    created_by = Integer()
    created_at = Timestamptz()


class Membership(Table, tablename="accounts_membership"):
    id: Serial
    # "<organisation id>:<account id>": one row per pair (a composite unique constraint
    # would need ALTER TABLE, which SQLite refuses).
    member_key = Varchar(length=40, unique=True)
    organisation = ForeignKey(references=Organisation, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=16)  # "owner" | "member"
    created_at = Timestamptz()


class Invitation(Table, tablename="accounts_invitation"):
    id: Serial
    token_hash = Varchar(length=64, unique=True, index=True)
    organisation = ForeignKey(references=Organisation, on_delete=OnDelete.cascade, index=True)
    created_by = Integer()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    used_by = Integer(null=True, default=None)
    created_at = Timestamptz()


class AuditEvent(Table, tablename="accounts_audit"):
    """Append-only (database triggers refuse UPDATE and DELETE), each entry chained to
    the one before by its hash. No secrets in details."""

    id: Serial
    at = Timestamptz()
    event = Varchar(length=40, index=True)
    actor_id = Integer(null=True, default=None)
    subject_id = Integer(null=True, default=None, index=True)
    client_address = Varchar(length=45, null=True, default=None)
    details = JSON(default={})
    # The hash chain (backend.accounts.chain): 1, 2, 3... in the order entries
    # committed (unique), the previous entry's hash, and this one's (hex SHA-256).
    seq = Integer(default=0)
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64, default="")


class OrganisationClaim(Table, tablename="accounts_claim"):
    """A person's claim to represent an organisation someone else registered, with its
    business registration certificate, until an official of the province's service
    centre confirms or rejects it."""

    id: Serial
    organisation = ForeignKey(references=Organisation, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    # "<organisation id>:<account id>" while the claim is open, NULL once decided: one
    # open claim per person and organisation, whatever requests race (both databases
    # let a unique column hold many NULLs).
    open_key = Varchar(length=40, null=True, default=None, unique=True)
    status = Varchar(length=16, default="pending")  # "pending" | "confirmed" | "rejected"
    reason = Text()
    # The certificate, as the shared attachments keep it (checked by content).
    file_key = Varchar(length=32)
    file_media_type = Varchar(length=32)
    file_name = Varchar(length=100)
    file_pages = Integer(default=1)
    decided_by = Integer(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(default="")
    created_at = Timestamptz()
