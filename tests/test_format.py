"""`planbook format`: the workbook written back (docs/format.md).

The written workbook is checked three ways, each independent of the writer:
- read back by planbook, its flat export equals the input's once the logged changes are
  applied (the round trip);
- read cell by cell with openpyxl, every cell the lead wrote stands where it stood (no
  lead cell moves), and planbook's own cells stand only in its two columns past the
  sheet's last used column, on tracked tables' header, repeated header and milestone rows;
- opened as a zip and parsed with defusedxml, its formulas, cached values, dropdowns,
  colours, names, Findings, Change Log and properties are what the docs promise.

Everything is as of the sample's board date, 2022-03-17, unless a test says otherwise.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import openpyxl
import pytest
from click.testing import CliRunner, Result
from defusedxml import ElementTree as SafeET
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

import planbook
import planbook.write
from planbook import Plan, PlanSheet, Table
from planbook.check import check_plan
from planbook.cli import cli
from planbook.derive import Settings, derive_plan
from planbook.errors import PlanbookError
from planbook.export import export_records
from planbook.model import milestone_rows
from planbook.normalise import normalise_rag, normalise_status
from planbook.schemas import load_vocabularies
from planbook.write import Change, FormatResult, format_workbook
from planbook.write.prepare import CHANGE_COLUMNS
from planbook.write.xlsx import excel_serial
from workbooks import PLAN_HEADER, SAMPLE_WORKBOOK, CellInput, write_workbook

AS_OF = dt.date(2022, 3, 17)
SETTINGS = Settings(as_of=AS_OF)
VOCABULARIES = load_vocabularies()
PLANBOOK_HEADERS = ("Derived RAG", "Parsed Due Date")

#: A tracked table's header as the leads' template has it (columns A-J).
HEADER: list[CellInput] = PLAN_HEADER
#: A Forward Look's header: no Delivery Status, no RAG.
FORWARD_HEADER: list[CellInput] = ["Ref", "Description", "Milestones", "Due Dates", "Lead"]


# --------------------------------------------------------------------------- building inputs


def kitchen_sink(path: Path) -> Path:
    """A workbook holding everything `format` must carry over: a cover, a service sheet
    with unplaced and stray cells, an extra `Notes` column, aliases, an unknown status, an
    unknown RAG, a fill-only RAG, formula-like text, two markers in one table, a status-only
    table and a Forward Look; a notes sheet and a hidden sheet."""
    plan_rows: list[list[CellInput]] = [
        ["Annual Plan for:", "Kitchen Sink 2022/23", None, None, "a note right of the header"],
        ["Last Update (Date and Who by)", "1 March 2022; A Lead"],
        [],
        ["Some unplaced words"],
        ["Part 2 - Annual Plan Items"],
        [*HEADER, "Notes"],  # row 6
        [
            "K1",
            "Move the office",
            "Pack",
            dt.date(2022, 3, 1),
            "Ann",
            "O1",
            "Hart",
            "WIP",
            "Red",
            "boxes bought",
            "the lead's own note",
            "a stray cell",
        ],
        [None, None, "Unpack", "30 April 2022", None, None, None, "COMPLETE", "green", "=1+1"],
        [None, None, "Paint", "sometime", None, None, None, "Pondering", "Purple", "-5 days"],
        ["Insert Line Above"],  # row 10
        [
            "K2",
            '=HYPERLINK("http://x")',
            "Plan",
            "@SUM(A1)",
            None,
            None,
            None,
            "not  started",
            None,
            "+44",
        ],
        ["Insert Line Above"],  # row 12: a second marker, kept as the lead wrote it
        [],
        ["Part 1 - Outstanding Transition Actions"],
        ["Ref", "Description", "Milestones", "Due Dates", "Delivery Status", "Progress"],  # 15
        ["T1", "Transition", "Hand over", "By 30 June 2022", "On hold", "waiting", 42],
        [],
        ["Part 3 - Forward Look"],
        FORWARD_HEADER,  # row 19
        ["F1", "Future thing", "Think", "Q3", "Bob", 3.5],
    ]
    return write_workbook(
        path,
        {
            "Cover": [
                ["Annual Plan"],
                [],
                ["2022/3"],
                [],
                ["Version Control"],
                ["Version", "Changes"],
                [1, "first"],
            ],
            "Plan": plan_rows,
            "Notes": [["Just notes", 3.5], [dt.date(2022, 1, 2)], [None, None, "far away"]],
            "Hidden": [["secret"]],
        },
        fills={("Plan", "I11"): "FF0000"},
        hidden=["Hidden"],
    )


def service_sheet(rows: list[list[CellInput]], header: list[CellInput] = HEADER) -> dict:
    """One service sheet: `Annual Plan for:` on row 1, the title on row 3, the header on
    row 4 and ``rows`` from row 5."""
    return {
        "Plan": [
            ["Annual Plan for:", "Test 2022/23"],
            [],
            ["Part 2 - Annual Plan Items"],
            header,
            *rows,
        ]
    }


def build(path: Path, rows: list[list[CellInput]], **options: Any) -> Path:
    return write_workbook(path, service_sheet(rows), **options)


def fmt(source: Path, output: Path | None = None, **options: Any) -> FormatResult:
    """Format as of AS_OF with the as-of date fixed in the workbook (as `--as-of` does)."""
    if output is None and not options.get("in_place"):
        output = source.with_name(source.stem + ".formatted.xlsx")
    options.setdefault("settings", SETTINGS)
    options.setdefault("live_as_of", False)
    return format_workbook(source, output, **options)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


# --------------------------------------------------------------------------- reading outputs


def expected_export(source: Path, changes: tuple[Change, ...]) -> list[dict[str, Any]]:
    """The input's export with each logged change's old value replaced by its new one."""
    plan = planbook.read_workbook(source)
    records = export_records(plan, SETTINGS)
    where: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for index, row in enumerate(milestone_rows(plan)):
        for name, coordinate in row.cells().items():
            where.setdefault((row.sheet.name, coordinate), []).append((index, name))
    for change in changes:
        for index, name in where.get((change.sheet, change.cell), []):
            assert records[index][name] == change.old, change
            records[index][name] = change.new
    return records


def output_export(output: Path) -> list[dict[str, Any]]:
    return export_records(planbook.read_workbook(output), SETTINGS)


Grid = dict[str, dict[int, dict[int, Any]]]


def grid(path: Path) -> Grid:
    """Sheet -> row -> column -> value, every non-empty cell, read with openpyxl alone."""
    workbook = openpyxl.load_workbook(path, data_only=True)
    cells: Grid = {}
    for worksheet in workbook.worksheets:
        rows = cells.setdefault(worksheet.title, {})
        for row in worksheet.iter_rows():
            for cell in row:
                if cell.value is not None and cell.value != "":
                    rows.setdefault(cell.row, {})[cell.column] = cell.value
    workbook.close()
    return cells


def position(coordinate: str) -> tuple[int, int]:
    letters, row = coordinate_from_string(coordinate)
    return row, column_index_from_string(letters)


def last_used_column(path: Path, sheet: str) -> int:
    """The last column any cell (``<c r=...>``) or merged range of ``sheet``'s XML names,
    read from the XML itself: planbook's columns go past it."""
    root = Xlsx(path).sheet(sheet)
    references = [c.get("r") for c in root.iter(f"{MAIN}c")]
    assert None not in references, "a cell with no reference: count the columns by hand"
    for merged in root.iter(f"{MAIN}mergeCell"):
        references += merged.get("ref").split(":")
    return max((position(reference)[1] for reference in references), default=0)


def planbook_places(source: Path) -> dict[str, dict[int, set[int]]]:
    """Sheet -> row -> the columns planbook writes in on that row: its two columns, right
    past the sheet's last used column, on every tracked table's header row, repeated
    header rows and milestone rows (the same two for every tracked table of a sheet)."""
    places: dict[str, dict[int, set[int]]] = {}
    for sheet in planbook.read_workbook(source).plan_sheets:
        tracked = [table for table in sheet.tables if "status" in table.header]
        if not tracked:
            continue
        last = last_used_column(source, sheet.name)
        rows: set[int] = set()
        for table in tracked:
            rows.add(table.header_row)
            rows |= {cells[0].row for cells in table.repeated_headers if cells}
            rows |= {row.row for item in table.items for row in item.milestones}
        places[sheet.name] = {row: {last + 1, last + 2} for row in rows}
    return places


