"""The 2022/23 sample workbook as RULES.md sees it.

Every expectation below was counted by hand from the seed text
(`sample_workbooks/source/annual_plan_2022_23.txt`, row k of a sheet = line k of its
block, `-----` lines dropped) and is cross-checked against a small RULES.md-only reading
of that text (`workbooks.seed_tables`), never against planbook itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

import planbook
from planbook import CoverSheet, Plan, PlanSheet, Table
from workbooks import SAMPLE_SHEETS, plain, seed_sheets, seed_tables

# --------------------------------------------------------------------------- expectations

#: name, kind, service (the `Annual Plan for:` value).
SHEETS = [
    ("Cover", "cover", None),
    ("Customer Services", "plan", "Five Councils Customer Services"),
    ("Revenues and Benefits", "plan", "Revenues and Benefits 2022/23"),
    ("Land Charges", "plan", "Five Councils Local Land Charges"),
    ("IT", "plan", "IT"),
]

#: sheet, part, inferred part, title, header row, items, milestones, repeated header rows.
TABLES = [
    ("Customer Services", 2, None, "Part 2 - Annual Plan Items", 16, 6, 10, []),
    ("Customer Services", 3, None, "Part Three - Forward Look", 30, 2, 2, []),
    ("Revenues and Benefits", 1, None, "Part 1 - Outstanding Transition Actions", 12, 0, 0, []),
    ("Revenues and Benefits", 2, None, "Part 2 - Annual Plan Items", 16, 6, 30, []),
    ("Revenues and Benefits", None, 3, None, 48, 4, 2, []),
    ("Land Charges", 1, None, "Part 1 - Outstanding Transition Actions", 14, 0, 0, []),
    ("Land Charges", 2, None, "Part 2 - Annual Plan Items", 19, 2, 5, []),
    ("Land Charges", 3, None, "Part Three - Forward Look", 29, 3, 6, []),
    ("IT", 1, None, "Part 1 - Outstanding Transition Actions", 15, 4, 6, []),
    ("IT", 2, None, "Part 2 - Annual Plan Items", 25, 33, 41, [27, 39, 52, 64]),
    ("IT", 3, None, "Part Three - Forward Look", 79, 2, 3, []),
]

#: The header block of each sheet: key, label cell, label, value as a lead reads it.
HEADER_BLOCKS = {
    "Customer Services": [
        ("plan_for", "A1", "Annual Plan for:", "Five Councils Customer Services"),
        ("last_update", "A2", "Last Update (Date and Who by)", "14-Feb-2022; G Stemp"),
        ("jtb_review", "A3", "JTB Review", "2022-03-17"),
        ("agreed", "A4", "Agreed Date and Who By:", ""),
    ],
    "Revenues and Benefits": [
        ("plan_for", "A1", "Annual Plan for:", "Revenues and Benefits 2022/23"),
        ("last_update", "A2", "Last Update (Date and Who by)", "7 March 2022 (MG / DR)"),
        ("jtb_review", "A3", "JTB Review Date", "2022-03-17"),
        ("agreed", "A4", "Agreed Date and Who By:", ""),
    ],
    "Land Charges": [
        ("plan_for", "A1", "Annual Plan for:", "Five Councils Local Land Charges"),
        (
            "last_update",
            "A2",
            "Last Update (Date and Who by)",
            "11 February 2022 - Christopher James",
        ),
        ("jtb_review", "A3", "JTB Review", "2022-03-17"),
        ("agreed", "A4", "Agreed Date and Who By:", ""),
    ],
    "IT": [  # the export's `-----` underlines dropped, the blank lines after them kept
        ("plan_for", "A1", "Annual Plan for:", "IT"),
        ("last_update", "A3", "Last Update (Date and Who by)", "Paul Merrick 7/3/22"),
        ("jtb_review", "A5", "JTB Review", "2022-03-17"),
        ("agreed", "A7", "Agreed Date and Who By:", ""),
    ],
}

COVER_TITLES = ["Annual Plan", "2022/3", "Corporate Services Contract", "5 Councils"]

VERSION_CONTROL = [  # row, Version, Changes, Agreed By, Date of Review
    (14, "1", "Initial drafts to JTB", "JTB", "2022-02-17"),
    (15, "2", "Draft to Strategic Management Board", "SMB", "2022-03-10"),
    (
        16,
        "3",
        "Final draft to Joint Tactical Board and Strategic Management Board",
        "JTB",
        "2022-03-17",
    ),
    (17, "4", "Issue to Joint Committee", "", ""),
]

CONFIGURATION_CONTROL = [  # row, Plan for, Date of Last Update, Last Update by:, SIG Review
    (22, "Revenues and Benefits", "2022-03-07", "Daniel Robson", "2022-02-16"),
    (23, "Customer Services", "2022-02-14", "Gareth Stemp", "2022-02-16"),
    (24, "Land Charges", "2022-02-11", "Chris James", "To be 16 March 22"),
    (25, "IT", "2022-03-07", "Paul Merrick", "TBC"),
]

#: IT rows shifted left by the leads: each cell stays under the header it stands under.
SHIFTED_IT_ROWS = {  # row -> field -> coordinate
    31: {"ref": "A31", "due": "D31", "lead": "E31", "rag": "I31"},
    32: {"ref": "A32", "due": "D32", "lead": "E32", "rag": "I32"},
    35: {"ref": "A35", "milestone": "C35", "due": "D35", "lead": "E35", "outcome": "F35"},
    36: {
        "ref": "A36",
        "milestone": "C36",
        "due": "D36",
        "lead": "E36",
        "outcome": "F36",
        "rag": "I36",
    },
    37: {"ref": "A37", "rag": "I37"},
}

SEED = seed_sheets()


# --------------------------------------------------------------------------- helpers


def plan_sheet(plan: Plan, name: str) -> PlanSheet:
    sheet = plan.sheet(name)
    assert isinstance(sheet, PlanSheet), f"{name} read as {sheet.kind}"
    return sheet


def table_at(plan: Plan, name: str, header_row: int) -> Table:
    (table,) = [t for t in plan_sheet(plan, name).tables if t.header_row == header_row]
    return table


def seed_text(sheet: str, coordinate: str) -> str:
    """The seed's text of a cell of the sample (``IT``, ``I31``)."""
    column = ord(coordinate[0]) - ord("A")
    return plain(SEED[sheet][int(coordinate[1:]) - 1][column])


