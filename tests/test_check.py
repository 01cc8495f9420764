"""`check`: the layout and value rules of RULES.md, one finding code at a time.

Each small workbook is a service sheet built in the test: `Annual Plan for:` on row 1,
a blank row 2, the title `Part 2 - Annual Plan Items` on row 3, the header row on row 4
(columns A-J: Ref, Description, Milestones, Due Dates, Lead, Links to Service Outcomes,
Councils Impacted, Delivery Status, RAG, Progress), and the rows a test lists from row 5.
`item(...)` is a row that passes every check; a test changes the one cell it is about.

Findings are compared as compact tables of (sheet, cell, code). The derived-RAG findings
(PB3xx) depend on the day the tests run and are tested with the derived RAG; here only
the layout and value codes (PB1xx, PB2xx) are compared.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

import planbook
from planbook.check import check_plan, check_workbook
from planbook.check.layout_rules import EXCEL_ERRORS
from planbook.derive import Settings
from planbook.errors import PlanbookError
from planbook.findings import Finding, Report
from planbook.schemas import default_schemas_dir
from workbooks import PLAN_HEADER, SAMPLE_WORKBOOK, CellInput, edit_once, write_workbook

SCHEMAS = default_schemas_dir()  # the defaults shipped in the package

HEADER: list[CellInput] = PLAN_HEADER
FIELDS = (
    "ref",
    "description",
    "milestone",
    "due",
    "lead",
    "outcome",
    "councils",
    "status",
    "rag",
    "progress",
)
COLUMN = dict(zip(FIELDS, "ABCDEFGHIJ", strict=True))
TITLE = "Part 2 - Annual Plan Items"
FIRST = 5  # the row of the first table row a test lists

#: A milestone row with nothing wrong in it.
CLEAN: dict[str, CellInput] = {
    "ref": "T1",
    "description": "Replace the telephony platform",
    "milestone": "Go live",
    "due": "30/09/22",
    "lead": "Capita",
    "outcome": "Continuous improvement",
    "councils": "All",
    "status": "Started",
    "rag": "G",
    "progress": "Supplier chosen; build under way",
}

Rows = list[list[CellInput]]
Found = list[tuple[str, str, str]]


def row(**texts: CellInput) -> list[CellInput]:
    """A table row with these fields filled and every other cell empty."""
    return [texts.get(name) for name in FIELDS]


def item(**changes: CellInput) -> list[CellInput]:
    """The clean milestone row with some fields changed (None empties a field)."""
    return row(**{**CLEAN, **changes})


def plan_sheet(*rows: list[CellInput], header: list[CellInput] | None = None) -> Rows:
    """The service sheet: header block, title on row 3, header row 4, ``rows`` from row 5."""
    return [["Annual Plan for:", "Test Service"], [], [TITLE], header or HEADER, *rows]


def cell(field: str, number: int = FIRST) -> str:
    """The A1 address of a field's cell on row ``number``."""
    return f"{COLUMN[field]}{number}"


def build(tmp_path: Path, sheets: dict[str, Rows], **options: object) -> Path:
    return write_workbook(tmp_path / "plan.xlsx", sheets, **options)  # type: ignore[arg-type]


def check(
    tmp_path: Path, *rows: list[CellInput], schemas: Path | None = None, **options: object
) -> Report:
    """Check a one-sheet plan (sheet `Plan`) holding these table rows."""
    return check_workbook(
        build(tmp_path, {"Plan": plan_sheet(*rows)}, **options), schemas_dir=schemas
    )


def found(report: Report) -> Found:
    """The layout and value findings, as (sheet, cell, code)."""
    return [(f.sheet, f.cell, f.code) for f in report.findings if f.code[:3] in ("PB1", "PB2")]


def found_in(tmp_path: Path, *rows: list[CellInput], **options: object) -> Found:
    return found(check(tmp_path, *rows, **options))


def only(report: Report, code: str) -> Finding:
    (finding,) = [f for f in report.findings if f.code == code]
    return finding


def test_a_clean_plan_has_no_findings(tmp_path: Path) -> None:
    assert found_in(tmp_path, item(), item(ref="T2", description="Second item")) == []


# --------------------------------------------------------------------------- Delivery Status

STATUS_ALIASES = [
    ("WIP", "Started"),
    ("In progress", "Started"),
    ("Design", "Started"),
    ("On hold", "Paused"),
    ("Closed", "Complete"),
    ("Closed.", "Complete"),
    ("CLOSED AS NOT RELEVANT", "Complete"),
]


@pytest.mark.parametrize(("alias", "canonical"), STATUS_ALIASES)
def test_a_status_alias_is_a_warning_at_its_cell(
    tmp_path: Path, alias: str, canonical: str
) -> None:
    assert found_in(tmp_path, item(status=alias)) == [("Plan", cell("status"), "PB201")]


@pytest.mark.parametrize(("alias", "canonical"), STATUS_ALIASES)
def test_a_status_alias_finding_names_the_canonical_value(
    tmp_path: Path, alias: str, canonical: str
) -> None:
    finding = only(check(tmp_path, item(status=alias)), "PB201")
    assert (finding.value, finding.suggestion) == (alias, f"write '{canonical}'")


def test_closed_as_not_relevant_says_its_words_are_kept(tmp_path: Path) -> None:
    finding = only(check(tmp_path, item(status="CLOSED AS NOT RELEVANT")), "PB201")
    assert "change log" in finding.message


@pytest.mark.parametrize("text", ["Not started", "Started", "Paused", "Complete"])
def test_a_canonical_status_has_no_finding(tmp_path: Path, text: str) -> None:
    assert found_in(tmp_path, item(status=text)) == []


