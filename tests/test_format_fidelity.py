"""`planbook format` is lossless (issue 10): what the lead built comes back as it was.

The input is tests/fidelity.py's plan workbook, holding one of each Excel feature at a
known cell, in two variants: as XlsxWriter writes it (patched with a threaded comment and
a formula never calculated), and the same saved again by LibreOffice. Each test names
one behaviour of the contract and asserts it two ways where it can: the feature at its
known cell in the output, and the output compared with the input by the checkers of
tests/fidelity.py (whose messages say what was lost). The checkers are proved at the end:
they find nothing between a workbook and itself, and catch a plain openpyxl round trip.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

import fidelity as fx
from fidelity import PLAN, Package
from planbook.cli import cli
from planbook.derive import Settings
from planbook.write import FormatResult, format_workbook

if fx.soffice() is None and os.environ.get("PLANBOOK_REQUIRE_SOFFICE"):
    # CI installs LibreOffice and sets this: there a missing soffice is a failure.
    raise RuntimeError("PLANBOOK_REQUIRE_SOFFICE is set but soffice is not installed")

SETTINGS = Settings(as_of=fx.AS_OF)
VARIANTS = ("xlsxwriter", "libreoffice")
NO_SOFFICE = (
    "LibreOffice (soffice) is not installed: the variant saved again by LibreOffice "
    "cannot be made (CI installs it and sets PLANBOOK_REQUIRE_SOFFICE=1)"
)
OTHER_SHEETS = ("Cover", "Data", "Notes", "Chart", "Hidden")


def fmt(source: Path, output: Path) -> FormatResult:
    """Format as of the manifest's date, the as-of fixed in the workbook (`--as-of`)."""
    return format_workbook(source, output, settings=SETTINGS, live_as_of=False)


@dataclass
class Case:
    """One input, formatted once: its packages before and after."""

    variant: str
    source: Path
    output: Path
    result: FormatResult

    def __post_init__(self) -> None:
        self.before = Package(self.source)
        self.after = Package(self.output)


