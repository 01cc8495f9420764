"""The sample workbooks rebuilt from the 2022/23 seed text are the plan the users keep.

`sample_workbooks/source/build_samples.py` turns the text export back into Excel. These
tests read its output with openpyxl (never planbook) and check it against the seed.
"""

import importlib.util
import re
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from types import ModuleType

import openpyxl
import pytest
from openpyxl.cell.cell import Cell
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_workbooks"
SEED = SAMPLES / "source" / "annual_plan_2022_23.txt"
SCRIPT = SAMPLES / "source" / "build_samples.py"
WORKBOOK = "annual_plan_2022_23.xlsx"

SHEETS = ["Cover", "Customer Services", "Revenues and Benefits", "Land Charges", "IT"]
SERVICE_FILES = {
    "Customer Services": "services/customer_services.xlsx",
    "Revenues and Benefits": "services/revenues_and_benefits.xlsx",
    "Land Charges": "services/land_charges.xlsx",
    "IT": "services/it.xlsx",
}
ALL_FILES = [WORKBOOK, *SERVICE_FILES.values()]


# --------------------------------------------------------------------------- helpers


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_samples", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def open_book(path: Path) -> Workbook:
    return openpyxl.load_workbook(path)


def values(sheet: Worksheet) -> dict[str, object]:
    """Coordinate -> value of every cell holding a value."""
    return {
        cell.coordinate: cell.value
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }


def filled_cells(sheet: Worksheet) -> list[Cell]:
    return [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]


def cells_equal_to(sheet: Worksheet, value: object) -> list[Cell]:
    return [cell for cell in filled_cells(sheet) if cell.value == value]


def row_where(sheet: Worksheet, column: str, value: str) -> int:
    rows = [cell.row for cell in sheet[column] if cell.value == value]
    assert len(rows) == 1, f"{value!r} in column {column}: rows {rows}"
    return rows[0]


def is_dash_line(line: str) -> bool:
    cells = [cell for cell in line.split("\t") if cell]
    return bool(cells) and all(set(cell) == {"-"} for cell in cells)


def seed_sheets(seed_text: str) -> dict[str, list[list[str]]]:
    """Expected rows per sheet, computed here independently of the script.

    Cover = lines before the first `Annual Plan for:` line; then one block per such line,
    named in seed order. Dash artefact lines are dropped, so the rows below move up.
    """
    lines = seed_text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.split("\t")[0] == "Annual Plan for:"]
    bounds = [0, *starts, len(lines)]
    blocks = [lines[a:b] for a, b in pairwise(bounds)]
    return {
        name: [line.split("\t") for line in block if not is_dash_line(line)]
        for name, block in zip(SHEETS, blocks, strict=True)
    }


def expected_value(text: str) -> object:
    """The value a seed cell should have in Excel (an independent re-statement)."""
    if text.startswith("<i>") and text.endswith("</i>"):
        return expected_value(text[3:-4])
    if text.startswith("<ul"):
        items = [item.strip() for item in text.split(">", 1)[1].split("•")]
        return "\n".join(f"• {item}" for item in items if item)
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    # Day-first dates; strptime's %y gives 20yy for the years the plans use.
    shapes = (
        (r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}", "%d/%m/%y"),
        (r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}", "%d/%m/%Y"),
        (r"[0-9]{1,2}-[A-Za-z]{3}-[0-9]{2}", "%d-%b-%y"),
        (r"[0-9]{1,2}-[A-Za-z]{3}-[0-9]{4}", "%d-%b-%Y"),
    )
    for shape, date_format in shapes:
        if re.fullmatch(shape, text):
            try:
                return datetime.strptime(text, date_format)
            except ValueError:
                return text
    return text


def expected_cells(seed_text: str) -> dict[str, dict[str, object]]:
    """Sheet -> coordinate -> value for every non-empty seed cell."""
    expected: dict[str, dict[str, object]] = {}
    for name, rows in seed_sheets(seed_text).items():
        cells: dict[str, object] = {}
        for r, row in enumerate(rows, start=1):
            for c, text in enumerate(row, start=1):
                if text:
                    coordinate = f"{openpyxl.utils.get_column_letter(c)}{r}"
                    cells[coordinate] = expected_value(text)
        expected[name] = cells
    return expected


def style(cell: Cell) -> tuple[object, ...]:
    return (
        cell.number_format,
        cell.font.b,
        cell.font.i,
        cell.font.sz,
        cell.fill.fill_type,
        cell.fill.fgColor.rgb,
        cell.border.top.style,
        cell.border.left.style,
        cell.alignment.wrap_text,
        cell.alignment.vertical,
    )


MINI_COVER = "Configuration Control\n\nPlan for\tDate of Last Update\nIT\t07-Mar-22\n\n"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("samples")
    load_script().build_samples(SEED, out_dir)
    return out_dir


@pytest.fixture(scope="module")
def book() -> Workbook:
    return open_book(SAMPLES / WORKBOOK)


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the build


