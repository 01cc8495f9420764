"""Fidelity of `planbook format` (issue 10): a plan workbook full of the lead's own Excel
features at known cells, and checkers that say what a written workbook lost.

Nothing here imports planbook. The workbook is written with XlsxWriter (it writes what
openpyxl cannot: formulas with cached values, charts with cached data, images without
Pillow, chartsheets, extension lists), then patched as a zip for the two things no tool
here writes: a threaded comment and a formula with no cached value at all.

The checkers compare an input package with an output package part by part and, in the
parts planbook may rewrite, element by element (raw XML, parsed with defusedxml). Each
returns a list of human-readable differences: empty means the contract holds. Every
checker compares the output with the *input*, so it also works on a workbook someone
else saved (LibreOffice, Excel); the manifest below says what the built workbook holds
where, so the tests can also assert each feature at its cell.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import posixpath
import shutil
import struct
import subprocess
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import xlsxwriter
from defusedxml import ElementTree as SafeET
from openpyxl.utils.cell import (
    column_index_from_string,
    coordinate_from_string,
    get_column_letter,
)

from workbooks import PLAN_HEADER

# --------------------------------------------------------------------------- the contract

#: Workbook-level parts planbook may rewrite (issue 10). Every other part of the input
#: comes out byte-equal, except the worksheet parts (and their relationships) of the
#: sheets planbook reads as plan sheets and of its own sheets.
REWRITABLE_PARTS = frozenset(
    {
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/custom.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/calcChain.xml",
    }
)
#: Parts that may be missing from the output.
DROPPABLE_PARTS = frozenset({"xl/calcChain.xml"})
#: planbook's own sheets: their parts may be rewritten, or added.
PLANBOOK_SHEETS = ("Findings", "Change Log", "Legend")
#: Defined names planbook adds (a print-titles name too, only where a sheet has none).
PLANBOOK_NAMES = ("PlanbookAsOf", "PlanbookAmberDays")
#: planbook's two columns, in this order, past the sheet's last used column.
PLANBOOK_HEADERS = ("Derived RAG", "Parsed Due Date")
DERIVED_LETTERS = ("R", "A", "G", "B")

# --------------------------------------------------------------------------- namespaces

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
CUSTOM_PROPS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
THREADED = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
REL_THREADED = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
REL_PERSON = "http://schemas.microsoft.com/office/2017/10/relationships/person"
CT_THREADED = "application/vnd.ms-excel.threadedcomments+xml"
CT_PERSON = "application/vnd.ms-excel.person+xml"
CT_MACRO_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
R_ID = f"{{{DOC_REL}}}id"


def q(name: str, namespace: str = MAIN) -> str:
    """``{namespace}name``, as ElementTree spells a qualified name."""
    return f"{{{namespace}}}{name}"


# --------------------------------------------------------------------------- the manifest

AS_OF = dt.date(2022, 3, 17)
PLAN = "Plan"
SHEETS = ("Cover", PLAN, "Data", "Notes", "Chart", "Hidden")
#: The plan sheet's tracked tables: Part 1 (header row 6, milestones 7-11, row 11 hidden,
#: `Insert Line Above` markers on 12 and 13) and Part 2 (header 21, milestones 22-23);
#: then a Forward Look (26-27), which has no Delivery Status: no planbook columns.
HEADER_ROW = 6
HEADER_ROWS = (6, 21)
MILESTONE_ROWS = (7, 8, 9, 10, 11, 22, 23)
UNTRACKED_ROWS = (26, 27)
#: A1..K: the template's columns and the lead's own `Notes` column; L holds the lead's
#: formulas. L is the last used column, so planbook's columns are M and N.
LAST_USED_COLUMN = "L"
PLANBOOK_COLUMNS = ("M", "N")
MERGES = frozenset({"A4:J4", "C5:D5", "H5:I5", "B7:B9"})
#: cell -> (formula, cached value); None: never calculated, no <v> at all.
FORMULAS: dict[str, tuple[str, str | None]] = {
    "L7": ("COUNTA(K8:K20)", "2"),
    "L8": ("L7*2", None),
    "D10": ("DATE(2022,5,31)", "44712"),
    "J10": ('Notes!B1&" boxes"', "12 boxes"),
}
#: The lead's non-canonical spellings and what planbook writes in their place.
CANONICAL_CHANGES = {"H7": "Started", "I7": "R"}
CHANGE_LOG_ROWS = (
    (PLAN, "H7", "status", "WIP", "Started"),
    (PLAN, "I7", "rag", "Red", "R"),
)
RICH_TEXT_CELL = "J7"  # "boxes " then "bought" in bold
URL = "https://example.org/wiki"
HYPERLINKS = {"J8": URL, "J9": "Notes!A1"}
NOTE_CELL = "B7"
THREADED_CELL = "H7"
DEFINED_NAMES = {
    "LeadTotal": "Plan!$L$7",
    "Councils": "Data!$A$2:$A$5",
    "_xlnm.Print_Area": "Plan!$A$1:$L$27",
    "_xlnm.Print_Titles": "Plan!$6:$6",
}
LOCAL_NAME = ("FirstStep", PLAN, "Plan!$C$7")
COLUMN_WIDTHS = {"B": 40.0, "J": 30.0, "K": 20.0}
HIDDEN_COLUMN = "G"
ROW_HEIGHT = (HEADER_ROW, 45.0)
HIDDEN_ROW = 11
HIDDEN_SHEET = "Hidden"
TAB_COLOUR = "FF00B050"
FROZEN_AT = "C7"
AUTOFILTER = "A6:K11"
TABLE = ("Budgets", "A15:C18")
VALIDATIONS = {"E7:E11": "list", "K7:K11": "textLength"}
CONDITIONAL_FORMATS = {"D7:D11": "cellIs", "K7:K11": "containsText", "L7:L8": "dataBar"}
CUSTOM_PROPERTIES = {"Owner": "Fidelity Team", "Revision": "3", "Reviewed": "true"}
IMAGE_CELL = "P2"
CHART_SHEET = "Chart"
VBA_PROJECT = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 planbook test: not a real VBA project"


def _png(width: int = 4, height: int = 3) -> bytes:
    """A small RGB PNG, made here (no Pillow)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes((0, 112, 192)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = _png()


# --------------------------------------------------------------------------- building


def build_plan_workbook(path: Path, *, macros: bool = False) -> Path:
    """Write the fidelity workbook (``.xlsm`` with a VBA project when ``macros``).

    Sheets: Cover (a cover: Version Control), Plan (the plan, every feature of the
    manifest), Data (numbers and a chart), Notes (protected, a note, an
    uncalculated formula), Chart (a chartsheet) and Hidden (a hidden sheet).
    """
    workbook = xlsxwriter.Workbook(str(path))
    created = dt.datetime(2022, 3, 1, 9, 0, 0)
    workbook.set_properties({"title": "Fidelity plan", "author": "A Lead", "created": created})
    workbook.set_custom_property("Owner", CUSTOM_PROPERTIES["Owner"])
    workbook.set_custom_property("Revision", int(CUSTOM_PROPERTIES["Revision"]))
    workbook.set_custom_property("Reviewed", True)
    if macros:
        workbook.add_vba_project(io.BytesIO(VBA_PROJECT), is_stream=True)

    bold = workbook.add_format({"bold": True})
    title = workbook.add_format(
        {"bold": True, "font_size": 14, "bg_color": "#DDEBF7", "align": "center"}
    )
    group = workbook.add_format({"italic": True, "align": "center", "bottom": 1})
    header = workbook.add_format(
        {"bold": True, "bg_color": "#D9D9D9", "border": 1, "text_wrap": True, "valign": "top"}
    )
    merged = workbook.add_format({"valign": "top", "text_wrap": True, "border": 1})
    day = workbook.add_format({"num_format": "dd/mm/yyyy", "border": 1})
    status = workbook.add_format({"font_color": "#7030A0", "border": 1})
    rag = workbook.add_format({"bold": True, "bg_color": "#FFC7CE", "border": 1, "align": "center"})
    money = workbook.add_format({"num_format": "£#,##0.00"})
    link = workbook.add_format({"font_color": "blue", "underline": 1})
    late = workbook.add_format({"bg_color": "#FFCCFF"})
    flagged = workbook.add_format({"bold": True, "font_color": "#C00000"})

    cover = workbook.add_worksheet("Cover")
    cover.write("A1", "Annual Plan", bold)
    cover.write("A3", "2022/3")
    cover.write("A5", "Version Control", bold)
    cover.write_row("A6", ["Version", "Changes"], bold)
    cover.write_row("A7", [1, "first"])

    plan = workbook.add_worksheet(PLAN)
    data = workbook.add_worksheet("Data")
    notes = workbook.add_worksheet("Notes")
    chartsheet = workbook.add_chartsheet(CHART_SHEET)
    hidden = workbook.add_worksheet(HIDDEN_SHEET)

    # The plan: header block, a merged title, merged group headers, the tracked table.
    plan.write("A1", "Annual Plan for:", bold)
    plan.write("B1", "Fidelity Services 2022/23")
    plan.write("A2", "Last Update (Date and Who by)", bold)
    plan.write("B2", "1 March 2022; A Lead")
    plan.merge_range("A4:J4", "Part 1 - Outstanding Transition Actions", title)
    plan.merge_range("C5:D5", "Milestone plan", group)
    plan.merge_range("H5:I5", "Tracking", group)
    plan.write_row(HEADER_ROW - 1, 0, [*PLAN_HEADER, "Notes"], header)
    plan.write("A7", "T1", merged)
    plan.merge_range("B7:B9", "Move the office", merged)
    plan.write_row("C7", ["Pack"], merged)
    plan.write_datetime("D7", dt.datetime(2022, 3, 1), day)
    plan.write_row("E7", ["Ann", "O1", "Hart"], merged)
    plan.write("H7", "WIP", status)
    plan.write("I7", "Red", rag)
    plan.write_rich_string(RICH_TEXT_CELL, "boxes ", bold, "bought", merged)
    plan.write("K7", "call estates")
    plan.write_formula("L7", "=" + FORMULAS["L7"][0], None, 2)
    plan.write_row("C8", ["Unpack", "30 April 2022"], merged)
    plan.write("H8", "Started", status)
    plan.write("I8", "G", rag)
    plan.write_url("J8", URL, link, string="see the wiki", tip="the team wiki")
    plan.write("K8", "check keys")
    plan.write_formula("L8", "=" + FORMULAS["L8"][0], None, "")  # its <v> is removed below
    plan.write_row("C9", ["Paint", "By 30 June 2022"], merged)
    plan.write("H9", "Not started", status)
    plan.write("I9", "A", rag)
    plan.write_url("J9", "internal:Notes!A1", link, string="see Notes")
    plan.write("K9", "pick colours")
    plan.write_row("A10", ["T2", "Hand over", "Sign"], merged)
    plan.write_formula("D10", "=" + FORMULAS["D10"][0], day, 44712)
    plan.write("E10", "Bob", merged)
    plan.write("H10", "Complete", status)
    plan.write("I10", "B", rag)
    plan.write_formula("J10", "=" + FORMULAS["J10"][0], None, "12 boxes")
    plan.write_row("C11", ["Secret step", "TBC"], merged)
    plan.write("H11", "Paused", status)
    plan.write("I11", "A", rag)
    plan.write("J11", "a hidden row")
    plan.write("A12", "Insert Line Above")
    plan.write("A13", "Insert Line Above")  # a second marker: the lead's, kept as it is
    plan.write("A14", "Delivery Tracking", bold)  # a note: it ends the table
    plan.add_table(
        TABLE[1],
        {
            "name": TABLE[0],
            "columns": [{"header": "Council"}, {"header": "Budget"}, {"header": "Share"}],
            "data": [["Hart", 100, 0.5], ["Rushmoor", 60, 0.3], ["Fleet", 40, 0.2]],
            "style": "Table Style Light 9",
        },
    )
    # A second tracked table (Part 2), narrower than the first, and a Forward Look.
    plan.write("A20", "Part 2 - Annual Plan Items", bold)
    plan.write_row("A21", PLAN_HEADER, header)
    plan.write_row("A22", ["P1", "Refresh the kiosks", "Order"])
    plan.write_datetime("D22", dt.datetime(2022, 4, 10), day)
    plan.write_row("E22", ["Cat", None, None, "Not started", "A", "quotes in"])
    plan.write_row("C23", ["Install", "31/12/2022", None, None, None, "Started", "G"])
    plan.write("A25", "Part 3 - Forward Look", bold)
    plan.write_row("A26", ["Ref", "Description", "Milestones", "Due Dates", "Lead"], header)
    plan.write_row("A27", ["F1", "Future thing", "Think", "Q3", "Bob"])
    plan.write_comment(NOTE_CELL, "Ask estates for the dates", {"author": "Ann Lead"})
    plan.write_comment(THREADED_CELL, _threaded_fallback(), {"author": f"tc={_COMMENT_ID}"})
    plan.set_column("B:B", COLUMN_WIDTHS["B"])
    plan.set_column("G:G", 12, None, {"hidden": True})
    plan.set_column("J:J", COLUMN_WIDTHS["J"])
    plan.set_column("K:K", COLUMN_WIDTHS["K"])
    plan.set_row(HEADER_ROW - 1, ROW_HEIGHT[1])
    plan.set_row(HIDDEN_ROW - 1, None, None, {"hidden": True})
    plan.set_tab_color("#00B050")
    plan.freeze_panes(FROZEN_AT)
    plan.autofilter(AUTOFILTER)
    plan.data_validation(
        "E7:E11", {"validate": "list", "source": ["Ann", "Bob"], "error_title": "Lead"}
    )
    plan.data_validation(
        "K7:K11", {"validate": "length", "criteria": "<=", "value": 200, "input_title": "Notes"}
    )
    plan.conditional_format(
        "D7:D11", {"type": "cell", "criteria": "<", "value": "DATE(2022,3,17)", "format": late}
    )
    plan.conditional_format(
        "K7:K11",
        {"type": "text", "criteria": "containing", "value": "estates", "format": flagged},
    )
    plan.conditional_format("L7:L8", {"type": "data_bar", "data_bar_2010": True})
    plan.print_area("A1:L27")
    plan.repeat_rows(HEADER_ROW - 1)
    plan.protect("", {"format_columns": True, "format_rows": True, "autofilter": True})
    plan.insert_image(IMAGE_CELL, "logo.png", {"image_data": io.BytesIO(PNG)})

    data.write_row("A1", ["Council", "Budget"], bold)
    for row, (council, budget) in enumerate(
        [("Hart", 100), ("Rushmoor", 60), ("Fleet", 40), ("Odiham", 25)], start=1
    ):
        data.write(row, 0, council)
        data.write_number(row, 1, budget, money)
    data.write_formula("B6", "=SUM(B2:B5)", money, 225)
    chart = workbook.add_chart({"type": "column"})
    chart.add_series(
        {"name": "Budget", "categories": "=Data!$A$2:$A$5", "values": "=Data!$B$2:$B$5"}
    )
    data.insert_chart("D2", chart)
    pie = workbook.add_chart({"type": "pie"})
    pie.add_series({"categories": "=Data!$A$2:$A$5", "values": "=Data!$B$2:$B$5"})
    chartsheet.set_chart(pie)

    notes.write("A1", "Just notes")
    notes.write_number("B1", 12)
    notes.write_datetime("A2", dt.datetime(2022, 1, 2), day)
    notes.write_formula("B3", "=SUM(B1:B2)", None, 12)
    notes.write_comment("A1", "A note on another sheet", {"author": "Bob"})
    notes.protect()

    hidden.write("A1", "secret")
    hidden.hide()

    workbook.define_name("LeadTotal", "=" + DEFINED_NAMES["LeadTotal"])
    workbook.define_name("Councils", "=" + DEFINED_NAMES["Councils"])
    workbook.define_name(f"{LOCAL_NAME[1]}!{LOCAL_NAME[0]}", "=" + LOCAL_NAME[2])
    workbook.close()
    _patch(path)
    return path


_PERSON_ID = "{4F2A1B3C-0D5E-4F60-8A71-92B3C4D5E6F7}"
_COMMENT_ID = "{1A2B3C4D-5E6F-4071-8293-A4B5C6D7E8F9}"
_REPLY_ID = "{9F8E7D6C-5B4A-4938-8271-6F5E4D3C2B1A}"
THREADED_TEXTS = ("Why is this still WIP?", "Waiting on estates.")


def _threaded_fallback() -> str:
    """The legacy note Excel writes under a threaded comment, for older readers."""
    return (
        "[Threaded comment]\n\nYour version of Excel allows you to read this threaded "
        "comment; however, any edits to it will get removed if the file is opened in a "
        "newer version of Excel.\n\nComment:\n    " + THREADED_TEXTS[0]
    )


def _patch(path: Path) -> None:
    """Add the threaded comment (thread and reply, its person list) to the plan sheet,
    and take the cached value off L8 (XlsxWriter always writes a <v>)."""
    package = Package(path)
    parts = dict(package.parts)
    sheet = package.sheet_part(PLAN)
    parts[sheet] = (
        parts[sheet]
        .replace(b'<c r="L8" t="str"><f>L7*2</f><v></v></c>', b'<c r="L8"><f>L7*2</f></c>')
        .replace(b'<c r="L8"><f>L7*2</f><v></v></c>', b'<c r="L8"><f>L7*2</f></c>')
    )
    assert b'<c r="L8"><f>L7*2</f></c>' in parts[sheet], "L8 not found to uncalculate"
    threads = "xl/threadedComments/threadedComment1.xml"
    persons = "xl/persons/person.xml"
    parts[threads] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<ThreadedComments xmlns="{THREADED}" xmlns:x="{MAIN}">'
        f'<threadedComment ref="{THREADED_CELL}" dT="2022-03-01T09:30:00.00" '
        f'personId="{_PERSON_ID}" id="{_COMMENT_ID}"><text>{THREADED_TEXTS[0]}</text>'
        f'</threadedComment><threadedComment ref="{THREADED_CELL}" '
        f'dT="2022-03-02T10:00:00.00" personId="{_PERSON_ID}" id="{_REPLY_ID}" '
        f'parentId="{_COMMENT_ID}"><text>{THREADED_TEXTS[1]}</text></threadedComment>'
        "</ThreadedComments>"
    ).encode()
    parts[persons] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<personList xmlns="{THREADED}" xmlns:x="{MAIN}">'
        f'<person displayName="Ann Lead" id="{_PERSON_ID}" userId="ann.lead@example.org" '
        'providerId="None"/></personList>'
    ).encode()
    sheet_rels = rels_part(sheet)
    parts[sheet_rels] = _add_relationship(
        parts[sheet_rels], "rIdTc1", REL_THREADED, "../threadedComments/threadedComment1.xml"
    )
    parts["xl/_rels/workbook.xml.rels"] = _add_relationship(
        parts["xl/_rels/workbook.xml.rels"], "rIdPerson1", REL_PERSON, "persons/person.xml"
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/{threads}" ContentType="{CT_THREADED}"/>'
        f'<Override PartName="/{persons}" ContentType="{CT_PERSON}"/></Types>'.encode(),
    )
    write_package(path, parts)


