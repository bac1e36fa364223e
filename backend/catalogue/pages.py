"""The catalogue's pages: search, procedure, poster, counter and the QR scanner."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from babel.lists import format_list
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter, QueryParameter
from litestar.response import File, Redirect, Template

from backend.accounts.schemas import Principal
from backend.catalogue import service
from backend.catalogue.place_pages import AgencyQuery, where_to_file
from backend.catalogue.schemas import Level, OnlineLevel, ProcedureCodeParam
from backend.errors import InvalidInput
from backend.i18n import N_, Text, Translatable
from backend.i18n.formats import locale_of
from backend.settings import Settings
from backend.web.assets import PUBLIC_DIR
from backend.web.middleware import content_security_policy
from backend.web.public_pages import PUBLIC_PAGE
from backend.web.templates import page

VENDOR_DIR = PUBLIC_DIR / "vendor"
ZXING = "zxing-wasm-3.1.4"
VENDOR_MEDIA_TYPES = {".js": "text/javascript", ".wasm": "application/wasm"}
# A procedure's facts not yet checked against the national database, in the words a
# citizen reads (the data names them by their field: ``processing_days``).
UNCONFIRMED_FACTS: dict[str, Text] = {
    "code": N_("mã thủ tục"),
    "name": N_("tên thủ tục"),
    "field": N_("lĩnh vực"),
    "level": N_("cấp thực hiện"),
    "agencies": N_("cơ quan thực hiện"),
    "anywhere": N_("việc nộp không phụ thuộc nơi cư trú"),
    "purpose": N_("mục đích của thủ tục"),
    "online_level": N_("mức độ nộp trực tuyến"),
    "processing_days": N_("thời hạn giải quyết"),
    "components": N_("thành phần hồ sơ"),
    "steps": N_("các bước thực hiện"),
    "fees": N_("số tiền phải nộp"),
    "fee_rules": N_("các trường hợp được miễn hoặc giảm tiền nộp"),
    "payment_stage": N_("thời điểm nộp phí"),
    "legal_basis": N_("căn cứ pháp lý"),
    "result": N_("kết quả giải quyết"),
    "form_fields": N_("các câu hỏi của tờ khai"),
    "source": N_("nguồn thông tin"),
}
_OTHER_FACTS = N_("một số thông tin khác")


class _Facts:
    """Facts named in words, joined as the language joins a list ("A, B và C")."""

    def __init__(self, facts: list[Text]) -> None:
        self.facts = facts

    def render(self, lang: str) -> str:
        return format_list([fact.render(lang) for fact in self.facts], locale=locale_of(lang))


class _Sentence:
    """A sentence, its first letter capitalised whatever word opens it."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def render(self, lang: str) -> str:
        shown = self.text.render(lang)
        return shown[:1].upper() + shown[1:]


def unconfirmed_sentence(fields: list[str]) -> Translatable | None:
    """The sentence that tells which facts of a procedure are not confirmed yet, or
    None when all are; a field we have no words for is "other details", never shown
    by its name."""
    facts: list[Text] = []
    for name in fields:
        fact = UNCONFIRMED_FACTS.get(name.removesuffix("_vi").removesuffix("_en"), _OTHER_FACTS)
        if fact not in facts:
            facts.append(fact)
    if not facts:
        return None
    # "Other details" last, after the facts named.
    facts.sort(key=lambda fact: fact == _OTHER_FACTS)
    return _Sentence(
        N_(
            "%(facts)s chưa được đối chiếu với Cơ sở dữ liệu quốc gia về thủ tục hành chính; "
            "hãy hỏi lại cơ quan khi nộp hồ sơ.",
            facts=_Facts(facts),
        )
    )