def expected_grid(source: Path, changes: tuple[Change, ...]) -> Grid:
    """The input's cells where they stood, with the logged changes applied."""
    cells = grid(source)
    for change in changes:
        row, column = position(change.cell)
        values = cells[change.sheet].setdefault(row, {})
        if change.new:
            values[column] = change.new
        else:
            del values[column]
    return cells


def without_planbook_columns(written: Grid, source: Path) -> Grid:
    """The output's cells less planbook's own, where ``planbook_places`` puts them."""
    places = planbook_places(source)
    kept: Grid = {}
    for sheet, rows in written.items():
        for row, values in rows.items():
            own = places.get(sheet, {}).get(row, set())
            kept.setdefault(sheet, {})[row] = {
                column: value for column, value in values.items() if column not in own
            }
    return kept


MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@dataclass(frozen=True)
class XmlCell:
    kind: str  # the `t` attribute: s, str, b, n...
    formula: str | None
    value: str  # shared strings resolved; a formula's cached value


class Xlsx:
    """A written workbook's parts, parsed with defusedxml."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as archive:
            self.parts = {name: archive.read(name) for name in archive.namelist()}

    def xml(self, part: str) -> Element:
        return SafeET.fromstring(self.parts[part])

    @property
    def strings(self) -> list[str]:
        if "xl/sharedStrings.xml" not in self.parts:
            return []  # every string inline (XlsxWriter's constant-memory mode)
        root = self.xml("xl/sharedStrings.xml")
        return ["".join(t.text or "" for t in si.iter(f"{MAIN}t")) for si in root]

    def sheet_part(self, name: str) -> str:
        rels = self.xml("xl/_rels/workbook.xml.rels")
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        for sheet in self.xml("xl/workbook.xml").iter(f"{MAIN}sheet"):
            if sheet.get("name") == name:
                return "xl/" + targets[sheet.get(RELATIONSHIP)].removeprefix("/xl/")
        raise KeyError(name)

    def sheet(self, name: str) -> Element:
        return self.xml(self.sheet_part(name))

    def cells(self, name: str) -> dict[str, XmlCell]:
        strings = self.strings
        cells = {}
        for c in self.sheet(name).iter(f"{MAIN}c"):
            kind = c.get("t", "n")
            formula = c.find(f"{MAIN}f")
            v = c.find(f"{MAIN}v")
            value = v.text or "" if v is not None else ""
            if kind == "s":
                value = strings[int(value)]
            elif kind == "inlineStr":
                value = "".join(t.text or "" for t in c.iter(f"{MAIN}t"))
            cells[c.get("r")] = XmlCell(kind, formula.text if formula is not None else None, value)
        return cells

    def rows(self, name: str) -> list[list[str]]:
        """A sheet's cell values row by row, as text, from column A, empty cells as ''."""
        table: dict[int, dict[int, str]] = {}
        for coordinate, cell in self.cells(name).items():
            row, column = position(coordinate)
            table.setdefault(row, {})[column] = cell.value
        return [
            [table[row].get(column, "") for column in range(1, max(table[row]) + 1)]
            for row in sorted(table)
        ]


def tables_of(plan: Plan) -> Iterator[tuple[PlanSheet, Table]]:
    for sheet in plan.plan_sheets:
        for table in sheet.tables:
            yield sheet, table


def letter(column: int) -> str:
    return get_column_letter(column)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def formatted_sample(sample_path: Path, tmp_path_factory: pytest.TempPathFactory) -> FormatResult:
    directory = tmp_path_factory.mktemp("sample")
    return fmt(
        sample_path,
        directory / "sample.formatted.xlsx",
        changelog=directory / "changes.csv",
    )


@pytest.fixture(scope="module")
def sample_output(formatted_sample: FormatResult) -> Path:
    return formatted_sample.output


@pytest.fixture(scope="module")
def sample_xlsx(sample_output: Path) -> Xlsx:
    return Xlsx(sample_output)


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FormatResult]:
    directory = tmp_path_factory.mktemp("sink")
    source = kitchen_sink(directory / "sink.xlsx")
    return source, fmt(source, directory / "sink.formatted.xlsx")


@pytest.fixture(params=["sample", "kitchen sink"])
def formatted(
    request: pytest.FixtureRequest,
    sample_path: Path,
    formatted_sample: FormatResult,
    sink: tuple[Path, FormatResult],
) -> tuple[Path, FormatResult]:
    """An input and the result of formatting it: the sample, and the kitchen sink."""
    if request.param == "sample":
        return sample_path, formatted_sample
    return sink


# --------------------------------------------------------------------------- the round trip


def test_reading_the_output_gives_the_input_export_with_the_logged_changes(
    formatted: tuple[Path, FormatResult],
) -> None:
    source, result = formatted
    assert output_export(result.output) == expected_export(source, result.changes)


def test_the_sample_has_its_aliases_made_canonical_and_logged(
    formatted_sample: FormatResult,
) -> None:
    changed = [(c.sheet, c.cell, c.field, c.old, c.new) for c in formatted_sample.changes]
    assert changed[:3] == [
        ("IT", "H19", "status", "WIP", "Started"),
        ("IT", "H46", "status", "In progress", "Started"),
        ("IT", "H50", "status", "Closed", "Complete"),
    ]
    assert ("IT", "H66", "status", "CLOSED AS NOT RELEVANT", "Complete") in changed
    assert len(changed) == 15


def test_closed_as_not_relevant_keeps_its_words_in_the_change_log(
    formatted_sample: FormatResult,
) -> None:
    change = next(c for c in formatted_sample.changes if c.cell == "H66")
    assert "CLOSED AS NOT RELEVANT" in change.why and "kept" in change.why


def test_kitchen_sink_changes_are_the_aliases_and_the_fill(
    sink: tuple[Path, FormatResult],
) -> None:
    """Only canonical Delivery Status and RAG: the second marker (A12) is no change."""
    _, result = sink
    assert sorted((c.cell, c.field, c.old, c.new) for c in result.changes) == [
        ("E16", "status", "On hold", "Paused"),
        ("H11", "status", "not  started", "Not started"),
        ("H7", "status", "WIP", "Started"),
        ("H8", "status", "COMPLETE", "Complete"),
        ("I11", "rag", "", "R"),
        ("I7", "rag", "Red", "R"),
        ("I8", "rag", "green", "G"),
    ]


def test_a_fill_only_rag_is_logged_as_read_from_its_fill(sink: tuple[Path, FormatResult]) -> None:
    _, result = sink
    change = next(c for c in result.changes if c.cell == "I11")
    assert change.why == "the cell had no text but a fill that reads as R"


def test_status_and_rag_in_the_output_are_canonical_or_left_unknown(
    formatted: tuple[Path, FormatResult],
) -> None:
    _, result = formatted
    odd = []
    for sheet, table in tables_of(planbook.read_workbook(result.output)):
        for item in table.items:
            for row in item.rows:
                status, rag = row.get("status"), row.get("rag")
                if status is not None:
                    reading = normalise_status(status.text, VOCABULARIES.status)
                    if reading.canonical not in (None, status.text):
                        odd.append((sheet.name, status.coordinate, status.text))
                if rag is not None:
                    reading = normalise_rag(rag.text, rag.fill, VOCABULARIES.rag)
                    if reading.canonical not in (None, rag.text):
                        odd.append((sheet.name, rag.coordinate, rag.text))
    assert odd == []


@pytest.mark.parametrize(
    ("status", "rag"),
    [(" Complete", "G"), ("Started ", "G"), ("Not started", " R "), ("Paused", "A ")],
)
def test_status_and_rag_written_with_spaces_are_written_back_canonical(
    tmp_path: Path, status: str, rag: str
) -> None:
    """docs/format.md: Delivery Status and RAG in canonical spelling. A lead's stray space
    is the likeliest misspelling of all, and the live Derived RAG formula compares the cell
    with the canonical word, so a spaced " Complete" would not read as complete in Excel."""
    source = build(
        tmp_path / "plan.xlsx",
        [["A1", "Item", "Step", "30/04/2022", None, None, None, status, rag]],
    )
    result = fmt(source)
    row = planbook.read_workbook(result.output).plan_sheets[0].tables[0].items[0].head
    assert (row.text("status"), row.text("rag")) == (status.strip(), rag.strip())
    assert {c.cell for c in result.changes} == {
        cell for cell, text in (("H5", status), ("I5", rag)) if text != text.strip()
    }


