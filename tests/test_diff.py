"""`planbook diff`: what changed between two versions of a plan, item by item.

Every edit is made by hand, either on a copy of the sample (openpyxl: load, change
cells, save) or on a small plan built from lists, where the test decides every row.
Each test states the exact list of changes as (kind, sheet, item, milestone, field,
old, new, days, cell): what is reported, and that nothing else is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from collections import Counter
from dataclasses import astuple
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

import planbook
from planbook import Plan
from planbook.cli import cli
from planbook.diff import CSV_COLUMNS, KINDS, PlanChange, diff_plans
from planbook.render import render_changes_csv, render_changes_json, render_changes_text
from planbook.schemas import Vocabularies, load_vocabularies
from workbooks import PLAN_HEADER, CellInput, write_workbook

Change = tuple[str, str, str, str, str, str, str, int | None, str]

VOCABULARIES: Vocabularies = load_vocabularies()
RB, CS = "Revenues and Benefits", "Customer Services"
AWS, HUB = "Amazon Web Services", "Access to L&D Hub"
NS = "Not started"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def table(changes: list[PlanChange]) -> list[Change]:
    return [astuple(change) for change in changes]  # type: ignore[misc]


def diff(old: Path, new: Path) -> list[Change]:
    return table(diff_plans(planbook.read_workbook(old), planbook.read_workbook(new), VOCABULARIES))


def edit(source: Path, target: Path, cells: dict[tuple[str, str], CellInput]) -> Path:
    """A copy of ``source`` with ``{(sheet, "B2"): value}`` written over it."""
    workbook = openpyxl.load_workbook(source)
    for (sheet, coordinate), value in cells.items():
        workbook[sheet][coordinate].value = value
    workbook.save(target)
    return target


# --------------------------------------------------------------------------- no edits


def test_the_sample_against_itself_has_no_changes(sample_path: Path) -> None:
    assert diff(sample_path, sample_path) == []


def test_the_formatted_sample_has_no_changes_its_spellings_made_canonical(
    sample_path: Path, tmp_path: Path
) -> None:
    formatted = tmp_path / "formatted.xlsx"
    result = run("format", str(sample_path), "-o", str(formatted), "--as-of", "2022-03-17")
    assert result.exit_code == 0, result.output
    assert "15 value(s) made canonical" in result.stdout  # WIP, Closed, ... all rewritten
    assert diff(sample_path, formatted) == []


# --------------------------------------------------------------------------- sample edits

SAMPLE_EDITS: list[tuple[str, dict[tuple[str, str], CellInput], list[Change]]] = [
    (
        "status changed",
        {(RB, "H30"): "Started"},
        [("status_changed", RB, AWS, "Approve solution", "status", NS, "Started", None, "H30")],
    ),
    ("status alias of the same value", {("IT", "H19"): "Started"}, []),  # it was WIP
    ("status in another case", {(RB, "H31"): "NOT STARTED"}, []),
    (
        "RAG given",
        {(RB, "I30"): "R"},
        [("rag_changed", RB, AWS, "Approve solution", "rag", "", "R", None, "I30")],
    ),
    (
        "RAG spelt out as its word",
        {("IT", "I28"): "Green"},  # it was G
        [],
    ),
    (
        "due slipped 30 days",
        {(RB, "D31"): dt.datetime(2022, 5, 1)},
        [("due_changed", RB, AWS, "Testing phase", "due", "2022-04-01", "2022-05-01", 30, "D31")],
    ),
    (
        "due pulled in a week",
        {(RB, "D42"): dt.datetime(2022, 3, 25)},
        [("due_changed", RB, HUB, "Go live", "due", "2022-04-01", "2022-03-25", -7, "D42")],
    ),
    (
        "due written as text for the same day",
        {(RB, "D42"): "01/04/2022"},
        [],
    ),
    (
        "due date replaced by text with no date",
        {(RB, "D37"): "TBC"},
        [("due_changed", RB, AWS, "Go-live", "due", "2022-06-15", "TBC", None, "D37")],
    ),
    (
        "lead changed",
        {(RB, "E30"): "Capita"},
        [
            (
                "field_changed", RB, AWS, "Approve solution", "lead",
                "Capita / Authorities", "Capita", None, "E30",
            )
        ],
    ),
    (
        "councils changed",
        {(RB, "G30"): "All"},
        [
            (
                "field_changed", RB, AWS, "Approve solution", "councils",
                "Hart, Havant, Mendip, South, Vale", "All", None, "G30",
            )
        ],
    ),
    (
        "outcome changed",
        {(RB, "F30"): "Council Tax collection rates"},
        [
            (
                "field_changed", RB, AWS, "Approve solution", "outcome",
                "All services", "Council Tax collection rates", None, "F30",
            )
        ],
    ),
    (
        "milestone text reworded",
        {(RB, "C34"): "Present the inbound solution to Authorities"},
        [
            (
                "field_changed", RB, AWS, "Present the inbound solution to Authorities",
                "milestone", "Present inbound solution to Authorities",
                "Present the inbound solution to Authorities", None, "C34",
            )
        ],
    ),
    (
        "progress updated",
        {("IT", "J42"): "7/4/22 - BC plan agreed"},
        [
            (
                "progress_updated", "IT", "Business Continuity",
                "Support of 5 Councils in the BC Plan", "progress", "",
                "7/4/22 - BC plan agreed", None, "J42",
            )
        ],
    ),
    (
        "header line changed",
        {(RB, "B2"): "7 April 2022 (MG / DR)"},
        [
            (
                "header_changed", RB, "", "", "Last Update (Date and Who by)",
                "7 March 2022 (MG / DR)", "7 April 2022 (MG / DR)", None, "B2",
            )
        ],
    ),
    (
        "description reworded",
        {(RB, "B22"): "Quality Improvement Plan"},
        [
            (
                "item_renamed", RB, "Quality Improvement Plan", "", "description",
                "Quality Action Plan", "Quality Improvement Plan", None, "B22",
            )
        ],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cells", "expected"),
    [case[1:] for case in SAMPLE_EDITS],
    ids=[case[0] for case in SAMPLE_EDITS],
)
def test_an_edit_to_the_sample_is_reported_exactly(
    sample_path: Path, tmp_path: Path, cells: dict[tuple[str, str], CellInput], expected: Any
) -> None:
    assert diff(sample_path, edit(sample_path, tmp_path / "new.xlsx", cells)) == expected


def test_milestones_with_the_same_text_are_matched_in_order(
    sample_path: Path, tmp_path: Path
) -> None:
    """AWS has two `Testing phase` and two `Go-live` milestones: the second ones moved."""
    new = edit(
        sample_path,
        tmp_path / "new.xlsx",
        {(RB, "D36"): dt.datetime(2022, 6, 8), (RB, "D37"): dt.datetime(2022, 6, 22)},
    )
    assert diff(sample_path, new) == [
        ("due_changed", RB, AWS, "Testing phase", "due", "2022-06-01", "2022-06-08", 7, "D36"),
        ("due_changed", RB, AWS, "Go-live", "due", "2022-06-15", "2022-06-22", 7, "D37"),
    ]


def test_a_sheet_renamed_is_matched_by_its_service(sample_path: Path, tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(sample_path)
    workbook["Land Charges"].title = "Local Land Charges"
    workbook.save(tmp_path / "new.xlsx")
    assert diff(sample_path, tmp_path / "new.xlsx") == []


# --------------------------------------------------------------------------- a small plan

HEADER = PLAN_HEADER
W = "Widgets"


def widgets() -> list[list[CellInput]]:
    """Rows 9-12 in Part 2 (Telephony upgrade has two milestones), row 16 in Part 3."""
    return [
        ["Annual Plan for:", W],
        [],
        ["Last Update (Date and Who by)", "7 March 2022 (Ann Lee)"],
        [],
        ["JTB Review", dt.date(2022, 3, 17)],
        [],
        ["Part 2 - Annual Plan Items"],
        HEADER,
        [None, "Telephony upgrade", "Design review", dt.date(2022, 3, 31), "Capita", "CI", "All",
         "Started", "G", "On track"],
        [None, None, "Build", "30/04/2022", "Capita", None, None, NS, "G"],
        [None, "Website relaunch", "Go live", "TBC", "Client", "CX", "Hart", NS, "A"],
        [None, "Payroll", "Tender", dt.date(2022, 6, 30), "Capita", "Cost", "Mendip", NS, "G"],
        [],
        ["Part 3 - Forward Look"],
        HEADER,
        [None, "Somerset unitary", "Support", "2023/24", "Client", "Reorg", "Mendip"],
    ]  # fmt: skip


def small(path: Path, *sheets: tuple[str, list[list[CellInput]]]) -> Path:
    return write_workbook(path, dict(sheets or ((W, widgets()),)))


def diff_small(tmp_path: Path, new_rows: list[list[CellInput]]) -> list[Change]:
    return diff(small(tmp_path / "old.xlsx"), small(tmp_path / "new.xlsx", (W, new_rows)))


def test_a_small_plan_against_itself_has_no_changes(tmp_path: Path) -> None:
    assert diff_small(tmp_path, widgets()) == []


def test_an_item_added_is_reported_where_it_now_stands(tmp_path: Path) -> None:
    rows = widgets()
    rows.insert(12, [None, "Office move", "Plan", "30/09/2022", "Client", None, "Hart"])
    assert diff_small(tmp_path, rows) == [
        ("item_added", W, "Office move", "", "", "", "", None, "B13"),
    ]


def test_an_item_removed_is_reported_where_it_stood(tmp_path: Path) -> None:
    rows = widgets()
    del rows[10]  # Website relaunch; Payroll moves up a row
    assert diff_small(tmp_path, rows) == [
        ("item_removed", W, "Website relaunch", "", "", "", "", None, "B11"),
    ]


def test_a_reworded_description_is_one_rename_not_an_addition_and_a_removal(
    tmp_path: Path,
) -> None:
    rows = widgets()
    rows[8][1] = "Upgrade of the telephony"
    assert diff_small(tmp_path, rows) == [
        (
            "item_renamed", W, "Upgrade of the telephony", "", "description",
            "Telephony upgrade", "Upgrade of the telephony", None, "B9",
        ),
    ]  # fmt: skip


def test_a_heavy_rewrite_in_its_place_is_a_rename(tmp_path: Path) -> None:
    rows = widgets()
    rows[11][1] = "Payroll system tender"  # 'Payroll' is 50% of it: below 60%, above 30%
    assert diff_small(tmp_path, rows) == [
        (
            "item_renamed", W, "Payroll system tender", "", "description",
            "Payroll", "Payroll system tender", None, "B12",
        ),
    ]  # fmt: skip


def test_an_item_moved_to_another_part_is_a_move(tmp_path: Path) -> None:
    rows = widgets()
    payroll = rows.pop(11)
    rows.append(payroll)
    assert diff_small(tmp_path, rows) == [
        ("item_moved", W, "Payroll", "", "part", "2", "3", None, "B16"),
    ]


def test_a_milestone_added_to_an_item(tmp_path: Path) -> None:
    rows = widgets()
    rows.insert(10, [None, None, "Go live", "31/05/2022", "Capita", None, None, "Not started"])
    assert diff_small(tmp_path, rows) == [
        ("milestone_added", W, "Telephony upgrade", "Go live", "", "", "", None, "C11"),
    ]


def test_a_milestone_removed_from_an_item(tmp_path: Path) -> None:
    rows = widgets()
    del rows[9]  # Build
    assert diff_small(tmp_path, rows) == [
        ("milestone_removed", W, "Telephony upgrade", "Build", "", "", "", None, "A10"),
    ]


def test_a_due_text_changed_with_no_date_either_side(tmp_path: Path) -> None:
    rows = widgets()
    rows[10][3] = "Ongoing"
    assert diff_small(tmp_path, rows) == [
        ("due_changed", W, "Website relaunch", "Go live", "due", "TBC", "Ongoing", None, "D11"),
    ]


def test_a_rag_given_as_a_fill_instead_of_its_letter_is_no_change(tmp_path: Path) -> None:
    rows = widgets()
    rows[8][8] = None
    old = small(tmp_path / "old.xlsx")
    new = write_workbook(tmp_path / "new.xlsx", {W: rows}, fills={(W, "I9"): "00B050"})
    assert diff(old, new) == []


def test_a_status_cleared_is_reported_at_its_status_cell(tmp_path: Path) -> None:
    """The cell is where the change is in the new version: the emptied Delivery Status."""
    rows = widgets()
    rows[10][7] = None
    assert diff_small(tmp_path, rows) == [
        ("status_changed", W, "Website relaunch", "Go live", "status", NS, "", None, "H11"),
    ]  # fmt: skip


def test_a_header_line_removed_is_reported(tmp_path: Path) -> None:
    rows = widgets()
    rows[4] = []  # the JTB Review line
    assert diff_small(tmp_path, rows) == [
        ("header_changed", W, "", "", "JTB Review", "2022-03-17", "", None, "B5"),
    ]


def test_two_items_with_the_same_description_are_matched_by_position(tmp_path: Path) -> None:
    def rows(second: str) -> list[list[CellInput]]:
        plan = widgets()[:8]
        plan += [
            [None, "Annual review", "Hart", "30/06/2022", "Capita", None, "Hart", "Started"],
            [None, "Annual review", "Mendip", "30/06/2022", "Capita", None, "Mendip", second],
        ]  # fmt: skip
        return plan

    old = small(tmp_path / "old.xlsx", (W, rows("Started")))
    new = small(tmp_path / "new.xlsx", (W, rows("Complete")))
    assert diff(old, new) == [
        ("status_changed", W, "Annual review", "Mendip", "status", "Started", "Complete", None,
         "H10"),
    ]  # fmt: skip


def test_recurring_due_dates_take_each_versions_plan_year(tmp_path: Path) -> None:
    """`Annual, Q3` is a day only in a plan year: each version's, from its title."""

    def rows(year: str, due: str) -> list[list[CellInput]]:
        plan = widgets()
        plan[0][1] = f"{W} {year}"
        plan[11][3] = due  # Payroll's Tender
        return plan

    def slip(old: list[list[CellInput]], new: list[list[CellInput]]) -> list[Change]:
        return diff(small(tmp_path / "old.xlsx", (W, old)), small(tmp_path / "new.xlsx", (W, new)))

    assert slip(rows("2022/23", "Annual, Q3"), rows("2022/23", "Annual, Q4")) == [
        ("due_changed", W, "Payroll", "Tender", "due", "2022-12-31", "2023-03-31", 90, "D12"),
    ]
    assert slip(rows("2022/23", "Annual, Q3"), rows("2023/24", "Annual, Q3")) == [
        (
            "header_changed",
            W,
            "",
            "",
            "Annual Plan for:",
            f"{W} 2022/23",
            f"{W} 2023/24",
            None,
            "B1",
        ),
        ("due_changed", W, "Payroll", "Tender", "due", "2022-12-31", "2023-12-31", 365, "D12"),
    ]
    assert slip(rows("2022/23", "Annual, Q3"), rows("2022/23", "31/12/2022")) == []