class Cases:
    """Each variant built and formatted once for the module, on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.cases: dict[str, Case] = {}
        self.built = fx.build_plan_workbook(directory / "plan.xlsx")

    def source(self, variant: str) -> Path:
        if variant == "xlsxwriter":
            return self.built
        if fx.soffice() is None:
            pytest.skip(NO_SOFFICE)
        resaved = self.directory / "libreoffice" / "plan.xlsx"
        return (
            resaved if resaved.is_file() else fx.resave_with_libreoffice(self.built, resaved.parent)
        )

    def get(self, variant: str) -> Case:
        if variant not in self.cases:
            source = self.source(variant)
            output = self.directory / f"{variant}.formatted.xlsx"
            self.cases[variant] = Case(variant, source, output, fmt(source, output))
        return self.cases[variant]


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Cases:
    return Cases(tmp_path_factory.mktemp("fidelity"))


@pytest.fixture(scope="module", params=VARIANTS)
def case(request: pytest.FixtureRequest, cases: Cases) -> Case:
    """The plan workbook formatted: as XlsxWriter wrote it, and as LibreOffice saved it."""
    return cases.get(request.param)


@pytest.fixture(scope="module")
def built(cases: Cases) -> Case:
    """The XlsxWriter variant only: the one holding every feature of the manifest."""
    return cases.get("xlsxwriter")


@pytest.fixture(scope="module")
def second(case: Case, cases: Cases) -> Case:
    """The formatted workbook formatted again with the same options."""
    output = cases.directory / f"{case.variant}.twice.xlsx"
    return Case(case.variant, case.output, output, fmt(case.output, output))


# --------------------------------------------------------------------------- the package


def test_parts_planbook_does_not_own_are_byte_equal(case: Case) -> None:
    assert fx.compare_packages(case.before, case.after, [PLAN]) == []


def test_nothing_is_missing_from_the_output_but_the_calc_chain(case: Case) -> None:
    missing = sorted(set(case.before.parts) - set(case.after.parts) - fx.DROPPABLE_PARTS)
    assert missing == []


@pytest.mark.parametrize("sheet", OTHER_SHEETS)
def test_cover_and_other_sheets_are_byte_equal(case: Case, sheet: str) -> None:
    part = case.before.sheet_part(sheet)
    assert case.after.sheet_part(sheet) == part
    assert case.after.parts[part] == case.before.parts[part]
    rels = fx.rels_part(part)
    assert case.after.parts.get(rels) == case.before.parts.get(rels)


def test_the_chart_and_its_cached_data_are_carried_byte_for_byte(case: Case) -> None:
    charts = sorted(part for part in case.before.parts if part.startswith("xl/charts/"))
    assert charts, "the input has no chart"
    for part in charts:
        assert case.after.parts.get(part) == case.before.parts[part], part
    assert b"<c:numCache>" in case.after.parts[charts[0]]
    (drawing,) = case.after.drawing_parts("Data")
    assert case.after.parts[drawing] == case.before.parts[drawing]


def test_the_chartsheet_is_carried_as_a_chartsheet(built: Case) -> None:
    """LibreOffice saves a chartsheet as a worksheet with a chart: XlsxWriter variant only."""
    entry = next(e for e in built.after.sheets if e.name == fx.CHART_SHEET)
    assert (entry.kind, entry.part) == ("chartsheet", built.before.sheet_part(fx.CHART_SHEET))
    assert built.after.parts[entry.part] == built.before.parts[entry.part]


def test_the_image_is_carried_byte_for_byte(case: Case) -> None:
    (drawing,) = case.after.drawing_parts(PLAN)
    images = [
        rel.target for rel in case.after.relationships(drawing) if rel.type.endswith("/image")
    ]
    assert [case.after.parts[image] for image in images] == [fx.PNG]
    assert case.after.parts[drawing] == case.before.parts[drawing]


def test_notes_stay_on_their_cells(case: Case) -> None:
    notes = case.after.comments(PLAN)
    assert notes == case.before.comments(PLAN)
    assert notes[fx.NOTE_CELL] == "Ask estates for the dates"
    assert case.after.comments("Notes") == {"A1": "A note on another sheet"}


def test_the_threaded_comment_and_its_reply_stay_on_their_cell(built: Case) -> None:
    """LibreOffice drops threaded comments on save: XlsxWriter variant only."""
    assert built.after.threaded_comments(PLAN) == {fx.THREADED_CELL: list(fx.THREADED_TEXTS)}
    for part in ("xl/threadedComments/threadedComment1.xml", "xl/persons/person.xml"):
        assert built.after.parts.get(part) == built.before.parts[part], part
    people = built.after.relationships(built.after.workbook_part)
    assert any(r.type == fx.REL_PERSON and r.target == "xl/persons/person.xml" for r in people)
    assert built.after.content_types["xl/persons/person.xml"] == fx.CT_PERSON


def test_the_leads_custom_properties_are_kept_beside_planbooks(case: Case) -> None:
    assert fx.custom_property_differences(case.before, case.after) == []
    assert set(case.after.custom_properties()) >= set(fx.CUSTOM_PROPERTIES)


def test_the_sheets_keep_their_order_kinds_and_visibility_then_planbooks_own(
    case: Case,
) -> None:
    assert fx.sheet_list_differences(case.before, case.after) == []
    states = {entry.name: entry.state for entry in case.after.sheets}
    assert states[fx.HIDDEN_SHEET] == "hidden"
    assert set(states) - set(fx.SHEETS) == set(fx.PLANBOOK_SHEETS)


def test_every_part_keeps_its_content_type(case: Case) -> None:
    assert fx.content_type_differences(case.before, case.after) == []


def test_workbook_settings_and_relationships_are_kept(case: Case) -> None:
    assert fx.workbook_differences(case.before, case.after) == []


# --------------------------------------------------------------------------- the lead's cells


def test_every_lead_cell_keeps_its_value_formula_and_style(case: Case) -> None:
    """Every cell of the plan sheet where it was, as it was (values, formulas, cached
    values, `s`), but the two canonical changes; no new cell among the lead's columns."""
    changed = fx.CANONICAL_CHANGES
    assert fx.cell_differences(case.before, case.after, PLAN, changed) == []


