"""`planbook consolidate`: the month's board workbook from the services' workbooks.

March is the four per-service sample workbooks consolidated as of the JTB review,
17 March 2022. April is the same with one edit by IT's lead (CMDB's milestone Started ->
Complete, Skype for Business/Teams' due date slipped from 31/03/2020 to 30/04/2020),
consolidated as of 14 April 2022 with March's board workbook as --previous. The board
workbooks are read back with openpyxl, not with planbook, except where the plan itself
is compared.
"""

from __future__ import annotations

import datetime as dt
import os
import pty
import re
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

import planbook
from planbook.cli import cli
from planbook.consolidate import ConsolidateResult, consolidate, split_update
from planbook.derive import Settings
from planbook.errors import PlanbookError
from planbook.export import export_records
from planbook.model import Cell
from workbooks import SAMPLES, write_workbook

SERVICES_DIR = SAMPLES / "services"
INPUTS = [
    SERVICES_DIR / f"{name}.xlsx"
    for name in ("customer_services", "revenues_and_benefits", "land_charges", "it")
]
SERVICE_SHEETS = ["Customer Services", "Revenues and Benefits", "Land Charges", "IT"]
MARCH, APRIL = dt.date(2022, 3, 17), dt.date(2022, 4, 14)


def midnight(day: dt.date) -> dt.datetime:
    """A date as openpyxl reads it back from a cell."""
    return dt.datetime.combine(day, dt.time())


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def rows_of(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    """The sheet's rows with anything in them, trailing empty cells dropped."""
    worksheet = openpyxl.load_workbook(path)[sheet]
    rows = []
    for values in worksheet.iter_rows(values_only=True):
        cells = list(values)
        while cells and cells[-1] in (None, ""):
            cells.pop()
        if cells:
            rows.append(tuple(cells))
    return rows


def block(rows: list[tuple[Any, ...]], title: str) -> list[tuple[Any, ...]]:
    """The rows under a cover table's title, its header first, up to the next title."""
    start = rows.index((title,)) + 1
    end = next((n for n in range(start, len(rows)) if len(rows[n]) == 1), len(rows))
    return rows[start:end]


def edited_it(target: Path) -> Path:
    """IT's workbook with April's edits: a status change and a 30-day slip."""
    workbook = openpyxl.load_workbook(SERVICES_DIR / "it.xlsx")
    workbook["IT"]["H55"] = "Complete"  # CMDB, was Started
    workbook["IT"]["D59"] = dt.datetime(2020, 4, 30)  # Skype for Business/Teams, was 31/03/2020
    workbook.save(target)
    return target


@pytest.fixture(scope="module")
def march(tmp_path_factory: pytest.TempPathFactory) -> ConsolidateResult:
    output = tmp_path_factory.mktemp("march") / "board.xlsx"
    return consolidate(INPUTS, output, settings=Settings(as_of=MARCH))


@pytest.fixture(scope="module")
def april(tmp_path_factory: pytest.TempPathFactory, march: ConsolidateResult) -> ConsolidateResult:
    folder = tmp_path_factory.mktemp("april")
    inputs = [*INPUTS[:3], edited_it(folder / "it.xlsx")]
    return consolidate(
        inputs, folder / "board.xlsx", previous=march.output, settings=Settings(as_of=APRIL)
    )


# --------------------------------------------------------------------------- the plan


def test_the_four_service_workbooks_make_the_same_plan_as_the_whole_sample(
    march: ConsolidateResult, sample_path: Path
) -> None:
    """Row for row the same, status written in its canonical spelling as `format` does."""
    settings = Settings(as_of=MARCH)

    def records(path: Path) -> list[dict[str, Any]]:
        found = export_records(planbook.read_workbook(path), settings)
        return sorted(found, key=lambda record: (record["sheet"], record["row"]))

    canonical = [
        {**record, "status": record["status_canonical"] or record["status"]}
        for record in records(sample_path)
    ]
    assert records(march.output) == canonical


def test_the_board_has_one_sheet_per_service_and_no_more(march: ConsolidateResult) -> None:
    names = openpyxl.load_workbook(march.output).sheetnames
    assert march.services == tuple(SERVICE_SHEETS)
    assert sorted(names) == sorted(
        ["Cover", "Summary", "History", *SERVICE_SHEETS, "Change Log", "Findings", "Legend"]
    )


def test_the_change_log_lists_the_spellings_made_canonical(march: ConsolidateResult) -> None:
    rows = rows_of(march.output, "Change Log")
    assert rows[0][:5] == ("sheet", "cell", "field", "old", "new")
    assert [row[:5] for row in rows[1:3]] == [
        ("IT", "H19", "status", "WIP", "Started"),
        ("IT", "H46", "status", "In progress", "Started"),
    ]
    assert len(rows) == 1 + 15


# --------------------------------------------------------------------------- the cover


def test_the_cover_is_regenerated_with_version_control_and_configuration_control(
    march: ConsolidateResult,
) -> None:
    assert rows_of(march.output, "Cover") == [
        ("Annual Plan",),
        ("2022/23",),
        ("Version Control",),
        ("Version", "Changes", "Agreed By", "Date of Review"),
        (1, "Board workbook as of 17/03/2022", None, midnight(MARCH)),
        ("Configuration Control",),
        ("Plan for", "Date of Last Update", "Last Update by:", "SIG Review Date",
         "Version Agreed Under"),
        # each from its sheet's header block: Last Update (Date and Who by), JTB Review
        ("Customer Services", dt.datetime(2022, 2, 14), "G Stemp", midnight(MARCH)),
        ("Revenues and Benefits", dt.datetime(2022, 3, 7), "MG / DR", midnight(MARCH)),
        ("Land Charges", dt.datetime(2022, 2, 11), "Christopher James", midnight(MARCH)),
        ("IT", dt.datetime(2022, 3, 7), "Paul Merrick", midnight(MARCH)),
    ]  # fmt: skip


SPLITS = [  # Last Update (Date and Who by) -> date of last update, by whom
    ("Paul Merrick 7/3/22", dt.date(2022, 3, 7), "Paul Merrick"),
    ("14-Feb-2022; G Stemp", dt.date(2022, 2, 14), "G Stemp"),
    ("7 March 2022 (MG / DR)", dt.date(2022, 3, 7), "MG / DR"),
    ("11 February 2022 - Christopher James", dt.date(2022, 2, 11), "Christopher James"),
    ("G Stemp, 14/02/2022", dt.date(2022, 2, 14), "G Stemp"),
    ("07.03.2022 Ann Lee", dt.date(2022, 3, 7), "Ann Lee"),
    ("Ann Lee 7 Mar 22", dt.date(2022, 3, 7), "Ann Lee"),
    ("2022-03-07 Ann Lee", dt.date(2022, 3, 7), "Ann Lee"),
    (dt.date(2022, 3, 7), dt.date(2022, 3, 7), ""),
    ("Ann Lee", "", "Ann Lee"),
    ("March 2022 Ann Lee", "", "March 2022 Ann Lee"),  # no day: kept whole, as who
    ("31/02/2022 Ann Lee", "", "31/02/2022 Ann Lee"),  # no such day
]


@pytest.mark.parametrize(("text", "when", "who"), SPLITS, ids=[str(s[0]) for s in SPLITS])
def test_split_update_takes_the_date_out_and_leaves_who(text: Any, when: Any, who: str) -> None:
    assert split_update(Cell(3, 2, text)) == (when, who)


def test_split_update_of_no_cell_is_nothing() -> None:
    assert split_update(None) == ("", "")


def test_last_months_titles_and_version_agreed_under_are_carried(tmp_path: Path) -> None:
    """A board member retitled March's cover and agreed IT's plan under version 1."""
    march = consolidate(INPUTS, tmp_path / "march.xlsx", settings=Settings(as_of=MARCH))
    workbook = openpyxl.load_workbook(march.output)
    cover = workbook["Cover"]
    cover["A1"] = "Annual Plan - Five Councils"
    it_row = next(row for row in cover.iter_rows() if row[0].value == "IT")
    it_row[4].value = 1
    workbook.save(tmp_path / "march.xlsx")
    consolidate(
        INPUTS, tmp_path / "april.xlsx", previous=march.output, settings=Settings(as_of=APRIL)
    )
    rows = rows_of(tmp_path / "april.xlsx", "Cover")
    assert rows[:2] == [("Annual Plan - Five Councils",), ("2022/23",)]
    assert [(row[0], row[4:]) for row in block(rows, "Configuration Control")[1:]] == [
        ("Customer Services", ()),
        ("Revenues and Benefits", ()),
        ("Land Charges", ()),
        ("IT", (1,)),
    ]


# --------------------------------------------------------------------------- the summary

SUMMARY_SERVICES = [  # as test_board.SERVICES: items by derived RAG, R A G B no date, items
    ("Customer Services", 2, 0, 1, 0, 3, 6, 10),
    ("Revenues and Benefits", 2, 0, 4, 0, 0, 6, 30),
    ("Land Charges", 0, 0, 2, 0, 0, 2, 5),
    ("IT", 3, 0, 3, 17, 14, 37, 47),
]


def test_the_summary_has_its_tables(march: ConsolidateResult) -> None:
    rows = rows_of(march.output, "Summary")
    assert rows[0] == ("Board summary as of 17/03/2022 (amber: due within 30 days)",)
    assert rows[1:6] == [
        ("Service", "R", "A", "G", "B", "no date", "items", "milestones"),
        *SUMMARY_SERVICES,
    ]
    assert rows[6] == ("Council", "R", "A", "G", "B", "no date", "items")
    assert [row[0] for row in rows[7:12]] == [
        "Hart District Council",
        "Havant Borough Council",
        "Mendip District Council",
        "South Oxfordshire District Council",
        "Vale of White Horse District Council",
    ]
    late = rows.index(("Late",))
    assert rows[late + 1] == ("Service", "Due", "Days late", "Status", "Item: milestone")
    assert [(row[0], row[2]) for row in rows[late + 2 : late + 11]] == [
        ("IT", 776),
        ("IT", 716),
        ("IT", 625),
        ("Customer Services", 45),
        ("Customer Services", 17),
        ("Revenues and Benefits", 17),
        ("Customer Services", 16),
        ("Revenues and Benefits", 16),
        ("Revenues and Benefits", 2),
    ]
    soon = rows.index(("Due in the next 30 days",))
    assert soon == late + 11
    assert [row[2] for row in rows[soon + 2 :]] == [14, 14, 14, 15, 15, 15, 15]


def chart_titles(path: Path) -> dict[str, str]:
    """Chart part -> its title, from the .xlsx zip."""
    with zipfile.ZipFile(path) as archive:
        return {
            name: "".join(re.findall(r"<a:t>([^<]*)</a:t>", archive.read(name).decode()))
            for name in archive.namelist()
            if re.fullmatch(r"xl/charts/chart\d+\.xml", name)
        }


def test_the_summary_has_two_charts_and_the_history_one(march: ConsolidateResult) -> None:
    assert sorted(chart_titles(march.output).values()) == [
        "Items by council",
        "Items by derived RAG",
        "Items by derived RAG, month by month",
    ]
    workbook = openpyxl.load_workbook(march.output)
    assert [len(workbook[name]._charts) for name in ("Summary", "History")] == [2, 1]


def test_the_history_chart_labels_its_months_as_dates(march: ConsolidateResult) -> None:
    """Its categories are the as-of dates; with the axis left at General, LibreOffice (and
    so the PDF sent to the board) labels them 44621, 44652: serial numbers."""
    with zipfile.ZipFile(march.output) as archive:
        charts = [archive.read(name).decode() for name in chart_titles(march.output)]
    trend = next(xml for xml in charts if "month by month" in xml)
    axis = re.search(r"<c:(catAx|dateAx)>.*?</c:\1>", trend)
    assert axis is not None
    number_format = re.search(r'<c:numFmt formatCode="([^"]*)"', axis.group())
    assert number_format is not None and "yy" in number_format.group(1), axis.group()


# --------------------------------------------------------------------------- a second month

HISTORY = [  # as of, service, items, R, A, G, B, no date
    (MARCH, "Customer Services", 6, 2, 0, 1, 0, 3),
    (MARCH, "IT", 37, 3, 0, 3, 17, 14),
    (MARCH, "Land Charges", 2, 0, 0, 2, 0, 0),
    (MARCH, "Revenues and Benefits", 6, 2, 0, 4, 0, 0),
    # April: CMDB is done (R -> B); Revenues and Benefits' April milestones are amber
    (APRIL, "Customer Services", 6, 2, 0, 1, 0, 3),
    (APRIL, "IT", 37, 2, 0, 3, 18, 14),
    (APRIL, "Land Charges", 2, 0, 0, 2, 0, 0),
    (APRIL, "Revenues and Benefits", 6, 2, 4, 0, 0, 0),
]


def history(path: Path) -> list[tuple[Any, ...]]:
    rows = rows_of(path, "History")
    assert rows[0][:8] == ("as of", "service", "items", "R", "A", "G", "B", "no date")
    return [(row[0].date(), *row[1:8]) for row in rows[1:]]


def test_the_history_of_the_first_month_is_its_own_rows(march: ConsolidateResult) -> None:
    assert history(march.output) == HISTORY[:4]


def test_a_second_month_carries_version_control_forward(april: ConsolidateResult) -> None:
    assert block(rows_of(april.output, "Cover"), "Version Control") == [
        ("Version", "Changes", "Agreed By", "Date of Review"),
        (1, "Board workbook as of 17/03/2022", None, midnight(MARCH)),
        (2, "Board workbook as of 14/04/2022", None, midnight(APRIL)),
    ]


def test_a_second_month_carries_the_history_forward_and_adds_its_own(
    april: ConsolidateResult,
) -> None:
    assert history(april.output) == HISTORY


def test_the_history_totals_each_month(april: ConsolidateResult) -> None:
    totals = [row[9:15] for row in rows_of(april.output, "History")[:3]]
    assert totals == [
        ("month", "R", "A", "G", "B", "no date"),
        (midnight(MARCH), 7, 0, 10, 17, 17),
        (midnight(APRIL), 6, 4, 6, 18, 17),
    ]


CHANGES = [  # kind, sheet, item, field, old, new, days, cell
    ("status_changed", "IT", "CMDB", "status", "Started", "Complete", None, "H55"),
    ("due_changed", "IT", "Skype for Business/Teams", "due", "2020-03-31", "2020-04-30", 30, "D59"),
]


def test_the_changes_sheet_lists_exactly_the_edits(april: ConsolidateResult) -> None:
    rows = rows_of(april.output, "Changes")
    assert rows[0] == ("kind", "sheet", "item", "milestone", "field", "old", "new", "days", "cell")
    shown = [
        (row[0].replace(" ", "_"), *row[1:3], *row[4:7], row[7] or None, row[8]) for row in rows[1:]
    ]
    assert shown == CHANGES  # kinds in words on the sheet: "status changed"
    assert [
        (c.kind, c.sheet, c.item, c.field, c.old, c.new, c.days, c.cell) for c in april.changes
    ] == CHANGES


def test_the_first_month_has_no_changes_sheet(march: ConsolidateResult) -> None:
    assert "Changes" not in openpyxl.load_workbook(march.output).sheetnames
    assert march.changes == ()


def test_running_a_month_again_replaces_its_history_rows(
    april: ConsolidateResult, tmp_path: Path
) -> None:
    """April's board as --previous for April again: its April rows are not doubled."""
    again = consolidate(
        [*INPUTS[:3], edited_it(tmp_path / "it.xlsx")],
        tmp_path / "again.xlsx",
        previous=april.output,
        settings=Settings(as_of=APRIL),
    )
    assert again.changes == ()
    assert history(again.output) == HISTORY


# --------------------------------------------------------------------------- what stops it


def copy_of(source: Path, target: Path, **renames: str) -> Path:
    """A copy of ``source``; ``renames`` maps a sheet's title to a new one."""
    workbook = openpyxl.load_workbook(source)
    for old, new in renames.items():
        workbook[old].title = new
    workbook.save(target)
    return target


def test_two_inputs_holding_the_same_service_stop_it(tmp_path: Path) -> None:
    """Revenues and Benefits 2022/23 (the sample's) is Revenues and Benefits (the copy's)."""
    copy = openpyxl.load_workbook(INPUTS[1])
    copy["Revenues and Benefits"].title = "R and B"
    copy["R and B"]["B1"] = "Revenues and Benefits"
    copy.save(tmp_path / "r_and_b.xlsx")
    output = tmp_path / "board.xlsx"
    with pytest.raises(PlanbookError) as error:
        consolidate([*INPUTS, tmp_path / "r_and_b.xlsx"], output, settings=Settings(as_of=MARCH))
    assert str(INPUTS[1]) in str(error.value)
    assert str(tmp_path / "r_and_b.xlsx") in str(error.value)
    assert not output.exists()


def test_an_unreadable_input_stops_it_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    output = tmp_path / "board.xlsx"
    with pytest.raises(PlanbookError, match=re.escape(str(broken))):
        consolidate([*INPUTS, broken], output, settings=Settings(as_of=MARCH))
    assert not output.exists()


def test_an_input_with_no_service_sheet_stops_it(tmp_path: Path) -> None:
    notes = write_workbook(tmp_path / "notes.xlsx", {"Notes": [["Call Paul about Azure"]]})
    output = tmp_path / "board.xlsx"
    with pytest.raises(PlanbookError, match=re.escape(f"{notes}: holds no service plan sheet")):
        consolidate([INPUTS[0], notes], output, settings=Settings(as_of=MARCH))
    assert not output.exists()


def test_last_months_board_is_left_as_it_was_when_it_stops(
    march: ConsolidateResult, tmp_path: Path
) -> None:
    output = tmp_path / "board.xlsx"
    output.write_bytes(march.output.read_bytes())
    with pytest.raises(PlanbookError):
        consolidate([INPUTS[0], INPUTS[0]], output, settings=Settings(as_of=APRIL))
    assert output.read_bytes() == march.output.read_bytes()


def test_the_output_being_an_input_stops_it(tmp_path: Path) -> None:
    it = copy_of(INPUTS[3], tmp_path / "it.xlsx")
    before = it.read_bytes()
    with pytest.raises(PlanbookError, match="is one of the inputs"):
        consolidate([INPUTS[0], it], it, settings=Settings(as_of=MARCH))
    assert it.read_bytes() == before


def test_a_sheet_that_is_not_a_plan_is_left_out_with_a_notice(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(INPUTS[3])
    workbook.create_sheet("Notes")["A1"] = "Call Paul about Azure"
    workbook.save(tmp_path / "it_notes.xlsx")
    result = consolidate(
        [*INPUTS[:3], tmp_path / "it_notes.xlsx"],
        tmp_path / "board.xlsx",
        settings=Settings(as_of=MARCH),
    )
    assert result.notices == (
        "it_notes.xlsx: sheet 'Notes' is not a service plan; not carried into the board workbook",
    )
    assert "Notes" not in openpyxl.load_workbook(result.output).sheetnames


# --------------------------------------------------------------------------- the command


def consolidate_args(output: Path, *extra: str, inputs: Sequence[Path] = INPUTS) -> list[str]:
    return ["consolidate", *map(str, inputs), "-o", str(output), "--as-of", "2022-03-17", *extra]


def test_the_command_exits_0_with_its_summary_line_and_nothing_on_stderr(tmp_path: Path) -> None:
    """Four inputs, but stderr is not a terminal: no progress bar."""
    output = tmp_path / "board.xlsx"
    result = run(*consolidate_args(output))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Wrote {output}: 4 service sheet(s); 8 error(s), 33 warning(s) in its Findings sheet.\n"
    )
    assert result.stderr == ""


def test_the_command_counts_the_changes_since_last_month(
    march: ConsolidateResult, tmp_path: Path
) -> None:
    inputs = [*INPUTS[:3], edited_it(tmp_path / "it.xlsx")]
    output = tmp_path / "board.xlsx"
    result = run(*consolidate_args(output, "--previous", str(march.output), inputs=inputs))
    assert result.exit_code == 0, result.output
    assert "; 2 change(s) since last month;" in result.stdout


def test_the_command_prints_each_notice_on_stderr(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(INPUTS[3])
    workbook.create_sheet("Notes")["A1"] = "Call Paul about Azure"
    workbook.save(tmp_path / "it_notes.xlsx")
    inputs = [INPUTS[0], tmp_path / "it_notes.xlsx"]
    result = run(*consolidate_args(tmp_path / "board.xlsx", inputs=inputs))
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "planbook: note: it_notes.xlsx: sheet 'Notes' is not a service plan; "
        "not carried into the board workbook\n"
    )


def test_the_command_exits_2_with_one_line_for_a_service_given_twice(tmp_path: Path) -> None:
    output = tmp_path / "board.xlsx"
    copy = copy_of(INPUTS[3], tmp_path / "it_copy.xlsx")
    result = run(*consolidate_args(output, inputs=[INPUTS[3], copy]))
    assert result.exit_code == 2
    assert result.stderr == (
        f"planbook: error: the service 'IT' is in both {INPUTS[3]} and {copy}; "
        "give each service once\n"
    )
    assert not output.exists()


def test_the_progress_bar_shows_on_a_terminal(tmp_path: Path) -> None:
    """With stderr a terminal (a pseudo-terminal here), the reading shows as a bar."""
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "planbook", "consolidate", *map(str, INPUTS),
             "-o", str(tmp_path / "board.xlsx"), "--as-of", "2022-03-17"],
            stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL,
            timeout=120, check=False,
        )  # fmt: skip
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: all is read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert result.returncode == 0
    assert b"Reading service workbooks" in shown
    assert b"Wrote" in result.stdout


