"""Rules and queries of the procedure catalogue."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec

from backend.catalogue import qr, search, tokens
from backend.catalogue.fees import FeeLine, fee_lines
from backend.catalogue.fees import total as fees_total
from backend.catalogue.schemas import (
    AgencyRead,
    ComponentRead,
    CounterRead,
    DemoCatalogue,
    FeeRead,
    FieldCondition,
    FieldOption,
    PaymentStage,
    ProcedurePage,
    ProcedureRead,
    ProcedureSummary,
)
from backend.catalogue.search import MAX_QUERY_LENGTH, Filters, fold
from backend.catalogue.tables import Agency, Counter, Procedure, ProcedureComponent, ProcedureFee
from backend.catalogue.transfer import insert_procedure
from backend.db import write_transaction
from backend.db.engine import active_engine
from backend.errors import NotFound

DEMO_CATALOGUE = Path(__file__).with_name("demo_catalogue.json")
PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class SeedResult:
    agencies_added: int
    procedures_added: int
    counters_added: int = 0


async def seed_demo(path: Path = DEMO_CATALOGUE) -> SeedResult:
    """Load the demo catalogue. Idempotent: rows already present (by code, or by
    agency and number for counters) are left as they are, so a second run changes
    nothing and an administrator's edits stay."""
    catalogue = msgspec.json.decode(await asyncio.to_thread(path.read_bytes), type=DemoCatalogue)
    now = dt.datetime.now(dt.UTC)
    agencies_added = procedures_added = counters_added = 0
    async with write_transaction():
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
            await insert_procedure(item, known_agencies[item.agency], now)
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
    return SeedResult(agencies_added, procedures_added, counters_added)


_SUMMARY_COLUMNS = (
    Procedure.code,
    Procedure.name_vi,
    Procedure.name_en,
    Procedure.field_vi,
    Procedure.field_en,
    Procedure.agency.code.as_alias("agency_code"),
    Procedure.level,
    Procedure.online_level,
    Procedure.processing_days,
)


def _filter_conditions(filters: Filters) -> list[Any]:
    where: list[Any] = []
    if filters.field is not None:
        where.append(Procedure.field_vi == filters.field)
    if filters.agency is not None:
        where.append(Procedure.agency.code == filters.agency)
    if filters.level is not None:
        where.append(Procedure.level == filters.level)
    if filters.online_level is not None:
        where.append(Procedure.online_level == filters.online_level)
    return where


# Pages of recent search results, converted to summaries once. A ranked list is shared
# and never changed (search.search), and a new list replaces it when the catalogue
# changes, so an entry holds its list and is used only for that very list.
PAGES_CACHE_SIZE = 1024
_pages: OrderedDict[tuple[int, int, int], tuple[list[dict[str, Any]], list[ProcedureSummary]]] = (
    OrderedDict()
)


def _page_of(ranked: list[dict[str, Any]], page: int, page_size: int) -> list[ProcedureSummary]:
    key = (id(ranked), page, page_size)
    cached = _pages.get(key)
    if cached is not None and cached[0] is ranked:
        _pages.move_to_end(key)
        return cached[1]
    items = msgspec.convert(
        ranked[(page - 1) * page_size : page * page_size], list[ProcedureSummary]
    )
    _pages[key] = (ranked, items)
    while len(_pages) > PAGES_CACHE_SIZE:
        _pages.popitem(last=False)
    return items


