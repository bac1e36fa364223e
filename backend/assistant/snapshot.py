"""The catalogue as the assistant reads it: every procedure in full, the agencies, the
units and the synonyms, read in one export and kept until the catalogue changes (one
small query a question checks that). Answers are built from this copy alone, so an
answer says only what the catalogue says."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from backend.catalogue.schemas import DemoAgency, DemoProcedure, DemoUnit
from backend.catalogue.service import catalogue_version, export_catalogue
from backend.db.engine import active_engine


@dataclass(slots=True)
class Snapshot:
    version: int
    procedures: dict[str, DemoProcedure]
    agencies: dict[str, DemoAgency]
    units: dict[str, DemoUnit]
    # The catalogue's synonyms: (term, replacement), as written.
    synonyms: list[tuple[str, str]]
    # What answerers build from it (their indexes), by name: made once per version.
    derived: dict[str, Any] = field(default_factory=dict)


# By database engine (a test run may open several), the latest snapshot of each.
_current: dict[int, Snapshot] = {}
_lock = asyncio.Lock()


async def current() -> Snapshot:
    """The catalogue as it is now (read again only after a change)."""
    engine = id(active_engine())
    version = await catalogue_version()
    cached = _current.get(engine)
    if cached is not None and cached.version == version:
        return cached
    async with _lock:
        cached = _current.get(engine)
        if cached is not None and cached.version == version:
            return cached
        exported = await export_catalogue()
        cached = Snapshot(
            version=version,
            procedures={procedure.code: procedure for procedure in exported.procedures},
            agencies={agency.code: agency for agency in exported.agencies},
            units={unit.code: unit for unit in exported.units},
            synonyms=[(synonym.term, synonym.replacement) for synonym in exported.synonyms],
        )
        _current[engine] = cached
        return cached
