"""format patches the lead's own package: what it changes in a lead's cell, what it layers
on, what it refuses, and the row patcher beneath it.

The whole-workbook fidelity (every feature at its cell, every part byte-equal) is in
test_format_fidelity.py; here each test is one rule of docs/format.md.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from fidelity import convert_with_libreoffice
from planbook.cli import cli
from planbook.derive import Settings
from planbook.write import LossError, format_workbook
from planbook.write.sheet_xml import CellEdit, SheetPatch, patch_worksheet
from workbooks import PLAN_HEADER

AS_OF = dt.date(2022, 3, 17)
SETTINGS = Settings(as_of=AS_OF)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SOFFICE = shutil.which("soffice")


def lead_plan(path: Path, status: str = "WIP", *, status_formula: bool = False) -> Path:
    """A one-table plan as Excel would save it (XlsxWriter writes cached results): a lead
    formula in L5 reading the status in H5."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("IT")
    sheet.write_row(0, 0, ["Annual Plan for:", "IT"])
    sheet.write(2, 0, "Part 2 - Annual Plan Items")
    sheet.write_row(3, 0, PLAN_HEADER)
    sheet.write_row(4, 0, ["IT1", "Do a thing", "Step one", "30/04/2022", "Me", "x", "All"])
    if status_formula:
        sheet.write_formula("H5", f'="{status}"', None, status)
    else:
        sheet.write("H5", status)
    sheet.write_row(4, 8, ["G", "notes"])
    sheet.write_formula("L5", '=IF(H5="Started","started","not started")', None, "not started")
    workbook.close()
    return path


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def cell_xml(path: Path, reference: str, sheet: str = "xl/worksheets/sheet1.xml") -> str:
    found = re.search(rf'<c r="{reference}"[ >].*?(?:</c>|/>)', part(path, sheet).decode())
    assert found is not None, reference
    return found.group(0)


def test_a_canonical_status_goes_into_the_same_cell_with_its_own_style(tmp_path: Path) -> None:
    source = lead_plan(tmp_path / "plan.xlsx")
    before = cell_xml(source, "H5")
    format_workbook(source, tmp_path / "out.xlsx", settings=SETTINGS)
    after = cell_xml(tmp_path / "out.xlsx", "H5")
    style = re.search(r' s="\d+"', before)
    assert (style.group(0) if style else "") in after
    assert "<t>Started</t>" in after


def test_a_changed_value_marks_the_workbook_to_recalculate(tmp_path: Path) -> None:
    format_workbook(lead_plan(tmp_path / "plan.xlsx"), tmp_path / "out.xlsx", settings=SETTINGS)
    assert b'fullCalcOnLoad="1"' in part(tmp_path / "out.xlsx", "xl/workbook.xml")


def test_nothing_changed_leaves_the_recalculation_setting_alone(tmp_path: Path) -> None:
    source = lead_plan(tmp_path / "plan.xlsx", status="Started")
    workbook = part(source, "xl/workbook.xml").replace(b' fullCalcOnLoad="1"', b"")
    plain = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(plain, "w") as out:
        for item in archive.infolist():
            data = workbook if item.filename == "xl/workbook.xml" else archive.read(item)
            out.writestr(item, data)
    format_workbook(plain, tmp_path / "out.xlsx", settings=SETTINGS)
    assert b"fullCalcOnLoad" not in part(tmp_path / "out.xlsx", "xl/workbook.xml")


def test_a_lead_formula_reading_a_changed_value_loses_only_its_stale_cache(
    tmp_path: Path,
) -> None:
    format_workbook(lead_plan(tmp_path / "plan.xlsx"), tmp_path / "out.xlsx", settings=SETTINGS)
    lead = cell_xml(tmp_path / "out.xlsx", "L5")
    assert "<f>IF(H5=&quot;Started&quot;" in lead or '<f>IF(H5="Started"' in lead
    assert "<v>" not in lead
    derived = cell_xml(tmp_path / "out.xlsx", "M5")  # planbook's own keeps its value
    assert "<v>G</v>" in derived or "<v>A</v>" in derived or "<v>R</v>" in derived


