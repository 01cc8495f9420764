"""The .xlsx file as a zip archive: looked at before anything is inflated.

Plans arrive by email and shared drives; a few may be hostile. Before a value is read,
the archive's directory is checked against the limits below (a zip bomb declares sizes
it cannot keep: Python's zip reader never inflates a member past its declared size), the
workbook part must be there, and the workbook's own XML (sheet list, relationships,
styles) is parsed with defusedxml, so entity expansion and external entities are refused.
Nothing is ever extracted to disk, so member names (``../../etc``) go nowhere.

One streaming pass over each sheet's XML finds what the fast value reader cannot see:
formulas that were never calculated, and blank cells coloured with a solid fill.

The value reader (calamine) expects the package as Excel lays it out. A valid package
laid out otherwise (the workbook part elsewhere, UTF-16 parts, macro sheets, a state or
a range it does not know, Excel 365's newer error values) is noticed here at no cost,
from what the vetting and the pass read anyway, and ``calamine_package`` writes a copy
of it in memory as Excel would have laid it out, the same cells at the same places.
Strict Open XML is read as Transitional: only the namespaces differ.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, NamedTuple
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
#: ECMA-376 Strict: the same vocabulary under other namespaces (the package's own
#: relationships and content types keep theirs).
_STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
MAIN_NAMESPACES = (_MAIN_NS, _STRICT_MAIN_NS)
_REL_NAMESPACES = (_REL_NS, _STRICT_REL_NS)
#: The sheet states the standard names; anything else is shown, as Excel and LibreOffice do.
_STATES = frozenset({"visible", "hidden", "veryHidden"})
#: The error values calamine knows; a newer one (Excel 365's #SPILL!...) stops it.
_CALAMINE_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})
#: The kind of sheet each workbook relationship type names, and the folder calamine
#: requires it in (it knows a sheet's kind by the folder alone).
_SHEET_KINDS = {
    "/worksheet": "worksheet",
    "/chartsheet": "chartsheet",
    "/dialogsheet": "dialogsheet",
    "/xlMacrosheet": "macrosheet",
    "/xlIntlMacrosheet": "macrosheet",
}
_CALAMINE_FOLDERS = {
    "worksheet": "worksheets",
    "chartsheet": "chartsheets",
    "dialogsheet": "dialogsheets",
}
_CELL_REF = re.compile(rb'\br="([A-Z]{1,10})([0-9]{1,20})"')
#: The same after the space every writer puts before an attribute: a literal start the
#: regex engine scans for five times faster (``_extent`` runs it on every cell).
_SPACED_CELL_REF = re.compile(rb' r="([A-Z]{1,10})([0-9]{1,20})"')
_STYLE = re.compile(rb'\bs="([0-9]+)"')
#: A styled cell with no content: ``<c r="B2" s="1"/>``, or ``<c r="B2" s="1" t="n"></c>``
#: as openpyxl writes it when lxml is installed.
_BLANK_STYLED = re.compile(rb'<c\b[^>]*\bs="[0-9]+"[^>]*?(?:/>|>\s*</c>)')
_FORMULA_TEXT = re.compile(rb"<f\b[^>]*>(.*?)</f>", re.DOTALL)
_ROW_NUMBER = re.compile(rb'<row\b[^>]*?\br="([0-9]{1,20})"')
_MERGE_END = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="[A-Z]{1,10}[0-9]{1,20}:([A-Z]{1,10})[0-9]{1,20}"'
)
#: An error cell, whole: ``<c r="H5" t="e"><f>...</f><v>#REF!</v></c>``.
_ERROR_CELL = re.compile(rb'<c\b[^>]*?\bt="e"[^>]*?(?:/>|>.*?</c>)', re.DOTALL)
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_DIMENSION = re.compile(
    rb'<(?:\w+:)?dimension\b[^>]*?\bref="([^"]*)"[^>]*?(?:/>|>\s*</(?:\w+:)?dimension>)'
)
_MERGE = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([^"]*)"[^>]*?(?:/>|>\s*</(?:\w+:)?mergeCell>)'
)
#: A range as calamine reads one: column letters and a row number on each side.
_FULL_RANGE = re.compile(rb"[A-Za-z]{1,3}[1-9][0-9]{0,6}(?::[A-Za-z]{1,3}[1-9][0-9]{0,6})?")
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
_UTF8_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


@dataclass(frozen=True)
class SheetPart:
    name: str
    #: visible, hidden or veryHidden (a state the standard does not name reads as visible).
    state: str
    #: The worksheet XML inside the zip; None for any other sheet (chart, dialog, macro
    #: sheet) or a dangling relation.
    path: str | None
    #: worksheet, chartsheet, dialogsheet, macrosheet; "" when the relation names none.
    kind: str = "worksheet"


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
    #: Written in UTF-16 (read here as UTF-8).
    utf16: bool = False
    #: A dimension or merge whose range lacks a column or a row (``1:5``, ``A:B``).
    partial_ranges: bool = False

    @property
    def area(self) -> int:
        return self.last_row * self.last_column

    @property
    def beyond_limits(self) -> bool:
        """Whether a cell lies past Excel's last row or column: no workbook Excel wrote."""
        return self.last_row > MAX_ROWS or self.last_column > MAX_COLUMNS

    @property
    def irregular(self) -> bool:
        """Whether calamine cannot read the sheet's part as it stands."""
        newer_errors = not _CALAMINE_ERRORS.issuperset(self.errors.values())
        return self.utf16 or self.partial_ranges or newer_errors


