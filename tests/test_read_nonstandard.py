"""Workbooks other readers open that are not laid out as Excel lays them out.

Each file starts from one small plan written by XlsxWriter (shared strings, a date with
its number format, a note, a coloured blank RAG cell: what Excel writes too), whose
parts are then rewritten with zipfile into a package that is still valid, or that
openpyxl or LibreOffice open. Each must read as the plan it is: the same sheets, cells,
note and fill as the untouched file (``assert_reads_as_base``), never the one-line exit 2
of an unreadable file. Nothing here imports planbook's reading code to build a file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner

from planbook import Sheet
from planbook import read as read_module
from planbook.check import check_workbook
from planbook.cli import cli
from planbook.read import read_workbook
from workbooks import PLAN_HEADER

Parts = dict[str, bytes]

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS_NS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#: ECMA-376 Part 1, Strict conformance: the namespaces that replace the Transitional ones
#: (the package's own relationships and content types keep theirs).
STRICT = {
    MAIN_NS: b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    RELS_NS: b"http://purl.oclc.org/ooxml/officeDocument/relationships",
    b"http://schemas.openxmlformats.org/drawingml/2006/main": (
        b"http://purl.oclc.org/ooxml/drawingml/main"
    ),
    b"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties": (
        b"http://purl.oclc.org/ooxml/officeDocument/extendedProperties"
    ),
    b"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes": (
        b"http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes"
    ),
}
SHEET, WORKBOOK = "xl/worksheets/sheet1.xml", "xl/workbook.xml"
WORKBOOK_RELS, CONTENT_TYPES = "xl/_rels/workbook.xml.rels", "[Content_Types].xml"
#: Where the plan's cells stand: the milestone's status, and the blank RAG cell filled red.
STATUS, RAG = "H5", "I5"
RED = "FF0000"


# --------------------------------------------------------------------------- building files


def base_workbook(path: Path) -> Path:
    """One plan sheet as XlsxWriter writes it: two milestones (a text and a real date
    due), a note on the description, a red blank RAG cell."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Plan")
    red = workbook.add_format({"bg_color": f"#{RED}", "pattern": 1})
    date = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, ["Annual Plan for:", "Test"])
    sheet.write_row(2, 0, ["Part 2 - Annual Plan Items"])
    sheet.write_row(3, 0, PLAN_HEADER)
    first = ["T1", "Replace the telephony", "Go live", "30/09/22", "Capita", "Service", "All"]
    sheet.write_row(4, 0, [*first, "Complete"])
    sheet.write_blank(RAG, None, red)
    sheet.write_string("J5", "Live since September")
    sheet.write_row(5, 2, ["Close the old line"])
    sheet.write_datetime(5, 3, dt.datetime(2022, 10, 31), date)
    sheet.write_row(5, 7, ["Not Started"])
    sheet.write_comment("B5", "Agreed at the March board", {"author": "Sam Lead"})
    workbook.close()
    return path