@pytest.mark.parametrize("text", ["COMPLETE", "not started", "  Paused  "])
def test_a_canonical_status_in_another_case_has_no_finding(tmp_path: Path, text: str) -> None:
    assert found_in(tmp_path, item(status=text)) == []


def test_an_unknown_status_is_an_error_at_its_cell(tmp_path: Path) -> None:
    assert found_in(tmp_path, item(status="Finished")) == [("Plan", cell("status"), "PB202")]


@pytest.mark.parametrize(
    ("text", "nearest"), [("Not strated", "Not started"), ("Compelte", "Complete")]
)
def test_an_unknown_status_suggests_the_nearest_value(
    tmp_path: Path, text: str, nearest: str
) -> None:
    finding = only(check(tmp_path, item(status=text)), "PB202")
    assert finding.suggestion == f"did you mean '{nearest}'?"


# --------------------------------------------------------------------------- RAG


@pytest.mark.parametrize("text", ["R", "A", "G", "Red", "amber", "GREEN", "", None])
def test_a_known_rag_has_no_finding(tmp_path: Path, text: str | None) -> None:
    assert found_in(tmp_path, item(rag=text)) == []


def test_rag_not_applicable_on_a_complete_milestone_has_no_finding(tmp_path: Path) -> None:
    assert found_in(tmp_path, item(status="Complete", rag="n/a")) == []


def test_an_unknown_rag_is_an_error_at_its_cell(tmp_path: Path) -> None:
    assert found_in(tmp_path, item(rag="Y")) == [("Plan", cell("rag"), "PB211")]


def test_rag_not_applicable_on_a_started_milestone_is_a_warning(tmp_path: Path) -> None:
    assert found_in(tmp_path, item(status="Started", rag="n/a")) == [("Plan", cell("rag"), "PB212")]


def test_rag_not_applicable_beside_an_alias_of_complete_is_only_the_alias_warning(
    tmp_path: Path,
) -> None:
    assert found_in(tmp_path, item(status="Closed", rag="n/a")) == [
        ("Plan", cell("status"), "PB201")
    ]


def test_a_blank_rag_cell_with_a_red_fill_has_no_finding(tmp_path: Path) -> None:
    report = check(tmp_path, item(rag=None), fills={("Plan", cell("rag")): "FF0000"})
    assert found(report) == []


# --------------------------------------------------------------------------- Councils


@pytest.mark.parametrize(
    "text",
    [
        "Hart, Havant, Mendip, South, Vale",
        "Hart; Havant; Mendip",
        "Hart, South and Vale",
        "Hart\nHavant\nVale",
        "HDC, HBC, MDC, SODC, VOWH",
        "hart, VALE",
    ],
)
def test_a_list_of_councils_has_no_finding(tmp_path: Path, text: str) -> None:
    assert found_in(tmp_path, item(councils=text)) == []


@pytest.mark.parametrize(
    "text", ["All", "ALL", "All Councils", "H&EH", "S&V", "H&EH, S&V", "H&EH, S&V, Mendip"]
)
def test_a_council_group_has_no_finding(tmp_path: Path, text: str) -> None:
    assert found_in(tmp_path, item(councils=text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "Transformed Services only",
        "Where supported by Capita",
        "Where Capita provide Managed Service within their Datacentres",
    ],
)
def test_a_scope_note_of_three_words_or_more_has_no_finding(tmp_path: Path, text: str) -> None:
    assert found_in(tmp_path, item(councils=text)) == []


def test_all_councils_with_a_note_has_no_finding(tmp_path: Path) -> None:
    text = "All Councils - combination of individual plans to be brought together"
    assert found_in(tmp_path, item(councils=text)) == []


def test_an_unknown_council_is_an_error_at_its_cell(tmp_path: Path) -> None:
    assert found_in(tmp_path, item(councils="HEH")) == [("Plan", cell("councils"), "PB221")]


def test_heh_suggests_h_and_eh(tmp_path: Path) -> None:
    finding = only(check(tmp_path, item(councils="HEH")), "PB221")
    assert (finding.value, finding.suggestion) == ("HEH", "did you mean 'H&EH'?")


# --------------------------------------------------------------------------- Due dates


@pytest.mark.parametrize(
    "due",
    [
        dt.datetime(2022, 4, 30),
        dt.date(2022, 4, 30),
        "30/04/22",
        "01/03/2022",
        "31/01/22 go live April - June evaluation",
        "By 30 April 2022",
        "By or before 30 Sept 2022",
        "30/9/22 TBC",
        "Annually, by the end of Quarter 2",
        "Annual, Q3",
        "Ongoing",
        "ongoing",
        "Ongoing as required",
        "TBC",
        "TBC (may split out into separate line items)",
        "asap",
        None,
    ],
    ids=str,
)
def test_an_accepted_due_date_form_has_no_finding(tmp_path: Path, due: CellInput) -> None:
    assert found_in(tmp_path, item(due=due)) == []


@pytest.mark.parametrize(
    "due", ["31/02/22", "chasing resource availability dates", "Capita/Client"]
)
def test_a_due_that_is_not_a_date_is_an_error_at_its_cell(tmp_path: Path, due: str) -> None:
    assert found_in(tmp_path, item(due=due)) == [("Plan", cell("due"), "PB231")]


# --------------------------------------------------------------------------- shifted rows

PROGRESS_NOTE = "12/02/2021 - IKEN Terminal Server is being stood up to allow the users"


def test_started_under_lead_is_a_shifted_value(tmp_path: Path) -> None:
    assert found_in(tmp_path, item(lead="Started", status=None)) == [
        ("Plan", cell("lead"), "PB105")
    ]


def test_on_hold_under_due_is_a_shifted_value_not_a_bad_date(tmp_path: Path) -> None:
    assert found_in(tmp_path, item(due="On Hold", status=None)) == [("Plan", cell("due"), "PB105")]


