"""The daily reconciliation: the money each merchant account took on a Vietnamese
calendar day (or a few days), per agency, line by line as the bank's statement or
the gateway's report lists it, and what of it went to fees, what is to be refunded
and what was refunded.

A line is a capture (``payments_capture``, one per report of money: a VNPay IPN or
status answer, a bank's transfer notification, cash at the counter), whatever became
of it, so a merchant's total for a day is the sum of the bank's lines for that day
(money that named no order of ours included, agency ""). Refunds done on those days
are listed beside them. Every total is added up here from the lines shown, so the
totals and the lines (and the CSV) cannot disagree.

Who sees what: the reception officials (who take cash) and the leaders of an agency
see their agency's lines; those of the province's service centre (the runtime's
``province_wide``, the statistics' rule) see every agency and the money that named no
order; nobody else sees any.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from typing import Any, Literal

import msgspec

from backend.accounts.schemas import Principal
from backend.db import fetch
from backend.db.dialect import Sql
from backend.errors import Forbidden, Problems
from backend.i18n import N_, Text, parse_date
from backend.payments.banks import bank_name
from backend.payments.labels import provider_label
from backend.payments.runtime import PaymentsRuntime
from backend.payments.service.counter import CASHIERS
from backend.payments.service.dues import agency_named
from backend.payments.service.refunds import REASONS
from backend.vietnam import in_vietnam

# How many days one report may cover.
MAX_DAYS = 31
_UNMATCHED_AGENCY = N_("Chưa xác định cơ quan (không khớp giao dịch)")

_CAPTURES = (
    "SELECT c.id, c.captured_at, c.day, c.provider, c.merchant, c.agency_code, c.reference,"
    " c.transaction_no, c.amount, c.applied, c.excess, c.refunded, c.reason,"
    " COALESCE(p.reference, '') AS order_reference, p.lines AS lines"
    " FROM payments_capture c LEFT JOIN payments_payment p ON p.id = c.payment"
    " WHERE c.day >= {} AND c.day <= {}"
)
_ORDER = " ORDER BY c.captured_at, c.id"
_ALL_CAPTURES = Sql(_CAPTURES + _ORDER)
_AGENCY_CAPTURES = Sql(_CAPTURES + " AND c.agency_code = {}" + _ORDER)
# A refund comes out of the account its money went to: the capture whose excess it
# gives back, or (a closed dossier's fees) the first capture of its order.
_REFUNDS = (
    "SELECT r.id, r.created_at, r.amount, r.method, r.official_name, r.dossier_id,"
    " r.capture, COALESCE(p.reference, '') AS order_reference, p.lines AS lines,"
    " COALESCE(c.merchant, (SELECT o.merchant FROM payments_capture o"
    " WHERE o.payment = r.payment ORDER BY o.id LIMIT 1), p.provider, '') AS merchant,"
    " COALESCE(c.provider, p.provider, '') AS provider,"
    " COALESCE(c.agency_code, p.agency_code, '') AS agency_code"
    " FROM payments_refund r LEFT JOIN payments_payment p ON p.id = r.payment"
    " LEFT JOIN payments_capture c ON c.id = r.capture"
    " WHERE r.status = 'done' AND CAST(VNDAY(r.created_at) AS TEXT) >= {}"
    " AND CAST(VNDAY(r.created_at) AS TEXT) <= {}"
)
_REFUND_ORDER = " ORDER BY r.created_at, r.id"
_ALL_REFUNDS = Sql(_REFUNDS + _REFUND_ORDER)
_AGENCY_REFUNDS = Sql(
    _REFUNDS + " AND COALESCE(c.agency_code, p.agency_code, '') = {}" + _REFUND_ORDER
)


class CaptureLine(msgspec.Struct, kw_only=True):
    """Money a gateway or bank reported, or cash taken: one line of the statement."""

    id: int
    captured_at: dt.datetime
    day: str
    provider: str
    merchant: str
    agency_code: str
    # As the gateway or bank gave it (a transfer's description names our order).
    reference: str
    # The order the money is booked to ("" when it named none of ours).
    order_reference: str
    transaction_no: str
    amount: int
    applied: int
    excess: int
    # How much of the excess was given back so far.
    refunded: int
    reason: str
    dossier_codes: list[str]


class RefundLine(msgspec.Struct, kw_only=True):
    """A refund done on one of the days, out of the account its money went to."""

    id: int
    refunded_at: dt.datetime
    provider: str
    merchant: str
    agency_code: str
    order_reference: str
    dossier_code: str
    amount: int
    method: Literal["gateway", "manual"]
    official_name: str
    # The capture whose excess it gave back (None: a refused or withdrawn dossier's fees).
    capture_id: int | None


class Totals(msgspec.Struct, kw_only=True):
    count: int = 0  # captures
    captured: int = 0  # what the bank's or gateway's lines add up to
    applied: int = 0  # went toward fees owed
    excess: int = 0  # to be refunded
    excess_refunded: int = 0  # of that excess, given back so far
    refunds: int = 0  # refunds done on the days
    refunded: int = 0  # what they gave back

    @property
    def excess_open(self) -> int:
        return self.excess - self.excess_refunded

    @classmethod
    def of(cls, captures: Iterable[CaptureLine], refunds: Iterable[RefundLine]) -> Totals:
        totals = cls()
        for line in captures:
            totals.count += 1
            totals.captured += line.amount
            totals.applied += line.applied
            totals.excess += line.excess
            totals.excess_refunded += line.refunded
        for refund in refunds:
            totals.refunds += 1
            totals.refunded += refund.amount
        return totals


class AccountGroup(msgspec.Struct, kw_only=True):
    """One agency's money in one merchant account."""

    merchant: str
    merchant_name_vi: str
    merchant_name_en: str
    agency_code: str
    agency_name_vi: str
    agency_name_en: str
    totals: Totals
    captures: list[CaptureLine]
    refunds: list[RefundLine]


