"""Piccolo tables of the stats domain: daily aggregates and the refresh's bookkeeping.

``StatsDaily`` holds one number per (Vietnamese calendar day, agency, metric), and the
same per day for the whole province under the agency code ``*`` (the sum of the
agencies' rows, kept so province-wide reads touch a tenth of the rows). A raw
migration step adds the unique index on (agency_code, day, metric) that SQLite will not
take as a Piccolo composite constraint; it is also the index every dashboard read
scans. The figures are read from here only, never from the dossiers: a day once
aggregated keeps its numbers when old dossiers, ratings or feedback are cleaned up.
"""

from piccolo.columns import BigInt, Date, Serial, Timestamptz, Varchar
from piccolo.table import Table


class StatsDaily(Table, tablename="stats_daily"):
    id: Serial  # added by Piccolo; declared for the type checker
    day = Date(index=True)
    agency_code = Varchar(length=32)  # an Agency.code, or "*" for the whole province
    metric = Varchar(length=48)  # see backend.stats.service.METRICS
    value = BigInt(default=0)


class StatsState(Table, tablename="stats_state"):
    """One row ("daily"): how far the refresh has got.

    ``watermark_ms``: changes made at or after this moment (epoch ms) are still to be
    looked at; 0 until the first full aggregation has finished. ``rebuild_from``: the
    next day a full aggregation in progress will do (it goes by batches of days, a few
    seconds a call, so the worker that runs it keeps delivering notifications).
    ``lease_until_ms``: a refresh holds the row until then, so two workers never
    aggregate at once."""

    id: Serial
    name = Varchar(length=16, unique=True)
    watermark_ms = BigInt(default=0)
    rebuild_from = Date(null=True, default=None)
    rebuild_started_ms = BigInt(default=0)
    lease_until_ms = BigInt(default=0)
    refreshed_at = Timestamptz(null=True, default=None)