def test_progress_notes_under_rag_are_a_shifted_value_not_a_bad_rag(tmp_path: Path) -> None:
    assert found_in(tmp_path, item(rag=PROGRESS_NOTE, progress=None)) == [
        ("Plan", cell("rag"), "PB105")
    ]


def test_progress_notes_under_status_are_a_shifted_value_not_a_bad_status(
    tmp_path: Path,
) -> None:
    assert found_in(tmp_path, item(status=PROGRESS_NOTE, progress=None)) == [
        ("Plan", cell("status"), "PB105")
    ]


@pytest.mark.parametrize("word", ["Started", "Complete"])
def test_a_status_word_under_rag_is_a_shifted_value_not_a_bad_rag(
    tmp_path: Path, word: str
) -> None:
    assert found_in(tmp_path, item(rag=word, status=None)) == [("Plan", cell("rag"), "PB105")]


@pytest.mark.parametrize("date", ["31/03/20", dt.datetime(2020, 3, 31)], ids=str)
def test_a_date_under_milestones_is_a_shifted_value(tmp_path: Path, date: CellInput) -> None:
    assert found_in(tmp_path, item(milestone=date)) == [("Plan", cell("milestone"), "PB105")]


def test_a_shifted_value_names_its_column_and_where_to_move_it(tmp_path: Path) -> None:
    finding = only(check(tmp_path, item(lead="Started", status=None)), "PB105")
    assert "'Started' under Lead looks like a Delivery Status" in finding.message
    assert finding.suggestion == f"move it to Delivery Status ({cell('status')})"


def test_a_shifted_row_is_not_also_missing_its_status(tmp_path: Path) -> None:
    rows = [
        item(),
        row(ref="Delivery of CVW to CMW", due="Capita/Client", lead="Started", rag=PROGRESS_NOTE),
    ]
    row6 = FIRST + 1
    assert found_in(tmp_path, *rows) == [
        ("Plan", cell("ref", row6), "PB103"),
        ("Plan", cell("due", row6), "PB231"),
        ("Plan", cell("lead", row6), "PB105"),
        ("Plan", cell("rag", row6), "PB105"),
    ]


# --------------------------------------------------------------------------- layout


def test_a_ref_without_description_is_a_warning_at_the_ref(tmp_path: Path) -> None:
    rows = [item(), row(ref="Nuvm to Azure")]
    assert found_in(tmp_path, *rows) == [("Plan", cell("ref", FIRST + 1), "PB103")]


def test_a_continuation_row_at_the_top_of_a_table_is_an_error(tmp_path: Path) -> None:
    first_row = item(ref=None, description=None)
    assert found_in(tmp_path, first_row, item()) == [("Plan", cell("milestone"), "PB104")]


def test_a_continuation_row_after_a_repeated_header_belongs_to_the_item_above(
    tmp_path: Path,
) -> None:
    rows = [item(), HEADER, item(ref=None, description=None, milestone="Evaluate")]
    assert found_in(tmp_path, *rows) == []


def test_a_table_with_only_an_insert_line_above_marker_has_no_findings(tmp_path: Path) -> None:
    assert found_in(tmp_path, row(description="Insert Line Above")) == []


def test_an_untitled_table_is_a_warning_at_its_header(tmp_path: Path) -> None:
    sheet = [["Annual Plan for:", "Test Service"], [], HEADER, item()]
    report = check_workbook(build(tmp_path, {"Plan": sheet}))
    assert found(report) == [("Plan", "A3", "PB101")]


def test_an_untitled_table_finding_names_the_inferred_part(tmp_path: Path) -> None:
    sheet = [["Annual Plan for:", "Test Service"], [], HEADER[:7], row(**CLEAN)[:7]]
    finding = only(check_workbook(build(tmp_path, {"Plan": sheet})), "PB101")
    assert finding.suggestion == "add a title line above it, e.g. 'Part 3 - Forward Look'"


def test_a_cell_outside_any_table_is_unplaced(tmp_path: Path) -> None:
    sheet = [["Annual Plan for:", "Test Service"], ["Remember to ask the client"], [TITLE]]
    sheet += [HEADER, item()]
    report = check_workbook(build(tmp_path, {"Plan": sheet}))
    assert found(report) == [("Plan", "A2", "PB102")]


def test_a_cell_right_of_the_header_is_unplaced(tmp_path: Path) -> None:
    assert found_in(tmp_path, [*item(), "see the risk log"]) == [("Plan", "K5", "PB102")]


def test_a_part_2_table_with_no_lead_column_is_an_error_at_its_header(tmp_path: Path) -> None:
    lead = FIELDS.index("lead")
    header = HEADER[:lead] + HEADER[lead + 1 :]
    values = item()
    sheet = plan_sheet(values[:lead] + values[lead + 1 :], header=header)
    report = check_workbook(build(tmp_path, {"Plan": sheet}))
    assert found(report) == [("Plan", "A4", "PB106")]


def test_an_extra_notes_column_is_info_at_its_header(tmp_path: Path) -> None:
    sheet = plan_sheet([*item(), "ask Paul"], header=[*HEADER, "Notes"])
    report = check_workbook(build(tmp_path, {"Plan": sheet}))
    assert found(report) == [("Plan", "K4", "PB107")]
    assert only(report, "PB107").severity == "info"


# --------------------------------------------------------------------------- missing status


def test_a_milestone_with_no_status_is_a_warning(tmp_path: Path) -> None:
    rows = [item(), row(milestone="Evaluate", due="30/11/22", progress="Not yet")]
    assert found_in(tmp_path, *rows) == [("Plan", cell("status", FIRST + 1), "PB203")]


