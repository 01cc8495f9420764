"""From the plan as read to the plan as ``planbook format`` writes it.

The output model is the input model with:
- Delivery Status and RAG in canonical spelling, in the same cells (each change logged);
- in every table with a Delivery Status, planbook's columns (``columns.PLANBOOK_COLUMNS``)
  on its header rows and milestone rows, in the sheet's planbook columns: where an
  earlier pass put them, else past the sheet's last used column. No lead cell moves;
- planbook's own Findings and Legend sheets dropped (the writer makes them anew);
- this run's changes appended to the Change Log sheet (made if there is none).
Everything else stands where it stood, as it was written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from planbook.columns import PLANBOOK_COLUMNS, derived_values
from planbook.derive import Derivation
from planbook.model import (
    CHANGE_LOG_SHEET,
    EXCEL_CELL_LIMIT,
    GENERATED_HEADERS,
    Cell,
    Item,
    OtherSheet,
    Plan,
    PlanSheet,
    Sheet,
    Table,
    TableRow,
)
from planbook.normalise import normalise_rag, normalise_status
from planbook.schemas import Vocabularies

#: The Change Log's columns.
CHANGE_COLUMNS: tuple[str, ...] = ("sheet", "cell", "field", "old", "new", "why", "as of")


@dataclass(frozen=True, slots=True)
class Change:
    """One value planbook changed, and why."""

    sheet: str
    cell: str
    field: str
    old: str
    new: str
    why: str

    def values(self, as_of: dt.date) -> tuple[str, ...]:
        return (self.sheet, self.cell, self.field, self.old, self.new, self.why, as_of.isoformat())


def prepare(
    plan: Plan, vocabularies: Vocabularies, as_of: dt.date, *, cut_long_text: bool = False
) -> tuple[Plan, list[Change]]:
    """The output model and the changes that make it (see the module docstring).

    ``cut_long_text``: the output is a new workbook (consolidate), whose cells hold at
    most Excel's limit; text longer is cut, and each cut logged. ``format`` patches the
    lead's own cells and cuts nothing.
    """
    changes: list[Change] = []
    sheets: list[Sheet] = []
    for sheet in plan.sheets:
        if isinstance(sheet, OtherSheet) and sheet.made_by_planbook:
            continue
        if cut_long_text:
            changes.extend(_cut_to_excel(sheet))
        if isinstance(sheet, PlanSheet):
            sheet = _prepare_sheet(sheet, vocabularies, changes)
        sheets.append(sheet)
    log = next(
        (s for s in sheets if isinstance(s, OtherSheet) and s.name == CHANGE_LOG_SHEET), None
    )
    new_log = _logged(log, changes, as_of)
    if log is None:
        sheets.append(new_log)
    else:
        sheets[sheets.index(log)] = new_log
    sheets = [dataclasses.replace(sheet, index=index) for index, sheet in enumerate(sheets)]
    return Plan(path=plan.path, sheets=tuple(sheets), has_macros=plan.has_macros), changes


def _cut_to_excel(sheet: Sheet) -> Iterator[Change]:
    """Text longer than Excel holds is written cut: said in the Change Log, never silently."""
    if not sheet.may_hold_broken_text:
        return
    for cell in sheet.cells():
        if isinstance(cell.value, str) and len(cell.value) > EXCEL_CELL_LIMIT:
            yield Change(
                sheet.name,
                cell.coordinate,
                "text",
                f"{cell.value[:200]}… ({len(cell.value):,} characters)",
                f"the first {EXCEL_CELL_LIMIT:,} characters",
                "Excel holds no more in a cell; the rest is in the input workbook",
            )


def _logged(log: OtherSheet | None, changes: list[Change], as_of: dt.date) -> OtherSheet:
    """The Change Log with this run's changes below what it held."""
    content = list(log.content) if log is not None else []
    if not content:
        content = [Cell(1, column, name) for column, name in enumerate(CHANGE_COLUMNS, start=1)]
    next_row = max(cell.row for cell in content) + 1
    for offset, change in enumerate(changes):
        for column, value in enumerate(change.values(as_of), start=1):
            if value:
                content.append(Cell(next_row + offset, column, value))
    if log is None:
        return OtherSheet(name=CHANGE_LOG_SHEET, index=0, content=tuple(content))
    return dataclasses.replace(log, content=tuple(content))