def table_summary(sheet: str, table: Table) -> tuple[object, ...]:
    return (
        sheet,
        table.part,
        table.inferred_part,
        table.title.text if table.title is not None else None,
        table.header_row,
        len(table.items),
        table.milestone_count,
        [cells[0].row for cells in table.repeated_headers],
    )


def workbook_values(path: Path) -> dict[tuple[str, str], object]:
    """(sheet, coordinate) -> value of every non-empty cell, read by openpyxl alone."""
    workbook = openpyxl.load_workbook(path, data_only=True)
    found: dict[tuple[str, str], object] = {}
    for worksheet in workbook.worksheets:
        for row in worksheet.iter_rows():
            for cell in row:
                if cell.value is None or cell.value == "":
                    continue
                value = cell.value
                if isinstance(value, dt.datetime) and value.time() == dt.time():
                    value = value.date()
                found[(worksheet.title, cell.coordinate)] = value
    return found


# --------------------------------------------------------------------------- the expectations


def test_hand_counted_tables_match_the_seed_text() -> None:
    parts = {"1": 1, "2": 2, "3": 3, "Three": 3}
    counted = []
    for sheet in SAMPLE_SHEETS[1:]:
        for table in seed_tables(SEED[sheet]):
            part = parts[table.title.split()[1]] if table.title else None
            tracked = {"status", "rag"} & set(table.fields)
            inferred = None if table.title else (2 if tracked else 3)
            counted.append(
                (
                    sheet,
                    part,
                    inferred,
                    table.title,
                    table.header_row,
                    len(table.items),
                    table.milestone_count,
                    table.repeated_header_rows,
                )
            )
    assert counted == TABLES