def test_a_milestone_missing_two_required_fields_has_a_finding_at_each(
    tmp_path: Path, schemas: Path
) -> None:
    """A table-wide check fails a row at several cells at once: none of them is dropped."""
    edit_once(
        schemas / "tables" / "plan_items.yaml",
        "filled_on_milestones: {fields: [status]}",
        "filled_on_milestones: {fields: [status, lead]}",
    )
    rows = [item(), row(milestone="Evaluate", due="30/11/22", progress="Not yet")]
    report = check_workbook(build(tmp_path, {"Plan": plan_sheet(*rows)}), schemas_dir=schemas)
    second = FIRST + 1
    assert sorted(f for f in found(report) if f[2] == "PB203") == [
        ("Plan", cell("lead", second), "PB203"),
        ("Plan", cell("status", second), "PB203"),
    ]


def test_a_milestone_with_no_status_is_fine_in_a_table_without_a_status_column(
    tmp_path: Path,
) -> None:
    columns = HEADER[:7]  # as Customer Services: no status, RAG or progress
    sheet = plan_sheet(item()[:7], row(milestone="Evaluate", due="30/11/22")[:7], header=columns)
    assert found(check_workbook(build(tmp_path, {"Plan": sheet}))) == []


def test_an_item_row_that_is_no_milestone_needs_no_status(tmp_path: Path) -> None:
    rows = [row(ref="T1", description="Stakeholder map", lead="Capita", councils="All")]
    assert found_in(tmp_path, *rows) == []


# --------------------------------------------------------------------------- the report


def test_findings_are_ordered_by_sheet_then_row_then_column(tmp_path: Path) -> None:
    zeta = plan_sheet(item(councils="HEH"), item(due="31/02/22", status="WIP"))
    alpha = plan_sheet(item(status="Finished"))
    report = check_workbook(build(tmp_path, {"Zeta": zeta, "Alpha": alpha}))
    assert found(report) == [
        ("Zeta", "G5", "PB221"),
        ("Zeta", "D6", "PB231"),
        ("Zeta", "H6", "PB201"),
        ("Alpha", "H5", "PB202"),
    ]


def test_check_plan_checks_a_plan_already_read(tmp_path: Path) -> None:
    path = build(tmp_path, {"Plan": plan_sheet(item(status="WIP"))})
    assert found(check_plan(planbook.read_workbook(path))) == found(check_workbook(path))


# --------------------------------------------------------------------------- the sample

#: The layout and value findings of the sample, each checked by hand against the seed.
SAMPLE_FINDINGS: Found = [
    ("Customer Services", "C26", "PB105"),  # 'Ongoing' under Milestones: row 26 shifted left
    ("Customer Services", "D26", "PB231"),  # the lead under Due Dates
    ("Customer Services", "F26", "PB105"),  # 'All' under Links to Service Outcomes
    ("Revenues and Benefits", "A48", "PB101"),  # the forward look with no title
    ("Land Charges", "H20", "PB203"),  # Part 2 milestones with no Delivery Status
    ("Land Charges", "H21", "PB203"),
    ("Land Charges", "H22", "PB203"),
    ("Land Charges", "H23", "PB203"),
    ("Land Charges", "H24", "PB203"),
    ("IT", "C16", "PB105"),  # 'COMPLETE' under Milestones
    ("IT", "D16", "PB231"),  # 'chasing resource availability dates'
    ("IT", "D19", "PB105"),  # 'In Progress' under Due Dates
    ("IT", "H19", "PB201"),  # 'WIP'
    ("IT", "D20", "PB105"),  # 'In progress' under Due Dates
    ("IT", "D21", "PB105"),  # 'On Hold' under Due Dates
    ("IT", "A31", "PB103"),  # rows 31-37: milestones shifted into Ref
    ("IT", "D31", "PB231"),  # 'Capita/Client' under Due Dates
    ("IT", "E31", "PB105"),  # 'Started' under Lead
    ("IT", "I31", "PB105"),  # progress notes under RAG
    ("IT", "A32", "PB103"),
    ("IT", "D32", "PB231"),
    ("IT", "E32", "PB105"),
    ("IT", "I32", "PB105"),
    ("IT", "D33", "PB231"),  # 'Capita / Client' alone on its row
    ("IT", "H33", "PB203"),
    ("IT", "A35", "PB103"),
    ("IT", "C35", "PB105"),  # 'ongoing' under Milestones
    ("IT", "D35", "PB231"),
    ("IT", "F35", "PB105"),  # 'Started' under Links to Service Outcomes
    ("IT", "A36", "PB103"),
    ("IT", "C36", "PB105"),  # a date under Milestones
    ("IT", "D36", "PB231"),
    ("IT", "F36", "PB105"),
    ("IT", "I36", "PB105"),
    ("IT", "A37", "PB103"),  # 'Nuvm to Azure'
    ("IT", "I37", "PB105"),
    ("IT", "H42", "PB203"),
    ("IT", "H44", "PB203"),
    ("IT", "H45", "PB203"),
    ("IT", "H46", "PB201"),  # 'In progress'
    ("IT", "H50", "PB201"),  # 'Closed'
    ("IT", "H53", "PB201"),
    ("IT", "D54", "PB105"),  # 'On hold' under Due Dates
    ("IT", "H54", "PB201"),
    ("IT", "H56", "PB201"),
    ("IT", "H57", "PB201"),
    ("IT", "H58", "PB201"),
    ("IT", "H59", "PB201"),
    ("IT", "H60", "PB201"),
    ("IT", "H62", "PB201"),  # 'Closed.'
    ("IT", "H65", "PB201"),
    ("IT", "H66", "PB201"),  # 'CLOSED AS NOT RELEVANT'
    ("IT", "H67", "PB203"),
    ("IT", "H69", "PB201"),
    ("IT", "H73", "PB201"),  # 'Design'
    ("IT", "G74", "PB221"),  # 'HEH'
]


