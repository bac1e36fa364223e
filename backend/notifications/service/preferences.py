"""What a person does not want pushed to their devices (the inbox still gets it)."""

from __future__ import annotations

from backend.accounts.schemas import Principal
from backend.db import write_transaction
from backend.errors import InvalidInput
from backend.i18n import N_
from backend.notifications.schemas import Preferences
from backend.notifications.service.notices import KINDS
from backend.notifications.tables import Preference


def _check_kinds(kinds: list[str], field: str) -> None:
    if set(kinds) - set(KINDS):
        raise InvalidInput(
            N_("Có loại thông báo không tồn tại. Hãy tải lại trang rồi chọn lại."), field=field
        )


async def get_preferences(principal: Principal) -> Preferences:
    rows = (
        await Preference.select(Preference.muted)
        .where(Preference.account_id == principal.account_id)
        .output(load_json=True)
    )
    return Preferences(muted=list(rows[0]["muted"]) if rows else [])


async def set_preferences(principal: Principal, muted: list[str]) -> Preferences:
    """Mute these kinds (and only these)."""
    _check_kinds(muted, "muted")
    return await _save(principal, muted)


async def choose_kinds(principal: Principal, wanted: list[str]) -> Preferences:
    """Keep pushing these kinds and mute the others: the settings form, whose boxes
    (field "kinds") are ticked for what the person wants."""
    _check_kinds(wanted, "kinds")
    return await _save(principal, [kind for kind in KINDS if kind not in wanted])


async def _save(principal: Principal, kinds: list[str]) -> Preferences:
    muted = sorted(set(kinds))
    async with write_transaction():
        await Preference.insert(
            Preference(account_id=principal.account_id, muted=muted)
        ).on_conflict(target=Preference.account_id, action="DO UPDATE", values=[Preference.muted])
    return Preferences(muted=muted)


async def muted_of(account_ids: set[int]) -> dict[int, set[str]]:
    """What each of these people muted (for the fan-out of a batch)."""
    if not account_ids:
        return {}
    rows = (
        await Preference.select(Preference.account_id, Preference.muted)
        .where(Preference.account_id.is_in(sorted(account_ids)))
        .output(load_json=True)
    )
    return {int(row["account_id"]): set(row["muted"]) for row in rows}