# --------------------------------------------------------------------------- sheets


def test_sheets_are_read_in_workbook_order_with_their_kind_and_service(
    sample_plan: Plan,
) -> None:
    found = [
        (sheet.name, sheet.kind, sheet.service if isinstance(sheet, PlanSheet) else None)
        for sheet in sample_plan.sheets
    ]
    assert found == SHEETS


def test_every_sheet_of_the_sample_is_visible(sample_plan: Plan) -> None:
    assert {sheet.state for sheet in sample_plan.sheets} == {"visible"}


@pytest.mark.parametrize("name", HEADER_BLOCKS)
def test_header_block_is_read_label_and_value(sample_plan: Plan, name: str) -> None:
    sheet = plan_sheet(sample_plan, name)
    found = [
        (entry.key, entry.label.coordinate, entry.label.text, entry.text) for entry in sheet.header
    ]
    assert found == HEADER_BLOCKS[name]


def test_header_values_stand_next_to_their_labels(sample_plan: Plan) -> None:
    misplaced = [
        (sheet.name, entry.label.coordinate, entry.value.coordinate)
        for sheet in sample_plan.plan_sheets
        for entry in sheet.header
        if entry.value is not None
        and (entry.value.row, entry.value.column) != (entry.label.row, entry.label.column + 1)
    ]
    assert misplaced == []


# --------------------------------------------------------------------------- tables


def test_tables_are_read_as_the_seed_lays_them_out(sample_plan: Plan) -> None:
    found = [
        table_summary(sheet.name, table)
        for sheet in sample_plan.plan_sheets
        for table in sheet.tables
    ]
    assert found == TABLES


@pytest.mark.parametrize("name", SAMPLE_SHEETS[1:])
def test_items_and_milestones_stand_on_the_seed_rows(sample_plan: Plan, name: str) -> None:
    expected = [
        (table.header_row, item.row, item.milestones)
        for table in seed_tables(SEED[name])
        for item in table.items
    ]
    found = [
        (table.header_row, item.row, [row.row for row in item.milestones])
        for table in plan_sheet(sample_plan, name).tables
        for item in table.items
    ]
    assert found == expected


def test_customer_services_has_no_part_1_table(sample_plan: Plan) -> None:
    parts = [table.effective_part for table in plan_sheet(sample_plan, "Customer Services").tables]
    assert parts == [2, 3]


def test_no_part_1_items_is_a_note(sample_plan: Plan) -> None:
    notes = {
        cell.coordinate: cell.text for cell in plan_sheet(sample_plan, "Customer Services").notes
    }
    assert notes.get("A12") == "No Part 1 items"


def test_sections_list_lines_are_notes_not_titles(sample_plan: Plan) -> None:
    sheet = plan_sheet(sample_plan, "Customer Services")
    notes = {cell.coordinate for cell in sheet.notes}
    titles = {table.title.coordinate for table in sheet.tables if table.title is not None}
    assert {"A6", "A7", "A8"} <= notes
    assert titles == {"A14", "A28"}


def test_untitled_forward_look_is_inferred_as_part_3(sample_plan: Plan) -> None:
    table = table_at(sample_plan, "Revenues and Benefits", 48)
    assert (table.title, table.part, table.inferred_part, table.effective_part) == (
        None,
        None,
        3,
        3,
    )


def test_untitled_forward_look_has_no_status_or_rag_column(sample_plan: Plan) -> None:
    table = table_at(sample_plan, "Revenues and Benefits", 48)
    assert table.columns == {
        "ref": "A",
        "description": "B",
        "milestone": "C",
        "due": "D",
        "lead": "E",
        "outcome": "F",
        "councils": "G",
    }


def test_untitled_forward_look_items_without_milestone_text_have_no_milestones(
    sample_plan: Plan,
) -> None:
    table = table_at(sample_plan, "Revenues and Benefits", 48)
    found = [(item.ref.text, len(item.milestones)) for item in table.items if item.ref]
    assert found == [("RB11", 1), ("RB12", 1), ("RB13", 0), ("RB14", 0)]