@pytest.mark.skipif(
    SOFFICE is None and not os.environ.get("PLANBOOK_REQUIRE_SOFFICE"),
    reason="LibreOffice (soffice) is not installed (CI installs it)",
)
def test_libreoffice_with_its_default_settings_shows_the_recomputed_value(
    tmp_path: Path,
) -> None:
    format_workbook(lead_plan(tmp_path / "plan.xlsx"), tmp_path / "out.xlsx", settings=SETTINGS)
    csv = convert_with_libreoffice(tmp_path / "out.xlsx", tmp_path / "csv", "csv", ".csv")
    row = csv.read_text(encoding="utf-8").splitlines()[4].split(",")
    assert row[7] == "Started"
    assert row[11] == "started"


def test_a_status_the_leads_formula_gives_is_left_to_the_formula(tmp_path: Path) -> None:
    source = lead_plan(tmp_path / "plan.xlsx", status_formula=True)
    result = format_workbook(source, tmp_path / "out.xlsx", settings=SETTINGS)
    assert cell_xml(tmp_path / "out.xlsx", "H5") == cell_xml(source, "H5")
    assert not [c for c in result.changes if c.cell == "H5"]
    assert any("IT!H5" in notice and "formula" in notice for notice in result.notices)


def test_the_leads_validation_wins_and_the_findings_say_so(tmp_path: Path) -> None:
    source = lead_plan(tmp_path / "plan.xlsx", status="Started")
    workbook = openpyxl.load_workbook(source)
    validation = DataValidation(type="list", formula1='"Yes,No"')
    validation.add("H5")
    workbook["IT"].add_data_validation(validation)
    workbook.save(source)
    result = format_workbook(source, tmp_path / "out.xlsx", settings=SETTINGS)
    assert [(f.code, f.cell) for f in result.report.findings if f.code == "PB120"] == [
        ("PB120", "H5")
    ]
    sheet = etree.fromstring(part(tmp_path / "out.xlsx", "xl/worksheets/sheet1.xml"))
    validations = sheet.findall(f".//{{{MAIN}}}dataValidation")
    lead = [v for v in validations if v.findtext(f"{{{MAIN}}}formula1") == '"Yes,No"']
    ours = [v for v in validations if v.get("errorTitle") == "planbook: not a known value"]
    assert [v.get("sqref") for v in lead] == ["H5"]
    assert ours
    assert all("H5" not in v.get("sqref").split() for v in ours)


def test_the_leads_conditional_format_stays_first_beside_planbooks(tmp_path: Path) -> None:
    source = lead_plan(tmp_path / "plan.xlsx")
    workbook = openpyxl.load_workbook(source)
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill

    green = PatternFill("solid", "00FF00")
    rule = CellIsRule(operator="equal", formula=['"notes"'], fill=green)
    workbook["IT"].conditional_formatting.add("J5:J9", rule)
    workbook.save(source)
    format_workbook(source, tmp_path / "out.xlsx", settings=SETTINGS)
    format_workbook(tmp_path / "out.xlsx", tmp_path / "again.xlsx", settings=SETTINGS)
    for output in ("out.xlsx", "again.xlsx"):
        sheet = etree.fromstring(part(tmp_path / output, "xl/worksheets/sheet1.xml"))
        formats = sheet.findall(f"{{{MAIN}}}conditionalFormatting")
        assert formats[0].get("sqref") == "J5:J9"
        assert formats[0].find(f"{{{MAIN}}}cfRule").get("priority") == "1"
        assert len(formats) > 1  # planbook's, after the lead's, on each pass once


def test_a_second_pass_appends_no_styles(tmp_path: Path) -> None:
    format_workbook(lead_plan(tmp_path / "plan.xlsx"), tmp_path / "one.xlsx", settings=SETTINGS)
    format_workbook(tmp_path / "one.xlsx", tmp_path / "two.xlsx", settings=SETTINGS)
    assert part(tmp_path / "one.xlsx", "xl/styles.xml") == part(
        tmp_path / "two.xlsx", "xl/styles.xml"
    )


