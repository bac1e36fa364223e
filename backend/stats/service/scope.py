"""Who sees which figures, and what the figures of a page are about (a ``Subject``).

**The rule.** A leader sees their own agency's figures. The leaders of the agencies in
``PROVINCE_WIDE`` see the whole province: its totals, a row per administrative unit,
a row per agency, and any unit or agency on its own. That is the province's Public
Administration Service Centre (Trung tâm Phục vụ hành chính công tỉnh): the one-stop
of the provincial People's Committee (Decree 61/2018, as amended by Decree 107/2021),
which receives the dossiers of the province's departments and follows the handling of
dossiers across the province for its People's Committee. Every other leader, of a
provincial department or of a commune's or ward's agency, sees their own agency only:
not the other agencies of their commune (a commune's police is not its People's
Committee), nor their commune's total. Asking for an agency or a unit outside one's
scope is refused (403), not silently answered with one's own.

**Units.** An agency serves one administrative unit (``catalogue_agency.unit_code``):
a commune or ward, or the province itself for its departments. A unit's figures are
its agencies' added up, the province's departments making one more row ("the
province's agencies"), so that the rows by unit add up to the province's total;
agencies whose unit the catalogue does not know (and codes the figures hold that the
catalogue no longer has) make a last row of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from backend.catalogue import service as catalogue
from backend.catalogue.schemas import AgencyRead, UnitRead
from backend.errors import Forbidden, Problems
from backend.i18n import N_, Text
from backend.stats.schemas import Subject
from backend.stats.service.metrics import PROVINCE
from backend.stats.service.period import Choice, PeriodQuery, choose_days

# The agencies whose leaders see the whole province: the provincial Public
# Administration Service Centre (its code in the demo catalogue, the official format;
# another province puts its own centre's code here).
PROVINCE_WIDE: frozenset[str] = frozenset({"000.00.01.H56"})

_WHOLE = N_("Toàn tỉnh")
_PROVINCE_AGENCIES = N_("Các cơ quan cấp tỉnh")
_NO_UNIT = N_("Chưa gắn đơn vị hành chính")


def sees_province(agency_code: str | None) -> bool:
    return agency_code in PROVINCE_WIDE


def _names(text: Text) -> tuple[str, str]:
    return text.render("vi"), text.render("en")


class Province:
    """The province as the catalogue has it now: its administrative units (the
    province first, then the communes and wards by name) and its agencies."""

    def __init__(self, units: Iterable[UnitRead], agencies: Iterable[AgencyRead]) -> None:
        self.units = list(units)
        self.agencies = list(agencies)
        self._unit = {unit.code: unit for unit in self.units}
        self._agency = {agency.code: agency for agency in self.agencies}
        position = {unit.code: index for index, unit in enumerate(self.units)}
        # By unit (in the units' order), then by name; agencies of no known unit last.
        self.agencies.sort(
            key=lambda agency: (position.get(agency.unit_code, len(position)), agency.name_vi)
        )

    def agency(self, code: str) -> AgencyRead | None:
        return self._agency.get(code)

    def unit_name(self, code: str) -> tuple[str, str]:
        """A unit's names as the tables show them (the province: its agencies)."""
        unit = self._unit.get(code)
        if unit is None:
            return _names(_NO_UNIT)
        if unit.kind == "province":
            return _names(_PROVINCE_AGENCIES)
        return unit.name_vi, unit.name_en

    def whole(self) -> Subject:
        vi, en = _names(_WHOLE)
        return Subject(
            kind="province",
            code=PROVINCE,
            name_vi=vi,
            name_en=en,
            unit_code="",
            agencies=tuple(sorted(self._agency)),
        )

    def of_agency(self, code: str) -> Subject:
        """One agency (one the catalogue no longer has goes by its code)."""
        agency = self._agency.get(code)
        return Subject(
            kind="agency",
            code=code,
            name_vi=agency.name_vi if agency else code,
            name_en=agency.name_en if agency else code,
            unit_code=agency.unit_code if agency and agency.unit_code in self._unit else "",
            agencies=(code,),
        )

    def of_unit(self, code: str, gone: Iterable[str] = ()) -> Subject | None:
        """A unit's agencies together; None for a code the catalogue does not know.
        ``code`` "": the agencies of no known unit, and the codes ``gone`` from the
        catalogue."""
        if code and code not in self._unit:
            return None
        vi, en = self.unit_name(code)
        members = {
            agency.code
            for agency in self.agencies
            if (agency.unit_code if agency.unit_code in self._unit else "") == code
        }
        return Subject(
            kind="unit",
            code=code,
            name_vi=vi,
            name_en=en,
            unit_code=code,
            agencies=tuple(sorted(members if code else members | set(gone))),
        )

    def unit_subjects(self, gone: Iterable[str] = ()) -> list[Subject]:
        """Every unit, then the agencies of no known unit and the codes ``gone`` from
        the catalogue, if there are any."""
        found = [subject for unit in self.units if (subject := self.of_unit(unit.code))]
        unknown = self.of_unit("", gone)
        return [*found, unknown] if unknown and unknown.agencies else found

    def default_for(self, own_agency: str) -> Subject:
        return self.whole() if sees_province(own_agency) else self.of_agency(own_agency)


async def province_now() -> Province:
    return Province(await catalogue.list_units(), await catalogue.list_agencies())


async def subject_of(of: Subject | str | None) -> Subject:
    """A subject as given, or an agency's by its code, or the province's (None)."""
    if isinstance(of, Subject):
        return of
    province = await province_now()
    return province.whole() if of is None else province.of_agency(of)


def _chosen(query: PeriodQuery, own_agency: str, province: Province, problems: Problems) -> Subject:
    if not sees_province(own_agency):
        if query.unit or query.agency not in ("", own_agency):
            raise Forbidden(N_("Bạn chỉ xem được số liệu của cơ quan mình."))
        return province.of_agency(own_agency)
    unit = province.of_unit(query.unit) if query.unit else None
    if query.agency and province.agency(query.agency) is None:
        problems.add("agency", N_("Hãy chọn một cơ quan trong danh sách."))
    elif query.agency and unit is not None and query.agency not in unit.agencies:
        problems.add("agency", N_("Cơ quan này không thuộc xã, phường đã chọn."))
    if query.unit and unit is None:
        problems.add("unit", N_("Hãy chọn một xã, phường trong danh sách."))
    if query.agency:
        return province.of_agency(query.agency)
    return unit or province.whole()


def choose(query: PeriodQuery, *, own_agency: str, province: Province, today: dt.date) -> Choice:
    """What a leader of ``own_agency`` sees for ``query``: ``Forbidden`` for an agency
    or unit outside their scope, ``InvalidInput`` naming every field that is wrong
    (``agency``, ``unit``, ``start``, ``end``)."""
    problems = Problems()
    subject = _chosen(query, own_agency, province, problems)
    days = choose_days(query, today, problems)
    problems.raise_any()
    return Choice(
        subject=subject,
        period=days.period,
        start=days.start,
        end=days.end,
        step=days.step,
        step_changed=days.step_changed,
    )