def parts_of(path: Path) -> Parts:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(path: Path, parts: Parts) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def edited(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1, f"{old!r} is not once in the part"
    return data.replace(old, new)


def with_error(error: str) -> Callable[[Parts], Parts]:
    """The status cell a formula whose cached result is ``error`` (``t="e"``)."""

    def change(parts: Parts) -> Parts:
        cell = re.compile(rb'<c r="' + STATUS.encode() + rb'"[^>]*>.*?</c>')
        xml, count = cell.subn(
            b'<c r="H5" t="e"><f>SORT(K1:K3)</f><v>' + error.encode() + b"</v></c>",
            parts[SHEET],
        )
        assert count == 1
        return {**parts, SHEET: xml}

    return change


def workbook_moved(folder: str, name: str) -> Callable[[Parts], Parts]:
    """Every part of ``xl/`` moved under ``folder``, the workbook part renamed ``name``;
    the package relationships and content types name the new places."""

    def change(parts: Parts) -> Parts:
        moved: Parts = {}
        for part, data in parts.items():
            if part.startswith("xl/"):
                part = folder + part[3:]
                part = part.replace("workbook.xml", name)
            if part.endswith(".rels") or part == CONTENT_TYPES:
                data = data.replace(b"/xl/", f"/{folder}".encode())
                data = data.replace(b"workbook.xml", name.encode())
                data = data.replace(b'Target="xl/', f'Target="{folder}'.encode())
            moved[part] = data
        return moved

    return change


def sheet_state(state: bytes) -> Callable[[Parts], Parts]:
    def change(parts: Parts) -> Parts:
        workbook = edited(parts[WORKBOOK], b'sheetId="1"', b'sheetId="1" state="' + state + b'"')
        return {**parts, WORKBOOK: workbook}

    return change


def sheet_range(element: bytes) -> Callable[[Parts], Parts]:
    """The sheet's ``<dimension>`` replaced by ``element``, or ``element`` (a merge)
    added after the sheet data."""

    def change(parts: Parts) -> Parts:
        xml = parts[SHEET]
        if element.startswith(b"<dimension"):
            xml = re.sub(rb"<dimension [^>]*/>", element, xml)
        else:
            xml = edited(xml, b"</sheetData>", b"</sheetData>" + element)
        return {**parts, SHEET: xml}

    return change


def utf16(*names: str) -> Callable[[Parts], Parts]:
    """The parts ``names`` (all XML parts for ``*``) in UTF-16, with a byte-order mark
    and an encoding declaration saying so."""

    def change(parts: Parts) -> Parts:
        chosen = [n for n in parts if n.endswith((".xml", ".rels"))] if names == ("*",) else names
        changed = dict(parts)
        for name in chosen:
            text = re.sub(r"^<\?xml[^>]*\?>\s*", "", parts[name].decode("utf-8"))
            declared = '<?xml version="1.0" encoding="UTF-16" standalone="yes"?>\n' + text
            changed[name] = declared.encode("utf-16")  # with its byte-order mark
        return changed

    return change


MACRO_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<xm:macrosheet xmlns="' + MAIN_NS + b'" xmlns:r="' + RELS_NS + b'" '
    b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    b'<dimension ref="A1:A2"/><sheetData>'
    b'<row r="1"><c r="A1" t="str"><f>GET.WORKSPACE(1)</f><v>Windows</v></c></row>'
    b'<row r="2"><c r="A2" t="b"><f>RETURN(TRUE)</f><v>1</v></c></row>'
    b"</sheetData></xm:macrosheet>"
)


def macro_sheet(first: bool) -> Callable[[Parts], Parts]:
    """An Excel 4 macro sheet, ``Macro1``, before or after the plan sheet."""

    def change(parts: Parts) -> Parts:
        entry = b'<sheet name="Macro1" sheetId="9" r:id="rIdMacro"/>'
        workbook = parts[WORKBOOK]
        if first:
            workbook = edited(workbook, b"<sheets>", b"<sheets>" + entry)
        else:
            workbook = edited(workbook, b"</sheets>", entry + b"</sheets>")
        relation = (
            b'<Relationship Id="rIdMacro" Type="http://schemas.microsoft.com/office/2006/'
            b'relationships/xlMacrosheet" Target="macrosheets/sheet1.xml"/>'
        )
        override = (
            b'<Override PartName="/xl/macrosheets/sheet1.xml" '
            b'ContentType="application/vnd.ms-excel.macrosheet+xml"/>'
        )
        types = edited(parts[CONTENT_TYPES], b"</Types>", override + b"</Types>")
        types = types.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )
        return {
            **parts,
            WORKBOOK: workbook,
            WORKBOOK_RELS: edited(
                parts[WORKBOOK_RELS], b"</Relationships>", relation + b"</Relationships>"
            ),
            CONTENT_TYPES: types,
            "xl/macrosheets/sheet1.xml": MACRO_SHEET,
        }

    return change


def strict(parts: Parts) -> Parts:
    """The package in Strict Open XML, as Excel saves 'Strict Open XML Spreadsheet'."""
    changed = {}
    for name, data in parts.items():
        for transitional, strict_ns in STRICT.items():
            data = data.replace(transitional, strict_ns)
        changed[name] = data
    changed[WORKBOOK] = edited(changed[WORKBOOK], b"<workbook ", b'<workbook conformance="strict" ')
    return changed


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return base_workbook(tmp_path / "base.xlsx")


