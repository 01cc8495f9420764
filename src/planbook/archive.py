"""The .xlsx file as a zip archive: looked at before anything is inflated.

Plans arrive by email and shared drives; a few may be hostile. Before a value is read,
the archive's directory is checked against the limits below (a zip bomb declares sizes
it cannot keep: Python's zip reader never inflates a member past its declared size), the
workbook part must be there, and the workbook's own XML (sheet list, relationships,
styles) is parsed with defusedxml, so entity expansion and external entities are refused.
Nothing is ever extracted to disk, so member names (``../../etc``) go nowhere.

One streaming pass over each sheet's XML finds what the fast value reader cannot see:
formulas that were never calculated, and blank cells coloured with a solid fill.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree

from planbook.columns import AS_OF_NAME
from planbook.errors import UnreadableWorkbookError

#: Limits on what a workbook may declare. The largest real plan is a few MiB.
MAX_MEMBERS = 10_000
MAX_TOTAL_UNCOMPRESSED = 1024 * 1024 * 1024  # 1 GiB
MAX_MEMBER_UNCOMPRESSED = 512 * 1024 * 1024  # 512 MiB
#: A member this large that compresses better than this ratio is a bomb, not a plan.
BOMB_MIN_SIZE = 16 * 1024 * 1024
BOMB_RATIO = 200
#: Excel's own limits: a cell beyond them is no workbook Excel wrote.
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384

_CHUNK = 4 * 1024 * 1024
#: planbook's own Derived RAG formulas name this cell (planbook.columns).
PLANBOOK_NAME = AS_OF_NAME
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CELL_REF = re.compile(rb'\br="([A-Z]{1,10})([0-9]{1,20})"')
_STYLE = re.compile(rb'\bs="([0-9]+)"')
#: A styled cell with no content: ``<c r="B2" s="1"/>``, or ``<c r="B2" s="1" t="n"></c>``
#: as openpyxl writes it when lxml is installed.
_BLANK_STYLED = re.compile(rb'<c\b[^>]*\bs="[0-9]+"[^>]*?(?:/>|>\s*</c>)')
_FORMULA_TEXT = re.compile(rb"<f\b[^>]*>(.*?)</f>", re.DOTALL)
_ROW_NUMBER = re.compile(rb'<row\b[^>]*?\br="([0-9]{1,20})"')
_MERGE_END = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="[A-Z]{1,10}[0-9]{1,20}:([A-Z]{1,10})[0-9]{1,20}"'
)
_ERROR_CELL = re.compile(rb'(<c\b[^>]*\bt="e"[^>]*>).*?<v>([^<]*)</v>', re.DOTALL)


@dataclass(frozen=True)
class SheetPart:
    name: str
    state: str
    #: The worksheet XML inside the zip; None for a chart sheet or a dangling relation.
    path: str | None


@dataclass
class SheetScan:
    """What the streaming pass found in one sheet: 1-based (row, column) keys."""

    #: Formula cells with no calculated value: their formula text.
    uncalculated: dict[tuple[int, int], str] = field(default_factory=dict)
    #: Blank cells with a solid, coloured fill: the fill's RGB.
    filled_blanks: dict[tuple[int, int], str] = field(default_factory=dict)
    #: Cells holding an Excel error (#REF!, #N/A...): the error's text.
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    #: The last row and column any cell names.
    last_row: int = 0
    last_column: int = 0

    @property
    def area(self) -> int:
        return self.last_row * self.last_column


@dataclass(frozen=True)
class Archive:
    sheets: tuple[SheetPart, ...]
    has_macros: bool
    #: Cell style index -> RGB of its solid, coloured fill (grey and white left out).
    coloured_styles: dict[int, str]


def open_archive(path: Any) -> tuple[zipfile.ZipFile, Archive]:
    """Open and vet the archive; the caller closes the returned ZipFile."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnreadableWorkbookError(f"{path}: not a readable Excel workbook ({error})") from error
    try:
        _check_limits(path, archive)
        names = set(archive.namelist())
        workbook_part = _workbook_part(archive, names)
        if workbook_part is None:
            raise UnreadableWorkbookError(f"{path}: a zip file, but holds no Excel workbook part")
        sheets = _sheet_parts(archive, names, workbook_part, path)
        styles = _coloured_styles(archive, names, workbook_part)
        macros = any(name.lower().endswith("vbaproject.bin") for name in names)
        return archive, Archive(tuple(sheets), macros, styles)
    except UnreadableWorkbookError:
        archive.close()
        raise
    except (
        zipfile.BadZipFile, zlib.error, ElementTree.ParseError, OSError, ValueError, KeyError,
        EOFError,
    ) as error:  # fmt: skip
        archive.close()
        raise UnreadableWorkbookError(f"{path}: not a readable Excel workbook ({error})") from error