def test_a_milestone_removed_is_reported_at_its_tables_first_column(tmp_path: Path) -> None:
    """The table starts in column C, so the removed Build row is C10, not A10."""
    rows = widgets()
    old = write_workbook(tmp_path / "old.xlsx", {W: rows}, origin="C1")
    del rows[9]  # Build
    new = write_workbook(tmp_path / "new.xlsx", {W: rows}, origin="C1")
    assert diff(old, new) == [
        ("milestone_removed", W, "Telephony upgrade", "Build", "", "", "", None, "C10"),
    ]


def test_the_in_place_pass_pairs_the_nearest_position_not_the_nth_unmatched(
    tmp_path: Path,
) -> None:
    """Pass 4 scores closeness of the items' places in the sheet: the new Payroll system
    tender (3rd item) pairs with Payroll audit (4th), not the first unmatched, Payroll
    review (1st); both are between 30% and 60% alike."""
    start = widgets()[:8]
    telephony, website = widgets()[8], widgets()[10]
    tender: list[CellInput] = ["Tender", dt.date(2022, 6, 30), "Capita", "Cost", "Mendip", NS]
    old_rows = [*start, [None, "Payroll review", *tender], telephony, website,
                [None, "Payroll audit", *tender]]  # fmt: skip
    new_rows = [*start, telephony, website, [None, "Payroll system tender", *tender]]
    old = small(tmp_path / "old.xlsx", (W, old_rows))
    new = small(tmp_path / "new.xlsx", (W, new_rows))
    assert diff(old, new) == [
        (
            "item_renamed", W, "Payroll system tender", "", "description",
            "Payroll audit", "Payroll system tender", None, "B11",
        ),
        ("item_removed", W, "Payroll review", "", "", "", "", None, "B9"),
    ]  # fmt: skip


