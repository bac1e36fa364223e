"""Who may reach a dossier, decided on every call from its row: a citizen reaches the
dossiers they own and those of the organisations they are a member of now (one they
filed for an organisation they have left is no longer theirs); an official those their agency
holds (and, read only, those it passed on), never drafts; anyone else gets "not
found", so ids reveal nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from backend.accounts import service as accounts
from backend.accounts.schemas import OFFICIAL_ROLES, Principal
from backend.db import fetch
from backend.dossiers.lifecycle import Actor
from backend.dossiers.schemas import DossierBrief
from backend.dossiers.service.rows import DECODERS, DossierRow, columns, load_row, not_found


@dataclass(frozen=True, slots=True)
class Access:
    actor: Actor
    # Officials act only on dossiers their agency holds now; the receiving agency of a
    # transferred dossier still sees it.
    may_act: bool


async def access_to(principal: Principal, row: DossierRow | DossierBrief) -> Access:
    if principal.kind == "citizen":
        # An organisation's dossier is the organisation's: whoever filed it (its
        # owner_id) reaches it only while a member, so a removal takes effect at once.
        if row.organisation_id is not None:
            if await accounts.membership_role(principal.account_id, row.organisation_id):
                return Access("citizen", True)
        elif row.owner_id == principal.account_id:
            return Access("citizen", True)
        raise not_found()
    if principal.role in OFFICIAL_ROLES and row.status != "draft":
        here = principal.agency_code
        if here == row.agency_code:
            return Access(cast(Actor, principal.role), True)
        if here == row.receiving_agency:
            return Access(cast(Actor, principal.role), False)
    raise not_found()


async def readable(principal: Principal, dossier_id: int) -> tuple[DossierRow, Access]:
    row = await load_row(dossier_id)
    return row, await access_to(principal, row)


_BRIEF = (
    f"SELECT {columns(DossierBrief, leave_out=('may_act',))}"  # noqa: S608
    " FROM dossiers_dossier WHERE id = {}"
)


async def brief(principal: Principal, dossier_id: int) -> DossierBrief:
    """A dossier's key facts (state, parties, agency, fees), for someone who may see it,
    with whether they may act on it: for the payments and feedback domains."""
    rows = await fetch(_BRIEF, dossier_id)
    if not rows:
        raise not_found()
    row = rows[0]
    row["fee_lines"] = DECODERS["fee_lines"].decode(row["fee_lines"])
    found = DossierBrief(**row)
    found.may_act = (await access_to(principal, found)).may_act
    return found
