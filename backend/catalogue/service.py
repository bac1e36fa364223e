"""The catalogue's service: what pages, the CLI and other domains may ask of it.

The rules and queries live in the modules named after what they hold (``reads``,
``places``, ``search``, ``fees``, ``posters``, ``scanner``, ``tokens``, ``transfer``, and
``agency_admin``: an agency's own data as its administrator keeps it); this module
is their one public face (with ``schemas``), and loads the demo catalogue and writes an
agency's posters, which need several of them at once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from backend.catalogue import synonyms, tokens
from backend.catalogue.agency_admin import (
    AgencyDetails,
    AgencyProcedure,
    CounterCreate,
    CounterWrite,
    ProvisionWrite,
    add_counter,
    administered_agencies,
    administered_agency,
    agency_counter,
    agency_counters,
    agency_procedure,
    agency_procedures,
    procedures_to_add,
    receivable_procedures,
    remove_counter,
    remove_provision,
    save_counter,
    save_provision,
    update_agency,
)
from backend.catalogue.fee_rules import (
    add_fee_rule,
    fee_rule,
    fee_rules_of,
    remove_fee_rule,
    save_fee_rule,
)
from backend.catalogue.fees import fee_lines, groups_for, reductions
from backend.catalogue.fees import total as fees_total
from backend.catalogue.groups import APPLICANT_GROUPS
from backend.catalogue.places import matching, places_for, suggested
from backend.catalogue.posters import (
    Poster,
    counter_poster,
    procedure_poster,
    procedure_url,
    render_poster_pdf,
)
from backend.catalogue.reads import (
    agencies_of,
    agency_codes,
    agency_for,
    carries_out,
    count_procedures,
    counter_places,
    counters_of,
    find_unit,
    get_agency,
    get_counter,
    get_procedure,
    list_agencies,
    list_fields,
    list_procedures,
    list_units,
    procedure_codes_by_level,
    procedure_exists,
    procedures_by_level,
    procedures_of_agency,
    provision,
)
from backend.catalogue.scanner import ScanOutcome, resolve_scanned
from backend.catalogue.schemas import (
    AgencyRead,
    ApplicantGroup,
    ComponentRead,
    CounterRead,
    DemoCatalogue,
    DemoFeeRule,
    DemoSynonym,
    FeeLine,
    FeeRead,
    FeeRuleRead,
    FieldCondition,
    PaymentStage,
    Place,
    ProvisionRead,
    SynonymRead,
    UnitRead,
)
from backend.catalogue.search import MAX_QUERY_LENGTH, fold
from backend.catalogue.synonyms import (
    SYNONYM_LABELS,
    add_synonym,
    list_synonyms,
    remove_synonym,
    save_synonym,
    synonym,
)
from backend.catalogue.tables import Agency, Counter, Procedure, Unit
from backend.catalogue.tokens import InvalidCounterToken, RevokedCounterToken
from backend.catalogue.transfer import (
    FileFormat,
    ImportRejected,
    ImportResult,
    RowError,
    check_procedure,
    delete_procedure,
    export_catalogue,
    import_catalogue,
    import_units,
    insert_procedure,
    save_procedure,
    to_csv,
    to_json,
)
from backend.db import fetch, write_transaction
from backend.documents import qr_svg

DEMO_CATALOGUE = Path(__file__).with_name("demo_catalogue.json")


@dataclass(frozen=True, slots=True)
class SeedResult:
    agencies_added: int
    procedures_added: int
    counters_added: int = 0
    units_added: int = 0
    synonyms_added: int = 0


async def seed_demo(path: Path = DEMO_CATALOGUE) -> SeedResult:
    """Load the demo catalogue. Idempotent: rows already present (by code, or by
    agency and number for counters) are left as they are, so a second run changes
    nothing and an administrator's edits stay."""
    catalogue = msgspec.json.decode(await asyncio.to_thread(path.read_bytes), type=DemoCatalogue)
    now = dt.datetime.now(dt.UTC)
    agencies_added = procedures_added = counters_added = units_added = 0
    async with write_transaction():
        known_units = {row["code"] for row in await Unit.select(Unit.code)}
        for unit in catalogue.units:
            if unit.code not in known_units:
                await Unit.insert(Unit(**msgspec.structs.asdict(unit)))
                units_added += 1
        known_agencies = {
            row["code"]: row["id"] for row in await Agency.select(Agency.id, Agency.code)
        }
        for agency in catalogue.agencies:
            if agency.code in known_agencies:
                continue
            rows = await Agency.insert(Agency(**msgspec.structs.asdict(agency))).returning(
                Agency.id
            )
            known_agencies[agency.code] = rows[0]["id"]
            agencies_added += 1
        known_procedures = {row["code"] for row in await Procedure.select(Procedure.code)}
        for item in catalogue.procedures:
            if item.code in known_procedures:
                continue
            await insert_procedure(item, known_agencies, now)
            known_procedures.add(item.code)
            procedures_added += 1
        known_counters = {
            (row["agency"], row["number"])
            for row in await Counter.select(Counter.agency, Counter.number)
        }
        for counter in catalogue.counters:
            agency_id = known_agencies[counter.agency]
            if (agency_id, counter.number) in known_counters:
                continue
            await Counter.insert(
                Counter(
                    agency=agency_id,
                    number=counter.number,
                    name_vi=counter.name_vi,
                    name_en=counter.name_en,
                    procedure_codes=counter.procedures,
                )
            )
            counters_added += 1
        synonyms_added = await synonyms.add_missing(catalogue.synonyms)
    return SeedResult(agencies_added, procedures_added, counters_added, units_added, synonyms_added)


