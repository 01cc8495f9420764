"""Reading ahead: a big workbook's sheets scanned in a child process while ``check``
imports pandas and pandera (docs/reading.md, "How the file is read").

Each test runs in a fresh interpreter: the child is forked only from a process with no
other thread, and the test runner's has them. There the size from which a workbook is
scanned ahead is lowered to nothing, so that the sample and small workbooks are.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from hostile_files import (
    MILESTONE,
    cell_replaced,
    inline_cell,
    plan_rows,
    plan_workbook,
    rezip,
    row_added,
)
from test_hostile import SPARSE
from test_read_nonstandard import SHEET as NONSTANDARD_SHEET
from test_read_nonstandard import (
    WORKBOOK_RELS,
    Parts,
    base_workbook,
    sheet_range,
    utf16,
    variant,
    workbook_moved,
)
from workbooks import SAMPLE_WORKBOOK, write_workbook

_SCANNED_AHEAD = """
import os, sys
sys.modules.setdefault("hypothesis", None)
import planbook.read, planbook.scan_ahead
from planbook.read import read_workbook, reading_ahead
planbook.scan_ahead.SCAN_AHEAD_BYTES = 0
path = sys.argv[1]
"""


def _run(code: str, *args: str | Path | int) -> list[str]:
    """What the code printed, a line each, run after ``_SCANNED_AHEAD``."""
    ran = subprocess.run(
        [sys.executable, "-c", _SCANNED_AHEAD + code, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,  # a read ahead that hangs fails here, not the whole suite
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.splitlines()


def test_a_workbook_scanned_ahead_reads_as_read_workbook_reads_it() -> None:
    """Read once, with the child's scans as they come: not started over."""
    printed = _run(
        "reads = []\n"
        "def noted(path, ahead, read=planbook.read._read_archive):\n"
        "    reads.append('ahead' if ahead is not None else 'ordinary')\n"
        "    return read(path, ahead)\n"
        "planbook.read._read_archive = noted\n"
        "with reading_ahead(path) as workbook:\n"
        "    print(workbook.forked)\n"
        "    plan = workbook.read()\n"
        "print(reads)\n"
        "print(plan == read_workbook(path))\n",
        SAMPLE_WORKBOOK,
    )
    assert printed == ["True", "['ahead']", "True"]


def test_the_child_is_ended_and_waited_for_when_the_workbook_is_never_read() -> None:
    printed = _run(
        "with reading_ahead(path) as workbook:\n"
        "    print(workbook.forked)\n"
        "try:\n"
        "    os.waitpid(-1, os.WNOHANG)\n"
        "except ChildProcessError:\n"
        "    print('no child left')\n",
        SAMPLE_WORKBOOK,
    )
    assert printed == ["True", "no child left"]


def test_a_workbook_replaced_after_its_scan_is_read_as_it_is_now(tmp_path: Path) -> None:
    """The child's scans are of the file it opened: a lead saving meanwhile (a new file
    in its place) gets the new file's fills, scanned again."""
    path = write_workbook(
        tmp_path / "plan.xlsx", {"Plan": plan_rows()}, fills={("Plan", "M5"): "FF0000"}
    )
    saved = write_workbook(
        tmp_path / "saved.xlsx", {"Plan": plan_rows()}, fills={("Plan", "N5"): "00B050"}
    )
    printed = _run(
        "import shutil\n"
        "with reading_ahead(path) as workbook:\n"
        "    print(workbook.forked)\n"
        "    os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)  # scanned, not yet waited for\n"
        "    shutil.copyfile(sys.argv[2], path + '.new')\n"
        "    os.replace(path + '.new', path)\n"
        "    plan = workbook.read()\n"
        "print(plan == read_workbook(path))\n"
        "print(plan.sheets[0].last_column)\n",
        path,
        saved,
    )
    assert printed == ["True", "True", "14"]  # to the fill at N5, not the one at M5


#: Prints whether a child was forked, then whether reading ahead came to what
#: ``read_workbook`` comes to (the plan, or the one line of its error), then what it was.
_SAME_OUTCOME = """
from planbook.errors import UnreadableWorkbookError
def outcome(read):
    try:
        return read()
    except UnreadableWorkbookError as error:
        return str(error)
with reading_ahead(path) as workbook:
    print(workbook.forked)
    ahead = outcome(workbook.read)
print(ahead == outcome(lambda: read_workbook(path)))
print(ahead if isinstance(ahead, str) else "a plan")
"""