@pytest.fixture(scope="module")
def sample_report() -> Report:
    return check_workbook(SAMPLE_WORKBOOK)


def test_the_sample_has_exactly_the_findings_checked_by_hand(sample_report: Report) -> None:
    assert found(sample_report) == SAMPLE_FINDINGS


@pytest.mark.parametrize(
    ("cell_at", "code", "value"),
    [
        ("IT!H19", "PB201", "WIP"),
        ("IT!H46", "PB201", "In progress"),
        ("IT!H73", "PB201", "Design"),
        ("IT!H50", "PB201", "Closed"),
        ("IT!H62", "PB201", "Closed."),
        ("IT!H66", "PB201", "CLOSED AS NOT RELEVANT"),
        ("IT!D16", "PB231", "chasing resource availability dates"),
        ("IT!G74", "PB221", "HEH"),
        ("IT!E31", "PB105", "Started"),
        ("IT!E32", "PB105", "Started"),
        ("IT!D21", "PB105", "On Hold"),
    ],
)
def test_the_sample_reports_the_problems_rules_md_names(
    sample_report: Report, cell_at: str, code: str, value: str
) -> None:
    at = {(f.location, f.code): f.value for f in sample_report.findings}
    assert at.get((cell_at, code)) == value


@pytest.mark.parametrize("cell_at", ["IT!I31", "IT!I32", "IT!I36", "IT!I37"])
def test_the_sample_reports_progress_notes_under_rag_as_shifted(
    sample_report: Report, cell_at: str
) -> None:
    shifted = [f for f in sample_report.findings if f.location == cell_at]
    assert [(f.code, f.value[:10]) for f in shifted] == [("PB105", "12/02/2021")]


def test_the_sample_fails_the_check(sample_report: Report) -> None:
    assert sample_report.exit_code() == 1


# --------------------------------------------------------------------------- editing schemas/


def test_a_status_value_added_to_the_vocabulary_is_accepted(tmp_path: Path, schemas: Path) -> None:
    edit_once(schemas / "vocabularies.yaml", "    - Complete\n", "    - Complete\n    - Deferred\n")
    assert found_in(tmp_path, item(status="Deferred")) == [("Plan", "H5", "PB202")]
    assert found_in(tmp_path, item(status="Deferred"), schemas=schemas) == []


def test_a_status_alias_added_to_the_vocabulary_is_a_warning_not_an_error(
    tmp_path: Path, schemas: Path
) -> None:
    edit_once(
        schemas / "vocabularies.yaml",
        "    WIP: Started\n",
        "    WIP: Started\n    Finished: Complete\n",
    )
    assert found_in(tmp_path, item(status="Finished"), schemas=schemas) == [("Plan", "H5", "PB201")]


MENDIP_ENTRY = (
    "  - code: MDC\n"
    "    name: Mendip District Council\n"
    "    aliases: [Mendip]\n"
    "    note: Became part of Somerset Council on 1 April 2023.\n"
)


def test_a_council_retired_from_councils_yaml_is_unknown(tmp_path: Path, schemas: Path) -> None:
    edit_once(schemas / "councils.yaml", MENDIP_ENTRY, "")
    assert found_in(tmp_path, item(councils="Hart, Mendip")) == []
    assert found_in(tmp_path, item(councils="Hart, Mendip"), schemas=schemas) == [
        ("Plan", "G5", "PB221")
    ]


def test_all_still_has_no_finding_once_a_council_is_retired(tmp_path: Path, schemas: Path) -> None:
    edit_once(schemas / "councils.yaml", MENDIP_ENTRY, "")
    assert found_in(tmp_path, item(councils="All"), schemas=schemas) == []


def test_a_column_made_optional_is_no_longer_required(tmp_path: Path, schemas: Path) -> None:
    edit_once(
        schemas / "tables" / "plan_items.yaml",
        "  lead:\n    required: true\n",
        "  lead:\n    required: false\n",
    )
    lead = FIELDS.index("lead")
    values = item()
    sheet = plan_sheet(
        values[:lead] + values[lead + 1 :], header=HEADER[:lead] + HEADER[lead + 1 :]
    )
    report = check_workbook(build(tmp_path, {"Plan": sheet}), schemas_dir=schemas)
    assert found(report) == []


def test_a_check_removed_from_a_table_schema_no_longer_runs(tmp_path: Path, schemas: Path) -> None:
    edit_once(schemas / "tables" / "plan_items.yaml", "      due_date: {plan_year: null}\n", "")
    assert found_in(tmp_path, item(due="31/02/22"), schemas=schemas) == []


def test_a_pandera_builtin_check_added_to_a_table_schema_reports_at_the_cell(
    tmp_path: Path, schemas: Path
) -> None:
    edit_once(
        schemas / "tables" / "plan_items.yaml",
        "  ref:\n    required: true\n",
        "  ref:\n    required: true\n    checks:\n      str_length: {max_value: 10}\n",
    )
    report = check(tmp_path, item(ref="IT-2022-0001-A"), schemas=schemas)
    assert found(report) == [("Plan", "A5", "PB290")]
    assert "str_length" in only(report, "PB290").message


def test_a_pandera_column_setting_added_to_a_table_schema_reports_at_the_cell(
    tmp_path: Path, schemas: Path
) -> None:
    """``unique: true`` is no Check (pandera gives it no check number): still PB290."""
    edit_once(
        schemas / "tables" / "plan_items.yaml",
        "  ref:\n    required: true\n",
        "  ref:\n    required: true\n    unique: true\n",
    )
    report = check(tmp_path, item(), item(description="Another item"), schemas=schemas)
    assert found(report) == [("Plan", "A5", "PB290"), ("Plan", "A6", "PB290")]


