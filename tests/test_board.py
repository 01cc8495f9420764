"""The board summary: per service how the derived RAGs stand, what is late, what falls due.

The expected tables for the sample were worked out by hand from the seed text
(sample_workbooks/source/annual_plan_2022_23.txt) and RULES.md, as of the JTB review,
17 March 2022, with the default 30-day amber window (to 16 April 2022). A sheet's row k
is line k of its block in the seed, counted from its `Annual Plan for:` line, with the
`-----` lines taken out: Customer Services row = seed line - 26, Revenues and Benefits
row = line - 59, Land Charges row = line - 113 (after line 123), IT row = line - 154
(after line 179). Only Part 1 and Part 2 items count; Complete milestones are never late.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from planbook import Plan
from planbook.check import check_plan
from planbook.cli import cli
from planbook.derive import Settings
from workbooks import PLAN_HEADER, CellInput, write_workbook

AS_OF = dt.date(2022, 3, 17)
CS, RB, LC = "Customer Services", "Revenues and Benefits", "Land Charges"

SERVICES = [  # sheet, items, milestones; items by derived RAG: R, A, G, B, none
    # Part 2 only (seed lines 43-52); no status column, so the dates alone decide.
    # R: Quality Assurance (31/01/22, 28/02/22 passed), Mendip Netcall (01/03/2022 passed);
    # G: quality of service measure (01/07/22); none: Ongoing, TBC, and line 52 shifted
    # right ('Capita Head of Customer Services' under Due).
    (CS, 6, 10, 2, 0, 1, 0, 3),
    # Part 1 empty; Part 2 lines 76-105; RB11-RB14 (lines 108-111) are an untitled
    # Forward Look. R: Amazon Web Services (01/03/22), Access to L&D Hub (28/02/22, 15/03/22).
    (RB, 6, 30, 2, 0, 4, 0, 0),
    # Part 2 lines 133-137: 01/06/22 and 01/12/22; Annual, Q3 of 2022/3 = 31/12/22.
    (LC, 2, 5, 0, 0, 2, 0, 0),
    # Part 1 lines 169-174 (4 items), Part 2 lines 182-229 (33 items; lines 185, 186, 189,
    # 190, 191 start items from Ref). R: CMDB, O365 Separation, user device strategy;
    # G: Offline Backup (30/06/22), the two office moves (30/9/22 TBC).
    ("IT", 37, 47, 3, 0, 3, 17, 14),
]
MILESTONES_BY_RAG = [  # sheet, milestones by derived RAG: R, A, G, B, none
    (CS, 3, 3, 1, 0, 3),
    (RB, 3, 4, 20, 2, 1),
    (LC, 0, 0, 3, 0, 2),
    ("IT", 3, 0, 3, 20, 21),
]
LATE = [  # sheet, row, due, days late; most overdue first, ties in workbook order
    ("IT", 55, "2020-01-31", 776),  # line 209 CMDB, 31/01/20, Started
    ("IT", 70, "2020-03-31", 716),  # line 224 O365 Separation, 31/03/20, Started
    ("IT", 61, "2020-06-30", 625),  # line 215 Obligation Matrix - user devices, 30/06/20, Started
    (CS, 17, "2022-01-31", 45),  # line 43 Havant Go Live, 31/01/22 go live ...
    (CS, 18, "2022-02-28", 17),  # line 44 Mendip Go Live, 28/02/22 go live ...
    (RB, 40, "2022-02-28", 17),  # line 99 Implementation Plan and Build, 28/02/22, Started
    (CS, 23, "2022-03-01", 16),  # line 49 Mendip Netcall, 01/03/2022 (Go live) ...
    (RB, 30, "2022-03-01", 16),  # line 89 AWS Approve solution, 01/03/22, Not started
    (RB, 41, "2022-03-15", 2),  # line 100 L&D Hub Testing phase, 15/03/22, Not started
]
DUE_SOON = [  # sheet, row, due, days to go; soonest first
    (CS, 19, "2022-03-31", 14),  # line 45 South Oxfordshire Go Live, 31/03/22 go live ...
    (CS, 20, "2022-03-31", 14),  # line 46 Vale of White Horse Go Live
    (CS, 21, "2022-03-31", 14),  # line 47 Hart Go Live
    (RB, 31, "2022-04-01", 15),  # line 90 AWS Testing phase, 01/04/22, Not started
    (RB, 32, "2022-04-01", 15),  # line 91 AWS Go-live
    (RB, 33, "2022-04-01", 15),  # line 92 AWS Consider inbound solutioning
    (RB, 42, "2022-04-01", 15),  # line 101 L&D Hub Go live, 01/04/22, Not started
]


@pytest.fixture(scope="module")
def board(sample_plan: Plan) -> dict[str, Any]:
    return check_plan(sample_plan, settings=Settings(as_of=AS_OF)).summary()


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def uk(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y")


# --------------------------------------------------------------------------- the sample


def test_the_board_counts_each_services_items_by_derived_rag(board: dict[str, Any]) -> None:
    assert [
        (
            service["sheet"],
            service["items"],
            service["milestones"],
            *(service["items_by_rag"][rag] for rag in ("R", "A", "G", "B", "none")),
        )
        for service in board["services"]
    ] == SERVICES


def test_the_board_counts_each_services_milestones_by_derived_rag(board: dict[str, Any]) -> None:
    assert [
        (
            service["sheet"],
            *(service["milestones_by_rag"][rag] for rag in ("R", "A", "G", "B", "none")),
        )
        for service in board["services"]
    ] == MILESTONES_BY_RAG


def test_late_lists_every_open_milestone_past_due_most_overdue_first(
    board: dict[str, Any],
) -> None:
    assert [(e["sheet"], e["row"], e["due"], e["days_late"]) for e in board["late"]] == LATE


def test_due_soon_lists_every_open_milestone_due_within_30_days_soonest_first(
    board: dict[str, Any],
) -> None:
    due_soon = [(e["sheet"], e["row"], e["due"], e["days_to_go"]) for e in board["due_soon"]]
    assert due_soon == DUE_SOON


def test_a_late_entry_names_the_item_milestone_due_date_and_status(board: dict[str, Any]) -> None:
    assert board["late"][-1] == {
        "sheet": RB,
        "service": "Revenues and Benefits 2022/23",
        "item": 5,
        "description": "Access to L&D Hub",
        "milestone": "Testing phase",
        "due": "2022-03-15",
        "due_text": "2022-03-15",
        "status": "Not started",
        "row": 41,
        "days_late": 2,
    }


def test_the_board_says_as_of_when_and_how_wide_the_window_is(board: dict[str, Any]) -> None:
    assert (board["as_of"], board["amber_days"]) == ("2022-03-17", 30)


WINDOWS = [  # amber days -> the rows due soon
    (0, []),
    (13, []),
    (14, [(CS, 19), (CS, 20), (CS, 21)]),
    (15, [(CS, 19), (CS, 20), (CS, 21), (RB, 31), (RB, 32), (RB, 33), (RB, 42)]),
]


@pytest.mark.parametrize(("amber_days", "rows"), WINDOWS)
def test_due_soon_follows_the_amber_window(
    sample_plan: Plan, amber_days: int, rows: list[tuple[str, int]]
) -> None:
    summary = check_plan(sample_plan, settings=Settings(AS_OF, amber_days)).summary()
    assert [(e["sheet"], e["row"]) for e in summary["due_soon"]] == rows
    assert len(summary["late"]) == len(LATE)


# --------------------------------------------------------------------------- built plans

HEADER: list[CellInput] = PLAN_HEADER[:-1]  # no Progress column


def small_plan(path: Path) -> Path:
    """Rows 5-9 of Part 2 due yesterday, today, tomorrow, long ago but done, and paused;
    a Forward Look item long overdue on row 13."""
    day = AS_OF.strftime("%d/%m/%Y")
    yesterday = (AS_OF - dt.timedelta(days=1)).strftime("%d/%m/%Y")
    tomorrow = (AS_OF + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    rows: list[list[CellInput]] = [
        ["Annual Plan for:", "Widgets"],
        [],
        ["Part 2 - Annual Plan Items"],
        HEADER,
        [None, "Telephony", "Design", yesterday, "Capita", "CI", "All", "Started"],
        [None, None, "Build", day, "Capita", None, None, "Not started"],
        [None, None, "Go live", tomorrow, "Capita", None, None, "Not started"],
        [None, "Old contract", "Close", "01/01/20", "Capita", "CI", "All", "Complete"],
        [None, "Website", "Relaunch", tomorrow, "Capita", "CI", "All", "Paused"],
        [],
        ["Part 3 - Forward Look"],
        HEADER[:7],
        [None, "Somerset unitary", "Support", "01/01/20", "Capita", "CI", "All"],
    ]
    return write_workbook(path / "small.xlsx", {"Widgets": rows})


def summary_of(path: Path, *options: str) -> dict[str, Any]:
    result = run("check", str(path), "--format", "json", "--as-of", AS_OF.isoformat(), *options)
    assert result.exit_code in (0, 1), result.output
    summary: dict[str, Any] = json.loads(result.stdout)["summary"]
    return summary


def test_complete_and_forward_look_milestones_are_never_late(tmp_path: Path) -> None:
    summary = summary_of(small_plan(tmp_path))
    assert [(e["row"], e["days_late"]) for e in summary["late"]] == [(5, 1)]
    assert [(s["sheet"], s["items"], s["milestones"]) for s in summary["services"]] == [
        ("Widgets", 3, 5)
    ]


def test_a_paused_milestone_due_soon_is_listed_as_due_soon(tmp_path: Path) -> None:
    summary = summary_of(small_plan(tmp_path))
    assert [(e["row"], e["days_to_go"], e["status"]) for e in summary["due_soon"]] == [
        (6, 0, "Not started"),
        (7, 1, "Not started"),
        (9, 1, "Paused"),
    ]


def test_amber_days_0_leaves_only_what_is_due_today(tmp_path: Path) -> None:
    summary = summary_of(small_plan(tmp_path), "--amber-days", "0")
    assert [(e["row"], e["days_to_go"]) for e in summary["due_soon"]] == [(6, 0)]
    assert summary["amber_days"] == 0


def test_text_says_due_today(tmp_path: Path) -> None:
    result = run("check", str(small_plan(tmp_path)), "--as-of", "2022-03-17", "--amber-days", "0")
    assert "  Widgets, row 6: Telephony, 'Build' is due 17/03/2022, today." in result.stdout


# --------------------------------------------------------------------------- the command

COUNTS_LINE = re.compile(r": \d+ errors?, \d+ warnings?, \d+ info$")


@pytest.fixture(scope="module")
def text(sample_path: Path) -> list[str]:
    result = run("check", str(sample_path), "--as-of", "2022-03-17")
    assert result.exit_code == 1, result.output
    return result.stdout.splitlines()


def test_check_text_ends_with_the_board_summary_then_the_counts_line(text: list[str]) -> None:
    start = text.index("Board summary as of 17/03/2022 (amber: due within 30 days)")
    board = text[start:-1]
    assert COUNTS_LINE.search(text[-1])
    assert board[-1] == ""
    assert not any(re.search(r"\bPB\d{3}\b", line) for line in board)
    assert "Late: 9 milestones:" in board
    assert "Due in the next 30 days: 7 milestones:" in board


def test_check_text_counts_each_services_items_by_rag(text: list[str]) -> None:
    assert [line for line in text if line.startswith("  ") and " items (" in line] == [
        "  Customer Services: 6 items (10 milestones): 2 red, 0 amber, 1 green, 0 complete, "
        "3 with no date to judge by.",
        "  Revenues and Benefits: 6 items (30 milestones): 2 red, 0 amber, 4 green, 0 complete.",
        "  Land Charges: 2 items (5 milestones): 0 red, 0 amber, 2 green, 0 complete.",
        "  IT: 37 items (47 milestones): 3 red, 0 amber, 3 green, 17 complete, "
        "14 with no date to judge by.",
    ]


LATE_LINE = re.compile(r"  ([^,]+), row (\d+): .* was due (\S+), (\d+) days late\.")


def test_check_text_names_each_late_milestone(text: list[str]) -> None:
    late = [match.groups() for line in text if (match := LATE_LINE.fullmatch(line))]
    assert late == [(sheet, str(row), uk(due), str(days)) for sheet, row, due, days in LATE]


def test_check_text_names_the_milestone_of_a_late_row(text: list[str]) -> None:
    assert (
        "  Revenues and Benefits, row 41: Access to L&D Hub, 'Testing phase' "
        "was due 15/03/2022, 2 days late."
    ) in text


def test_check_json_summary_is_the_librarys(sample_path: Path, sample_plan: Plan) -> None:
    result = run("check", str(sample_path), "--format", "json", "--as-of", "2022-03-17")
    summary = json.loads(result.stdout)["summary"]
    assert {"as_of", "amber_days", "services", "late", "due_soon"} <= set(summary)
    library = check_plan(sample_plan, settings=Settings(as_of=AS_OF)).summary()
    assert summary == json.loads(json.dumps(library))


def test_as_of_may_be_written_day_first(sample_path: Path) -> None:
    iso = run("check", str(sample_path), "--format", "json", "--as-of", "2022-03-17")
    uk_style = run("check", str(sample_path), "--format", "json", "--as-of", "17/03/2022")
    assert json.loads(uk_style.stdout)["summary"] == json.loads(iso.stdout)["summary"]


def test_amber_days_0_empties_due_soon_for_the_sample(sample_path: Path) -> None:
    result = run(
        "check", str(sample_path), "--format", "json", "--as-of", "2022-03-17", "--amber-days", "0"
    )
    summary = json.loads(result.stdout)["summary"]
    assert (summary["amber_days"], summary["due_soon"], len(summary["late"])) == (0, [], 9)


@pytest.mark.parametrize(
    "options",
    [
        ["--as-of", "2022-02-30"],
        ["--as-of", "17 March 2022"],
        ["--as-of", "tomorrow"],
        ["--as-of", ""],
        ["--amber-days", "-1"],
        ["--amber-days", "soon"],
    ],
)
def test_a_bad_option_exits_2_with_one_line(sample_path: Path, options: list[str]) -> None:
    result = run("check", str(sample_path), *options)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("planbook: error: ")
    assert options[0] in lines[0]