def test_unknown_status_and_rag_are_written_back_as_they_stand(
    sink: tuple[Path, FormatResult],
) -> None:
    _, result = sink
    plan_cells = grid(result.output)["Plan"]
    assert (plan_cells[9][8], plan_cells[9][9]) == ("Pondering", "Purple")


def test_every_input_cell_stands_where_it_stood(
    formatted: tuple[Path, FormatResult],
) -> None:
    """Nothing dropped, nothing moved, nothing added but planbook's own columns: the header
    block, notes, titles, unplaced and stray cells, the lead's extra column, the cover,
    other sheets; normalised values as logged."""
    source, result = formatted
    expected = expected_grid(source, result.changes)
    written = without_planbook_columns(grid(result.output), source)
    for sheet, rows in expected.items():
        for row, values in rows.items():
            assert written[sheet].get(row, {}) == values, (sheet, row)
        added = {row: values for row, values in written[sheet].items() if row not in rows}
        assert not any(added.values()), (sheet, added)


def test_planbook_writes_over_no_input_cell(formatted: tuple[Path, FormatResult]) -> None:
    """planbook's columns stand past the last used column: no input cell is where they go."""
    source, _ = formatted
    cells = grid(source)
    places = planbook_places(source)
    assert places
    clashes = [
        (sheet, row, column)
        for sheet, rows in places.items()
        for row, columns in rows.items()
        for column in columns
        if column in cells[sheet].get(row, {})
    ]
    assert clashes == []


def test_every_replaced_text_is_kept_in_the_change_log(
    formatted: tuple[Path, FormatResult],
) -> None:
    """The input's own words of every changed cell stand in the Change Log, where it was."""
    source, result = formatted
    written = grid(source)
    logged = Xlsx(result.output).rows("Change Log")[1:]
    for change, row in zip(result.changes, logged, strict=True):
        number, column = position(change.cell)
        assert written[change.sheet][number].get(column, "") == change.old
        assert row[:4] == [change.sheet, change.cell, change.field, change.old]


def test_the_output_has_the_input_sheets_in_order_then_planbooks_three(
    formatted: tuple[Path, FormatResult],
) -> None:
    source, result = formatted
    before = openpyxl.load_workbook(source, read_only=True).sheetnames
    after = openpyxl.load_workbook(result.output, read_only=True).sheetnames
    assert after == [*before, "Findings", "Legend", "Change Log"]


def test_a_hidden_sheet_stays_hidden_and_the_others_visible(
    sink: tuple[Path, FormatResult],
) -> None:
    _, result = sink
    workbook = openpyxl.load_workbook(result.output)
    states = {sheet.title: sheet.sheet_state for sheet in workbook.worksheets}
    assert states == {
        "Cover": "visible",
        "Plan": "visible",
        "Notes": "visible",
        "Hidden": "hidden",
        "Change Log": "visible",
        "Findings": "visible",
        "Legend": "visible",
    }


@pytest.mark.parametrize("name", ["Legend", "Findings"])
def test_a_leads_own_sheet_named_like_planbooks_is_kept(tmp_path: Path, name: str) -> None:
    """docs/format.md: sheets that are not plans keep every cell. Only a Legend or Findings
    sheet planbook wrote (its first cell says `planbook:`) is made anew."""
    sheets = {**service_sheet([["A1", "Item", "Step", "30/04/2022"]]), name: [["Our own words"]]}
    source = write_workbook(tmp_path / "plan.xlsx", sheets)
    written = grid(fmt(source).output)
    assert {1: {1: "Our own words"}} in written.values()


@pytest.mark.parametrize("name", ["Legend", "Findings"])
def test_a_leads_own_sheet_named_like_planbooks_formats_again_to_the_same_file(
    tmp_path: Path, name: str
) -> None:
    sheets = {**service_sheet([["A1", "Item", "Step", "30/04/2022"]]), name: [["Our own words"]]}
    first = fmt(write_workbook(tmp_path / "plan.xlsx", sheets), tmp_path / "once.xlsx")
    second = fmt(first.output, tmp_path / "twice.xlsx")
    assert second.output.read_bytes() == first.output.read_bytes()


# --------------------------------------------------------------------------- idempotence


def test_formatting_the_output_again_changes_nothing(
    formatted: tuple[Path, FormatResult], tmp_path: Path
) -> None:
    _, first = formatted
    second = fmt(first.output, tmp_path / "again.xlsx")
    assert second.changes == ()
    assert output_export(second.output) == output_export(first.output)
    assert second.output.read_bytes() == first.output.read_bytes()


def test_formatting_again_with_a_live_as_of_gives_the_same_file(
    sample_path: Path, tmp_path: Path
) -> None:
    first = fmt(sample_path, tmp_path / "once.xlsx", live_as_of=True)
    second = fmt(first.output, tmp_path / "twice.xlsx", live_as_of=True)
    assert second.changes == ()
    assert second.output.read_bytes() == first.output.read_bytes()


def test_the_same_input_and_options_give_byte_identical_files(
    sample_path: Path, tmp_path: Path
) -> None:
    one = fmt(sample_path, tmp_path / "one.xlsx")
    two = fmt(sample_path, tmp_path / "two.xlsx")
    assert one.output.read_bytes() == two.output.read_bytes()


def column_inserted(source: Path, target: Path, sheet: str, cells: dict[str, str]) -> Path:
    """``source`` with a column inserted on ``sheet`` as Excel inserts one: every cell from
    the first column of ``cells`` on moves one column right, keeping its XML (its style
    too), and the new column holds ``cells`` (A1 coordinate -> text) as inline strings."""
    part = Xlsx(source).sheet_part(sheet)
    column = min(position(coordinate)[1] for coordinate in cells)

    def shifted(match: re.Match[str]) -> str:
        number = column_index_from_string(match["letters"])
        number += number >= column
        return f'<c r="{letter(number)}{match["row"]}"'

    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == part:
                text = re.sub(r'<c r="(?P<letters>[A-Z]+)(?P<row>[0-9]+)"', shifted, data.decode())
                for coordinate, value in cells.items():
                    row, at = position(coordinate)
                    after = f'<c r="{letter(at + 1)}{row}"'
                    assert after in text, after
                    cell = f'<c r="{coordinate}" t="inlineStr"><is><t>{value}</t></is></c>'
                    text = text.replace(after, cell + after, 1)
                data = text.encode()
            copy.writestr(info, data)
    return target


def test_planbook_columns_a_lead_moved_are_found_by_their_headers_and_written_in_place(
    tmp_path: Path,
) -> None:
    """A lead inserts a Notes column left of planbook's two: the next pass finds them by
    their headers where they now stand, one column right, and writes them there."""
    row = ["A1", "Item", "Step", "30/04/2022", None, None, None, "Started", "G", "going"]
    first = fmt(build(tmp_path / "plan.xlsx", [row]), tmp_path / "once.xlsx")
    assert [grid(first.output)["Plan"][4].get(c) for c in (11, 12)] == list(PLANBOOK_HEADERS)
    moved = column_inserted(
        first.output, tmp_path / "moved.xlsx", "Plan", {"K4": "Notes", "K5": "a note"}
    )
    second = fmt(moved, tmp_path / "twice.xlsx")
    assert (second.changes, second.notices) == ((), ())
    written = grid(second.output)["Plan"]
    assert written[4] == dict(enumerate([*HEADER, "Notes", *PLANBOOK_HEADERS], start=1))
    assert written[5] == {
        **{column: value for column, value in enumerate(row, start=1) if value is not None},
        11: "a note",
        12: "G",
        13: dt.datetime(2022, 4, 30),
    }
    cells = Xlsx(second.output).cells("Plan")
    assert cells["L5"].formula is not None and "H5=" in cells["L5"].formula
    assert "M5<PlanbookAsOf" in cells["L5"].formula
    assert (cells["M5"].formula, cells["M5"].value) == ("DATE(2022,4,30)", "44681")
    third = fmt(second.output, tmp_path / "thrice.xlsx")
    assert third.output.read_bytes() == second.output.read_bytes()


