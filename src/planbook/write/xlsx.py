"""Writing the output model as an .xlsx with XlsxWriter: the same layout, tidied and
coloured, with live Derived RAG formulas, dropdowns, a Legend and a Findings sheet.

Every cell of the model is written where the model says, with a format chosen by its
role (header label, title, table header, data, marker...). Text is always written as
text: a value starting with ``=``, ``+``, ``-`` or ``@`` never becomes a formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planbook.columns import (
    AMBER_NAME,
    AS_OF_NAME,
    DATE_FORMAT,
    PLANBOOK_COLUMNS,
    cached_values,
    derived_rag_formula,
    derived_values,
    excel_serial,
    excel_text,
    parsed_due_formula,
)
from planbook.derive import Derivation, MilestoneRag, Settings, format_day
from planbook.findings import Report
from planbook.model import (
    CHANGE_LOG_SHEET,
    EXCEL_CELL_LIMIT,
    FINDINGS_SHEET,
    GENERATED_MARK,
    LEGEND_SHEET,
    Cell,
    CellValue,
    Comment,
    CoverSheet,
    Plan,
    PlanSheet,
    Segment,
    Sheet,
    Table,
    TableRow,
    column_letter,
    free_sheet_name,
)
from planbook.schemas import Vocabularies

# AS_OF_NAME, AMBER_NAME, DATE_FORMAT and excel_serial are planbook.columns'; board_sheets
# and the tests import them from here too. _excel_text: the quoting helper's old name.
_excel_text = excel_text

RAG_COLOURS: dict[str, tuple[str, str]] = {  # letter -> (fill, font)
    "R": ("#FF0000", "#FFFFFF"),
    "A": ("#FFC000", "#000000"),
    "G": ("#00B050", "#FFFFFF"),
    "B": ("#0070C0", "#FFFFFF"),
}
RAG_MEANINGS = {
    "R": "late",
    "A": "risk of delay, or paused",
    "G": "on track",
    "B": "complete",
}
_BASE = {"text_wrap": True, "valign": "top", "font_name": "Calibri", "font_size": 11}
BORDER = {"border": 1, "border_color": "#BFBFBF"}
HEADER = {"bold": True, "bg_color": "#D9D9D9", **BORDER}
_NONE: dict[str, Any] = {}  # the role of a cell with none: one object, one cached format
_MAX_URLS = 65_000  # Excel's limit is 65,530 hyperlinks a sheet


class Formats:
    """One XlsxWriter format per distinct set of properties, made on first use."""

    def __init__(self, workbook: Any) -> None:
        self._workbook = workbook
        self._made: dict[tuple[tuple[str, Any], ...], Any] = {}

    def __call__(self, **properties: Any) -> Any:
        merged = {**_BASE, **properties}
        merged.pop("fit", None)  # a sizing hint, not a format property
        key = tuple(sorted(merged.items()))
        if key not in self._made:
            self._made[key] = self._workbook.add_format(merged)
        return self._made[key]


@dataclass
class _SheetWriter:
    """Collects a sheet's cells and formulas with their formats, sizes its columns and
    rows, then writes it all in row order: the workbook is written in XlsxWriter's
    constant-memory mode, which flushes each row as it is left behind."""

    worksheet: Any
    formats: Formats
    roles: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    widths: dict[int, int] = field(default_factory=dict)
    #: (row, column, text) of every wrapped text, for the row heights.
    wrapped: list[tuple[int, int, str]] = field(default_factory=list)
    #: What to write: (row, column, value or formula, format role or format, cached value).
    writes: list[tuple[int, int, Any, Any, Any]] = field(default_factory=list)
    _by_role: dict[tuple[int, str | None], Any] = field(default_factory=dict)

    def role(self, cells: Iterable[Cell], **properties: Any) -> None:
        for cell in cells:
            self.roles[(cell.row, cell.column)] = properties

    def add_cells(self, cells: Iterable[Cell]) -> None:
        for cell in cells:
            value = cell.value
            if value is None or value == "":
                continue
            role = self.roles.get((cell.row, cell.column), _NONE)
            self.writes.append((cell.row, cell.column, value, role, None))
            self._measure(cell.row, cell.column, value, role)

    def add_formula(
        self, row: int, column: int, formula: str, cell_format: Any, cached: Any
    ) -> None:
        self.writes.append((row, column, _Formula(formula), cell_format, cached))

    def add_comments(self, comments: Iterable[Comment]) -> None:
        """The leads' notes, each at its cell: written in row order with the cells, as
        constant-memory mode refuses (silently) a note on a row already left behind."""
        for comment in comments:
            self.writes.append((comment.row, comment.column, comment, None, None))

    def format(self, role: dict[str, Any], number_format: str | None = None) -> Any:
        """The format of a role (the same dict object for every cell of that role)."""
        key = (id(role), number_format)
        made = self._by_role.get(key)
        if made is None:
            extra = {"num_format": number_format} if number_format else {}
            made = self._by_role[key] = self.formats(**role, **extra)
        return made

    def _measure(self, row: int, column: int, value: CellValue, role: dict[str, Any]) -> None:
        if isinstance(value, str):
            if role.get("text_wrap", True):
                self.fit(column, value)
                self.wrapped.append((row, column, value))
            elif role.get("fit"):
                self.fit(column, value)
        elif isinstance(value, bool):
            return
        elif isinstance(value, int | float):
            self.fit(column, str(value))
        elif isinstance(value, dt.datetime):
            self.fit(column, "00/00/0000 00:00")
        elif isinstance(value, dt.date):
            self.fit(column, "00/00/0000")

    def fit(self, column: int, text: str) -> None:
        longest = max((len(line) for line in text.splitlines()), default=0)
        self.widths[column] = max(self.widths.get(column, 0), longest)

    def flush(self, caps: dict[int, int] | None = None) -> None:
        """Columns fitted to their text (capped), rows tall enough for wrapped text
        (XlsxWriter cannot ask the spreadsheet to fit them when the file opens), then
        every cell, row by row."""
        fitted = {
            column: min(max(width + 2, 8), (caps or {}).get(column, 60))
            for column, width in self.widths.items()
        }
        for column, width in sorted(fitted.items()):
            self.worksheet.set_column(column - 1, column - 1, width)
        lines: dict[int, int] = {}
        for row, column, text in self.wrapped:
            # Why 1.15: a column's width counts wide digits; text averages narrower.
            per_line = max(int(fitted.get(column, 8) * 1.15) - 1, 1)
            count = sum(max(1, -(-len(line) // per_line)) for line in text.splitlines() or [""])
            lines[row] = max(lines.get(row, 1), count)
        current = 0
        for row, column, value, style, cached in sorted(self.writes, key=lambda w: w[:2]):
            if row != current:
                current = row
                if lines.get(row, 1) > 1:
                    self.worksheet.set_row(row - 1, min(15 * lines[row], 409))
            if isinstance(value, _Formula):
                self.worksheet.write_formula(row - 1, column - 1, value, style, cached)
            elif isinstance(value, Comment):
                self._write_note(value)
            else:
                self._write_value(row, column, value, style)
        self.writes.clear()

    def _write_note(self, comment: Comment) -> None:
        text = _within_limit(comment.text)
        options = {"author": comment.author} if comment.author else {}
        self.worksheet.write_comment(comment.row - 1, comment.column - 1, text, options)

    def _write_value(self, row: int, column: int, value: CellValue, role: dict[str, Any]) -> None:
        sheet, r, c = self.worksheet, row - 1, column - 1
        if isinstance(value, str):
            sheet.write_string(r, c, value[:EXCEL_CELL_LIMIT], self.format(role))  # cut: logged
        elif isinstance(value, bool):
            sheet.write_boolean(r, c, value, self.format(role))
        elif isinstance(value, int | float):
            sheet.write_number(r, c, value, self.format(role))
        elif isinstance(value, dt.datetime):
            sheet.write_datetime(r, c, value, self.format(role, "dd/mm/yyyy hh:mm"))
        elif isinstance(value, dt.date):
            date_time = dt.datetime.combine(value, dt.time())
            sheet.write_datetime(r, c, date_time, self.format(role, DATE_FORMAT))
        else:  # a time of day
            sheet.write_datetime(r, c, value, self.format(role, "hh:mm"))


class _Formula(str):
    """A formula planbook wrote itself (text from a cell never becomes one)."""


def _within_limit(text: str) -> str:
    """At most Excel's 32,767 UTF-16 units a note (XlsxWriter drops a longer one)."""
    while len(text.encode("utf-16-le")) // 2 > EXCEL_CELL_LIMIT:
        excess = len(text.encode("utf-16-le")) // 2 - EXCEL_CELL_LIMIT
        text = text[: min(len(text) - excess, EXCEL_CELL_LIMIT)]
    return text


