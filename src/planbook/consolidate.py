"""The month's board workbook from the leads' service workbooks.

read every input -> one plan: a regenerated Cover, every service sheet -> ``prepare`` /
derive / check as ``format`` does -> the Summary, and with last month's board workbook
the Changes (the diff since) and the History (last month's rows carried forward, this
month's added) -> one .xlsx, written atomically. Two inputs holding the same service, or
an unreadable input, stop it before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from planbook.board import HISTORY_COLUMNS, HistoryRow, board_figures
from planbook.derive import Settings, plan_year_of
from planbook.diff import PlanChange, diff_plans
from planbook.duedates import parse_due
from planbook.errors import PlanbookError
from planbook.findings import Report
from planbook.model import (
    CHANGE_LOG_SHEET,
    Cell,
    CellValue,
    CoverRow,
    CoverSheet,
    CoverTable,
    OtherSheet,
    Plan,
    PlanSheet,
)
from planbook.read import bulk_objects, read_workbook, same_file
from planbook.schemas import load_vocabularies
from planbook.write import build_output, write_output
from planbook.write.board_sheets import HISTORY_SHEET, summary_sheets

VERSION_COLUMNS = ("Version", "Changes", "Agreed By", "Date of Review")
CONFIGURATION_COLUMNS = (
    "Plan for",
    "Date of Last Update",
    "Last Update by:",
    "SIG Review Date",
    "Version Agreed Under",
)
_PLANBOOK_SHEETS = {CHANGE_LOG_SHEET, "Summary", "Changes", HISTORY_SHEET}


@dataclass(frozen=True)
class ConsolidateResult:
    output: Path
    services: tuple[str, ...]
    report: Report
    changes: tuple[PlanChange, ...]
    notices: tuple[str, ...] = ()


@bulk_objects()  # the whole run: else the collector walks every plan read so far, again
def consolidate(
    inputs: Sequence[Path | str],
    output: Path | str,
    *,
    previous: Path | str | None = None,
    settings: Settings | None = None,
    live_as_of: bool | None = None,
    schemas_dir: Path | None = None,
    on_read: Callable[[Path], None] | None = None,
) -> ConsolidateResult:
    """Merge ``inputs`` into the board workbook ``output`` (see the module docstring)."""
    if not inputs:
        raise PlanbookError("give at least one service workbook to consolidate")
    target = Path(output)
    if target.suffix.lower() != ".xlsx":
        raise PlanbookError(f"{target}: planbook writes .xlsx workbooks; name the output .xlsx")
    sources = [Path(path) for path in inputs]
    if previous is not None and any(same_file(previous, source) for source in sources):
        raise PlanbookError(f"{previous}: is both an input and --previous")
    if previous is not None and same_file(previous, target):
        raise PlanbookError(f"{target}: is last month's workbook (--previous); write elsewhere")
    live = settings is None if live_as_of is None else live_as_of
    settings = settings or Settings(as_of=dt.date.today())
    vocabularies = load_vocabularies(schemas_dir)
    services, notices = _service_sheets(sources, target, on_read)
    last_month = read_workbook(previous) if previous is not None else None

    cover = _cover(services, last_month, settings)
    combined = Plan(path=target, sheets=(cover, *(sheet for _, sheet in services)))
    combined = replace(
        combined,
        sheets=tuple(replace(sheet, index=i) for i, sheet in enumerate(combined.sheets)),
    )
    built = build_output(combined, vocabularies, settings, schemas_dir, cut_long_text=True)
    changes = (
        diff_plans(last_month, built.plan, vocabularies, plan_year=settings.plan_year)
        if last_month is not None
        else []
    )
    figures = board_figures(
        built.derivation,
        vocabularies,
        carried=history_rows_from(last_month, settings.as_of) if last_month is not None else (),
        changes=changes if last_month is not None else None,
    )
    extra = summary_sheets(figures)
    write_output(
        target,
        built,
        vocabularies,
        live_as_of=live,
        title=_title(cover),
        extra_sheets=extra,
        extras_after=1,
    )
    return ConsolidateResult(
        target,
        tuple(sheet.name for _, sheet in services),
        built.report,
        tuple(changes),
        tuple(notices),
    )


def _service_sheets(
    sources: list[Path], target: Path, on_read: Callable[[Path], None] | None
) -> tuple[list[tuple[Path, PlanSheet]], list[str]]:
    """Every input's service sheets; two holding the same service is an error."""
    found: list[tuple[Path, PlanSheet]] = []
    seen: dict[str, Path] = {}
    notices: list[str] = []
    for source in sources:
        if same_file(source, target):
            raise PlanbookError(f"{target}: is one of the inputs; choose another output file")
        plan = read_workbook(source)
        if on_read is not None:
            on_read(source)
        if not plan.plan_sheets:
            raise PlanbookError(f"{source}: holds no service plan sheet")
        for sheet in plan.plan_sheets:
            for key in {_service_key(sheet.name), _service_key(sheet.service)}:
                if key in seen:
                    raise PlanbookError(
                        f"the service '{sheet.name}' is in both {seen[key]} and {source}; "
                        "give each service once"
                    )
            seen[_service_key(sheet.name)] = seen[_service_key(sheet.service)] = source
            found.append((source, sheet))
        notices.extend(
            f"{source.name}: sheet '{sheet.name}' is not a service plan; not carried into "
            "the board workbook"
            for sheet in plan.sheets
            if not isinstance(sheet, PlanSheet | CoverSheet)
            and not (isinstance(sheet, OtherSheet) and sheet.made_by_planbook)
            and sheet.name not in _PLANBOOK_SHEETS
        )
    return found, notices


