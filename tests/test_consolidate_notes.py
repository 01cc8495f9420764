"""`planbook consolidate` carries the leads' notes (issue 10, point 9).

A lead's note (a cell comment: Excel's Notes, and the note Excel leaves under a threaded
comment) is read with its cell, author and text, and written on the board workbook's
service sheet at the same cell. The inputs are the sample's service workbooks with notes
added by openpyxl, the fidelity workbook (a note and a threaded comment, as Excel writes
them) and XlsxWriter's comment files saved by Excel; the board workbooks are read back
with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.comments import Comment as OpenpyxlComment

from fidelity import NOTE_CELL, PLAN, THREADED_CELL, THREADED_TEXTS, build_plan_workbook
from hostile_files import billion_laughs, damaged, external_entity
from planbook.consolidate import consolidate
from planbook.derive import Settings
from planbook.errors import UnreadableWorkbookError
from planbook.model import Comment
from planbook.read import read_workbook
from workbooks import PLAN_HEADER, SAMPLES

SERVICES_DIR = SAMPLES / "services"
INPUTS = [
    SERVICES_DIR / f"{name}.xlsx"
    for name in ("customer_services", "revenues_and_benefits", "land_charges", "it")
]
MARCH = Settings(as_of=dt.date(2022, 3, 17))
EXCEL_FILES = Path(__file__).resolve().parents[1] / ".." / "shared" / "excel_files" / "xlsxwriter"

#: sheet -> cell -> (author, text): notes the leads put on their plans.
NOTES = {
    "IT": {
        "B1": ("Contract team", "Plan owner since January: Paul Merrick"),  # the header block
        "A2": ("Paul Merrick", "a note on a row with no cell"),
        "H55": ("Paul Merrick", "Waiting on the supplier's upload report"),  # made canonical
        "J56": ("Ann Lee", "Two lines:\nask Capita for the Forcepoint report"),
        "D59": ("Paul Merrick", "Teams roll-out slipped to April"),
        "C90": ("Paul Merrick", "below the last table"),
    },
    "Customer Services": {"B1": ("G Stemp", "Netcall go-lives are the board's question")},
}


def notes_of(path: Path, sheet: str) -> dict[str, tuple[str, str]]:
    """Cell -> (author, text) of every note on ``sheet``, read back with openpyxl."""
    worksheet = openpyxl.load_workbook(path)[sheet]
    return {
        cell.coordinate: (cell.comment.author, cell.comment.text)
        for row in worksheet.iter_rows()
        for cell in row
        if cell.comment is not None
    }


def with_notes(source: Path, target: Path, notes: dict[str, dict[str, tuple[str, str]]]) -> Path:
    workbook = openpyxl.load_workbook(source)
    for sheet, cells in notes.items():
        if sheet in workbook.sheetnames:
            for coordinate, (author, text) in cells.items():
                workbook[sheet][coordinate].comment = OpenpyxlComment(text, author)
    workbook.save(target)
    return target


@pytest.fixture(scope="module")
def noted_inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("noted")
    noted = ("it", "customer_services")
    return [
        with_notes(source, folder / source.name, NOTES) if source.stem in noted else source
        for source in INPUTS
    ]


@pytest.fixture(scope="module")
def board(noted_inputs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("board") / "board.xlsx"
    return consolidate(noted_inputs, output, settings=MARCH).output


# --------------------------------------------------------------------------- reading


def test_the_reader_ties_each_note_to_its_cell(noted_inputs: list[Path]) -> None:
    sheet = read_workbook(noted_inputs[3]).sheet("IT")
    assert [(c.coordinate, c.author, c.text) for c in sheet.comments] == [
        (cell, *NOTES["IT"][cell]) for cell in ("B1", "A2", "H55", "J56", "D59", "C90")
    ]  # row by row


def test_a_workbook_with_no_notes_reads_none(sample_path: Path) -> None:
    assert all(sheet.comments == () for sheet in read_workbook(sample_path).sheets)


def test_a_threaded_comment_is_read_as_the_note_excel_leaves_by_who_began_it(
    tmp_path: Path,
) -> None:
    """Its note's author is ``tc={id}``; the thread's first comment names the person."""
    plan = read_workbook(build_plan_workbook(tmp_path / "plan.xlsx"))
    notes = {c.coordinate: c for c in plan.sheet(PLAN).comments}
    assert notes[NOTE_CELL] == Comment(7, 2, "Ann Lead", "Ask estates for the dates")
    threaded = notes[THREADED_CELL]
    assert threaded.author == "Ann Lead"
    assert threaded.text.startswith("[Threaded comment]\n\nYour version of Excel")
    assert threaded.text.endswith("Comment:\n    " + THREADED_TEXTS[0])
    assert plan.sheet("Notes").comments == (Comment(1, 1, "Bob", "A note on another sheet"),)


@pytest.mark.parametrize("name", ["comment01.xlsx", "comment15.xlsx"])
def test_notes_excel_saved_are_read(name: str) -> None:
    """B2 is a blank cell (no <c> in the sheet XML): planbook's columns go past it too."""
    path = EXCEL_FILES / name
    if not path.is_file():
        pytest.skip(f"{EXCEL_FILES} is absent (the checkout's sibling shared/ folder)")
    (sheet,) = read_workbook(path).sheets
    assert sheet.comments == (Comment(2, 2, "John", "Some text"),)
    assert sheet.last_column == 2


