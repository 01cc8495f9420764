"""How a sheet's rows become the model: the layout rules of RULES.md.

This stage knows nothing of files: it takes the non-empty cells of a sheet, row by row,
and returns a ``Sheet``. Tables are found by their header text, never by position, so a
lead's copy with reordered, renamed or shifted columns reads the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from planbook.model import (
    GENERATED_HEADERS,
    Cell,
    CoverRow,
    CoverSheet,
    CoverTable,
    HeaderEntry,
    Item,
    OtherSheet,
    PlanSheet,
    Segment,
    Sheet,
    Table,
    TableRow,
    shows_text,
)

Row = tuple[int, Sequence[Cell]]

#: Leading words of each field's header, most specific first. Matched case-insensitively
#: on the header's leading words, so a long header carrying its legend still matches.
COLUMN_HEADERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    *((name, (header.lower(),)) for name, header in GENERATED_HEADERS.items()),
    ("ref", ("ref",)),
    ("description", ("description",)),
    ("milestone", ("milestone",)),
    ("due", ("due",)),
    ("lead", ("lead",)),
    ("outcome", ("links to service outcome", "service outcome", "outcome", "driver")),
    ("councils", ("councils impacted", "council impacted", "councils", "council")),
    ("status", ("delivery status", "status")),
    ("rag", ("rag",)),
    ("progress", ("progress",)),
)

#: Header block labels -> their key in ``PlanSheet.header``.
HEADER_LABELS: dict[str, str] = {
    "annual plan for": "plan_for",
    "last update": "last_update",
    "last update (date and who by)": "last_update",
    "jtb review": "jtb_review",
    "jtb review date": "jtb_review",
    "agreed date and who by": "agreed",
}

_PART_NUMBERS = {"1": 1, "2": 2, "3": 3, "one": 1, "two": 2, "three": 3}
_TITLE = re.compile(r"part\s+(1|2|3|one|two|three)\b", re.IGNORECASE)
_NOTE = re.compile(
    r"sections\s*:.*|agreed plan|delivery tracking|no part\s+\w+\s+items?\.?", re.IGNORECASE
)
_SECTIONS = re.compile(r"sections\s*:", re.IGNORECASE)
_DASHES = re.compile(r"-{2,}")
_MARKER = "insert line above"
_COVER_TABLES = {
    "version control": "version_control",
    "configuration control": "configuration_control",
}


def normalise_label(text: str) -> str:
    """Lower case, single spaces, ``Council(s)`` as ``Councils``, no trailing colon."""
    text = text.replace("(s)", "s").replace("(S)", "s")
    return " ".join(text.split()).lower().rstrip(":").strip()


def header_field(text: str) -> str | None:
    """The field a table header names, or None."""
    label = normalise_label(text)
    for name, leads in COLUMN_HEADERS:
        for lead in leads:
            if label == lead or label.startswith((lead + " ", lead + "(", lead + "s")):
                return name
    return None


def title_part(text: str) -> int | None:
    """``Part Three - Forward Look`` -> 3; None when the text is no section title."""
    match = _TITLE.match(text.strip())
    return _PART_NUMBERS[match.group(1).lower()] if match else None


def infer_part(fields: Iterable[str]) -> int:
    """The part an untitled table's columns suggest.

    Forward Look tables carry no delivery status or RAG; Part 1 and Part 2 tables share
    one layout, so a tracked table is taken for the Annual Plan Items (Part 2).
    """
    return 2 if {"status", "rag"} & set(fields) else 3


def _texts(cells: Sequence[Cell]) -> list[str]:
    return [cell.text.strip() for cell in cells]


def _written(cells: Sequence[Cell]) -> list[Cell]:
    """The cells that show text (``model.shows_text``, written out here: this runs on
    every cell of the workbook)."""
    return [
        cell
        for cell in cells
        if (value := cell.value) is not None and (type(value) is not str or value.strip())
    ]


def _is_artefact(cells: Sequence[Cell]) -> bool:
    # The first character decides for nearly every row: only then the full match.
    if not cells or cells[0].text.lstrip()[:1] != "-":
        return False
    texts = [text for text in _texts(cells) if text]
    return bool(texts) and all(_DASHES.fullmatch(text) for text in texts)


def _is_table_header(cells: Sequence[Cell]) -> bool:
    if len(cells) < 2 or cells[0].text.lstrip()[:3].lower() != "ref":
        return False  # the cheap test first: this runs on every row
    texts = [text for text in _texts(cells) if text]
    return (
        len(texts) >= 2
        and header_field(texts[0]) == "ref"
        and header_field(texts[1]) == "description"
    )


def _is_title(cells: Sequence[Cell]) -> bool:
    return len(cells) == 1 and title_part(cells[0].text) is not None


def _is_note(cells: Sequence[Cell]) -> bool:
    return len(cells) <= 2 and all(_NOTE.fullmatch(text) for text in _texts(cells))


def _is_marker(cells: Sequence[Cell]) -> bool:
    return len(cells) == 1 and cells[0].text.strip().lower() == _MARKER


_LABEL_STARTS = tuple({label[:4] for label in HEADER_LABELS})


def _header_key(cells: Sequence[Cell]) -> str | None:
    if not cells or not cells[0].text.lstrip()[:4].lower().startswith(_LABEL_STARTS):
        return None
    return HEADER_LABELS.get(normalise_label(cells[0].text))


def classify(rows: Sequence[Row]) -> str:
    """``plan``, ``cover`` or ``other``, by what the sheet holds (RULES.md "The workbook")."""
    for _, cells in rows:
        if _header_key(cells) == "plan_for" or _is_table_header(cells):
            return "plan"
    for _, cells in rows:
        if normalise_label(cells[0].text) in _COVER_TABLES:
            return "cover"
    return "other"


def parse_sheet(name: str, index: int, state: str, rows: Sequence[Row]) -> Sheet:
    """Turn a sheet's rows (non-empty cells only, in order) into the model."""
    # Blank cells come only for their fill, which only a plan's RAG column reads.
    written = [_written(cells) for _, cells in rows]  # once a row: a big plan has 100,000
    texted = [(number, cells) for (number, _), cells in zip(rows, written, strict=True) if cells]
    kind = classify(texted)
    if kind == "plan":
        return _PlanParser(name, index, state).parse(rows, written)
    rows = texted
    if kind == "cover":
        return _parse_cover(name, index, state, rows)
    return OtherSheet(
        name=name,
        index=index,
        state=state,
        content=tuple(cell for _, cells in rows for cell in cells),
    )


