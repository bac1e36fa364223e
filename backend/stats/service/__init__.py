"""The figures of the dashboard: daily aggregates, refreshed incrementally, and the
reads of the leaders' and the public pages.

**What is counted** (``METRICS``), per Vietnamese calendar day and agency:

- ``received`` and ``received.<channel>``: dossiers by the day they were received, at
  the agency that received them (``receiving_agency``); ``received.full`` and
  ``received.partial``: those of procedures offered fully / partly online (the
  procedure's ``online_level`` in the catalogue when the day is aggregated),
  ``received.online_capable`` their sum, ``received.full_online`` and
  ``received.partial_online`` the ones of them that came through the online channel.
- ``resolved``: dossiers by the day their result was ready (``result_ready_at``), at
  the agency handling them then (``agency_code``); ``resolved.on_time``: result ready
  on or before the appointment date and no apology (Form 04) sent: an apology moves
  the appointment, but the dossier was late all the same; ``resolved.days_sum``:
  calendar days from the day received to the day the result was ready (for the
  average); ``resolved.unhappy``: late, rated 1 or 2 (out of 5) by its applicant, or
  the subject of a feedback (Decision 766's dossier-satisfaction formula).
- ``paid.count``: dossiers whose fees were paid that day (a payment's ``paid_at``), at
  the agency that received them; ``paid.online``: those paid through a gateway (any
  provider but cash).
- ``ratings.*``: satisfaction ratings by their day, at the rated agency (a counter's
  agency; for a dossier the agency handling it, ``agency_code``, as its ``resolved``:
  after a transfer, not the one that received it); count and satisfied (4 or 5 out
  of 5), in all and apart for counter visits and dossiers.
- ``feedback.received``: feedback (PAKN) by the day received, at the agency first
  given it; ``feedback.answered``, ``.on_time``, ``.rated`` (the person rated the
  answer), ``.rated_satisfied`` (4 or 5), ``.unhappy`` (answered late or rated 1 or
  2): by the day answered, at the agency that answered.

The agency code ``*`` holds each day's sum over the agencies: the province.

**Where the numbers come from.** Each domain counts its own rows through its
service (``dossiers``, ``payments``, ``feedback``: their ``figures`` modules; the
catalogue gives the procedures' online levels and its agencies); ``sources`` puts
those counts together. No SQL of this domain reads another domain's table: only
``stats_daily`` and ``stats_state`` (``store``, ``reads``).

**Refresh** (``refresh(now)``, a chore of the outbox worker). The first time, every
day from the oldest data to today is aggregated from the domains' rows, a month of
days at a time, a few seconds a call, until done. After that, each call looks only at
what changed since the last one: dossiers, ratings and feedback by their indexed
``updated_at``, payments by ``paid_at``. Each changed row names the (day, agency)
pairs it counts in, for each family of metrics (``FAMILIES``: a dossier its received
day for ``received.*`` and its result day for ``resolved.*``, a rating its day for
``ratings.*`` and its dossier's result day for ``resolved.*``, ...); exactly those
families of those pairs are computed again and replaced, then the province rows of
those days. The watermark then moves to the call's time less two minutes
(``MARGIN_MS``), so a transaction that committed late is still seen. A lease on the
state row keeps two workers from refreshing at once.

**Clean-up.** A family of a day is recomputed only when a row that counts in it
changes, and never once the day is more than ``FROZEN_DAYS`` old: deleting old
dossiers, ratings or feedback later leaves their days' figures as they were.
``rebuild(start, end)`` recomputes a range on purpose (after importing old data); only
use it on days whose rows are all still there.

**Who sees what** (``scope``): a leader their own agency; the leaders of the
province's Public Administration Service Centre (``PROVINCE_WIDE``) the province, its
rows by administrative unit (a commune's or ward's agencies together, and the
province's departments) and by agency, and any unit or agency on its own. Units are
read from the catalogue when the page is shown (an agency's ``unit_code``), never
stored here: an agency moved to another unit moves its history with it.

**Modules.** ``metrics`` (what is counted), ``sources`` (from the other domains),
``store`` (this domain's tables), ``refresh``, ``reads`` (the dashboard's sums, its
rows by unit and agency, and live counts), ``period`` (the dashboard's days),
``scope`` (who sees which subject), ``decision766`` (the index's groups and
formulas); this module is their facade.
"""

from backend.stats.service.decision766 import GROUPS, Group, Indicator
from backend.stats.service.metrics import (
    BATCH_DAYS,
    CHANNELS,
    FAMILIES,
    METRICS,
    PROVINCE,
    Pair,
    Touched,
    Values,
    vietnam_today,
)
from backend.stats.service.period import (
    PERIODS,
    STEPS,
    Choice,
    Days,
    PeriodQuery,
    choose_days,
    default_step,
    period_days,
    step_start,
    steps,
)
from backend.stats.service.reads import (
    breakdown,
    feedback_overdue_now,
    figures,
    overdue_now,
    series,
)
from backend.stats.service.refresh import (
    BUDGET_S,
    FROZEN_DAYS,
    LEASE_MS,
    MARGIN_MS,
    Refreshed,
    rebuild,
    recompute,
    refresh,
    refresh_once,
)
from backend.stats.service.scope import (
    PROVINCE_WIDE,
    Province,
    choose,
    province_now,
    sees_province,
    subject_of,
)
from backend.stats.service.sources import compute, touched_since
from backend.stats.service.store import STATE_NAME, refreshed_at

__all__ = [
    "BATCH_DAYS",
    "BUDGET_S",
    "CHANNELS",
    "FAMILIES",
    "FROZEN_DAYS",
    "GROUPS",
    "LEASE_MS",
    "MARGIN_MS",
    "METRICS",
    "PERIODS",
    "PROVINCE",
    "PROVINCE_WIDE",
    "STATE_NAME",
    "STEPS",
    "Choice",
    "Days",
    "Group",
    "Indicator",
    "Pair",
    "PeriodQuery",
    "Province",
    "Refreshed",
    "Touched",
    "Values",
    "breakdown",
    "choose",
    "choose_days",
    "compute",
    "default_step",
    "feedback_overdue_now",
    "figures",
    "overdue_now",
    "period_days",
    "province_now",
    "rebuild",
    "recompute",
    "refresh",
    "refresh_once",
    "refreshed_at",
    "sees_province",
    "series",
    "step_start",
    "steps",
    "subject_of",
    "touched_since",
    "vietnam_today",
]