GADGETS = [
    ["Annual Plan for:", "Gadgets"],
    [],
    ["Part 2 - Annual Plan Items"],
    HEADER,
    [None, "Sprocket audit", "Audit", "31/07/2022", "Capita", None, "All", "Not started"],
    [None, "Gear review", "Review", "31/08/2022", "Capita", None, "All", "Not started"],
]


def test_a_whole_sheet_added_adds_each_of_its_items(tmp_path: Path) -> None:
    old = small(tmp_path / "old.xlsx")
    new = small(tmp_path / "new.xlsx", (W, widgets()), ("Gadgets", GADGETS))
    assert diff(old, new) == [
        ("item_added", "Gadgets", "Sprocket audit", "", "", "", "", None, "B5"),
        ("item_added", "Gadgets", "Gear review", "", "", "", "", None, "B6"),
    ]


def test_a_whole_sheet_removed_removes_each_of_its_items(tmp_path: Path) -> None:
    old = small(tmp_path / "old.xlsx", (W, widgets()), ("Gadgets", GADGETS))
    new = small(tmp_path / "new.xlsx")
    assert diff(old, new) == [
        ("item_removed", "Gadgets", "Sprocket audit", "", "", "", "", None, "B5"),
        ("item_removed", "Gadgets", "Gear review", "", "", "", "", None, "B6"),
    ]