@dataclass(frozen=True)
class Archive:
    sheets: tuple[SheetPart, ...]
    has_macros: bool
    #: Cell style index -> RGB of its solid, coloured fill (grey and white left out).
    coloured_styles: dict[int, str]
    #: What the value reader needs beside the sheets: the workbook's date system and the
    #: parts the workbook's relationships name for its shared strings and styles.
    date1904: bool = False
    shared_strings: str | None = None
    styles: str | None = None
    #: Why calamine cannot read the package as it stands (none for a workbook Excel saved).
    irregular: tuple[str, ...] = ()

    @property
    def scanned(self) -> list[int]:
        """The indexes of the sheets with a worksheet part: those ``scan_sheet`` scans."""
        return [index for index, part in enumerate(self.sheets) if part.path is not None]


class _Relation(NamedTuple):
    type: str
    #: The member it names, resolved against the source part's folder.
    part: str
    #: The target as written.
    target: str


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
        return archive, _vetted(archive, names, workbook_part, path)
    except UnreadableWorkbookError:
        archive.close()
        raise
    except (
        zipfile.BadZipFile, zlib.error, ElementTree.ParseError, OSError, ValueError, KeyError,
        EOFError,
    ) as error:  # fmt: skip
        archive.close()
        raise UnreadableWorkbookError(f"{path}: not a readable Excel workbook ({error})") from error


def _vetted(archive: zipfile.ZipFile, names: set[str], workbook_part: str, path: Any) -> Archive:
    relations = _relations(archive, names, workbook_part)
    workbook_data = archive.read(workbook_part)
    root = _parse_bytes(workbook_data)
    sheets, irregular = _sheet_parts(root, names, relations, path)
    styles = _related(relations, "/styles", names)
    shared_strings = _related(relations, "/sharedStrings", names)
    if workbook_part.lower() != "xl/workbook.xml":
        irregular.append(f"the workbook part is {workbook_part}")
    if styles is not None and styles.lower() != "xl/styles.xml":
        irregular.append(f"the styles part is {styles}")  # else calamine loses the dates
    if shared_strings is not None and shared_strings.lower() != "xl/sharedstrings.xml":
        irregular.append(f"the shared strings part is {shared_strings}")
    if sheets and b"r:id=" not in workbook_data and b"relationships:id=" not in workbook_data:
        irregular.append("the sheets name their parts with another prefix than r:")
    rels = _relationships_part(workbook_part)
    for part in (workbook_part, rels, styles, shared_strings):
        if part is not None and part in names and _utf16_encoding(_head(archive, part)):
            irregular.append(f"{part} is in UTF-16")
    properties = next((e for e in root if _local(e.tag) == "workbookPr"), None)
    date1904 = properties is not None and properties.get("date1904", "") in ("1", "true")
    return Archive(
        sheets=tuple(sheets),
        has_macros=any(name.lower().endswith("vbaproject.bin") for name in names),
        coloured_styles=_coloured_styles(archive, styles),
        date1904=date1904,
        shared_strings=shared_strings,
        styles=styles,
        irregular=tuple(irregular),
    )


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
    return _parse_bytes(archive.read(name))


