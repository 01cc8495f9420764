"""The board pack's charts as inline SVG: stacked bars of items by derived RAG, and the
History's months as stacked columns.

A few lines of SVG each, no plotting library: the charts are simple counts, they must
print crisply and sit inside one self-contained HTML file, and a library would add a
dependency (and scripts or images) for what ``<rect>`` and ``<text>`` do. Colours are
presentation attributes, never ``style=`` (the web page's Content-Security-Policy
forbids inline style attributes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from planbook.board import BUCKETS
from planbook.display import safe

#: The fill of each bucket: RAG colours as the leads' sheets use them, grey for no date.
COLOURS: dict[str, str] = {
    "R": "#c8102e",
    "A": "#f2a900",
    "G": "#2e8540",
    "B": "#1f5fa8",
    "none": "#a5acb3",
}
#: What each bucket is called on the page.
LABELS: dict[str, str] = {
    "R": "Red (late)",
    "A": "Amber (due soon or paused)",
    "G": "Green",
    "B": "Complete",
    "none": "No due date",
}
#: Counts on a dark fill are white, on amber and grey black.
_INK = {"R": "#fff", "A": "#000", "G": "#fff", "B": "#fff", "none": "#000"}

_WIDTH = 500
_LABEL = 160
_ROW = 22
_BAR = 16


def _text(value: str) -> str:
    return escape(safe(value))


def stacked_bars(title: str, rows: Sequence[tuple[str, dict[str, int]]]) -> str:
    """One horizontal bar per row (label, counts by bucket), the bars to one scale, each
    segment labelled with its count and the row's total at its end."""
    biggest = max((sum(counts.values()) for _, counts in rows), default=0) or 1
    span = _WIDTH - _LABEL - 40
    height = _ROW * len(rows) + 8
    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}" '
        f'height="{height}" role="img" aria-label="{_text(title)}">',
        f"<title>{_text(title)}</title>",
    ]
    for index, (label, counts) in enumerate(rows):
        y = 4 + index * _ROW
        middle = y + _BAR / 2 + 4
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<text x="{_LABEL - 6}" y="{middle:.1f}" text-anchor="end" '
            f'font-size="11">{_text(short)}</text>'
        )
        x = float(_LABEL)
        for bucket in BUCKETS:
            count = counts.get(bucket, 0)
            if not count:
                continue
            width = span * count / biggest
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{_BAR}" '
                f'fill="{COLOURS[bucket]}"><title>{_text(label)}: {count} '
                f"{LABELS[bucket].lower()}</title></rect>"
            )
            if width >= 14:
                parts.append(
                    f'<text x="{x + width / 2:.1f}" y="{middle:.1f}" text-anchor="middle" '
                    f'font-size="10" fill="{_INK[bucket]}">{count}</text>'
                )
            x += width
        total = sum(counts.values())
        parts.append(
            f'<text x="{x + 4:.1f}" y="{middle:.1f}" font-size="10" fill="#333">{total}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_columns(title: str, months: Sequence[tuple[dt.date, Sequence[int]]]) -> str:
    """One column per month (its counts by bucket, in ``BUCKETS`` order), oldest first."""
    width, height, bottom, left = _WIDTH, 200, 24, 30
    biggest = max((sum(counts) for _, counts in months), default=0) or 1
    step = (width - left) / max(len(months), 1)
    column = min(48.0, step * 0.6)
    chart = height - bottom - 8
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{_text(title)}">',
        f"<title>{_text(title)}</title>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'stroke="#666" stroke-width="1"/>',
        f'<text x="{left - 4}" y="{height - bottom - chart + 4}" text-anchor="end" '
        f'font-size="10">{biggest}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" font-size="10">0</text>',
    ]
    for index, (day, counts) in enumerate(months):
        x = left + index * step + (step - column) / 2
        y = float(height - bottom)
        for bucket, count in zip(BUCKETS, counts, strict=True):
            if not count:
                continue
            size = chart * count / biggest
            y -= size
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{column:.1f}" height="{size:.1f}" '
                f'fill="{COLOURS[bucket]}"><title>{day.strftime("%d/%m/%Y")}: {count} '
                f"{LABELS[bucket].lower()}</title></rect>"
            )
            if size >= 12:
                parts.append(
                    f'<text x="{x + column / 2:.1f}" y="{y + size / 2 + 4:.1f}" '
                    f'text-anchor="middle" font-size="10" fill="{_INK[bucket]}">{count}</text>'
                )
        parts.append(
            f'<text x="{x + column / 2:.1f}" y="{height - 8}" text-anchor="middle" '
            f'font-size="10">{day.strftime("%d %b %y")}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def legend() -> str:
    """The buckets' colours, once for all the charts."""
    width = 620
    parts = [
        f'<svg class="legend" viewBox="0 0 {width} 18" width="{width}" height="18" '
        'role="img" aria-label="Key to the colours">'
    ]
    x = 0
    for bucket in BUCKETS:
        parts.append(f'<rect x="{x}" y="3" width="12" height="12" fill="{COLOURS[bucket]}"/>')
        parts.append(f'<text x="{x + 16}" y="13" font-size="11">{LABELS[bucket]}</text>')
        x += 24 + 7 * len(LABELS[bucket])
    parts.append("</svg>")
    return "".join(parts)