# --- planbook's columns ---------------------------------------------------------------------


def is_tracked(table: Table) -> bool:
    """A table planbook adds its columns to: one with a Delivery Status."""
    return "status" in table.header


def planbook_cells(sheet: PlanSheet) -> Iterator[Cell]:
    """The cells of planbook's columns the sheet holds: from an earlier pass, or placed."""
    for table in sheet.tables:
        yield from (cell for name, cell in table.header.items() if name in GENERATED_HEADERS)
        for cells in table.repeated_headers:
            yield from (cell for cell in cells if cell.text.strip() in _GENERATED_TEXTS)
        for item in table.items:
            for row in item.rows:
                yield from (cell for name, cell in row.cells.items() if name in GENERATED_HEADERS)


_GENERATED_TEXTS = frozenset(GENERATED_HEADERS.values())


def planbook_positions(sheet: PlanSheet) -> set[tuple[int, int]]:
    """(row, column) of every cell of planbook's columns from an earlier pass: under its
    headers, from the header row to the table's last row. These are planbook's to write
    over or clear, whatever is in them now."""
    positions = {(cell.row, cell.column) for cell in planbook_cells(sheet)}
    for table in sheet.tables:
        columns = [cell.column for name, cell in table.header.items() if name in GENERATED_HEADERS]
        if not columns:
            continue
        last = max(segment.last_row for segment in table.segments)
        positions.update(
            (row, column) for row in range(table.header_row, last + 1) for column in columns
        )
    return positions


def place_columns(sheet: PlanSheet) -> dict[str, int]:
    """Field -> column of planbook's columns on ``sheet``.

    Where an earlier pass put them (found by their headers), as long as no lead cell now
    stands where planbook writes; else past the sheet's last used column, so no lead cell
    moves and none is written over.
    """
    found: dict[str, int] = {}
    for table in sheet.tables:
        for column in PLANBOOK_COLUMNS:
            cell = table.header.get(column.name)
            if cell is not None:
                found.setdefault(column.name, cell.column)
    if len(found) == len(PLANBOOK_COLUMNS) and len(set(found.values())) == len(found):
        own = {(cell.row, cell.column) for cell in planbook_cells(sheet)}
        lead = {(c.row, c.column) for c in sheet.cells() if (c.row, c.column) not in own}
        wanted = set(found.values())
        if not any((row, column) in lead for row in _written_rows(sheet) for column in wanted):
            return found
    last = max([sheet.last_column, *(cell.column for cell in sheet.cells())], default=0)
    return {column.name: last + offset for offset, column in enumerate(PLANBOOK_COLUMNS, 1)}


def _written_rows(sheet: PlanSheet) -> Iterator[int]:
    """The rows planbook writes its columns on: tracked tables' header and milestone rows."""
    for table in sheet.tables:
        if not is_tracked(table):
            continue
        yield table.header_row
        yield from (cells[0].row for cells in table.repeated_headers if cells)
        for item in table.items:
            yield from (row.row for row in item.milestones)


def _prepare_sheet(sheet: PlanSheet, vocabularies: Vocabularies, changes: list[Change]) -> Sheet:
    columns = place_columns(sheet) if any(is_tracked(t) for t in sheet.tables) else {}
    tables = tuple(
        _prepare_table(sheet.name, table, columns, vocabularies, changes) for table in sheet.tables
    )
    return dataclasses.replace(sheet, tables=tables, suspects=None)  # cells changed