# --------------------------------------------------------------------------- big tables


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(1, 60))
def test_a_table_validated_in_slices_has_the_findings_of_one_frame(
    monkeypatch: pytest.MonkeyPatch, sample_plan: planbook.Plan, rows_at_once: int
) -> None:
    from planbook.check import tables

    as_of = Settings(as_of=dt.date(2022, 3, 17))
    monkeypatch.setattr(tables, "ROWS_AT_ONCE", 10**9)
    whole = check_plan(sample_plan, settings=as_of)
    monkeypatch.setattr(tables, "ROWS_AT_ONCE", rows_at_once)
    assert check_plan(sample_plan, settings=as_of) == whole


@pytest.mark.parametrize("rows_at_once", [1, 3, 7, 10**9])
def test_an_items_description_failing_for_each_milestone_keeps_their_order_in_slices(
    tmp_path: Path, schemas: Path, monkeypatch: pytest.MonkeyPatch, rows_at_once: int
) -> None:
    """Each milestone of an item reads its Description, so a check on it fails once a
    milestone, all at one cell: the findings keep the milestones' order however sliced."""
    from planbook.check import tables

    edit_once(
        schemas / "tables" / "plan_items.yaml",
        "  description:\n    required: true\n",
        "  description:\n    required: true\n    checks:\n      not_from: {fields: [status]}\n",
    )
    milestones = [row(milestone=f"Step {n}", due="30/09/22", status="Started") for n in range(39)]
    monkeypatch.setattr(tables, "ROWS_AT_ONCE", rows_at_once)
    report = check(tmp_path, item(description="Started"), *milestones, schemas=schemas)
    shifted = [f for f in report.findings if f.code == "PB105"]
    # Each milestone's finding names where its own status stands: in the milestones' order.
    assert [re.search(r"\((H\d+)\)", f.suggestion)[1] for f in shifted] == [  # type: ignore[index]
        f"H{number}" for number in range(FIRST, FIRST + 40)
    ]


def test_a_unique_column_is_checked_across_slices(
    tmp_path: Path, schemas: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planbook.check import tables

    edit_once(
        schemas / "tables" / "plan_items.yaml",
        "  ref:\n    required: true\n",
        "  ref:\n    required: true\n    unique: true\n",
    )
    monkeypatch.setattr(tables, "ROWS_AT_ONCE", 1)
    report = check(tmp_path, item(), item(description="Another item"), schemas=schemas)
    assert found(report) == [("Plan", "A5", "PB290"), ("Plan", "A6", "PB290")]


def test_only_a_table_checked_row_by_row_is_validated_in_slices(schemas: Path) -> None:
    from planbook.check.tables import load_table_schemas, row_by_row

    plan_items = schemas / "tables" / "plan_items.yaml"
    assert row_by_row(load_table_schemas(schemas)[1].schema)
    for old, new in [
        ("  ref:\n    required: true\n", "  ref:\n    required: true\n    unique: true\n"),
        (
            "  ref:\n    required: true\n",
            "  ref:\n    required: true\n    checks:\n      str_length: {max_value: 10}\n",
        ),
        (
            "      due_date: {plan_year: null}\n",
            "      due_date: {plan_year: null, n_failure_cases: 1}\n",
        ),
    ]:
        original = plan_items.read_text(encoding="utf-8")
        edit_once(plan_items, old, new)
        assert not row_by_row(load_table_schemas(schemas)[1].schema), new
        plan_items.write_text(original, encoding="utf-8")


def test_each_of_planbooks_registered_checks_has_its_findings() -> None:
    import pandera.pandas as pa

    from planbook.check.messages import FINDINGS_OF_CHECKS
    from planbook.findings import CODES

    registered = set(pa.Check.REGISTERED_CUSTOM_CHECKS)
    assert set(FINDINGS_OF_CHECKS) == registered
    codes = {code for codes, _ in FINDINGS_OF_CHECKS.values() for code in codes}
    assert codes <= set(CODES)


#: Texts that pass or fail the table-wide checks (None: a column the row's table lacks).
WIDE_TEXTS = st.sampled_from([None, "", " ", "Started", "Complete", "Closed", "n/a", "N/A", "G"])
#: pandera's options of a check: with the defaults planbook runs its own table-wide
#: checks itself; with any other, pandera does.
CHECK_OPTIONS = st.sampled_from(
    [{}, {"raise_warning": True}, {"n_failure_cases": 1}, {"ignore_na": False}]
)


@pytest.mark.filterwarnings("ignore::pandera.errors.SchemaWarning")  # raise_warning's
@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "lead": WIDE_TEXTS,
                "status": WIDE_TEXTS,
                "rag": WIDE_TEXTS,
                "is_milestone": st.booleans(),
            }
        ),
        min_size=1,
        max_size=10,
    ),
    start=st.integers(0, 50),
    fields=st.lists(st.sampled_from(["lead", "status", "rag", "is_milestone"]), unique=True),
    filled_options=CHECK_OPTIONS,
    not_applicable_options=CHECK_OPTIONS,
    drops_invalid_rows=st.booleans(),
)
def test_planbooks_table_wide_checks_give_the_failure_cases_pandera_gives(
    rows: list[dict[str, object]],
    start: int,
    fields: list[str],
    filled_options: dict[str, object],
    not_applicable_options: dict[str, object],
    drops_invalid_rows: bool,
) -> None:
    """planbook runs its own table-wide checks itself: the cases, pandera's among them,
    are those of pandera running the whole schema (``is_milestone`` among the fields
    makes filled_on_milestones raise: an error of the schema, with no row)."""
    import pandas as pd
    import pandera.pandas as pa

    from planbook.check.pandera_checks import using
    from planbook.check.tables import _Validation
    from planbook.schemas import load_vocabularies

    schema = pa.DataFrameSchema(
        {
            "lead": pa.Column(checks=pa.Check.not_from(fields=["status"])),
            "status": pa.Column(checks=pa.Check.in_vocabulary(vocabulary="delivery_status")),
            "rag": pa.Column(),
        },
        checks=[
            pa.Check.filled_on_milestones(fields=fields, **filled_options),
            pa.Check.not_applicable_only_when_complete(**not_applicable_options),
        ],
        name="plan_items",
        drop_invalid_rows=drops_invalid_rows,
    )
    frame = pd.DataFrame(rows, index=pd.RangeIndex(start, start + len(rows)), dtype=object)
    frame["is_milestone"] = frame["is_milestone"].astype(bool)

    def in_order(cases: pd.DataFrame | None) -> list[dict[str, object]]:
        if cases is None:
            return []
        order = ["index", "schema_context", "column", "check_number", "check"]
        cases = cases.sort_values(order, kind="stable", na_position="first")
        return [
            {
                name: None if not isinstance(value, dict) and pd.isna(value) else value
                for name, value in case.items()
            }
            for case in cases.to_dict("records")
        ]

    with using(load_vocabularies(None)):
        try:
            schema.validate(frame.copy(), lazy=True)
            by_pandera = None
        except pa.errors.SchemaErrors as errors:
            by_pandera = errors.failure_cases
        assert in_order(_Validation.of(schema).failure_cases(frame)) == in_order(by_pandera)