def _parse_bytes(data: bytes) -> Any:
    from defusedxml.ElementTree import fromstring

    return fromstring(data)  # expat reads the encoding (UTF-8, UTF-16) from the part itself


def _local(tag: Any) -> str:
    """An element's name without its namespace: Strict and Transitional alike."""
    return str(tag).rpartition("}")[2]


def _head(archive: zipfile.ZipFile, part: str) -> bytes:
    with archive.open(part) as stream:
        return stream.read(4)


def _utf16_encoding(head: bytes) -> str | None:
    """The UTF-16 codec a part starting with ``head`` is written in, if it is."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the codec reads the byte-order mark and drops it
    if head.startswith(b"<\x00"):
        return "utf-16-le"
    if head.startswith(b"\x00<"):
        return "utf-16-be"
    return None


def as_utf8(data: bytes) -> bytes:
    """A whole part in UTF-8, its declaration saying so: a part in UTF-16 (valid XML that
    no spreadsheet writes) transcoded, any other as it is. A bad UTF-16 is ValueError."""
    encoding = _utf16_encoding(data[:4])
    if encoding is None:
        return data
    return _DECLARATION.sub(_UTF8_DECLARATION, data.decode(encoding).encode("utf-8"), count=1)


def _workbook_part(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The main workbook part, from the package relationships (else the usual name)."""
    if "_rels/.rels" in names:
        for relation in _relations(archive, names, "").values():
            if relation.type.endswith("/officeDocument") and relation.part in names:
                return relation.part
    return "xl/workbook.xml" if "xl/workbook.xml" in names else None


def _relationships_part(part: str) -> str:
    """``xl/workbook.xml`` -> ``xl/_rels/workbook.xml.rels``; ``""`` -> ``_rels/.rels``."""
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def _relations(archive: zipfile.ZipFile, names: set[str], part: str) -> dict[str, _Relation]:
    """Relationship id -> its type and member, for the internal relationships of ``part``."""
    rels = _relationships_part(part)
    if rels not in names:
        return {}
    folder = PurePosixPath(part).parent
    relations = {}
    for relation in _parse(archive, rels).iter():
        target = relation.get("Target", "")
        if _local(relation.tag) != "Relationship" or relation.get("TargetMode") == "External":
            continue
        resolved = target.lstrip("/") if target.startswith("/") else str(folder / target)
        relations[relation.get("Id", "")] = _Relation(
            relation.get("Type", ""), normalise_part_name(resolved), target
        )
    return relations


def _related(relations: dict[str, _Relation], suffix: str, names: set[str]) -> str | None:
    """The member the first relation of this type names, if the archive holds it."""
    parts = (r.part for r in relations.values() if r.type.endswith(suffix))
    return next((part for part in parts if part in names), None)


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
    root: Any, names: set[str], relations: dict[str, _Relation], path: Any
) -> tuple[list[SheetPart], list[str]]:
    """The workbook's sheets in order, and what in them calamine would stop at."""
    parts, irregular = [], []
    for sheet in root.iter():
        if sheet.tag not in _SHEET_TAGS:
            continue
        name = sheet.get("name", "")
        relation = next(
            (relations.get(sheet.get(f"{{{ns}}}id", "")) for ns in _REL_NAMESPACES
             if sheet.get(f"{{{ns}}}id") is not None),
            None,
        )  # fmt: skip
        kind = _kind(relation) if relation is not None else ""
        target = relation.part if relation is not None else None
        if kind == "worksheet" and target not in names:
            raise UnreadableWorkbookError(
                f"{path}: sheet '{name}' is listed but its part "
                f"{target} is missing: a damaged workbook"
            )
        state = sheet.get("state", "visible")
        if state not in _STATES:
            irregular.append(f"sheet '{name}' has the state '{state}'")
            state = "visible"
        if relation is not None and not _calamine_finds(relation, kind):
            irregular.append(f"sheet '{name}' is a {kind or 'part'} at {relation.target}")
        parts.append(SheetPart(name, state, target if kind == "worksheet" else None, kind))
    return parts, irregular


_SHEET_TAGS = frozenset(f"{{{ns}}}sheet" for ns in MAIN_NAMESPACES)


