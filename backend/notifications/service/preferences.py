"""What a person does not want pushed to their devices (the inbox still gets it), and
the channels beside push (e-mail, SMS, ZNS) each kind of notice goes by: nothing
until they choose, since SMS costs money and an e-mail address may not be theirs."""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.db import write_transaction
from backend.errors import InvalidInput, Problems
from backend.i18n import N_, Text
from backend.notifications.schemas import Preferences
from backend.notifications.service.notices import KINDS
from backend.notifications.tables import Preference


def _check_kinds(kinds: list[str], field: str) -> None:
    if set(kinds) - set(KINDS):
        raise InvalidInput(
            N_("Có loại thông báo không tồn tại. Hãy tải lại trang rồi chọn lại."), field=field
        )


# The channels beside push, as the settings page names them.
CHANNEL_NAMES: dict[str, Text] = {
    "zns": N_("Tin nhắn Zalo (ZNS) đến số điện thoại của bạn"),
    "sms": N_("Tin nhắn SMS đến số điện thoại của bạn"),
    "email": N_("Thư điện tử"),
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


async def get_preferences(principal: Principal) -> Preferences:
    rows = (
        await Preference.select(Preference.muted, Preference.channels, Preference.email)
        .where(Preference.account_id == principal.account_id)
        .output(load_json=True)
    )
    if not rows:
        return Preferences(muted=[])
    return Preferences(
        muted=list(rows[0]["muted"]), channels=dict(rows[0]["channels"]), email=rows[0]["email"]
    )


async def set_preferences(principal: Principal, muted: list[str]) -> Preferences:
    """Mute these kinds (and only these)."""
    _check_kinds(muted, "muted")
    return await _save(principal, muted)


async def choose_kinds(principal: Principal, wanted: list[str]) -> Preferences:
    """Keep pushing these kinds and mute the others: the settings form, whose boxes
    (field "kinds") are ticked for what the person wants."""
    _check_kinds(wanted, "kinds")
    return await _save(principal, [kind for kind in KINDS if kind not in wanted])


async def choose_channels(
    principal: Principal,
    offered: Mapping[str, list[str]],
    chosen: Mapping[str, list[str]],
    email: str,
    lang: str,
) -> Preferences:
    """The settings form's channel boxes: ``chosen`` maps a channel to the kinds ticked
    for it; only what ``offered`` (kind -> channels configured) allows. E-mail needs an
    address: the one typed, else the account's."""
    problems = Problems()
    email = email.strip()
    if email and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        problems.add("email", N_("Địa chỉ thư điện tử không hợp lệ. Ví dụ: ten@example.com."))
    by_kind: dict[str, list[str]] = {}
    refused = False
    for channel, kinds in chosen.items():
        for kind in kinds:
            if channel in offered.get(kind, []):
                by_kind.setdefault(kind, []).append(channel)
            else:
                refused = True
    if refused:
        problems.add(
            "channels", N_("Có cách nhận thông báo không còn được cung cấp. Hãy tải lại trang.")
        )
    wants_mail = any("email" in names for names in by_kind.values())
    if wants_mail and not email and not (await accounts.get_account(principal.account_id)).email:
        problems.add("email", N_("Hãy nhập địa chỉ thư điện tử để nhận thông báo qua thư."))
    problems.raise_any()
    channels = {kind: sorted(set(names)) for kind, names in sorted(by_kind.items())}
    async with write_transaction():
        await Preference.insert(
            Preference(
                account_id=principal.account_id,
                muted=[],
                channels=channels,
                email=email,
                lang=lang if lang in {"vi", "en"} else "vi",
            )
        ).on_conflict(
            target=Preference.account_id,
            action="DO UPDATE",
            values=[Preference.channels, Preference.email, Preference.lang],
        )
    return await get_preferences(principal)


async def _save(principal: Principal, kinds: list[str]) -> Preferences:
    muted = sorted(set(kinds))
    async with write_transaction():
        await Preference.insert(
            Preference(account_id=principal.account_id, muted=muted)
        ).on_conflict(target=Preference.account_id, action="DO UPDATE", values=[Preference.muted])
    return msgspec.structs.replace(await get_preferences(principal), muted=muted)


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