def write_xlsx(
    path: Path,
    plan: Plan,
    *,
    derivation: Derivation,
    report: Report,
    vocabularies: Vocabularies,
    live_as_of: bool,
    title: str,
    extra_sheets: Sequence[ExtraSheet] = (),
    extras_after: int = 0,
) -> None:
    """Write ``plan`` (an output model from ``prepare``) to ``path``; ``extra_sheets``
    (name, writer) go after the first ``extras_after`` sheets of the plan."""
    import xlsxwriter

    settings = derivation.settings
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            # Each row is flushed to disk as it is left: memory stays flat on big plans.
            "constant_memory": True,
        },
    )
    stamp = dt.datetime.combine(settings.as_of, dt.time())
    workbook.set_properties(
        {
            "title": title,
            "subject": "Annual plan",
            "comments": f"Formatted by planbook; derived RAG as of {settings.as_of.isoformat()}, "
            f"amber within {settings.amber_days} days",
            "created": stamp,
        }
    )
    workbook.set_custom_property("planbook as of", settings.as_of.isoformat())
    formats = Formats(workbook)
    for position, sheet in enumerate(plan.sheets):
        if position == extras_after:
            _add_extra_sheets(workbook, formats, extra_sheets)
        worksheet = _plain_formulas(workbook.add_worksheet(sheet.name))
        writer = _SheetWriter(worksheet, formats)
        if isinstance(sheet, PlanSheet):
            _write_plan_sheet(writer, sheet, vocabularies, derivation)
        elif isinstance(sheet, CoverSheet):
            _write_cover(writer, sheet)
        else:
            _write_other(writer, sheet)
        _set_state(worksheet, sheet)
        _print_setup(worksheet)
    if extras_after >= len(plan.sheets):
        _add_extra_sheets(workbook, formats, extra_sheets)
    taken = {sheet.name.casefold() for sheet in plan.sheets}
    taken |= {name.casefold() for name, _ in extra_sheets}
    findings_name, legend_name = (
        free_sheet_name(FINDINGS_SHEET, taken),
        free_sheet_name(LEGEND_SHEET, taken),
    )
    for name, write in (
        (findings_name, lambda sheet: _write_findings(sheet, formats, report, settings)),
        (legend_name, lambda sheet: _write_legend(sheet, formats, settings, live_as_of)),
    ):
        worksheet = workbook.add_worksheet(name)
        write(worksheet)
        _print_setup(worksheet)
    quoted = "'" + legend_name.replace("'", "''") + "'"
    workbook.define_name(AS_OF_NAME, f"={quoted}!$B$3")
    workbook.define_name(AMBER_NAME, f"={quoted}!$B$4")
    workbook.close()