def test_planbook_columns_found_by_their_headers_hold_planbooks_formulas(
    tmp_path: Path,
) -> None:
    """Derived RAG and Parsed Due Date headers in the input (not in planbook's styles: as
    another tool, or an earlier planbook, wrote them) with stale values under them: the
    columns are found by their headers, no lead cell moves, and the milestone row holds
    planbook's formulas and values there, not the stale ones."""
    header = [*HEADER[:9], "Progress", "Derived RAG", "Parsed Due Date"]
    rows = [
        [
            "A1",
            "Item",
            "Step",
            "30/04/2022",
            None,
            None,
            None,
            "Started",
            "G",
            "going",
            "R",
            dt.date(2020, 1, 1),
        ]
    ]
    source = write_workbook(tmp_path / "moved.xlsx", service_sheet(rows, header))
    result = fmt(source)
    written = grid(result.output)["Plan"]
    assert written[4] == dict(enumerate(header, start=1))
    assert written[5][10] == "going"
    (table,) = planbook.read_workbook(result.output).plan_sheets[0].tables
    derived = letter(table.header["rag_derived"].column)
    parsed = letter(table.header["due_parsed"].column)
    cells = Xlsx(result.output).cells("Plan")
    assert cells[f"{derived}5"].formula is not None, cells[f"{derived}5"]
    assert "PlanbookAsOf" in cells[f"{derived}5"].formula
    assert cells[f"{derived}5"].value == "G"
    assert (cells[f"{parsed}5"].formula, cells[f"{parsed}5"].value) == (
        "DATE(2022,4,30)",
        str(excel_serial(dt.date(2022, 4, 30))),
    )


# --------------------------------------------------------------------------- layout


def test_planbook_columns_stand_past_the_sheets_last_used_column_in_every_tracked_table(
    formatted: tuple[Path, FormatResult],
) -> None:
    """The same two columns for every tracked table of a sheet: on its header row and on
    each repeated header row."""
    source, result = formatted
    before = [table for _, table in tables_of(planbook.read_workbook(source))]
    seen = []
    for (sheet, table), old in zip(
        tables_of(planbook.read_workbook(result.output)), before, strict=True
    ):
        if "status" not in old.header:
            continue
        last = last_used_column(source, sheet.name)
        seen.append(
            (
                sheet.name,
                table.header["rag_derived"].coordinate,
                table.header["rag_derived"].text,
                table.header["due_parsed"].coordinate,
                table.header["due_parsed"].text,
            )
        )
        assert seen[-1][1:] == (
            f"{letter(last + 1)}{table.header_row}",
            "Derived RAG",
            f"{letter(last + 2)}{table.header_row}",
            "Parsed Due Date",
        )
        written = grid(result.output)[sheet.name]
        for cells in old.repeated_headers:
            assert [written[cells[0].row].get(last + n) for n in (1, 2)] == list(
                PLANBOOK_HEADERS
            ), (sheet.name, cells[0].row)
    assert seen


def test_the_samples_tracked_tables_get_planbooks_columns_past_each_sheets_last_column(
    sample_path: Path, sample_output: Path
) -> None:
    """Revenues and Benefits and Land Charges end at RAG (I): J and K; IT has Progress
    (J): K and L. The untracked tables (Forward Looks, Customer Services) get none."""
    assert {
        sheet: last_used_column(sample_path, sheet)
        for sheet in ("Customer Services", "Revenues and Benefits", "Land Charges", "IT")
    } == {"Customer Services": 7, "Revenues and Benefits": 9, "Land Charges": 9, "IT": 10}
    placed = [
        (
            sheet.name,
            table.header_row,
            table.columns.get("rag_derived"),
            table.columns.get("due_parsed"),
        )
        for sheet, table in tables_of(planbook.read_workbook(sample_output))
    ]
    assert placed == [
        ("Customer Services", 16, None, None),
        ("Customer Services", 30, None, None),
        ("Revenues and Benefits", 12, "J", "K"),
        ("Revenues and Benefits", 16, "J", "K"),
        ("Revenues and Benefits", 48, None, None),
        ("Land Charges", 14, "J", "K"),
        ("Land Charges", 19, "J", "K"),
        ("Land Charges", 29, None, None),
        ("IT", 15, "K", "L"),
        ("IT", 25, "K", "L"),
        ("IT", 79, None, None),
    ]


def test_a_table_with_a_status_but_no_rag_gets_the_sheets_planbook_columns(
    sink: tuple[Path, FormatResult],
) -> None:
    """The kitchen sink's Part 1 table (status in E, no RAG) gets the same two columns as
    the sheet's main table, M and N, past the stray cell in L; its own cells stay put."""
    _, result = sink
    written = grid(result.output)["Plan"]
    header = ["Ref", "Description", "Milestones", "Due Dates", "Delivery Status", "Progress"]
    assert written[15] == {
        **dict(enumerate(header, start=1)),
        13: "Derived RAG",
        14: "Parsed Due Date",
    }
    assert written[16] == {
        **dict(enumerate(["T1", "Transition", "Hand over", "By 30 June 2022"], start=1)),
        5: "Paused",
        6: "waiting",
        7: 42,
        13: "A",
        14: dt.datetime(2022, 6, 30),
    }


def test_a_forward_look_gets_no_planbook_columns(sink: tuple[Path, FormatResult]) -> None:
    _, result = sink
    written = grid(result.output)["Plan"]
    assert (written[19], written[20]) == (
        dict(enumerate(FORWARD_HEADER, start=1)),
        dict(enumerate(["F1", "Future thing", "Think", "Q3", "Bob", 3.5], start=1)),
    )


def test_a_table_with_rag_but_no_delivery_status_gets_no_planbook_columns(
    tmp_path: Path,
) -> None:
    """docs/format.md: planbook's two columns go in every table *with a Delivery Status*."""
    header = ["Ref", "Description", "Milestones", "Due Dates", "RAG", "Progress"]
    source = write_workbook(
        tmp_path / "rag-only.xlsx",
        service_sheet([["A1", "Item", "Step", "30/04/2022", "G", "going"]], header),
    )
    written = grid(fmt(source).output)["Plan"]
    assert (written[4], written[5]) == (
        dict(enumerate(header, start=1)),
        dict(enumerate(["A1", "Item", "Step", "30/04/2022", "G", "going"], start=1)),
    )


def test_no_lead_cell_moves_in_the_kitchen_sink(sink: tuple[Path, FormatResult]) -> None:
    """Progress, the lead's own Notes column and a stray cell stay in J, K and L; planbook's
    cells go past them, in M and N."""
    _, result = sink
    assert grid(result.output)["Plan"][7] == {
        **dict(enumerate(["K1", "Move the office", "Pack", dt.datetime(2022, 3, 1)], start=1)),
        5: "Ann",
        6: "O1",
        7: "Hart",
        8: "Started",
        9: "R",
        10: "boxes bought",
        11: "the lead's own note",
        12: "a stray cell",
        13: "R",
        14: dt.datetime(2022, 3, 1),
    }


def test_rows_outside_tables_do_not_move_right_of_rag(sink: tuple[Path, FormatResult]) -> None:
    _, result = sink
    assert grid(result.output)["Plan"][1] == {
        1: "Annual Plan for:",
        2: "Kitchen Sink 2022/23",
        5: "a note right of the header",
    }


def test_every_insert_line_above_marker_stays_as_the_lead_wrote_it(
    sink: tuple[Path, FormatResult],
) -> None:
    """planbook changes only canonical Delivery Status and RAG in the lead's cells: a
    second marker in a table is the lead's to remove."""
    source, result = sink
    written = grid(result.output)["Plan"]
    assert (written.get(10), written.get(12)) == (
        {1: "Insert Line Above"},
        {1: "Insert Line Above"},
    )
    assert [c for c in result.changes if c.field == "marker"] == []
    before, after = Xlsx(source).cells("Plan"), Xlsx(result.output).cells("Plan")
    assert (after["A10"], after["A12"]) == (before["A10"], before["A12"])


