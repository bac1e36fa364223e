"""Dossier codes of two agencies receiving at the same moment (Circular 01/2018: the
receiving agency's code, the day, a number): each agency's numbers run 0001..n for the
day without a gap or a repeat, online submissions and counter entries alike."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
from collections import defaultdict

from backend.clock import utc_now
from backend.dossiers import service
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import AssistedCreate, DossierRead, DraftCreate
from tests.accounts.helpers import Clock
from tests.dossiers.conftest import PersonFactory

CERTIFY = "2.000815"  # commune level, filed at any commune
HAC_THANH = "000.01.40.H56"
NGA_AN = "000.03.40.H56"
CODE = re.compile(r"^(000\.0[13]\.40\.H56)-270414-(\d{4})$")
_keys = itertools.count(1)


async def test_two_agencies_numbering_at_once_keep_their_own_gapless_codes(
    runtime: DossiersRuntime, people: PersonFactory
) -> None:
    # Wednesday 14 April 2027: a day of its own, so no other test shares the sequences.
    runtime.now = Clock(dt.datetime(2027, 4, 14, 3, 0, tzinfo=dt.UTC))
    try:
        places = [HAC_THANH if n % 2 else NGA_AN for n in range(20)]
        citizens = [await people() for _ in places]
        drafts = [
            (
                await service.create_draft(
                    runtime,
                    citizen,
                    DraftCreate(
                        procedure_code=CERTIFY,
                        draft_key=f"numbering-{next(_keys):06d}-{citizen.account_id}",
                        agency_code=place,
                    ),
                )
            )[0]
            for citizen, place in zip(citizens, places, strict=True)
        ]
        counters = [await people("staff", "reception", agency=a) for a in (HAC_THANH, NGA_AN)]
        entry = AssistedCreate(
            procedure_code=CERTIFY,
            channel="counter",
            applicant_name="Lê Văn Quầy",
            applicant_phone="0912 345 670",
            form_data={},
            components_received=[],
        )
        online = [
            service.submit(runtime, citizen, draft.id)
            for citizen, draft in zip(citizens, drafts, strict=True)
        ]
        # Two walk-ins at each counter while the online submissions arrive.
        walk_ins = [service.create_assisted(runtime, c, entry) for c in counters * 2]
        results: list[DossierRead] = await asyncio.gather(*online, *walk_ins)
    finally:
        runtime.now = utc_now
    numbers: dict[str, list[int]] = defaultdict(list)
    for dossier in results:
        found = CODE.match(dossier.code or "")
        assert found, dossier.code
        assert found[1] == dossier.receiving_agency
        numbers[found[1]].append(int(found[2]))
    for agency in (HAC_THANH, NGA_AN):
        assert sorted(numbers[agency]) == list(range(1, 13)), agency
    # Each online dossier carries the code of the agency its citizen chose.
    for dossier, place in zip(results, places, strict=False):
        assert (dossier.code or "").startswith(f"{place}-")
