"""The legal numbering of receipts of fees and charges: each collecting agency numbers
its receipts from 0000001 under each receipt symbol, afresh every year, without gaps.

The agency registers a template symbol ("ký hiệu mẫu biên lai", "01BLP0-001") and the
letters of its receipt symbol ("ký hiệu biên lai", "MC") with the tax authority; a
receipt of 2026 carries the symbol "MC-26E" (E: electronic) and a 7-digit number. These
forms are those of the e-receipts issued under Decree 123/2020/NĐ-CP and Circular
78/2021/TT-BTC as their providers print them; see the README for what was confirmed.
An agency that has not entered its registration yet still numbers its receipts, in a
series with no symbol, and its receipts say so.

The number is taken in the transaction that issues the receipt, from the agency's row
of ``payments_receipt_series``: on PostgreSQL the row is locked until that transaction
ends, so concurrent issuers of one agency wait for each other and a rolled-back issue
gives its number back; SQLite writes are serialised anyway."""

from __future__ import annotations

import datetime as dt

from backend.db.dialect import is_postgres
from backend.payments.tables import ReceiptSeries
from backend.vietnam import in_vietnam

NUMBER_WIDTH = 7


def receipt_year(issued_at: dt.datetime) -> int:
    """The Vietnamese calendar year a receipt is numbered in."""
    return in_vietnam(issued_at).year


def receipt_symbol(letters: str, year: int) -> str:
    """The symbol printed on a receipt of that year: "MC" in 2026 gives "MC-26E"; no
    letters (not registered yet), no symbol."""
    return f"{letters}-{year % 100:02d}E" if letters else ""


def printed_number(number: int) -> str:
    return f"{number:0{NUMBER_WIDTH}d}"


async def _locked_last(agency_code: str, symbol: str, year: int) -> int | None:
    query = ReceiptSeries.select(ReceiptSeries.last_number).where(
        (ReceiptSeries.agency_code == agency_code)
        & (ReceiptSeries.symbol == symbol)
        & (ReceiptSeries.year == year)
    )
    if is_postgres():
        query = query.lock_rows("UPDATE")
    rows = await query
    return int(rows[0]["last_number"]) if rows else None


async def lock_series(agency_code: str, symbol: str, year: int) -> int:
    """Inside a write transaction: the last number of the agency's series, its row made
    if it is the year's first receipt and locked until the transaction ends."""
    last = await _locked_last(agency_code, symbol, year)
    if last is None:
        # Two first receipts at once: the second waits on the unique key, then finds
        # the first's row.
        await ReceiptSeries.insert(
            ReceiptSeries(agency_code=agency_code, symbol=symbol, year=year, last_number=0)
        ).on_conflict(action="DO NOTHING")
        last = await _locked_last(agency_code, symbol, year)
        assert last is not None
    return last


async def set_last(agency_code: str, symbol: str, year: int, number: int) -> None:
    """The number just given, in the series locked by ``lock_series``."""
    await ReceiptSeries.update({ReceiptSeries.last_number: number}).where(
        (ReceiptSeries.agency_code == agency_code)
        & (ReceiptSeries.symbol == symbol)
        & (ReceiptSeries.year == year)
    )
