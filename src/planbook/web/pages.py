"""The web page's HTML, rendered on the server: the forms, the check's findings on their
tables, the board view (the board pack's own sections) and the error page.

No scripts: forms post and buttons choose where (``formaction``), so it all works with
JavaScript off. Every URL is relative, so a reverse proxy may serve planbook under any
path. Every text from a workbook goes through ``_text`` (escaped, control characters
shown escaped): a cell holding ``<script>`` or ``=HYPERLINK(...)`` shows as that text.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from html import escape
from itertools import groupby

from planbook.display import safe, shorten
from planbook.findings import Finding, Report
from planbook.model import Cell, Plan, column_letter

#: Per sheet, at most this many findings are drawn on its table and listed; the JSON
#: and the formatted workbook's Findings sheet have them all.
FINDINGS_SHOWN = 300
#: Rows either side of a finding's row drawn with it, for context.
CONTEXT_ROWS = 1
#: Columns drawn at most: a plan's table is a dozen wide.
MAX_COLUMNS = 30

PAGE_CSS = """\
body { font: 15px/1.45 system-ui, "Segoe UI", Arial, sans-serif; margin: 0; color: #111;
  background: #f6f7f8; }
header.top { background: #1f3b57; color: #fff; padding: 10px 24px; }
header.top a { color: #fff; text-decoration: none; font-weight: 700; font-size: 18px; }
main { padding: 12px 24px 40px; max-width: 1400px; }
form.box { background: #fff; border: 1px solid #ccd; border-radius: 6px; padding: 12px 16px;
  margin: 12px 0; }
form.box h2 { margin-top: 0; font-size: 18px; }
label { display: inline-block; margin: 6px 18px 6px 0; }
input[type=file] { display: block; margin-top: 4px; padding: 14px; border: 2px dashed #99a;
  border-radius: 6px; background: #fafbfc; min-width: 320px; }
.buttons button { margin: 8px 8px 0 0; padding: 7px 14px; font-size: 15px; cursor: pointer; }
.buttons button.primary { background: #1f3b57; color: #fff; border: 1px solid #1f3b57; }
.hint { color: #555; font-size: 13px; margin: 4px 0; }
.error-line { background: #fde8ea; border-left: 6px solid #c8102e; padding: 10px 14px;
  font-family: ui-monospace, Consolas, monospace; }
.counts span { display: inline-block; margin-right: 14px; font-weight: 700; }
.counts .error { color: #a00; } .counts .warning { color: #8a5a00; }
.counts .info { color: #1f5fa8; }
section.sheet { background: #fff; border: 1px solid #ccd; border-radius: 6px;
  padding: 8px 14px; margin: 14px 0; }
.sheet-body { display: flex; gap: 18px; align-items: flex-start; }
.grid-wrap { overflow-x: auto; flex: 3; min-width: 0; }
table.grid { border-collapse: collapse; font-size: 12px; }
table.grid th { background: #e8eaed; font-weight: 600; padding: 2px 5px;
  border: 1px solid #c8ccd0; }
table.grid td { border: 1px solid #d8dbde; padding: 2px 5px; max-width: 220px;
  vertical-align: top; white-space: pre-wrap; overflow-wrap: anywhere; }
table.grid tr.gap td { background: #f0f1f2; text-align: center; color: #666; }
table.grid tr.header td { font-weight: 700; background: #f3f4f6; }
table.grid td.finding { outline: 3px solid #c8102e; outline-offset: -3px;
  background: #fde8ea; }
table.grid td.finding.warning { outline-color: #d98b00; background: #fff4dc; }
table.grid td.finding.info { outline-color: #1f5fa8; background: #e7f0fb; }
ol.findings { flex: 2; margin: 0; padding-left: 20px; font-size: 14px; }
ol.findings li { margin-bottom: 6px; }
.sev { font-weight: 700; text-transform: uppercase; font-size: 11px; padding: 1px 4px;
  border-radius: 3px; }
.sev.error { background: #c8102e; color: #fff; } .sev.warning { background: #f2a900; }
.sev.info { background: #1f5fa8; color: #fff; }
.fix { color: #0a5d2a; }
.board-view { background: #fff; border: 1px solid #ccd; border-radius: 6px;
  padding: 8px 14px; margin: 14px 0; }
"""


def _text(value: object, limit: int | None = None) -> str:
    text = "" if value is None else str(value)
    if limit is not None:
        text = shorten(text, limit)
    return escape(safe(text), quote=True)


def page(title: str, body: str, *, stylesheets: Sequence[str] = ("static/planbook.css",)) -> str:
    links = "".join(f'<link rel="stylesheet" href="{escape(s)}">' for s in stylesheets)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_text(title)}</title>{links}</head><body>"
        '<header class="top"><a href="./">planbook</a></header>'
        f"<main>{body}</main></body></html>\n"
    )


def _date_input(as_of: dt.date | None) -> str:
    value = f' value="{as_of.isoformat()}"' if as_of is not None else ""
    return (
        '<label>As of <input type="date" name="as_of"' + value + "></label>"
        '<label>Amber within <input type="number" name="amber_days" min="0" max="3650" '
        'value="30" size="4"> days</label>'
    )


def check_form(as_of: dt.date | None = None, *, again: bool = False) -> str:
    hint = (
        "Choose the same workbook again to download its formatted copy or CSVs."
        if again
        else "Choose a workbook, or drop it on the box. Leave the date empty for today."
    )
    return (
        '<form class="box" method="post" action="check" enctype="multipart/form-data">'
        "<h2>Check a service workbook</h2>"
        f'<p class="hint">{escape(hint)}</p>'
        '<label>Workbook <input type="file" name="workbook" accept=".xlsx,.xlsm" required>'
        "</label>"
        f"{_date_input(as_of)}"
        '<div class="buttons">'
        '<button class="primary" type="submit">Check</button>'
        '<button type="submit" formaction="format">Download formatted workbook</button>'
        '<button type="submit" formaction="format/changelog">Download change log CSV</button>'
        '<button type="submit" formaction="export">Download flat export CSV</button>'
        "</div></form>"
    )


def board_form(as_of: dt.date | None = None) -> str:
    return (
        '<form class="box" method="post" action="report" enctype="multipart/form-data">'
        "<h2>The board: several service workbooks</h2>"
        '<p class="hint">Choose every service workbook at once (or one board workbook), and '
        "last month's board workbook for what changed and the trend.</p>"
        '<label>Service workbooks <input type="file" name="workbooks" accept=".xlsx,.xlsm" '
        "multiple required></label>"
        "<label>Last month's board workbook (optional) "
        '<input type="file" name="previous" accept=".xlsx"></label>'
        f"{_date_input(as_of)}"
        '<div class="buttons">'
        '<button class="primary" type="submit">Board report</button>'
        '<button type="submit" formaction="consolidate">Download board workbook</button>'
        "</div></form>"
    )


def home() -> str:
    body = (
        "<h1>Check your plan before you send it</h1>"
        "<p>planbook checks an annual plan workbook: every problem with its cell and the "
        "fix, the RAG its dates and status give, and a tidied copy you can keep editing. "
        "Nothing you upload is kept.</p>" + check_form() + board_form()
    )
    return page("planbook", body)


def error_page(line: str, status: int) -> str:
    body = (
        f"<h1>That did not work ({status})</h1>"
        f'<p class="error-line">{_text(line)}</p>'
        '<p><a href="./">Back to the start</a></p>'
    )
    return page("planbook: error", body)


def check_page(
    report: Report, plan: Plan, name: str, board_html: str, as_of: dt.date | None
) -> str:
    """The findings of one workbook, sheet by sheet on its table, then its board view."""
    counts = report.counts()
    parts = [
        f"<h1>Check of {_text(name)}</h1>",
        '<p class="counts">'
        f'<span class="error">{counts["error"]} error(s)</span>'
        f'<span class="warning">{counts["warning"]} warning(s)</span>'
        f'<span class="info">{counts["info"]} info</span></p>',
    ]
    if not report.findings:
        parts.append("<p>No problems found.</p>")
    for sheet, findings in groupby(report.findings, key=lambda finding: finding.sheet):
        parts.append(_sheet_section(plan, sheet, list(findings)))
    parts.append(f'<section class="board-view"><h2>Board summary</h2>{board_html}</section>')
    parts.append(check_form(as_of, again=True))
    return page(
        f"planbook: check of {name}",
        "".join(parts),
        stylesheets=("static/planbook.css", "static/report.css"),
    )


def _anchor(sheet_index: int, cell: str) -> str:
    return f"s{sheet_index}-{cell}"


def _sheet_section(plan: Plan, sheet_name: str, findings: list[Finding]) -> str:
    shown = findings[:FINDINGS_SHOWN]
    index = shown[0].sheet_index
    parts = [f'<section class="sheet"><h2>{_text(sheet_name)}</h2><div class="sheet-body">']
    parts.append(_grid(plan, sheet_name, index, shown))
    parts.append('<ol class="findings">')
    for finding in shown:
        where = (
            f'<a href="#{_anchor(index, finding.cell)}">{_text(finding.cell)}</a>'
            if finding.cell and finding.row
            else "the sheet"
        )
        fix = ""
        if finding.suggestion:
            fix = f' <span class="fix">Fix: {_text(finding.suggestion)}</span>'
        parts.append(
            f'<li><span class="sev {finding.severity.value}">{finding.severity.value}</span> '
            f"{where} {escape(finding.code)}: {_text(finding.message)}.{fix}</li>"
        )
    parts.append("</ol>")
    if len(findings) > len(shown):
        parts.append(
            f'<p class="hint">and {len(findings) - len(shown)} more: ask for the JSON, or '
            "download the formatted workbook (its Findings sheet).</p>"
        )
    parts.append("</div></section>")
    return "".join(parts)


def _grid(plan: Plan, sheet_name: str, index: int, findings: list[Finding]) -> str:
    """The rows of the sheet around its findings, each finding's cell highlighted."""
    try:
        sheet = plan.sheet(sheet_name)
    except KeyError:
        return ""
    marked: dict[tuple[int, int], str] = {}
    for finding in findings:
        if finding.row and finding.column:
            key = (finding.row, finding.column)
            # The worst finding of a cell gives its colour: error, then warning, then info.
            if marked.get(key) != "error" and not (
                marked.get(key) == "warning" and finding.severity.value == "info"
            ):
                marked[key] = finding.severity.value
    if not marked:
        return ""
    grid: dict[int, dict[int, Cell]] = defaultdict(dict)
    for cell in sheet.cells():
        grid[cell.row][cell.column] = cell
    header_rows = {table.header_row for table in getattr(sheet, "tables", ())}
    wanted = {row + step for row, _ in marked for step in range(-CONTEXT_ROWS, CONTEXT_ROWS + 1)}
    wanted = {row for row in wanted if row >= 1}
    # A header row above the findings names the columns.
    wanted |= {row for row in header_rows if row <= max(wanted)}
    last_column = min(
        MAX_COLUMNS,
        max(
            [column for row in wanted for column in grid.get(row, {})]
            + [column for _, column in marked]
        ),
    )
    parts = ['<div class="grid-wrap"><table class="grid"><thead><tr><th></th>']
    parts.extend(f"<th>{column_letter(c)}</th>" for c in range(1, last_column + 1))
    parts.append("</tr></thead><tbody>")
    previous = 0
    for row in sorted(wanted):
        if previous and row > previous + 1:
            parts.append(f'<tr class="gap"><td colspan="{last_column + 1}">…</td></tr>')
        previous = row
        css = ' class="header"' if row in header_rows else ""
        parts.append(f"<tr{css}><th>{row}</th>")
        cells = grid.get(row, {})
        for column in range(1, last_column + 1):
            found = cells.get(column)
            text = _text(found.text, 120) if found is not None else ""
            severity = marked.get((row, column))
            if severity is not None:
                reference = f"{column_letter(column)}{row}"
                parts.append(
                    f'<td class="finding {severity}" id="{_anchor(index, reference)}" '
                    f'title="{escape(reference)}">{text}</td>'
                )
            else:
                parts.append(f"<td>{text}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)