@pytest.mark.parametrize("relative", ALL_FILES)
def test_committed_sample_matches_a_fresh_build(relative: str, rebuilt: Path) -> None:
    committed, fresh = open_book(SAMPLES / relative), open_book(rebuilt / relative)
    assert committed.sheetnames == fresh.sheetnames
    for name in committed.sheetnames:
        assert values(committed[name]) == values(fresh[name]), f"{relative}: sheet {name}"


def test_build_returns_the_paths_it_wrote(rebuilt: Path) -> None:
    written = load_script().build_samples(SEED, rebuilt / "again")
    assert written == [rebuilt / "again" / relative for relative in ALL_FILES]
    assert all(path.is_file() for path in written)


def test_rebuilding_gives_byte_identical_files(tmp_path: Path, rebuilt: Path) -> None:
    load_script().build_samples(SEED, tmp_path)
    for relative in ALL_FILES:
        assert (tmp_path / relative).read_bytes() == (rebuilt / relative).read_bytes()


def test_a_seed_whose_plans_differ_from_configuration_control_fails(tmp_path: Path) -> None:
    cover = MINI_COVER.replace("IT\t07-Mar-22\n", "IT\t07-Mar-22\nLand Charges\t11-Feb-22\n")
    seed = tmp_path / "seed.txt"
    seed.write_text(cover + "Annual Plan for:\tIT\n", encoding="utf-8")  # no Land Charges
    with pytest.raises(AssertionError, match="Configuration Control"):
        load_script().build_samples(seed, tmp_path / "out")


# --------------------------------------------------------------------------- placement


def test_sheets_are_the_cover_then_each_service_in_seed_order(book: Workbook) -> None:
    assert book.sheetnames == SHEETS


def test_each_service_has_its_own_single_sheet_workbook() -> None:
    for name, relative in SERVICE_FILES.items():
        assert open_book(SAMPLES / relative).sheetnames == [name]


def test_every_seed_cell_sits_where_its_tabs_place_it(book: Workbook, seed_text: str) -> None:
    for name, cells in expected_cells(seed_text).items():
        sheet = book[name]
        for coordinate, value in cells.items():
            assert sheet[coordinate].value == value, f"{name}!{coordinate}"


def test_nothing_is_written_that_is_not_in_the_seed(book: Workbook, seed_text: str) -> None:
    for name, cells in expected_cells(seed_text).items():
        assert set(values(book[name])) == set(cells), name


def test_cover_keeps_its_two_leading_blank_rows(book: Workbook) -> None:
    cover = book["Cover"]
    assert cover["A1"].value is None and cover["A2"].value is None
    assert cover["A3"].value == "Annual Plan"


def test_dash_artefact_lines_are_dropped_and_rows_move_up(book: Workbook) -> None:
    it = book["IT"]
    # Seed: `Annual Plan for: IT`, a dash line, a blank line, `Last Update ...`.
    assert it["A1"].value == "Annual Plan for:"
    assert it["A2"].value is None
    assert it["A3"].value == "Last Update (Date and Who by)"


@pytest.mark.parametrize("relative", ALL_FILES)
def test_no_cell_anywhere_is_a_run_of_dashes(relative: str) -> None:
    for sheet in open_book(SAMPLES / relative):
        for cell in filled_cells(sheet):
            assert not (isinstance(cell.value, str) and re.fullmatch(r"\s*-+\s*", cell.value))


def test_trailing_blank_lines_of_a_block_are_trimmed(book: Workbook) -> None:
    # The Cover block ends with a blank line before `Annual Plan for:`.
    assert book["Cover"].max_row == 25
    assert book["Cover"]["A25"].value == "IT"


# --------------------------------------------------------------------------- cell values


def test_pure_dates_are_real_dates_shown_as_written(book: Workbook) -> None:
    revs = book["Revenues and Benefits"]
    tel = row_where(revs, "B", "Tel-Solutions - functionality review ALL areas")
    assert revs[f"D{tel}"].value == datetime(2022, 4, 30)
    assert revs[f"D{tel}"].number_format == "dd/mm/yy"

    it = book["IT"]
    horizon = row_where(
        it,
        "B",
        "Horizon Scanning - requirement to upgrade applications/operating systems "
        "that are coming end of life",
    )
    assert it[f"D{horizon}"].value == datetime(2019, 12, 31)
    assert it[f"D{horizon}"].number_format == "dd/mm/yy"

    cover = book["Cover"]
    assert cover["D14"].value == datetime(2022, 2, 17)
    assert cover["D14"].number_format == "dd-mmm-yy"