def _service_key(text: str) -> str:
    """``Revenues and Benefits 2022/23`` and ``Revenues and Benefits`` are one service."""
    words = re.sub(r"\b(19|20)\d\d\s*[/-]\s*\d{1,4}\b", " ", text)
    words = re.sub(r"^\s*five councils\s+", "", words, flags=re.IGNORECASE)
    return " ".join(words.split()).casefold()


def history_rows_from(plan: Plan, as_of: dt.date) -> list[HistoryRow]:
    """Last month's History rows; a row of this same as-of date is left for this run."""
    sheet = next(
        (s for s in plan.sheets if isinstance(s, OtherSheet) and s.name == HISTORY_SHEET), None
    )
    if sheet is None:
        return []
    grid: dict[int, dict[int, Any]] = defaultdict(dict)
    for cell in sheet.content:
        grid[cell.row][cell.column] = cell.value
    rows: list[HistoryRow] = []
    for number in sorted(grid)[1:]:
        values = [grid[number].get(column) for column in range(1, len(HISTORY_COLUMNS) + 1)]
        day, service, *counts = values
        if not isinstance(day, dt.date) or not isinstance(service, str):
            continue  # the totals block beside, or a line a person added
        if day == as_of:
            continue
        numbers = [int(n) if isinstance(n, int | float) else 0 for n in counts]
        rows.append((day, service, *numbers))  # type: ignore[arg-type]
    return rows


# --- the cover ----------------------------------------------------------------------------


def _cover(
    services: list[tuple[Path, PlanSheet]], last_month: Plan | None, settings: Settings
) -> CoverSheet:
    """Title lines, Version Control (last month's rows and a new one) and Configuration
    Control (one row per service, from its header block)."""
    previous_cover = last_month.cover if last_month is not None else None
    titles = [cell.text.strip() for cell in previous_cover.titles] if previous_cover else []
    if not titles:
        titles = _default_titles(services, settings)
    row = 1

    def line(values: Sequence[CellValue]) -> tuple[int, list[Cell]]:
        nonlocal row
        cells = [
            Cell(row, column, value)
            for column, value in enumerate(values, start=1)
            if value not in (None, "")
        ]
        row += 1
        return row - 1, cells

    title_cells: list[Cell] = []
    for text in titles:
        title_cells.extend(line([text])[1])
        line([])  # the cover's title lines stand a blank row apart
    version = _table(
        "Version Control", VERSION_COLUMNS, _version_rows(previous_cover, settings), line
    )
    line([])
    configuration = _table(
        "Configuration Control",
        CONFIGURATION_COLUMNS,
        [_configuration_row(sheet, previous_cover) for _, sheet in services],
        line,
    )
    return CoverSheet(
        name="Cover",
        index=0,
        titles=tuple(title_cells),
        version_control=version,
        configuration_control=configuration,
    )


