"""The rules of dossiers: drafts, files, submission, the lifecycle's steps, deadlines,
access, tracking, the legal forms, the citizen's own store of documents (``store``),
and the figures the dashboard counts (``figures``);
the one way in for the dossiers' pages and API and for other domains.

Access is decided on every call, from the dossier's row (``access``). Every state
change runs in one write transaction with its history line and its outbox message, and
is applied only if the dossier's version is still the one the person saw (``history``).
"""

from backend.dossiers.figures import (
    DossierDays,
    OnTimeCount,
    ReceivedCount,
    ResolvedCount,
    dossier_days,
    dossiers_changed_since,
    first_dossier_day,
    on_time_among,
    overdue_counts,
    received_counts,
    resolved_counts,
)
from backend.dossiers.runtime import DossiersRuntime, runtime_of
from backend.dossiers.service.access import brief
from backend.dossiers.service.answers import APPLICANT_FIELDS, active, check_answers
from backend.dossiers.service.claims import (
    CLAIM_ROLES,
    MAX_CLAIM_FAILURES,
    ClaimState,
    claim,
    claim_state,
    issue_claim_code,
    revoke_claim,
)
from backend.dossiers.service.documents import legal_form
from backend.dossiers.service.drafts import create_draft, delete_draft, drafts_for, update_draft
from backend.dossiers.service.fees import FeeState, fee_states, mark_refunded, settle_fees
from backend.dossiers.service.files import (
    MAX_DOSSIER_BYTES,
    MAX_FILES,
    add_file,
    held_files,
    open_file,
    remove_file,
    stream_file,
)
from backend.dossiers.service.groups import (
    EVIDENCE_FIELD,
    GROUP_FIELD,
    group_of,
    group_problems,
    groups_offered,
)
from backend.dossiers.service.history import NOTICES, handlers_of, recipients
from backend.dossiers.service.personal import dossiers_of_person, forget_owner
from backend.dossiers.service.reads import (
    get_dossier,
    my_dossiers,
    officials,
    offline_copy,
    queue,
    queue_counts,
)
from backend.dossiers.service.reminders import FEE_DUE, FEE_REMINDER, remind_unpaid
from backend.dossiers.service.results import sign_result, signs_results, unsigned_results
from backend.dossiers.service.steps import act
from backend.dossiers.service.store import (
    RESULT_NAME,
    my_documents,
    offered_for,
    reuse_document,
)
from backend.dossiers.service.submission import (
    create_assisted,
    require_file,
    submission_problems,
    submit,
)
from backend.dossiers.service.sync import sync_records, sync_versions
from backend.dossiers.service.tracking import track, track_by_token, tracking_token, tracking_url

__all__ = [
    "APPLICANT_FIELDS",
    "CLAIM_ROLES",
    "EVIDENCE_FIELD",
    "FEE_DUE",
    "FEE_REMINDER",
    "GROUP_FIELD",
    "MAX_CLAIM_FAILURES",
    "MAX_DOSSIER_BYTES",
    "MAX_FILES",
    "NOTICES",
    "RESULT_NAME",
    "ClaimState",
    "DossierDays",
    "DossiersRuntime",
    "FeeState",
    "OnTimeCount",
    "ReceivedCount",
    "ResolvedCount",
    "act",
    "active",
    "add_file",
    "brief",
    "check_answers",
    "claim",
    "claim_state",
    "create_assisted",
    "create_draft",
    "delete_draft",
    "dossier_days",
    "dossiers_changed_since",
    "dossiers_of_person",
    "drafts_for",
    "fee_states",
    "first_dossier_day",
    "forget_owner",
    "get_dossier",
    "group_of",
    "group_problems",
    "groups_offered",
    "handlers_of",
    "held_files",
    "issue_claim_code",
    "legal_form",
    "mark_refunded",
    "my_documents",
    "my_dossiers",
    "offered_for",
    "officials",
    "offline_copy",
    "on_time_among",
    "open_file",
    "overdue_counts",
    "queue",
    "queue_counts",
    "received_counts",
    "recipients",
    "remind_unpaid",
    "remove_file",
    "require_file",
    "resolved_counts",
    "reuse_document",
    "revoke_claim",
    "runtime_of",
    "settle_fees",
    "sign_result",
    "signs_results",
    "stream_file",
    "submission_problems",
    "submit",
    "sync_records",
    "sync_versions",
    "track",
    "track_by_token",
    "tracking_token",
    "tracking_url",
    "unsigned_results",
    "update_draft",
]