# --------------------------------------------------------------------------- rendering

MONTH = [
    PlanChange("progress_updated", RB, AWS, "Go-live", "progress", "", "Booked", cell="J32"),
    PlanChange("header_changed", RB, field="Last Update", old="7/3/22", new="7/4/22", cell="B2"),
    PlanChange("item_added", "IT", "Office move", cell="B61"),
    PlanChange("due_changed", RB, AWS, "Testing phase", "due", "2022-04-01", "2022-05-01", 30,
               "D31"),
    PlanChange("due_changed", RB, HUB, "Go live", "due", "2022-04-01", "2022-03-25", -7, "D42"),
    PlanChange("field_changed", RB, AWS, "Go-live", "lead", "Capita", "Client", cell="E32"),
    PlanChange("milestone_removed", RB, HUB, "Demo for Clients", cell="A38"),
    PlanChange("status_changed", RB, AWS, "Approve solution", "status", NS, "Started", cell="H30"),
    PlanChange("rag_changed", "IT", "CMDB", "Evidence", "rag", "", "R", cell="I55"),
    PlanChange("due_changed", "IT", "CMDB", "Evidence", "due", "ongoing", "TBC", cell="D55"),
]  # fmt: skip


def test_the_text_report_groups_by_service_status_and_slips_first_and_counts() -> None:
    assert render_changes_text(MONTH, "march.xlsx", "april.xlsx") == (
        "Changes from march.xlsx to april.xlsx\n"
        "\n"
        "Revenues and Benefits\n"
        "  Status and RAG\n"
        "    'Amazon Web Services', 'Approve solution': status Not started -> Started (H30)\n"
        "  Due dates\n"
        "    'Amazon Web Services', 'Testing phase': due 01/04/2022 -> 01/05/2022, "
        "slipped 30 days (D31)\n"
        "    'Access to L&D Hub', 'Go live': due 01/04/2022 -> 25/03/2022, "
        "pulled in 7 days (D42)\n"
        "  Milestones\n"
        "    'Access to L&D Hub', 'Demo for Clients': milestone removed\n"
        "  Other changes\n"
        "    'Amazon Web Services', 'Go-live': lead 'Capita' -> 'Client' (E32)\n"
        "  Progress notes\n"
        "    'Amazon Web Services', 'Go-live': progress updated: 'Booked' (J32)\n"
        "  Header\n"
        "    Last Update '7/3/22' -> '7/4/22' (B2)\n"
        "\n"
        "IT\n"
        "  Status and RAG\n"
        "    'CMDB', 'Evidence': RAG (none) -> R (I55)\n"
        "  Due dates\n"
        "    'CMDB', 'Evidence': due 'ongoing' -> 'TBC' (D55)\n"
        "  Items\n"
        "    added 'Office move' (B61)\n"
        "\n"
        "10 changes in 2 services.\n"
    )