class MerchantTotal(msgspec.Struct, kw_only=True):
    """A merchant account's day, every agency together: what its statement shows."""

    merchant: str
    merchant_name_vi: str
    merchant_name_en: str
    totals: Totals


class Reconciliation(msgspec.Struct, kw_only=True):
    start: dt.date
    end: dt.date
    # None: every agency, and the money that named no order (the province's centre).
    agency_code: str | None
    groups: list[AccountGroup]
    merchants: list[MerchantTotal]
    totals: Totals


def merchant_name(provider: str, merchant: str, lang: str) -> str:
    """A merchant account as an accountant finds it on a statement: the bank and the
    account of a transfer, the gateway's terminal code, the till."""
    if merchant == "cash":
        return provider_label("cash").render(lang)
    bank, colon, account = merchant.partition(":")
    if colon and bank.isdigit():
        return f"{bank_name(bank)} {account}"
    if merchant == provider:  # money taken before merchants were recorded
        return provider_label(provider).render(lang)
    return f"{provider_label(provider).render(lang)} {merchant}"


def reason_text(reason: str) -> Text | None:
    return REASONS.get(reason) or (Text(reason) if reason else None)


def report_days(day: str, to: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days asked for (``day``, through ``to`` if given; today if neither is):
    every field at fault named at once. A day still to come is no mistake: nothing was
    taken on it yet."""
    problems = Problems()
    start = parse_date(day) if day else today
    end = parse_date(to) if to else start
    if start is None:
        problems.add("day", N_("Hãy nhập một ngày có thật, dạng 2026-10-05 hoặc 05/10/2026."))
    if to and end is None:
        problems.add("to", N_("Hãy nhập một ngày có thật, dạng 2026-10-05 hoặc 05/10/2026."))
    if start is not None and end is not None:
        if end < start:
            problems.add("to", N_("Ngày kết thúc phải từ ngày bắt đầu trở đi."))
        elif (end - start).days >= MAX_DAYS:
            problems.add("to", N_("Mỗi lần xem tối đa %(days)d ngày.", days=MAX_DAYS))
    problems.raise_any()
    assert start is not None and end is not None
    return start, end


def scope_of(runtime: PaymentsRuntime, principal: Principal) -> str | None:
    """The agency whose lines the official sees; None: every agency's."""
    if principal.kind != "staff" or principal.role not in CASHIERS or not principal.agency_code:
        raise Forbidden(
            N_("Chỉ cán bộ tiếp nhận và lãnh đạo của cơ quan xem được đối soát thu phí, lệ phí.")
        )
    return None if principal.agency_code in runtime.province_wide else principal.agency_code


def _lines(value: Any) -> list[dict[str, Any]]:
    """An order's lines (JSON text on both engines; none for money that named no order)."""
    if value is None:
        return []
    found = json.loads(value) if isinstance(value, str) else value
    return found if isinstance(found, list) else []


def _capture(row: dict[str, Any]) -> CaptureLine:
    codes = [str(line.get("code") or "") for line in _lines(row.pop("lines"))]
    return msgspec.convert(
        {**row, "dossier_codes": [code for code in codes if code]}, CaptureLine, strict=False
    )


def _refund(row: dict[str, Any]) -> RefundLine:
    dossier_id = row.pop("dossier_id")
    codes = [
        line.get("code")
        for line in _lines(row.pop("lines"))
        if line.get("dossier_id") == dossier_id
    ]
    return msgspec.convert(
        {
            **row,
            "refunded_at": row.pop("created_at"),
            "capture_id": row.pop("capture"),
            "dossier_code": str(codes[0] or "") if codes else "",
        },
        RefundLine,
        strict=False,
    )


async def reconciliation(
    runtime: PaymentsRuntime, principal: Principal, day: str = "", to: str = ""
) -> Reconciliation:
    """The reconciliation of ``day`` (through ``to``) as the official may see it:
    ``Forbidden`` for anyone but an agency's reception officials and leaders,
    ``InvalidInput`` naming ``day`` or ``to``."""
    agency = scope_of(runtime, principal)
    start, end = report_days(day, to, in_vietnam(runtime.now()).date())
    days = (start.isoformat(), end.isoformat())
    if agency is None:
        capture_rows = await fetch(_ALL_CAPTURES(), *days)
        refund_rows = await fetch(_ALL_REFUNDS(), *days)
    else:
        capture_rows = await fetch(_AGENCY_CAPTURES(), *days, agency)
        refund_rows = await fetch(_AGENCY_REFUNDS(), *days, agency)
    captures = [_capture(row) for row in capture_rows]
    refunds = [_refund(row) for row in refund_rows]

    keys = {(line.merchant, line.agency_code, line.provider) for line in captures}
    keys |= {(line.merchant, line.agency_code, line.provider) for line in refunds}
    groups: list[AccountGroup] = []
    names = {code: await agency_named(code) for code in {key[1] for key in keys} if code}
    # Agencies by code, the money of no agency last; within one, by account.
    for merchant, code, provider in sorted(keys, key=lambda k: (not k[1], k[1], k[0], k[2])):
        mine = [
            c
            for c in captures
            if (c.merchant, c.agency_code, c.provider) == (merchant, code, provider)
        ]
        out = [
            r
            for r in refunds
            if (r.merchant, r.agency_code, r.provider) == (merchant, code, provider)
        ]
        name = names.get(code)
        groups.append(
            AccountGroup(
                merchant=merchant,
                merchant_name_vi=merchant_name(provider, merchant, "vi"),
                merchant_name_en=merchant_name(provider, merchant, "en"),
                agency_code=code,
                agency_name_vi=name.vi if name else _UNMATCHED_AGENCY.render("vi"),
                agency_name_en=name.en if name else _UNMATCHED_AGENCY.render("en"),
                totals=Totals.of(mine, out),
                captures=mine,
                refunds=out,
            )
        )
    first = {group.merchant: group for group in reversed(groups)}
    merchants = [
        MerchantTotal(
            merchant=merchant,
            merchant_name_vi=first[merchant].merchant_name_vi,
            merchant_name_en=first[merchant].merchant_name_en,
            totals=Totals.of(
                [c for c in captures if c.merchant == merchant],
                [r for r in refunds if r.merchant == merchant],
            ),
        )
        for merchant in sorted(first)
    ]
    return Reconciliation(
        start=start,
        end=end,
        agency_code=agency,
        groups=groups,
        merchants=merchants,
        totals=Totals.of(captures, refunds),
    )


# ------------------------------------------------------------------------ CSV

_HEADINGS = (
    N_("Dòng"),
    N_("Loại dòng"),
    N_("Ngày"),
    N_("Giờ"),
    N_("Tài khoản nhận tiền"),
    N_("Mã tài khoản"),
    N_("Cách thanh toán"),
    N_("Mã cơ quan"),
    N_("Cơ quan"),
    N_("Mã giao dịch của ngân hàng, cổng"),
    N_("Nội dung, tham chiếu"),
    N_("Mã giao dịch Một Cửa"),
    N_("Hồ sơ"),
    N_("Số giao dịch"),
    N_("Số tiền nhận (đồng)"),
    N_("Ghi vào phí, lệ phí (đồng)"),
    N_("Thừa, cần hoàn (đồng)"),
    N_("Đã hoàn của số thừa (đồng)"),
    N_("Số lần hoàn trong kỳ"),
    N_("Hoàn trong kỳ (đồng)"),
    N_("Lý do thừa"),
    N_("Cán bộ hoàn"),
)
# Each row says what it is: a code for a program, a label for a person.
_KINDS: dict[str, Text] = {
    "capture": N_("Tiền nhận"),
    "refund": N_("Hoàn tiền"),
    "agency": N_("Cộng cơ quan, tài khoản"),
    "merchant": N_("Cộng tài khoản"),
    "total": N_("Tổng cộng"),
}


def _totals_cells(totals: Totals) -> list[str | int]:
    return [
        totals.count,
        totals.captured,
        totals.applied,
        totals.excess,
        totals.excess_refunded,
        totals.refunds,
        totals.refunded,
    ]


def report_csv(report: Reconciliation, lang: str) -> bytes:
    """Every line of the report, each group's total, each account's and the whole;
    amounts in whole đồng without separators (a spreadsheet adds them up as they are).
    UTF-8 with a byte-order mark, so that Excel reads the Vietnamese, as the
    statistics' exports are."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([heading.render(lang) for heading in _HEADINGS])
    en = lang == "en"

    def kind(code: str) -> list[str]:
        return [code, _KINDS[code].render(lang)]

    period = (
        report.start.isoformat()
        if report.start == report.end
        else (f"{report.start.isoformat()}/{report.end.isoformat()}")
    )
    for group in report.groups:
        agency = [group.agency_code, group.agency_name_en if en else group.agency_name_vi]
        account = [group.merchant_name_en if en else group.merchant_name_vi, group.merchant]
        for c in group.captures:
            at = in_vietnam(c.captured_at)
            reason = reason_text(c.reason)
            writer.writerow(
                [
                    *kind("capture"),
                    c.day,
                    at.strftime("%H:%M:%S"),
                    *account,
                    c.provider,
                    *agency,
                    c.transaction_no,
                    c.reference,
                    c.order_reference,
                    " ".join(c.dossier_codes),
                    1,
                    c.amount,
                    c.applied,
                    c.excess,
                    c.refunded,
                    "",
                    "",
                    reason.render(lang) if reason else "",
                    "",
                ]
            )
        for r in group.refunds:
            at = in_vietnam(r.refunded_at)
            writer.writerow(
                [
                    *kind("refund"),
                    at.date().isoformat(),
                    at.strftime("%H:%M:%S"),
                    *account,
                    r.provider,
                    *agency,
                    "",
                    "",
                    r.order_reference,
                    r.dossier_code,
                    "",
                    "",
                    "",
                    "",
                    "",
                    1,
                    r.amount,
                    "",
                    r.official_name,
                ]
            )
        blank = ["", "", "", "", ""]
        writer.writerow(
            [
                *kind("agency"),
                period,
                "",
                *account,
                "",
                *agency,
                *blank[:4],
                *_totals_cells(group.totals),
                "",
                "",
            ]
        )
    for merchant in report.merchants:
        writer.writerow(
            [
                *kind("merchant"),
                period,
                "",
                merchant.merchant_name_en if en else merchant.merchant_name_vi,
                merchant.merchant,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                *_totals_cells(merchant.totals),
                "",
                "",
            ]
        )
    writer.writerow([*kind("total"), period, *[""] * 10, *_totals_cells(report.totals), "", ""])
    return "\ufeff".encode() + out.getvalue().encode()
