"""The plan as planbook understands it: plain Python values, each tied to its cell.

Everything the reader finds on a sheet lands somewhere in this model, so later stages
(check, derive, write, diff) never go back to the workbook, and nothing a lead wrote is
lost: cells the layout cannot place are kept as ``unplaced``, export artefacts as
``artefacts``. ``Sheet.cells()`` walks every cell a sheet holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal, NamedTuple

from planbook.columns import PLANBOOK_COLUMNS

CellValue = str | int | float | bool | dt.date | dt.datetime | dt.time | None

#: The fields of a plan table, in the order RULES.md lists them.
FIELDS: tuple[str, ...] = (
    "ref",
    "description",
    "milestone",
    "due",
    "lead",
    "outcome",
    "councils",
    "status",
    "rag",
    "progress",
)

#: Each field as the plan's headers say it, for messages that name a column.
FIELD_NAMES: dict[str, str] = {
    "ref": "Ref",
    "description": "Description",
    "milestone": "Milestones",
    "due": "Due Dates",
    "lead": "Lead",
    "outcome": "Links to Service Outcomes",
    "councils": "Councils Impacted",
    "status": "Delivery Status",
    "rag": "RAG",
    "progress": "Progress",
}

#: Columns ``planbook format`` writes beside RAG (``planbook.columns`` owns them), field ->
#: header, left to right. They are recognised on reading, so a formatted workbook formats
#: again to the same file, and they are never the lead's data.
GENERATED_HEADERS: dict[str, str] = {column.name: column.header for column in PLANBOOK_COLUMNS}

#: Sheets ``planbook format`` writes. Findings and Legend are made anew on every run (their
#: first cell says so); the Change Log is the lead's history and is carried forward.
FINDINGS_SHEET, LEGEND_SHEET, CHANGE_LOG_SHEET = "Findings", "Legend", "Change Log"
GENERATED_MARK = "planbook:"


def free_sheet_name(name: str, taken: set[str]) -> str:
    """``Findings``, unless a lead's own sheet has that name: then ``Findings (planbook)``;
    the name chosen is added to ``taken`` (case-folded names)."""
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{name} (planbook)" if number == 2 else f"{name} (planbook {number - 1})"
    taken.add(candidate.casefold())
    return candidate


#: Excel holds at most this many characters in a cell.
EXCEL_CELL_LIMIT = 32_767


def may_be_broken(text: str) -> bool:
    """Whether a cell's text could be an Excel error (each has a "#") or run past Excel's
    limit: the reader asks it of every text as it makes the cell (``Sheet.suspects``),
    and the cell rules walk a sheet only when it said yes to one."""
    return "#" in text or len(text) > EXCEL_CELL_LIMIT


#: Text under one of these makes an item's own row its first milestone (RAG alone does not).
MILESTONE_FIELDS: frozenset[str] = frozenset({"milestone", "due", "status", "progress"})

SheetKind = Literal["plan", "cover", "other"]


def column_letter(column: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_text(value: CellValue) -> str:
    """A value as a lead reads it: dates as ISO, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def shows_text(value: CellValue) -> bool:
    """Whether a cell shows text: not blank (kept for its fill) nor only white space. A
    number, a date or a truth value always shows some."""
    return value is not None and (type(value) is not str or bool(value.strip()))


class Cell(NamedTuple):
    """One cell of the workbook: where it is and what it holds.

    ``value`` is None only for a blank cell kept for its ``fill`` (a RAG cell coloured
    instead of written). ``fill`` is the RGB hex of a solid fill where a rule needs it.
    A named tuple, not a dataclass: a big plan has a million of them, and a tuple is
    made several times faster.
    """

    row: int
    column: int
    value: CellValue
    fill: str | None = None

    @property
    def coordinate(self) -> str:
        return f"{column_letter(self.column)}{self.row}"

    @property
    def text(self) -> str:
        value = self.value
        return value if type(value) is str else cell_text(value)