# --------------------------------------------------------------------------- IT: repeated headers


def test_it_repeated_header_rows_are_not_tables(sample_plan: Plan) -> None:
    header_rows = [table.header_row for table in plan_sheet(sample_plan, "IT").tables]
    assert header_rows == [15, 25, 79]


def test_it_repeated_header_rows_are_not_data(sample_plan: Plan) -> None:
    data_rows = {row.row for item in plan_sheet(sample_plan, "IT").items for row in item.rows}
    assert data_rows & {25, 27, 39, 52, 64} == set()


def test_it_repeated_headers_are_kept_cell_for_cell(sample_plan: Plan) -> None:
    table = table_at(sample_plan, "IT", 25)
    found = [[cell.coordinate for cell in cells] for cells in table.repeated_headers]
    assert found == [[f"{column}{row}" for column in "ABCDEFGHIJ"] for row in (27, 39, 52, 64)]


# --------------------------------------------------------------------------- IT: shifted rows


def test_shifted_row_with_text_in_ref_starts_an_item(sample_plan: Plan) -> None:
    (item,) = [item for item in plan_sheet(sample_plan, "IT").items if item.row == 31]
    assert item.ref is not None and item.ref.coordinate == "A31"
    assert item.ref.text == "Delivery of CVW to CMW in S&V"
    assert item.description is None


def test_shifted_row_cells_stay_exactly_where_they_are(sample_plan: Plan) -> None:
    (item,) = [item for item in plan_sheet(sample_plan, "IT").items if item.row == 31]
    found = {name: (cell.coordinate, cell.text) for name, cell in item.head.cells.items()}
    assert found == {
        "ref": ("A31", "Delivery of CVW to CMW in S&V"),
        "due": ("D31", "Capita/Client"),
        "lead": ("E31", "Started"),
        "rag": ("I31", seed_text("IT", "I31")),
    }
    assert found["rag"][1].startswith("12/02/2021 - IKEN Terminal Server")


def test_shifted_row_is_a_milestone_through_its_due_text(sample_plan: Plan) -> None:
    (item,) = [item for item in plan_sheet(sample_plan, "IT").items if item.row == 31]
    assert item.head_is_milestone
    assert [row.row for row in item.milestones] == [31]


@pytest.mark.parametrize("row", SHIFTED_IT_ROWS)
def test_shifted_it_rows_stay_under_the_headers_they_stand_under(
    sample_plan: Plan, row: int
) -> None:
    (found,) = [
        {name: cell.coordinate for name, cell in table_row.cells.items()}
        for item in plan_sheet(sample_plan, "IT").items
        for table_row in item.rows
        if table_row.row == row
    ]
    assert found == SHIFTED_IT_ROWS[row]


def test_nuvm_to_azure_starts_an_item_from_its_ref(sample_plan: Plan) -> None:
    (item,) = [item for item in plan_sheet(sample_plan, "IT").items if item.row == 37]
    assert (item.ref.coordinate, item.ref.text) == ("A37", "Nuvm to Azure")
    assert not item.head_is_milestone  # only progress text, standing under RAG


def test_server_2008_upgrades_after_the_repeated_header_continues_nuvm_to_azure(
    sample_plan: Plan,
) -> None:
    (item,) = [item for item in plan_sheet(sample_plan, "IT").items if item.row == 37]
    assert [row.row for row in item.rows] == [37, 40]
    assert [row.text("milestone") for row in item.milestones] == ["Server 2008 Upgrades"]


# --------------------------------------------------------------------------- Land Charges


def test_land_charges_insert_line_above_rows_are_markers(sample_plan: Plan) -> None:
    markers = [
        (table.header_row, [(cell.coordinate, cell.text) for cell in table.markers])
        for table in plan_sheet(sample_plan, "Land Charges").tables
    ]
    assert markers == [
        (14, [("B15", "Insert Line Above")]),
        (19, [("B25", "Insert Line Above")]),
        (29, []),
    ]


