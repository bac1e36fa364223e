"""What is owed: the dossiers a person may pay together, and what paying them costs
(the quote).

Amounts come only from the dossiers' fee lines, fixed on submission from the
catalogue; the person chooses dossiers, a way to pay and who pays, never an amount.
A dossier short-paid owes the rest: fees less what orders applied to them already.
The agency that received a dossier takes its fees and issues their receipt, so one
order pays the dossiers of one receiving agency: a choice that mixes agencies is
refused, naming each agency's dossiers, and the pages offer one order per agency.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.dossiers import service as dossiers
from backend.dossiers.schemas import DossierBrief
from backend.errors import Forbidden, InvalidInput, NotFound, Problems
from backend.i18n import N_, Localized
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import DossierDue, Provider, Quote
from backend.payments.service.records import OrderLine, applied_to

PROVIDERS: tuple[Provider, ...] = ("vnpay", "vietqr", "sandbox")
# Fees are given back only for dossiers the agency never took up; nothing is due on them.
CLOSED = frozenset({"refused", "withdrawn"})


class Payer(msgspec.Struct, kw_only=True):
    """An organisation as its receipts name it."""

    name: str
    tax_code: str
    address: str


async def payer_of(organisation_id: int | None) -> Payer | None:
    if organisation_id is None:
        return None
    card = await accounts.organisation_card(organisation_id)
    # The accounts service gives the card as a mapping (attributes are read too).
    return msgspec.convert(card, Payer, from_attributes=True) if card else None


def citizens_only(principal: Principal) -> None:
    if principal.kind != "citizen":
        raise Forbidden(N_("Cán bộ ghi nhận tiền mặt trên trang hồ sơ ở mục cán bộ."))


class Owing(DossierBrief, kw_only=True):
    """A dossier that owes fees, and what orders applied to them already: it owes the
    rest (a short payment leaves one), whichever way it is paid."""

    applied: int = 0

    @property
    def rest(self) -> int:
        return max(0, self.fee_total - self.applied)


async def owing(dossier: DossierBrief) -> Owing:
    applied = (await applied_to([dossier.id])).get(dossier.id, 0)
    return Owing(**msgspec.structs.asdict(dossier), applied=applied)


async def dossiers_due(principal: Principal, dossier_ids: list[int]) -> list[Owing]:
    """The dossiers to pay, each one the person may act on and owing fees (the rest of
    them, after a short payment); every dossier that owes nothing is named at once."""
    due: list[Owing] = []
    problems = Problems()
    for dossier_id in dict.fromkeys(dossier_ids):
        dossier = await dossiers.brief(principal, dossier_id)
        code = dossier.code or ""
        if not dossier.may_act:
            raise Forbidden(
                N_("Hồ sơ %(code)s đang do cơ quan khác giải quyết.", code=code),
                field="dossier_ids",
            )
        if dossier.status in CLOSED:
            problems.add(
                "dossier_ids",
                N_(
                    "Hồ sơ %(code)s đã kết thúc (bị từ chối hoặc đã rút): không cần nộp phí.",
                    code=code,
                ),
            )
        elif dossier.payment_status != "unpaid":
            problems.add(
                "dossier_ids",
                N_("Hồ sơ %(code)s không còn phí, lệ phí phải nộp.", code=code)
                if code
                else N_("Hồ sơ này không còn phí, lệ phí phải nộp."),
            )
        else:
            due.append(await owing(dossier))
    problems.raise_any()
    return due


def due_of(dossier: Owing) -> DossierDue:
    return DossierDue(
        dossier_id=dossier.id,
        code=dossier.code or "",
        procedure_name_vi=dossier.procedure_name_vi,
        procedure_name_en=dossier.procedure_name_en,
        agency_code=dossier.agency_code,
        fee_lines=dossier.fee_lines,
        amount=dossier.rest,
    )


def line_of(dossier: Owing) -> OrderLine:
    return OrderLine(
        **msgspec.structs.asdict(due_of(dossier)),
        owner_id=dossier.owner_id,
        organisation_id=dossier.organisation_id,
    )


def offered(runtime: PaymentsRuntime) -> list[Provider]:
    return [name for name in PROVIDERS if name in runtime.gateways]


async def agency_named(code: str) -> Localized:
    """An agency's name in both languages (its code, if the catalogue lost it)."""
    try:
        agency = await catalogue.get_agency(code)
    except NotFound:
        return Localized(code, code)
    return Localized(agency.name_vi, agency.name_en)


async def one_agency(due: Sequence[DossierBrief]) -> str:
    """The receiving agency of all these dossiers, the one an order for them pays. A
    mix is refused: the rule first, then each agency with its dossiers."""
    agencies: dict[str, list[str]] = {}
    for dossier in due:
        agencies.setdefault(dossier.receiving_agency, []).append(dossier.code or "")
    if len(agencies) <= 1:
        return next(iter(agencies), "")
    problems = Problems()
    problems.add(
        "dossier_ids",
        N_(
            "Một lần thanh toán chỉ gồm hồ sơ nộp tại cùng một cơ quan, vì cơ quan tiếp nhận"
            " hồ sơ thu phí và cấp biên lai. Các hồ sơ đã chọn thuộc %(count)d cơ quan:"
            " hãy thanh toán riêng cho từng cơ quan.",
            count=len(agencies),
        ),
    )
    for code, codes in agencies.items():
        problems.add(
            "dossier_ids",
            N_(
                "Nộp cho %(agency)s: hồ sơ %(codes)s.",
                agency=await agency_named(code),
                codes=", ".join(codes),
            ),
        )
    raise InvalidInput(problems=problems.items)


async def quote(runtime: PaymentsRuntime, principal: Principal, dossier_ids: list[int]) -> Quote:
    citizens_only(principal)
    offer, _ = await offer_of(runtime, await dossiers_due(principal, dossier_ids))
    return offer


async def common_payer(due: Sequence[DossierBrief]) -> Payer | None:
    """The organisation that may pay: the one all these dossiers belong to, if any."""
    organisations = {dossier.organisation_id for dossier in due}
    if len(organisations) != 1:
        return None
    return await payer_of(organisations.pop())


async def offer_of(runtime: PaymentsRuntime, due: list[Owing]) -> tuple[Quote, Payer | None]:
    """The quote for these dossiers (of one receiving agency), and the organisation that
    may pay them."""
    code = await one_agency(due)
    payer = await common_payer(due)
    agency = await agency_named(code)
    dues = [due_of(dossier) for dossier in due]
    offer = Quote(
        dossiers=dues,
        agency_code=code,
        agency_name_vi=agency.vi,
        agency_name_en=agency.render("en"),
        total=sum(item.amount for item in dues),
        # Less what was paid already, so the difference stays the online discount.
        full_total=sum(line.full_amount for item in dues for line in item.fee_lines)
        - sum(dossier.applied for dossier in due),
        # A company's dossiers are paid by the company unless the person says otherwise.
        payers=["organisation", "person"] if payer else ["person"],
        organisation_name=payer.name if payer else None,
        organisation_tax_code=payer.tax_code if payer else None,
        providers=offered(runtime),
    )
    return offer, payer