class Comment(NamedTuple):
    """A lead's note on a cell (Excel's Notes, the legacy comments): where, who, what.

    A threaded comment leaves one too, its thread in ``text`` as Excel writes it for
    older readers. The cell need not hold a value.
    """

    row: int
    column: int
    author: str
    text: str

    @property
    def coordinate(self) -> str:
        return f"{column_letter(self.column)}{self.row}"


@dataclass(frozen=True, slots=True)
class TableRow:
    """One data row of a plan table, its cells sorted by field."""

    row: int
    cells: Mapping[str, Cell]
    #: Cells under a header planbook does not know, with that header's text.
    extra: tuple[tuple[str, Cell], ...] = ()
    #: Cells under no header at all: kept and reported, never dropped.
    stray: tuple[Cell, ...] = ()

    def get(self, name: str) -> Cell | None:
        return self.cells.get(name)

    def text(self, name: str) -> str:
        cell = self.cells.get(name)
        return cell.text if cell is not None else ""

    #: Text under Milestones, Due, Status or Progress: worked out once, asked often.
    has_milestone_text: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cells, found = self.cells, False
        for name in MILESTONE_FIELDS:  # a loop, not any(): this runs for every table row
            cell = cells.get(name)
            if cell is not None and shows_text(cell.value):
                found = True
                break
        object.__setattr__(self, "has_milestone_text", found)

    def all_cells(self) -> Iterator[Cell]:
        yield from self.cells.values()
        yield from (cell for _, cell in self.extra)
        yield from self.stray


@dataclass(frozen=True, slots=True)
class Item:
    """An item of a table: the row that starts it and the rows that continue it."""

    rows: tuple[TableRow, ...]

    @property
    def head(self) -> TableRow:
        return self.rows[0]

    @property
    def row(self) -> int:
        return self.head.row

    @property
    def ref(self) -> Cell | None:
        return self.head.get("ref")

    @property
    def description(self) -> Cell | None:
        return self.head.get("description")

    @property
    def label(self) -> str:
        """What a lead calls the item: its Description, else its Ref, else its row."""
        for cell in (self.description, self.ref):
            if cell is not None and cell.text.strip():
                return cell.text.strip()
        return f"the item on row {self.row}"

    @property
    def head_is_milestone(self) -> bool:
        return self.head.has_milestone_text

    @property
    def milestones(self) -> tuple[TableRow, ...]:
        return self.rows if self.head_is_milestone else self.rows[1:]


@dataclass(frozen=True)
class Segment:
    """The rows a table reads by one header row: the first, or a print-break repeat
    (whose columns may stand elsewhere)."""

    header_row: int
    last_row: int
    #: Field -> column, as that header row places them.
    columns: dict[str, int]


@dataclass(frozen=True, slots=True)
class Table:
    """A plan table: its header row, its title (if any) and its items."""

    header_row: int
    #: The header cell of each known field.
    header: Mapping[str, Cell]
    title: Cell | None = None
    #: The part its title names (1, 2 or 3), None when untitled or unnumbered.
    part: int | None = None
    #: For an untitled table: the part its columns suggest.
    inferred_part: int | None = None
    #: Header cells whose text names no known field; their columns' cells go to ``extra``.
    extra_columns: tuple[Cell, ...] = ()
    #: Header rows repeated inside the table (print breaks): not data, kept for write-back.
    repeated_headers: tuple[tuple[Cell, ...], ...] = ()
    #: ``Insert Line Above`` template markers.
    markers: tuple[Cell, ...] = ()
    items: tuple[Item, ...] = ()
    #: The rows each header row reads, top to bottom (``layout.table_segments``).
    segments: tuple[Segment, ...] = ()

    @property
    def effective_part(self) -> int | None:
        return self.part if self.part is not None else self.inferred_part

    @property
    def columns(self) -> dict[str, str]:
        """Field -> column letter, in the order the columns stand."""
        ordered = sorted(self.header.items(), key=lambda entry: entry[1].column)
        return {name: column_letter(cell.column) for name, cell in ordered}

    @property
    def milestone_count(self) -> int:
        return sum(len(item.milestones) for item in self.items)

    def all_cells(self) -> Iterator[Cell]:
        if self.title is not None:
            yield self.title
        yield from self.header.values()
        yield from self.extra_columns
        for repeat in self.repeated_headers:
            yield from repeat
        yield from self.markers
        for item in self.items:
            for row in item.rows:
                yield from row.all_cells()


