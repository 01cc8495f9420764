"""The flat view of a plan: one row per milestone, for analysts and for validation.

Which rows: every milestone once; an item with no milestone is one row with the
milestone fields empty; an item whose own row is no milestone but carries other text
(a lead, councils, a RAG) gets that row too, so no cell of a table is lost in the flat
view. Values are the cell text as written (a date cell as ISO yyyy-mm-dd).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TextIO

from planbook.derive import Derivation, Settings, derive_plan
from planbook.model import FIELDS, Cell, Item, Plan, PlanSheet, Table, TableRow, column_letter
from planbook.schemas import Vocabularies, load_vocabularies
from planbook.normalise import parse_councils

if TYPE_CHECKING:
    import pandas as pd

#: The reader's columns: where the row is and the cell text as written.
READ_COLUMNS: tuple[str, ...] = ("sheet", "service", "part", "item", *FIELDS, "row")
#: What planbook derives from them (as of a date): added after ``row``, never renamed.
DERIVED_COLUMNS: tuple[str, ...] = (
    "due_date",
    "due_kind",
    "status_canonical",
    "council_codes",
    "rag_derived",
    "item_rag_derived",
)
EXPORT_COLUMNS: tuple[str, ...] = (*READ_COLUMNS, *DERIVED_COLUMNS)
_ITEM_FIELDS = frozenset({"ref", "description"})

ExportFormat = Literal["csv", "json"]


@dataclass(frozen=True, slots=True)
class MilestoneRow:
    """A row of the flat view, with the model objects it came from."""

    sheet: PlanSheet
    table: Table
    item: Item
    #: The item's 1-based number within its sheet.
    item_number: int
    row: TableRow

    @property
    def is_milestone(self) -> bool:
        """False for the row of an item that is kept although it is no milestone."""
        return self.row is not self.item.head or self.item.head_is_milestone

    def cell(self, name: str) -> Cell | None:
        """The cell a field's value comes from: ref and description are the item's."""
        if name in _ITEM_FIELDS:
            return self.item.head.get(name)
        return self.row.get(name)

    def position(self, name: str) -> tuple[int, int]:
        """Row and column of a field's cell, filled or not (column 0: no such column)."""
        cell = self.cell(name)
        if cell is not None:
            return cell.row, cell.column
        header = self.table.header.get(name)
        return self.row.row, header.column if header is not None else 0

    def record(self) -> dict[str, Any]:
        """The reader's columns: the cell text as written."""
        part = self.table.effective_part
        values: dict[str, Any] = {
            "sheet": self.sheet.name,
            "service": self.sheet.service,
            "part": part if part is not None else "",
            "item": self.item_number,
        }
        for name in FIELDS:
            cell = self.cell(name)
            values[name] = cell.text if cell is not None else ""
        values["row"] = self.row.row
        return values

    def cells(self) -> dict[str, str]:
        """Field -> A1 coordinate of its cell ('' where the table has no such column)."""
        coordinates = {}
        for name in FIELDS:
            row, column = self.position(name)
            coordinates[name] = f"{column_letter(column)}{row}" if column else ""
        return coordinates


def milestone_rows(plan: Plan) -> Iterator[MilestoneRow]:
    """Every row of the flat view, sheet by sheet, in workbook order."""
    for sheet in plan.plan_sheets:
        number = 0
        for table in sheet.tables:
            for item in table.items:
                number += 1
                for row in _rows_of(item):
                    yield MilestoneRow(sheet, table, item, number, row)


def _rows_of(item: Item) -> tuple[TableRow, ...]:
    milestones = item.milestones
    if item.head_is_milestone:
        return milestones
    own_text = any(
        cell.text.strip()
        for name, cell in item.head.cells.items()
        if name not in {"ref", "description"}
    )
    return (item.head, *milestones) if own_text or not milestones else milestones


def iter_export_records(
    plan: Plan, settings: Settings | None = None, vocabularies: Vocabularies | None = None
) -> Iterator[dict[str, Any]]:
    """Every row of the flat view with its derived columns (as of today by default),
    one at a time: a big plan's export is written as it is made."""
    vocabularies = vocabularies or load_vocabularies()
    derivation = derive_plan(plan, settings or Settings(as_of=dt.date.today()), vocabularies)
    for row in milestone_rows(plan):
        record = row.record()
        record.update(_derived(row, derivation, vocabularies))
        yield record


def export_records(
    plan: Plan, settings: Settings | None = None, vocabularies: Vocabularies | None = None
) -> list[dict[str, Any]]:
    """Every row of the flat view with its derived columns, as a list."""
    return list(iter_export_records(plan, settings, vocabularies))


def _derived(
    row: MilestoneRow, derivation: Derivation, vocabularies: Vocabularies
) -> dict[str, str]:
    milestone = derivation.milestone(row.sheet.name, row.row.row) if row.is_milestone else None
    item = derivation.item(row.sheet.name, row.item.row)
    due = milestone.due if milestone is not None else None
    councils = parse_councils(row.row.text("councils"), vocabularies.councils)
    return {
        "due_date": due.date.isoformat() if due is not None and due.date is not None else "",
        "due_kind": due.kind if due is not None else "none",
        "status_canonical": (milestone.status if milestone is not None else None) or "",
        "council_codes": ";".join(councils.codes),
        "rag_derived": (milestone.derived if milestone is not None else None) or "",
        "item_rag_derived": (item.derived if item is not None else None) or "",
    }


def to_dataframe(
    plan: Plan, settings: Settings | None = None, vocabularies: Vocabularies | None = None
) -> pd.DataFrame:
    """The flat view as a DataFrame, plus a ``<field>_cell`` coordinate column per field."""
    import pandas as pd

    records = export_records(plan, settings, vocabularies)
    for record, row in zip(records, milestone_rows(plan), strict=True):
        record.update({f"{name}_cell": cell for name, cell in row.cells().items()})
    columns = [*EXPORT_COLUMNS, *(f"{name}_cell" for name in FIELDS)]
    return pd.DataFrame.from_records(records, columns=columns)


def render_export(
    plan: Plan,
    fmt: ExportFormat,
    settings: Settings | None = None,
    vocabularies: Vocabularies | None = None,
) -> str:
    """The export as text: CSV with a header line, or a JSON list of objects."""
    buffer = io.StringIO()
    write_export(plan, fmt, buffer, settings, vocabularies)
    return buffer.getvalue()


def write_export(
    plan: Plan,
    fmt: ExportFormat,
    stream: TextIO,
    settings: Settings | None = None,
    vocabularies: Vocabularies | None = None,
) -> None:
    """Write the export to ``stream`` a row at a time (the JSON as ``json.dumps`` of the
    whole list with ``indent=2`` would be)."""
    records = iter_export_records(plan, settings, vocabularies)
    if fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        return
    first = next(records, None)
    if first is None:
        stream.write("[]\n")
        return
    stream.write("[\n")
    for index, record in enumerate(itertools.chain([first], records)):
        text = json.dumps(record, ensure_ascii=False, indent=2)
        stream.write(("" if index == 0 else ",\n") + textwrap.indent(text, "  "))
    stream.write("\n]\n")