def test_lead_formula_keeps_its_cached_value(case: Case) -> None:
    before, after = case.before.cells(PLAN), case.after.cells(PLAN)
    for ref, (formula, _) in fx.FORMULAS.items():
        assert after[ref].formula is not None and after[ref].formula[2] == formula, ref
        assert (after[ref].cached, after[ref].kind) == (before[ref].cached, before[ref].kind), ref
    assert after["L7"].cached == "2"


def test_a_formula_never_calculated_stays_a_formula_with_no_value(built: Case) -> None:
    """LibreOffice calculates every formula on save: XlsxWriter variant only."""
    cell = built.after.cells(PLAN)["L8"]
    assert (cell.formula is not None and cell.formula[2], cell.cached) == ("L7*2", None)


def test_a_cross_sheet_formula_keeps_its_reference_and_value(case: Case) -> None:
    cell = case.after.cells(PLAN)["J10"]
    assert cell.formula is not None
    assert (cell.formula[2], cell.kind, cell.cached) == ('Notes!B1&" boxes"', "str", "12 boxes")


def test_the_lead_formula_right_of_the_table_still_counts_its_column(case: Case) -> None:
    """`=COUNTA(K8:K20)` in L7: no cell moved, so K8:K10 are still the lead's notes."""
    cells = case.after.cells(PLAN)
    assert cells["L7"].formula is not None and cells["L7"].formula[2] == "COUNTA(K8:K20)"
    assert [cells[f"K{row}"].text for row in (7, 8, 9)] == [
        "call estates",
        "check keys",
        "pick colours",
    ]


def test_rich_text_keeps_its_runs(case: Case) -> None:
    before = case.before.cells(PLAN)[fx.RICH_TEXT_CELL]
    after = case.after.cells(PLAN)[fx.RICH_TEXT_CELL]
    assert after.text == "boxes bought"
    assert (after.string, after.style) == (before.string, before.style)


def test_styles_are_only_appended(case: Case) -> None:
    """The lead's xf at index k is the same xf: fonts, fills, borders, number formats,
    cell styles and the dxfs of the lead's conditional formats keep their places."""
    assert fx.style_differences(case.before, case.after) == []


def test_misspelt_status_and_rag_become_canonical_in_the_same_cell_and_style(
    case: Case,
) -> None:
    before, after = case.before.cells(PLAN), case.after.cells(PLAN)
    assert (before["H7"].text, before["I7"].text) == ("WIP", "Red")
    for ref, text in fx.CANONICAL_CHANGES.items():
        assert (after[ref].text, after[ref].formula, after[ref].style) == (
            text,
            None,
            before[ref].style,
        )


def test_each_canonical_change_is_a_row_of_the_change_log(case: Case) -> None:
    logged = [(c.sheet, c.cell, c.field, c.old, c.new) for c in case.result.changes]
    assert logged == list(fx.CHANGE_LOG_ROWS)
    rows: dict[int, dict[int, str]] = {}
    for ref, cell in case.after.cells("Change Log").items():
        rows.setdefault(fx.row_number(ref), {})[fx.column_number(ref)] = cell.text
    written = [tuple(row.get(c, "") for c in range(1, 6)) for _, row in sorted(rows.items())]
    assert written[1:] == list(fx.CHANGE_LOG_ROWS)


# --------------------------------------------------------------------------- the sheet


def test_merged_ranges_stay_where_the_lead_put_them(case: Case) -> None:
    assert case.after.merges(PLAN) == fx.MERGES
    assert fx.merge_differences(case.before, case.after, PLAN) == []


def test_the_leads_data_validations_are_kept_beside_planbooks(case: Case) -> None:
    assert case.after.validations(PLAN).items() >= fx.VALIDATIONS.items()
    assert fx.validation_differences(case.before, case.after, PLAN) == []