def _check_limits(path: Any, archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise UnreadableWorkbookError(f"{path}: holds {len(members)} parts; not a plan workbook")
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise UnreadableWorkbookError(
                f"{path}: its parts are encrypted; save it unencrypted as .xlsx and try again"
            )
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        too_big = member.file_size > MAX_MEMBER_UNCOMPRESSED or total > MAX_TOTAL_UNCOMPRESSED
        if too_big or (member.file_size > BOMB_MIN_SIZE and ratio > BOMB_RATIO):
            raise UnreadableWorkbookError(
                f"{path}: declares {member.file_size:,} bytes for one part "
                f"({total:,} in all): over planbook's limits, refused unread (zip bomb?)"
            )


def _parse(archive: zipfile.ZipFile, name: str) -> Any:
    from defusedxml.ElementTree import fromstring

    return fromstring(archive.read(name))


def _workbook_part(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The main workbook part, from the package relationships (else the usual name)."""
    if "_rels/.rels" in names:
        for relation in _parse(archive, "_rels/.rels").iter(f"{{{_PKG_REL_NS}}}Relationship"):
            if relation.get("Type", "").endswith("/officeDocument"):
                target = relation.get("Target", "").lstrip("/")
                if target in names:
                    return target
    return "xl/workbook.xml" if "xl/workbook.xml" in names else None


def _relations(archive: zipfile.ZipFile, names: set[str], part: str) -> dict[str, str]:
    """Relationship id -> member name, for the relationships of ``part``."""
    folder = PurePosixPath(part).parent
    rels = str(folder / "_rels" / (PurePosixPath(part).name + ".rels"))
    if rels not in names:
        return {}
    targets = {}
    for relation in _parse(archive, rels).iter(f"{{{_PKG_REL_NS}}}Relationship"):
        target = relation.get("Target", "")
        resolved = target.lstrip("/") if target.startswith("/") else str(folder / target)
        targets[relation.get("Id", "")] = normalise_part_name(resolved)
    return targets


def normalise_part_name(path: str) -> str:
    """``xl/worksheets/../comments1.xml`` -> ``xl/comments1.xml``; never above the root."""
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _sheet_parts(
    archive: zipfile.ZipFile, names: set[str], workbook: str, path: Any
) -> list[SheetPart]:
    relations = _relations(archive, names, workbook)
    root = _parse(archive, workbook)
    parts = []
    for sheet in root.iter(f"{{{_MAIN_NS}}}sheet"):
        target = relations.get(sheet.get(f"{{{_REL_NS}}}id", ""))
        if target is not None and "worksheets/" in target and target not in names:
            raise UnreadableWorkbookError(
                f"{path}: sheet '{sheet.get('name', '')}' is listed but its part "
                f"{target} is missing: a damaged workbook"
            )
        is_worksheet = target is not None and target in names and "worksheets/" in target
        parts.append(
            SheetPart(
                sheet.get("name", ""),
                sheet.get("state", "visible"),
                target if is_worksheet else None,
            )
        )
    return parts


def _coloured_styles(archive: zipfile.ZipFile, names: set[str], workbook: str) -> dict[int, str]:
    """Cell styles whose fill is solid and coloured: the only ones a blank cell is kept for."""
    styles_part = next(
        (t for t in _relations(archive, names, workbook).values() if t.endswith("styles.xml")),
        None,
    )
    if styles_part is None or styles_part not in names:
        return {}
    root = _parse(archive, styles_part)
    fills: list[str | None] = []
    fills_node = root.find(f"{{{_MAIN_NS}}}fills")
    for fill in fills_node if fills_node is not None else []:
        pattern = fill.find(f"{{{_MAIN_NS}}}patternFill")
        colour = pattern.find(f"{{{_MAIN_NS}}}fgColor") if pattern is not None else None
        solid = pattern is not None and pattern.get("patternType") == "solid"
        fills.append(_rgb(colour) if solid and colour is not None else None)
    coloured: dict[int, str] = {}
    xfs = root.find(f"{{{_MAIN_NS}}}cellXfs")
    for index, xf in enumerate(xfs if xfs is not None else []):
        fill_id = int(xf.get("fillId", "0") or 0)
        rgb = fills[fill_id] if 0 <= fill_id < len(fills) else None
        if rgb is not None and not _neutral(rgb):
            coloured[index] = rgb
    return coloured


def _rgb(colour: Any) -> str | None:
    if colour.get("rgb"):
        return str(colour.get("rgb"))[-6:].upper()
    if colour.get("indexed") is not None:
        from openpyxl.styles.colors import COLOR_INDEX  # a rare legacy palette colour

        index = int(colour.get("indexed"))
        return COLOR_INDEX[index][-6:].upper() if 0 <= index < len(COLOR_INDEX) else None
    return None  # a theme colour: not readable as RGB without the theme


def _neutral(rgb: str) -> bool:
    """White, black and greys: header shading, never a RAG."""
    try:
        red, green, blue = (int(rgb[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return True
    return max(red, green, blue) - min(red, green, blue) < 24


def scan_sheet(archive: zipfile.ZipFile, part: str, coloured: dict[int, str]) -> SheetScan:
    """One streaming pass over a sheet's XML (see the module docstring)."""
    scan = SheetScan()
    for block in _cell_blocks(archive, part):
        _extent(block, scan)
        if b"<f" in block:
            _find_uncalculated(block, scan)
        if b't="e"' in block:
            _find_errors(block, scan)
        if coloured:
            for match in _BLANK_STYLED.finditer(block):
                tag = match.group()
                style = _STYLE.search(tag)
                reference = _CELL_REF.search(tag)
                if style and reference and int(style.group(1)) in coloured:
                    scan.filled_blanks[_position(reference)] = coloured[int(style.group(1))]
    return scan


def _cell_blocks(archive: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    """The sheet XML in chunks that end after a cell, inflated a chunk at a time.

    Only the newest chunk is searched for the cut, so a sheet with no row or cell ends
    (hostile, or one giant cell) still takes linear time.
    """
    carry = b""
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            cut = max(chunk.rfind(b"</c>") + 4, chunk.rfind(b"/>") + 2, chunk.rfind(b"</row>") + 6)
            if cut <= 2:  # no end of a cell in this chunk: keep gathering
                carry += chunk
                continue
            yield carry + chunk[:cut]
            carry = chunk[cut:]
    if carry:
        yield carry


def _extent(block: bytes, scan: SheetScan) -> None:
    """The last row and column named, so no reader is asked to lay out a grid so large
    it cannot be held (calamine allocates rows x columns, and a failed allocation in
    Rust ends the process)."""
    references = _CELL_REF.findall(block)  # (letters, digits) of every cell, one pass
    rows = [int(row) for row in _ROW_NUMBER.findall(block)]
    rows.extend(int(digits) for _, digits in references)
    if rows:
        scan.last_row = max(scan.last_row, max(rows))
    letters = {letters for letters, _ in references}
    if b"mergeCell" in block:  # a merged range reaches as far as its last column
        letters.update(_MERGE_END.findall(block))
    if letters:
        widest = max(letters, key=lambda text: (len(text), text))
        scan.last_column = max(scan.last_column, _column_number(widest))


def _column_number(letters: bytes) -> int:
    column = 0
    for letter in letters.decode():
        column = column * 26 + ord(letter) - 64
    return column


def _find_errors(block: bytes, scan: SheetScan) -> None:
    """Error cells, which the value reader turns into empty text."""
    for match in _ERROR_CELL.finditer(block):
        reference = _CELL_REF.search(match.group(1))
        if reference is not None:
            scan.errors[_position(reference)] = _unescape(match.group(2).decode("utf-8", "replace"))


def _find_uncalculated(block: bytes, scan: SheetScan) -> None:
    start = 0
    while (found := block.find(b"<f", start)) >= 0:
        start = found + 2
        if block[found + 2 : found + 3] not in (b">", b" ", b"/"):
            continue  # another tag beginning with f
        opening = block.rfind(b"<c ", 0, found)
        closing = block.find(b"</c>", found)
        if opening < 0 or closing < 0:
            continue
        cell = block[opening:closing]
        tag = cell[: cell.find(b">") + 1]
        value = re.search(rb"<v>([^<]*)</v>", cell)
        reference = _CELL_REF.search(tag)
        if reference is None or (value is not None and value.group(1)):
            continue
        formula = _FORMULA_TEXT.search(cell)
        text = formula.group(1).decode("utf-8", "replace") if formula else ""
        if text == '""' or PLANBOOK_NAME in text:
            continue  # planbook's own formulas, whose cached result is empty text
        scan.uncalculated[_position(reference)] = _unescape(text)
        start = closing


def _unescape(text: str) -> str:
    from xml.sax.saxutils import unescape

    return unescape(text, {"&quot;": '"', "&apos;": "'"})


def _position(reference: re.Match[bytes]) -> tuple[int, int]:
    letters, digits = reference.group(1).decode(), int(reference.group(2))
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return digits, column
