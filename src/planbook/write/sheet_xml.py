"""Editing one worksheet part in place: a few cells, and elements beside the rows.

A worksheet part is a frame (sheet views, columns, merges, conditional formats,
validations, drawings, extension lists...) around ``<sheetData>``, which on a big plan is
almost all of it. The rows are streamed: a row planbook writes nothing in is copied byte
for byte, so is every cell of a row it does write in, except the cells it writes. The
frame is small: it is parsed with lxml, edited by the caller, and serialised again only
if the caller changed it; every element planbook does not touch is carried as it was.

Cells planbook writes are written with an explicit reference (``r``), text as inline
strings (``t="inlineStr"``), so ``sharedStrings.xml`` is never touched; a cell planbook
gives a new value keeps its own style. A cell holding a formula is never overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple
from xml.sax.saxutils import escape

from planbook.model import column_letter
from planbook.write.package import MAIN_NS, PackageError, parse_xml, serialise_xml


class CellEdit(NamedTuple):
    """What planbook writes at one cell."""

    kind: Literal["text", "formula", "delete"]
    #: The text, or the formula (without ``=``).
    text: str = ""
    #: A formula's cached result: text, or a number.
    cached: str | float = ""
    #: The style index; None keeps the cell's own (a lead cell given a canonical value).
    style: int | None = None


@dataclass
class SheetPatch:
    """What happened to a sheet: reported back to the caller."""

    #: Edits not made, because the lead's cell holds a formula: (row, column).
    kept_formulas: list[tuple[int, int]] = field(default_factory=list)
    #: Lead cells planbook would have written over (a formatted blank in its column).
    overwritten: list[tuple[int, int]] = field(default_factory=list)
    #: Formula cells planbook removed (its own, from an earlier pass).
    removed_formulas: int = 0
    #: planbook's own cell styles: a cell in one of them is planbook's to rewrite.
    own_styles: frozenset[int] = frozenset()
    #: (row, column) of planbook's columns from an earlier pass: planbook's to rewrite.
    own_cells: frozenset[tuple[int, int]] = frozenset()
    #: Columns where planbook gave a lead cell a new value: the sheet's formulas reading
    #: them lose their cached result, so that every spreadsheet computes them anew.
    changed_columns: frozenset[int] = frozenset()
    _stale_shared: set[bytes] = field(default_factory=set)


_CELL_REFERENCE = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_FIRST_REFERENCE = re.compile(rb'r="([A-Z]{1,3})[0-9]{1,7}"')
_ROW_NUMBER = re.compile(rb'\br="([0-9]{1,7})"')
_SPANS = re.compile(rb'\bspans="([0-9]+):([0-9]+)"')
_MARKER = "\ue000planbook-rows\ue000"

#: The order of a worksheet's children (ECMA-376 CT_Worksheet): new elements go in place.
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
    "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter",
    "sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr",
    "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins",
    "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches",
    "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF",
    "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst",
)  # fmt: skip


def column_number(letters: bytes | str) -> int:
    number = 0
    for letter in letters.decode() if isinstance(letters, bytes) else letters:
        number = number * 26 + ord(letter) - 64
    return number


@dataclass
class WorksheetPart:
    """A worksheet part split into frame and rows."""

    data: bytes
    prefix: bytes  # b"" or b"x:": the prefix of the main namespace's elements
    rows_start: int  # where the rows begin (after <sheetData>), or -1 for <sheetData/>
    rows_end: int  # where </sheetData> begins
    data_open: bytes  # the original <sheetData> tag...
    data_close: bytes  # ...and its end

    @classmethod
    def split(cls, data: bytes) -> WorksheetPart:
        match = re.search(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData\b[^>]*?(/?)>", data)
        if match is None:
            raise PackageError("a worksheet part with no sheetData")
        prefix = match.group(1)
        if match.group(2):  # <sheetData/>: no rows
            return cls(data, prefix, -1, match.end(), match.group(0), b"")
        close = data.rfind(b"</" + prefix + b"sheetData>")
        if close < match.end():
            raise PackageError("a worksheet part whose sheetData does not end")
        end_tag = b"</" + prefix + b"sheetData>"
        return cls(data, prefix, match.end(), close, match.group(0), end_tag)

    @property
    def head(self) -> bytes:
        start = self.rows_start if self.rows_start >= 0 else self.rows_end
        return self.data[: start - len(self.data_open)]

    @property
    def tail(self) -> bytes:
        return self.data[self.rows_end + len(self.data_close) :]

    def frame(self) -> Any:
        """The worksheet element with an empty sheetData: everything but the rows."""
        empty = b"<" + self.prefix + b"sheetData/>"
        return parse_xml(self.head + empty + self.tail)

    def rows(self) -> bytes:
        return b"" if self.rows_start < 0 else self.data[self.rows_start : self.rows_end]


def patch_worksheet(
    data: bytes,
    edits: dict[int, dict[int, CellEdit]],
    edit_frame: Callable[[Any], bool],
    patch: SheetPatch,
) -> Callable[[], Iterator[bytes]]:
    """The patched part, as a function yielding its bytes (a big sheet is streamed).

    ``edits`` is row -> column -> edit. ``edit_frame`` edits the frame's element tree and
    says whether it changed anything; only then is the frame serialised again.
    """
    part = WorksheetPart.split(data)
    frame = part.frame()
    if edit_frame(frame):
        data_element = frame.find(f"{{{MAIN_NS}}}sheetData")
        data_element.text = _MARKER
        whole = serialise_xml(frame, data)
        before, after = whole.split(_MARKER.encode())
        opening, closing = b"", b""
    else:
        before, after = part.head, part.tail
        opening, closing = part.data_open, part.data_close
        if part.rows_start < 0 and edits:  # rows to add to an empty <sheetData/>
            opening = b"<" + part.prefix + b"sheetData>"
            closing = b"</" + part.prefix + b"sheetData>"

    def stream() -> Iterator[bytes]:
        yield before + opening
        yield from _patched_rows(part.rows(), part.prefix, edits, patch)
        yield closing + after

    return stream


def _patched_rows(
    rows: bytes, prefix: bytes, edits: dict[int, dict[int, CellEdit]], patch: SheetPatch
) -> Iterator[bytes]:
    pending = sorted(edits)
    start_tag = re.compile(rb"<" + re.escape(prefix) + rb"row\b")
    end_tag = b"</" + prefix + b"row>"
    position, number = 0, 0
    for match in start_tag.finditer(rows):
        if match.start() < position:
            continue  # inside a row already copied
        tag_end = rows.index(b">", match.end()) + 1
        tag = rows[match.start() : tag_end]
        found = _ROW_NUMBER.search(tag)
        number = int(found.group(1)) if found else number + 1
        while pending and pending[0] < number:  # rows planbook adds, before this one
            yield rows[position : match.start()]
            position = match.start()
            yield _new_row(prefix, pending[0], edits[pending.pop(0)], patch)
        if tag.endswith(b"/>"):
            row_end, body = tag_end, b""
        else:
            row_end = rows.index(end_tag, tag_end) + len(end_tag)
            body = rows[tag_end : row_end - len(end_tag)]
        if pending and pending[0] == number:
            yield rows[position : match.start()]
            wanted = edits[pending.pop(0)]
            body = _uncached(body, prefix, patch)
            yield _patched_row(prefix, number, tag, body, wanted, patch)
            position = row_end
        elif patch.changed_columns and b"<" + prefix + b"f" in body:
            yield rows[position : match.start()]
            yield _uncached(rows[match.start() : row_end], prefix, patch)
            position = row_end
        elif not pending and not patch.changed_columns:
            break
    yield rows[position:]
    for number in pending:
        yield _new_row(prefix, number, edits[number], patch)


_STRING_LITERAL = re.compile(rb"&quot;.*?&quot;")
_RANGE_IN_FORMULA = re.compile(
    rb"(?<![\w!.'\]$])\$?([A-Z]{1,3})\$?[0-9]+(?::\$?([A-Z]{1,3})\$?[0-9]+)?(?![\w(])"
)
_COLUMNS_IN_FORMULA = re.compile(rb"(?<![\w!.'\]$])\$?([A-Z]{1,3}):\$?([A-Z]{1,3})(?![\w(])")
_SHARED_INDEX = re.compile(rb'\bsi="([0-9]+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>.*?</(?:\w+:)?v>|<(?:\w+:)?v/>", re.DOTALL)
_TYPE = re.compile(rb'\st="[a-z]+"')


def _uncached(row: bytes, prefix: bytes, patch: SheetPatch) -> bytes:
    """The row with the cached result dropped from each formula that reads a column where
    planbook changed a value (a shared formula's cells follow the one that holds its
    text): Excel recalculates on open anyway, LibreOffice computes only uncached cells."""
    if not patch.changed_columns or b"<" + prefix + b"f" not in row:
        return row
    pieces, position = [], 0
    for cell in _cells(prefix, row):
        if b"<" + prefix + b"f" not in cell or _replaceable(cell, patch.own_styles):
            continue  # planbook's own formulas are cached with what it derived just now
        if not _reads_changed(cell, prefix, patch):
            continue
        start = row.index(cell, position)
        pieces.append(row[position:start])
        tag_end = cell.index(b">") + 1
        tag = _TYPE.sub(b"", cell[:tag_end])
        pieces.append(tag + _VALUE.sub(b"", cell[tag_end:]))
        position = start + len(cell)
    pieces.append(row[position:])
    return b"".join(pieces)


def _reads_changed(cell: bytes, prefix: bytes, patch: SheetPatch) -> bool:
    opening = cell.index(b"<" + prefix + b"f")
    tag_end = cell.index(b">", opening) + 1
    tag = cell[opening:tag_end]
    shared = _SHARED_INDEX.search(tag) if b"shared" in tag else None
    if tag.endswith(b"/>"):  # a shared formula's cell: as the cell holding its text
        return shared is not None and shared.group(1) in patch._stale_shared
    text = _STRING_LITERAL.sub(b"", cell[tag_end : cell.index(b"</", tag_end)])
    columns = patch.changed_columns
    reads = any(
        column_number(first) <= changed <= column_number(last or first)
        for first, last in _RANGE_IN_FORMULA.findall(text)
        for changed in columns
    ) or any(
        column_number(first) <= changed <= column_number(last)
        for first, last in _COLUMNS_IN_FORMULA.findall(text)
        for changed in columns
    )
    if reads and shared is not None:
        patch._stale_shared.add(shared.group(1))
    return reads


def _new_row(prefix: bytes, number: int, wanted: dict[int, CellEdit], patch: SheetPatch) -> bytes:
    if all(edit.kind == "delete" for edit in wanted.values()):
        return b""  # nothing to clear in a row that is not there
    tag = b"<" + prefix + b'row r="' + str(number).encode() + b'">'
    return _patched_row(prefix, number, tag, b"", wanted, patch)


def _patched_row(
    prefix: bytes,
    number: int,
    tag: bytes,
    body: bytes,
    wanted: dict[int, CellEdit],
    patch: SheetPatch,
) -> bytes:
    kept, body = _split_before(prefix, body, min(wanted))
    cells = list(_cells(prefix, body))
    # A cell without a reference stands after the one before it: give each one its
    # reference, so the cells planbook inserts do not shift them.
    placed: list[tuple[int, bytes]] = []
    column = 0
    for chunk in cells:
        reference = _CELL_REFERENCE.search(chunk[: chunk.index(b">")])
        if reference is not None:
            column = column_number(reference.group(1))
        else:
            column += 1
            name_end = len(prefix) + 2  # after "<c" (or "<x:c")
            reference_attribute = b' r="' + _reference(column, number) + b'"'
            chunk = chunk[:name_end] + reference_attribute + chunk[name_end:]
        placed.append((column, chunk))
    existing = dict(placed)
    for column, edit in wanted.items():
        old = existing.get(column)
        if edit.style is None:  # a lead's cell given its canonical value
            if old is not None and b"<" + prefix + b"f" in old:
                patch.kept_formulas.append((number, column))
            else:
                existing[column] = _cell_xml(prefix, number, column, edit, old)
            continue
        if (
            old is not None
            and (number, column) not in patch.own_cells
            and not _replaceable(old, patch.own_styles)
        ):
            patch.overwritten.append((number, column))  # never write over a lead's cell
            continue
        if edit.kind == "delete":
            if old is not None:
                patch.removed_formulas += b"<" + prefix + b"f" in old
                del existing[column]
            continue
        existing[column] = _cell_xml(prefix, number, column, edit, old)
    columns = sorted(existing)
    if columns:
        tag = _widened_spans(tag, columns[0], columns[-1])
    if tag.endswith(b"/>"):
        tag = tag[:-2].rstrip() + b">"
    inner = b"".join(existing[column] for column in columns)
    return tag + kept + inner + b"</" + prefix + b"row>"


def _split_before(prefix: bytes, body: bytes, column: int) -> tuple[bytes, bytes]:
    """The row's cells left of ``column`` (copied as they are) and the rest (edited).

    Walks back from the row's end, so a row planbook only appends to (its columns past
    the last used one) is never parsed cell by cell. A cell whose reference is not its
    first attribute (or has none) sends the whole row to be edited."""
    opening = b"<" + prefix + b"c "
    end = len(body)
    while (start := body.rfind(opening, 0, end)) >= 0:
        reference = _FIRST_REFERENCE.match(body, start + len(opening))
        if reference is None:
            return b"", body
        if column_number(reference.group(1)) < column:
            tag_end = body.index(b">", start) + 1
            if body[tag_end - 2 : tag_end] != b"/>":
                tag_end = body.index(b"</" + prefix + b"c>", tag_end) + len(prefix) + 4
            return body[:tag_end], body[tag_end:]
        end = start
    return b"", body


_STYLE = re.compile(rb'\bs="([0-9]+)"')


def _replaceable(chunk: bytes, own_styles: frozenset[int]) -> bool:
    """A cell planbook may write over: one an earlier pass wrote (in one of planbook's
    styles), or a bare one with neither style nor content."""
    tag_end = chunk.index(b">")
    style = _STYLE.search(chunk[:tag_end])
    if style is not None:
        return int(style.group(1)) in own_styles
    return chunk[tag_end - 1 : tag_end + 1] == b"/>"


def _cells(prefix: bytes, body: bytes) -> Iterator[bytes]:
    start_tag = re.compile(rb"<" + re.escape(prefix) + rb"c\b")
    end_tag = b"</" + prefix + b"c>"
    position = 0
    while (match := start_tag.search(body, position)) is not None:
        tag_end = body.index(b">", match.end()) + 1
        if body[tag_end - 2 : tag_end] == b"/>":
            end = tag_end
        else:
            end = body.index(end_tag, tag_end) + len(end_tag)
        yield body[match.start() : end]
        position = end


def _reference(column: int, row: int) -> bytes:
    return f"{column_letter(column)}{row}".encode()


def _cell_xml(prefix: bytes, row: int, column: int, edit: CellEdit, old: bytes | None) -> bytes:
    p = prefix.decode()
    attributes = f' r="{column_letter(column)}{row}"'
    style = edit.style
    if style is None and old is not None:
        found = _STYLE.search(old[: old.index(b">")])
        style = int(found.group(1)) if found else None
    if style is not None:
        attributes += f' s="{style}"'
    if edit.kind == "text":
        text = escape(edit.text)
        space = ' xml:space="preserve"' if text != text.strip() else ""
        inner = f"<{p}is><{p}t{space}>{text}</{p}t></{p}is>"
        return f'<{p}c{attributes} t="inlineStr">{inner}</{p}c>'.encode()
    formula = f"<{p}f>{escape(edit.text)}</{p}f>"
    if isinstance(edit.cached, str):
        return (
            f'<{p}c{attributes} t="str">{formula}<{p}v>{escape(edit.cached)}</{p}v></{p}c>'.encode()
        )
    return f"<{p}c{attributes}>{formula}<{p}v>{edit.cached:g}</{p}v></{p}c>".encode()


def _widened_spans(tag: bytes, first: int, last: int) -> bytes:
    found = _SPANS.search(tag)
    if found is None:
        return tag
    low, high = min(int(found.group(1)), first), max(int(found.group(2)), last)
    return tag[: found.start()] + b'spans="%d:%d"' % (low, high) + tag[found.end() :]


# --- the frame ------------------------------------------------------------------------------


def child(parent: Any, name: str) -> Any:
    return parent.find(f"{{{MAIN_NS}}}{name}")


def insert_in_order(root: Any, element: Any, order: tuple[str, ...] = WORKSHEET_ORDER) -> None:
    """Insert ``element`` among ``root``'s children where the schema's order puts it:
    after the last child that comes before it (children planbook does not know, like
    ``mc:AlternateContent``, are left where they stand)."""
    from lxml import etree

    rank = order.index(etree.QName(element).localname)
    position = 0
    for index, existing in enumerate(root):
        if not isinstance(existing.tag, str):
            continue
        name = etree.QName(existing).localname
        if name in order and order.index(name) <= rank:
            position = index + 1
    root.insert(position, element)