@dataclass
class _OpenTable:
    """A table while its rows are being read."""

    header_row: int
    header: dict[str, Cell]
    extra_columns: list[Cell]
    title: Cell | None
    #: Column -> field (or, for a column with an unknown header, that header's text).
    column_fields: dict[int, str]
    known_columns: set[int]
    repeated_headers: list[tuple[Cell, ...]] = field(default_factory=list)
    first_column: int = 1
    markers: list[Cell] = field(default_factory=list)
    items: list[list[TableRow]] = field(default_factory=list)

    @classmethod
    def start(cls, row: int, cells: Sequence[Cell], title: Cell | None) -> _OpenTable:
        header: dict[str, Cell] = {}
        extra: list[Cell] = []
        for cell in cells:
            name = header_field(cell.text)
            if name is None or name in header:
                extra.append(cell)
            else:
                header[name] = cell
        table = cls(row, header, extra, title, {}, set(), first_column=cells[0].column)
        table.map_columns(cells)
        return table

    def map_columns(self, cells: Sequence[Cell]) -> None:
        """Read the columns from a header row; a repeated header may have moved them."""
        self.column_fields, self.known_columns = {}, set()
        for cell in cells:
            name = header_field(cell.text)
            if name is not None and name not in self.column_fields.values():
                self.column_fields[cell.column] = name
                self.known_columns.add(cell.column)
            else:
                self.column_fields[cell.column] = cell.text.strip()

    def fields_of(self, cells: Sequence[Cell]) -> set[str]:
        return {name for cell in cells if (name := header_field(cell.text)) is not None}

    def add_row(self, number: int, cells: Sequence[Cell], texted: Sequence[Cell]) -> None:
        """A data row: ``cells`` all its cells, ``texted`` those that show text."""
        # Written out, names held locally: this runs once for every row of every table.
        column_fields, known_columns = self.column_fields, self.known_columns
        by_field: dict[str, Cell] = {}
        extra: list[tuple[str, Cell]] = []
        stray: list[Cell] = []
        # A blank cell counts only as a coloured RAG; most rows have none.
        for cell in texted if len(texted) == len(cells) else self._texted_or_rag(cells):
            column = cell.column
            column_field = column_fields.get(column)
            if column_field is None:
                stray.append(cell)
            elif column in known_columns:
                by_field[column_field] = cell
            else:
                extra.append((column_field, cell))
        row = TableRow(number, by_field, tuple(extra), tuple(stray))
        # Only a RAG is kept blank: a Ref or Description kept is one written.
        starts_item = "ref" in by_field or "description" in by_field
        if starts_item or not self.items:
            self.items.append([row])
        else:
            self.items[-1].append(row)

    def _texted_or_rag(self, cells: Sequence[Cell]) -> Iterator[Cell]:
        """The cells that show text, and a blank one under RAG, in order: for the few rows
        that hold a blank cell (kept for its fill)."""
        for cell in cells:
            if shows_text(cell.value) or self.column_fields.get(cell.column) == "rag":
                yield cell

    def close(self) -> Table:
        part = title_part(self.title.text) if self.title is not None else None
        table = Table(
            header_row=self.header_row,
            header=self.header,
            title=self.title,
            part=part,
            inferred_part=infer_part(self.header) if self.title is None else None,
            extra_columns=tuple(self.extra_columns),
            repeated_headers=tuple(self.repeated_headers),
            markers=tuple(self.markers),
            items=tuple(Item(tuple(rows)) for rows in self.items),
        )
        return replace(table, segments=table_segments(table))


