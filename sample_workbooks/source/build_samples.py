"""Rebuild the sample annual plan workbooks from the 2022/23 text export.

The seed (`annual_plan_2022_23.txt`) is the real 2022/23 annual plan exported as text: one
line per spreadsheet row, tabs between cells. This script turns it back into the Excel
workbook the users keep, so planbook's tests and examples run against a realistic file:

* `annual_plan_2022_23.xlsx`: a `Cover` sheet, then one sheet per service plan;
* `services/<service>.xlsx`: one workbook per service holding just that service's sheet,
  as the leads send them in for the monthly consolidation.

Usage: python sample_workbooks/source/build_samples.py [--out-dir DIR]

Only the standard library and XlsxWriter are used, so the samples can be rebuilt without
installing planbook. The output is deterministic for a given XlsxWriter version.
"""

import argparse
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

HERE = Path(__file__).resolve().parent
DEFAULT_SEED = HERE / "annual_plan_2022_23.txt"
DEFAULT_OUT_DIR = HERE.parent  # sample_workbooks/
WORKBOOK_NAME = "annual_plan_2022_23.xlsx"
SERVICES_DIR = "services"

COVER = "Cover"
PLAN_MARKER = "Annual Plan for:"
SECTIONS_MARKER = "Sections:"

# A fixed creation date (the plan's last update) keeps rebuilt files byte-identical.
CREATED = datetime(2022, 3, 7)
TITLE = "Annual Plan 2022/23"

# Never let XlsxWriter reinterpret the users' text as numbers, formulas or links.
WORKBOOK_OPTIONS = {
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}

# First two non-empty cells of a table header row. `Ref | Description` is the plan table;
# the other two are the Cover's Version Control and Configuration Control tables.
HEADER_STARTS = {
    ("Ref", "Description"),
    ("Version", "Changes"),
    ("Plan for", "Date of Last Update"),
}
HEADER_LABELS = {
    "Annual Plan for:",
    "Last Update (Date and Who by)",
    "JTB Review",
    "JTB Review Date",
    "Agreed Date and Who By:",
}
SECTION_TITLE_STARTS = ("Part 1", "Part 2", "Part 3", "Part Three")
COVER_TITLES = {  # title line -> font size
    "Annual Plan": 20,
    "2022/3": 16,
    "Corporate Services Contract": 16,
    "5 Councils": 16,
}
COVER_TABLE_TITLES = {"Version Control", "Configuration Control"}

# Column widths keyed on the leading words of a plan table header (case-insensitive).
WIDTH_BY_HEADER = (
    ("ref", 8),
    ("description", 45),
    ("milestone", 40),
    ("due date", 18),
    ("lead", 20),
    ("links to service outcomes", 28),
    ("driver", 28),
    ("council", 18),
    ("delivery status", 16),
    ("rag", 12),
    ("progress", 90),
)
DEFAULT_WIDTH = 15
COVER_WIDTH = 30

HEADER_FILL = "#D9D9D9"
BASE_FORMAT: dict[str, object] = {"text_wrap": True, "valign": "top"}

MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
SLASH_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{2}|[0-9]{4})")
DASH_DATE = re.compile(r"([0-9]{1,2})-([A-Za-z]{3})-([0-9]{2}|[0-9]{4})")
ITALIC = re.compile(r"<i>(.*)</i>", re.DOTALL)
UL_OPEN = re.compile(r"<ul\b[^>]*>")

Row = list[str]
Value = str | int | datetime


# --------------------------------------------------------------------------- the seed


def read_lines(seed: Path) -> list[Row]:
    """The seed as rows of cells (one line per row, tabs between cells)."""
    text = seed.read_text(encoding="utf-8")
    # split("\n") rather than splitlines(): the latter also breaks on characters that may
    # legitimately sit inside a cell (form feeds, U+2028, ...).
    return [line.removesuffix("\r").split("\t") for line in text.split("\n")]


def is_blank(row: Row) -> bool:
    return not any(row)


def is_dash_line(row: Row) -> bool:
    """An export artefact: every non-empty cell is a run of `-` (a text-table underline)."""
    filled = [cell.strip() for cell in row if cell.strip()]
    return bool(filled) and all(re.fullmatch(r"-+", cell) for cell in filled)


def clean_block(rows: Iterable[Row]) -> list[Row]:
    """Drop dash artefacts (rows below move up) and trim trailing blank rows."""
    kept = [row for row in rows if not is_dash_line(row)]
    while kept and is_blank(kept[-1]):
        kept.pop()
    return kept


def split_blocks(lines: Sequence[Row]) -> list[list[Row]]:
    """Cover lines, then one block per `Annual Plan for:` line up to the next one."""
    starts = [i for i, row in enumerate(lines) if row[0] == PLAN_MARKER]
    if not starts:
        raise ValueError(f"seed has no {PLAN_MARKER!r} line")
    bounds = [0, *starts, len(lines)]
    return [clean_block(lines[a:b]) for a, b in pairwise(bounds)]