def test_the_leads_styles_keep_their_indices(tmp_path: Path) -> None:
    source = lead_plan(tmp_path / "plan.xlsx")
    format_workbook(source, tmp_path / "out.xlsx", settings=SETTINGS)
    before = etree.fromstring(part(source, "xl/styles.xml"))
    after = etree.fromstring(part(tmp_path / "out.xlsx", "xl/styles.xml"))
    for collection in ("fonts", "fills", "borders", "cellXfs"):
        old = list(before.find(f"{{{MAIN}}}{collection}"))
        new = list(after.find(f"{{{MAIN}}}{collection}"))
        assert [etree.tostring(e) for e in new[: len(old)]] == [etree.tostring(e) for e in old]


def _with_a_merge_on_the_legend(formatted: Path, target: Path) -> Path:
    with zipfile.ZipFile(formatted) as archive, zipfile.ZipFile(target, "w") as out:
        workbook = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        rel_id = re.search(r'<sheet name="Legend" sheetId="\d+" r:id="(rId\d+)"', workbook)
        assert rel_id is not None
        legend = "xl/" + re.search(rf'Id="{rel_id.group(1)}"[^>]*Target="([^"]+)"', rels).group(1)
        for item in archive.infolist():
            data = archive.read(item)
            if item.filename == legend:
                data = data.replace(
                    b"<pageMargins",
                    b'<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells><pageMargins',
                )
            out.writestr(item, data)
    return target


def test_a_lead_addition_to_planbooks_own_sheet_is_a_loss_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    format_workbook(lead_plan(tmp_path / "plan.xlsx"), tmp_path / "one.xlsx", settings=SETTINGS)
    edited = _with_a_merge_on_the_legend(tmp_path / "one.xlsx", tmp_path / "edited.xlsx")
    result = CliRunner().invoke(cli, ["format", str(edited), "-o", str(tmp_path / "two.xlsx"),
                                      "--as-of", "2022-03-17"])  # fmt: skip
    assert result.exit_code == 2
    assert "Legend" in result.output and "mergeCells" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "two.xlsx").exists()
    with pytest.raises(LossError):
        format_workbook(edited, tmp_path / "two.xlsx", settings=SETTINGS)


def test_allow_loss_writes_and_logs_what_was_not_carried(tmp_path: Path) -> None:
    format_workbook(lead_plan(tmp_path / "plan.xlsx"), tmp_path / "one.xlsx", settings=SETTINGS)
    edited = _with_a_merge_on_the_legend(tmp_path / "one.xlsx", tmp_path / "edited.xlsx")
    result = format_workbook(edited, tmp_path / "two.xlsx", settings=SETTINGS, allow_loss=True)
    assert result.losses and "mergeCells" in result.losses[0]
    log = openpyxl.load_workbook(tmp_path / "two.xlsx")["Change Log"]
    assert any(row[2] == "loss" for row in log.iter_rows(values_only=True))