def _kind(relation: _Relation) -> str:
    for suffix, kind in _SHEET_KINDS.items():
        if relation.type.endswith(suffix):
            return kind
    return "worksheet" if "worksheets/" in relation.part else ""


def _calamine_finds(relation: _Relation, kind: str) -> bool:
    """Whether calamine finds this sheet where it is: it resolves a target against
    ``xl/`` whatever the workbook's folder, and knows a kind by its folder alone."""
    target = relation.target
    if target.startswith("/xl/"):
        seen = target[1:]
    elif target.startswith("xl/"):
        seen = target
    else:
        seen = "xl/" + target
    folder = seen.split("/")[1] if seen.count("/") >= 1 else ""
    return seen == relation.part and _CALAMINE_FOLDERS.get(kind) == folder


def _coloured_styles(archive: zipfile.ZipFile, styles_part: str | None) -> dict[int, str]:
    """Cell styles whose fill is solid and coloured: the only ones a blank cell is kept for."""
    if styles_part is None:
        return {}
    root = _parse(archive, styles_part)
    fills: list[str | None] = []
    fills_node = _child(root, "fills")
    for fill in fills_node if fills_node is not None else []:
        pattern = _child(fill, "patternFill")
        colour = _child(pattern, "fgColor") if pattern is not None else None
        solid = pattern is not None and pattern.get("patternType") == "solid"
        fills.append(_rgb(colour) if solid and colour is not None else None)
    coloured: dict[int, str] = {}
    xfs = _child(root, "cellXfs")
    for index, xf in enumerate(xfs if xfs is not None else []):
        fill_id = int(xf.get("fillId", "0") or 0)
        rgb = fills[fill_id] if 0 <= fill_id < len(fills) else None
        if rgb is not None and not _neutral(rgb):
            coloured[index] = rgb
    return coloured


def _child(node: Any, name: str) -> Any:
    """The first child named ``name`` in SpreadsheetML, Transitional or Strict."""
    for namespace in MAIN_NAMESPACES:
        found = node.find(f"{{{namespace}}}{name}")
        if found is not None:
            return found
    return None


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


def scan_sheets(archive: zipfile.ZipFile, vetted: Archive) -> dict[int, SheetScan]:
    """Each worksheet's scan (``scan_sheet``), by the sheet's index in the workbook."""
    return dict(each_scan(archive, vetted))


def each_scan(archive: zipfile.ZipFile, vetted: Archive) -> Iterator[tuple[int, SheetScan]]:
    """(index, scan) of each worksheet in turn, each made as it is asked for."""
    for index in vetted.scanned:
        path = vetted.sheets[index].path
        assert path is not None  # a scanned sheet has its part
        yield index, scan_sheet(archive, path, vetted.coloured_styles)


def scan_sheet(archive: zipfile.ZipFile, part: str, coloured: dict[int, str]) -> SheetScan:
    """One streaming pass over a sheet's XML (see the module docstring)."""
    scan = SheetScan()
    chunks = _Utf8Chunks(archive, part)
    for number, block in enumerate(_cell_blocks(chunks)):
        if number == 0:  # what calamine reads before the cells
            scan.utf16 = chunks.transcoded
            scan.partial_ranges = _partial_dimension(block)
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


class _Utf8Chunks:
    """A part's bytes a chunk at a time, inflated as they are taken, as UTF-8 whatever the
    part is written in: a UTF-16 part is decoded as it streams, its declaration made
    UTF-8's (``transcoded`` says so once the first chunk is taken)."""

    def __init__(self, archive: zipfile.ZipFile, part: str) -> None:
        self.archive, self.part = archive, part
        self.transcoded = False

    def __iter__(self) -> Iterator[bytes]:
        with self.archive.open(self.part) as stream:
            chunk = stream.read(_CHUNK)
            encoding = _utf16_encoding(chunk[:4])
            if encoding is None:
                while chunk:
                    yield chunk
                    chunk = stream.read(_CHUNK)
                return
            self.transcoded = True
            decoder = codecs.getincrementaldecoder(encoding)()  # a bad UTF-16 is ValueError
            text = decoder.decode(chunk).encode("utf-8")
            yield _DECLARATION.sub(_UTF8_DECLARATION, text, count=1)
            while chunk := stream.read(_CHUNK):
                yield decoder.decode(chunk).encode("utf-8")
            yield decoder.decode(b"", final=True).encode("utf-8")