def test_a_sheet_the_child_cannot_scan_gives_read_workbooks_one_line(tmp_path: Path) -> None:
    """A bad CRC in the sheet: the child stops short; the read starts over, scanning the
    sheets itself, and gives ``read_workbook``'s error."""
    stored = rezip(
        plan_workbook(tmp_path / "plan.xlsx"), tmp_path / "bad.xlsx", compression=zipfile.ZIP_STORED
    )
    data = stored.read_bytes()
    assert data.count(b"<sheetData>") == 1
    stored.write_bytes(data.replace(b"<sheetData>", b"<sheetDatb>"))
    forked, same, said = _run(_SAME_OUTCOME, stored)
    assert (forked, same) == ("True", "True")
    assert "Bad CRC-32" in said


def test_a_child_that_stops_after_a_sheet_leaves_the_rest_to_the_reader() -> None:
    """The child hands over the file's identity and the first sheet's scan, then ends:
    the read starts over and comes to the same plan."""
    stopping = (
        "def stopping(zipped, vetted, scans=planbook.scan_ahead._scans_in_turn):\n"
        "    handed = scans(zipped, vetted)\n"
        "    yield next(handed)\n"
        "    yield next(handed)\n"
        "    raise RuntimeError('the child stops here')\n"
        "planbook.scan_ahead._scans_in_turn = stopping\n"
    )
    assert _run(stopping + _SAME_OUTCOME, SAMPLE_WORKBOOK) == ["True", "True", "a plan"]


@pytest.mark.parametrize(
    "change",
    [
        utf16(NONSTANDARD_SHEET),  # a sheet calamine reads only from a copy
        sheet_range(b'<dimension ref="1:6"/>'),  # a dimension calamine refuses
        workbook_moved("excel", "book.xml"),  # a package laid out otherwise
    ],
    ids=["utf16-sheet", "partial-dimension", "workbook-moved"],
)
def test_a_package_read_from_a_copy_reads_as_read_workbook_reads_it(
    tmp_path: Path, change: Callable[[Parts], Parts]
) -> None:
    path = variant(base_workbook(tmp_path / "base.xlsx"), change)
    assert _run(_SAME_OUTCOME, path) == ["True", "True", "a plan"]


def styles_moved(parts: Parts) -> Parts:
    """The styles part at ``xl/other/styles.xml``: calamine, reading the file itself,
    would miss the number formats that make a date."""
    moved = {**parts, "xl/other/styles.xml": parts["xl/styles.xml"]}
    del moved["xl/styles.xml"]
    rels, types = moved[WORKBOOK_RELS], moved["[Content_Types].xml"]
    moved[WORKBOOK_RELS] = rels.replace(b'Target="styles.xml"', b'Target="other/styles.xml"')
    moved["[Content_Types].xml"] = types.replace(b"/xl/styles.xml", b"/xl/other/styles.xml")
    return moved


def test_a_styles_part_elsewhere_reads_its_dates_as_read_workbook_does(tmp_path: Path) -> None:
    """A package calamine would read wrong, not fail on: it must never be read ahead."""
    path = variant(base_workbook(tmp_path / "base.xlsx"), styles_moved)
    printed = _run(
        _SAME_OUTCOME + "print([c.value for c in ahead.plan_sheets[0].cells() if c.row == 6][1])\n",
        path,
    )
    assert printed == ["True", "True", "a plan", "2022-10-31"]


def test_an_error_is_the_one_read_workbook_meets_first(tmp_path: Path) -> None:
    """The first sheet's value breaks calamine, the third has a cell beyond Excel's
    limits: the ordinary read checks every sheet's extent before it reads any, so its
    error names the third sheet; reading ahead must too."""
    due = [*MILESTONE[:3], dt.date(2022, 9, 30), *MILESTONE[4:]]
    sheets = {"Plan": plan_rows("Test", due), "Middle": plan_rows(), "Far": plan_rows()}
    source = write_workbook(tmp_path / "three.xlsx", sheets)
    rezip(
        source,
        tmp_path / "plan.xlsx",
        replace={
            "xl/worksheets/sheet1.xml": cell_replaced("D5", b'<c r="D5" s="1"><v>-1e308</v></c>'),
            "xl/worksheets/sheet3.xml": row_added(
                b'<row r="99999999999">' + inline_cell("A99999999999", "T1") + b"</row>"
            ),
        },
    )
    forked, same, said = _run(_SAME_OUTCOME, tmp_path / "plan.xlsx")
    assert (forked, same) == ("True", "True")
    assert "sheet 'Far' has a cell beyond Excel's limits" in said