def _add_relationship(rels: bytes, rid: str, kind: str, target: str) -> bytes:
    return rels.replace(
        b"</Relationships>",
        f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/></Relationships>'.encode(),
    )


def write_package(path: Path, parts: Mapping[str, bytes]) -> None:
    """Write ``parts`` as a zip, in order, with a fixed date (so builds are identical)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


# --------------------------------------------------------------------------- other savers


def soffice() -> str | None:
    return shutil.which("soffice")


def convert_with_libreoffice(
    source: Path, outdir: Path, to: str, suffix: str, timeout: int = 240
) -> Path:
    """``source`` converted by LibreOffice with its default settings (``--convert-to
    to``), in a profile of its own so parallel runs do not collide; the file it wrote."""
    command = soffice()
    assert command is not None, "soffice is not installed"
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        done = subprocess.run(
            [
                command,
                f"-env:UserInstallation={(Path(home) / 'profile').as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                to,
                "--outdir",
                str(outdir),
                str(source),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "HOME": home},
        )
    target = outdir / f"{source.stem}{suffix}"
    assert done.returncode == 0 and target.is_file(), done.stderr
    return target


def resave_with_libreoffice(source: Path, outdir: Path) -> Path:
    """``source`` opened and saved again as .xlsx by LibreOffice (which also calculates
    every formula)."""
    return convert_with_libreoffice(source, outdir, "xlsx:Calc MS Excel 2007 XML", ".xlsx")


def resave_with_openpyxl(source: Path, target: Path) -> Path:
    """A plain openpyxl load and save: the lossy round trip the checkers must catch."""
    import openpyxl

    openpyxl.load_workbook(source).save(target)
    return target


# --------------------------------------------------------------------------- the package


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    #: The part it points to, resolved to a path inside the package (or the URL as it
    #: stands when ``external``).
    target: str
    external: bool

    @property
    def key(self) -> tuple[str, str, bool]:
        """What the relationship is, whatever its Id."""
        return (self.type, self.target, self.external)


@dataclass(frozen=True)
class SheetEntry:
    name: str
    state: str
    part: str
    #: worksheet, chartsheet, dialogsheet...
    kind: str


@dataclass(frozen=True)
class XCell:
    """A ``<c>`` element, as a reader of the file sees it."""

    ref: str
    style: str  # the `s` index, "0" when absent
    kind: str  # the `t` attribute, "n" when absent
    formula: tuple[Any, ...] | None  # the <f> element, canonical
    cached: str | None  # the <v> text; None: no <v> at all
    string: tuple[Any, ...] | None  # a string's runs (shared or inline), canonical
    attributes: tuple[tuple[str, str], ...]  # cm, vm, ph...

    @property
    def has_content(self) -> bool:
        return self.formula is not None or self.cached is not None or self.string is not None

    @property
    def text(self) -> str:
        """The text a reader shows: a string's runs joined, else the cached value."""
        if self.string is not None:
            return "".join(_texts(self.string))
        return self.cached or ""

    @property
    def content(self) -> tuple[Any, ...]:
        """What the lead wrote: shared and inline strings alike."""
        if self.kind in ("s", "inlineStr"):
            return ("string", self.string, self.formula)
        return (self.kind, self.cached, self.formula)

    def describe(self) -> str:
        what = f"{self.text!r}"
        if self.formula is not None:
            cached = "no cached value" if self.cached is None else f"cached {self.cached!r}"
            what = f"={self.formula[2]} ({cached})"
        return f"{what} s={self.style}" + (f" {dict(self.attributes)}" if self.attributes else "")