def test_rows_under_a_repeated_header_with_moved_columns_read_that_headers_columns(
    tmp_path: Path,
) -> None:
    """docs/reading.md: the rows below a repeated header are read by its columns. Its
    Delivery Status stands one column further right (I, not H), so the row's formula must
    read that row's own status cell (I7); planbook's columns are the sheet's (L and M, past
    the repeated header's Progress in K), on both header rows."""
    shifted = [None, *HEADER]
    rows = [
        ["A1", "Item", "Step", "30/04/2022", None, None, None, "Started", "G", "going"],
        shifted,
        [None, None, "B1", "Later", "01/05/2022", None, None, None, "Paused", "A", "waiting"],
    ]
    source = build(tmp_path / "repeat.xlsx", rows)
    result = fmt(source)
    written = grid(result.output)["Plan"]
    assert [written[4].get(c) for c in (10, 11, 12, 13)] == [
        "Progress",
        None,
        "Derived RAG",
        "Parsed Due Date",
    ]
    assert [written[6].get(c) for c in (9, 10, 11, 12, 13)] == [
        HEADER[7],
        HEADER[8],
        "Progress",
        "Derived RAG",
        "Parsed Due Date",
    ]
    cells = Xlsx(result.output).cells("Plan")
    assert cells["L5"].formula is not None and "H5=" in cells["L5"].formula
    formula = cells["L7"].formula
    assert formula is not None and "I7=" in formula and "M7<PlanbookAsOf" in formula
    assert (cells["L7"].value, cells["M7"].formula) == ("A", "DATE(2022,5,1)")


# --------------------------------------------------------------------------- the written XML


def planbook_column_cells(result: FormatResult, field: str) -> Iterator[tuple[Any, Any, XmlCell]]:
    """(item, milestone, written XML cell) under planbook's column ``field``, for every
    milestone of every table that has it, derived from the output as read back."""
    plan = planbook.read_workbook(result.output)
    derivation = derive_plan(plan, SETTINGS, VOCABULARIES)
    cells = {sheet.name: Xlsx(result.output).cells(sheet.name) for sheet in plan.plan_sheets}
    for item in derivation.items:
        if field not in item.table.header:
            continue
        column = letter(item.table.header[field].column)
        for milestone in item.milestones:
            yield item, milestone, cells[item.sheet.name][f"{column}{milestone.row.row}"]


def test_derived_rag_cells_hold_a_formula_and_planbooks_value(
    formatted: tuple[Path, FormatResult],
) -> None:
    checked = 0
    for _, milestone, cell in planbook_column_cells(formatted[1], "rag_derived"):
        assert cell.formula is not None and "PlanbookAsOf" in cell.formula
        assert cell.value == (milestone.derived or ""), milestone.row.row
        checked += 1
    assert checked


def test_derived_rag_formula_reads_the_rows_status_and_parsed_date(sample_xlsx: Xlsx) -> None:
    assert sample_xlsx.cells("IT")["K19"].formula == (
        'IF(H19="Complete","B",IF(AND(ISNUMBER(L19),L19<PlanbookAsOf),"R",'
        'IF(H19="Paused","A",IF(NOT(ISNUMBER(L19)),"",'
        'IF(L19-PlanbookAsOf<=PlanbookAmberDays,"A","G")))))'
    )


def test_parsed_due_date_cells_hold_a_formula_and_the_date_serial(
    formatted: tuple[Path, FormatResult],
) -> None:
    dated = 0
    for item, milestone, cell in planbook_column_cells(formatted[1], "due_parsed"):
        row, due_column = milestone.row.row, letter(item.table.header["due"].column)
        day = milestone.due.date if milestone.due.kind != "invalid" else None
        assert cell.formula is not None
        written = milestone.row.get("due")
        if written is not None and isinstance(written.value, dt.date):
            live = f"IF(ISNUMBER({due_column}{row}),INT({due_column}{row}),"
            assert cell.formula.startswith(live), row
        else:  # text (or a plain number): planbook's reading, fixed
            assert not cell.formula.startswith("IF("), row
        assert cell.value == (str(excel_serial(day)) if day else ""), row
        dated += day is not None
    assert dated


def test_parsed_due_date_formula_keeps_the_date_read_from_text(sample_xlsx: Xlsx) -> None:
    """`By 30 April 2022` is text: the parsed date is planbook's reading, fixed."""
    cell = sample_xlsx.cells("Revenues and Benefits")["K45"]
    assert (cell.formula, cell.value) == (
        "DATE(2022,4,30)",
        str(excel_serial(dt.date(2022, 4, 30))),
    )


def test_parsed_due_date_formula_follows_a_real_date_cell_live(sample_xlsx: Xlsx) -> None:
    """A real date in Due Dates (D17, 30/04/22) is read live, whole days only."""
    cell = sample_xlsx.cells("Revenues and Benefits")["K17"]
    assert (cell.formula, cell.value) == (
        "IF(ISNUMBER(D17),INT(D17),DATE(2022,4,30))",
        str(excel_serial(dt.date(2022, 4, 30))),
    )


def data_validations(xlsx: Xlsx, sheet: str) -> dict[str, str]:
    """sqref -> the list's formula."""
    return {
        validation.get("sqref"): validation.findtext(f"{MAIN}formula1")
        for validation in xlsx.sheet(sheet).iter(f"{MAIN}dataValidation")
        if validation.get("type") == "list"
    }


def test_status_and_rag_cells_have_dropdowns_from_the_schema(
    sample_output: Path, sample_xlsx: Xlsx
) -> None:
    statuses = '"' + ",".join(VOCABULARIES.status.values) + '"'
    rags = '"' + ",".join([*VOCABULARIES.rag.values, VOCABULARIES.rag.not_applicable[0]]) + '"'
    assert (statuses, rags) == ('"Not started,Started,Paused,Complete"', '"R,A,G,n/a"')
    for sheet, table in tables_of(planbook.read_workbook(sample_output)):
        lists = {
            sqref.split(":")[0]: formula
            for sqref, formula in data_validations(sample_xlsx, sheet.name).items()
        }
        first = table.header_row + 1
        for name, values in (("status", statuses), ("rag", rags)):
            if name in table.header:
                assert lists[f"{table.columns[name]}{first}"] == values, (sheet.name, name)


def test_planbooks_dropdowns_say_they_are_planbooks(sample_xlsx: Xlsx) -> None:
    """A later pass knows its own dropdowns by their error title, and replaces only them."""
    titles = {
        validation.get("errorTitle")
        for sheet in ("Revenues and Benefits", "Land Charges", "IT")
        for validation in sample_xlsx.sheet(sheet).iter(f"{MAIN}dataValidation")
    }
    assert titles == {"planbook: not a known value"}


def test_a_leads_own_dropdown_on_delivery_status_is_kept_and_reported(tmp_path: Path) -> None:
    """Where the lead has a validation of their own, theirs wins: planbook adds no dropdown
    there, and says so in the Findings (PB120)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    rows = [
        ["A1", "Item", "Step", "30/04/2022", None, None, None, "Started", "G"],
        [None, None, "Step 2", "31/05/2022", None, None, None, "Not started", "G"],
    ]
    source = build(tmp_path / "plan.xlsx", rows)
    workbook = openpyxl.load_workbook(source)
    own = DataValidation(type="list", formula1='"Yes,No"', sqref="H5:H6")
    workbook["Plan"].add_data_validation(own)
    workbook.save(source)
    result = fmt(source)
    lists = data_validations(Xlsx(result.output), "Plan")
    assert lists["H5:H6"] == '"Yes,No"'
    assert [sqref for sqref in lists if sqref.startswith("H")] == ["H5:H6"]
    assert lists["I5:I6"] == '"R,A,G,n/a"'
    found = [(f.code, f.cell) for f in result.report.findings if f.code == "PB120"]
    assert found == [("PB120", "H5")]
    assert "PB120" in [row[1] for row in Xlsx(result.output).rows("Findings")[2:]]


def conditional_formats(xlsx: Xlsx, sheet: str) -> dict[str, list[tuple[str, str, str]]]:
    """sqref -> its rules as (type, operator, formula)."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for block in xlsx.sheet(sheet).iter(f"{MAIN}conditionalFormatting"):
        rules = found.setdefault(block.get("sqref"), [])
        for rule in block.iter(f"{MAIN}cfRule"):
            rules.append(
                (rule.get("type"), rule.get("operator", ""), rule.findtext(f"{MAIN}formula"))
            )
    return found