def with_comments_part(tmp_path: Path, xml: bytes) -> Path:
    """A plan with a note, its comments part replaced by ``xml``."""
    source = with_notes(INPUTS[0], tmp_path / "noted.xlsx", NOTES)
    with zipfile.ZipFile(source) as archive:
        (part,) = [n for n in archive.namelist() if re.fullmatch(r"xl/comments/comment\d+\.xml", n)]
    return damaged(source, tmp_path / "damaged.xlsx", part, xml)


@pytest.mark.parametrize(
    "prologue", [billion_laughs(), external_entity()], ids=["billion laughs", "external entity"]
)
def test_a_hostile_comments_part_is_refused_in_one_line(tmp_path: Path, prologue: bytes) -> None:
    xml = prologue + (
        b'<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<authors><author>&lol9;</author></authors><commentList/></comments>'
    )  # fmt: skip
    path = with_comments_part(tmp_path, xml)
    with pytest.raises(UnreadableWorkbookError, match="not a readable Excel workbook") as error:
        read_workbook(path)
    assert "\n" not in str(error.value) and "lollol" not in str(error.value)


def test_a_broken_comments_part_is_refused_naming_it(tmp_path: Path) -> None:
    path = with_comments_part(tmp_path, b"<comments><commentList><comment ref=")
    with pytest.raises(UnreadableWorkbookError, match=r"xl/comments/comment1\.xml"):
        read_workbook(path)


# --------------------------------------------------------------------------- the board


@pytest.mark.parametrize("sheet", sorted(NOTES))
def test_the_board_has_each_note_at_its_cell_by_its_author(board: Path, sheet: str) -> None:
    assert notes_of(board, sheet) == NOTES[sheet]


def test_the_board_keeps_the_cells_under_the_notes(board: Path) -> None:
    worksheet = openpyxl.load_workbook(board)["IT"]
    assert worksheet["H55"].value == "Started"
    assert worksheet["B1"].value == "IT"


def test_a_board_from_workbooks_with_no_notes_has_none(tmp_path: Path) -> None:
    output = consolidate(INPUTS, tmp_path / "board.xlsx", settings=MARCH).output
    with zipfile.ZipFile(output) as archive:
        assert not [name for name in archive.namelist() if "comments" in name]
    assert all(notes_of(output, sheet) == {} for sheet in ("IT", "Customer Services"))


def test_a_threaded_comment_reaches_the_board_as_its_note(tmp_path: Path) -> None:
    source = build_plan_workbook(tmp_path / "plan.xlsx")
    output = consolidate([source], tmp_path / "board.xlsx", settings=MARCH).output
    notes = notes_of(output, PLAN)
    assert sorted(notes) == sorted([NOTE_CELL, THREADED_CELL])
    assert notes[NOTE_CELL] == ("Ann Lead", "Ask estates for the dates")
    author, text = notes[THREADED_CELL]
    assert author == "Ann Lead"
    assert text.startswith("[Threaded comment]")
    assert text.endswith(THREADED_TEXTS[0])


def test_a_note_past_the_last_column_keeps_its_cell_clear_of_planbooks_columns(
    tmp_path: Path,
) -> None:
    """A note on a blank cell just right of Progress (K5): Excel writes no cell for it,
    so only the note says the column is the lead's. Derived RAG goes past it."""
    source = tmp_path / "plan.xlsx"
    workbook = xlsxwriter.Workbook(str(source))
    worksheet = workbook.add_worksheet("Plan")
    worksheet.write_row("A1", ["Annual Plan for:", "Test"])
    worksheet.write("A3", "Part 2 - Annual Plan Items")
    worksheet.write_row("A4", PLAN_HEADER)
    worksheet.write_row("A5", ["T1", "Move the office", "Pack", "31/03/2022", "Ann", "", "All",
                               "Started", "G", "boxes bought"])  # fmt: skip
    worksheet.write_comment("K5", "Ask estates for the dates", {"author": "Ann Lead"})
    workbook.close()
    output = consolidate([source], tmp_path / "board.xlsx", settings=MARCH).output
    board = openpyxl.load_workbook(output)["Plan"]
    assert notes_of(output, "Plan") == {"K5": ("Ann Lead", "Ask estates for the dates")}
    assert board["K4"].value is None and board["K5"].value is None
    assert board["L4"].value == "Derived RAG"


def test_a_note_longer_than_excel_holds_is_cut_to_it(tmp_path: Path) -> None:
    text = "Long minutes. " * 3000  # 42,000 characters
    source = with_notes(INPUTS[3], tmp_path / "it.xlsx", {"IT": {"H55": ("Paul", text)}})
    output = consolidate([source], tmp_path / "board.xlsx", settings=MARCH).output
    assert notes_of(output, "IT") == {"H55": ("Paul", text[:32_767])}
