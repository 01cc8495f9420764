"""The layout rules of RULES.md, one at a time, on small workbooks built in the test.

Each workbook holds just what a rule needs. Plan sheets start with the header block line
`Annual Plan for:` in row 1 and a blank row 2, so the rows a test lists start at row 3.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import planbook
from planbook import CoverSheet, Item, OtherSheet, Plan, PlanSheet, Table
from planbook.outline import outline, render_outline
from workbooks import PLAN_HEADER, CellInput, write_workbook

HEADER: list[CellInput] = PLAN_HEADER
FIELD_COLUMNS = {  # field -> column of HEADER
    "ref": "A",
    "description": "B",
    "milestone": "C",
    "due": "D",
    "lead": "E",
    "outcome": "F",
    "councils": "G",
    "status": "H",
    "rag": "I",
    "progress": "J",
}
FORWARD_HEADER = HEADER[:7]  # Part 3: no status, RAG or progress

Rows = list[list[CellInput]]


def plan_rows(*rows: list[CellInput]) -> Rows:
    """A service sheet: the `Annual Plan for:` line, a blank row, then ``rows`` from row 3."""
    return [["Annual Plan for:", "Test Service"], [], *rows]


def data_row(**texts: str) -> list[CellInput]:
    """A table row under HEADER with text under the named fields."""
    row: list[CellInput] = [None] * len(HEADER)
    for name, text in texts.items():
        row[ord(FIELD_COLUMNS[name]) - ord("A")] = text
    return row


def read(
    tmp_path: Path,
    sheets: dict[str, Rows],
    *,
    fills: dict[tuple[str, str], str] | None = None,
    hidden: tuple[str, ...] | list[str] = (),
    origin: str = "A1",
) -> Plan:
    path = write_workbook(tmp_path / "plan.xlsx", sheets, fills=fills, hidden=hidden, origin=origin)
    return planbook.read_workbook(path)


def read_plan_sheet(
    tmp_path: Path,
    rows: Rows,
    *,
    fills: dict[tuple[str, str], str] | None = None,
    origin: str = "A1",
) -> PlanSheet:
    sheet = read(tmp_path, {"Plan": rows}, fills=fills, origin=origin).sheet("Plan")
    assert isinstance(sheet, PlanSheet), f"read as {sheet.kind}"
    return sheet


def only_table(sheet: PlanSheet) -> Table:
    (table,) = sheet.tables
    return table


def item_rows(table: Table) -> list[list[int]]:
    return [[row.row for row in item.rows] for item in table.items]


def milestone_rows(item: Item) -> list[int]:
    return [row.row for row in item.milestones]


# --------------------------------------------------------------------------- columns by header

SPELLINGS = [
    ("REF", "ref"),
    ("description", "description"),
    ("MILESTONES", "milestone"),
    ("due dates", "due"),
    ("LEAD", "lead"),
    ("Links to Service Outcomes (if relevant)", "outcome"),
    ("Driver or Source", "outcome"),
    ("links to service outcomes", "outcome"),
    ("Council(s) Impacted", "councils"),
    ("COUNCIL(S) IMPACTED", "councils"),
    ("Delivery Status\n(Not started, Started, Paused, Complete)", "status"),
    ("delivery status (not started, started, paused, complete)", "status"),
    ("RAG Status\nR = late\nA = Risk of delay\nG = on track", "rag"),
    ("rag status r = late a = risk of delay g = on track", "rag"),
    ("PROGRESS", "progress"),
]


@pytest.mark.parametrize(("spelling", "name"), SPELLINGS, ids=[s for s, _ in SPELLINGS])
def test_header_spelling_names_its_field(tmp_path: Path, spelling: str, name: str) -> None:
    header = list(HEADER)
    header[ord(FIELD_COLUMNS[name]) - ord("A")] = spelling
    table = only_table(read_plan_sheet(tmp_path, plan_rows(header)))
    assert table.columns == FIELD_COLUMNS
    assert table.header[name].text == spelling


def test_columns_in_another_order_are_matched_by_header(tmp_path: Path) -> None:
    order = [0, 1, 4, 3, 2, 9, 8, 7, 6, 5]  # Ref, Description, Lead, Due, Milestones, ...
    header = [HEADER[i] for i in order]
    texts = ["R1", "Item", "Lead", "Due", "Milestone", "Progress", "G", "Started", "All", "Why"]
    table = only_table(read_plan_sheet(tmp_path, plan_rows(header, texts)))
    assert table.columns == {
        "ref": "A",
        "description": "B",
        "lead": "C",
        "due": "D",
        "milestone": "E",
        "progress": "F",
        "rag": "G",
        "status": "H",
        "councils": "I",
        "outcome": "J",
    }
    row = table.items[0].head
    assert {name: row.text(name) for name in table.columns} == {
        "ref": "R1",
        "description": "Item",
        "lead": "Lead",
        "due": "Due",
        "milestone": "Milestone",
        "progress": "Progress",
        "rag": "G",
        "status": "Started",
        "councils": "All",
        "outcome": "Why",
    }


def test_table_starting_in_column_c_is_read_by_header(tmp_path: Path) -> None:
    rows = plan_rows(HEADER, data_row(description="Item", milestone="First", status="Started"))
    table = only_table(read_plan_sheet(tmp_path, rows, origin="C1"))
    assert table.columns == {name: chr(ord(c) + 2) for name, c in FIELD_COLUMNS.items()}
    found = {name: cell.coordinate for name, cell in table.items[0].head.cells.items()}
    assert found == {"description": "D4", "milestone": "E4", "status": "J4"}


# --------------------------------------------------------------------------- tables


def test_repeated_header_with_other_spellings_is_a_print_break_repeat(tmp_path: Path) -> None:
    repeat = list(HEADER)
    repeat[1] = "DESCRIPTION"
    repeat[6] = "Council(s) Impacted"
    repeat[8] = "RAG Status\nR = late\nA = Risk of delay\nG = on track"
    rows = plan_rows(
        ["Part 2 - Annual Plan Items"],  # 3
        HEADER,  # 4
        data_row(description="Item", milestone="First"),  # 5
        [],  # 6
        repeat,  # 7
        data_row(milestone="Second"),  # 8
    )
    table = only_table(read_plan_sheet(tmp_path, rows))
    assert (table.header_row, [cells[0].row for cells in table.repeated_headers]) == (4, [7])
    assert item_rows(table) == [[5, 8]]


def test_continuation_after_a_repeated_header_belongs_to_the_item_above(tmp_path: Path) -> None:
    rows = plan_rows(
        HEADER,  # 3
        data_row(ref="R1", rag="progress notes under RAG"),  # 4
        HEADER,  # 5
        data_row(milestone="Server upgrades", status="Started"),  # 6
    )
    (item,) = only_table(read_plan_sheet(tmp_path, rows)).items
    assert ([row.row for row in item.rows], milestone_rows(item)) == ([4, 6], [6])


@pytest.mark.parametrize(
    ("first", "second", "inferred"),
    [(HEADER, FORWARD_HEADER, 3), (FORWARD_HEADER, HEADER, 2)],
    ids=["tracked-then-forward-look", "forward-look-then-tracked"],
)
def test_header_with_other_fields_starts_an_untitled_table_inferred_from_its_columns(
    tmp_path: Path, first: list[CellInput], second: list[CellInput], inferred: int
) -> None:
    rows = plan_rows(
        ["Part 2 - Annual Plan Items"],  # 3
        first,  # 4
        [None, "First table item", "Milestone"],  # 5
        [],  # 6
        second,  # 7
        [None, "Second table item", "Milestone"],  # 8
    )
    sheet = read_plan_sheet(tmp_path, rows)
    found = [(t.header_row, t.title is not None, t.part, t.inferred_part) for t in sheet.tables]
    assert found == [(4, True, 2, None), (7, False, None, inferred)]


def test_last_part_line_before_a_header_titles_its_table(tmp_path: Path) -> None:
    rows = plan_rows(
        ["Part 1 - Outstanding Transition Items"],  # 3
        [],  # 4
        ["Part 2 - Annual Plan Items"],  # 5
        [],  # 6
        HEADER,  # 7
    )
    sheet = read_plan_sheet(tmp_path, rows)
    table = only_table(sheet)
    assert (table.title.coordinate, table.part) == ("A5", 2)
    assert [cell.coordinate for cell in sheet.notes] == ["A3"]


def test_sections_list_does_not_title_the_table_below_it(tmp_path: Path) -> None:
    rows = plan_rows(
        ["Sections: Part 1 - Outstanding Transition Items"],  # 3
        ["Part 2 - Annual Plan Items"],  # 4
        ["Part 3 - Forward Look"],  # 5
        [],  # 6
        HEADER,  # 7
        data_row(description="Item", milestone="Milestone", status="Started"),  # 8
    )
    table = only_table(read_plan_sheet(tmp_path, rows))
    assert (table.title, table.part, table.inferred_part) == (None, None, 2)


def test_sections_list_lines_are_notes(tmp_path: Path) -> None:
    rows = plan_rows(
        ["Sections: Part 1 - Outstanding Transition Items"],  # 3
        ["Part 2 - Annual Plan Items"],  # 4
        ["Part 3 - Forward Look"],  # 5
        [],  # 6
        ["Part 2 - Annual Plan Items"],  # 7
        HEADER,  # 8
    )
    sheet = read_plan_sheet(tmp_path, rows)
    assert [cell.coordinate for cell in sheet.notes] == ["A3", "A4", "A5"]
    assert only_table(sheet).title.coordinate == "A7"


@pytest.mark.parametrize(
    "lines",
    [
        [["No Part 1 items"]],
        [["Part 1 - Outstanding Transition Items"], ["No Part 1 items"]],
    ],
    ids=["alone", "under-its-title"],
)
def test_no_part_1_items_makes_no_table(tmp_path: Path, lines: Rows) -> None:
    rows = plan_rows(
        *lines,
        [],
        ["Part 2 - Annual Plan Items"],
        HEADER,
        data_row(description="Item", milestone="Milestone"),
    )
    sheet = read_plan_sheet(tmp_path, rows)
    assert [table.part for table in sheet.tables] == [2]
    assert "No Part 1 items" in [cell.text for cell in sheet.notes]


def test_titled_table_with_only_an_insert_line_above_row_has_no_items(tmp_path: Path) -> None:
    rows = plan_rows(
        ["Part 1 - Outstanding Transition Actions"],  # 3
        HEADER,  # 4
        [None, "Insert Line Above"],  # 5
    )
    table = only_table(read_plan_sheet(tmp_path, rows))
    assert (table.part, table.items, [cell.coordinate for cell in table.markers]) == (
        1,
        (),
        ["B5"],
    )


def test_insert_line_above_between_items_is_a_marker_not_a_milestone(tmp_path: Path) -> None:
    rows = plan_rows(
        HEADER,  # 3
        data_row(description="Item", milestone="First"),  # 4
        [None, "Insert Line Above"],  # 5
        data_row(milestone="Second"),  # 6
    )
    table = only_table(read_plan_sheet(tmp_path, rows))
    assert (item_rows(table), [cell.row for cell in table.markers]) == ([[4, 6]], [5])


@pytest.mark.parametrize(
    ("title", "part"),
    [
        ("Part 1 - Outstanding Transition Items", 1),
        ("Part 1 - Outstanding Transition Actions", 1),
        ("Part 2 - Annual Plan Items", 2),
        ("Part 3 - Forward Look", 3),
        ("Part Three - Forward Look", 3),
    ],
)
def test_title_line_names_its_part(tmp_path: Path, title: str, part: int) -> None:
    table = only_table(read_plan_sheet(tmp_path, plan_rows([title], FORWARD_HEADER)))
    assert (table.title.text, table.part, table.effective_part) == (title, part, part)


def test_sheet_with_a_plan_table_but_no_annual_plan_for_line_is_a_plan(tmp_path: Path) -> None:
    plan = read(tmp_path, {"Lead copy": [HEADER, data_row(description="Item")]})
    sheet = plan.sheet("Lead copy")
    assert (sheet.kind, isinstance(sheet, PlanSheet) and sheet.service) == ("plan", "Lead copy")


# --------------------------------------------------------------------------- items and milestones


@pytest.mark.parametrize(
    ("name", "is_milestone"),
    [
        ("milestone", True),
        ("due", True),
        ("status", True),
        ("progress", True),
        ("rag", False),
        ("lead", False),
        ("outcome", False),
        ("councils", False),
    ],
)
def test_item_row_is_its_first_milestone_only_with_milestone_due_status_or_progress_text(
    tmp_path: Path, name: str, is_milestone: bool
) -> None:
    rows = plan_rows(HEADER, data_row(description="Item", **{name: "text"}))
    (item,) = only_table(read_plan_sheet(tmp_path, rows)).items
    assert (item.head_is_milestone, milestone_rows(item)) == (
        is_milestone,
        [4] if is_milestone else [],
    )


def test_rag_alone_does_not_make_an_item_row_a_milestone(tmp_path: Path) -> None:
    rows = plan_rows(HEADER, data_row(description="Item", rag="R"), data_row(milestone="First"))
    (item,) = only_table(read_plan_sheet(tmp_path, rows)).items
    assert (item.head.text("rag"), milestone_rows(item)) == ("R", [5])


def test_rows_without_ref_or_description_are_the_next_milestones_of_the_item_above(
    tmp_path: Path,
) -> None:
    rows = plan_rows(
        HEADER,  # 3
        data_row(description="First item", milestone="One", due="30/04/22"),  # 4
        data_row(milestone="Two", due="31/05/22"),  # 5
        data_row(lead="Capita"),  # 6
        data_row(description="Second item", milestone="Three"),  # 7
    )
    table = only_table(read_plan_sheet(tmp_path, rows))
    assert item_rows(table) == [[4, 5, 6], [7]]
    assert [milestone_rows(item) for item in table.items] == [[4, 5, 6], [7]]


def test_ref_with_an_empty_description_starts_an_item(tmp_path: Path) -> None:
    rows = plan_rows(
        HEADER,  # 3
        data_row(description="Item", milestone="One"),  # 4
        data_row(ref="Shifted description", due="Capita/Client", lead="Started"),  # 5
    )
    table = only_table(read_plan_sheet(tmp_path, rows))
    assert item_rows(table) == [[4], [5]]
    assert (table.items[1].ref.text, table.items[1].description) == ("Shifted description", None)


def test_item_with_only_a_description_has_no_milestones(tmp_path: Path) -> None:
    rows = plan_rows(FORWARD_HEADER, [None, "Unified Academy Desktop"])
    (item,) = only_table(read_plan_sheet(tmp_path, rows)).items
    assert (item.description.text, item.milestones) == ("Unified Academy Desktop", ())


def test_unknown_header_column_cells_go_to_extra(tmp_path: Path) -> None:
    header = [*HEADER[:5], "Comments", *HEADER[5:]]  # Comments in F
    row: list[CellInput] = [None, "Item", "Milestone", None, None, "see minutes"]
    table = only_table(read_plan_sheet(tmp_path, plan_rows(header, row)))
    head = table.items[0].head
    assert [(cell.coordinate, cell.text) for cell in table.extra_columns] == [("F3", "Comments")]
    assert [(name, cell.coordinate, cell.text) for name, cell in head.extra] == [
        ("Comments", "F4", "see minutes")
    ]
    assert set(head.cells) == {"description", "milestone"}


def test_unknown_header_column_cells_are_shown_by_the_outline(tmp_path: Path) -> None:
    header = [*HEADER[:5], "Comments", *HEADER[5:]]
    row: list[CellInput] = [None, "Item", "Milestone", None, None, "see minutes"]
    plan = read(tmp_path, {"Plan": plan_rows(header, row)})
    (table,) = outline(plan)["sheets"][0]["tables"]
    assert table["items"][0]["milestones"][0]["Comments"] == "see minutes"


# --------------------------------------------------------------------------- cells kept


def test_cells_beyond_the_header_are_kept_as_stray(tmp_path: Path) -> None:
    rows = plan_rows(HEADER, [*data_row(description="Item", milestone="One"), "beyond"])
    sheet = read_plan_sheet(tmp_path, rows)
    assert [(cell.coordinate, cell.text) for cell in sheet.stray] == [("K4", "beyond")]


def test_cells_left_of_a_header_starting_in_column_c_are_kept_as_stray(tmp_path: Path) -> None:
    rows = plan_rows([None, None, *HEADER], ["left", None, None, "Item", "Milestone"])
    sheet = read_plan_sheet(tmp_path, rows)
    assert [(cell.coordinate, cell.text) for cell in sheet.stray] == [("A4", "left")]


def test_stray_cells_are_reported_by_the_outline(tmp_path: Path) -> None:
    rows = plan_rows(HEADER, [*data_row(description="Item", milestone="One"), "beyond"])
    data = outline(read(tmp_path, {"Plan": rows}))
    assert data["sheets"][0]["unplaced"] == [{"cell": "K4", "value": "beyond"}]
    assert "unplaced K4: beyond" in render_outline(data)


def test_free_text_outside_any_table_is_unplaced(tmp_path: Path) -> None:
    rows = plan_rows(
        ["Draft for discussion"],  # 3
        ["Part 2 - Annual Plan Items"],  # 4
        HEADER,  # 5
    )
    sheet = read_plan_sheet(tmp_path, rows)
    assert [(cell.coordinate, cell.text) for cell in sheet.unplaced] == [
        ("A3", "Draft for discussion")
    ]


def test_free_text_outside_any_table_is_reported_by_the_outline(tmp_path: Path) -> None:
    rows = plan_rows(["Draft for discussion"], ["Part 2 - Annual Plan Items"], HEADER)
    data = outline(read(tmp_path, {"Plan": rows}))
    assert data["sheets"][0]["unplaced"] == [{"cell": "A3", "value": "Draft for discussion"}]
    assert "unplaced A3: Draft for discussion" in render_outline(data)


def test_milestone_whose_only_text_begins_with_part_stays_in_its_table(tmp_path: Path) -> None:
    rows = plan_rows(
        ["Part 2 - Annual Plan Items"],  # 3
        HEADER,  # 4
        data_row(description="Data migration", milestone="Part 1 of the data"),  # 5
        data_row(milestone="Part 2 of the data"),  # 6
        data_row(milestone="Go live"),  # 7
    )
    table = only_table(read_plan_sheet(tmp_path, rows))
    assert item_rows(table) == [[5, 6, 7]]


def test_milestone_named_like_a_header_label_stays_in_its_table(tmp_path: Path) -> None:
    rows = plan_rows(
        HEADER,  # 3
        data_row(description="Annual plan sign-off", milestone="Draft to SMB", due="10/03/22"),
        data_row(milestone="JTB Review", due="17/03/22"),  # 5
    )
    sheet = read_plan_sheet(tmp_path, rows)
    assert (item_rows(only_table(sheet)), [entry.key for entry in sheet.header]) == (
        [[4, 5]],
        ["plan_for"],
    )


# --------------------------------------------------------------------------- other sheets

LOOKUPS: Rows = [["Status", "RAG"], ["Not started", "R"], ["Started", "A"]]


def test_non_plan_sheet_is_other_and_keeps_its_cells(tmp_path: Path) -> None:
    plan = read(tmp_path, {"Plan": plan_rows(HEADER), "Lookups": LOOKUPS})
    sheet = plan.sheet("Lookups")
    assert isinstance(sheet, OtherSheet) and sheet.kind == "other"
    assert [(cell.coordinate, cell.text) for cell in sheet.content] == [
        ("A1", "Status"),
        ("B1", "RAG"),
        ("A2", "Not started"),
        ("B2", "R"),
        ("A3", "Started"),
        ("B3", "A"),
    ]


def test_non_plan_sheet_is_reported_as_not_a_plan_sheet(tmp_path: Path) -> None:
    plan = read(tmp_path, {"Plan": plan_rows(HEADER), "Lookups": LOOKUPS})
    assert "Lookups: not a plan sheet" in render_outline(outline(plan))


@pytest.mark.parametrize("hidden", ["Plan", "Lookups"])
def test_hidden_sheet_keeps_its_state(tmp_path: Path, hidden: str) -> None:
    plan = read(tmp_path, {"Plan": plan_rows(HEADER), "Lookups": LOOKUPS}, hidden=[hidden])
    states = {sheet.name: (sheet.kind, sheet.state) for sheet in plan.sheets}
    expected = {"Plan": ("plan", "visible"), "Lookups": ("other", "visible")}
    expected[hidden] = (expected[hidden][0], "hidden")
    assert states == expected


# --------------------------------------------------------------------------- fills and artefacts


def test_blank_rag_cell_with_a_red_fill_is_kept_with_its_fill(tmp_path: Path) -> None:
    rows = plan_rows(HEADER, data_row(description="Item", milestone="One", status="Started"))
    sheet = read_plan_sheet(tmp_path, rows, fills={("Plan", "I4"): "FF0000"})
    rag = only_table(sheet).items[0].head.get("rag")
    assert rag is not None
    assert (rag.coordinate, rag.value, rag.fill) == ("I4", None, "FF0000")


def test_blank_filled_cell_outside_the_rag_column_is_not_data(tmp_path: Path) -> None:
    rows = plan_rows(HEADER, data_row(description="Item", milestone="One"))
    sheet = read_plan_sheet(tmp_path, rows, fills={("Plan", "E4"): "FF0000"})
    assert "lead" not in only_table(sheet).items[0].head.cells
    assert "E4" not in {cell.coordinate for cell in sheet.cells()}


def test_blank_filled_row_is_not_an_item_or_milestone(tmp_path: Path) -> None:
    rows = plan_rows(HEADER, data_row(description="Item", milestone="One"), [], data_row(due="x"))
    grey = {("Plan", f"{column}5"): "D9D9D9" for column in "ABCDEFGHIJ"}
    table = only_table(read_plan_sheet(tmp_path, rows, fills=grey))
    assert item_rows(table) == [[4, 6]]


def test_dash_row_is_an_artefact_not_data(tmp_path: Path) -> None:
    rows = plan_rows(
        HEADER,  # 3
        ["-----"] * len(HEADER),  # 4
        data_row(description="Item", milestone="One"),  # 5
    )
    sheet = read_plan_sheet(tmp_path, rows)
    assert {cell.row for cell in sheet.artefacts} == {4}
    assert len(sheet.artefacts) == len(HEADER)
    assert item_rows(only_table(sheet)) == [[5]]


def test_dash_rows_are_reported_by_the_outline(tmp_path: Path) -> None:
    rows = plan_rows(HEADER, ["-----"] * len(HEADER), data_row(description="Item"))
    assert outline(read(tmp_path, {"Plan": rows}))["sheets"][0]["artefact_rows"] == [4]


# --------------------------------------------------------------------------- the cover

COVER: Rows = [
    ["Annual Plan"],  # 1
    [],
    ["2023/24"],  # 3
    [],
    ["Version Control"],  # 5
    ["Version", "Changes", "Agreed By", "Date of Review"],  # 6
    [1, "Initial drafts to JTB", "JTB", dt.datetime(2023, 2, 16)],  # 7
    [2, "Issue to Joint Committee"],  # 8
    [],
    ["Configuration Control"],  # 10
    ["Plan for", "Date of Last Update", "Last Update by:", "SIG Review Date"],  # 11
    ["IT", dt.datetime(2023, 3, 7), "Paul Merrick", "TBC"],  # 12
]


def read_cover(tmp_path: Path) -> CoverSheet:
    sheet = read(tmp_path, {"Cover": COVER, "IT": plan_rows(HEADER)}).sheet("Cover")
    assert isinstance(sheet, CoverSheet), f"read as {sheet.kind}"
    return sheet


def test_cover_titles_are_its_lines_before_the_control_tables(tmp_path: Path) -> None:
    assert [cell.text for cell in read_cover(tmp_path).titles] == ["Annual Plan", "2023/24"]


def test_cover_version_control_is_read_row_by_row(tmp_path: Path) -> None:
    table = read_cover(tmp_path).version_control
    assert table is not None
    assert table.columns == ("Version", "Changes", "Agreed By", "Date of Review")
    assert [(row.row, *(row.text(c) for c in table.columns)) for row in table.rows] == [
        (7, "1", "Initial drafts to JTB", "JTB", "2023-02-16"),
        (8, "2", "Issue to Joint Committee", "", ""),
    ]


def test_cover_configuration_control_is_read_row_by_row(tmp_path: Path) -> None:
    table = read_cover(tmp_path).configuration_control
    assert table is not None
    assert [(row.row, *(row.text(c) for c in table.columns)) for row in table.rows] == [
        (12, "IT", "2023-03-07", "Paul Merrick", "TBC"),
    ]


def test_cover_keeps_every_cell(tmp_path: Path) -> None:
    sheet = read_cover(tmp_path)
    held = sorted((cell.row, cell.column) for cell in sheet.cells())
    written = sorted(
        (r, c)
        for r, row in enumerate(COVER, start=1)
        for c, value in enumerate(row, start=1)
        if value is not None
    )
    assert held == written


# --------------------------------------------------------------------------- the header block


def test_a_header_value_stands_right_beside_its_label(tmp_path: Path) -> None:
    rows = plan_rows(["Agreed Date and Who By:", "14/03/22 SMB"], HEADER)
    entry = read_plan_sheet(tmp_path, rows).header_entry("agreed")
    assert entry is not None
    assert (entry.text, entry.value.coordinate if entry.value else None) == ("14/03/22 SMB", "B3")


def test_a_label_past_an_empty_cell_beside_a_header_line_is_unplaced(tmp_path: Path) -> None:
    rows = plan_rows(["Agreed Date and Who By:", None, "Share agreed"], HEADER)
    sheet = read_plan_sheet(tmp_path, rows)
    entry = sheet.header_entry("agreed")
    assert entry is not None and entry.value is None
    assert [(cell.coordinate, cell.text) for cell in sheet.unplaced] == [("C3", "Share agreed")]


def test_text_past_a_header_value_is_unplaced(tmp_path: Path) -> None:
    rows = plan_rows(["Agreed Date and Who By:", "14/03/22 SMB", None, "Share agreed"], HEADER)
    sheet = read_plan_sheet(tmp_path, rows)
    assert [(cell.coordinate, cell.text) for cell in sheet.unplaced] == [("D3", "Share agreed")]
