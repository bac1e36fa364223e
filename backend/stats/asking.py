"""What the leaders' page, its CSV export and the API share: the clock, and what a
leader asks for and may see (``service.choose`` decides it, with the province as the
catalogue has it now)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from backend.accounts.schemas import Principal
from backend.clock import utc_now
from backend.errors import Forbidden, InvalidInput
from backend.i18n import N_
from backend.stats import service
from backend.stats.schemas import Subject


def now() -> dt.datetime:
    """The pages' and the API's clock (tests set it)."""
    return utc_now()


def today() -> dt.date:
    return service.vietnam_today(now())


@dataclass(frozen=True)
class Asked:
    """A leader's request: the province, what the leader sees when asking nothing
    (``own``), and what they chose or why it cannot be shown (``choice`` None,
    ``error`` given)."""

    province: service.Province
    own: Subject
    choice: service.Choice | None
    error: InvalidInput | None


async def ask(principal: Principal, query: service.PeriodQuery) -> Asked:
    """``Forbidden`` for a leader of no agency, or asking outside their scope."""
    agency = principal.agency_code
    if not agency:
        raise Forbidden(N_("Tài khoản này chưa thuộc cơ quan nào."))
    province = await service.province_now()
    own = province.default_for(agency)
    try:
        choice = service.choose(query, own_agency=agency, province=province, today=today())
    except InvalidInput as error:
        return Asked(province, own, None, error)
    return Asked(province, own, choice, None)


# The tables a subject's page shows, by the name of the CSV export's parameter.
UNITS_TABLE = "don_vi"
AGENCIES_TABLE = "co_quan"


def tables_of(subject: Subject) -> tuple[str, ...]:
    if subject.kind == "province":
        return (UNITS_TABLE, AGENCIES_TABLE)
    if subject.kind == "unit":
        return (AGENCIES_TABLE,)
    return ()
