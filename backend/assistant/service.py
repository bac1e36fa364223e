"""The assistant's rules: what a question may be, and the reply built from the
catalogue for the procedures the answerer picked.

Nothing is stored: not the question, not the answer, not who asked.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlencode

import msgspec

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.assistant import snapshot
from backend.assistant.answerers import Answer, build
from backend.assistant.schemas import (
    AssistantReply,
    Citation,
    Document,
    Fee,
    Place,
    ProcedureAnswer,
)
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import AgencyRead, DemoAgency, DemoProcedure, UnitRead
from backend.errors import AppError
from backend.i18n import N_, Text

MAX_QUESTION_LENGTH = 300
PLACES_SHOWN = 3
CONTACTS_SHOWN = 5


class QuestionRefused(AppError):
    """An empty question, or one over the limit: a 400 naming the field ``q``."""

    status_code = 400
    code = "invalid_question"


def checked(question: str) -> str:
    """The question with its spaces tidied, or the reason it cannot be asked."""
    text = " ".join(unicodedata.normalize("NFC", question).split())
    if not text:
        raise QuestionRefused(
            N_("Hãy gõ câu hỏi của bạn, ví dụ: “con tôi mới sinh thì làm giấy gì”."), field="q"
        )
    if len(text) > MAX_QUESTION_LENGTH:
        raise QuestionRefused(
            N_(
                "Câu hỏi dài %(count)s ký tự, quá giới hạn %(limit)s ký tự. "
                "Hãy hỏi ngắn gọn, ví dụ: “mất bằng lái xe”.",
                count=len(text),
                limit=MAX_QUESTION_LENGTH,
            ),
            field="q",
        )
    return text


_FOUND = N_(
    "Theo danh mục thủ tục hành chính, đây là những thủ tục hợp với câu hỏi của bạn. "
    "Hãy xem trang của từng thủ tục trước khi đi nộp."
)
_NOT_UNDERSTOOD = N_(
    "Trợ lý chưa tìm được thủ tục nào trong danh mục cho câu hỏi này. "
    "Bạn hãy thử tìm trong danh mục, hoặc hỏi bộ phận một cửa."
)
_OUTSIDE = N_(
    "Danh mục thủ tục của tỉnh chưa có việc này (có thể do cơ quan khác giải quyết). "
    "Bạn hãy thử tìm trong danh mục, hoặc hỏi bộ phận một cửa."
)
_LANGUAGE = N_(
    "Trợ lý hiểu câu hỏi bằng tiếng Việt (có dấu hay không dấu đều được) "
    "và bằng tiếng Anh. Bạn hãy hỏi lại bằng một trong hai thứ tiếng này."
)
_MESSAGES: dict[str, Text] = {
    "found": _FOUND,
    "not_understood": _NOT_UNDERSTOOD,
    "outside": _OUTSIDE,
    "language": _LANGUAGE,
}


async def ask(
    question: str, lang: str, principal: Principal | None, answerer: str = "catalogue"
) -> AssistantReply:
    """The reply to a question, in ``lang``, built from the catalogue."""
    text = checked(question)
    answer = await build(answerer).answer(text, lang)
    current = await snapshot.current()
    address = await accounts.home_address(principal) if principal is not None else ""
    procedures = [
        _procedure(current, current.procedures[cited.code], cited.matched, lang, address)
        for cited in answer.procedures
        if cited.code in current.procedures
    ]
    kind = answer.kind if procedures or answer.kind != "found" else "unknown"
    message = _MESSAGES["found" if kind == "found" else (answer.reason or "not_understood")]
    return AssistantReply(
        kind=kind,
        reason="" if kind == "found" else (answer.reason or "not_understood"),
        question=text,
        message=message.render(lang),
        message_vi=message.render("vi"),
        message_en=message.render("en"),
        procedures=procedures,
        citations=[procedure.citation for procedure in procedures],
        search_url=None if kind == "found" else _search_url(text, answer),
        contacts=[] if kind == "found" else _contacts(current, lang, address),
    )


def _search_url(text: str, answer: Answer) -> str:
    if answer.reason == "language":
        return "/thu-tuc"
    return "/thu-tuc?" + urlencode({"q": text[: catalogue.MAX_QUERY_LENGTH]})


def _procedure(
    current: snapshot.Snapshot,
    procedure: DemoProcedure,
    matched: tuple[str, ...],
    lang: str,
    address: str,
) -> ProcedureAnswer:
    vi = lang == "vi"
    places = _places(current, procedure.agencies)
    yours = catalogue.suggested(places, address) if address else None
    if yours is not None:
        places = [yours, *(place for place in places if place is not yours)]
    chosen = yours or (places[0] if len(places) == 1 else None)
    code = procedure.code
    file_online = None
    if procedure.online_level != "info":
        file_online = f"/p/{code}/nop" + (
            "?" + urlencode({"co-quan": chosen.agency.code}) if chosen else ""
        )
    return ProcedureAnswer(
        citation=Citation(
            code=code,
            name=procedure.name_vi if vi else procedure.name_en,
            url=f"/p/{code}" + ("?" + urlencode({"co-quan": yours.agency.code}) if yours else ""),
        ),
        field=procedure.field_vi if vi else procedure.field_en,
        documents=[
            Document(
                name=component.name_vi if vi else component.name_en,
                originals=component.originals,
                copies=component.copies,
                required=component.required,
            )
            for component in procedure.components
        ],
        fees=[
            Fee(
                label=fee.label_vi if vi else fee.label_en,
                amount=fee.amount,
                online_amount=fee.online_amount,
                conditional=fee.when is not None or fee.per_field is not None,
            )
            for fee in procedure.fees
        ],
        processing_days=procedure.processing_days,
        online_level=procedure.online_level,
        places=[_place(place.agency, lang) for place in places[:PLACES_SHOWN]],
        places_total=len(places),
        your_place=yours is not None,
        file_online_url=file_online,
        booking_url=f"/dat-lich/{code}",
        matched=list(matched),
    )


def _places(current: snapshot.Snapshot, codes: list[str]) -> list[catalogue.Place]:
    """The agencies carrying a procedure out, the province's first, then by name."""
    found = []
    for code in codes:
        agency = current.agencies.get(code)
        if agency is None:
            continue
        unit = current.units.get(agency.unit_code)
        found.append(
            catalogue.Place(
                agency=_agency(agency),
                unit=msgspec.convert(msgspec.structs.asdict(unit), UnitRead) if unit else None,
            )
        )
    return sorted(
        found,
        key=lambda place: (place.agency.level != "province", catalogue.fold(place.agency.name_vi)),
    )


