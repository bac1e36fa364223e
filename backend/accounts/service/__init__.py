"""Rules and queries of accounts, one module a part: sign-up (``signup``) and sign-in
(``signin``) with passkeys, sign-in with an identity provider such as VNeID
(``identity``), a person's passkeys (``passkeys``), recovery codes
(``recovery``), enrolment links (``enrolment``), what a counter re-enrolment leaves
behind, its notice and "this was not me" (``reenrolment``), officials (``officials``),
organisations and invitations (``organisations``), claims to represent an organisation
registered by someone else (``claims``), and the reads other domains make
(``people``). Other domains import this package only.

Every function that changes something records an audit event; every function that
reads or changes an object of a person checks it is theirs and answers "not found"
otherwise.
"""

from backend.accounts import anchors, audit, chain, validation
from backend.accounts.anchors import AnchorReport
from backend.accounts.chain import ChainBreak, ChainReport
from backend.accounts.ratelimit import RateLimiter
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.service.claims import (
    CLAIM_CONFIRMED,
    CLAIM_REJECTED,
    ORGANISATION_CLAIMED,
    claim_certificate,
    claim_for_review,
    decide_claim,
    file_claim,
    handles_claims,
    held_certificates,
    my_claim,
    my_claims,
    pending_claims,
)
from backend.accounts.service.enrolment import (
    EnrolmentInfo,
    enrolment_info,
    enrolment_options,
    finish_enrolment,
    issue_reenrolment,
)
from backend.accounts.service.identity import (
    CALLBACK_PATH,
    IdentityFailed,
    finish_identity,
    identity_name,
    identity_of,
    start_identity,
)
from backend.accounts.service.officials import (
    create_staff,
    issue_staff_enrolment,
    list_staff,
    set_disabled,
    update_staff,
)
from backend.accounts.service.organisations import (
    accept_invitation,
    create_invitation,
    get_organisation,
    invitation_info,
    member_ids,
    membership_role,
    my_organisations,
    organisation_card,
    organisation_ids_of,
    register_organisation,
    remove_member,
)
from backend.accounts.service.passkeys import (
    add_passkey_options,
    finish_add_passkey,
    list_passkeys,
    remove_passkey,
    rename_passkey,
)
from backend.accounts.service.people import (
    Client,
    get_account,
    home_address,
    names_of,
    officials_of,
)
from backend.accounts.service.personal import (
    check_deletable,
    deleted_name,
    forget_account,
    personal_data,
)
from backend.accounts.service.recovery import (
    AFTER_RECOVERY,
    recover,
    recovery_codes_left,
    renew_recovery_codes,
)
from backend.accounts.service.reenrolment import (
    DISOWN_PATH,
    NOTICE_KIND,
    counter_passkey,
    disown,
    kept_until,
    protected_since,
    session_end_since,
)
from backend.accounts.service.signin import (
    end_session,
    finish_sign_in,
    sign_in_options,
    sign_out,
    sign_out_everywhere,
)
from backend.accounts.service.signup import (
    SIGN_UP_ATTEMPTED,
    finish_sign_up,
    sign_up_options,
)
from backend.accounts.sessions import list_for as list_sessions
from backend.accounts.sessions import live_sessions

# For the domains that take a person's name or phone number (a dossier's applicant):
# ``check_full_name(value, field)``, ``normalise_phone(value, field)``.
check_full_name = validation.full_name
normalise_phone = validation.phone
# For the domains whose security events belong in the audit log (a dossier's claim):
# ``record_audit(at, event, actor_id=, subject_id=, address=, **ids)``.
record_audit = audit.record_at
# ``motcua audit-verify``: the audit log's hash chain checked, entry by entry.
verify_audit_chain = chain.verify
# ``motcua audit-anchor`` and the worker's chore: the chain's head written outside the
# database; ``audit-verify`` then checks every anchor is still in the chain.
anchor_audit_chain = anchors.write
verify_audit_anchors = anchors.verify
anchors_where = anchors.where

__all__ = [
    "AFTER_RECOVERY",
    "CALLBACK_PATH",
    "CLAIM_CONFIRMED",
    "CLAIM_REJECTED",
    "DISOWN_PATH",
    "NOTICE_KIND",
    "ORGANISATION_CLAIMED",
    "SIGN_UP_ATTEMPTED",
    "AccountsRuntime",
    "AnchorReport",
    "ChainBreak",
    "ChainReport",
    "Client",
    "EnrolmentInfo",
    "IdentityFailed",
    "RateLimiter",
    "accept_invitation",
    "add_passkey_options",
    "anchor_audit_chain",
    "anchors_where",
    "check_deletable",
    "check_full_name",
    "claim_certificate",
    "claim_for_review",
    "counter_passkey",
    "create_invitation",
    "create_staff",
    "decide_claim",
    "deleted_name",
    "disown",
    "end_session",
    "enrolment_info",
    "enrolment_options",
    "file_claim",
    "finish_add_passkey",
    "finish_enrolment",
    "finish_identity",
    "finish_sign_in",
    "finish_sign_up",
    "forget_account",
    "get_account",
    "get_organisation",
    "handles_claims",
    "held_certificates",
    "home_address",
    "identity_name",
    "identity_of",
    "invitation_info",
    "issue_reenrolment",
    "issue_staff_enrolment",
    "kept_until",
    "list_passkeys",
    "list_sessions",
    "list_staff",
    "live_sessions",
    "member_ids",
    "membership_role",
    "my_claim",
    "my_claims",
    "my_organisations",
    "names_of",
    "normalise_phone",
    "officials_of",
    "organisation_card",
    "organisation_ids_of",
    "pending_claims",
    "personal_data",
    "protected_since",
    "record_audit",
    "recover",
    "recovery_codes_left",
    "register_organisation",
    "remove_member",
    "remove_passkey",
    "rename_passkey",
    "renew_recovery_codes",
    "session_end_since",
    "set_disabled",
    "sign_in_options",
    "sign_out",
    "sign_out_everywhere",
    "sign_up_options",
    "start_identity",
    "update_staff",
    "verify_audit_anchors",
    "verify_audit_chain",
]