def _plain_formulas(worksheet: Any) -> Any:
    """planbook's formulas use no Excel 365 functions, so XlsxWriter's ~30 regular
    expressions a formula that rename them (``FILTER`` to ``_xlfn._xlws.FILTER``) only
    cost time: most of the write of a big plan. Its preparation is reduced to what our
    formulas need. Nothing else is written as a formula (text never becomes one)."""
    if hasattr(worksheet, "_prepare_formula"):
        worksheet._prepare_formula = lambda formula, expand=False: formula.lstrip("=")
    return worksheet


#: A sheet another stage writes into the same workbook: its name, and a function of
#: (worksheet, workbook, formats) that fills it.
ExtraSheet = tuple[str, Callable[[Any, Any, "Formats"], None]]


def _add_extra_sheets(workbook: Any, formats: Formats, extra_sheets: Sequence[ExtraSheet]) -> None:
    for name, write in extra_sheets:
        worksheet = workbook.add_worksheet(name)
        write(worksheet, workbook, formats)
        _print_setup(worksheet)


def _set_state(worksheet: Any, sheet: Sheet) -> None:
    if sheet.state == "hidden":
        worksheet.hide()
    elif sheet.state == "veryHidden":
        worksheet.very_hidden()


def _write_plan_sheet(
    writer: _SheetWriter, sheet: PlanSheet, vocabularies: Vocabularies, derivation: Derivation
) -> None:
    for entry in sheet.header:
        writer.role([entry.label], bold=True, text_wrap=False, fit=True)
        if entry.value is not None:
            writer.role([entry.value], text_wrap=False, align="left")
    writer.role(sheet.notes, italic=True, font_color="#595959", text_wrap=False)
    for table in sheet.tables:
        if table.title is not None:
            writer.role([table.title], bold=True, font_size=12, text_wrap=False)
        writer.role(table.header.values(), **HEADER)
        writer.role(table.extra_columns, **HEADER)
        for cells in table.repeated_headers:
            writer.role(cells, **HEADER)
        writer.role(table.markers, italic=True, font_color="#808080")
        for item in table.items:
            for row in item.rows:
                writer.role(row.all_cells(), **BORDER)
            if item.ref is not None:
                writer.role([item.ref], bold=True, **BORDER)
    ours = {column.name for column in PLANBOOK_COLUMNS}
    generated = {
        (cell.row, cell.column)
        for table in sheet.tables
        for item in table.items
        for row in item.rows
        for name, cell in row.cells.items()
        if name in ours
    }
    writer.add_cells(cell for cell in sheet.cells() if (cell.row, cell.column) not in generated)
    writer.add_comments(sheet.comments)
    for table in sheet.tables:
        if "rag_derived" in table.header:
            _write_derived_columns(writer, sheet, table, vocabularies, derivation)
            _colour_table(writer, table, vocabularies)
        _add_dropdowns(writer, table, vocabularies)
    caps = {}
    for table in sheet.tables:
        for name, cell in table.header.items():
            caps[cell.column] = {"progress": 90, "description": 50, "milestone": 45}.get(name, 30)
    writer.flush(caps)
    _page_setup(writer.worksheet, sheet)