def test_rag_and_derived_rag_columns_are_coloured_by_letter(
    sample_output: Path, sample_xlsx: Xlsx
) -> None:
    letters = [("cellIs", "equal", f'"{x}"') for x in ("R", "A", "G", "B")]
    checked = 0
    for sheet, table in tables_of(planbook.read_workbook(sample_output)):
        if "rag_derived" not in table.header or not table.items:
            continue
        formats = {
            sqref.split(":")[0]: rules
            for sqref, rules in conditional_formats(sample_xlsx, sheet.name).items()
        }
        for name in ("rag", "rag_derived"):
            assert formats[f"{table.columns[name]}{table.header_row + 1}"] == letters
            checked += 1
    assert checked == 8


def test_a_rag_rule_fills_red_amber_green_and_blue(sample_xlsx: Xlsx) -> None:
    styles = sample_xlsx.xml("xl/styles.xml")
    fills = [
        dxf.find(f"{MAIN}fill/{MAIN}patternFill/{MAIN}bgColor").get("rgb")
        for dxf in styles.iter(f"{MAIN}dxf")
        if dxf.find(f"{MAIN}fill") is not None
    ]
    assert {"FFFF0000", "FFFFC000", "FF00B050", "FF0070C0"} <= set(fills)


def test_as_of_and_amber_window_are_named_cells_on_the_legend(sample_xlsx: Xlsx) -> None:
    names = {
        name.get("name"): name.text
        for name in sample_xlsx.xml("xl/workbook.xml").iter(f"{MAIN}definedName")
    }
    assert (names["PlanbookAsOf"], names["PlanbookAmberDays"]) == (
        "'Legend'!$B$3",
        "'Legend'!$B$4",
    )
    legend = sample_xlsx.cells("Legend")
    assert (legend["B3"].formula, legend["B3"].value) == (None, str(excel_serial(AS_OF)))
    assert legend["B4"].value == "30"


def test_without_a_fixed_as_of_the_legend_says_today(sample_path: Path, tmp_path: Path) -> None:
    result = run("format", str(sample_path), "-o", str(tmp_path / "live.xlsx"))
    assert result.exit_code == 0, result.output
    cell = Xlsx(tmp_path / "live.xlsx").cells("Legend")["B3"]
    assert (cell.formula, cell.value) == ("TODAY()", str(excel_serial(dt.date.today())))


def test_findings_sheet_lists_the_check_of_the_output_with_links(
    formatted: tuple[Path, FormatResult],
) -> None:
    _, result = formatted
    report = check_plan(planbook.read_workbook(result.output), settings=SETTINGS)
    xlsx = Xlsx(result.output)
    columns = ["severity", "code", "sheet", "cell", "value", "message", "suggestion"]
    rows = xlsx.rows("Findings")
    assert rows[0] == [f"planbook: findings as of {AS_OF:%d/%m/%Y}"]
    assert rows[1] == columns
    expected = [[finding.to_dict()[name] for name in columns] for finding in report.findings]
    assert [row + [""] * (7 - len(row)) for row in rows[2:]] == expected
    links = {
        link.get("ref"): link.get("location")
        for link in xlsx.sheet("Findings").iter(f"{MAIN}hyperlink")
    }
    expected_links = {
        f"D{4 + index}": "'" + finding.sheet.replace("'", "''") + "'!" + finding.cell
        for index, finding in enumerate(report.findings)
        if finding.cell
    }
    assert links == expected_links


def test_the_long_texts_of_planbooks_sheets_wrap_in_their_cells(sample_output: Path) -> None:
    """The Legend's explanation (row 15, made 105 points high for it) and the Findings'
    messages wrap in their column, so they show and print whole, not as one line running
    off the page."""
    workbook = openpyxl.load_workbook(sample_output)
    legend, findings = workbook["Legend"], workbook["Findings"]
    assert legend.row_dimensions[15].height == 105
    assert legend["B15"].alignment.wrap_text
    assert findings["F4"].value and findings["F4"].alignment.wrap_text


def test_findings_sheet_of_the_sample_is_its_check(formatted_sample: FormatResult) -> None:
    assert formatted_sample.report.counts() == {"error": 8, "warning": 33, "info": 14}


def test_change_log_has_its_header_and_a_row_per_change(
    formatted: tuple[Path, FormatResult],
) -> None:
    _, result = formatted
    rows = Xlsx(result.output).rows("Change Log")
    assert rows[0] == list(CHANGE_COLUMNS)
    assert CHANGE_COLUMNS == ("sheet", "cell", "field", "old", "new", "why", "as of")
    assert [row + [""] * (7 - len(row)) for row in rows[1:]] == [
        list(change.values(AS_OF)) for change in result.changes
    ]


def custom_properties(xlsx: Xlsx) -> dict[str, str]:
    """docProps/custom.xml: name -> value."""
    root = xlsx.xml("docProps/custom.xml")
    return {prop.get("name"): "".join(prop.itertext()) for prop in root}


def test_core_properties_are_carried_byte_for_byte(sample_path: Path, sample_xlsx: Xlsx) -> None:
    """The lead's title, author and dates are theirs: planbook sets none of them."""
    assert sample_xlsx.parts["docProps/core.xml"] == Xlsx(sample_path).parts["docProps/core.xml"]


def test_custom_properties_give_the_as_of_date_and_the_amber_window(sample_xlsx: Xlsx) -> None:
    assert custom_properties(sample_xlsx) == {
        "planbook as of": "2022-03-17",
        "planbook amber days": "30",
    }


def test_without_a_fixed_as_of_the_custom_property_says_today(
    sample_path: Path, tmp_path: Path
) -> None:
    result = run(
        "format", str(sample_path), "-o", str(tmp_path / "live.xlsx"), "--amber-days", "14"
    )
    assert result.exit_code == 0, result.output
    assert custom_properties(Xlsx(tmp_path / "live.xlsx")) == {
        "planbook as of": "today",
        "planbook amber days": "14",
    }


# --------------------------------------------------------------------------- the change log


def test_changelog_csv_equals_the_changes(formatted_sample: FormatResult) -> None:
    path = formatted_sample.output.with_name("changes.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [list(CHANGE_COLUMNS)] + [
        list(change.values(AS_OF)) for change in formatted_sample.changes
    ]


def test_a_second_format_appends_nothing_to_the_change_log(
    formatted_sample: FormatResult, tmp_path: Path
) -> None:
    again = fmt(formatted_sample.output, tmp_path / "again.xlsx", changelog=tmp_path / "c.csv")
    assert Xlsx(again.output).rows("Change Log") == Xlsx(formatted_sample.output).rows("Change Log")
    assert (tmp_path / "c.csv").read_text(encoding="utf-8") == ",".join(CHANGE_COLUMNS) + "\n"


def test_a_change_log_in_the_input_is_carried_forward_with_new_rows_below(
    tmp_path: Path,
) -> None:
    earlier = ["Plan", "H5", "status", "Closed", "Complete", "an earlier run", "2022-01-01"]
    sheets = {
        **service_sheet([["A1", "Item", "Step", "30/04/2022", None, None, None, "WIP", "G"]]),
        "Change Log": [list(CHANGE_COLUMNS), earlier],
    }
    result = fmt(write_workbook(tmp_path / "plan.xlsx", sheets))
    # The Change Log stays where it stood; Findings and Legend are appended after it.
    assert openpyxl.load_workbook(result.output, read_only=True).sheetnames == [
        "Plan",
        "Change Log",
        "Findings",
        "Legend",
    ]
    assert Xlsx(result.output).rows("Change Log") == [
        list(CHANGE_COLUMNS),
        earlier,
        [
            "Plan",
            "H5",
            "status",
            "WIP",
            "Started",
            "'WIP' is an accepted spelling of 'Started'",
            "2022-03-17",
        ],
    ]


# --------------------------------------------------------------------------- safety

FORMULA_LIKE = ["=1+1", '=HYPERLINK("http://x")', "-5 days", "@SUM(A1)", "+44", "=A1"]