def test_the_leads_conditional_formats_are_kept_beside_planbooks(case: Case) -> None:
    found = case.after.conditional_formats(PLAN)
    for sqref, kind in fx.CONDITIONAL_FORMATS.items():
        assert kind in found.get(sqref, []), sqref
    assert fx.conditional_format_differences(case.before, case.after, PLAN) == []


def test_hyperlinks_keep_their_cells_and_targets(case: Case) -> None:
    assert case.after.hyperlinks(PLAN) == fx.HYPERLINKS
    assert fx.hyperlink_differences(case.before, case.after, PLAN) == []


def test_defined_names_are_kept_and_only_planbooks_added(case: Case) -> None:
    names = case.after.defined_names()
    for name, value in fx.DEFINED_NAMES.items():
        scope = None if name in ("LeadTotal", "Councils") else PLAN
        assert names.get((name, scope)) == value, name
    assert names.get((fx.LOCAL_NAME[0], fx.LOCAL_NAME[1])) == fx.LOCAL_NAME[2]
    assert {(name, None) for name in fx.PLANBOOK_NAMES} <= set(names)
    assert fx.defined_name_differences(case.before, case.after) == []


def test_print_area_and_print_titles_are_kept(case: Case) -> None:
    names = case.after.defined_names()
    assert names.get(("_xlnm.Print_Area", PLAN)) == "Plan!$A$1:$L$27"
    assert names.get(("_xlnm.Print_Titles", PLAN)) == "Plan!$6:$6"


def test_column_widths_and_hidden_columns_are_kept(case: Case) -> None:
    columns = case.after.columns(PLAN)
    for letter, width in fx.COLUMN_WIDTHS.items():
        assert abs(float(columns[fx.column_number(f"{letter}1")]["width"]) - width) < 1, letter
    assert columns[fx.column_number(f"{fx.HIDDEN_COLUMN}1")].get("hidden") in ("1", "true")
    assert fx.column_differences(case.before, case.after, PLAN) == []


def test_row_heights_and_hidden_rows_are_kept(case: Case) -> None:
    rows = case.after.rows(PLAN)
    assert float(rows[fx.ROW_HEIGHT[0]]["ht"]) == fx.ROW_HEIGHT[1]
    assert rows[fx.HIDDEN_ROW].get("hidden") in ("1", "true")
    assert fx.row_differences(case.before, case.after, PLAN) == []


def test_the_tab_colour_is_kept(case: Case) -> None:
    def colour(package: Package) -> str | None:
        (properties,) = package.children(PLAN, "sheetPr")
        tab = properties.find(fx.q("tabColor"))
        return None if tab is None else tab.get("rgb")

    assert colour(case.after) == colour(case.before)
    assert fx.sheet_properties_differences(case.before, case.after, PLAN) == []


def test_the_tab_colour_stays_green(built: Case) -> None:
    """LibreOffice 7.4 drops this tab colour on save: XlsxWriter variant only."""
    (properties,) = built.after.children(PLAN, "sheetPr")
    tab = properties.find(fx.q("tabColor"))
    assert tab is not None and tab.get("rgb") == fx.TAB_COLOUR


def test_frozen_panes_are_kept(case: Case) -> None:
    """As the lead left them; where the lead had none, planbook's frozen Ref and Description."""
    assert fx.view_differences(case.before, case.after, PLAN) == []


def test_frozen_panes_stay_at_their_cell(built: Case) -> None:
    """LibreOffice 7.4 drops these frozen panes on save: XlsxWriter variant only."""
    pane = next(built.after.sheet(PLAN).iter(fx.q("pane")))
    assert (pane.get("topLeftCell"), pane.get("state")) == (fx.FROZEN_AT, "frozen")


def test_the_autofilter_is_kept(case: Case) -> None:
    (autofilter,) = case.after.children(PLAN, "autoFilter")
    assert autofilter.get("ref") == fx.AUTOFILTER
    assert fx.element_differences(case.before, case.after, PLAN, "autoFilter") == []


