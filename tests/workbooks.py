"""Test data: the sample's paths, its seed text as rows, and small workbooks built from lists.

Nothing here imports planbook: the seed is read as plain text and the small workbooks are
written with openpyxl, so the tests compare planbook against an independent account.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import openpyxl
from openpyxl.styles import PatternFill
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_workbooks"
SAMPLE_WORKBOOK = SAMPLES / "annual_plan_2022_23.xlsx"
SEED = SAMPLES / "source" / "annual_plan_2022_23.txt"

#: The sample's sheets, in workbook order: the seed's blocks in seed order.
SAMPLE_SHEETS = ("Cover", "Customer Services", "Revenues and Benefits", "Land Charges", "IT")
#: The content type of an .xlsx workbook, as uploads and downloads carry it.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CellInput = str | int | float | dt.date | dt.datetime | None


# --------------------------------------------------------------------------- small workbooks


def edit_once(path: Path, old: str, new: str) -> None:
    """Replace ``old``, which must stand exactly once in the text file, by ``new``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def write_workbook(
    path: Path,
    sheets: Mapping[str, Sequence[Sequence[CellInput]]],
    *,
    fills: Mapping[tuple[str, str], str] | None = None,
    hidden: Iterable[str] = (),
    origin: str = "A1",
) -> Path:
    """Write ``{"Sheet": [[row values...], ...]}`` as an .xlsx workbook and return its path.

    Row k of a sheet's list is Excel row k and value j is column j, both counted from
    ``origin`` (``"C1"`` puts the first value of each row in column C). None leaves the
    cell empty; text is always written as text, never as a formula. ``fills`` gives
    cells (sheet, A1 coordinate) a solid fill of that RGB colour, whether or not they
    hold a value; ``hidden`` names the sheets to hide.
    """
    column_letters, first_row = coordinate_from_string(origin)
    first_column = column_index_from_string(column_letters)
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        worksheet = workbook.create_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                cell = worksheet.cell(row=first_row + r, column=first_column + c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # "=..." stays the lead's text, not a formula
    for (name, coordinate), rgb in (fills or {}).items():
        workbook[name][coordinate].fill = PatternFill(fill_type="solid", fgColor=rgb)
    for name in hidden:
        workbook[name].sheet_state = "hidden"
    workbook.save(path)
    return path


# --------------------------------------------------------------------------- the seed text

Row = list[str]


def _is_dash_line(row: Row) -> bool:
    filled = [cell.strip() for cell in row if cell.strip()]
    return bool(filled) and all(set(cell) == {"-"} for cell in filled)


def seed_sheets(seed: Path = SEED) -> dict[str, list[Row]]:
    """Sheet name -> its rows as the sample holds them (``rows[k - 1]`` is Excel row k).

    The seed is the cover, then one block per ``Annual Plan for:`` line. In the sample,
    each block's line k is row k of its sheet; lines of ``-----`` cells are dropped (the
    rows below move up) and trailing blank lines trimmed.
    """
    lines = [line.split("\t") for line in seed.read_text(encoding="utf-8").split("\n")]
    starts = [i for i, row in enumerate(lines) if row[0] == "Annual Plan for:"]
    bounds = [0, *starts, len(lines)]
    blocks = []
    for start, end in pairwise(bounds):
        rows = [row for row in lines[start:end] if not _is_dash_line(row)]
        while rows and not any(cell.strip() for cell in rows[-1]):
            rows.pop()
        blocks.append(rows)
    assert len(blocks) == len(SAMPLE_SHEETS), f"seed has {len(blocks)} blocks"
    return dict(zip(SAMPLE_SHEETS, blocks, strict=True))


def plain(text: str) -> str:
    """A seed cell without the export's ``<i>`` italics markup."""
    return re.sub(r"</?i>", "", text).strip()


# --------------------------------------------------------------------------- the seed's tables

#: Leading words of each field's header, as RULES.md lists them (after `(s)` -> `s`).
_SEED_HEADERS = (
    ("ref", ("ref",)),
    ("description", ("description",)),
    ("milestone", ("milestones",)),
    ("due", ("due dates",)),
    ("lead", ("lead",)),
    ("outcome", ("links to service outcomes", "driver or source")),
    ("councils", ("councils impacted",)),
    ("status", ("delivery status",)),
    ("rag", ("rag status",)),
    ("progress", ("progress",)),
)
_MILESTONE_FIELDS = ("milestone", "due", "status", "progress")
_TITLE = re.compile(r"Part (1|2|3|Three)\b")


def _seed_field(text: str) -> str:
    label = " ".join(text.lower().replace("(s)", "s").split())
    for name, leads in _SEED_HEADERS:
        if label.startswith(leads):
            return name
    raise AssertionError(f"unknown header {text!r} in the seed")


@dataclass
class SeedItem:
    row: int
    rows: list[int]
    milestones: list[int]


@dataclass
class SeedTable:
    title: str | None
    header_row: int
    fields: dict[str, int]
    repeated_header_rows: list[int] = field(default_factory=list)
    marker_rows: list[int] = field(default_factory=list)
    items: list[SeedItem] = field(default_factory=list)

    @property
    def milestone_count(self) -> int:
        return sum(len(item.milestones) for item in self.items)


def seed_tables(rows: Sequence[Row]) -> list[SeedTable]:
    """The plan tables of a seed sheet, read by RULES.md alone (not by planbook).

    A `Part ...` line titles the next header unless it continues the `Sections:` list;
    a header with the open table's fields is a repeat; a row with ref or description
    starts an item, whose own row is a milestone when it has milestone, due, status or
    progress text; any other data row is the next milestone of the item above.
    """
    tables: list[SeedTable] = []
    table: SeedTable | None = None
    title: str | None = None
    in_sections = False
    for number, raw in enumerate(rows, start=1):
        cells = [plain(cell) for cell in raw]
        filled = [(column, text) for column, text in enumerate(cells) if text]
        if not filled:
            in_sections = False
            continue
        first = filled[0][1]
        if first.startswith("Sections:") or (in_sections and first.startswith("Part")):
            in_sections = True
            continue
        in_sections = False
        if len(filled) == 1 and _TITLE.match(first):
            table, title = None, first
        elif [text for _, text in filled[:2]] == ["Ref", "Description"]:
            fields = {_seed_field(text): column for column, text in filled}
            if table is not None and set(fields) == set(table.fields):
                table.repeated_header_rows.append(number)
                table.fields = fields
            else:
                table, title = SeedTable(title, number, fields), None
                tables.append(table)
        elif table is not None and first == "Insert Line Above":
            table.marker_rows.append(number)
        elif table is not None:
            columns = table.fields

            def text(name: str, cells: list[str] = cells, columns: dict[str, int] = columns) -> str:
                column = columns.get(name)
                return cells[column] if column is not None and column < len(cells) else ""

            if text("ref") or text("description"):
                own = [number] if any(text(name) for name in _MILESTONE_FIELDS) else []
                table.items.append(SeedItem(number, [number], own))
            else:
                table.items[-1].rows.append(number)
                table.items[-1].milestones.append(number)
    return tables


#: The header row of a tracked plan table, as the 2022/23 plan writes it.
PLAN_HEADER: list[CellInput] = [
    "Ref",
    "Description",
    "Milestones",
    "Due Dates",
    "Lead",
    "Links to Service Outcomes",
    "Councils Impacted",
    "Delivery Status (Not started, Started, Paused, Complete)",
    "RAG Status R = late A = Risk of delay G = on track",
    "Progress",
]
