"""Vietnam's time zone, shared by the domains (how dates are written is
``backend.i18n``'s)."""

from __future__ import annotations

import datetime as dt

# UTC+7 without daylight saving since 1975: dates of receipt, appointments, dossier
# codes and working days are Vietnamese calendar days.
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")


def in_vietnam(moment: dt.datetime) -> dt.datetime:
    """A moment in Vietnam time; a naive moment is UTC, as the database stores them."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(VIETNAM)