def _cell_blocks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The sheet XML in blocks that end after a row (else after a cell), so that every
    cell stands whole in one block.

    Only the newest chunk is searched for the cut, so a sheet with no row or cell ends
    (hostile, or one giant cell) still takes linear time.
    """
    carry = b""
    for chunk in chunks:
        cut = chunk.rfind(b"</row>") + 6
        if cut < 6:
            cut = max(chunk.rfind(b"</c>") + 4, chunk.rfind(b"/>") + 2)
        if cut <= 2:  # no end of a cell in this chunk: keep gathering
            carry += chunk
            continue
        yield carry + chunk[:cut]
        carry = chunk[cut:]
    if carry:
        yield carry


def _partial_dimension(block: bytes) -> bool:
    """Whether the sheet's dimension (before its cells) is a range calamine refuses."""
    cells = block.find(b"sheetData")
    found = _DIMENSION.search(block, 0, cells if cells >= 0 else len(block))
    return found is not None and not _FULL_RANGE.fullmatch(found.group(1))


def _extent(block: bytes, scan: SheetScan) -> None:
    """The last row and column named, so no reader is asked to lay out a grid so large
    it cannot be held (calamine allocates rows x columns, and a failed allocation in
    Rust ends the process)."""
    # (letters, digits) of every cell, in one pass. Only where an attribute follows
    # another white space than a space (valid XML, written by no spreadsheet) is the
    # slower pattern needed to see every cell: the extent guards the reader's memory.
    spaced = (
        not (b"\t" in block and b'\tr="' in block)  # a byte test first: memchr is fast
        and not (b"\r" in block and b'\rr="' in block)
        and b'\nr="' not in block
    )
    references = (_SPACED_CELL_REF if spaced else _CELL_REF).findall(block)
    # Each distinct number once: a row's cells all name its number.
    numbers = set(_ROW_NUMBER.findall(block))
    numbers.update(digits for _, digits in references)
    if numbers:
        scan.last_row = max(scan.last_row, max(map(int, numbers)))
    letters = {letters for letters, _ in references}
    if b"mergeCell" in block:  # a merged range reaches as far as its last column
        letters.update(_MERGE_END.findall(block))
        if not scan.partial_ranges:
            ranges = (merge.group(1) for merge in _MERGE.finditer(block))
            scan.partial_ranges = not all(_FULL_RANGE.fullmatch(text) for text in ranges)
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
        cell = match.group()
        reference = _CELL_REF.search(cell, 0, cell.find(b">") + 1)  # in the cell's own tag
        value = _VALUE.search(cell)
        if reference is not None and value is not None:
            scan.errors[_position(reference)] = _unescape(value.group(1).decode("utf-8", "replace"))


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


# --------------------------------------------------------------------------- calamine's copy


def needs_copy(vetted: Archive, scans: Mapping[int, SheetScan]) -> bool:
    """Whether calamine must read a copy (``calamine_package``) rather than the file: never
    for a workbook Excel saved, and decided from what was read anyway (no extra pass)."""
    return bool(vetted.irregular) or any(scan.irregular for scan in scans.values())