def variant(base: Path, change: Callable[[Parts], Parts], suffix: str = ".xlsx") -> Path:
    return zipped(base.with_name("variant" + suffix), change(parts_of(base)))


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(arg) for arg in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result
    return result.exit_code, result.stdout, result.stderr


def value_at(sheet: Sheet, row: int, column: int) -> object:
    return {(cell.row, cell.column): cell.value for cell in sheet.cells()}.get((row, column))


def assert_reads_as_base(path: Path, base: Path) -> None:
    """The variant reads as the untouched file: every sheet, cell, note and fill."""
    read, expected = read_workbook(path), read_workbook(base)
    assert read.sheets == expected.sheets
    sheet = read.plan_sheets[0]
    assert value_at(sheet, 5, 2) == "Replace the telephony"
    assert value_at(sheet, 6, 4) == dt.date(2022, 10, 31)  # the date format was read
    assert {(c.row, c.column): c.fill for c in sheet.cells()}[5, 9] == RED
    assert [(c.row, c.column, c.author, c.text) for c in sheet.comments] == [
        (5, 2, "Sam Lead", "Agreed at the March board")
    ]


def test_the_base_workbook_holds_what_the_variants_are_compared_on(base: Path) -> None:
    assert_reads_as_base(base, base)
    assert [f.code for f in check_workbook(base).findings] == []


# --------------------------------------------------------------------------- Excel 365 errors

EXCEL_365_ERRORS = (
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
    "#GETTING_DATA",
    "#PYTHON!",
)


@pytest.mark.parametrize("error", EXCEL_365_ERRORS)
def test_an_excel_365_error_value_is_pb108_like_ref(base: Path, error: str) -> None:
    """As #REF! is: the error's text at its cell, PB108 there and nothing else."""
    path = variant(base, with_error(error))
    code, stdout, _ = run("check", path, "--format", "json", "--as-of", "2022-03-17")
    assert code == 1
    findings = json.loads(stdout)["findings"]
    assert [(f["code"], f["cell"], f["value"]) for f in findings] == [("PB108", STATUS, error)]
    assert value_at(read_workbook(path).plan_sheets[0], 5, 8) == error


# --------------------------------------------------------------------------- valid packages


@pytest.mark.parametrize(
    ("folder", "name"), [("xl/", "workbook2.xml"), ("excel/", "book.xml")], ids=str
)
def test_a_workbook_part_named_by_the_package_relationships_is_read(
    base: Path, folder: str, name: str
) -> None:
    path = variant(base, workbook_moved(folder, name))
    assert f"{folder}{name}" in parts_of(path)
    assert_reads_as_base(path, base)


def test_a_sheet_state_show_is_read_as_a_visible_sheet(base: Path) -> None:
    """``show`` is no state the standard names; LibreOffice shows such a sheet."""
    path = variant(base, sheet_state(b"show"))
    assert_reads_as_base(path, base)
    assert read_workbook(path).sheets[0].state == "visible"


@pytest.mark.parametrize(
    "element",
    [
        b'<dimension ref="1:6"/>',
        b'<dimension ref="A:J"/>',
        b'<dimension ref="A1:6"/>',
        b'<mergeCells count="1"><mergeCell ref="A3:3"/></mergeCells>',
        b'<mergeCells count="1"><mergeCell ref="K:L"/></mergeCells>',
    ],
    ids=lambda element: re.sub(r"[^A-Za-z0-9:]+", "-", element.decode()).strip("-"),
)
def test_a_sheet_range_without_a_column_or_row_part_is_read(base: Path, element: bytes) -> None:
    assert_reads_as_base(variant(base, sheet_range(element)), base)


@pytest.mark.parametrize(
    "names",
    [(SHEET,), (WORKBOOK,), (WORKBOOK_RELS, "_rels/.rels"), ("xl/sharedStrings.xml",), ("*",)],
    ids=lambda names: "+".join(names),
)
def test_xml_parts_in_utf16_are_read(base: Path, names: tuple[str, ...]) -> None:
    path = variant(base, utf16(*names))
    if names != ("*",):
        assert all(parts_of(path)[name].startswith(b"\xff\xfe") for name in names)
    assert_reads_as_base(path, base)