@dataclass(frozen=True, slots=True)
class HeaderEntry:
    """A line of a service sheet's header block: ``Annual Plan for:`` and its value."""

    key: str
    label: Cell
    value: Cell | None

    @property
    def text(self) -> str:
        return self.value.text if self.value is not None else ""


@dataclass(frozen=True, slots=True)
class CoverRow:
    row: int
    #: Header text -> cell.
    cells: Mapping[str, Cell]

    def text(self, header: str) -> str:
        cell = self.cells.get(header)
        return cell.text if cell is not None else ""


@dataclass(frozen=True, slots=True)
class CoverTable:
    """The Version Control or Configuration Control table of the cover."""

    title: Cell
    header: tuple[Cell, ...]
    rows: tuple[CoverRow, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(cell.text.strip() for cell in self.header)

    def all_cells(self) -> Iterator[Cell]:
        yield self.title
        yield from self.header
        for row in self.rows:
            yield from row.cells.values()


@dataclass(frozen=True, slots=True)
class Sheet:
    """What every sheet has: a name, a position, a visibility and the cells it could not place."""

    name: str
    index: int
    state: str = "visible"
    unplaced: tuple[Cell, ...] = ()
    #: Rows of ``-----`` cells: an export artefact, not data.
    artefacts: tuple[Cell, ...] = ()
    #: Formula cells Excel never calculated, held (elsewhere in the model) as their
    #: formula text: listed here so they are reported. Not yielded twice by ``cells()``.
    uncalculated: tuple[Cell, ...] = ()
    #: The last column any cell of the sheet's XML names, blank styled cells and merged
    #: ranges included: planbook's own columns go past it, where no lead cell is.
    last_column: int = 0
    #: The leads' notes on the sheet's cells, in row then column order. Not cells: not
    #: yielded by ``cells()``.
    comments: tuple[Comment, ...] = ()
    #: The cells whose text ``may_be_broken``, as the reader picked them while making the
    #: cells: when it picked none, the cell rules need not walk the sheet (a third of a
    #: second for a big plan). None: not picked (a sheet made or changed other than by
    #: the reader), so the rules walk every cell. Not yielded twice by ``cells()``.
    suspects: tuple[Cell, ...] | None = None

    kind: ClassVar[SheetKind] = "other"

    @property
    def may_hold_broken_text(self) -> bool:
        """False only when the reader saw no text on the sheet that ``may_be_broken``:
        what looks for such text (the cell rules, the cut to Excel's limit) skips it."""
        return self.suspects != ()

    def cells(self) -> Iterator[Cell]:
        yield from self.unplaced
        yield from self.artefacts


@dataclass(frozen=True, slots=True)
class PlanSheet(Sheet):
    """A service's annual plan."""

    header: tuple[HeaderEntry, ...] = ()
    #: Free lines: ``Sections: ...``, ``Agreed Plan``, ``No Part 1 items``, unused titles.
    notes: tuple[Cell, ...] = ()
    tables: tuple[Table, ...] = ()

    kind: ClassVar[SheetKind] = "plan"

    @property
    def service(self) -> str:
        """The service the sheet plans for, from ``Annual Plan for:``; else the sheet name."""
        entry = self.header_entry("plan_for")
        return entry.text.strip() if entry is not None and entry.text.strip() else self.name

    def header_entry(self, key: str) -> HeaderEntry | None:
        return next((entry for entry in self.header if entry.key == key), None)

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for table in self.tables for item in table.items)

    @property
    def stray(self) -> tuple[Cell, ...]:
        """Cells inside tables that stand under no header."""
        return tuple(cell for item in self.items for row in item.rows for cell in row.stray)

    def cells(self) -> Iterator[Cell]:
        yield from Sheet.cells(self)
        for entry in self.header:
            yield entry.label
            if entry.value is not None:
                yield entry.value
        yield from self.notes
        for table in self.tables:
            yield from table.all_cells()