@pytest.mark.parametrize("text", FORMULA_LIKE)
@pytest.mark.parametrize("field", ["description", "progress", "notes sheet"])
def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path, text: str, field: str) -> None:
    if field == "notes sheet":
        sheets = {**service_sheet([["A1", "Item"]]), "Notes": [[text]]}
        sheet, coordinate = "Notes", "A1"
    else:
        row = [
            "A1",
            text if field == "description" else "Item",
            "Step",
            "30/04/2022",
            None,
            None,
            None,
            "Started",
            "G",
            text if field == "progress" else None,
        ]
        sheets, sheet = service_sheet([row]), "Plan"
        coordinate = "B5" if field == "description" else "J5"
    result = fmt(write_workbook(tmp_path / "plan.xlsx", sheets))
    cell = Xlsx(result.output).cells(sheet)[coordinate]
    # A string, shared or inline: the lead's cell is carried in the form the input has it.
    assert cell.kind in ("s", "inlineStr")
    assert (cell.formula, cell.value) == (None, text)


def test_no_formula_is_written_but_planbooks_own(sink: tuple[Path, FormatResult]) -> None:
    _, result = sink
    xlsx = Xlsx(result.output)
    formulas = {
        (sheet, coordinate)
        for sheet in ("Cover", "Plan", "Notes", "Hidden", "Change Log", "Findings")
        for coordinate, cell in xlsx.cells(sheet).items()
        if cell.formula is not None
    }
    assert formulas == {("Plan", f"{column}{row}") for column in "MN" for row in (7, 8, 9, 11, 16)}


def test_numbers_stay_numbers_and_dates_dates(sink: tuple[Path, FormatResult]) -> None:
    _, result = sink
    workbook = openpyxl.load_workbook(result.output)
    notes, plan = workbook["Notes"], workbook["Plan"]
    assert (notes["B1"].data_type, notes["B1"].value) == ("n", 3.5)
    assert (notes["A2"].is_date, notes["A2"].value) == (True, dt.datetime(2022, 1, 2))
    assert (plan["D7"].is_date, plan["D7"].value) == (True, dt.datetime(2022, 3, 1))
    assert (plan["G16"].data_type, plan["G16"].value) == ("n", 42)
    assert (plan["F20"].data_type, plan["F20"].value) == ("n", 3.5)
    assert (workbook["Cover"]["A7"].data_type, workbook["Cover"]["A7"].value) == ("n", 1)