def test_the_text_report_of_no_changes_says_so() -> None:
    assert render_changes_text([], "a.xlsx", "b.xlsx") == (
        "Changes from a.xlsx to b.xlsx\n\nNo changes.\n"
    )


def test_json_holds_both_files_and_each_change_with_days_only_for_dated_due_changes() -> None:
    data = json.loads(render_changes_json(MONTH, "march.xlsx", "april.xlsx"))
    assert list(data) == ["old", "new", "changes"]
    assert (data["old"], data["new"]) == ("march.xlsx", "april.xlsx")
    assert [(change["kind"], change.get("days")) for change in data["changes"]] == [
        ("progress_updated", None),
        ("header_changed", None),
        ("item_added", None),
        ("due_changed", 30),
        ("due_changed", -7),
        ("field_changed", None),
        ("milestone_removed", None),
        ("status_changed", None),
        ("rag_changed", None),
        ("due_changed", None),
    ]
    assert data["changes"][3] == {
        "kind": "due_changed",
        "sheet": RB,
        "item": AWS,
        "milestone": "Testing phase",
        "field": "due",
        "old": "2022-04-01",
        "new": "2022-05-01",
        "days": 30,
        "cell": "D31",
    }
    assert "days" not in data["changes"][9]


def test_csv_has_the_documented_columns_and_a_row_per_change() -> None:
    rows = list(csv.reader(io.StringIO(render_changes_csv(MONTH))))
    assert tuple(rows[0]) == CSV_COLUMNS == (
        "kind", "sheet", "item", "milestone", "field", "old", "new", "days", "cell",
    )  # fmt: skip
    assert rows[4] == [
        "due_changed", RB, AWS, "Testing phase", "due", "2022-04-01", "2022-05-01", "30", "D31",
    ]  # fmt: skip
    assert rows[1:] == [
        [*(str(value) if value is not None else "" for value in astuple(change))]
        for change in MONTH
    ]