async def list_procedures(
    *,
    q: str = "",
    field: str | None = None,
    agency: str | None = None,
    level: str | None = None,
    online_level: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ProcedurePage:
    """Procedures matching the words typed (best first) and the filters; without
    words, every procedure matching the filters, by name.

    The items of a search may be shared with other callers: read them, never change them."""
    filters = Filters(field=field, agency=agency, level=level, online_level=online_level)
    words = search.query_words(q)
    if words:
        ranked = await search.search(active_engine(), q[:MAX_QUERY_LENGTH], filters)
        return ProcedurePage(
            items=_page_of(ranked, page, page_size),
            total=len(ranked),
            page=page,
            page_size=page_size,
        )
    query = Procedure.select(*_SUMMARY_COLUMNS).order_by(Procedure.name_vi)
    count = Procedure.count()
    for condition in _filter_conditions(filters):
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.limit(page_size).offset((page - 1) * page_size)
    total = await count
    return ProcedurePage(
        items=msgspec.convert(rows, list[ProcedureSummary]),
        total=total,
        page=page,
        page_size=page_size,
    )


async def list_fields() -> list[FieldOption]:
    rows = (
        await Procedure.select(Procedure.field_vi, Procedure.field_en)
        .distinct()
        .order_by(Procedure.field_vi)
    )
    return msgspec.convert(rows, list[FieldOption])


async def list_agencies() -> list[AgencyRead]:
    rows = await Agency.select(*Agency.all_columns(exclude=[Agency.id])).order_by(Agency.code)
    return msgspec.convert(rows, list[AgencyRead])


async def get_agency(code: str) -> AgencyRead:
    rows = await Agency.select(*Agency.all_columns(exclude=[Agency.id])).where(Agency.code == code)
    if not rows:
        raise NotFound(
            f"Không có cơ quan nào có mã {code}.", f"No agency has the code {code}.", field="agency"
        )
    return msgspec.convert(rows[0], AgencyRead)


def _unknown_procedure(code: str) -> NotFound:
    return NotFound(
        f"Không tìm thấy thủ tục có mã {code}.",
        f"No procedure has the code {code}.",
        field="code",
    )


async def get_procedure(code: str) -> ProcedureRead:
    rows = (
        await Procedure.select(
            *Procedure.all_columns(exclude=[Procedure.agency]),
            Procedure.agency.code.as_alias("agency_code"),
            *Procedure.agency.all_columns(exclude=[Agency.id]),
        )
        .where(Procedure.code == code)
        .output(load_json=True)
    )
    if not rows:
        raise _unknown_procedure(code)
    row = rows[0]
    agency = {
        key.removeprefix("agency."): value
        for key, value in row.items()
        if key.startswith("agency.")
    }
    components = (
        await ProcedureComponent.select()
        .where(ProcedureComponent.procedure == row["id"])
        .order_by(ProcedureComponent.position)
    )
    fees = (
        await ProcedureFee.select()
        .where(ProcedureFee.procedure == row["id"])
        .order_by(ProcedureFee.position)
        .output(load_json=True)
    )
    return msgspec.convert(
        {**row, "agency": agency, "components": components, "fees": fees},
        ProcedureRead,
        strict=False,
    )


async def procedure_exists(code: str) -> bool:
    return bool(await Procedure.exists().where(Procedure.code == code))


async def procedures_of_agency(agency_code: str) -> list[ProcedureRead]:
    """Every procedure an agency handles, in full, by code (for its posters)."""
    await get_agency(agency_code)
    rows = (
        await Procedure.select(Procedure.code)
        .where(Procedure.agency.code == agency_code)
        .order_by(Procedure.code)
    )
    return [await get_procedure(row["code"]) for row in rows]


async def get_counter(agency_code: str, number: int) -> CounterRead:
    rows = (
        await Counter.select(
            Counter.number, Counter.name_vi, Counter.name_en, Counter.procedure_codes
        )
        .where(Counter.agency.code == agency_code, Counter.number == number)
        .output(load_json=True)
    )
    if not rows:
        raise NotFound(
            "Quầy này không còn trong danh sách của cơ quan.",
            "This counter is no longer listed by the agency.",
            field="token",
        )
    row = rows[0]
    codes: list[str] = row.pop("procedure_codes")
    procedures = (
        await Procedure.select(*_SUMMARY_COLUMNS).where(Procedure.code.is_in(codes))
        if codes
        else []
    )
    procedures.sort(key=lambda item: codes.index(item["code"]))
    return msgspec.convert(
        {**row, "agency": await get_agency(agency_code), "procedures": procedures}, CounterRead
    )


async def counters_of(agency_code: str) -> list[CounterRead]:
    await get_agency(agency_code)
    rows = (
        await Counter.select(Counter.number)
        .where(Counter.agency.code == agency_code)
        .order_by(Counter.number)
    )
    return [await get_counter(agency_code, row["number"]) for row in rows]


# ---- QR codes, posters and counter tokens -------------------------------------------

POSTER_LINES = 3
POSTER_LINE_LENGTH = 110


def procedure_url(public_url: str, code: str) -> str:
    return f"{public_url}/p/{code}"


def counter_url(public_url: str, token: str) -> str:
    return f"{public_url}/c/{token}"


def counter_token(secret_key: str, key_version: int, agency_code: str, number: int) -> str:
    return tokens.sign_counter(secret_key, key_version, agency_code, number)


def _shorten(text: str) -> str:
    if len(text) <= POSTER_LINE_LENGTH:
        return text
    return text[: POSTER_LINE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def what_to_bring(procedure: ProcedureRead) -> list[str]:
    """The first documents to bring, required ones first: three lines for a poster."""
    ordered = sorted(procedure.components, key=lambda c: not c.required)
    return [_shorten(c.name_vi) for c in ordered[:POSTER_LINES]]


def procedure_poster(public_url: str, procedure: ProcedureRead) -> qr.Poster:
    return qr.Poster(
        url=procedure_url(public_url, procedure.code),
        agency=procedure.agency.name_vi,
        title=procedure.name_vi,
        code_label=f"Mã thủ tục: {procedure.code}",
        lines_title="Cần mang theo:",
        lines=what_to_bring(procedure),
        footer="Quét mã bằng camera điện thoại, Zalo hoặc ứng dụng Một Cửa để xem đủ "
        "giấy tờ, lệ phí và thời hạn giải quyết.",
    )


def counter_poster(public_url: str, token: str, counter: CounterRead) -> qr.Poster:
    return qr.Poster(
        url=counter_url(public_url, token),
        agency=counter.agency.name_vi,
        title=counter.name_vi,
        code_label=f"{counter.agency.code} · Quầy {counter.number}",
        lines_title="Thủ tục nhận tại quầy:",
        lines=[_shorten(p.name_vi) for p in counter.procedures[:POSTER_LINES]],
        footer="Quét mã để xem các thủ tục nhận tại quầy này.",
    )


async def render_poster_pdf(poster: qr.Poster) -> bytes:
    """The poster as PDF, drawn in a thread (a few tens of milliseconds of CPU)."""
    return await asyncio.to_thread(qr.poster_pdf, poster)


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
    procedures = await procedures_of_agency(agency_code)
    counters = await counters_of(agency_code)
    jobs: list[tuple[str, qr.Poster]] = [
        (f"thu-tuc-{procedure.code}", procedure_poster(public_url, procedure))
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
        svg = qr.qr_svg(poster.url, title=poster.url)
        await asyncio.to_thread((out_dir / f"{name}.svg").write_bytes, svg)
        written.append(PosterFile(name=name, url=poster.url))
        progress(done, len(jobs), name)
    return written


async def counter_for_token(secret_key: str, key_version: int, token: str) -> CounterRead:
    """The counter a QR token names; raises for forged, altered or revoked tokens."""
    ref = tokens.read_counter(secret_key, key_version, token)
    return await get_counter(ref.agency_code, ref.number)


# ---- What the scanner read ---------------------------------------------------------

PROCEDURE_CODE = re.compile(r"^\d{1,2}\.\d{6}$")


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """``target``: a path of this site to open; otherwise the text is only shown."""

    kind: Literal["empty", "local", "procedure", "unknown_code", "foreign"]
    target: str | None = None


async def resolve_scanned(text: str, public_url: str) -> ScanOutcome:
    """Decide what scanned or typed text may open. Only addresses of this deployment
    (and procedure codes) open; anything else is shown as text, never followed, so
    a sticker over a poster cannot send people to a look-alike site."""
    text = text.strip()
    if not text:
        return ScanOutcome("empty")
    if PROCEDURE_CODE.match(text):
        if await procedure_exists(text):
            return ScanOutcome("procedure", f"/p/{text}")
        return ScanOutcome("unknown_code")
    origin = urlsplit(public_url)
    if text.lower().startswith(origin.netloc.lower() + "/"):
        text = f"{origin.scheme}://{text}"  # the short address printed on posters
    parts = urlsplit(text)
    same_origin = (parts.scheme.lower(), parts.netloc.lower()) == (
        origin.scheme,
        origin.netloc.lower(),
    )
    path = parts.path or "/"
    local = path.startswith("/") and not path.startswith("//")
    if same_origin and local and "\\" not in text and text.isprintable():
        return ScanOutcome("local", path + (f"?{parts.query}" if parts.query else ""))
    return ScanOutcome("foreign")


async def count_procedures() -> int:
    return int(await Procedure.count())


__all__ = [
    "MAX_QUERY_LENGTH",
    "AgencyRead",
    "ComponentRead",
    "FeeLine",
    "FeeRead",
    "FieldCondition",
    "PaymentStage",
    "SeedResult",
    "count_procedures",
    "fee_lines",
    "fees_total",
    "fold",
    "get_procedure",
    "list_procedures",
    "seed_demo",
]