@dataclass(frozen=True, slots=True)
class CoverSheet(Sheet):
    """The cover: title lines, Version Control and Configuration Control."""

    titles: tuple[Cell, ...] = ()
    version_control: CoverTable | None = None
    configuration_control: CoverTable | None = None

    kind: ClassVar[SheetKind] = "cover"

    def cells(self) -> Iterator[Cell]:
        yield from Sheet.cells(self)
        yield from self.titles
        for table in (self.version_control, self.configuration_control):
            if table is not None:
                yield from table.all_cells()


@dataclass(frozen=True, slots=True)
class OtherSheet(Sheet):
    """Notes, lookups, anything that is not a plan: kept as it is."""

    content: tuple[Cell, ...] = ()

    @property
    def made_by_planbook(self) -> bool:
        """A Findings or Legend sheet ``planbook format`` wrote: it writes them anew."""
        first = min(self.content, key=lambda cell: (cell.row, cell.column), default=None)
        return (
            self.name.startswith((FINDINGS_SHEET, LEGEND_SHEET))
            and first is not None
            and first.text.startswith(GENERATED_MARK)
        )

    def cells(self) -> Iterator[Cell]:
        yield from Sheet.cells(self)
        yield from self.content


@dataclass(frozen=True, slots=True)
class Plan:
    """A whole workbook: its sheets in workbook order."""

    path: Path
    sheets: tuple[Sheet, ...]
    #: The file carries a VBA project: read as data, never run, never carried over.
    has_macros: bool = False

    @property
    def cover(self) -> CoverSheet | None:
        return next((s for s in self.sheets if isinstance(s, CoverSheet)), None)

    @property
    def plan_sheets(self) -> tuple[PlanSheet, ...]:
        return tuple(s for s in self.sheets if isinstance(s, PlanSheet))

    def sheet(self, name: str) -> Sheet:
        for candidate in self.sheets:
            if candidate.name == name:
                return candidate
        raise KeyError(name)


#: The fields a row takes from its item: ref and description stand on its first row.
ITEM_FIELDS = frozenset({"ref", "description"})


@dataclass(frozen=True, slots=True)
class MilestoneRow:
    """One row of a plan table's flat view (a milestone, or the row of an item that has
    none), with the model objects it came from: what ``check`` validates and ``export``
    writes, one per row."""

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
        if name in ITEM_FIELDS:
            return self.item.head.get(name)
        return self.row.get(name)

    def position(self, name: str) -> tuple[int, int]:
        """Row and column of a field's cell, filled or not (column 0: no such column)."""
        cell = self.cell(name)
        if cell is not None:
            return cell.row, cell.column
        header = self.table.header.get(name)
        return self.row.row, header.column if header is not None else 0

    def cells(self) -> dict[str, str]:
        """Field -> A1 coordinate of its cell ('' where the table has no such column)."""
        coordinates = {}
        for name in FIELDS:
            row, column = self.position(name)
            coordinates[name] = f"{column_letter(column)}{row}" if column else ""
        return coordinates


def milestone_rows(plan: Plan) -> Iterator[MilestoneRow]:
    """Every row of the flat view, sheet by sheet, in workbook order: every milestone
    once; an item with no milestone is one row; an item whose own row is no milestone but
    carries other text (a lead, councils, a RAG) gets that row too, so that no cell of a
    table is left out."""
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
