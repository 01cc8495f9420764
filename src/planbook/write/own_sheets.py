"""planbook's own sheets (Findings, Legend, Change Log) as worksheet parts.

They are planbook's, made anew on every pass, so they are written whole: plain
worksheet XML with inline strings, in planbook's styles (indices into the lead's styles
part, appended there by ``styles_xml``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from planbook.columns import excel_serial
from planbook.model import EXCEL_CELL_LIMIT, column_letter

_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
)


@dataclass
class OwnSheet:
    """A sheet planbook writes whole: its cells and a few sheet settings."""

    #: (row, column) -> (kind, value, style): kind is "text", "number" or "formula".
    cells: dict[tuple[int, int], tuple[str, object, int, object]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    frozen_rows: int = 0
    autofilter: str | None = None
    #: (cell, location, display) of links to cells of the workbook.
    links: list[tuple[str, str, str]] = field(default_factory=list)

    def text(self, row: int, column: int, text: str, style: int = 0) -> None:
        """A text cell; cut to what Excel holds (a finding may quote a lead's overlong cell)."""
        if text:
            self.cells[(row, column)] = ("text", text[:EXCEL_CELL_LIMIT], style, None)

    def number(self, row: int, column: int, value: float, style: int = 0) -> None:
        self.cells[(row, column)] = ("number", value, style, None)

    def date(self, row: int, column: int, day: dt.date, style: int) -> None:
        self.number(row, column, excel_serial(day), style)

    def formula(self, row: int, column: int, formula: str, cached: float, style: int) -> None:
        self.cells[(row, column)] = ("formula", formula, style, cached)

    def xml(self) -> bytes:
        parts = [_HEAD]
        if self.cells:
            last_row = max(row for row, _ in self.cells)
            last_column = max(column for _, column in self.cells)
            parts.append(f'<dimension ref="A1:{column_letter(last_column)}{last_row}"/>'.encode())
        view = '<sheetView workbookViewId="0">'
        if self.frozen_rows:
            top = f"A{self.frozen_rows + 1}"
            view += (
                f'<pane ySplit="{self.frozen_rows}" topLeftCell="{top}" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft"/>'
            )
        parts.append(f"<sheetViews>{view}</sheetView></sheetViews>".encode())
        parts.append(b'<sheetFormatPr defaultRowHeight="15"/>')
        if self.widths:
            cols = "".join(
                f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
                for c, w in sorted(self.widths.items())
            )
            parts.append(f"<cols>{cols}</cols>".encode())
        parts.append(b"<sheetData>")
        parts.extend(self._rows())
        parts.append(b"</sheetData>")
        if self.autofilter:
            parts.append(f'<autoFilter ref="{self.autofilter}"/>'.encode())
        if self.links:
            links = "".join(
                f'<hyperlink ref="{cell}" location={quoteattr(location)} '
                f"display={quoteattr(display)}/>"
                for cell, location, display in self.links
            )
            parts.append(f"<hyperlinks>{links}</hyperlinks>".encode())
        parts.append(
            b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            b'footer="0.3"/><pageSetup paperSize="9" orientation="landscape"/></worksheet>'
        )
        return b"".join(parts)

    def _rows(self) -> Iterable[bytes]:
        by_row: dict[int, list[int]] = {}
        for row, column in self.cells:
            by_row.setdefault(row, []).append(column)
        for row in sorted(by_row):
            height = self.heights.get(row)
            attributes = f' ht="{height:g}" customHeight="1"' if height else ""
            cells = "".join(self._cell(row, column) for column in sorted(by_row[row]))
            yield f'<row r="{row}"{attributes}>{cells}</row>'.encode()

    def _cell(self, row: int, column: int) -> str:
        kind, value, style, cached = self.cells[(row, column)]
        reference = f' r="{column_letter(column)}{row}"' + (f' s="{style}"' if style else "")
        if kind == "text":
            text = escape(str(value))
            space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
            return f'<c{reference} t="inlineStr"><is><t{space}>{text}</t></is></c>'
        if kind == "formula":
            return f"<c{reference}><f>{escape(str(value))}</f><v>{cached:g}</v></c>"
        return f"<c{reference}><v>{value:g}</v></c>"