def configuration_services(cover: Sequence[Row]) -> list[str]:
    """The `Plan for` column of the Cover's Configuration Control table."""
    for i, row in enumerate(cover):
        if row[0] == "Plan for":
            names = []
            for data in cover[i + 1 :]:
                if is_blank(data):
                    break
                names.append(data[0].strip())
            return names
    raise ValueError("Cover has no Configuration Control table (no 'Plan for' header)")


def service_name(block: Sequence[Row], services: Sequence[str]) -> str:
    """The Configuration Control name that the block's `Annual Plan for:` value mentions.

    The values are wordier than the names ("Five Councils Local Land Charges"), so match
    whole words, case-sensitively: "IT" must not match inside "Benefits".
    """
    value = block[0][1] if len(block[0]) > 1 else ""
    found = [name for name in services if re.search(rf"\b{re.escape(name)}\b", value)]
    if len(found) != 1:
        raise ValueError(f"{PLAN_MARKER} {value!r} matches services {found}, expected one")
    return found[0]


def parse_seed(seed: Path) -> list[tuple[str, list[Row]]]:
    """(sheet name, rows) for the Cover and each service, in seed order."""
    cover, *plans = split_blocks(read_lines(seed))
    services = configuration_services(cover)
    named = [(service_name(block, services), block) for block in plans]
    names = [name for name, _ in named]
    # Fail loudly if the seed changes: the sheets must be exactly the configured plans.
    assert len(set(names)) == len(names), f"duplicate service sheets: {names}"
    assert set(names) == set(services), (
        f"service sheets {names} differ from Configuration Control {services}"
    )
    return [(COVER, cover), *named]


# --------------------------------------------------------------------------- cell values


def parse_date(text: str) -> tuple[datetime, str] | None:
    """A whole-cell day-first date and the number format that shows it as written."""
    if match := SLASH_DATE.fullmatch(text):
        day, month, year = match.groups()
        month_number = int(month)
        month_format = "mm" if len(month) == 2 else "m"
        separator = "/"
    elif (match := DASH_DATE.fullmatch(text)) and match.group(2).lower() in MONTHS:
        day, month, year = match.groups()
        month_number = MONTHS[month.lower()]
        month_format = "mmm"
        separator = "-"
    else:
        return None
    full_year = int(year) + 2000 if len(year) == 2 else int(year)  # the plans are 20yy
    try:
        value = datetime(full_year, month_number, int(day))
    except ValueError:  # e.g. 31/02/22: keep the user's text rather than invent a date
        return None
    day_format = "dd" if len(day) == 2 else "d"
    year_format = "yy" if len(year) == 2 else "yyyy"
    return value, separator.join((day_format, month_format, year_format))


def convert(text: str) -> tuple[Value, dict[str, object]]:
    """The value to write for a seed cell and the format properties it needs."""
    if match := ITALIC.fullmatch(text):
        value, props = convert(match.group(1))
        return value, {**props, "italic": True}
    if match := UL_OPEN.match(text):
        # The export flattened a bulleted list to "<ul ...> • a • b": one bullet per line.
        body = text[match.end() :].replace("</ul>", "")
        items = [item.strip() for item in body.split("•")]
        return "\n".join(f"• {item}" for item in items if item), {}
    if parsed := parse_date(text):
        value, number_format = parsed
        return value, {"num_format": number_format}
    # Whole digits (the Version Control numbers) are numbers; a leading zero means a code.
    if re.fullmatch(r"[0-9]+", text) and (text == "0" or not text.startswith("0")):
        return int(text), {}
    return text, {}


# --------------------------------------------------------------------------- layout


def first_two(row: Row) -> tuple[str, ...]:
    return tuple(cell.strip() for cell in row if cell.strip())[:2]


def is_header(row: Row) -> bool:
    return first_two(row) in HEADER_STARTS


def table_spans(rows: Sequence[Row]) -> dict[int, tuple[int, int, bool]]:
    """Row index -> (first column, last column, is header) for every table row.

    A table runs from its header row down to the next blank row; its columns are those of
    its header.
    """
    spans: dict[int, tuple[int, int, bool]] = {}
    span: tuple[int, int] | None = None
    for r, row in enumerate(rows):
        if is_header(row):
            filled = [c for c, cell in enumerate(row) if cell.strip()]
            span = (filled[0], filled[-1])
            spans[r] = (*span, True)
        elif is_blank(row):
            span = None
        elif span is not None:
            spans[r] = (*span, False)
    return spans


def sections_list_rows(rows: Sequence[Row]) -> set[int]:
    """Rows of the `Sections: Part 1 ... / Part 2 ... / Part 3 ...` contents list.

    Its continuation lines start with `Part 2` / `Part 3` but are a list, not the
    section titles further down, so they must not be styled as titles.
    """
    inside: set[int] = set()
    in_list = False
    for r, row in enumerate(rows):
        if row[0].startswith(SECTIONS_MARKER):
            in_list = True
        elif is_blank(row) or not row[0].startswith("Part"):
            in_list = False
        if in_list:
            inside.add(r)
    return inside