def test_sheet_protection_is_kept(case: Case) -> None:
    (protection,) = case.after.children(PLAN, "sheetProtection")
    assert protection.get("sheet") in ("1", "true")
    assert fx.element_differences(case.before, case.after, PLAN, "sheetProtection") == []


def test_extension_lists_are_kept(case: Case) -> None:
    """The lead's 2010 data bar lives in the sheet's extLst (x14:conditionalFormattings)."""
    assert b"x14:dataBar" in case.before.parts[case.before.sheet_part(PLAN)]
    assert fx.extension_differences(case.before, case.after, sheet=PLAN) == []


def test_drawing_comments_and_table_relationships_are_kept(case: Case) -> None:
    """The drawing (image), the notes and their VML, the table, the threaded comment:
    each relationship still there, and each element naming one names the same part."""
    assert fx.relationship_differences(case.before, case.after, PLAN) == []
    for tag in ("drawing", "legacyDrawing", "tableParts"):
        assert case.after.children(PLAN, tag), tag


def test_the_excel_table_is_kept(case: Case) -> None:
    assert case.after.table_refs(PLAN) == {fx.TABLE[0]: fx.TABLE[1]}
    for part in (p for p in case.before.parts if p.startswith("xl/tables/")):
        assert case.after.parts.get(part) == case.before.parts[part], part


def test_the_rest_of_the_sheet_is_kept(case: Case) -> None:
    """sheetFormatPr, protection, autofilter, drawings, tables... each as it was."""
    assert fx.other_element_differences(case.before, case.after, PLAN) == []


# --------------------------------------------------------------------------- planbook's columns


def test_planbook_columns_stand_past_the_last_used_column(case: Case) -> None:
    assert case.before.last_used_column(PLAN) == fx.column_number(f"{fx.LAST_USED_COLUMN}1")
    assert (
        fx.planbook_column_differences(
            case.before, case.after, PLAN, fx.HEADER_ROWS, fx.MILESTONE_ROWS
        )
        == []
    )
    cells = case.after.cells(PLAN)
    derived, parsed = fx.PLANBOOK_COLUMNS
    assert (cells[f"{derived}6"].text, cells[f"{parsed}6"].text) == fx.PLANBOOK_HEADERS


def test_derived_rag_cells_are_formulas_with_a_cached_letter(case: Case) -> None:
    cells = case.after.cells(PLAN)
    derived = fx.PLANBOOK_COLUMNS[0]
    for row in fx.MILESTONE_ROWS:
        cell = cells[f"{derived}{row}"]
        assert cell.formula is not None and cell.cached in fx.DERIVED_LETTERS, row
    # T1's Pack was due on 1 March 2022 and is only started: late as of 17 March.
    assert cells[f"{derived}7"].cached == "R"


def test_a_table_with_no_delivery_status_gets_no_planbook_columns(case: Case) -> None:
    cells = case.after.cells(PLAN)
    written = {
        ref: cell.describe()
        for ref, cell in cells.items()
        if fx.row_number(ref) in fx.UNTRACKED_ROWS and ref[0] in fx.PLANBOOK_COLUMNS
    }
    assert written == {}


def test_a_second_insert_line_above_marker_stays_as_the_lead_wrote_it(case: Case) -> None:
    """Only a Delivery Status or RAG spelling changes in a lead's cell."""
    cells = case.after.cells(PLAN)
    assert [cells[ref].text for ref in ("A12", "A13")] == ["Insert Line Above"] * 2
    assert [c.cell for c in case.result.changes] == list(fx.CANONICAL_CHANGES)


# --------------------------------------------------------------------------- the second pass


def test_second_pass_is_byte_identical(case: Case, second: Case) -> None:
    assert second.output.read_bytes() == case.output.read_bytes()


def test_second_pass_makes_no_change(second: Case) -> None:
    assert second.result.changes == ()