def test_big_scans_comments_and_a_chart_sheet_read_as_read_workbook_reads_them(
    tmp_path: Path,
) -> None:
    """Three plan sheets of 30,000 coloured blank cells each (each scan far more than a
    pipe holds), a note and a formula never calculated on each, a chart sheet among them."""
    import openpyxl
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    red = PatternFill(fill_type="solid", fgColor="FF0000")
    for number in range(3):
        sheet = workbook.create_sheet(f"Plan{number}")
        for row in plan_rows(f"Service {number}"):
            sheet.append(row)
        for row in range(10, 6010):
            for column in range(12, 17):
                sheet.cell(row, column).fill = red
        sheet["B7"] = "=SUM(1,2)"
        sheet["C7"].comment = Comment("a note", "lead")
        if number == 0:
            chart = BarChart()
            chart.add_data(Reference(sheet, min_col=1, min_row=1, max_row=3))
            workbook.create_chartsheet("Chart").add_chart(chart)
    workbook.save(tmp_path / "big.xlsx")
    assert _run(_SAME_OUTCOME, tmp_path / "big.xlsx") == ["True", "True", "a plan"]


@pytest.mark.parametrize("name", ["row-99999999999", "column-ZZZZZZZ-after-a-tab"])
def test_a_sheet_beyond_excels_limits_gives_read_workbooks_one_line(
    tmp_path: Path, name: str
) -> None:
    forked, same, said = _run(_SAME_OUTCOME, SPARSE[name](tmp_path))
    assert (forked, same) == ("True", "True")
    assert "beyond Excel's limits" in said


def test_a_sparse_sheet_too_big_for_a_grid_reads_as_read_workbook_reads_it(
    tmp_path: Path,
) -> None:
    assert _run(_SAME_OUTCOME, SPARSE["cell-XFD1048576"](tmp_path)) == ["True", "True", "a plan"]


def test_no_child_is_forked_while_another_thread_runs() -> None:
    another_thread = (
        "import threading\ngo = threading.Event()\nthreading.Thread(target=go.wait).start()\n"
    )
    printed = _run(another_thread + _SAME_OUTCOME + "go.set()\n", SAMPLE_WORKBOOK)
    assert printed == ["False", "True", "a plan"]


def test_no_child_is_forked_beside_a_thread_python_does_not_know_of() -> None:
    """faulthandler's watchdog is a C thread: ``threading`` counts one thread, /proc two."""
    watchdog = (
        "import faulthandler, threading\n"
        "faulthandler.dump_traceback_later(600)\n"
        "assert threading.active_count() == 1\n"
    )
    assert _run(watchdog + _SAME_OUTCOME, SAMPLE_WORKBOOK) == ["False", "True", "a plan"]


def test_no_child_is_forked_by_a_process_that_reaps_its_children_itself() -> None:
    reaping = "import signal\nsignal.signal(signal.SIGCHLD, signal.SIG_IGN)\n"
    assert _run(reaping + _SAME_OUTCOME, SAMPLE_WORKBOOK) == ["False", "True", "a plan"]


def test_a_small_workbook_is_not_scanned_ahead() -> None:
    small = "planbook.scan_ahead.SCAN_AHEAD_BYTES = os.path.getsize(path) + 1\n"
    assert _run(small + _SAME_OUTCOME, SAMPLE_WORKBOOK) == ["False", "True", "a plan"]


def test_the_check_command_scanning_ahead_finds_what_it_finds_without(tmp_path: Path) -> None:
    """``planbook check`` of several workbooks, the first scanned ahead: the same JSON,
    finding for finding, as with no child."""
    second = shutil.copyfile(SAMPLE_WORKBOOK, tmp_path / "second.xlsx")
    command = (
        "import planbook.cli\n"
        "forked = []\n"
        "opened = planbook.read.ReadAhead.__init__\n"
        "def noted(self, *args):\n"
        "    opened(self, *args)\n"
        "    forked.append(self.forked)\n"
        "planbook.read.ReadAhead.__init__ = noted\n"
        "planbook.scan_ahead.SCAN_AHEAD_BYTES = int(sys.argv[3])\n"
        "sys.argv[1:] = ['check', path, sys.argv[2], '--as-of', '2022-03-17', '--format', 'json']\n"
        "try:\n"
        "    planbook.cli.main()\n"
        "except SystemExit:\n"
        "    print(forked)\n"
    )
    runs = {}
    for threshold in (0, 10**12):
        *report, forked = _run(command, SAMPLE_WORKBOOK, second, threshold)
        runs[forked] = json.loads("\n".join(report))
    assert sorted(runs) == ["[False]", "[True]"]
    assert runs["[True]"] == runs["[False]"]
    assert [bool(report["findings"]) for report in runs["[True]"]["files"]] == [True, True]