def row_props(sheet: str, row: Row, in_sections_list: bool) -> dict[str, object]:
    """Format properties shared by every cell of a row."""
    first = row[0].strip()
    if sheet == COVER and first in COVER_TITLES:
        return {"bold": True, "font_size": COVER_TITLES[first]}
    if sheet == COVER and first in COVER_TABLE_TITLES:
        return {"bold": True, "font_size": 12}
    if first.startswith(SECTION_TITLE_STARTS) and not in_sections_list:
        return {"bold": True, "font_size": 12}
    return {}


def column_widths(sheet: str, rows: Sequence[Row]) -> list[float]:
    """Widths for every used column, from the sheet's first table header row."""
    used = max((len(row) for row in rows if not is_blank(row)), default=1)
    if sheet == COVER:
        return [COVER_WIDTH] * used
    widths: list[float] = [DEFAULT_WIDTH] * used
    header = next((row for row in rows if first_two(row) == ("Ref", "Description")), [])
    for c, text in enumerate(header):
        lowered = text.strip().lower()
        for prefix, width in WIDTH_BY_HEADER:
            if lowered.startswith(prefix):
                widths[c] = width
                break
    return widths


class Formats:
    """One XlsxWriter Format per distinct set of properties (formats are per workbook)."""

    def __init__(self, workbook: Workbook) -> None:
        self._workbook = workbook
        self._cache: dict[tuple[tuple[str, object], ...], Format] = {}

    def get(self, props: dict[str, object]) -> Format:
        merged = {**BASE_FORMAT, **props}
        key = tuple(sorted(merged.items()))
        if key not in self._cache:
            self._cache[key] = self._workbook.add_format(merged)
        return self._cache[key]


def write_sheet(workbook: Workbook, formats: Formats, name: str, rows: Sequence[Row]) -> None:
    """One sheet: row k of the block is Excel row k, field j is column j (0-based here)."""
    worksheet: Worksheet = workbook.add_worksheet(name)
    # Column default formats make even empty cells wrap and sit at the top.
    for c, width in enumerate(column_widths(name, rows)):
        worksheet.set_column(c, c, width, formats.get({}))
    # Plans are printed for the boards: landscape, A4, all columns on one page width.
    worksheet.set_landscape()
    worksheet.set_paper(9)
    worksheet.fit_to_pages(1, 0)

    spans = table_spans(rows)
    sections_list = sections_list_rows(rows)
    for r, row in enumerate(rows):
        shared = row_props(name, row, r in sections_list)
        first_col, last_col, header = spans.get(r, (0, -1, False))
        for c in range(max(len(row), last_col + 1)):
            text = row[c] if c < len(row) else ""
            props = dict(shared)
            if first_col <= c <= last_col:
                props["border"] = 1
                if header:
                    props.update(bold=True, bg_color=HEADER_FILL)
            if c == 0 and text.strip() in HEADER_LABELS:
                props["bold"] = True
            if not text:
                # Empty fields hold no value; only table cells get a (bordered) blank.
                if "border" in props:
                    worksheet.write_blank(r, c, None, formats.get(props))
                continue
            value, cell_props = convert(text)
            cell_format = formats.get({**props, **cell_props})
            if isinstance(value, datetime):
                worksheet.write_datetime(r, c, value, cell_format)
            elif isinstance(value, int):
                worksheet.write_number(r, c, value, cell_format)
            else:
                worksheet.write_string(r, c, value, cell_format)


def write_workbook(path: Path, sheets: Sequence[tuple[str, Sequence[Row]]], title: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    workbook.set_properties(
        {
            "title": title,
            "subject": "Corporate Services Contract - 5 Councils",
            "comments": "Rebuilt from sample_workbooks/source/annual_plan_2022_23.txt",
            "created": CREATED,
        }
    )
    formats = Formats(workbook)
    for name, rows in sheets:
        write_sheet(workbook, formats, name, rows)
    workbook.close()
    return path


def service_filename(name: str) -> str:
    """`Revenues and Benefits` -> `revenues_and_benefits.xlsx`."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + ".xlsx"


def build_samples(seed: Path, out_dir: Path) -> list[Path]:
    """Write the whole workbook and one workbook per service; return their paths."""
    sheets = parse_seed(seed)
    written = [write_workbook(out_dir / WORKBOOK_NAME, sheets, TITLE)]
    for name, rows in sheets:
        if name == COVER:
            continue
        path = out_dir / SERVICES_DIR / service_filename(name)
        written.append(write_workbook(path, [(name, rows)], f"{TITLE} - {name}"))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild the sample annual plan workbooks.")
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help=f"where to write the workbooks (default: {DEFAULT_OUT_DIR})",
    )
    args = parser.parse_args(argv)
    for path in build_samples(DEFAULT_SEED, args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