def test_a_strict_open_xml_workbook_is_refused_in_one_line(tmp_path: Path) -> None:
    source = lead_plan(tmp_path / "plan.xlsx")
    strict = tmp_path / "strict.xlsx"
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(strict, "w") as out:
        for item in archive.infolist():
            data = archive.read(item)
            if item.filename == "xl/workbook.xml":
                data = data.replace(
                    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                    b"http://purl.oclc.org/ooxml/spreadsheetml/main",
                )
            out.writestr(item, data)
    result = CliRunner().invoke(cli, ["format", str(strict), "-o", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 2
    assert "Strict" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out.xlsx").exists()


# --- the row patcher ------------------------------------------------------------------------

_HEAD = b'<worksheet xmlns="' + MAIN.encode() + b'"><sheetData>'
_TAIL = b"</sheetData></worksheet>"


def _sheet(rows: dict[int, list[int]], *, references: bool = True) -> bytes:
    body = b""
    for number, columns in sorted(rows.items()):
        cells = b"".join(
            (b'<c r="%s%d" t="s"><v>%d</v></c>' % (get_column_letter(c).encode(), number, c))
            if references
            else (b'<c t="s"><v>%d</v></c>' % c)
            for c in columns
        )
        body += b'<row r="%d">%s</row>' % (number, cells)
    return _HEAD + body + _TAIL


def _cells(data: bytes) -> dict[tuple[int, str], bytes]:
    root = etree.fromstring(data)
    found = {}
    for row in root.iter(f"{{{MAIN}}}row"):
        for cell in row.iter(f"{{{MAIN}}}c"):
            found[(int(row.get("r")), cell.get("r"))] = etree.tostring(cell)
    return found


rows_strategy = st.dictionaries(
    st.integers(1, 40),
    st.lists(st.integers(1, 12), min_size=1, max_size=6, unique=True).map(sorted),
    max_size=12,
)
edits_strategy = st.dictionaries(
    st.integers(1, 45),
    st.dictionaries(st.integers(1, 16), st.sampled_from(["text", "formula", "delete"]), max_size=3),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(rows=rows_strategy, edits=edits_strategy)
def test_the_row_patcher_changes_exactly_the_cells_it_is_given(
    rows: dict[int, list[int]], edits: dict[int, dict[int, str]]
) -> None:
    source = _sheet(rows)
    wanted = {
        row: {
            column: CellEdit(kind, "x", "y", 7) if kind != "delete" else CellEdit("delete", style=7)
            for column, kind in columns.items()
        }
        for row, columns in edits.items()
        if columns
    }
    patch = SheetPatch(own_styles=frozenset({7}))
    patched = b"".join(patch_worksheet(source, wanted, lambda frame: False, patch)())
    before, after = _cells(source), _cells(patched)
    for key, cell in before.items():  # planbook's cells never write over a lead's
        assert after[key] == cell
    for row, columns in wanted.items():
        for column, edit in columns.items():
            key = (row, f"{get_column_letter(column)}{row}")
            if key in before:
                continue
            if edit.kind == "delete":
                assert key not in after
            else:
                assert b's="7"' in after[key]
    order = [
        [cell.get("r") for cell in row.iter(f"{{{MAIN}}}c")]
        for row in etree.fromstring(patched).iter(f"{{{MAIN}}}row")
    ]
    numbers = [int(row.get("r")) for row in etree.fromstring(patched).iter(f"{{{MAIN}}}row")]
    assert numbers == sorted(numbers)
    written = {
        row for row, columns in wanted.items() if any(e.kind != "delete" for e in columns.values())
    }
    assert set(numbers) == set(rows) | written  # no row made only to clear nothing
    for references in order:
        columns = [column_index_from_string(re.match(r"[A-Z]+", r).group(0)) for r in references]
        assert columns == sorted(columns)


def test_cells_without_references_are_given_theirs_before_planbook_inserts() -> None:
    source = _sheet({3: [1, 2, 3]}, references=False)
    edits = {3: {5: CellEdit("text", "Derived RAG", style=7)}}
    patched = b"".join(patch_worksheet(source, edits, lambda frame: False, SheetPatch())())
    assert [key[1] for key in _cells(patched)] == ["A3", "B3", "C3", "E3"]


def test_a_prefixed_worksheet_is_patched_with_its_own_prefix() -> None:
    source = (
        b'<x:worksheet xmlns:x="' + MAIN.encode() + b'"><x:sheetData>'
        b'<x:row r="2"><x:c r="A2" t="s"><x:v>0</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    )
    edits = {2: {3: CellEdit("text", "Derived RAG", style=7)}}
    patched = b"".join(patch_worksheet(source, edits, lambda frame: False, SheetPatch())())
    assert b'<x:c r="C2" s="7" t="inlineStr"><x:is><x:t>Derived RAG</x:t></x:is></x:c>' in patched
    assert [key[1] for key in _cells(patched)] == ["A2", "C2"]