def test_last_months_workbook_given_again_as_an_input_is_refused_however_it_is_spelt(
    tmp_path: Path,
) -> None:
    link = tmp_path / "it-link.xlsx"
    link.symlink_to(SERVICES_DIR / "it.xlsx")
    for spelling in (link, SERVICES_DIR / ".." / "services" / "it.xlsx"):
        result = run(
            "consolidate", str(SERVICES_DIR / "it.xlsx"), "-o", str(tmp_path / "board.xlsx"),
            "--previous", str(spelling),
        )  # fmt: skip
        assert result.exit_code == 2
        assert "is both an input and --previous" in result.output
    assert not (tmp_path / "board.xlsx").exists()


def test_the_plan_year_option_dates_the_changes_since_last_month(tmp_path: Path) -> None:
    """A plan whose title holds no year, and last month's board made without --plan-year:
    with --plan-year, `Annual, Q3` -> `Annual, Q4` is a 90-day slip."""

    def plan(name: str, due: str) -> Path:
        rows: list[list[Any]] = [
            ["Annual Plan for:", "Widgets"],
            [],
            ["Part 2 - Annual Plan Items"],
            ["Ref", "Description", "Milestones", "Due Dates", "Lead", "Links to Service Outcomes",
             "Councils Impacted", "Delivery Status", "RAG", "Progress"],
            ["W1", "Payroll", "Tender", due, "Capita", "CI", "All", "Started", "G", "On track"],
        ]  # fmt: skip
        return write_workbook(tmp_path / name, {"Widgets": rows})

    last = consolidate([plan("march.xlsx", "Annual, Q3")], tmp_path / "march-board.xlsx",
                       settings=Settings(as_of=MARCH))  # fmt: skip
    result = consolidate(
        [plan("april.xlsx", "Annual, Q4")],
        tmp_path / "april-board.xlsx",
        previous=last.output,
        settings=Settings(as_of=APRIL, plan_year=2022),
    )
    assert [(c.kind, c.days) for c in result.changes if c.field == "due"] == [("due_changed", 90)]


def test_the_cycle_collector_is_on_again_after_consolidate_however_it_went(
    tmp_path: Path,
) -> None:
    import gc

    consolidate(INPUTS[:1], tmp_path / "board.xlsx", settings=Settings(as_of=MARCH))
    assert gc.isenabled()
    with pytest.raises(PlanbookError):  # the same service twice
        consolidate([INPUTS[0], INPUTS[0]], tmp_path / "again.xlsx", settings=Settings(MARCH))
    assert gc.isenabled()
