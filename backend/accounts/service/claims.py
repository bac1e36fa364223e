"""Claims to represent an organisation someone else registered first.

Whoever types a tax code first owns the organisation. A second representative (the
legal representative of a company, the head of a household business) files a claim
with the organisation's business registration certificate; a reception official of
the province's Public Administration Service Centre (``CLAIM_AGENCIES``) compares it
with the claimant and confirms or rejects it, giving a reason.

On confirmation the claimant becomes an owner beside the ones already there, not
instead of them: the certificate proves the claimant's right, not that the present
owner has none (two co-directors, a household whose head changed), and an official
acting on one document should not be able to lock anyone out. Owners cannot remove
owners, so neither can lock the other out afterwards. The present owners are told,
whatever they muted; the claimant is told either way. Each step is audited (ids only:
the reasons and the certificate stay in the claim's row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec
from piccolo.custom_types import Combinable

from backend.accounts import audit
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import (
    ClaimDecision,
    ClaimIn,
    ClaimRead,
    ClaimReview,
    Principal,
)
from backend.accounts.service.people import Client
from backend.accounts.tables import Membership, Organisation, OrganisationClaim
from backend.accounts.validation import tax_code as check_tax_code
from backend.attachments import CheckedFile
from backend.db import fetch, write_transaction
from backend.db.dialect import Sql, list_param
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound, Problems
from backend.i18n import N_
from backend.outbox import service as outbox
from backend.vietnam import in_vietnam

# The province's Public Administration Service Centre (the agency stats' PROVINCE_WIDE
# names): an organisation is the province's, not one agency's, and the centre's
# reception officials check identity papers at its counters. Another province puts
# its own centre's code here.
CLAIM_AGENCIES: frozenset[str] = frozenset({"000.00.01.H56"})
CLAIM_BUCKET = "organisation-claim"
# What the people concerned are told (the notifications' kinds).
CLAIM_CONFIRMED = "organisation.claim_confirmed"
CLAIM_REJECTED = "organisation.claim_rejected"
ORGANISATION_CLAIMED = "organisation.claimed"
_REASON = (10, 1000)
_DECISION_REASON = (5, 1000)

Upload = tuple[bytes, str]  # the file's bytes (at most the limit and one) and its name


class _Row(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    organisation_id: int
    organisation_name: str
    organisation_address: str
    tax_code: str
    account_id: int
    claimant_name: str
    claimant_citizen_id: str | None
    status: str
    reason: str
    file_key: str
    file_media_type: str
    file_name: str
    file_pages: int
    decided_by: int | None
    decided_at: dt.datetime | None
    decision_reason: str
    created_at: dt.datetime


_COLUMNS = (
    OrganisationClaim.id,
    OrganisationClaim.organisation.id.as_alias("organisation_id"),
    OrganisationClaim.organisation.name.as_alias("organisation_name"),
    OrganisationClaim.organisation.address.as_alias("organisation_address"),
    OrganisationClaim.organisation.tax_code.as_alias("tax_code"),
    OrganisationClaim.account.id.as_alias("account_id"),
    OrganisationClaim.account.full_name.as_alias("claimant_name"),
    OrganisationClaim.account.citizen_id.as_alias("claimant_citizen_id"),
    OrganisationClaim.status,
    OrganisationClaim.reason,
    OrganisationClaim.file_key,
    OrganisationClaim.file_media_type,
    OrganisationClaim.file_name,
    OrganisationClaim.file_pages,
    OrganisationClaim.decided_by,
    OrganisationClaim.decided_at,
    OrganisationClaim.decision_reason,
    OrganisationClaim.created_at,
)


def handles_claims(principal: Principal | None) -> bool:
    """Whether this person decides organisation claims."""
    return (
        principal is not None
        and principal.kind == "staff"
        and principal.role == "reception"
        and principal.agency_code in CLAIM_AGENCIES
    )


def _handler(principal: Principal) -> None:
    if not handles_claims(principal):
        raise Forbidden(
            N_(
                "Chỉ cán bộ tiếp nhận của Trung tâm Phục vụ hành chính công tỉnh xử lý yêu "
                "cầu đại diện tổ chức."
            )
        )


def _open_key(organisation_id: int, account_id: int) -> str:
    return f"{organisation_id}:{account_id}"


def _read(row: _Row) -> ClaimRead:
    return ClaimRead(
        id=row.id,
        organisation_id=row.organisation_id,
        organisation_name=row.organisation_name,
        tax_code=row.tax_code,
        status=row.status,  # type: ignore[arg-type]
        reason=row.reason,
        certificate_name=row.file_name,
        created_at=row.created_at,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
    )


async def _owners(organisation_id: int) -> list[tuple[int, str]]:
    rows = (
        await Membership.select(
            Membership.account.id.as_alias("id"), Membership.account.full_name.as_alias("name")
        )
        .where((Membership.organisation == organisation_id) & (Membership.role == "owner"))
        .order_by(Membership.id)
    )
    return [(int(row["id"]), str(row["name"])) for row in rows]


async def _review(row: _Row) -> ClaimReview:
    return ClaimReview(
        **msgspec.structs.asdict(_read(row)),
        claimant_id=row.account_id,
        claimant_name=row.claimant_name,
        claimant_citizen_id=row.claimant_citizen_id,
        organisation_address=row.organisation_address,
        owners=[name for _, name in await _owners(row.organisation_id)],
        certificate_media_type=row.file_media_type,
        certificate_pages=row.file_pages,
        decided_by=row.decided_by,
    )


async def _rows(where: Combinable) -> list[_Row]:
    rows = await OrganisationClaim.select(*_COLUMNS).where(where).order_by(OrganisationClaim.id)
    return msgspec.convert(rows, list[_Row])


def _no_claim() -> NotFound:
    return NotFound(N_("Không tìm thấy yêu cầu này."), field="id")


# ------------------------------------------------------------------- the claimant


def _text(value: str, field: str, bounds: tuple[int, int], problems: Problems) -> str:
    text = value.strip()
    if not bounds[0] <= len(text) <= bounds[1]:
        problems.add(
            field,
            N_(
                "Lý do phải có từ %(low)d đến %(high)d ký tự.",
                low=bounds[0],
                high=bounds[1],
            ),
        )
    return text


async def _certificate(
    runtime: AccountsRuntime, upload: Upload | None, problems: Problems
) -> CheckedFile | None:
    if upload is None or not upload[0]:
        problems.add(
            "file",
            N_(
                "Hãy đính kèm ảnh chụp hoặc tệp PDF giấy chứng nhận đăng ký doanh nghiệp "
                "hoặc đăng ký hộ kinh doanh."
            ),
        )
        return None
    try:
        return await runtime.attachments.check(*upload)
    except InvalidInput as error:
        problems.extend(error)
        return None


async def file_claim(
    runtime: AccountsRuntime,
    principal: Principal,
    data: ClaimIn,
    upload: Upload | None,
    client: Client,
) -> ClaimRead:
    """File a claim for the organisation of this tax code, its certificate checked by
    content; every problem of the form at once, nothing kept if there is any."""
    if principal.kind != "citizen":
        raise Forbidden(N_("Chỉ người dân và doanh nghiệp dùng được chức năng này."))
    await runtime.limiter.check_address(CLAIM_BUCKET, client.address)
    await runtime.limiter.check_account(CLAIM_BUCKET, principal.account_id)
    problems = Problems()
    code = ""
    with problems.noting():
        code = check_tax_code(data.tax_code, year=in_vietnam(runtime.clock()).year)
    reason = _text(data.reason, "reason", _REASON, problems)
    certificate = await _certificate(runtime, upload, problems)
    problems.raise_any()
    assert certificate is not None
    found = await Organisation.select(Organisation.id).where(Organisation.tax_code == code)
    if not found:
        raise NotFound(
            N_(
                "Chưa có tổ chức nào đăng ký mã số thuế này trong Một Cửa. Bạn có thể tự "
                "đăng ký tổ chức."
            ),
            field="tax_code",
        )
    organisation_id = int(found[0]["id"])
    await _claimable(principal, organisation_id)
    key = await runtime.attachments.storage.put(certificate.data)
    now = runtime.clock()
    try:
        async with write_transaction():
            await _claimable(principal, organisation_id)
            rows = (
                await OrganisationClaim.insert(
                    OrganisationClaim(
                        organisation=organisation_id,
                        account=principal.account_id,
                        open_key=_open_key(organisation_id, principal.account_id),
                        status="pending",
                        reason=reason,
                        file_key=key,
                        file_media_type=certificate.media_type,
                        file_name=certificate.display_name,
                        file_pages=certificate.pages,
                        created_at=now,
                    )
                )
                .on_conflict(target=OrganisationClaim.open_key, action="DO NOTHING")
                .returning(OrganisationClaim.id)
            )
            if not rows:  # a twin request filed it a moment ago
                raise _already_open()
    except BaseException:
        await runtime.attachments.storage.delete(key)
        raise
    claim_id = int(rows[0]["id"])
    await audit.record(
        runtime,
        "organisation_claim_filed",
        actor_id=principal.account_id,
        subject_id=principal.account_id,
        address=client.address,
        organisation_id=organisation_id,
        claim_id=claim_id,
    )
    return await my_claim(principal, claim_id)


def _already_open() -> Conflict:
    return Conflict(
        N_(
            "Bạn đã gửi một yêu cầu cho tổ chức này và yêu cầu đang chờ cán bộ xem xét. "
            "Hãy theo dõi kết quả ở trang Yêu cầu đại diện tổ chức."
        ),
        field="tax_code",
    )


async def _claimable(principal: Principal, organisation_id: int) -> None:
    """Refuse a claim by an owner, or a second open one."""
    role = await Membership.select(Membership.role).where(
        Membership.member_key == f"{organisation_id}:{principal.account_id}"
    )
    if role and role[0]["role"] == "owner":
        raise Conflict(
            N_("Bạn đã là chủ tài khoản của tổ chức này, không cần gửi yêu cầu."),
            field="tax_code",
        )
    if await OrganisationClaim.exists().where(
        OrganisationClaim.open_key == _open_key(organisation_id, principal.account_id)
    ):
        raise _already_open()


async def my_claims(principal: Principal) -> list[ClaimRead]:
    rows = await _rows(OrganisationClaim.account == principal.account_id)
    return [_read(row) for row in reversed(rows)]


async def my_claim(principal: Principal, claim_id: int) -> ClaimRead:
    rows = await _rows(
        (OrganisationClaim.id == claim_id) & (OrganisationClaim.account == principal.account_id)
    )
    if not rows:
        raise _no_claim()
    return _read(rows[0])


# -------------------------------------------------------------------- the officials


async def pending_claims(principal: Principal) -> list[ClaimReview]:
    """The open claims, oldest first."""
    _handler(principal)
    return [await _review(row) for row in await _rows(OrganisationClaim.status == "pending")]


async def _row(claim_id: int) -> _Row:
    rows = await _rows(OrganisationClaim.id == claim_id)
    if not rows:
        raise _no_claim()
    return rows[0]


async def claim_for_review(principal: Principal, claim_id: int) -> ClaimReview:
    _handler(principal)
    return await _review(await _row(claim_id))


async def claim_certificate(
    runtime: AccountsRuntime, principal: Principal, claim_id: int, client: Client
) -> tuple[bytes, str, str]:
    """The certificate's bytes, media type and name, for an official deciding claims;
    each look is audited (it names a person and their ID number)."""
    _handler(principal)
    row = await _row(claim_id)
    data = await runtime.attachments.storage.get(row.file_key)
    await audit.record(
        runtime,
        "organisation_claim_certificate_viewed",
        actor_id=principal.account_id,
        subject_id=row.account_id,
        address=client.address,
        organisation_id=row.organisation_id,
        claim_id=row.id,
    )
    return data, row.file_media_type, row.file_name


async def decide_claim(
    runtime: AccountsRuntime,
    principal: Principal,
    claim_id: int,
    data: ClaimDecision,
    client: Client,
) -> ClaimReview:
    """Confirm (the claimant becomes an owner) or reject a pending claim, once: a
    second decision, or a replay of the first, is refused."""
    _handler(principal)
    problems = Problems()
    reason = _text(data.reason, "reason", _DECISION_REASON, problems)
    problems.raise_any()
    row = await _row(claim_id)
    now = runtime.clock()
    status = "confirmed" if data.confirm else "rejected"
    async with write_transaction():
        decided = (
            await OrganisationClaim.update(
                {
                    OrganisationClaim.status: status,
                    OrganisationClaim.open_key: None,
                    OrganisationClaim.decided_by: principal.account_id,
                    OrganisationClaim.decided_at: now,
                    OrganisationClaim.decision_reason: reason,
                }
            )
            .where((OrganisationClaim.id == claim_id) & (OrganisationClaim.status == "pending"))
            .returning(OrganisationClaim.id)
        )
        if not decided:
            raise Conflict(
                N_("Yêu cầu này đã được xử lý trước đó; không thể xử lý lại."), field="id"
            )
        if data.confirm:
            await _make_owner(row, now)
        else:
            await _tell(row, CLAIM_REJECTED, [row.account_id], str(row.id), now)
    await audit.record(
        runtime,
        "organisation_claim_confirmed" if data.confirm else "organisation_claim_rejected",
        actor_id=principal.account_id,
        subject_id=row.account_id,
        address=client.address,
        organisation_id=row.organisation_id,
        claim_id=row.id,
        agency=principal.agency_code,
    )
    return await _review(await _row(claim_id))


async def _make_owner(row: _Row, now: dt.datetime) -> None:
    """The claimant an owner (a member already is promoted); the owners before told."""
    owners = [account_id for account_id, _ in await _owners(row.organisation_id)]
    key = f"{row.organisation_id}:{row.account_id}"
    promoted = (
        await Membership.update({Membership.role: "owner"})
        .where(Membership.member_key == key)
        .returning(Membership.id)
    )
    if not promoted:
        await Membership.insert(
            Membership(
                member_key=key,
                organisation=row.organisation_id,
                account=row.account_id,
                role="owner",
                created_at=now,
            )
        )
    code = str(row.organisation_id)
    await _tell(row, CLAIM_CONFIRMED, [row.account_id], code, now)
    others = [account_id for account_id in owners if account_id != row.account_id]
    if others:
        await _tell(row, ORGANISATION_CLAIMED, others, code, now)


async def _tell(row: _Row, kind: str, account_ids: list[int], code: str, now: dt.datetime) -> None:
    await outbox.enqueue(
        event_key=f"organisation-claim:{row.id}:{kind}",
        kind=kind,
        subject=f"organisation:{row.organisation_id}",
        account_ids=account_ids,
        payload={"code": code, "at": now.isoformat()},
        now=now,
    )


_HELD = Sql("SELECT file_key FROM accounts_claim WHERE file_key IN_TEXTS({})")


async def held_certificates(keys: Sequence[str]) -> set[str]:
    """Of these storage keys, those a claim's certificate holds (the attachments'
    sweep removes the others)."""
    return {row["file_key"] for row in await fetch(_HELD(), list_param(keys))}
