"""Broken, huge and hostile workbooks for tests/test_hostile.py, built at test time.

Each starts from a small valid plan written by ``workbooks.write_workbook`` and is then
damaged byte by byte: members replaced, dropped or added, zip headers patched, XML
written by hand where openpyxl would refuse (or quietly repair) what an attacker can
write. The files stay small on disk: the bombs are highly compressible. Nothing here
imports planbook.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from workbooks import PLAN_HEADER, CellInput, write_workbook

MiB = 1 << 20

#: The first bytes of an OLE2 compound file: a legacy .xls, or an encrypted workbook.
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

#: Where openpyxl puts the parts of a one-sheet workbook.
SHEET = "xl/worksheets/sheet1.xml"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
CONTENT_TYPES = "[Content_Types].xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
MAIN_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'

HEADER: list[CellInput] = PLAN_HEADER

#: The one milestone of ``plan_rows``: Complete, so its RAG does not depend on the day.
MILESTONE: list[CellInput] = [
    "T1",
    "Replace the telephony",
    "Go live",
    "30/09/22",
    "Capita",
    "Service",
    "All",
    "Complete",
    "",
    "Live since September",
]

Replacement = bytes | Callable[[bytes], bytes]


def plan_rows(service: str = "Test", *rows: Sequence[CellInput]) -> list[list[CellInput]]:
    """A plan sheet: header block, a Part 2 title and header (row 4), then ``rows`` from
    row 5 (by default ``MILESTONE``)."""
    body = [list(row) for row in rows] or [list(MILESTONE)]
    return [["Annual Plan for:", service], [], ["Part 2 - Annual Plan Items"], HEADER, *body]


def plan_workbook(
    path: Path, sheets: Mapping[str, Sequence[Sequence[CellInput]]] | None = None, **kwargs: object
) -> Path:
    """A valid workbook (by default one plan sheet, ``Plan``) to damage."""
    return write_workbook(path, sheets or {"Plan": plan_rows()}, **kwargs)  # type: ignore[arg-type]


def member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def rezip(
    source: Path,
    target: Path,
    *,
    replace: Mapping[str, Replacement] | None = None,
    drop: Sequence[str] = (),
    add: Mapping[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """``source`` written again as ``target``, members replaced, dropped or added. Member
    names are written as given, ``../../evil.txt`` included."""
    replace = replace or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", compression) as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            data = old.read(info)
            change = replace.get(info.filename)
            if change is not None:
                data = change(data) if callable(change) else change
            new.writestr(info.filename, data)
        for name, data in (add or {}).items():
            new.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return target


def damaged(source: Path, target: Path, name: str, change: Replacement) -> Path:
    """``source`` with one member's bytes changed."""
    return rezip(source, target, replace={name: change})


def cell_replaced(reference: str, cell: bytes) -> Callable[[bytes], bytes]:
    """A sheet XML change: the cell at ``reference`` becomes ``cell`` (raw XML)."""
    pattern = re.compile(rb'<c r="' + reference.encode() + rb'"(?:[^>]*/>|[^>]*>.*?</c>)')

    def change(xml: bytes) -> bytes:
        changed, count = pattern.subn(cell.replace(b"\\", b"\\\\"), xml, count=1)
        assert count == 1, f"no cell {reference} in the sheet"
        return changed

    return change


def row_added(row: bytes) -> Callable[[bytes], bytes]:
    """A sheet XML change: ``row`` (raw XML) added at the end of the sheet data."""

    def change(xml: bytes) -> bytes:
        assert b"</sheetData>" in xml
        return xml.replace(b"</sheetData>", row + b"</sheetData>", 1)

    return change


def inline_cell(reference: str, text: str) -> bytes:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def patch_member_headers(
    path: Path,
    name: str,
    *,
    file_size: int | None = None,
    crc: int | None = None,
    set_flags: int = 0,
) -> Path:
    """Rewrite what the zip's headers (local and central) declare about one member:
    its uncompressed size, its CRC, and general-purpose flag bits; the data stays."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    local = info.header_offset
    assert data[local : local + 4] == b"PK\x03\x04"
    end = data.rfind(b"PK\x05\x06")
    central = struct.unpack_from("<I", data, end + 16)[0]
    # (flags, crc, uncompressed size) offsets: local header, central directory entry.
    headers = [(local, (6, 14, 22))]
    while data[central : central + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, central + 28)
        if bytes(data[central + 46 : central + 46 + name_length]) == name.encode():
            headers.append((central, (8, 16, 24)))
        central += 46 + name_length + extra_length + comment_length
    assert len(headers) == 2, f"{name} not in the central directory"
    for start, (flags_at, crc_at, size_at) in headers:
        flags = struct.unpack_from("<H", data, start + flags_at)[0]
        struct.pack_into("<H", data, start + flags_at, flags | set_flags)
        if crc is not None:
            struct.pack_into("<I", data, start + crc_at, crc)
        if file_size is not None:
            struct.pack_into("<I", data, start + size_at, file_size)
    path.write_bytes(bytes(data))
    return path


def with_shared_strings(source: Path, target: Path, strings_xml: bytes) -> Path:
    """``source`` with a shared strings part, and its B5 (the description) taken from
    the first shared string."""
    relation = (
        b'<Relationship Id="rIdHostile" Target="sharedStrings.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
    )
    override = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    return rezip(
        source,
        target,
        replace={
            SHEET: cell_replaced("B5", b'<c r="B5" t="s"><v>0</v></c>'),
            WORKBOOK_RELS: lambda xml: xml.replace(
                b"</Relationships>", relation + b"</Relationships>"
            ),
            CONTENT_TYPES: lambda xml: xml.replace(b"</Types>", override + b"</Types>"),
        },
        add={SHARED_STRINGS: strings_xml},
    )


def shared_strings(*items: bytes, padding: bytes = b"") -> bytes:
    return b"<sst " + MAIN_NS + b">" + b"".join(items) + padding + b"</sst>"


def billion_laughs(levels: int = 9) -> bytes:
    """A DOCTYPE whose entity ``&lol9;`` expands to 10**9 ``lol``s."""
    entities = [b'<!ENTITY lol0 "lol">']
    for level in range(1, levels + 1):
        entities.append(b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10))
    return b'<?xml version="1.0"?>\n<!DOCTYPE lolz [' + b"".join(entities) + b"]>\n"


def external_entity(url: str = "file:///etc/passwd") -> bytes:
    """A DOCTYPE declaring ``&xxe;`` as the contents of ``url``."""
    return b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "' + url.encode() + b'">]>\n'


def without_declaration(xml: bytes) -> bytes:
    """The XML with its ``<?xml ...?>`` declaration left out (to put a DOCTYPE first)."""
    return re.sub(rb"^\s*<\?xml[^>]*\?>\s*", b"", xml)