def _table(
    title: str,
    columns: Sequence[str],
    values: list[Sequence[CellValue]],
    line: Callable[[Sequence[CellValue]], tuple[int, list[Cell]]],
) -> CoverTable:
    title_cell = line([title])[1][0]
    line([])
    header = line(list(columns))[1]
    body = []
    for row_values in values:
        number, cells = line(list(row_values))
        by_column = {cell.column: cell for cell in cells}
        named = {name: by_column[n] for n, name in enumerate(columns, start=1) if n in by_column}
        body.append(CoverRow(number, named))
    return CoverTable(title_cell, tuple(header), tuple(body))


def _default_titles(services: list[tuple[Path, PlanSheet]], settings: Settings) -> list[str]:
    year = settings.plan_year
    for _, sheet in services:
        if year is not None:
            break
        year = plan_year_of(Plan(path=Path(), sheets=(sheet,)), sheet, settings)
    titles = ["Annual Plan"]
    if year is not None:
        titles.append(f"{year}/{str(year + 1)[-2:]}")
    return titles


def _version_rows(previous: CoverSheet | None, settings: Settings) -> list[Sequence[CellValue]]:
    """Last month's Version Control rows, then this run's."""
    carried: list[Sequence[CellValue]] = []
    if previous is not None and previous.version_control is not None:
        for cover_row in previous.version_control.rows:
            carried.append([_value(cover_row.cells.get(name)) for name in VERSION_COLUMNS])
    day = settings.as_of.strftime("%d/%m/%Y")
    changes = f"Board workbook as of {day}"
    # Running the same month again replaces its row rather than adding another.
    carried = [v for v in carried if not (v[1] == changes and v[3] == settings.as_of)]
    numbers = [v[0] for v in carried if isinstance(v[0], int | float)]
    version = int(max(numbers)) + 1 if numbers else len(carried) + 1
    carried.append([version, changes, "", settings.as_of])
    return carried


def _value(cell: Cell | None) -> CellValue:
    return cell.value if cell is not None else ""


def _configuration_row(sheet: PlanSheet, previous: CoverSheet | None) -> Sequence[CellValue]:
    update = sheet.header_entry("last_update")
    when, who = split_update(update.value if update is not None and update.value else None)
    review = sheet.header_entry("jtb_review")
    agreed_under: CellValue = ""
    if previous is not None and previous.configuration_control is not None:
        for row in previous.configuration_control.rows:
            if _service_key(row.text("Plan for")) == _service_key(sheet.name):
                agreed_under = _value(row.cells.get("Version Agreed Under"))
    return [
        sheet.name,
        when,
        who,
        review.value.value if review is not None and review.value is not None else "",
        agreed_under,
    ]


_DATE_IN_TEXT = re.compile(
    r"(?<![\d/.-])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
    r"|\d{1,2}(?:st|nd|rd|th)?[\s-]+[A-Za-z]{3,9}\.?[\s-]+\d{2,4})(?![\d/])"
)


def split_update(cell: Cell | None) -> tuple[CellValue, str]:
    """``7 March 2022 (MG / DR)`` -> (2022-03-07, ``MG / DR``); a date cell -> (it, '')."""
    if cell is None:
        return "", ""
    if isinstance(cell.value, dt.date):
        return cell.value, ""
    text = cell.text.strip()
    match = _DATE_IN_TEXT.search(text)
    if match is None:
        return "", text
    due = parse_due(match.group(), None)
    if due.date is None:
        return "", text
    rest = (text[: match.start()] + " " + text[match.end() :]).replace("(", " ").replace(")", " ")
    who = " ".join(rest.split()).strip(" -;,")
    return due.date, re.sub(r"^(?:by|updated by)\s+", "", who, flags=re.IGNORECASE)


def _title(cover: CoverSheet) -> str:
    return " ".join(cell.text.strip() for cell in cover.titles[:2]) or "Annual plan"


__all__ = [
    "HISTORY_COLUMNS",
    "ConsolidateResult",
    "consolidate",
    "history_rows_from",
    "split_update",
]