def test_second_pass_finds_planbook_columns_by_header_and_rewrites_them_in_place(
    case: Case, second: Case
) -> None:
    """Judged against the lead's input: still past the lead's last column, not past
    planbook's own of the first pass."""
    assert (
        fx.planbook_column_differences(
            case.before, second.after, PLAN, fx.HEADER_ROWS, fx.MILESTONE_ROWS
        )
        == []
    )


def test_second_pass_carries_the_leads_workbook_as_the_first_did(case: Case, second: Case) -> None:
    assert fx.compare_packages(case.before, second.after, [PLAN]) == []
    changed = {PLAN: fx.CANONICAL_CHANGES}
    assert fx.all_problems(fx.feature_differences(case.before, second.after, [PLAN], changed)) == []


# --------------------------------------------------------------------------- macros


@pytest.fixture(scope="module")
def macro_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("macros")
    return fx.build_plan_workbook(directory / "plan.xlsm", macros=True)


def test_xlsm_keeps_its_vba_project_byte_for_byte(macro_workbook: Path) -> None:
    output = macro_workbook.with_name("out.xlsm")
    fmt(macro_workbook, output)
    before, after = Package(macro_workbook), Package(output)
    assert after.parts.get("xl/vbaProject.bin") == fx.VBA_PROJECT
    assert after.content_types[after.workbook_part] == fx.CT_MACRO_WORKBOOK
    assert fx.compare_packages(before, after, [PLAN]) == []
    assert fx.workbook_differences(before, after) == []