class _PlanParser:
    """Reads a service sheet top to bottom, one row at a time."""

    def __init__(self, name: str, index: int, state: str) -> None:
        self.name, self.index, self.state = name, index, state
        self.header: list[HeaderEntry] = []
        self.notes: list[Cell] = []
        self.unplaced: list[Cell] = []
        self.artefacts: list[Cell] = []
        self.tables: list[Table] = []
        self.open: _OpenTable | None = None
        #: The last ``Part ...`` line since the last table: it titles the next table.
        self.pending_title: Cell | None = None
        #: The row of the last line of a ``Sections:`` list (-1: none open).
        self.sections_list_row = -1

    def parse(self, rows: Sequence[Row], written: Sequence[list[Cell]]) -> PlanSheet:
        """``written``: each row's cells with text (``_written``), beside ``rows``."""
        for (number, cells), texted in zip(rows, written, strict=True):
            self.read_row(number, cells, texted)
        self.close_table()
        if self.pending_title is not None:
            self.notes.append(self.pending_title)
        return PlanSheet(
            name=self.name,
            index=self.index,
            state=self.state,
            unplaced=tuple(self.unplaced),
            artefacts=tuple(self.artefacts),
            header=tuple(self.header),
            notes=tuple(sorted(self.notes, key=lambda cell: (cell.row, cell.column))),
            tables=tuple(self.tables),
        )

    def read_row(self, number: int, cells: Sequence[Cell], texted: list[Cell]) -> None:
        if not texted:
            return  # a coloured but empty row is formatting, not data
        # The `Part ...` lines right under `Sections:` are its list, not titles.
        in_sections_list = number == self.sections_list_row + 1
        self.sections_list_row = -1
        if _is_artefact(texted):
            self.artefacts.extend(texted)
        elif _is_table_header(texted):
            self.read_table_header(number, texted)
        elif self.is_sheet_line(texted):
            self.read_sheet_line(number, texted, in_sections_list)
        elif self.open is not None:
            if _is_marker(texted):
                self.open.markers.append(texted[0])
            else:
                self.open.add_row(number, cells, texted)
        else:
            self.unplaced.extend(texted)

    def is_sheet_line(self, texted: Sequence[Cell]) -> bool:
        """A header label, title or note. Inside a table these stand in its first column
        (or left of it): a milestone called `JTB Review` is a milestone."""
        if self.open is not None and texted[0].column > self.open.first_column:
            return False
        return _header_key(texted) is not None or _is_title(texted) or _is_note(texted)

    def read_sheet_line(self, number: int, texted: Sequence[Cell], in_list: bool) -> None:
        self.close_table()
        if (key := _header_key(texted)) is not None:
            label, *rest = texted
            # The value stands right beside its label; text past an empty cell is the
            # lead's own note beside the line ("Share agreed"), not the value.
            value = rest[0] if rest and rest[0].column == label.column + 1 else None
            self.header.append(HeaderEntry(key, label, value))
            self.unplaced.extend(rest[1:] if value is not None else rest)
        elif _is_title(texted) and not in_list:
            if self.pending_title is not None:
                self.notes.append(self.pending_title)
            self.pending_title = texted[0]
        else:
            self.notes.extend(texted)
            if in_list or _SECTIONS.match(texted[0].text.strip()):
                self.sections_list_row = number

    def read_table_header(self, number: int, cells: Sequence[Cell]) -> None:
        table = self.open
        if table is not None and table.fields_of(cells) == set(table.header):
            # Same fields, no title since: a print-break repeat, not a new table.
            table.repeated_headers.append(tuple(cells))
            table.map_columns(cells)
            return
        self.close_table()
        self.open = _OpenTable.start(number, cells, self.pending_title)
        self.pending_title = None

    def close_table(self) -> None:
        if self.open is not None:
            self.tables.append(self.open.close())
            self.open = None