def test_every_kind_has_a_section_of_the_text_report() -> None:
    changes = [PlanChange(kind, "S", "item", old="a", new="b") for kind in KINDS]
    lines = render_changes_text(changes, "a", "b").splitlines()
    assert len([line for line in lines if line.startswith("    ")]) == len(KINDS)


# --------------------------------------------------------------------------- the command


def test_the_command_exits_0_with_no_changes(sample_path: Path) -> None:
    result = run("diff", str(sample_path), str(sample_path))
    assert (result.exit_code, result.stdout.splitlines()[-1]) == (0, "No changes.")


def test_the_command_exits_0_with_changes_and_prints_the_library_result(
    sample_path: Path, tmp_path: Path
) -> None:
    new = edit(sample_path, tmp_path / "new.xlsx", {(RB, "H30"): "Started"})
    changes = diff_plans(
        planbook.read_workbook(sample_path), planbook.read_workbook(new), VOCABULARIES
    )
    for fmt, expected in [
        ("text", render_changes_text(changes, str(sample_path), str(new))),
        ("json", render_changes_json(changes, str(sample_path), str(new))),
        ("csv", render_changes_csv(changes)),
    ]:
        result = run("diff", str(sample_path), str(new), "--format", fmt)
        assert (result.exit_code, result.stdout) == (0, expected), fmt
    assert run("diff", str(sample_path), str(new)).stdout.endswith("1 change in 1 service.\n")


