"""From the plan as read to the plan as ``planbook format`` writes it.

The output model is the input model with:
- Delivery Status and RAG in canonical spelling (each change logged);
- in every table with a Delivery Status, planbook's two columns beside RAG (Derived RAG,
  Parsed Due Date); the cells right of them move two columns right, no row moves;
- one ``Insert Line Above`` marker per table at most;
- planbook's own Findings and Legend sheets dropped (the writer makes them anew);
- this run's changes appended to the Change Log sheet (made if there is none).
Everything else stands where it stood, as it was written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from planbook.derive import Derivation
from planbook.layout import Segment, table_segments
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
from planbook.schemas import Vocabularies
from planbook.vocab import normalise_rag, normalise_status

#: The Change Log's columns.
CHANGE_COLUMNS: tuple[str, ...] = ("sheet", "cell", "field", "old", "new", "why", "as of")

#: Where planbook's columns stand, counted from the RAG (or status) column.
GENERATED_OFFSETS: dict[str, int] = {"rag_derived": 1, "due_parsed": 2}


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


def prepare(plan: Plan, vocabularies: Vocabularies, as_of: dt.date) -> tuple[Plan, list[Change]]:
    """The output model and the changes that make it (see the module docstring)."""
    changes: list[Change] = []
    sheets: list[Sheet] = []
    for sheet in plan.sheets:
        if isinstance(sheet, OtherSheet) and sheet.made_by_planbook:
            continue
        changes.extend(_cut_to_excel(sheet))
        if isinstance(sheet, PlanSheet):
            tables = tuple(
                _prepare_table(sheet.name, t, vocabularies, changes) for t in sheet.tables
            )
            sheet = dataclasses.replace(sheet, tables=tables)
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
    return Plan(path=plan.path, sheets=tuple(sheets)), changes


def _cut_to_excel(sheet: Sheet) -> Iterator[Change]:
    """Text longer than Excel holds is written cut: said in the Change Log, never silently."""
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


def _prepare_table(
    sheet: str, table: Table, vocabularies: Vocabularies, changes: list[Change]
) -> Table:
    segments = table_segments(table)
    moves = [(segment, _column_move(segment, "status" in table.header)) for segment in segments]

    def move_at(row: int) -> Callable[[int], int]:
        return next(m for segment, m in reversed(moves) if segment.header_row <= row)

    def generated_at(row: int) -> set[int]:
        segment = next(s for s, _ in reversed(moves) if s.header_row <= row)
        return {segment.columns[name] for name in GENERATED_HEADERS if name in segment.columns}

    def moved(cells: Iterator[Cell] | tuple[Cell, ...]) -> tuple[Cell, ...]:
        return tuple(
            _moved(cell, move_at(cell.row))
            for cell in cells
            if cell.column not in generated_at(cell.row)
        )

    header = {
        name: _moved(cell, moves[0][1])
        for name, cell in table.header.items()
        if name not in GENERATED_HEADERS
    }
    repeats = [moved(cells) for cells in table.repeated_headers]
    if "status" in table.header:
        # planbook's columns beside RAG (else Delivery Status), in every segment.
        first = segments[0]
        for name, text in GENERATED_HEADERS.items():
            base = moves[0][1](_anchor(first.columns))
            header[name] = Cell(table.header_row, base + GENERATED_OFFSETS[name], text)
        for index, cells in enumerate(repeats):
            segment, move = moves[index + 1]
            base = move(_anchor(segment.columns))
            repeats[index] = (
                *cells,
                *(
                    Cell(cells[0].row, base + GENERATED_OFFSETS[name], text)
                    for name, text in GENERATED_HEADERS.items()
                ),
            )
    for extra in table.markers[1:]:
        changes.append(
            Change(
                sheet,
                extra.coordinate,
                "marker",
                extra.text,
                "",
                "one 'Insert Line Above' marker per table is kept",
            )
        )
    items = tuple(
        Item(
            tuple(
                _prepare_row(
                    sheet, row, move_at(row.row), generated_at(row.row), vocabularies, changes
                )
                for row in item.rows
            )
        )
        for item in table.items
    )
    return dataclasses.replace(
        table,
        header=header,
        title=_moved(table.title, moves[0][1]) if table.title is not None else None,
        extra_columns=moved(table.extra_columns),
        repeated_headers=tuple(repeats),
        markers=moved(table.markers[:1]),
        items=items,
    )


def _anchor(columns: dict[str, int]) -> int:
    return columns["rag"] if "rag" in columns else columns["status"]


def _column_move(segment: Segment, tracked: bool) -> Callable[[int], int]:
    """Old column -> new, in one segment: planbook's old columns taken out, its two new
    ones put in beside RAG (else Delivery Status) when the table tracks a status."""
    generated = sorted(segment.columns[n] for n in GENERATED_HEADERS if n in segment.columns)

    def stripped(column: int) -> int:
        return column - sum(1 for g in generated if g < column)

    if not tracked or not ({"rag", "status"} & set(segment.columns)):
        return stripped
    base = stripped(_anchor(segment.columns))
    width = len(GENERATED_HEADERS)
    return lambda column: stripped(column) + (width if stripped(column) > base else 0)


def _moved(cell: Cell, move: Callable[[int], int]) -> Cell:
    column = move(cell.column)
    return cell if column == cell.column else cell._replace(column=column)


def _prepare_row(
    sheet: str,
    row: TableRow,
    move: Callable[[int], int],
    generated: set[int],
    vocabularies: Vocabularies,
    changes: list[Change],
) -> TableRow:
    cells = {}
    for name, cell in row.cells.items():
        if name in GENERATED_HEADERS or cell.column in generated:
            continue  # planbook's own: made anew from this run's derivation
        if name == "status":
            cell = _canonical_status(sheet, cell, vocabularies, changes)
        elif name == "rag":
            cell = _canonical_rag(sheet, cell, vocabularies, changes)
        cells[name] = _moved(cell, move)
    extra = tuple(
        (header, _moved(cell, move)) for header, cell in row.extra if cell.column not in generated
    )
    stray = tuple(_moved(cell, move) for cell in row.stray if cell.column not in generated)
    return TableRow(row.row, cells, extra, stray)


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
            sheet = dataclasses.replace(sheet, tables=tables)
        sheets.append(sheet)
    return dataclasses.replace(plan, sheets=tuple(sheets))


def _attach(sheet: PlanSheet, table: Table, derivation: Derivation) -> Table:
    if "rag_derived" not in table.header:
        return table
    segments = table_segments(table)
    items = []
    for item in table.items:
        milestones = {id(row) for row in item.milestones}
        rows = []
        for row in item.rows:
            columns = next(s for s in reversed(segments) if s.header_row <= row.row).columns
            milestone = derivation.milestone(sheet.name, row.row) if id(row) in milestones else None
            cells = dict(row.cells)
            if milestone is not None and milestone.derived is not None:
                cells["rag_derived"] = Cell(row.row, columns["rag_derived"], milestone.derived)
            if (
                milestone is not None
                and milestone.due.date is not None
                and milestone.due.kind != "invalid"
            ):
                cells["due_parsed"] = Cell(row.row, columns["due_parsed"], milestone.due.date)
            rows.append(dataclasses.replace(row, cells=cells))
        items.append(Item(tuple(rows)))
    return dataclasses.replace(table, items=tuple(items))