def test_xlsx_out_of_xlsm_drops_the_macros_with_a_notice(macro_workbook: Path) -> None:
    output = macro_workbook.with_name("out.xlsx")
    result = CliRunner().invoke(
        cli, ["format", str(macro_workbook), "-o", str(output), "--as-of", fx.AS_OF.isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert "macros" in result.stderr and result.stderr.count("\n") == 1
    after = Package(output)
    assert not any("vba" in part.lower() for part in after.parts)
    assert after.content_types[after.workbook_part] != fx.CT_MACRO_WORKBOOK
    assert not any("vba" in rel.type.lower() for rel in after.relationships(after.workbook_part))
    dropped = {"xl/vbaProject.bin"}
    assert fx.compare_packages(Package(macro_workbook), after, [PLAN], may_drop=dropped) == []


# --------------------------------------------------------------------------- the checkers


def test_the_built_workbook_holds_every_feature_at_its_cell(cases: Cases) -> None:
    """The manifest is true of the input: the checks above test something."""
    package = Package(cases.built)
    assert [entry.name for entry in package.sheets] == list(fx.SHEETS)
    assert package.merges(PLAN) == fx.MERGES
    cells = package.cells(PLAN)
    for ref, (formula, cached) in fx.FORMULAS.items():
        assert cells[ref].formula is not None and cells[ref].formula[2] == formula, ref
        assert cells[ref].cached == cached, ref
    assert (cells["H7"].text, cells["I7"].text) == ("WIP", "Red")
    assert len(cells[fx.RICH_TEXT_CELL].string or ()) == 2
    assert package.hyperlinks(PLAN) == fx.HYPERLINKS
    assert package.comments(PLAN).keys() == {fx.NOTE_CELL, fx.THREADED_CELL}
    assert package.threaded_comments(PLAN) == {fx.THREADED_CELL: list(fx.THREADED_TEXTS)}
    assert package.validations(PLAN) == fx.VALIDATIONS
    assert {k: v[0] for k, v in package.conditional_formats(PLAN).items()} == (
        fx.CONDITIONAL_FORMATS
    )
    assert package.table_refs(PLAN) == {fx.TABLE[0]: fx.TABLE[1]}
    assert package.last_used_column(PLAN) == fx.column_number(f"{fx.LAST_USED_COLUMN}1")
    names = package.defined_names()
    assert names[("LeadTotal", None)] == fx.DEFINED_NAMES["LeadTotal"]
    assert names[("_xlnm.Print_Titles", PLAN)] == fx.DEFINED_NAMES["_xlnm.Print_Titles"]
    properties = package.custom_properties()
    assert {name: properties[name][0][2] for name in fx.CUSTOM_PROPERTIES} == fx.CUSTOM_PROPERTIES
    (sheet_properties,) = package.children(PLAN, "sheetPr")
    tab = sheet_properties.find(fx.q("tabColor"))
    assert tab is not None and tab.get("rgb") == fx.TAB_COLOUR
    pane = next(package.sheet(PLAN).iter(fx.q("pane")))
    assert (pane.get("topLeftCell"), pane.get("state")) == (fx.FROZEN_AT, "frozen")
    assert package.parts["xl/media/image1.png"] == fx.PNG
    assert next(e for e in package.sheets if e.name == fx.CHART_SHEET).kind == "chartsheet"


def test_the_build_is_deterministic(cases: Cases, tmp_path: Path) -> None:
    again = fx.build_plan_workbook(tmp_path / "plan.xlsx")
    assert again.read_bytes() == cases.built.read_bytes()


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_checkers_find_nothing_between_a_workbook_and_itself(
    cases: Cases, variant: str
) -> None:
    source = cases.source(variant)
    assert fx.compare_packages(source, source, [PLAN]) == []
    changed = {PLAN: {}}
    assert fx.all_problems(fx.feature_differences(source, source, [PLAN], changed)) == []
    package = Package(source)
    headers, rows = fx.HEADER_ROWS, fx.MILESTONE_ROWS
    problems = fx.planbook_column_differences(package, package, PLAN, headers, rows)
    assert len(problems) == 2 * len(headers) + len(rows)  # no planbook columns in the input


@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_the_checkers_catch_a_plain_openpyxl_round_trip(cases: Cases, tmp_path: Path) -> None:
    """openpyxl keeps values but drops threaded comments, cached values, the chart sheet's
    chart, extension lists...: the checkers must say so."""
    source = cases.built
    resaved = fx.resave_with_openpyxl(source, tmp_path / "openpyxl.xlsx")
    parts = fx.compare_packages(source, resaved, [PLAN])
    assert "xl/threadedComments/threadedComment1.xml: missing from the output" in parts
    assert "xl/persons/person.xml: missing from the output" in parts
    found = fx.feature_differences(source, resaved, [PLAN], {PLAN: {}})
    assert any(problem.startswith("Plan!L7: was =COUNTA") for problem in found["Plan: cells"])
    assert found["Plan: extensions"] != []
    assert any("threadedComment" in problem for problem in found["Plan: relationships"])
    assert fx.cell_differences(Package(source), Package(resaved), PLAN, {}) != []


def test_the_checkers_catch_a_copy_with_one_byte_changed(cases: Cases, tmp_path: Path) -> None:
    source = Package(cases.built)
    parts = dict(source.parts)
    parts["xl/charts/chart1.xml"] = parts["xl/charts/chart1.xml"].replace(b">100<", b">101<")
    del parts["xl/media/image1.png"]
    copy = tmp_path / "copy.xlsx"
    fx.write_package(copy, parts)
    problems = fx.compare_packages(source, copy, [PLAN])
    assert [problem.split(":")[0] for problem in problems] == [
        "xl/charts/chart1.xml",
        "xl/media/image1.png",
    ]


def test_the_checkers_see_a_cell_move_and_a_style_change(cases: Cases, tmp_path: Path) -> None:
    source = Package(cases.built)
    parts = dict(source.parts)
    sheet = source.sheet_part(PLAN)
    xml = parts[sheet].decode()
    style = source.cells(PLAN)["H7"].style
    parts[sheet] = (
        xml.replace('<c r="K9" ', '<c r="O9" ')
        .replace(f'<c r="H7" s="{style}"', '<c r="H7" s="0"')
        .encode()
    )
    copy = tmp_path / "moved.xlsx"
    fx.write_package(copy, parts)
    problems = fx.cell_differences(source, Package(copy), PLAN, {})
    assert [problem.split(":")[0] for problem in problems] == ["Plan!H7", "Plan!K9", "Plan!O9"]
