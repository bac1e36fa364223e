"""Vietnam's time zone, and how times and sizes are written there: shared by the
domains and registered for every template."""

from __future__ import annotations

import datetime as dt

# UTC+7 without daylight saving since 1975: dates of receipt, appointments, dossier
# codes and working days are Vietnamese calendar days.
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")


def when(moment: dt.datetime | None) -> str:
    """A moment in Vietnam time, as people there write it: 22/11/2026 14:05."""
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") if moment else ""


def file_size(size: int) -> str:
    """820 KB, 3,4 MB (a decimal comma, as Vietnamese writes it)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} KB"
