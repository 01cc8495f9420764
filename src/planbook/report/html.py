"""The board pack as HTML: one self-contained page (inline CSS and SVG, no scripts, no
fonts or images from anywhere) that prints to about two A4 landscape pages.

``render_sections`` is the pack's body; ``render_report`` wraps it into the file
``planbook report`` writes, and the web page's board view shows the same sections with
the same CSS (``REPORT_CSS``). Every text from a workbook goes through ``_text``:
escaped for HTML, control characters shown escaped, so a cell reading ``=HYPERLINK(...)``
or ``<script>`` is shown as the text it is.
"""

from __future__ import annotations

import hashlib
from base64 import b64encode
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from planbook.board import BUCKETS
from planbook.diff import PlanChange
from planbook.display import safe, shorten
from planbook.report.pack import BoardPack
from planbook.report.svg import LABELS, legend, stacked_bars, stacked_columns

#: Each list stops here, saying how many more the board workbook holds: the pack is two
#: pages for a board to read, the workbook the full record.
LIST_LIMIT = 12
#: The History's last months the trend shows.
TREND_MONTHS = 12

REPORT_CSS = """\
@page { size: A4 landscape; margin: 10mm; }
.board-pack { font: 10pt/1.35 system-ui, "Segoe UI", Arial, sans-serif; color: #111;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.board-pack h1 { font-size: 17pt; margin: 0 0 2px; }
.board-pack h2 { font-size: 12pt; margin: 10px 0 4px; border-bottom: 1px solid #999; }
.board-pack .meta { color: #444; margin: 0 0 8px; }
.board-pack .page { break-after: page; }
.board-pack .page:last-child { break-after: auto; }
.board-pack .tiles { display: flex; gap: 8px; margin: 6px 0; }
.board-pack .tile { border: 1px solid #bbb; border-radius: 4px; padding: 4px 10px;
  min-width: 70px; }
.board-pack .tile b { display: block; font-size: 16pt; }
.board-pack .tile.R { border-left: 6px solid #c8102e; }
.board-pack .tile.A { border-left: 6px solid #f2a900; }
.board-pack .tile.G { border-left: 6px solid #2e8540; }
.board-pack .tile.B { border-left: 6px solid #1f5fa8; }
.board-pack .tile.none { border-left: 6px solid #a5acb3; }
.board-pack .charts { display: flex; flex-wrap: wrap; gap: 4px 24px; }
.board-pack .charts figure { margin: 0; }
.board-pack figcaption { font-weight: 600; margin: 4px 0; }
.board-pack svg.chart { max-width: 100%; height: auto; }
.board-pack table { border-collapse: collapse; width: 100%; margin: 2px 0 6px; }
.board-pack th, .board-pack td { border: 1px solid #ccc; padding: 2px 5px;
  text-align: left; vertical-align: top; font-size: 9pt; }
.board-pack th { background: #eef0f2; }
.board-pack tr { break-inside: avoid; }
.board-pack td.num { text-align: right; white-space: nowrap; }
.board-pack .rag { display: inline-block; min-width: 1.4em; text-align: center;
  font-weight: 700; border-radius: 3px; }
.board-pack .rag.R { background: #c8102e; color: #fff; }
.board-pack .rag.A { background: #f2a900; color: #000; }
.board-pack .rag.G { background: #2e8540; color: #fff; }
.board-pack .rag.B { background: #1f5fa8; color: #fff; }
.board-pack tr.optimistic td { background: #fde8ea; }
.board-pack .more, .board-pack .none-found { color: #444; font-style: italic; margin: 0; }
.board-pack .columns { display: flex; gap: 16px; }
.board-pack .columns > section { flex: 1; min-width: 0; }
"""

#: How each kind of change is named in the pack's table.
_CHANGE_WORDS = {
    "status_changed": "status",
    "rag_changed": "RAG",
    "due_changed": "due date",
    "item_added": "item added",
    "item_removed": "item removed",
    "item_renamed": "item renamed",
    "item_moved": "item moved",
    "milestone_added": "milestone added",
    "milestone_removed": "milestone removed",
    "field_changed": "changed",
    "progress_updated": "progress note",
    "header_changed": "header",
}
#: The order a board reads changes in: RAG and status first, notes last.
_CHANGE_ORDER = list(_CHANGE_WORDS)