def _prepare_table(
    sheet: str,
    table: Table,
    columns: dict[str, int],
    vocabularies: Vocabularies,
    changes: list[Change],
) -> Table:
    header = {name: cell for name, cell in table.header.items() if name not in GENERATED_HEADERS}
    repeats = [
        tuple(cell for cell in cells if cell.text.strip() not in _GENERATED_TEXTS)
        for cells in table.repeated_headers
    ]
    if is_tracked(table):
        for column in PLANBOOK_COLUMNS:
            header[column.name] = Cell(table.header_row, columns[column.name], column.header)
        repeats = [
            (
                *cells,
                *(Cell(cells[0].row, columns[c.name], c.header) for c in PLANBOOK_COLUMNS),
            )
            if cells
            else cells
            for cells in repeats
        ]
    items = tuple(
        Item(tuple(_prepare_row(sheet, row, vocabularies, changes) for row in item.rows))
        for item in table.items
    )
    from planbook.layout import table_segments

    table = dataclasses.replace(table, header=header, repeated_headers=tuple(repeats), items=items)
    return dataclasses.replace(table, segments=table_segments(table))


def _prepare_row(
    sheet: str, row: TableRow, vocabularies: Vocabularies, changes: list[Change]
) -> TableRow:
    cells = {}
    for name, cell in row.cells.items():
        if name in GENERATED_HEADERS:
            continue  # planbook's own: made anew from this run's derivation
        if name == "status":
            cell = _canonical_status(sheet, cell, vocabularies, changes)
        elif name == "rag":
            cell = _canonical_rag(sheet, cell, vocabularies, changes)
        cells[name] = cell
    return TableRow(row.row, cells, row.extra, row.stray)


def _canonical_status(
    sheet: str, cell: Cell, vocabularies: Vocabularies, changes: list[Change]
) -> Cell:
    reading = normalise_status(cell.text, vocabularies.status)
    if reading.canonical is None or reading.canonical == cell.text:
        return cell
    if reading.kind != "alias":
        why = "the canonical spelling"
    else:
        why = f"'{cell.text.strip()}' is an accepted spelling of '{reading.canonical}'"
        if len(cell.text.split()) > 2:
            why += "; the original words are kept here"
    changes.append(Change(sheet, cell.coordinate, "status", cell.text, reading.canonical, why))
    return cell._replace(value=reading.canonical)


def _canonical_rag(
    sheet: str, cell: Cell, vocabularies: Vocabularies, changes: list[Change]
) -> Cell:
    reading = normalise_rag(cell.text, cell.fill, vocabularies.rag)
    if reading.canonical is None or reading.canonical == cell.text:
        return cell
    whys = {
        "alias": "RAG is written as a letter",
        "fill": f"the cell had no text but a fill that reads as {reading.canonical}",
    }
    changes.append(
        Change(
            sheet,
            cell.coordinate,
            "rag",
            cell.text,
            reading.canonical,
            whys.get(reading.kind, "the canonical spelling"),
        )
    )
    return Cell(cell.row, cell.column, reading.canonical)


def attach_derived(plan: Plan, derivation: Derivation) -> Plan:
    """Put each milestone's Derived RAG and Parsed Due Date in planbook's columns, so the
    output model holds what the written workbook will show."""
    sheets: list[Sheet] = []
    for sheet in plan.sheets:
        if isinstance(sheet, PlanSheet):
            tables = tuple(_attach(sheet, table, derivation) for table in sheet.tables)
            sheet = dataclasses.replace(sheet, tables=tables, suspects=None)  # cells changed
        sheets.append(sheet)
    return dataclasses.replace(plan, sheets=tuple(sheets))


def _attach(sheet: PlanSheet, table: Table, derivation: Derivation) -> Table:
    if not is_tracked(table):
        return table
    columns = {column.name: table.header[column.name].column for column in PLANBOOK_COLUMNS}
    items = []
    for item in table.items:
        milestones = {id(row) for row in item.milestones}
        rows = []
        for row in item.rows:
            if id(row) not in milestones:
                rows.append(row)
                continue
            rag, due = derived_values(derivation.milestone(sheet.name, row.row))
            cells = dict(row.cells)
            if rag:
                cells["rag_derived"] = Cell(row.row, columns["rag_derived"], rag)
            if due is not None:
                cells["due_parsed"] = Cell(row.row, columns["due_parsed"], due)
            rows.append(TableRow(row.row, cells, row.extra, row.stray))
        items.append(Item(tuple(rows)))
    return dataclasses.replace(table, items=tuple(items))