def _write_derived_columns(
    writer: _SheetWriter,
    sheet: PlanSheet,
    table: Table,
    vocabularies: Vocabularies,
    derivation: Derivation,
) -> None:
    """Parsed Due Date and Derived RAG: formulas, live in Excel, with planbook's values
    cached; each row reads the columns of its own segment of the table."""
    segments = table.segments
    for item in table.items:
        for row in item.milestones:
            segment = next(s for s in reversed(segments) if s.header_row <= row.row)
            milestone = derivation.milestone(sheet.name, row.row)
            _write_derived_row(writer, row, segment.columns, vocabularies, milestone)
    for segment in segments:
        for name, width in (("rag_derived", 11), ("due_parsed", 13)):
            if name in segment.columns:
                column = segment.columns[name]
                writer.widths[column] = max(writer.widths.get(column, 0), width)


def _write_derived_row(
    writer: _SheetWriter,
    row: TableRow,
    columns: dict[str, int],
    vocabularies: Vocabularies,
    milestone: MilestoneRag | None,
) -> None:
    """The row's two formulas (planbook.columns), cached with the derivation's values."""
    formats, r = writer.formats, row.row
    parsed_column, derived_column = columns["due_parsed"], columns["rag_derived"]
    parsed_ref = f"{column_letter(parsed_column)}{r}"
    status_ref = f"{column_letter(columns['status'])}{r}" if "status" in columns else None
    due_written = row.get("due")
    # Live only where the lead wrote a real date: a plain number is no date to planbook,
    # so Excel must not take it for one either.
    live = "due" in columns and due_written is not None and isinstance(due_written.value, dt.date)
    due_ref = f"{column_letter(columns['due'])}{r}" if live else None
    cached_rag, cached_date = cached_values(milestone)
    writer.add_formula(
        r,
        parsed_column,
        "=" + parsed_due_formula(due_ref, derived_values(milestone)[1]),
        formats(num_format=DATE_FORMAT, **BORDER),
        cached_date,
    )
    writer.add_formula(
        r,
        derived_column,
        "=" + derived_rag_formula(status_ref, parsed_ref, vocabularies.status),
        formats(bold=True, align="center", **BORDER),
        cached_rag,
    )