def test_a_table_wide_check_set_to_warn_gives_no_finding(tmp_path: Path, schemas: Path) -> None:
    """pandera's ``raise_warning`` makes a failing check a warning of pandera's, which
    planbook does not report, whoever runs the check."""
    rows = [item(status="Started", rag="n/a")]
    assert ("Plan", cell("rag"), "PB212") in found_in(tmp_path, *rows, schemas=schemas)
    edit_once(
        schemas / "tables" / "plan_items.yaml",
        "  not_applicable_only_when_complete: {}\n",
        "  not_applicable_only_when_complete: {raise_warning: true}\n",
    )
    assert ("Plan", cell("rag"), "PB212") not in found_in(tmp_path, *rows, schemas=schemas)


def test_a_rag_vocabulary_check_on_another_column_gives_the_rag_finding(
    tmp_path: Path, schemas: Path
) -> None:
    """The finding comes from the check that failed and its statistics, whatever the
    column."""
    edit_once(
        schemas / "tables" / "plan_items.yaml",
        "  ref:\n    required: true\n",
        "  ref:\n    required: true\n    checks:\n      in_vocabulary: {vocabulary: rag}\n",
    )
    report = check(tmp_path, item(ref="Q"), schemas=schemas)
    assert found(report) == [("Plan", "A5", "PB211")]


# --------------------------------------------------------------------------- broken schemas/

PLAN_ITEMS = Path("tables") / "plan_items.yaml"


def _bad_yaml(schemas: Path) -> None:
    (schemas / PLAN_ITEMS).write_text("columns:\n  ref: [unclosed\n", encoding="utf-8")


def _unknown_check(schemas: Path) -> None:
    edit_once(schemas / PLAN_ITEMS, "      due_date: {plan_year: null}\n", "      is_a_due: {}\n")


def _no_parts(schemas: Path) -> None:
    edit_once(schemas / PLAN_ITEMS, "metadata:\n  parts: [1, 2]\n", "")


def _no_tables_folder(schemas: Path) -> None:
    shutil.rmtree(schemas / "tables")


@pytest.mark.parametrize(
    ("breakage", "named"),
    [
        (_bad_yaml, "plan_items.yaml"),
        (_unknown_check, "plan_items.yaml"),
        (_no_parts, "plan_items.yaml"),
        (_no_tables_folder, "tables"),
    ],
    ids=["bad-yaml", "unknown-check", "no-metadata-parts", "no-tables-folder"],
)
def test_a_broken_table_schema_is_one_line_naming_the_file(
    tmp_path: Path, schemas: Path, breakage: Callable[[Path], None], named: str
) -> None:
    breakage(schemas)
    with pytest.raises(PlanbookError) as raised:
        check(tmp_path, item(), schemas=schemas)
    message = str(raised.value)
    assert named in message
    assert "\n" not in message


# --------------------------------------------------------------------------- any text at all

WRITABLE_TEXT = st.text(max_size=60).filter(lambda text: not ILLEGAL_CHARACTERS_RE.search(text))


def _findings_at_one_cell(folder: Path, field: str, text: str) -> list[str]:
    rows = plan_sheet(item(**{field: text}))
    report = check_workbook(write_workbook(folder / "plan.xlsx", {"Plan": rows}))
    return [f.code for f in report.findings if f.cell == cell(field)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=WRITABLE_TEXT)
def test_any_status_text_gives_at_most_one_finding_at_its_cell(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    folder = tmp_path_factory.mktemp("status")
    assert len(_findings_at_one_cell(folder, "status", text)) <= 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=WRITABLE_TEXT)