@pytest.mark.parametrize("which", ["old", "new"])
def test_the_command_exits_2_with_one_line_on_an_unreadable_input(
    sample_path: Path, tmp_path: Path, which: str
) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook")
    pair = [broken, sample_path] if which == "old" else [sample_path, broken]
    result = run("diff", *map(str, pair))
    assert result.exit_code == 2
    assert result.stderr.startswith("planbook: error: ") and str(broken) in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- property

WORDS = ["Telephony", "Payroll", "Website", "Archive", "Licensing", "Training", "Estates"]
STATUSES = ["Not started", "Started", "Paused", "Complete"]
SCOPE = {
    "milestone": "Scope",
    "due": dt.date(2022, 9, 30),
    "lead": "Client",
    "status": NS,
    "rag": "G",
    "progress": "",
}
EDIT_KINDS = [
    "status_changed",
    "rag_changed",
    "due_changed",
    "item_added",
    "item_removed",
    "milestone_added",
    "milestone_removed",
    "field_changed",
    "progress_updated",
]


@st.composite
def plans(draw: st.DrawFn) -> list[dict[str, Any]]:
    """2-4 items, each of distinct words, with 1-3 milestones of distinct names."""
    names = draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=4, unique=True))
    return [
        {
            "description": f"{name} programme",
            "milestones": [
                {
                    "milestone": f"{step} {name.lower()}",
                    "due": dt.date(2022, 4, 1) + dt.timedelta(days=draw(st.integers(0, 300))),
                    "lead": draw(st.sampled_from(["Capita", "Client"])),
                    "status": draw(st.sampled_from(STATUSES)),
                    "rag": draw(st.sampled_from(["R", "A", "G"])),
                    "progress": draw(st.sampled_from(["", "On track"])),
                }
                for step in draw(
                    st.lists(st.sampled_from(["Plan", "Build", "Test"]), min_size=1, unique=True)
                )
            ],
        }
        for name in names
    ]


def plan_rows(items: list[dict[str, Any]]) -> list[list[CellInput]]:
    rows: list[list[CellInput]] = [["Annual Plan for:", W], [], ["Part 2 - Annual Plan Items"]]
    rows.append(HEADER)
    for item in items:
        for n, m in enumerate(item["milestones"]):
            description = item["description"] if n == 0 else None
            rows.append(
                [None, description, m["milestone"], m["due"], m["lead"], None, "All",
                 m["status"], m["rag"], m["progress"]]
            )  # fmt: skip
    return rows


