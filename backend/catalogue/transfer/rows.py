"""What an import reads and what it finds wrong: the rows of a file with their numbers,
and errors naming the row, the field and, in a procedure's documents and fees, the entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from backend.catalogue.schemas import (
    DemoAgency,
    DemoCounter,
    DemoProcedure,
    DemoSynonym,
    DemoUnit,
)
from backend.errors import AppError, FieldProblem
from backend.i18n import Translatable, ngettext

FileFormat = Literal["json", "csv"]
# A file with more errors than this is far from right: the first ones say enough.
MAX_ERRORS = 500


@dataclass(frozen=True, slots=True)
class RowError:
    """``row``: 1 for the first record of a JSON section, the spreadsheet's line in a CSV
    file (the header is line 1); 0 for the file as a whole. ``entry`` is the position
    (from 0) in the list ``field`` (a procedure's ``components`` or ``fees``) and
    ``part`` the entry's own field, as a JSON path (``when.field``)."""

    row: int
    section: str
    field: str | None
    text: Translatable
    entry: int | None = None
    part: str | None = None

    def message(self, lang: str) -> str:
        return self.text.render(lang)

    @property
    def name(self) -> str:
        """Where, as a path into the file: ``procedures[3].fees[0].amount``."""
        where = self.section if self.row == 0 else f"{self.section}[{self.row}]"
        if self.field is None:
            return where
        where = f"{where}.{self.field}"
        if self.entry is not None:
            where = f"{where}[{self.entry}]"
        return f"{where}.{self.part}" if self.part else where


class RowErrors:
    """Collects what is wrong, row by row, for one refusal naming every bad row."""

    def __init__(self) -> None:
        self.items: list[RowError] = []

    def add(
        self,
        row: int,
        section: str,
        field: str | None,
        text: Translatable,
        *,
        entry: int | None = None,
        part: str | None = None,
    ) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(RowError(row, section, field, text, entry, part))

    def __bool__(self) -> bool:
        return bool(self.items)


class ImportRejected(AppError):
    """A file (or one procedure) refused as a whole: ``errors`` names each bad row, and
    ``problems`` gives them as field problems (an API's ``invalid_params``)."""

    status_code = 422
    code = "import_rejected"

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(
            ngettext(
                "Tệp có %(num)d lỗi; chưa có gì được nhập. Hãy sửa các dòng được nêu rồi nhập lại.",
                "Tệp có %(num)d lỗi; chưa có gì được nhập. Hãy sửa các dòng được nêu rồi nhập lại.",
                len(errors),
            )
        )
        self.errors = errors

    @property
    def problems(self) -> list[FieldProblem]:
        return [FieldProblem(error.name, error.text) for error in self.errors]


@dataclass(slots=True)
class Parsed:
    """The file's rows that decoded, each with its row number for error messages."""

    agencies: list[tuple[int, DemoAgency]]
    procedures: list[tuple[int, DemoProcedure]]
    counters: list[tuple[int, DemoCounter]]
    units: list[tuple[int, DemoUnit]] = field(default_factory=list)
    synonyms: list[tuple[int, DemoSynonym]] = field(default_factory=list)