def test_land_charges_insert_line_above_rows_are_not_items(sample_plan: Plan) -> None:
    data_rows = {
        row.row for item in plan_sheet(sample_plan, "Land Charges").items for row in item.rows
    }
    assert data_rows & {15, 25} == set()


def test_land_charges_bulleted_description_keeps_its_bullets(sample_plan: Plan) -> None:
    (item, _) = table_at(sample_plan, "Land Charges", 19).items
    assert item.description.text == "• Capacity Planning\n• HR\n• IT\n• Telephony"


# --------------------------------------------------------------------------- the cover


def cover(plan: Plan) -> CoverSheet:
    sheet = plan.sheet("Cover")
    assert isinstance(sheet, CoverSheet), f"Cover read as {sheet.kind}"
    return sheet


def test_cover_titles_are_its_lines_before_version_control(sample_plan: Plan) -> None:
    assert [cell.text for cell in cover(sample_plan).titles] == COVER_TITLES


def test_cover_version_control_rows(sample_plan: Plan) -> None:
    table = cover(sample_plan).version_control
    assert table is not None
    assert table.title.coordinate == "A11"
    assert table.columns == ("Version", "Changes", "Agreed By", "Date of Review")
    found = [(row.row, *(row.text(column) for column in table.columns)) for row in table.rows]
    assert found == VERSION_CONTROL


def test_cover_configuration_control_rows(sample_plan: Plan) -> None:
    table = cover(sample_plan).configuration_control
    assert table is not None
    assert table.title.coordinate == "A19"
    assert table.columns == (
        "Plan for",
        "Date of Last Update",
        "Last Update by:",
        "SIG Review Date",
        "Version Agreed Under",
    )
    found = [(row.row, *(row.text(column) for column in table.columns[:4])) for row in table.rows]
    assert found == CONFIGURATION_CONTROL


def test_cover_configuration_control_names_every_plan_sheet(sample_plan: Plan) -> None:
    table = cover(sample_plan).configuration_control
    assert table is not None
    named = {row.text("Plan for") for row in table.rows}
    assert named == {sheet.name for sheet in sample_plan.plan_sheets}


# --------------------------------------------------------------------------- nothing lost


def test_every_non_empty_cell_is_in_the_model_exactly_once(
    sample_plan: Plan, sample_path: Path
) -> None:
    held = Counter(
        (sheet.name, cell.coordinate) for sheet in sample_plan.sheets for cell in sheet.cells()
    )
    doubled = sorted(key for key, count in held.items() if count > 1)
    dropped = sorted(set(workbook_values(sample_path)) - set(held))
    assert (doubled, dropped) == ([], [])


def test_model_holds_only_cells_of_the_workbook(sample_plan: Plan, sample_path: Path) -> None:
    held = {(sheet.name, cell.coordinate) for sheet in sample_plan.sheets for cell in sheet.cells()}
    assert sorted(held - set(workbook_values(sample_path))) == []


def test_model_cells_hold_the_workbooks_values(sample_plan: Plan, sample_path: Path) -> None:
    held = {
        (sheet.name, cell.coordinate): cell.value
        for sheet in sample_plan.sheets
        for cell in sheet.cells()
    }
    assert held == workbook_values(sample_path)


def test_sample_has_no_unplaced_stray_or_artefact_cells(sample_plan: Plan) -> None:
    leftovers = [
        (sheet.name, cell.coordinate)
        for sheet in sample_plan.sheets
        for cell in (
            *sheet.unplaced,
            *sheet.artefacts,
            *(sheet.stray if isinstance(sheet, PlanSheet) else ()),
        )
    ]
    assert leftovers == []


def test_reading_leaves_the_file_unchanged(sample_path: Path) -> None:
    before = (hashlib.sha256(sample_path.read_bytes()).hexdigest(), sample_path.stat().st_mtime_ns)
    planbook.read_workbook(sample_path)
    after = (hashlib.sha256(sample_path.read_bytes()).hexdigest(), sample_path.stat().st_mtime_ns)
    assert after == before