def test_any_due_text_gives_at_most_one_finding_at_its_cell(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    folder = tmp_path_factory.mktemp("due")
    assert len(_findings_at_one_cell(folder, "due", text)) <= 1


# --------------------------------------------------------------------------- hidden sheets


def test_a_hidden_plan_sheet_is_a_warning_on_the_sheet(tmp_path: Path) -> None:
    sheets = {"Notes": [["Notes"]], "Plan": plan_sheet(item())}
    report = check_workbook(build(tmp_path, sheets, hidden=["Plan"]))
    assert found(report) == [("Plan", "", "PB111")]
    assert only(report, "PB111").value == "hidden"


def test_a_very_hidden_plan_sheet_says_how_to_unhide_it_in_vba(tmp_path: Path) -> None:
    sheets = {"Notes": [["Notes"]], "Plan": plan_sheet(item())}
    path = build(tmp_path, sheets)
    rewrite_part(path, "xl/workbook.xml", *plan_state("veryHidden", sheet_id=2))
    finding = only(check_workbook(path), "PB111")
    assert "very hidden" in finding.message
    assert "VBA" in finding.suggestion


def test_a_hidden_sheet_that_is_no_plan_has_no_finding(tmp_path: Path) -> None:
    sheets = {"Notes": [["Notes"]], "Plan": plan_sheet(item())}
    assert found(check_workbook(build(tmp_path, sheets, hidden=["Notes"]))) == []


def test_a_workbook_with_no_visible_sheet_is_a_warning(tmp_path: Path) -> None:
    path = build(tmp_path, {"Plan": plan_sheet(item())})
    rewrite_part(path, "xl/workbook.xml", *plan_state("hidden"))
    assert found(check_workbook(path)) == [("Plan", "", "PB111"), ("", "", "PB112")]


def plan_state(state: str, sheet_id: int = 1) -> tuple[bytes, bytes]:
    """The sheet Plan's entry in workbook.xml as openpyxl writes it, and with ``state``."""
    written = f'name="Plan" sheetId="{sheet_id}" state="visible"'
    return written.encode(), written.replace("visible", state).encode()


def rewrite_part(path: Path, part: str, old: bytes, new: bytes) -> None:
    """Replace ``old`` (once in ``part``) by ``new``: a state openpyxl will not write."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            if info.filename == part:
                assert data.count(old) == 1, f"{old!r} is not once in {part}"
                data = data.replace(old, new)
            target.writestr(info, data)


@pytest.mark.parametrize("error", sorted(EXCEL_ERRORS))
def test_every_excel_error_typed_as_text_with_spaces_round_it_is_pb108(
    tmp_path: Path, error: str
) -> None:
    """The check looks first for a "#" in the text (every error has one), then for the
    error itself, white space trimmed."""
    report = check(tmp_path, item(progress=f"  {error} "))
    assert [f.code for f in report.findings if f.cell == cell("progress")] == ["PB108"]


# --- start-up -------------------------------------------------------------------------------


def test_importing_planbooks_checks_leaves_panderas_data_synthesis_working() -> None:
    """The command hides hypothesis from pandera (test_cli); a library import must not:
    a program that checks plans and synthesises test frames keeps both."""
    import subprocess
    import sys

    code = (
        "import planbook.check.pandera_checks\n"
        "import pandera.pandas as pa\n"
        "schema = pa.DataFrameSchema({'a': pa.Column(int, pa.Check.ge(0))})\n"
        "print(len(schema.example(size=2)))\n"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert ran.stdout.strip() == "2", ran.stderr


@pytest.mark.parametrize(
    "setting", ["PANDERA_VALIDATION_ENABLED=False", "PANDERA_VALIDATION_DEPTH=SCHEMA_ONLY"]
)
def test_a_pandera_setting_in_the_environment_does_not_turn_the_checks_off(
    setting: str,
) -> None:
    """pandera reads these when it is imported: a fresh interpreter, as a lead's shell."""
    import os
    import subprocess
    import sys

    name, value = setting.split("=")
    code = (
        "import sys\n"
        "from planbook.check import check_workbook\n"
        "report = check_workbook(sys.argv[1])\n"
        "print(sorted({f.code for f in report.findings if f.code[:3] == 'PB2'}))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code, str(SAMPLE_WORKBOOK)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, name: value},
    )
    assert ran.stdout.strip() == "['PB201', 'PB203', 'PB221', 'PB231']", ran.stderr


SUSPECT_TEXTS = st.one_of(
    st.sampled_from(sorted(EXCEL_ERRORS)).map(lambda error: f" {error}"),
    st.sampled_from(["#", "Ref #12", "No. 5", "Started", "All", "30/09/22"]),
    WRITABLE_TEXT.filter(str.strip),
)


@settings(max_examples=25, deadline=None)
@given(
    cells=st.lists(
        st.tuples(st.integers(1, 12), st.integers(1, 14), SUSPECT_TEXTS, st.booleans()),
        max_size=12,
    )
)
def test_the_cells_the_reader_suspects_are_every_cell_whose_text_may_be_broken(
    tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[int, int, str, bool]]
) -> None:
    """The cell rules (PB108, PB110) look only at the reader's suspects: they must be
    every cell of the model whose text may be broken, in the table, above it, right of
    it; typed as text or as an error value."""
    import openpyxl

    from planbook.model import may_be_broken
    from planbook.read import read_workbook

    path = build(tmp_path_factory.mktemp("suspects"), {"Plan": plan_sheet(item(), item())})
    workbook = openpyxl.load_workbook(path)
    for row, column, text, as_error in cells:
        error = as_error and text.strip() in EXCEL_ERRORS
        cell = workbook["Plan"].cell(row=row, column=column, value=text.strip() if error else text)
        cell.data_type = "e" if error else "s"
    workbook.save(path)
    for sheet in read_workbook(path).sheets:
        walked = {c for c in sheet.cells() if isinstance(c.value, str) and may_be_broken(c.value)}
        assert set(sheet.suspects) == walked


def test_a_sheet_made_other_than_by_the_reader_has_every_cell_looked_at() -> None:
    """The reader's pick of suspect cells lets the cell rules skip a sheet; a sheet made
    or changed elsewhere (consolidate's cover, format's prepared model) has no pick."""
    from planbook.check.layout_rules import layout_findings
    from planbook.model import Cell, OtherSheet, Plan

    notes = OtherSheet(name="Notes", index=0, content=(Cell(2, 3, "#N/A"),))
    plan = Plan(Path("plan.xlsx"), (notes,))
    assert [(f.code, f.cell) for f in layout_findings(plan) if f.code == "PB108"] == [
        ("PB108", "C2")
    ]