def _text(value: object, limit: int | None = None) -> str:
    text = "" if value is None else str(value)
    if limit is not None:
        text = shorten(text, limit)
    return escape(safe(text), quote=True)


def _uk(iso: str) -> str:
    year, month, day = iso[:10].split("-")
    return f"{day}/{month}/{year}"


def _rag(letter: str) -> str:
    return f'<span class="rag {escape(letter)}">{escape(letter)}</span>'


def render_sections(pack: BoardPack) -> str:
    """The pack's two pages as HTML, inside ``<div class="board-pack">``."""
    summary = pack.figures.summary
    return "".join(
        [
            '<div class="board-pack">',
            '<section class="page">',
            _heading(pack),
            _tiles(summary),
            legend(),
            _charts(pack),
            "</section>",
            '<section class="page">',
            '<div class="columns">',
            _late(summary),
            _due_soon(summary),
            "</div>",
            _disagreements(pack),
            _changes(pack.figures.changes),
            "</section>",
            "</div>",
        ]
    )


def render_report(pack: BoardPack) -> str:
    """The whole self-contained HTML file."""
    title = f"Board report: {pack.title}, as of {_uk(pack.figures.summary['as_of'])}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_text(title)}</title>"
        f"<style>{REPORT_CSS}</style></head>"
        f"<body>{render_sections(pack)}</body></html>\n"
    )


def style_hash() -> str:
    """The CSP source that allows ``render_report``'s one inline style and no other."""
    digest = hashlib.sha256(REPORT_CSS.encode("utf-8")).digest()
    return f"'sha256-{b64encode(digest).decode('ascii')}'"


def _heading(pack: BoardPack) -> str:
    summary = pack.figures.summary
    sources = ", ".join(_text(name) for name in pack.sources)
    made_from = f" · from {sources}" if sources else ""
    return (
        f"<h1>Board report: {_text(pack.title)}</h1>"
        f'<p class="meta">As of {_uk(summary["as_of"])} · amber: due within '
        f"{int(summary['amber_days'])} days{made_from}</p>"
    )


def _tiles(summary: dict[str, Any]) -> str:
    services = summary["services"]
    totals = {bucket: sum(s["items_by_rag"][bucket] for s in services) for bucket in BUCKETS}
    items = sum(s["items"] for s in services)
    tiles = [f'<div class="tile"><b>{items}</b>items tracked</div>']
    tiles.extend(
        f'<div class="tile {bucket}"><b>{totals[bucket]}</b>{escape(LABELS[bucket])}</div>'
        for bucket in BUCKETS
    )
    return f'<div class="tiles">{"".join(tiles)}</div>'


def _charts(pack: BoardPack) -> str:
    figures = pack.figures
    services = [(s["sheet"], s["items_by_rag"]) for s in figures.summary["services"]]
    councils = [(c["council"], c["items_by_rag"]) for c in figures.councils]
    parts = ['<div class="charts">']
    parts.append(_figure("Items by derived RAG, per service", stacked_bars, services))
    parts.append(_figure("Items by derived RAG, per council", stacked_bars, councils))
    months = figures.months[-TREND_MONTHS:]
    caption = "RAG trend: all services' items, month by month (the History)"
    if len(months) > 1:
        parts.append(_figure(caption, stacked_columns, months))
    else:
        parts.append(
            f'<figure><figcaption>{escape(caption)}</figcaption><p class="none-found">'
            "The History holds this month only: give last month's board workbook "
            "(--previous) for the trend.</p></figure>"
        )
    parts.append("</div>")
    return "".join(parts)


def _figure(caption: str, draw: Any, rows: Any) -> str:
    return f"<figure><figcaption>{escape(caption)}</figcaption>{draw(caption, rows)}</figure>"


