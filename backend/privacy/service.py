"""People's rights over their data (the Personal Data Protection Law, in force
2026): a copy of everything the service holds of them (``export``), and the deletion
of their account (``delete_account``).

Each domain says what it holds of a person, and undoes its own links, through its
service; this module only gathers and orders them. The deletion runs domain by
domain, each step idempotent, the account's own step last: a failure half way leaves
an account its person can still sign in to and delete again.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.appointments import service as appointments
from backend.clock import utc_now
from backend.dossiers import service as dossiers
from backend.errors import InvalidInput
from backend.feedback import service as feedback
from backend.i18n import N_
from backend.notifications import service as notifications
from backend.payments import service as payments
from backend.privacy import archive
from backend.privacy.runtime import PrivacyRuntime
from backend.privacy.schemas import Deleted
from backend.tickets import service as tickets

FORMAT = "motcua-personal-data/1"
EXPORT_FLOW = "data_export"
# An archive reads every file the person has: a few an hour is plenty for a person,
# and keeps anyone holding a stolen session from making the server do it all day.
EXPORTS_PER_HOUR = 3
# What the person types to confirm; "XOA" for keyboards without Vietnamese.
CONFIRM_WORDS = frozenset({"XÓA", "XOA"})


async def export(runtime: PrivacyRuntime, principal: Principal, client: accounts.Client) -> Path:
    """The person's archive, built in a temporary file (the caller removes it)."""
    account_id = principal.account_id
    await runtime.accounts.limiter.check(EXPORT_FLOW, f"acct:{account_id}", EXPORTS_PER_HOUR, 3600)
    account = await accounts.personal_data(account_id)
    own_dossiers, dossier_files = await dossiers.dossiers_of_person(account_id, runtime.storage)
    own_payments, receipt_files = await payments.payments_of_person(
        runtime.payments, account_id, [row["id"] for row in own_dossiers]
    )
    opinions, photo_files = await feedback.feedback_of_person(account_id, runtime.storage)
    data: dict[str, Any] = {
        "format": FORMAT,
        "generated_at": utc_now(),
        **account,
        "notifications": await notifications.notifications_of_person(account_id),
        "dossiers": own_dossiers,
        "payments": own_payments,
        **opinions,
        "appointments": await appointments.bookings_of_person(account_id),
        "tickets": await tickets.tickets_of_person(account_id),
    }
    path = await archive.build(
        runtime.scratch, data, [*dossier_files, *receipt_files, *photo_files]
    )
    await accounts.record_audit(
        runtime.accounts.clock(),
        "data_exported",
        actor_id=account_id,
        subject_id=account_id,
        address=client.address,
        dossiers=len(own_dossiers),
        files=len(dossier_files) + len(receipt_files) + len(photo_files),
    )
    return path


def confirmed(word: str) -> bool:
    return unicodedata.normalize("NFC", word.strip()).upper() in CONFIRM_WORDS


async def delete_account(
    runtime: PrivacyRuntime, principal: Principal, word: str, client: accounts.Client
) -> Deleted:
    """The account deleted as the page explains: refused for officials and for the
    only owner of an organisation others belong to, before anything changes."""
    if not confirmed(word):
        raise InvalidInput(N_("Hãy gõ chữ XÓA để xác nhận."), field="confirm")
    account_id = principal.account_id
    await accounts.check_deletable(account_id)
    now = runtime.accounts.clock()
    bookings = await appointments.forget_booker(account_id, now=now)
    left = await tickets.forget_holder(account_id, now=now)
    await notifications.forget_recipient(account_id)
    await feedback.forget_rater(account_id)
    drafts, kept = await dossiers.forget_owner(account_id, runtime.storage)
    await accounts.forget_account(runtime.accounts, account_id, client)
    return Deleted(
        drafts=drafts, dossiers_kept=kept, bookings_cancelled=bookings, tickets_left=left
    )


def archive_name(principal: Principal) -> str:
    return f"du-lieu-mot-cua-{principal.account_id}-{utc_now():%Y%m%d}.zip"