# ---- Counter tokens and posters ------------------------------------------------------


def counter_token(secret_key: str, key_version: int, agency_code: str, number: int) -> str:
    return tokens.sign_counter(secret_key, key_version, agency_code, number)


async def counter_for_token(secret_key: str, key_version: int, token: str) -> CounterRead:
    """The counter a QR token names; raises for forged, altered or revoked tokens."""
    ref = tokens.read_counter(secret_key, key_version, token)
    return await get_counter(ref.agency_code, ref.number)


@dataclass(frozen=True, slots=True)
class PosterFile:
    name: str
    url: str


async def write_agency_posters(
    agency_code: str,
    out_dir: Path,
    *,
    public_url: str,
    secret_key: str,
    key_version: int,
    progress: Callable[[int, int, str], None] = lambda done, total, name: None,
) -> list[PosterFile]:
    """Every poster of an agency into ``out_dir``: for each procedure it handles and
    each of its counters, ``<name>.pdf`` (A4) and ``<name>.svg`` (the QR code alone).
    ``progress(done, total, name)`` is called after each one."""
    agency = await get_agency(agency_code)
    procedures = await procedures_of_agency(agency_code)
    counters = await counters_of(agency_code)
    jobs: list[tuple[str, Poster]] = [
        (f"thu-tuc-{procedure.code}", procedure_poster(public_url, procedure, agency))
        for procedure in procedures
    ]
    for counter in counters:
        token = counter_token(secret_key, key_version, agency_code, counter.number)
        jobs.append((f"quay-{counter.number}", counter_poster(public_url, token, counter)))
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    written = []
    for done, (name, poster) in enumerate(jobs, 1):
        pdf = await render_poster_pdf(poster)
        await asyncio.to_thread((out_dir / f"{name}.pdf").write_bytes, pdf)
        svg = qr_svg(poster.url, title=poster.url)
        await asyncio.to_thread((out_dir / f"{name}.svg").write_bytes, svg)
        written.append(PosterFile(name=name, url=poster.url))
        progress(done, len(jobs), name)
    return written


async def catalogue_version() -> int:
    """A number that changes whenever the catalogue does (procedures, agencies, units,
    provisions, fee rules, synonyms: database triggers raise it): a cache's key."""
    rows = await fetch("SELECT version FROM catalogue_version WHERE id = 1")
    return int(rows[0]["version"])


__all__ = [
    "APPLICANT_GROUPS",
    "DEMO_CATALOGUE",
    "MAX_QUERY_LENGTH",
    "SYNONYM_LABELS",
    "AgencyDetails",
    "AgencyProcedure",
    "AgencyRead",
    "ApplicantGroup",
    "ComponentRead",
    "CounterCreate",
    "CounterRead",
    "CounterWrite",
    "DemoFeeRule",
    "DemoSynonym",
    "FeeLine",
    "FeeRead",
    "FeeRuleRead",
    "FieldCondition",
    "FileFormat",
    "ImportRejected",
    "ImportResult",
    "InvalidCounterToken",
    "PaymentStage",
    "Place",
    "Poster",
    "PosterFile",
    "ProvisionRead",
    "ProvisionWrite",
    "RevokedCounterToken",
    "RowError",
    "ScanOutcome",
    "SeedResult",
    "SynonymRead",
    "UnitRead",
    "add_counter",
    "add_fee_rule",
    "add_synonym",
    "administered_agencies",
    "administered_agency",
    "agencies_of",
    "agency_codes",
    "agency_counter",
    "agency_counters",
    "agency_for",
    "agency_procedure",
    "agency_procedures",
    "carries_out",
    "catalogue_version",
    "check_procedure",
    "count_procedures",
    "counter_for_token",
    "counter_places",
    "counter_token",
    "counters_of",
    "delete_procedure",
    "export_catalogue",
    "fee_lines",
    "fee_rule",
    "fee_rules_of",
    "fees_total",
    "find_unit",
    "fold",
    "get_agency",
    "get_counter",
    "get_procedure",
    "groups_for",
    "import_catalogue",
    "import_units",
    "insert_procedure",
    "list_agencies",
    "list_fields",
    "list_procedures",
    "list_synonyms",
    "list_units",
    "matching",
    "places_for",
    "procedure_codes_by_level",
    "procedure_exists",
    "procedure_poster",
    "procedure_url",
    "procedures_by_level",
    "procedures_of_agency",
    "procedures_to_add",
    "provision",
    "receivable_procedures",
    "reductions",
    "remove_counter",
    "remove_fee_rule",
    "remove_provision",
    "remove_synonym",
    "render_poster_pdf",
    "resolve_scanned",
    "save_counter",
    "save_fee_rule",
    "save_procedure",
    "save_provision",
    "save_synonym",
    "seed_demo",
    "suggested",
    "synonym",
    "to_csv",
    "to_json",
    "update_agency",
    "write_agency_posters",
]