def _table(
    title: str,
    headers: Sequence[str],
    rows: Iterable[tuple[str, Sequence[str]]],
    total: int,
    empty: str,
) -> str:
    """A titled table of at most ``LIST_LIMIT`` rows, each (row class, cells as HTML)."""
    parts = [f"<h2>{escape(title)}</h2>"]
    listed = list(rows)[:LIST_LIMIT]
    if not listed:
        return parts[0] + f'<p class="none-found">{escape(empty)}</p>'
    parts.append("<table><thead><tr>")
    parts.extend(f"<th>{escape(header)}</th>" for header in headers)
    parts.append("</tr></thead><tbody>")
    for css, cells in listed:
        attribute = f' class="{css}"' if css else ""
        parts.append(f"<tr{attribute}>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    if total > len(listed):
        parts.append(
            f'<p class="more">and {total - len(listed)} more: the board workbook lists '
            "them all.</p>"
        )
    return "".join(parts)


def _td(value: object, limit: int | None = 60, css: str = "") -> str:
    attribute = f' class="{css}"' if css else ""
    return f"<td{attribute}>{_text(value, limit)}</td>"


def _late(summary: dict[str, Any]) -> str:
    late = summary["late"]
    title = f"Late: {len(late)} milestone{'s' if len(late) != 1 else ''}"
    return _milestone_list(title, late, ("days_late", "Days late"), "Nothing is late.")


def _due_soon(summary: dict[str, Any]) -> str:
    due = summary["due_soon"]
    title = f"Due in the next {int(summary['amber_days'])} days: {len(due)}"
    return _milestone_list(
        title, due, ("days_to_go", "Days to go"), "Nothing falls due in the window."
    )


def _milestone_list(
    title: str, entries: list[dict[str, Any]], days: tuple[str, str], empty: str
) -> str:
    """A board summary list of milestones (late, due soon): where, what, due, days."""
    key, header = days
    rows = (
        (
            "",
            [
                _td(entry["sheet"], 30),
                _td(entry["description"], 50),
                _td(entry["milestone"], 50),
                _td(_uk(entry["due"]), None, "num"),
                _td(entry[key], None, "num"),
            ],
        )
        for entry in entries
    )
    return (
        "<section>"
        + _table(title, ("Service", "Item", "Milestone", "Due", header), rows, len(entries), empty)
        + "</section>"
    )


def _disagreements(pack: BoardPack) -> str:
    found = pack.disagreements
    optimistic = sum(d.optimistic for d in found)
    rows = (
        (
            "optimistic" if d.optimistic else "",
            [
                _td(d.sheet, 30),
                _td(d.cell, None),
                _td(d.item, 45),
                _td(d.milestone, 45),
                f"<td>{_rag(d.declared)}</td>",
                f"<td>{_rag(d.derived)}</td>",
                _td(d.reason, 60),
            ],
        )
        for d in found
    )
    title = (
        f"Declared and derived RAG disagree: {len(found)} milestone"
        f"{'s' if len(found) != 1 else ''}, {optimistic} optimistic (shaded)"
    )
    return _table(
        title,
        ("Service", "Cell", "Item", "Milestone", "Declared", "Derived", "Why"),
        rows,
        len(found),
        "Every declared RAG agrees with its dates and status.",
    )


def _changes(changes: list[PlanChange] | None) -> str:
    if changes is None:
        return (
            '<h2>Changes since last month</h2><p class="none-found">Give last month\'s board '
            "workbook (--previous) to see what changed.</p>"
        )
    last = len(_CHANGE_ORDER)
    ordered = sorted(
        changes, key=lambda c: _CHANGE_ORDER.index(c.kind) if c.kind in _CHANGE_ORDER else last
    )
    rows = (
        (
            "",
            [
                _td(change.sheet, 30),
                _td(change.item, 45),
                _td(change.milestone, 40),
                _td(_CHANGE_WORDS.get(change.kind, change.kind.replace("_", " ")), None),
                _td(_was_now(change), 70),
                _td(change.cell, None),
            ],
        )
        for change in ordered
    )
    return _table(
        f"Changes since last month: {len(changes)}",
        ("Service", "Item", "Milestone", "What", "Was → now", "Cell"),
        rows,
        len(changes),
        "Nothing changed since last month.",
    )


def _was_now(change: PlanChange) -> str:
    if change.kind == "due_changed" and change.days is not None:
        moved = "slipped" if change.days > 0 else "pulled in"
        return f"{_uk(change.old)} → {_uk(change.new)} ({moved} {abs(change.days)} days)"
    if change.old and change.new:
        return f"{shorten(change.old, 30)} → {shorten(change.new, 30)}"
    return change.new or change.old
