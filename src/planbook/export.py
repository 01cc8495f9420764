"""The flat view of a plan: one row per milestone, for analysts and for validation.

Which rows: every milestone once; an item with no milestone is one row with the
milestone fields empty; an item whose own row is no milestone but carries other text
(a lead, councils, a RAG) gets that row too, so no cell of a table is lost in the flat
view. Values are the cell text as written (a date cell as ISO yyyy-mm-dd).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from planbook.model import FIELDS, Item, Plan, PlanSheet, Table, TableRow

if TYPE_CHECKING:
    import pandas as pd

#: The export's columns, in order. Later stages add columns after ``row``, never rename.
EXPORT_COLUMNS: tuple[str, ...] = ("sheet", "service", "part", "item", *FIELDS, "row")

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

    def record(self) -> dict[str, Any]:
        part = self.table.effective_part
        values: dict[str, Any] = {
            "sheet": self.sheet.name,
            "service": self.sheet.service,
            "part": part if part is not None else "",
            "item": self.item_number,
        }
        item_fields = {"ref": self.item.ref, "description": self.item.description}
        for name in FIELDS:
            cell = item_fields[name] if name in item_fields else self.row.get(name)
            values[name] = cell.text if cell is not None else ""
        values["row"] = self.row.row
        return values

    def cells(self) -> dict[str, str]:
        """Field -> A1 coordinate of the cell each value came from ('' for none)."""
        item_fields = {"ref": self.item.ref, "description": self.item.description}
        coordinates = {}
        for name in FIELDS:
            cell = item_fields[name] if name in item_fields else self.row.get(name)
            coordinates[name] = cell.coordinate if cell is not None else ""
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


def export_records(plan: Plan) -> list[dict[str, Any]]:
    return [row.record() for row in milestone_rows(plan)]


def to_dataframe(plan: Plan) -> pd.DataFrame:
    """The flat view as a DataFrame, plus a ``<field>_cell`` coordinate column per field."""
    import pandas as pd

    records = []
    for row in milestone_rows(plan):
        record = row.record()
        record.update({f"{name}_cell": cell for name, cell in row.cells().items()})
        records.append(record)
    columns = [*EXPORT_COLUMNS, *(f"{name}_cell" for name in FIELDS)]
    return pd.DataFrame.from_records(records, columns=columns)


def render_export(plan: Plan, fmt: ExportFormat) -> str:
    """The export as text: CSV with a header line, or a JSON list of objects."""
    records = export_records(plan)
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()