@pytest.mark.parametrize("first", [False, True], ids=["after", "before"])
def test_a_macro_sheet_beside_the_worksheets_is_kept_by_name_unread(
    base: Path, first: bool
) -> None:
    """An Excel 4 macro sheet holds macros, not the plan: kept by name with no cells (as
    a chart sheet is), never run; the worksheets are read as they are."""
    path = variant(base, macro_sheet(first), ".xlsm")
    read = read_workbook(path)
    assert [(s.name, s.kind) for s in read.sheets] == (
        [("Macro1", "other"), ("Plan", "plan")]
        if first
        else [("Plan", "plan"), ("Macro1", "other")]
    )
    macro = read.sheets[0 if first else 1]
    assert list(macro.cells()) == []
    plan = read.plan_sheets[0]
    assert dataclasses.replace(plan, index=0) == read_workbook(base).plan_sheets[0]


def test_a_sparse_sheet_in_a_package_laid_out_otherwise_is_read(base: Path) -> None:
    """A lone cell at XFD1048576 makes a grid calamine cannot hold: that sheet is read
    with openpyxl, from the same copy calamine would have read."""
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row>'

    def change(parts: Parts) -> Parts:
        parts = sheet_state(b"show")(parts)
        return {**parts, SHEET: edited(parts[SHEET], b"</sheetData>", far + b"</sheetData>")}

    sheet = read_workbook(variant(base, change)).sheets[0]
    assert value_at(sheet, 1_048_576, 16_384) == "far"
    assert value_at(sheet, 5, 2) == "Replace the telephony"


# --------------------------------------------------------------------------- Strict Open XML


def test_a_strict_open_xml_workbook_reads_as_its_transitional_twin(base: Path) -> None:
    path = variant(base, strict)
    assert b"purl.oclc.org/ooxml/spreadsheetml/main" in parts_of(path)[SHEET]
    assert_reads_as_base(path, base)
    for command in ("check", "outline", "export"):
        code, stdout, _ = run(command, path, "--format", "json")
        expected_code, expected, _ = run(command, base, "--format", "json")
        assert (code, stdout.replace(str(path), str(base))) == (expected_code, expected)


def test_format_still_refuses_a_strict_workbook_in_one_line(base: Path, tmp_path: Path) -> None:
    """planbook writes back only Transitional packages: a Strict one is exit 2, one line."""
    code, stdout, stderr = run("format", variant(base, strict), "-o", tmp_path / "out.xlsx")
    assert (code, stdout) == (2, "")
    assert len(stderr.splitlines()) == 1 and "Strict" in stderr and str(base.parent) in stderr
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(workbook_moved("excel/", "book.xml"), id="workbook part moved"),
        pytest.param(utf16("*"), id="every part in UTF-16"),
    ],
)
def test_format_writes_back_a_package_laid_out_otherwise_as_it_does_the_usual_one(
    base: Path, tmp_path: Path, change: Callable[[Parts], Parts]
) -> None:
    """The writer finds the parts by the package's relationships, and edits a UTF-16 part
    as UTF-8; the parts it does not edit are copied byte for byte, where they were."""
    path = variant(base, change)
    usual, written = tmp_path / "usual.xlsx", tmp_path / "written.xlsx"
    for source, target in ((base, usual), (path, written)):
        code, _, stderr = run("format", source, "-o", target, "--as-of", "2022-03-17")
        assert (code, stderr) == (0, "")
    assert read_workbook(written).sheets == read_workbook(usual).sheets
    before, after = parts_of(path), parts_of(written)
    assert set(before) <= set(after)
    theme = next(name for name in before if name.endswith("theme1.xml"))
    assert after[theme] == before[theme]


# --------------------------------------------------------------------------- the usual path


def test_an_ordinary_workbook_is_read_from_its_file_with_no_copy(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rewritten copy is made only for a package that needs it: an ordinary workbook
    costs nothing more than before."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an ordinary workbook was copied")

    monkeypatch.setattr(read_module, "calamine_package", refuse)
    assert value_at(read_workbook(base).plan_sheets[0], 5, 2) == "Replace the telephony"