def test_the_input_file_is_not_touched(sample_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "plan.xlsx"
    shutil.copy2(sample_path, source)
    before = (source.read_bytes(), source.stat().st_mtime_ns)
    fmt(source, tmp_path / "out.xlsx", changelog=tmp_path / "changes.csv")
    assert (source.read_bytes(), source.stat().st_mtime_ns) == before


def test_an_output_equal_to_the_input_is_refused_in_one_line(
    sample_path: Path, tmp_path: Path
) -> None:
    source = tmp_path / "plan.xlsx"
    shutil.copy2(sample_path, source)
    before = source.read_bytes()
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.xlsx").symlink_to(source)
    for spelling in (source, tmp_path / "sub" / ".." / "plan.xlsx", tmp_path / "link.xlsx"):
        result = run("format", str(source), "-o", str(spelling))
        assert (result.exit_code, result.stdout) == (2, ""), spelling
        assert result.stderr.startswith("planbook: error: ") and result.stderr.count("\n") == 1
        assert "--in-place" in result.stderr
    assert source.read_bytes() == before


def test_a_changelog_path_equal_to_the_input_is_refused(sample_path: Path, tmp_path: Path) -> None:
    """docs/format.md: the input is never overwritten unless --in-place."""
    source = tmp_path / "plan.xlsx"
    shutil.copy2(sample_path, source)
    before = source.read_bytes()
    with pytest.raises(PlanbookError):
        fmt(source, tmp_path / "out.xlsx", changelog=source)
    assert source.read_bytes() == before


def test_a_changelog_path_equal_to_the_output_is_refused_and_nothing_is_written(
    sample_path: Path, tmp_path: Path
) -> None:
    """The CSV would otherwise replace the workbook just written."""
    output = tmp_path / "sub" / ".." / "out.xlsx"
    (tmp_path / "sub").mkdir()
    with pytest.raises(PlanbookError):
        fmt(sample_path, output, changelog=tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_in_place_writes_a_backup_equal_to_the_original_first(
    sample_path: Path, tmp_path: Path
) -> None:
    source = tmp_path / "plan.xlsx"
    shutil.copy2(sample_path, source)
    original = source.read_bytes()
    result = run("format", str(source), "--in-place", "--as-of", "2022-03-17")
    assert result.exit_code == 0, result.output
    backup = tmp_path / "plan.backup-2022-03-17.xlsx"
    assert backup.read_bytes() == original
    assert f"The original is kept as {backup}." in result.stdout
    assert source.read_bytes() != original
    assert output_export(source) == output_export(fmt(sample_path, tmp_path / "o.xlsx").output)


def test_in_place_never_overwrites_an_earlier_backup(sample_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "plan.xlsx"
    shutil.copy2(sample_path, source)
    original = source.read_bytes()
    first = fmt(source, None, in_place=True)
    once = source.read_bytes()
    second = fmt(source, None, in_place=True)
    assert (first.backup, second.backup) == (
        tmp_path / "plan.backup-2022-03-17.xlsx",
        tmp_path / "plan.backup-2022-03-17-2.xlsx",
    )
    assert (first.backup.read_bytes(), second.backup.read_bytes()) == (original, once)


def test_in_place_and_an_output_together_are_refused(sample_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "plan.xlsx"
    shutil.copy2(sample_path, source)
    result = run("format", str(source), "--in-place", "-o", str(tmp_path / "o.xlsx"))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]


def failing_writer(path: Path, *args: Any, **kwargs: Any) -> None:
    """Stands in for ``write_package`` (the zip of the patched parts, written to ``path``):
    starts the file, then fails as a full disk would."""
    path.write_bytes(b"PK\x03\x04 half a workbook")
    raise OSError(28, "No space left on device")


def test_a_failure_while_writing_leaves_no_output_and_no_temporary_file(
    sample_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planbook.write.patch, "write_package", failing_writer)
    out = tmp_path / "out"
    out.mkdir()
    result = run("format", str(sample_path), "-o", str(out / "plan.xlsx"), "--as-of", "2022-03-17")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "No space left on device" in result.stderr
    assert list(out.iterdir()) == []


def test_a_failure_while_writing_leaves_an_earlier_output_as_it_was(
    sample_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan.xlsx"
    out.write_bytes(b"last month's output")
    monkeypatch.setattr(planbook.write.patch, "write_package", failing_writer)
    with pytest.raises(PlanbookError):
        fmt(sample_path, out)
    assert out.read_bytes() == b"last month's output"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]


def test_a_failure_while_writing_in_place_leaves_the_input_as_it_was(
    sample_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backup is taken once the new workbook is whole, just before it replaces the
    input: a write that fails replaces nothing and leaves neither backup nor partial file."""
    source = tmp_path / "plan.xlsx"
    shutil.copy2(sample_path, source)
    original = source.read_bytes()
    monkeypatch.setattr(planbook.write.patch, "write_package", failing_writer)
    with pytest.raises(PlanbookError):
        fmt(source, None, in_place=True)
    assert source.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]


@pytest.mark.parametrize("name", ["out.xlsm", "out.csv", "out", "out.xls"])
def test_an_output_not_ending_xlsx_is_refused(sample_path: Path, tmp_path: Path, name: str) -> None:
    """The sample has no macros: an .xlsm out of it is refused too."""
    result = run("format", str(sample_path), "-o", str(tmp_path / name))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and ".xlsx" in result.stderr
    assert list(tmp_path.iterdir()) == []


VBA_PROJECT = b"\xd0\xcf\x11\xe0 not really VBA"
MACRO_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
PLAIN_WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
VBA_RELATIONSHIP = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def macro_workbook(tmp_path: Path) -> Path:
    """A plan saved as Excel saves an .xlsm: the workbook part of the macro-enabled content
    type, with a relationship to its `xl/vbaProject.bin`."""
    plain = build(tmp_path / "plain.xlsx", [["A1", "Item", "Step", "30/04/2022"]])
    macros = tmp_path / "plan.xlsm"
    relationship = f'<Relationship Id="rIdVba" Type="{VBA_RELATIONSHIP}" Target="vbaProject.bin"/>'
    binary = '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(macros, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename).decode()
            if info.filename == "[Content_Types].xml":
                assert PLAIN_WORKBOOK in data
                data = data.replace(PLAIN_WORKBOOK, MACRO_WORKBOOK)
                data = data.replace("<Default ", binary + "<Default ", 1)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace("</Relationships>", relationship + "</Relationships>")
            target.writestr(info, data)
        target.writestr("xl/vbaProject.bin", VBA_PROJECT)
    return macros


def macro_parts(path: Path) -> tuple[bytes | None, str, bool]:
    """(the VBA project's bytes, or None; the workbook part's content type; whether the
    workbook's relationships name a VBA project)."""
    xlsx = Xlsx(path)
    types = {
        override.get("PartName"): override.get("ContentType")
        for override in xlsx.xml("[Content_Types].xml")
        if override.get("PartName")
    }
    rels = xlsx.xml("xl/_rels/workbook.xml.rels")
    return (
        xlsx.parts.get("xl/vbaProject.bin"),
        types["/xl/workbook.xml"],
        any(rel.get("Type") == VBA_RELATIONSHIP for rel in rels),
    )


def test_a_macro_workbook_written_to_an_xlsx_leaves_its_macros_out_with_a_notice(
    tmp_path: Path,
) -> None:
    source = macro_workbook(tmp_path)
    assert macro_parts(source) == (VBA_PROJECT, MACRO_WORKBOOK, True)
    out = tmp_path / "out.xlsx"
    result = run("format", str(source), "-o", str(out), "--as-of", "2022-03-17")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "planbook: note: plan.xlsm has macros: they are left out of the .xlsx (never run); "
        "write to an .xlsm to keep them\n"
    )
    assert grid(out)["Plan"][5][2] == "Item"
    assert not any("vba" in name.lower() for name in zipfile.ZipFile(out).namelist())
    assert macro_parts(out) == (None, PLAIN_WORKBOOK, False)


def test_a_macro_workbook_written_to_an_xlsm_keeps_its_macros_byte_for_byte(
    tmp_path: Path,
) -> None:
    source = macro_workbook(tmp_path)
    out = tmp_path / "out.xlsm"
    result = run("format", str(source), "-o", str(out), "--as-of", "2022-03-17")
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    assert grid(out)["Plan"][5][2] == "Item"
    assert macro_parts(out) == (VBA_PROJECT, MACRO_WORKBOOK, True)


def test_a_macro_workbook_is_formatted_in_place_keeping_its_macros(tmp_path: Path) -> None:
    source = macro_workbook(tmp_path)
    original = source.read_bytes()
    result = run("format", str(source), "--in-place", "--as-of", "2022-03-17")
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    assert (tmp_path / "plan.backup-2022-03-17.xlsm").read_bytes() == original
    assert source.read_bytes() != original
    assert macro_parts(source) == (VBA_PROJECT, MACRO_WORKBOOK, True)
    assert "Findings" in openpyxl.load_workbook(source, read_only=True).sheetnames


# --------------------------------------------------------------------------- the command


def test_format_prints_where_it_wrote_and_the_counts(sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    result = run("format", str(sample_path), "-o", str(out), "--as-of", "2022-03-17")
    assert result.stdout == (
        f"Wrote {out}: 15 value(s) made canonical (see its Change Log sheet); 8 error(s), "
        "33 warning(s), 14 info in its Findings sheet.\n"
    )


def test_format_exits_0_when_the_plan_has_errors(sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    result = run("format", str(sample_path), "-o", str(out), "--as-of", "2022-03-17")
    assert (result.exit_code, result.stderr) == (0, "")
    assert out.is_file()


def test_format_command_writes_what_the_library_writes(
    sample_path: Path, sample_output: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.xlsx"
    run("format", str(sample_path), "-o", str(out), "--as-of", "2022-03-17")
    assert out.read_bytes() == sample_output.read_bytes()


def test_format_of_a_missing_file_exits_2_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.xlsx"
    result = run("format", str(missing), "-o", str(tmp_path / "out.xlsx"))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"planbook: error: {missing}: no such file\n"


def test_format_without_an_output_exits_2_in_one_line(sample_path: Path) -> None:
    result = run("format", str(sample_path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("planbook: error: say where to write: -o OUT.xlsx")
    assert result.stderr.count("\n") == 1


# --------------------------------------------------------------------------- generated plans

WORDS = ("alpha", "bravo", "charlie", "delta", "echo")
STATUSES = (
    *VOCABULARIES.status.values,
    "COMPLETE",
    "not  started",
    "wip",
    "In Progress",
    "Closed.",
    "on HOLD",
    "CLOSED AS NOT RELEVANT",
    " WIP ",
    "Pondering",
    None,
)
RAG_TEXTS = ("R", "A", "G", "r", "Red", "amber", "GREEN", "n/a", "N/A", "Purple", None)
RAG_FILLS = ("FF0000", "FFC000", "00B050", "D9D9D9")
days = st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2023, 12, 31))
dues = st.one_of(
    st.none(),
    days,
    days.map(lambda day: day.strftime("%d/%m/%Y")),
    days.map(lambda day: day.strftime("By %d %B %Y")),
    st.sampled_from(["TBC", "Ongoing", "Q2", "By end of Q4", "sometime", "31/02/22"]),
)
milestones = st.fixed_dictionaries(
    {
        "milestone": st.sampled_from(WORDS),
        "due": dues,
        "status": st.sampled_from(STATUSES),
        "rag": st.sampled_from(RAG_TEXTS),
        "fill": st.none() | st.sampled_from(RAG_FILLS),
    }
)
items = st.fixed_dictionaries(
    {
        "ref": st.sampled_from(["A1", "B2", "C3", None]),
        "description": st.sampled_from(WORDS),
        "milestones": st.lists(milestones, min_size=1, max_size=3),
    }
)
plans = st.lists(items, min_size=1, max_size=4)


def generated_workbook(path: Path, generated: list[dict[str, Any]]) -> Path:
    rows: list[list[CellInput]] = []
    fills: dict[tuple[str, str], str] = {}
    for item in generated:
        for index, milestone in enumerate(item["milestones"]):
            head = [item["ref"], item["description"]] if index == 0 else [None, None]
            rows.append(
                [
                    *head,
                    milestone["milestone"],
                    milestone["due"],
                    None,
                    None,
                    None,
                    milestone["status"],
                    milestone["rag"],
                ]
            )
            if milestone["fill"] is not None:
                fills[("Plan", f"I{4 + len(rows)}")] = milestone["fill"]
    return write_workbook(path, service_sheet(rows), fills=fills)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans)
def test_generated_plans_read_back_as_written_with_the_logged_changes(
    generated: list[dict[str, Any]],
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        source = generated_workbook(Path(directory) / "plan.xlsx", generated)
        result = fmt(source)
        assert output_export(result.output) == expected_export(source, result.changes)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans)
def test_generated_plans_format_again_to_the_same_file(generated: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        source = generated_workbook(Path(directory) / "plan.xlsx", generated)
        first = fmt(source, Path(directory) / "once.xlsx")
        second = fmt(first.output, Path(directory) / "twice.xlsx")
        assert second.changes == ()
        assert output_export(second.output) == output_export(first.output)
        assert second.output.read_bytes() == first.output.read_bytes()


def test_the_cycle_collector_is_on_again_after_format_however_it_went(
    sample_path: Path, tmp_path: Path
) -> None:
    import gc

    format_workbook(sample_path, tmp_path / "out.xlsx", settings=Settings(dt.date(2022, 3, 17)))
    assert gc.isenabled()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(PlanbookError):
        format_workbook(broken, tmp_path / "out2.xlsx")
    assert gc.isenabled()


def test_the_prepared_model_keeps_no_pick_of_suspect_cells_from_the_reader() -> None:
    """prepare changes cells (canonical values, planbook's columns): the reader's pick of
    cells whose text may be broken no longer answers for them, so the re-check walks."""
    from planbook.read import read_workbook
    from planbook.write.prepare import prepare

    plan = read_workbook(SAMPLE_WORKBOOK)
    assert all(sheet.suspects is not None for sheet in plan.plan_sheets)
    prepared, _ = prepare(plan, load_vocabularies(None), dt.date(2022, 10, 1))
    assert prepared.plan_sheets
    assert all(sheet.suspects is None for sheet in prepared.plan_sheets)
