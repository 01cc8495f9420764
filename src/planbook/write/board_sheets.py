"""The board workbook's own sheets: Summary (with charts), Changes and History.

Rendering only: the figures (per service, per council, month by month) are worked out
by ``planbook.board``, last month's History is read by ``planbook.consolidate``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from planbook.board import BUCKETS, HISTORY_COLUMNS, BoardFigures, HistoryRow
from planbook.derive import SEVERITY_ORDER
from planbook.diff import CSV_COLUMNS, PlanChange
from planbook.display import shorten
from planbook.write.xlsx import BORDER, DATE_FORMAT, HEADER, RAG_COLOURS, ExtraSheet, Formats

SUMMARY_SHEET, CHANGES_SHEET, HISTORY_SHEET = "Summary", "Changes", "History"
_BUCKET_NAMES = {"R": "R", "A": "A", "G": "G", "B": "B", "none": "no date"}


def summary_sheets(figures: BoardFigures) -> list[ExtraSheet]:
    """Summary always; Changes with last month's workbook; History always (so next month
    has rows to carry forward)."""
    sheets: list[ExtraSheet] = [
        (SUMMARY_SHEET, lambda ws, wb, fm: _write_summary(ws, wb, fm, figures)),
    ]
    changes = figures.changes
    if changes is not None:
        sheets.append((CHANGES_SHEET, lambda ws, wb, fm: _write_changes(ws, fm, changes)))
    sheets.append(
        (
            HISTORY_SHEET,
            lambda ws, wb, fm: _write_history(ws, wb, fm, figures.history, figures.months),
        )
    )
    return sheets


def _table(
    worksheet: Any,
    formats: Formats,
    top: int,
    headings: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    whole_text: bool = False,
) -> int:
    """A plain table at row ``top`` (0-based); returns the row after it. Text is one line
    a row, cut short, unless ``whole_text`` (wrapped, in full)."""
    for column, heading in enumerate(headings):
        worksheet.write_string(top, column, heading, formats(**HEADER))
    for offset, values in enumerate(rows, start=1):
        for column, value in enumerate(values):
            if isinstance(value, dt.date):
                worksheet.write_datetime(
                    top + offset,
                    column,
                    dt.datetime.combine(value, dt.time()),
                    formats(num_format=DATE_FORMAT, **BORDER),
                )
            elif isinstance(value, int | float) and not isinstance(value, bool):
                worksheet.write_number(top + offset, column, value, formats(**BORDER))
            elif whole_text:
                worksheet.write_string(top + offset, column, str(value), formats(**BORDER))
            else:  # one line a row: the full texts are on the service sheets
                text = shorten(str(value), 90)
                worksheet.write_string(
                    top + offset, column, text, formats(text_wrap=False, **BORDER)
                )
    return top + len(rows) + 2


def _rag_chart(
    workbook: Any, sheet_name: str, first: int, last: int, title: str, kind: str = "bar"
) -> Any:
    """Stacked R/A/G/B bars (or lines) over rows ``first..last`` (0-based), categories in
    column A and the letters in columns B..E."""
    chart = workbook.add_chart(
        {"type": kind, "subtype": "stacked"} if kind != "line" else {"type": "line"}
    )
    quoted = "'" + sheet_name.replace("'", "''") + "'"
    colours = {**{letter: RAG_COLOURS[letter][0] for letter in SEVERITY_ORDER}, "none": "#BFBFBF"}
    for offset, bucket in enumerate(BUCKETS, start=1):
        fill = colours[bucket]
        series: dict[str, Any] = {
            "name": [sheet_name, first - 1, offset],
            "categories": f"={quoted}!$A${first + 1}:$A${last + 1}",
            "values": [sheet_name, first, offset, last, offset],
        }
        if kind == "line":
            series["line"] = {"color": fill, "width": 2.25}
        else:
            series["fill"] = {"color": fill}
        chart.add_series(series)
    chart.set_title({"name": title})
    chart.set_legend({"position": "bottom"})
    if kind == "bar":
        chart.set_y_axis({"reverse": True})  # the first row of the table at the top
    return chart


def _write_summary(worksheet: Any, workbook: Any, formats: Formats, figures: BoardFigures) -> None:
    summary = figures.summary
    as_of = _day(summary["as_of"]).strftime("%d/%m/%Y")
    worksheet.write_string(
        0,
        0,
        f"Board summary as of {as_of} (amber: due within {summary['amber_days']} days)",
        formats(bold=True, font_size=14, text_wrap=False),
    )
    headings = ["Service", *SEVERITY_ORDER, "no date", "items", "milestones"]
    services = [
        [
            s["sheet"],
            *(s["items_by_rag"][b] for b in BUCKETS),
            s["items"],
            s["milestones"],
        ]
        for s in summary["services"]
    ]
    top = 2
    after_services = _table(worksheet, formats, top, headings, services)
    if services:
        chart = _rag_chart(
            workbook, SUMMARY_SHEET, top + 1, top + len(services), "Items by derived RAG"
        )
        worksheet.insert_chart(top, len(headings) + 1, chart)
    councils = [
        [c["council"], *(c["items_by_rag"][b] for b in BUCKETS), c["items"]]
        for c in figures.councils
    ]
    council_top = max(after_services, top + 17)
    after_councils = _table(
        worksheet, formats, council_top, ["Council", *SEVERITY_ORDER, "no date", "items"], councils
    )
    if councils:
        chart = _rag_chart(
            workbook,
            SUMMARY_SHEET,
            council_top + 1,
            council_top + len(councils),
            "Items by council",
        )
        worksheet.insert_chart(council_top, len(headings) + 1, chart)
    late_top = max(after_councils, council_top + 17)
    worksheet.write_string(late_top, 0, "Late", formats(bold=True, font_size=12, text_wrap=False))
    late = [
        [e["sheet"], _day(e["due"]), e["days_late"], e["status"], _what(e)] for e in summary["late"]
    ]
    soon_top = _table(
        worksheet,
        formats,
        late_top + 1,
        ["Service", "Due", "Days late", "Status", "Item: milestone"],
        late,
    )
    worksheet.write_string(
        soon_top,
        0,
        f"Due in the next {summary['amber_days']} days",
        formats(bold=True, font_size=12, text_wrap=False),
    )
    soon = [
        [e["sheet"], _day(e["due"]), e["days_to_go"], e["status"], _what(e)]
        for e in summary["due_soon"]
    ]
    _table(
        worksheet,
        formats,
        soon_top + 1,
        ["Service", "Due", "Days to go", "Status", "Item: milestone"],
        soon,
    )
    # Counts stand in B..H; the late tables' last column runs on to the right, unwrapped.
    for column, width in enumerate((34, 11, 10, 12, 10, 9, 8, 11)):
        worksheet.set_column(column, column, width)


def _what(entry: dict[str, Any]) -> str:
    item, milestone = entry["description"], entry["milestone"]
    return f"{shorten(item, 60)}: {shorten(milestone, 60)}" if milestone else shorten(item, 100)


def _day(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


def _write_changes(worksheet: Any, formats: Formats, changes: list[PlanChange]) -> None:
    rows = []
    for change in changes:
        data = {**change.to_dict(), "kind": change.kind.replace("_", " ")}
        rows.append([data.get(column, "") for column in CSV_COLUMNS])
    _table(worksheet, formats, 0, CSV_COLUMNS, rows, whole_text=True)
    for column, width in enumerate((16, 22, 40, 40, 12, 30, 30, 8, 8)):
        worksheet.set_column(column, column, width)
    worksheet.freeze_panes(1, 0)
    worksheet.autofilter(0, 0, len(rows), len(CSV_COLUMNS) - 1)


def _write_history(
    worksheet: Any,
    workbook: Any,
    formats: Formats,
    rows: list[HistoryRow],
    months: list[tuple[dt.date, list[int]]],
) -> None:
    """Every month's per-service rows (carried forward), totals by month beside, a chart.

    Written row by row, the two blocks together: the workbook flushes each row as it is
    left (constant-memory mode), so nothing may go back up."""
    left = len(HISTORY_COLUMNS) + 1
    header, cell, date = formats(**HEADER), formats(**BORDER), formats(num_format=DATE_FORMAT)
    for column, heading in enumerate(HISTORY_COLUMNS):
        worksheet.write_string(0, column, heading, header)
    worksheet.write_string(0, left, "month", header)
    for offset, bucket in enumerate(BUCKETS, start=1):
        worksheet.write_string(0, left + offset, _BUCKET_NAMES[bucket], header)
    for index in range(1, max(len(rows), len(months)) + 1):
        if index <= len(rows):
            day, service, *counts = rows[index - 1]
            moment = dt.datetime.combine(day, dt.time())
            worksheet.write_datetime(index, 0, moment, formats(num_format=DATE_FORMAT, **BORDER))
            worksheet.write_string(index, 1, service, cell)
            for column, count in enumerate(counts, start=2):
                worksheet.write_number(index, column, count, cell)
        if index <= len(months):
            day, month_counts = months[index - 1]
            worksheet.write_datetime(index, left, dt.datetime.combine(day, dt.time()), date)
            for offset, count in enumerate(month_counts, start=1):
                worksheet.write_number(index, left + offset, count, formats())
    if months:
        chart = workbook.add_chart({"type": "line"})
        for offset, letter in enumerate(SEVERITY_ORDER, start=1):
            chart.add_series(
                {
                    "name": [HISTORY_SHEET, 0, left + offset],
                    "categories": [HISTORY_SHEET, 1, left, len(months), left],
                    "values": [HISTORY_SHEET, 1, left + offset, len(months), left + offset],
                    "line": {"color": RAG_COLOURS[letter][0], "width": 2.25},
                    "marker": {"type": "circle"},
                }
            )
        chart.set_x_axis({"date_axis": True, "num_format": "dd/mm/yyyy"})
        chart.set_title({"name": "Items by derived RAG, month by month"})
        chart.set_legend({"position": "bottom"})
        worksheet.insert_chart(len(months) + 3, left, chart)
    worksheet.set_column(0, 0, 12)
    worksheet.set_column(1, 1, 24)
    worksheet.set_column(left, left, 12)