def calamine_package(
    archive: zipfile.ZipFile, vetted: Archive, scans: Mapping[int, SheetScan]
) -> tuple[bytes, dict[int, int]]:
    """The package laid out as Excel lays it out, in memory, for calamine to read: the
    zip's bytes, and each worksheet's place in the workbook -> its place in the copy.

    The copy holds the worksheets (every cell at its place), the shared strings and the
    styles (for the number formats that make a date), each in UTF-8, at the paths calamine
    looks at, listed by a workbook part written anew with the sheets' names and date
    system. Chart, dialog and macro sheets are left out: none has cells planbook reads.
    In a sheet, a dimension or merge calamine cannot read is dropped (neither places a
    value), and an error value it does not know is written ``#N/A``: calamine reads every
    error as empty, and the scan has the error's own text at that cell. Every member is
    inflated through the vetted archive, so its limits hold for the copy too.
    """
    worksheets = [
        (index, part.name, part.path)
        for index, part in enumerate(vetted.sheets)
        if part.path is not None
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as copy:
        copy.writestr("[Content_Types].xml", _copy_content_types(len(worksheets), vetted))
        copy.writestr("_rels/.rels", _COPY_PACKAGE_RELS)
        copy.writestr(
            "xl/workbook.xml", _copy_workbook([name for _, name, _ in worksheets], vetted)
        )
        copy.writestr("xl/_rels/workbook.xml.rels", _copy_workbook_rels(len(worksheets), vetted))
        if vetted.styles is not None:
            _write(copy, "xl/styles.xml", _Utf8Chunks(archive, vetted.styles))
        if vetted.shared_strings is not None:
            _write(copy, "xl/sharedStrings.xml", _Utf8Chunks(archive, vetted.shared_strings))
        for number, (index, _, part) in enumerate(worksheets, start=1):
            scan = scans.get(index)
            chunks = _Utf8Chunks(archive, part)
            blocks = _calamine_blocks(chunks) if scan is None or scan.irregular else chunks
            _write(copy, f"xl/worksheets/sheet{number}.xml", blocks)
    positions = {index: number for number, (index, _, _) in enumerate(worksheets)}
    return buffer.getvalue(), positions


def _write(copy: zipfile.ZipFile, name: str, chunks: Iterable[bytes]) -> None:
    with copy.open(name, "w") as sink:
        for chunk in chunks:
            sink.write(chunk)


def _calamine_blocks(chunks: _Utf8Chunks) -> Iterator[bytes]:
    for number, block in enumerate(_cell_blocks(chunks)):
        if number == 0:
            block = _DIMENSION.sub(_whole_range_only, block, count=1)
        if b"mergeCell" in block:
            block = _MERGE.sub(_whole_range_only, block)
        if b't="e"' in block:
            block = _ERROR_CELL.sub(_known_error_only, block)
        yield block


def _whole_range_only(match: re.Match[bytes]) -> bytes:
    return match.group() if _FULL_RANGE.fullmatch(match.group(1)) else b""


def _known_error_only(match: re.Match[bytes]) -> bytes:
    def known(value: re.Match[bytes]) -> bytes:
        error = _unescape(value.group(1).decode("utf-8", "replace"))
        return value.group() if error in _CALAMINE_ERRORS else b"<v>#N/A</v>"

    return _VALUE.sub(known, match.group())


_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml."
#: A sheet name as an attribute calamine reads back as it is, line breaks and tabs too.
_ATTRIBUTE_ESCAPES = {"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
_COPY_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIP}officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)


def _copy_workbook(names: list[str], vetted: Archive) -> str:
    from xml.sax.saxutils import quoteattr  # imports urllib and http: only for this copy

    sheets = "".join(
        f'<sheet name={quoteattr(name, _ATTRIBUTE_ESCAPES)} sheetId="{number}" r:id="rId{number}"/>'
        for number, name in enumerate(names, start=1)
    )
    properties = '<workbookPr date1904="1"/>' if vetted.date1904 else "<workbookPr/>"
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">{properties}'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def _copy_workbook_rels(count: int, vetted: Archive) -> str:
    relations = [
        (f"rId{number}", "worksheet", f"worksheets/sheet{number}.xml")
        for number in range(1, count + 1)
    ]
    if vetted.styles is not None:
        relations.append(("rIdStyles", "styles", "styles.xml"))
    if vetted.shared_strings is not None:
        relations.append(("rIdStrings", "sharedStrings", "sharedStrings.xml"))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="{rid}" Type="{_RELATIONSHIP}{kind}" Target="{target}"/>'
            for rid, kind, target in relations
        )
        + "</Relationships>"
    )


def _copy_content_types(count: int, vetted: Archive) -> str:
    parts = [("/xl/workbook.xml", "sheet.main+xml")]
    parts += [(f"/xl/worksheets/sheet{n}.xml", "worksheet+xml") for n in range(1, count + 1)]
    if vetted.styles is not None:
        parts.append(("/xl/styles.xml", "styles+xml"))
    if vetted.shared_strings is not None:
        parts.append(("/xl/sharedStrings.xml", "sharedStrings+xml"))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(
            f'<Override PartName="{name}" ContentType="{_CONTENT_TYPE}{kind}"/>'
            for name, kind in parts
        )
        + "</Types>"
    )