def _agency(agency: DemoAgency) -> AgencyRead:
    return msgspec.convert(msgspec.structs.asdict(agency), AgencyRead)


def _place(agency: AgencyRead | DemoAgency, lang: str) -> Place:
    vi = lang == "vi"
    return Place(
        agency_code=agency.code,
        name=agency.name_vi if vi else agency.name_en,
        address=agency.address,
        hours=agency.hours_vi if vi else agency.hours_en,
        phone=agency.phone or None,
    )


# The centres that take anyone's question, whatever the procedure, by their name.
_CENTRE = "trung tam phuc vu hanh chinh cong"


def _contacts(current: snapshot.Snapshot, lang: str, address: str) -> list[Place]:
    """Whom to ask when there is no answer: the agencies with a phone number, else the
    public administration service centres (which take any question); the commune of
    the person's address first when they are signed in."""
    places = _places(current, list(current.agencies))
    yours = catalogue.suggested(places, address) if address else None
    with_phone = [place for place in places if place.agency.phone]
    chosen = with_phone or [
        place for place in places if catalogue.fold(place.agency.name_vi).startswith(_CENTRE)
    ]
    if yours is not None:
        chosen = [yours, *(place for place in chosen if place is not yours)]
    return [_place(place.agency, lang) for place in chosen[:CONTACTS_SHOWN]]
