"""The lead's workbook as an OOXML package: its parts, relationships and content types.

``format`` patches the package instead of regenerating it: every part it does not
change is copied byte for byte, in the order the input holds them. This module knows
the package's plumbing (the zip, ``[Content_Types].xml``, the ``.rels`` parts, the
workbook part's sheet list); what changes inside a part is decided elsewhere.

XML is parsed with lxml, never resolving entities or reaching the network; a part that
declares a DTD is refused (defusedxml's rule: a workbook never needs one).
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from planbook.archive import as_utf8
from planbook.errors import PlanbookError

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"

WORKSHEET_TYPE = f"{REL_NS}/worksheet"
CUSTOM_PROPERTIES_TYPE = f"{REL_NS}/custom-properties"
CALC_CHAIN_TYPE = f"{REL_NS}/calcChain"
VBA_TYPE = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKBOOK_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_WORKBOOK_CONTENT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CUSTOM_CONTENT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"

_PROLOG = re.compile(rb"^\s*(<\?xml[^>]*\?>\s*)?")


class PackageError(PlanbookError):
    """The package cannot be patched as it stands."""


def parse_xml(data: bytes) -> Any:
    """An lxml element tree of a part: no entities resolved, no DTD, no network."""
    from lxml import etree

    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data[:4096]:
        raise PackageError("a part of the workbook declares a DTD; not a workbook Excel wrote")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=False
    )
    return etree.fromstring(data, parser)


def make_element(tag: str, namespace: str = MAIN_NS, /, **attributes: str) -> Any:
    """An element of the spreadsheet namespace (its prefix comes from where it is put)."""
    from lxml import etree

    element = etree.Element(f"{{{namespace}}}{tag}")
    for key, value in attributes.items():
        element.set(key, value)
    return element


def serialise_xml(root: Any, original: bytes) -> bytes:
    """``root`` serialised behind the original part's XML declaration, byte for byte."""
    from lxml import etree

    match = _PROLOG.match(original)
    prolog = match.group(0) if match else b""
    return prolog + etree.tostring(root, encoding="UTF-8")


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str
    #: The part the target names, resolved against the source part's folder.
    part: str | None


def relationships_part(part: str) -> str:
    """``xl/workbook.xml`` -> ``xl/_rels/workbook.xml.rels``."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def resolve(source: str, target: str) -> str:
    """The part a relationship of ``source`` targets (the package's own: ``/``)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target)).lstrip("/")


class Package:
    """The input workbook's zip, read part by part; nothing is extracted to disk."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.members = archive.infolist()
        self.names = [member.filename for member in self.members]
        self._present = set(self.names)

    def __contains__(self, name: object) -> bool:
        # Why object: a relationship to an external target names no part (None).
        return name in self._present

    def read(self, name: str) -> bytes:
        """A part's bytes, in UTF-8 (``archive.as_utf8``): what planbook edits, it writes
        in UTF-8; the parts it does not edit are copied as they are."""
        try:
            return as_utf8(self.archive.read(name))
        except UnicodeDecodeError as error:
            raise PackageError(f"its part {name} is not valid UTF-16 text") from error

    def relationships(self, part: str) -> list[Relationship]:
        rels = relationships_part(part) if part else "_rels/.rels"
        if rels not in self:
            return []
        root = parse_xml(self.read(rels))
        found = []
        for element in root.iter(f"{{{PKG_REL_NS}}}Relationship"):
            target = element.get("Target", "")
            external = element.get("TargetMode") == "External"
            found.append(
                Relationship(
                    element.get("Id", ""),
                    element.get("Type", ""),
                    target,
                    None if external else resolve(part or "/", target),
                )
            )
        return found

    def workbook_part(self) -> str:
        for relation in self.relationships(""):
            part = relation.part
            if relation.type.endswith("/officeDocument") and part is not None and part in self:
                return part
        if "xl/workbook.xml" in self:
            return "xl/workbook.xml"
        raise PackageError("holds no workbook part")


@dataclass(frozen=True)
class SheetEntry:
    """A ``<sheet>`` of the workbook part and the part it points at."""

    name: str
    sheet_id: int
    rel_id: str
    part: str | None


def sheet_entries(workbook: Any, relations: Iterable[Relationship]) -> list[SheetEntry]:
    by_id = {relation.id: relation for relation in relations}
    entries = []
    for element in workbook.iter(f"{{{MAIN_NS}}}sheet"):
        rel_id = element.get(f"{{{REL_NS}}}id", "")
        relation = by_id.get(rel_id)
        entries.append(
            SheetEntry(
                element.get("name", ""),
                int(element.get("sheetId", "0") or 0),
                rel_id,
                relation.part if relation is not None else None,
            )
        )
    return entries


def add_relationship(rels: Any, rel_type: str, target: str) -> str:
    """Add a relationship with the first free ``rIdN``; its id."""
    from lxml import etree

    taken = {element.get("Id") for element in rels}
    number = len(taken) + 1
    while f"rId{number}" in taken:
        number += 1
    element = etree.SubElement(rels, f"{{{PKG_REL_NS}}}Relationship")
    element.set("Id", f"rId{number}")
    element.set("Type", rel_type)
    element.set("Target", target)
    return f"rId{number}"


def empty_relationships() -> Any:
    from lxml import etree

    return etree.Element(f"{{{PKG_REL_NS}}}Relationships", nsmap={None: PKG_REL_NS})  # type: ignore[dict-item]


#: What to write for a part: its bytes, or a function yielding them (a big sheet is
#: streamed into the zip, never held whole).
PartContent = bytes | Callable[[], Iterator[bytes]]


def spooled(chunks: Iterable[bytes]) -> PartContent:
    """A part made now and written later, kept in a temporary file meanwhile: a big
    sheet's patched bytes are not held in memory while the others are made."""
    import tempfile

    spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed once replayed)
    for chunk in chunks:
        spool.write(chunk)

    def replay() -> Iterator[bytes]:
        spool.seek(0)
        while block := spool.read(1 << 20):
            yield block
        spool.close()

    return replay


def write_package(
    target: Any,
    package: Package,
    replaced: dict[str, PartContent],
    added: list[tuple[str, PartContent]],
    removed: set[str],
    stamp: dt.date,
) -> None:
    """The input's parts in its order, ``replaced`` ones rewritten, ``removed`` left out,
    ``added`` ones after. Copied parts keep their zip entry's date; new and rewritten
    ones are dated ``stamp``, so the same input gives the same bytes."""
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for member in package.members:
            name = member.filename
            if name in removed:
                continue
            if name in replaced:
                _write_part(out, name, replaced[name], date_time)
                continue
            info = zipfile.ZipInfo(name, member.date_time)
            info.compress_type = member.compress_type
            info.external_attr = member.external_attr
            with package.archive.open(member) as source, out.open(info, "w") as sink:
                while chunk := source.read(1 << 20):
                    sink.write(chunk)
        for name, content in added:
            _write_part(out, name, content, date_time)


def _write_part(
    out: zipfile.ZipFile, name: str, content: PartContent, date_time: tuple[int, ...]
) -> None:
    info = zipfile.ZipInfo(name, date_time)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_DEFLATED
    with out.open(info, "w") as sink:
        if isinstance(content, bytes):
            sink.write(content)
        else:
            for chunk in content():
                sink.write(chunk)
