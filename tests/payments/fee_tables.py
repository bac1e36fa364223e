"""Reading the fee lines a page shows as a person reads them (issue 16): each
``<table class="fee-lines">`` with its rows' labels and amounts and its total, so a test
checks that the amounts shown add up to the total shown. Amounts are read from the
visible text in either language ("135.000 ₫", "−20.000 ₫", "₫135,000", "Miễn phí")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

FREE = {"Miễn phí", "Free"}


def amount_of(text: str) -> int:
    """An amount as a page shows it, in đồng; a minus sign (− or -) makes it negative."""
    text = " ".join(text.split())
    if text in FREE:
        return 0
    found = re.fullmatch(r"([−-])?\s*(?:₫\s*)?(\d{1,3}(?:[.,]\d{3})*)\s*(?:₫)?", text)
    assert found, f"not an amount: {text!r}"
    value = int(re.sub(r"[.,]", "", found.group(2)))
    return -value if found.group(1) else value


@dataclass
class Row:
    kind: str  # the row's class: fee-base, fee-reduction, fee-paid, fee-sum
    label: str
    amount: int


@dataclass
class FeeTable:
    rows: list[Row] = field(default_factory=list)

    @property
    def lines(self) -> list[Row]:
        return [row for row in self.rows if row.kind != "fee-sum"]

    @property
    def total(self) -> int:
        [total] = [row.amount for row in self.rows if row.kind == "fee-sum"]
        return total

    def adds_up(self) -> bool:
        return sum(row.amount for row in self.lines) == self.total


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[FeeTable] = []
        self._table: FeeTable | None = None
        self._row: tuple[str, list[str], list[str]] | None = None
        self._cell: list[str] | None = None
        self._hidden = 0  # inside a visually hidden span: read by screen readers only

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and "fee-lines" in classes:
            self._table = FeeTable()
        elif self._table is not None and tag == "tr":
            self._row = (classes[0] if classes else "", [], [])
        elif self._row is not None and tag in {"th", "td"}:
            self._cell = self._row[1] if tag == "th" else self._row[2]
        elif self._cell is not None and tag == "span" and "visually-hidden" in classes:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._hidden:
            self._hidden -= 1
        elif tag in {"th", "td"}:
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            kind, label, amount = self._row
            self._table.rows.append(
                Row(kind, " ".join("".join(label).split()), amount_of("".join(amount)))
            )
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._hidden:
            self._cell.append(data)


def fee_tables(page: str) -> list[FeeTable]:
    reader = _Reader()
    reader.feed(page)
    reader.close()
    return reader.tables


def total_shown(page: str, element_id: str) -> int:
    """The amount in the element of this id (a page's grand total, say)."""
    found = re.search(rf'id="{element_id}">([^<]*)<', page)
    assert found, f"no #{element_id}"
    return amount_of(found.group(1))