@pytest.mark.parametrize(
    ("sheet", "text"),
    [
        ("IT", "30/9/22 TBC"),
        ("IT", "Paul Merrick 7/3/22"),
        ("Customer Services", "14-Feb-2022; G Stemp"),
        ("Customer Services", "31/01/22 go live April - June evaluation"),
        ("Customer Services", "01/03/2022 (Go live) March - May Review"),
        ("Cover", "To be 16 March 22"),
        ("Cover", "2022/3"),
    ],
)
def test_text_that_merely_contains_a_date_stays_text(book: Workbook, sheet: str, text: str) -> None:
    assert cells_equal_to(book[sheet], text), f"{text!r} not found as text on {sheet}"


def test_an_impossible_date_stays_text(tmp_path: Path) -> None:
    seed = tmp_path / "seed.txt"
    seed.write_text(
        MINI_COVER + "Annual Plan for:\tIT\nJTB Review\t31/02/22\nAgreed\t29/02/24\n",
        encoding="utf-8",
    )
    load_script().build_samples(seed, tmp_path)
    sheet = open_book(tmp_path / WORKBOOK)["IT"]
    assert sheet["B2"].value == "31/02/22"
    assert sheet["B3"].value == datetime(2024, 2, 29)


def test_version_numbers_are_numbers(book: Workbook) -> None:
    assert [book["Cover"][f"A{row}"].value for row in range(14, 18)] == [1, 2, 3, 4]


def test_italic_markup_becomes_italic_text(book: Workbook) -> None:
    markers = cells_equal_to(book["Land Charges"], "Insert Line Above")
    assert len(markers) == 2
    assert all(cell.font.i for cell in markers)
    assert not any("<i>" in str(cell.value) for sheet in book for cell in filled_cells(sheet))


def test_html_list_becomes_bulleted_lines(book: Workbook) -> None:
    bullets = "• Capacity Planning\n• HR\n• IT\n• Telephony"
    [cell] = cells_equal_to(book["Land Charges"], bullets)
    assert cell.coordinate == "B20"
    assert cell.alignment.wrap_text


def test_pound_sign_and_text_are_kept_exactly(book: Workbook) -> None:
    assert any(
        isinstance(cell.value, str) and "£150 Energy Rebate" in cell.value
        for cell in filled_cells(book["Revenues and Benefits"])
    )


# --------------------------------------------------------------------------- formatting


def test_every_cell_wraps_and_is_top_aligned(book: Workbook) -> None:
    for sheet in book:
        for cell in filled_cells(sheet):
            assert cell.alignment.wrap_text, f"{sheet.title}!{cell.coordinate}"
            assert cell.alignment.vertical == "top", f"{sheet.title}!{cell.coordinate}"


def test_table_header_rows_are_bold_grey_and_bordered(book: Workbook) -> None:
    headers = [
        cell
        for sheet in book
        for cell in filled_cells(sheet)
        if cell.value in {"Ref", "Version", "Plan for"} and cell.column == 1
    ]
    assert len(headers) == 17  # 15 plan tables + 2 Cover tables
    for first in headers:
        row = first.parent[first.row]
        for cell in row:
            if cell.value is not None:
                assert cell.font.b and cell.fill.fgColor.rgb == "FFD9D9D9", cell.coordinate
                assert cell.border.top.style == "thin", cell.coordinate


def test_section_titles_are_bold_but_the_sections_list_is_not(book: Workbook) -> None:
    land = book["Land Charges"]
    assert land["A12"].value == "Part 1 - Outstanding Transition Actions"
    assert land["A12"].font.b and land["A12"].font.sz == 12
    assert land["A7"].value == "Part 2 - Annual Plan Items"  # in the `Sections:` list
    assert not land["A7"].font.b


def test_header_block_labels_are_bold(book: Workbook) -> None:
    for name in SHEETS[1:]:
        assert book[name]["A1"].value == "Annual Plan for:"
        assert book[name]["A1"].font.b
        assert not book[name]["B1"].font.b


def test_columns_are_sized_from_the_table_header(book: Workbook) -> None:
    it = book["IT"]
    assert it["J15"].value == "Progress"
    assert it.column_dimensions["J"].width == pytest.approx(90, abs=1)
    assert it.column_dimensions["B"].width == pytest.approx(45, abs=1)
    assert it.column_dimensions["A"].width == pytest.approx(8, abs=1)
    assert book["Cover"].column_dimensions["A"].width == pytest.approx(30, abs=1)


# --------------------------------------------------------------------------- service books


@pytest.mark.parametrize(("name", "relative"), list(SERVICE_FILES.items()))
def test_service_workbook_equals_its_sheet_in_the_whole_workbook(
    book: Workbook, name: str, relative: str
) -> None:
    whole = book[name]
    [single] = open_book(SAMPLES / relative).worksheets
    assert single.title == name
    assert (single.max_row, single.max_column) == (whole.max_row, whole.max_column)
    for row in whole.iter_rows():
        for cell in row:
            other = single[cell.coordinate]
            assert other.value == cell.value, cell.coordinate
            assert style(other) == style(cell), cell.coordinate
    widths = {key: dim.width for key, dim in whole.column_dimensions.items()}
    assert {key: dim.width for key, dim in single.column_dimensions.items()} == widths