def _texts(node: tuple[Any, ...]) -> Iterator[str]:
    """Every <t> text in canonical ``node`` (or in a tuple of such nodes)."""
    if node and isinstance(node[0], str) and node[0].startswith("{"):
        if node[0] == q("t"):
            yield node[2]
        for child in node[3]:
            yield from _texts(child)
        return
    for child in node:
        yield from _texts(child)


def rels_part(part: str) -> str:
    """The relationships part of ``part`` ("" is the package)."""
    directory, name = posixpath.split(part)
    return posixpath.join(directory, "_rels", f"{name}.rels")


def canon(element: Element, drop: Collection[str] = ()) -> tuple[Any, ...]:
    """An element as a comparable value: tag, sorted attributes (less ``drop``), text,
    children; white space between elements ignored, attribute order and namespace
    prefixes too."""
    attributes = tuple(sorted((k, v) for k, v in element.attrib.items() if k not in drop))
    children = tuple(canon(child, drop) for child in element)
    text = element.text or ""
    if children and not text.strip():
        text = ""
    return (element.tag, attributes, text, children)


def show(node: tuple[Any, ...], limit: int = 240) -> str:
    """A canonical element as short readable XML (local names only)."""

    def local(name: str) -> str:
        return name.rsplit("}", 1)[-1]

    def render(n: tuple[Any, ...]) -> str:
        tag, attributes, text, children = n
        attrs = "".join(f' {local(k)}="{v}"' for k, v in attributes)
        inner = text + "".join(render(child) for child in children)
        return (
            f"<{local(tag)}{attrs}>{inner}</{local(tag)}>" if inner else f"<{local(tag)}{attrs}/>"
        )

    text = render(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def column_number(ref: str) -> int:
    return column_index_from_string(coordinate_from_string(ref)[0])


def row_number(ref: str) -> int:
    return coordinate_from_string(ref)[1]


class Package:
    """A workbook's zip parts, and what its XML says, read with defusedxml."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        with zipfile.ZipFile(self.path) as archive:
            self.parts: dict[str, bytes] = {
                info.filename: archive.read(info.filename)
                for info in archive.infolist()
                if not info.is_dir()
            }
        self._xml: dict[str, Element] = {}

    def xml(self, part: str) -> Element:
        if part not in self._xml:
            self._xml[part] = SafeET.fromstring(self.parts[part])
        return self._xml[part]

    def relationships(self, part: str) -> list[Relationship]:
        """The relationships of ``part`` ("" for the package's own), targets resolved."""
        name = "_rels/.rels" if part == "" else rels_part(part)
        if name not in self.parts:
            return []
        found = []
        for rel in self.xml(name):
            target = rel.get("Target", "")
            external = rel.get("TargetMode") == "External"
            if not external:
                if target.startswith("/"):
                    target = target[1:]
                else:
                    target = posixpath.normpath(posixpath.join(posixpath.dirname(part), target))
            found.append(Relationship(rel.get("Id", ""), rel.get("Type", ""), target, external))
        return found

    def target(self, part: str, rid: str) -> Relationship | None:
        return next((rel for rel in self.relationships(part) if rel.id == rid), None)

    @cached_property
    def workbook_part(self) -> str:
        for rel in self.relationships(""):
            if rel.type.endswith("/officeDocument"):
                return rel.target
        raise KeyError("no workbook part")

    @property
    def workbook(self) -> Element:
        return self.xml(self.workbook_part)

    @cached_property
    def sheets(self) -> list[SheetEntry]:
        rels = {rel.id: rel for rel in self.relationships(self.workbook_part)}
        entries = []
        for sheet in self.workbook.iter(q("sheet")):
            rel = rels[sheet.get(R_ID, "")]
            kind = rel.type.rsplit("/", 1)[-1]
            entries.append(
                SheetEntry(sheet.get("name", ""), sheet.get("state", "visible"), rel.target, kind)
            )
        return entries

    def sheet_part(self, name: str) -> str:
        for entry in self.sheets:
            if entry.name == name:
                return entry.part
        raise KeyError(name)

    def sheet(self, name: str) -> Element:
        return self.xml(self.sheet_part(name))

    @cached_property
    def content_types(self) -> dict[str, str]:
        """Part -> its content type, by Override or by the Default of its extension."""
        root = self.xml("[Content_Types].xml")
        defaults = {
            d.get("Extension", "").lower(): d.get("ContentType", "")
            for d in root.iter(q("Default", CONTENT_TYPES))
        }
        overrides = {
            o.get("PartName", "").lstrip("/"): o.get("ContentType", "")
            for o in root.iter(q("Override", CONTENT_TYPES))
        }
        types = {}
        for part in self.parts:
            if part == "[Content_Types].xml":
                continue
            extension = part.rsplit(".", 1)[-1].lower() if "." in part else ""
            found = overrides.get(part, defaults.get(extension))
            if found is not None:
                types[part] = found
        return types

    @cached_property
    def shared_strings(self) -> list[tuple[Any, ...]]:
        rels = self.relationships(self.workbook_part)
        part = next((r.target for r in rels if r.type.endswith("/sharedStrings")), None)
        if part is None or part not in self.parts:
            return []
        return [tuple(canon(child) for child in si) for si in self.xml(part)]

    # ------------------------------------------------------------------ a sheet's cells

    def cells(self, sheet: str) -> dict[str, XCell]:
        strings = self.shared_strings
        found = {}
        for c in self.sheet(sheet).iter(q("c")):
            kind = c.get("t", "n")
            f = c.find(q("f"))
            v = c.find(q("v"))
            cached = None if v is None else (v.text or "")
            string = None
            if kind == "s" and cached is not None and cached.isdigit():
                index = int(cached)
                string = strings[index] if index < len(strings) else ("missing", cached)
            elif kind == "inlineStr":
                inline = c.find(q("is"))
                string = tuple(canon(child) for child in inline) if inline is not None else ()
                cached = None
            attributes = tuple(
                sorted((k, v) for k, v in c.attrib.items() if k not in ("r", "s", "t"))
            )
            found[c.get("r", "")] = XCell(
                c.get("r", ""),
                c.get("s", "0"),
                kind,
                canon(f) if f is not None else None,
                None if kind == "s" else cached,
                string,
                attributes,
            )
        return found

    def rows(self, sheet: str) -> dict[int, dict[str, str]]:
        return {
            int(row.get("r", "0")): dict(row.attrib) for row in self.sheet(sheet).iter(q("row"))
        }

    def columns(self, sheet: str) -> dict[int, dict[str, str]]:
        """Column number -> its <col> attributes (less min and max), ranges expanded."""
        found: dict[int, dict[str, str]] = {}
        for col in self.sheet(sheet).iter(q("col")):
            attributes = {k: v for k, v in col.attrib.items() if k not in ("min", "max")}
            for number in range(int(col.get("min", "1")), int(col.get("max", "1")) + 1):
                found[number] = attributes
        return found

    def last_used_column(self, sheet: str) -> int:
        """The last column holding a value, a formula or a string on the sheet."""
        return max(
            (column_number(ref) for ref, cell in self.cells(sheet).items() if cell.has_content),
            default=0,
        )

    def resolved(self, sheet: str, element: Element) -> tuple[Any, ...]:
        """``canon(element)`` with each r:id replaced by what it points to."""
        part = self.sheet_part(sheet)
        node = canon(element)

        def swap(n: tuple[Any, ...]) -> tuple[Any, ...]:
            tag, attributes, text, children = n
            fixed = []
            for key, value in attributes:
                if key == R_ID:
                    rel = self.target(part, value)
                    value = "->" + (rel.target if rel else f"(dangling {value})")
                fixed.append((key, value))
            return (tag, tuple(fixed), text, tuple(swap(child) for child in children))

        return swap(node)

    def children(self, sheet: str, tag: str) -> list[Element]:
        return [child for child in self.sheet(sheet) if child.tag == q(tag)]

    # ------------------------------------------------------------------ named features

    def merges(self, sheet: str) -> set[str]:
        return {m.get("ref", "") for m in self.sheet(sheet).iter(q("mergeCell"))}

    def hyperlinks(self, sheet: str) -> dict[str, str]:
        """Cell -> the URL it opens, or the place in the workbook it goes to."""
        found = {}
        for link in self.sheet(sheet).iter(q("hyperlink")):
            rid = link.get(R_ID)
            rel = self.target(self.sheet_part(sheet), rid) if rid else None
            found[link.get("ref", "")] = rel.target if rel else link.get("location", "")
        return found

    def defined_names(self) -> dict[tuple[str, str | None], str]:
        """(name, the sheet it is local to or None) -> its formula."""
        names = [entry.name for entry in self.sheets]
        found = {}
        for name in self.workbook.iter(q("definedName")):
            local = name.get("localSheetId")
            scope = names[int(local)] if local is not None and int(local) < len(names) else None
            found[(name.get("name", ""), scope)] = (name.text or "").strip()
        return found

    def validations(self, sheet: str) -> dict[str, str]:
        return {
            dv.get("sqref", ""): dv.get("type", "none")
            for dv in self.sheet(sheet).iter(q("dataValidation"))
        }

    def conditional_formats(self, sheet: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for cf in self.sheet(sheet).iter(q("conditionalFormatting")):
            for rule in cf.iter(q("cfRule")):
                found.setdefault(cf.get("sqref", ""), []).append(rule.get("type", ""))
        return found

    def sheet_rels_of_type(self, sheet: str, suffix: str) -> list[str]:
        return [
            r.target for r in self.relationships(self.sheet_part(sheet)) if r.type.endswith(suffix)
        ]

    def comments(self, sheet: str) -> dict[str, str]:
        """Cell -> the text of its note (legacy comment)."""
        found = {}
        for part in self.sheet_rels_of_type(sheet, "/comments"):
            for comment in self.xml(part).iter(q("comment")):
                found[comment.get("ref", "")] = "".join(_texts(canon(comment)))
        return found

    def threaded_comments(self, sheet: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for part in self.sheet_rels_of_type(sheet, "/threadedComment"):
            for comment in self.xml(part).iter(q("threadedComment", THREADED)):
                text = comment.find(q("text", THREADED))
                found.setdefault(comment.get("ref", ""), []).append(
                    text.text or "" if text is not None else ""
                )
        return found

    def custom_properties(self) -> dict[str, tuple[Any, ...]]:
        """Name -> its value element, canonical."""
        if "docProps/custom.xml" not in self.parts:
            return {}
        return {
            prop.get("name", ""): tuple(canon(child) for child in prop)
            for prop in self.xml("docProps/custom.xml").iter(q("property", CUSTOM_PROPS))
        }

    def drawing_parts(self, sheet: str) -> list[str]:
        return self.sheet_rels_of_type(sheet, "/drawing")

    def table_refs(self, sheet: str) -> dict[str, str]:
        """Table name -> its range."""
        return {
            self.xml(part).get("name", ""): self.xml(part).get("ref", "")
            for part in self.sheet_rels_of_type(sheet, "/table")
        }


# --------------------------------------------------------------------------- part by part


def compare_packages(
    source: Path | str | Package,
    output: Path | str | Package,
    plan_sheets: Collection[str] = (),
    *,
    may_drop: Collection[str] = (),
) -> list[str]:
    """What ``output`` lost of ``source``, part by part: each part of the input missing
    from the output, or changed where planbook does not own it. planbook owns the
    workbook-level parts of REWRITABLE_PARTS, the worksheet parts (and their
    relationships) of ``plan_sheets`` (the sheets it reads as plans) and of its own
    sheets. Only calcChain (and ``may_drop``) may be missing."""
    before = source if isinstance(source, Package) else Package(source)
    after = output if isinstance(output, Package) else Package(output)
    owned = set(REWRITABLE_PARTS)
    for entry in before.sheets:
        if entry.name in plan_sheets or entry.name in PLANBOOK_SHEETS:
            owned |= {entry.part, rels_part(entry.part)}
    problems = []
    for part, data in before.parts.items():
        if part not in after.parts:
            if part not in DROPPABLE_PARTS and part not in may_drop:
                problems.append(f"{part}: missing from the output")
        elif part not in owned and after.parts[part] != data:
            problems.append(f"{part}: changed ({_first_difference(data, after.parts[part])})")
    return problems


def _first_difference(before: bytes, after: bytes) -> str:
    at = next(
        (i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
        min(len(before), len(after)),
    )
    start = max(0, at - 40)
    return (
        f"{len(before)} -> {len(after)} bytes; from byte {at}: "
        f"{before[start : at + 60]!r} -> {after[start : at + 60]!r}"
    )


# --------------------------------------------------------------------------- element by element
#
# Each checker takes the input and the output packages (and a sheet name for a
# sheet's checks) and returns what the output lost or changed: [] when nothing.


def cell_differences(
    before: Package, after: Package, sheet: str, changed: Mapping[str, str] = {}
) -> list[str]:
    """Every lead cell at its place with its value, formula, cached value and style; the
    ``changed`` cells (ref -> new text) hold that text instead, in the same style. No
    cell appears but in planbook's two columns past the last used column."""
    old, new = before.cells(sheet), after.cells(sheet)
    last = before.last_used_column(sheet)
    problems = []
    for ref, cell in old.items():
        written = new.get(ref)
        if written is None:
            if cell.has_content or cell.style != "0":
                problems.append(f"{sheet}!{ref}: missing (was {cell.describe()})")
            continue
        if ref in changed:
            if (written.text, written.formula, written.style) != (changed[ref], None, cell.style):
                problems.append(
                    f"{sheet}!{ref}: should read {changed[ref]!r} in s={cell.style}, "
                    f"reads {written.describe()}"
                )
        elif (written.content, written.style, written.attributes) != (
            cell.content,
            cell.style,
            cell.attributes,
        ):
            problems.append(f"{sheet}!{ref}: was {cell.describe()}, now {written.describe()}")
    for ref, written in new.items():
        if ref not in old and column_number(ref) not in (last + 1, last + 2):
            problems.append(f"{sheet}!{ref}: a cell the input did not have ({written.describe()})")
    return problems


def planbook_column_differences(
    before: Package, after: Package, sheet: str, header_rows: Iterable[int], rows: Iterable[int]
) -> list[str]:
    """planbook's Derived RAG and Parsed Due Date stand in the two columns past the last
    used column, headed on each tracked header row; on each milestone row the Derived
    RAG is a formula with a cached letter. Nowhere else."""
    last = before.last_used_column(sheet)
    derived, parsed = get_column_letter(last + 1), get_column_letter(last + 2)
    cells = after.cells(sheet)
    problems = []
    header_rows, rows = list(header_rows), list(rows)
    for row in header_rows:
        for column, header in zip((derived, parsed), PLANBOOK_HEADERS, strict=True):
            cell = cells.get(f"{column}{row}")
            if cell is None or cell.text != header:
                found = cell.describe() if cell else "nothing"
                problems.append(f"{sheet}!{column}{row}: should be headed {header!r}: {found}")
    for row in rows:
        cell = cells.get(f"{derived}{row}")
        if cell is None or cell.formula is None or cell.cached not in DERIVED_LETTERS:
            found = cell.describe() if cell else "nothing"
            problems.append(
                f"{sheet}!{derived}{row}: Derived RAG should be a formula with a cached "
                f"letter: {found}"
            )
    for ref, cell in cells.items():
        if not cell.has_content:
            continue
        if column_number(ref) in (last + 1, last + 2) and row_number(ref) not in {
            *header_rows,
            *rows,
        }:
            problems.append(f"{sheet}!{ref}: planbook's column written on another row")
        elif cell.text in PLANBOOK_HEADERS and column_number(ref) <= last:
            problems.append(f"{sheet}!{ref}: {cell.text!r} inside the lead's columns")
    return problems


def _multiset_missing(
    what: str, before: Iterable[tuple[Any, ...]], after: Iterable[tuple[Any, ...]]
) -> list[str]:
    """Each element of ``before`` that ``after`` lacks (as many times as it lacks it)."""
    missing = Counter(before) - Counter(after)
    return [f"{what}: lost {show(node)}" for node in sorted(missing.elements(), key=repr)]


def merge_differences(before: Package, after: Package, sheet: str) -> list[str]:
    old, new = before.merges(sheet), after.merges(sheet)
    return [f"{sheet}: merged range {ref} lost" for ref in sorted(old - new)] + [
        f"{sheet}: merged range {ref} added" for ref in sorted(new - old)
    ]


def validation_differences(before: Package, after: Package, sheet: str) -> list[str]:
    """The lead's data validations, each as it was (planbook may add its own)."""

    def of(package: Package) -> list[tuple[Any, ...]]:
        return [canon(dv) for dv in package.sheet(sheet).iter(q("dataValidation"))]

    return _multiset_missing(f"{sheet} data validation", of(before), of(after))


def conditional_format_differences(before: Package, after: Package, sheet: str) -> list[str]:
    """The lead's conditional format rules, each on its range (planbook may add its own,
    so priorities may change)."""

    def of(package: Package) -> list[tuple[Any, ...]]:
        rules = []
        for cf in package.children(sheet, "conditionalFormatting"):
            for rule in cf.iter(q("cfRule")):
                node = canon(rule, drop=("priority",))
                rules.append((q("on"), (("sqref", cf.get("sqref", "")),), "", (node,)))
        return rules

    return _multiset_missing(f"{sheet} conditional format", of(before), of(after))


def hyperlink_differences(before: Package, after: Package, sheet: str) -> list[str]:
    def of(package: Package) -> list[tuple[Any, ...]]:
        return [package.resolved(sheet, link) for link in package.sheet(sheet).iter(q("hyperlink"))]

    return _multiset_missing(f"{sheet} hyperlink", of(before), of(after))


def relationship_differences(before: Package, after: Package, sheet: str) -> list[str]:
    """Every relationship of the sheet (drawing, comments, VML, tables, threaded comments,
    printer settings, links) still there, pointing at the same part; and every element
    that names one by r:id (drawing, legacyDrawing, tablePart...) names the same part."""
    old = [rel.key for rel in before.relationships(before.sheet_part(sheet))]
    new = [rel.key for rel in after.relationships(after.sheet_part(sheet))]
    problems = [
        f"{sheet}: relationship lost: {kind.rsplit('/', 1)[-1]} -> {target}"
        for kind, target, _ in sorted((Counter(old) - Counter(new)).elements())
    ]

    def of(package: Package) -> list[tuple[Any, ...]]:
        return [
            package.resolved(sheet, element)
            for element in package.sheet(sheet).iter()
            if R_ID in element.attrib and element.tag != q("hyperlink")
        ]

    return problems + _multiset_missing(f"{sheet} reference", of(before), of(after))


def row_differences(before: Package, after: Package, sheet: str) -> list[str]:
    """Each row's height, hidden state, style and outline level (its spans may grow)."""
    old, new = before.rows(sheet), after.rows(sheet)
    problems = []
    for number, attributes in old.items():
        was = {k: v for k, v in attributes.items() if k != "spans"}
        now = {k: v for k, v in new.get(number, {}).items() if k != "spans"}
        if number not in new and set(was) == {"r"}:
            continue
        if was != now:
            problems.append(f"{sheet} row {number}: was {was}, now {now}")
    return problems


def column_differences(before: Package, after: Package, sheet: str) -> list[str]:
    """Each column's width, hidden state and style, but planbook's two new columns."""
    last = before.last_used_column(sheet)
    old, new = before.columns(sheet), after.columns(sheet)
    problems = []
    for number, attributes in sorted(old.items()):
        if number in (last + 1, last + 2):
            continue
        if new.get(number) != attributes:
            problems.append(
                f"{sheet} column {get_column_letter(number)}: was {attributes}, "
                f"now {new.get(number)}"
            )
    return problems


def element_differences(before: Package, after: Package, sheet: str, tag: str) -> list[str]:
    """The sheet's ``tag`` children (autoFilter, sheetProtection, sheetFormatPr...) as
    they were, r:ids compared by what they point to."""
    old = [before.resolved(sheet, e) for e in before.children(sheet, tag)]
    new = [after.resolved(sheet, e) for e in after.children(sheet, tag)]
    if old == new:
        return []
    return [
        f"{sheet} {tag}: was {[show(n) for n in old] or 'absent'}, "
        f"now {[show(n) for n in new] or 'absent'}"
    ]


def view_differences(before: Package, after: Package, sheet: str) -> list[str]:
    """Frozen panes (the pane) and the view's settings, but which tab is selected."""

    def of(package: Package) -> list[tuple[dict[str, str], str]]:
        views = []
        for view in package.sheet(sheet).iter(q("sheetView")):
            pane = view.find(q("pane"))
            settings = {k: v for k, v in view.attrib.items() if k != "tabSelected"}
            views.append((settings, show(canon(pane)) if pane is not None else "no pane"))
        return views

    old, new = of(before), of(after)
    problems = []
    for index, (was, now) in enumerate(zip(old, new, strict=False)):
        # House style where the lead set none: planbook freezes Ref and Description.
        planbooks = index == 0 and was[1] == "no pane" and 'state="frozen"' in now[1]
        if was[1] != now[1] and not planbooks:
            problems.append(f"{sheet} sheet view {index}: was {was[1]}, now {now[1]}")
        if was[0] != now[0]:
            problems.append(f"{sheet} sheet view {index}: settings were {was[0]}, now {now[0]}")
    if len(old) != len(new):
        problems.append(f"{sheet}: {len(old)} sheet view(s), now {len(new)}")
    return problems


def sheet_properties_differences(before: Package, after: Package, sheet: str) -> list[str]:
    """The tab colour and the sheet's properties (codeName, filterMode...); planbook
    may set page-setup properties (fit to page) beside them."""

    def of(package: Package) -> tuple[Any, ...]:
        found = package.children(sheet, "sheetPr")
        if not found:
            return ((), None, None)
        tab, outline = found[0].find(q("tabColor")), found[0].find(q("outlinePr"))
        return (
            tuple(sorted(found[0].attrib.items())),
            canon(tab) if tab is not None else None,
            canon(outline) if outline is not None else None,
        )

    if of(before) == of(after):
        return []
    shown = [[show(canon(e)) for e in p.children(sheet, "sheetPr")] for p in (before, after)]
    return [f"{sheet} sheetPr: was {shown[0] or 'absent'}, now {shown[1] or 'absent'}"]


def extension_differences(
    before: Package, after: Package, sheet: str | None = None, part: str | None = None
) -> list[str]:
    """Every child of every <ext> of the input's extLst (a sheet's, or the root of
    ``part``) still inside an <ext> of the same uri in the output."""

    def of(package: Package) -> list[tuple[Any, ...]]:
        root = package.sheet(sheet) if sheet is not None else package.xml(part or "")
        found = []
        for ext_list in (child for child in root if child.tag == q("extLst")):
            for ext in ext_list:
                for child in ext:
                    node = package.resolved(sheet, child) if sheet is not None else canon(child)
                    found.append((q("ext"), (("uri", ext.get("uri", "")),), "", (node,)))
        return found

    return _multiset_missing(f"{sheet or part} extLst", of(before), of(after))


#: A worksheet's children the element checks above look at one by one; all others must
#: come out as they were (page setup and the like planbook may set: not in the contract).
_SHEET_CHILDREN_CHECKED_APART = frozenset(
    q(tag)
    for tag in (
        "sheetPr",
        "dimension",
        "sheetViews",
        "cols",
        "sheetData",
        "mergeCells",
        "conditionalFormatting",
        "dataValidations",
        "hyperlinks",
        "extLst",
        "printOptions",
        "pageMargins",
        "pageSetup",
        "headerFooter",
        "rowBreaks",
        "colBreaks",
        "ignoredErrors",
    )
)


def other_element_differences(before: Package, after: Package, sheet: str) -> list[str]:
    """Everything else of the sheet (sheetFormatPr, sheetProtection, protectedRanges,
    autoFilter, sortState, drawing, legacyDrawing, tableParts...) as it was."""
    tags = {e.tag for e in before.sheet(sheet)} - _SHEET_CHILDREN_CHECKED_APART
    problems = []
    for tag in sorted(tags):
        problems += element_differences(before, after, sheet, tag.rsplit("}", 1)[-1])
    return problems


def sheet_differences(before: Package, after: Package, sheet: str) -> dict[str, list[str]]:
    """Every sheet-level check of a sheet planbook rewrites, by feature."""
    return {
        "relationships": relationship_differences(before, after, sheet),
        "merged ranges": merge_differences(before, after, sheet),
        "data validations": validation_differences(before, after, sheet),
        "conditional formats": conditional_format_differences(before, after, sheet),
        "hyperlinks": hyperlink_differences(before, after, sheet),
        "rows": row_differences(before, after, sheet),
        "columns": column_differences(before, after, sheet),
        "view": view_differences(before, after, sheet),
        "sheet properties": sheet_properties_differences(before, after, sheet),
        "extensions": extension_differences(before, after, sheet=sheet),
        "other elements": other_element_differences(before, after, sheet),
    }


# --------------------------------------------------------------------------- workbook level


def sheet_list_differences(before: Package, after: Package) -> list[str]:
    """The input's sheets first, in order, each of its kind and visibility; then only
    planbook's own."""
    old = [(e.name, e.state, e.kind) for e in before.sheets]
    new = [(e.name, e.state, e.kind) for e in after.sheets]
    problems = []
    if new[: len(old)] != old:
        problems.append(f"sheets: were {old}, now begin {new[: len(old)]}")
    added = [name for name, _, _ in new[len(old) :]]
    if any(name not in PLANBOOK_SHEETS for name in added) or len(set(added)) != len(added):
        problems.append(f"sheets added: {added} (only {list(PLANBOOK_SHEETS)} may be)")
    return problems


def defined_name_differences(before: Package, after: Package) -> list[str]:
    """The lead's names as they were; added only PlanbookAsOf, PlanbookAmberDays, a
    print-titles name for a sheet that had none, and names local to planbook's sheets."""
    old, new = before.defined_names(), after.defined_names()
    problems = [
        f"defined name {name!r} ({scope or 'workbook'}): "
        f"was {value!r}, now {new.get((name, scope))!r}"
        for (name, scope), value in old.items()
        if new.get((name, scope)) != value
    ]
    had_titles = {scope for name, scope in old if name == "_xlnm.Print_Titles"}
    for name, scope in new.keys() - old.keys():
        allowed = (
            (name in PLANBOOK_NAMES and scope is None)
            or (name == "_xlnm.Print_Titles" and scope not in had_titles)
            or scope in PLANBOOK_SHEETS
        )
        if not allowed:
            problems.append(f"defined name {name!r} ({scope or 'workbook'}) added")
    return problems


def workbook_differences(before: Package, after: Package) -> list[str]:
    """The workbook's own settings (workbookPr: date1904, codeName...; protection, file
    sharing, external references, pivot caches, extLst) and its relationships."""

    def of(package: Package, tag: str) -> list[tuple[Any, ...]]:
        return [canon(e) for e in package.workbook if e.tag == q(tag)]

    problems = []
    for tag in (
        "workbookPr",
        "workbookProtection",
        "fileSharing",
        "externalReferences",
        "pivotCaches",
    ):
        if of(before, tag) != of(after, tag):
            problems.append(
                f"workbook {tag}: was {[show(n) for n in of(before, tag)]}, "
                f"now {[show(n) for n in of(after, tag)]}"
            )
    problems += extension_differences(before, after, part=before.workbook_part)
    old = [
        r.key for r in before.relationships(before.workbook_part) if r.target not in DROPPABLE_PARTS
    ]
    new = [r.key for r in after.relationships(after.workbook_part)]
    problems += [
        f"workbook relationship lost: {kind.rsplit('/', 1)[-1]} -> {target}"
        for kind, target, _ in sorted((Counter(old) - Counter(new)).elements())
    ]
    old = [r.key for r in before.relationships("")]
    new = [r.key for r in after.relationships("")]
    problems += [
        f"package relationship lost: {kind.rsplit('/', 1)[-1]} -> {target}"
        for kind, target, _ in sorted((Counter(old) - Counter(new)).elements())
    ]
    return problems


def content_type_differences(before: Package, after: Package) -> list[str]:
    """Every part keeps its content type; every part of the output has one."""
    old, new = before.content_types, after.content_types
    problems = [
        f"{part}: content type was {kind}, now {new.get(part)}"
        for part, kind in old.items()
        if part in after.parts and new.get(part) != kind
    ]
    problems += [
        f"{part}: no content type"
        for part in after.parts
        if part not in new and part != "[Content_Types].xml"
    ]
    return problems


def style_differences(before: Package, after: Package) -> list[str]:
    """Styles only appended: the lead's number formats keep their ids; the lead's fonts,
    fills, borders, xfs, cell styles and dxfs keep their places (index k is the same),
    so every lead cell's `s` and every lead rule's dxfId means what it meant."""
    part = "xl/styles.xml"
    if part not in before.parts:
        return []
    if part not in after.parts:
        return [f"{part}: missing"]
    old, new = before.xml(part), after.xml(part)
    problems = []

    def formats(root: Element) -> dict[str, str]:
        return {n.get("numFmtId", ""): n.get("formatCode", "") for n in root.iter(q("numFmt"))}

    for number, code in formats(old).items():
        if formats(new).get(number) != code:
            problems.append(
                f"styles numFmt {number}: was {code!r}, now {formats(new).get(number)!r}"
            )
    for tag in ("fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs"):
        was = [canon(child) for child in old.iter(q(tag)) for child in child]
        now = [canon(child) for child in new.iter(q(tag)) for child in child]
        for index, node in enumerate(was):
            if index >= len(now) or now[index] != node:
                problems.append(
                    f"styles {tag}[{index}]: was {show(node)}, "
                    f"now {show(now[index]) if index < len(now) else 'gone'}"
                )
    for tag in ("colors", "tableStyles"):
        was = [canon(e) for e in old if e.tag == q(tag)]
        now = [canon(e) for e in new if e.tag == q(tag)]
        if was != now:
            problems.append(f"styles {tag}: changed")
    return problems + extension_differences(before, after, part=part)


def custom_property_differences(before: Package, after: Package) -> list[str]:
    """The lead's custom document properties, each with its value (planbook adds its own)."""
    old, new = before.custom_properties(), after.custom_properties()
    return [
        f"custom property {name!r}: was {[show(n) for n in value]}, "
        f"now {[show(n) for n in new[name]] if name in new else 'gone'}"
        for name, value in old.items()
        if new.get(name) != value
    ]


def workbook_level_differences(before: Package, after: Package) -> dict[str, list[str]]:
    return {
        "sheets": sheet_list_differences(before, after),
        "defined names": defined_name_differences(before, after),
        "workbook": workbook_differences(before, after),
        "content types": content_type_differences(before, after),
        "styles": style_differences(before, after),
        "custom properties": custom_property_differences(before, after),
    }


def feature_differences(
    source: Path | str | Package,
    output: Path | str | Package,
    plan_sheets: Collection[str] = (),
    changed: Mapping[str, Mapping[str, str]] = {},
) -> dict[str, list[str]]:
    """Every element-level check, by feature: the workbook's, then each plan sheet's
    (``changed``: sheet -> the cells planbook may make canonical -> their new text)."""
    before = source if isinstance(source, Package) else Package(source)
    after = output if isinstance(output, Package) else Package(output)
    found = workbook_level_differences(before, after)
    for sheet in plan_sheets:
        found[f"{sheet}: cells"] = cell_differences(before, after, sheet, changed.get(sheet, {}))
        for feature, problems in sheet_differences(before, after, sheet).items():
            found[f"{sheet}: {feature}"] = problems
    return found


def all_problems(differences: Mapping[str, list[str]]) -> list[str]:
    return [problem for problems in differences.values() for problem in problems]