def apply(
    items: list[dict[str, Any]], kind: str, chosen: list[bool]
) -> tuple[list[dict[str, Any]], Counter[tuple[str, str, str]]]:
    """``items`` with the edit of ``kind`` made wherever ``chosen`` says, and the changes
    expected: (kind, item, milestone)."""
    expected: Counter[tuple[str, str, str]] = Counter()
    new_items: list[dict[str, Any]] = []
    flags = iter(chosen + [False] * 100)
    for item in items:
        if kind == "item_removed" and next(flags):
            expected[(kind, item["description"], "")] += 1
            continue
        milestones = []
        removable = len(item["milestones"]) - 1
        for before in item["milestones"]:
            m = dict(before)
            if kind == "milestone_removed" and removable > 0 and next(flags):
                removable -= 1  # an item keeps at least one milestone
                expected[(kind, item["description"], m["milestone"])] += 1
                continue
            if kind in ("status_changed", "rag_changed", "due_changed") and next(flags):
                if kind == "status_changed":
                    m["status"] = STATUSES[(STATUSES.index(m["status"]) + 1) % len(STATUSES)]
                elif kind == "rag_changed":
                    m["rag"] = {"R": "A", "A": "G", "G": "R"}[m["rag"]]
                else:
                    m["due"] += dt.timedelta(days=14)
                expected[(kind, item["description"], m["milestone"])] += 1
            if kind == "field_changed" and next(flags):
                m["lead"] = "Capita / Client"
                expected[(kind, item["description"], m["milestone"])] += 1
            if kind == "progress_updated" and next(flags):
                m["progress"] += " (updated)"
                expected[(kind, item["description"], m["milestone"])] += 1
            milestones.append(m)
        if kind == "milestone_added" and next(flags):
            extra = dict(milestones[-1], milestone=f"Review {item['description']}")
            milestones.append(extra)
            expected[(kind, item["description"], extra["milestone"])] += 1
        new_items.append({**item, "milestones": milestones})
    if kind == "item_added":
        for word in [w for w in WORDS if not any(w in i["description"] for i in items)]:
            if next(flags):
                new_items.append({"description": f"{word} programme", "milestones": [SCOPE]})
                expected[(kind, f"{word} programme", "")] += 1
    return new_items, expected


def read_rows(rows: list[list[CellInput]]) -> planbook.Plan:
    with tempfile.TemporaryDirectory() as directory:
        return planbook.read_workbook(write_workbook(Path(directory) / "p.xlsx", {W: rows}))


@settings(max_examples=25, deadline=None)
@given(
    plans(),
    st.sampled_from(EDIT_KINDS),
    st.lists(st.booleans(), min_size=1, max_size=12),
)
def test_generated_edits_of_one_kind_are_each_reported_once_and_nothing_else(
    items: list[dict[str, Any]], kind: str, chosen: list[bool]
) -> None:
    new_items, expected = apply(items, kind, chosen)
    changes = diff_plans(read_rows(plan_rows(items)), read_rows(plan_rows(new_items)), VOCABULARIES)
    assert Counter((c.kind, c.item, c.milestone) for c in changes) == expected
    assert all(c.days == 14 for c in changes if c.kind == "due_changed")


def test_the_plan_year_option_reads_both_versions_recurring_due_dates(tmp_path: Path) -> None:
    """Widgets' title holds no year: `Annual, Q3` is a day only with --plan-year."""

    def version(name: str, due: str) -> Plan:
        rows = widgets()
        rows[11][3] = due  # Payroll's Tender
        return planbook.read_workbook(small(tmp_path / name, (W, rows)))

    old, new = version("old.xlsx", "Annual, Q3"), version("new.xlsx", "Annual, Q4")
    assert [change.days for change in diff_plans(old, new, VOCABULARIES)] == [None]
    assert [change.days for change in diff_plans(old, new, VOCABULARIES, plan_year=2022)] == [90]


def test_diff_takes_the_plan_year_option(tmp_path: Path) -> None:
    rows = widgets()
    rows[11][3] = "Annual, Q3"
    old = small(tmp_path / "old.xlsx", (W, rows))
    rows[11][3] = "Annual, Q4"
    new = small(tmp_path / "new.xlsx", (W, rows))
    result = CliRunner().invoke(
        cli, ["diff", str(old), str(new), "--plan-year", "2022", "--format", "json"]
    )
    assert [change["days"] for change in json.loads(result.stdout)["changes"]] == [90]
