"""Queue tickets (issue 19): the key version of the entrance and hall-display tokens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.settings.parse import integer


@dataclass(frozen=True, slots=True)
class TicketSettings:
    """``key_version`` signs the entrance QR (one a day) and the hall display's link;
    raising it revokes every display link given out (a link that leaked out of the hall
    would let people take tickets from home) without reprinting the counters' posters."""

    key_version: int = 1


def ticket_settings(env: Mapping[str, str]) -> TicketSettings:
    return TicketSettings(
        key_version=integer(env, "MOTCUA_TICKET_KEY_VERSION", 1, low=1, high=999_999)
    )