def _colour_table(writer: _SheetWriter, table: Table, vocabularies: Vocabularies) -> None:
    """RAG colours, late due dates, complete milestones greyed: segment by segment."""
    for segment in table.segments:
        if segment.last_row > segment.header_row:
            _colour_segment(writer, segment, vocabularies)


def _colour_segment(writer: _SheetWriter, segment: Segment, vocabularies: Vocabularies) -> None:
    worksheet, formats, columns = writer.worksheet, writer.formats, segment.columns
    first, last = segment.header_row, segment.last_row  # 0-based data rows first..last-1
    for name in ("rag", "rag_derived"):
        if name not in columns:
            continue
        column = columns[name] - 1
        for letter, (fill, font) in RAG_COLOURS.items():
            worksheet.conditional_format(
                first,
                column,
                last - 1,
                column,
                {
                    "type": "cell",
                    "criteria": "==",
                    "value": f'"{letter}"',
                    "format": formats(bg_color=fill, font_color=font, bold=True, **BORDER),
                },
            )
    # No complete status configured: nothing is complete (an empty status is not).
    complete = vocabularies.status.complete
    complete_text = excel_text(complete) if complete else None
    status_ref = f"${column_letter(columns['status'])}{first + 1}" if "status" in columns else None
    if "due" in columns and "due_parsed" in columns:
        parsed = f"${column_letter(columns['due_parsed'])}{first + 1}"
        not_done = f",{status_ref}<>{complete_text}" if status_ref and complete_text else ""
        column = columns["due"] - 1
        worksheet.conditional_format(
            first,
            column,
            last - 1,
            column,
            {
                "type": "formula",
                "criteria": f"=AND(ISNUMBER({parsed}),{parsed}<{AS_OF_NAME}{not_done})",
                "format": formats(bg_color="#FFE0E0", font_color="#C00000", bold=True, **BORDER),
            },
        )
    if status_ref and complete_text:
        worksheet.conditional_format(
            first,
            min(columns.values()) - 1,
            last - 1,
            max(columns.values()) - 1,
            {
                "type": "formula",
                "criteria": f"={status_ref}={complete_text}",
                "format": formats(font_color="#808080", **BORDER),
            },
        )


def _add_dropdowns(writer: _SheetWriter, table: Table, vocabularies: Vocabularies) -> None:
    """Delivery Status and RAG from the schema's words, so the next edit cannot invent one."""
    choices = {
        "status": list(vocabularies.status.values),
        "rag": [*vocabularies.rag.values, *vocabularies.rag.not_applicable[:1]],
    }
    for segment in table.segments:
        first, last = segment.header_row, max(segment.last_row, segment.header_row + 1)
        for name, values in choices.items():
            if name not in segment.columns:
                continue
            column = segment.columns[name] - 1
            writer.worksheet.data_validation(
                first,
                column,
                last - 1,
                column,
                {
                    "validate": "list",
                    "source": values,
                    "error_title": "Not a known value",
                    "error_message": "Choose one of: " + ", ".join(values),
                },
            )


def _print_setup(worksheet: Any) -> None:
    worksheet.set_landscape()
    worksheet.set_paper(9)  # A4
    worksheet.fit_to_pages(1, 0)


def _page_setup(worksheet: Any, sheet: PlanSheet) -> None:
    if sheet.tables:
        first = sheet.tables[0]
        worksheet.repeat_rows(first.header_row - 1)
        description = first.header.get("description")
        if description is not None:
            worksheet.freeze_panes(0, description.column)