class CataloguePages(Controller):
    include_in_schema = False

    @get(
        "/thu-tuc",
        name="procedure-search",
        opt={PUBLIC_PAGE: ("q", "field", "agency", "level", "online", "page")},
    )
    async def search(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[str, QueryParameter(name="q", max_length=service.MAX_QUERY_LENGTH)] = "",
        field: Annotated[str, QueryParameter(name="field", max_length=200)] = "",
        agency: Annotated[str, QueryParameter(name="agency", max_length=32)] = "",
        level: Annotated[Level | None, QueryParameter(name="level")] = None,
        online: Annotated[OnlineLevel | None, QueryParameter(name="online")] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1000)] = 1,
    ) -> Template:
        # An empty <select> sends "": it means "any".
        results = await service.list_procedures(
            q=q,
            field=field or None,
            agency=agency or None,
            level=level,
            online_level=online,
            page=page_number,
        )
        chosen = {"field": field, "agency": agency, "level": level or "", "online": online or ""}
        return page(
            request,
            "catalogue/search.html",
            q=q,
            results=results,
            chosen=chosen,
            query_string={k: v for k, v in {"q": q, **chosen}.items() if v},
            fields=await service.list_fields(),
            agencies=await service.list_agencies(),
        )

    @get("/p/{code:str}", name="procedure", opt={PUBLIC_PAGE: ("co-quan", "xa")})
    async def procedure(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal | None],
        code: ProcedureCodeParam,
        agency_code: AgencyQuery = "",
        typed: Annotated[str, QueryParameter(name="xa", max_length=100)] = "",
    ) -> Template:
        procedure = await service.get_procedure(code)
        where = await where_to_file(procedure, agency_code, typed, principal)
        return page(
            request,
            "catalogue/procedure.html",
            procedure=procedure,
            # The form's questions by name: fee lines name them in their conditions.
            questions={question.name: question for question in procedure.form_fields},
            where=where,
            reductions=service.reductions(
                procedure.fee_rules, where.chosen.agency.code if where.chosen else ""
            ),
            unconfirmed=unconfirmed_sentence(procedure.unconfirmed),
        )

    @get("/p/{code:str}/poster", name="procedure-poster")
    async def poster(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        code: ProcedureCodeParam,
        agency_code: AgencyQuery = "",
    ) -> Template:
        procedure = await service.get_procedure(code)
        try:
            agency = await service.agency_for(procedure, agency_code)
        except InvalidInput as error:
            raise NotFoundException() from error
        return page(
            request,
            "catalogue/poster.html",
            procedure=procedure,
            poster=service.procedure_poster(settings.public_url, procedure, agency),
            # The QR code, the PDF and the way back are for that agency too.
            agency=agency,
        )

    @get("/c/{token:str}", name="counter")
    async def counter(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        token: Annotated[str, PathParameter(max_length=512)],
    ) -> Template:
        try:
            counter = await service.counter_for_token(
                settings.secret_key, settings.counter_key_version, token
            )
        except (service.InvalidCounterToken, service.RevokedCounterToken) as error:
            return page(
                request,
                "catalogue/counter.html",
                status_code=error.status_code,
                error=error,
                counter=None,
            )
        return page(request, "catalogue/counter.html", counter=counter, error=None)

    @get("/quet-ma", name="scanner")
    async def scanner(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        entered: Annotated[str, QueryParameter(name="ma", max_length=2000)] = "",
    ) -> Response[Any]:
        """The scanner; with ``ma`` (typed in, or sent by the scanner), opens what it
        names on this site, or shows anything else as text with a warning."""
        outcome = await service.resolve_scanned(entered, settings.public_url)
        if outcome.target is not None:
            return Redirect(outcome.target, status_code=303)
        response = page(
            request,
            "catalogue/scanner.html",
            entered=entered.strip(),
            outcome=outcome,
            zxing_module=f"/vendor/{ZXING}/es/reader/index.js",
            zxing_wasm=f"/vendor/{ZXING}/reader/zxing_reader.wasm",
            origin=settings.public_url,
        )
        # The only page that compiles WebAssembly (the ZXing fallback).
        response.headers["Content-Security-Policy"] = content_security_policy(settings, wasm=True)
        return response


class VendorFiles(Controller):
    """Third-party browser code we host ourselves (public/vendor, with its licence):
    loaded only when a page needs it, never precached by the service worker."""

    include_in_schema = False

    @get("/vendor/{name:path}", name="vendor")
    async def vendor(self, name: Annotated[str, PathParameter(max_length=200)]) -> File:
        path = (VENDOR_DIR / name.lstrip("/")).resolve()
        media_type = VENDOR_MEDIA_TYPES.get(path.suffix)
        if media_type is None or not path.is_file() or not _inside(path, VENDOR_DIR):
            raise NotFoundException()
        return File(
            path,
            content_disposition_type="inline",
            media_type=media_type,
            # The version is in the folder's name: a new version is a new URL.
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )


def _inside(path: Path, folder: Path) -> bool:
    return path.is_relative_to(folder.resolve())