def _parse_cover(name: str, index: int, state: str, rows: Sequence[Row]) -> CoverSheet:
    titles: list[Cell] = []
    unplaced: list[Cell] = []
    tables: dict[str, CoverTable] = {}
    position = 0
    while position < len(rows):
        _, cells = rows[position]
        key = _COVER_TABLES.get(normalise_label(cells[0].text))
        if key is not None and key not in tables:
            unplaced.extend(cells[1:])
            tables[key], position = _read_cover_table(cells[0], rows, position + 1, unplaced)
            continue
        # Lines before the first control table are the cover's title lines.
        (unplaced if tables else titles).extend(cells)
        position += 1
    return CoverSheet(
        name=name,
        index=index,
        state=state,
        unplaced=tuple(unplaced),
        titles=tuple(titles),
        version_control=tables.get("version_control"),
        configuration_control=tables.get("configuration_control"),
    )


def _read_cover_table(
    title: Cell, rows: Sequence[Row], position: int, unplaced: list[Cell]
) -> tuple[CoverTable, int]:
    """The header row after the title, then rows until a blank row or the next table."""
    if position >= len(rows) or normalise_label(rows[position][1][0].text) in _COVER_TABLES:
        return CoverTable(title, ()), position
    previous, header = rows[position]
    columns = {cell.column: cell.text.strip() for cell in header}
    body: list[CoverRow] = []
    position += 1
    while position < len(rows):
        number, cells = rows[position]
        if number != previous + 1 or normalise_label(cells[0].text) in _COVER_TABLES:
            break
        placed = {columns[cell.column]: cell for cell in cells if cell.column in columns}
        unplaced.extend(cell for cell in cells if cell.column not in columns)
        body.append(CoverRow(number, placed))
        previous = number
        position += 1
    return CoverTable(title, tuple(header), tuple(body)), position


def table_segments(table: Table) -> tuple[Segment, ...]:
    """The table's segments, top to bottom: computed once, when the table is read (or
    its header rewritten), and held on it as ``Table.segments``."""
    headers = [(table.header_row, {name: cell.column for name, cell in table.header.items()})]
    for cells in table.repeated_headers:
        columns: dict[str, int] = {}
        for cell in cells:
            name = header_field(cell.text)
            if name is not None and name not in columns:
                columns[name] = cell.column
        headers.append((cells[0].row, columns))
    headers.sort(key=lambda header: header[0])
    rows = [row.row for item in table.items for row in item.rows]
    last = max([*rows, *(cell.row for cell in table.markers), table.header_row])
    return tuple(
        Segment(row, headers[n + 1][0] - 1 if n + 1 < len(headers) else max(last, row), columns)
        for n, (row, columns) in enumerate(headers)
    )