def _write_cover(writer: _SheetWriter, sheet: CoverSheet) -> None:
    writer.role(sheet.titles, bold=True, font_size=14, text_wrap=False)
    for table in (sheet.version_control, sheet.configuration_control):
        if table is None:
            continue
        writer.role([table.title], bold=True, font_size=12, text_wrap=False)
        writer.role(table.header, **HEADER)
        for row in table.rows:
            writer.role(row.cells.values(), **BORDER)
    writer.add_cells(sheet.cells())
    writer.flush(dict.fromkeys(writer.widths, 40))


def _write_other(writer: _SheetWriter, sheet: Sheet) -> None:
    cells = list(sheet.cells())
    if sheet.name == CHANGE_LOG_SHEET:
        writer.role((cell for cell in cells if cell.row == 1), **HEADER)
    writer.add_cells(cells)
    writer.flush()


def _write_findings(worksheet: Any, formats: Formats, report: Report, settings: Settings) -> None:
    worksheet.write_string(
        0,
        0,
        f"{GENERATED_MARK} findings as of {format_day(settings.as_of)}",
        formats(bold=True, text_wrap=False),
    )
    columns = ("severity", "code", "sheet", "cell", "value", "message", "suggestion")
    for column, name in enumerate(columns):
        worksheet.write_string(2, column, name, formats(**HEADER))
    link = formats(font_color="#0563C1", underline=1)
    for index, finding in enumerate(report.findings):
        row = 3 + index
        values = finding.to_dict()
        for column, name in enumerate(columns):
            text = values[name]
            if name == "cell" and text and index < _MAX_URLS:
                target = "'" + finding.sheet.replace("'", "''") + "'!" + text
                worksheet.write_url(row, column, f"internal:{target}", link, string=text)
            elif text:
                worksheet.write_string(row, column, text, formats())
    for column, width in enumerate((9, 7, 22, 7, 30, 70, 50)):
        worksheet.set_column(column, column, width)
    worksheet.freeze_panes(3, 0)
    worksheet.autofilter(2, 0, 2 + len(report.findings), len(columns) - 1)


def _write_legend(worksheet: Any, formats: Formats, settings: Settings, live: bool) -> None:
    worksheet.write_string(0, 0, f"{GENERATED_MARK} legend", formats(bold=True, text_wrap=False))
    worksheet.write_string(2, 0, "As of", formats(bold=True))
    date_format = formats(num_format=DATE_FORMAT)
    if live:
        worksheet.write_formula(2, 1, "=TODAY()", date_format, excel_serial(settings.as_of))
    else:
        worksheet.write_datetime(2, 1, dt.datetime.combine(settings.as_of, dt.time()), date_format)
    worksheet.write_string(3, 0, "Amber window (days)", formats(bold=True))
    worksheet.write_number(3, 1, settings.amber_days, formats())
    worksheet.write_string(5, 0, "RAG", formats(**HEADER))
    worksheet.write_string(5, 1, "meaning", formats(**HEADER))
    for offset, (letter, (fill, font)) in enumerate(RAG_COLOURS.items()):
        worksheet.write_string(
            6 + offset,
            0,
            letter,
            formats(bg_color=fill, font_color=font, bold=True, align="center"),
        )
        worksheet.write_string(6 + offset, 1, RAG_MEANINGS[letter], formats())
    notes = (
        (
            "Due date",
            "late: past the as-of date and not complete",
            {"bg_color": "#FFE0E0", "font_color": "#C00000"},
        ),
        ("Grey text", "a complete milestone", {"font_color": "#808080"}),
    )
    for offset, (label, meaning, style) in enumerate(notes):
        worksheet.write_string(11 + offset, 0, label, formats(**style))
        worksheet.write_string(11 + offset, 1, meaning, formats())
    explanation = (
        "Derived RAG is recalculated by Excel from Parsed Due Date and Delivery Status "
        "whenever the file opens. Parsed Due Date is the date planbook read from the Due "
        "Dates text; a real date typed into Due Dates is used as it stands. Run planbook "
        "format again after changing a due date written as text."
    )
    worksheet.set_row(14, 105)
    worksheet.write_string(14, 0, "How it works", formats(bold=True))
    worksheet.write_string(14, 1, explanation, formats())
    worksheet.set_column(0, 0, 22)
    worksheet.set_column(1, 1, 50)
