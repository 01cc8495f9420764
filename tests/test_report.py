"""`planbook report`: the month's board pack as one self-contained HTML file.

The figures come from the library (``check``'s board summary, ``consolidate``'s changes),
the pack only draws them: the tests compare the two. The printed pack is checked in a
real browser: headless chromium prints it to PDF, ``pdftoppm`` renders the pages, and
the PNGs are kept in out/browser/ to be looked at.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from browser import ARTEFACTS, TIMEOUT, external_references, needs_chromium, print_to_pdf
from hostile_files import plan_rows
from planbook.check import check_workbook
from planbook.cli import cli
from planbook.consolidate import consolidate
from planbook.derive import Settings
from planbook.report import board_pack, render_report, write_report
from workbooks import SAMPLE_WORKBOOK, SAMPLES, write_workbook

MARCH, FEBRUARY = dt.date(2022, 3, 17), dt.date(2022, 2, 17)
SERVICES = sorted((SAMPLES / "services").glob("*.xlsx"))


@pytest.fixture(scope="module")
def sample_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    output = tmp_path_factory.mktemp("report") / "board.html"
    write_report([SAMPLE_WORKBOOK], output, settings=Settings(as_of=MARCH))
    return output.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def two_months(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """March's pack of the four service workbooks, February's board as --previous, IT's
    CMDB milestone (row 55) Complete since."""
    folder = tmp_path_factory.mktemp("months")
    february = consolidate(SERVICES, folder / "february.xlsx", settings=Settings(as_of=FEBRUARY))
    workbook = openpyxl.load_workbook(SAMPLES / "services" / "it.xlsx")
    workbook["IT"]["H55"] = "Complete"
    workbook.save(folder / "it.xlsx")
    inputs = [p if p.name != "it.xlsx" else folder / "it.xlsx" for p in SERVICES]
    output = folder / "march.html"
    write_report(inputs, output, previous=february.output, settings=Settings(as_of=MARCH))
    return output


def cells(html: str, section: str) -> list[list[str]]:
    """The rows (cell texts) of the table under the heading that starts with ``section``."""
    start = html.index(f"<h2>{section}")
    end = html.find("<h2>", start + 4)
    block = html[start : end if end != -1 else len(html)]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", block)
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
        for row in rows
    ]


def test_the_pack_counts_what_check_counts() -> None:
    summary = check_workbook(SAMPLE_WORKBOOK, settings=Settings(as_of=MARCH)).summary()
    pack = board_pack([SAMPLE_WORKBOOK], settings=Settings(as_of=MARCH))
    assert pack.figures.summary == {key: summary[key] for key in pack.figures.summary}
    assert pack.title == "Annual Plan 2022/3"


def test_the_late_list_is_the_summarys_late_milestones_latest_first(sample_page: str) -> None:
    rows = cells(sample_page, "Late")
    assert rows[0] == ["Service", "Item", "Milestone", "Due", "Days late"]
    assert [(row[0], row[3], row[4]) for row in rows[1:4]] == [
        ("IT", "31/01/2020", "776"),
        ("IT", "31/03/2020", "716"),
        ("IT", "30/06/2020", "625"),
    ]
    assert len(rows) == 1 + 9


def test_due_soon_and_the_disagreements_are_listed(sample_page: str) -> None:
    due = cells(sample_page, "Due in the next 30 days: 7")
    assert [row[4] for row in due[1:]] == ["14", "14", "14", "15", "15", "15", "15"]
    disagree = cells(sample_page, "Declared and derived RAG disagree")
    assert [(row[0], row[1], row[4], row[5]) for row in disagree[1:]] == [("IT", "I34", "G", "B")]


def test_each_service_and_council_has_its_bar(sample_page: str) -> None:
    for name in ("Customer Services", "Revenues and Benefits", "Land Charges", "IT"):
        assert f">{name}</text>" in sample_page
    assert "Hart District Council</text>" in sample_page
    # IT: 3 red, 3 green, 17 complete, 14 with no date: 37 items.
    assert re.search(r"IT: 17 complete</title>", sample_page)
    assert ">37</text>" in sample_page


def test_one_month_says_the_trend_needs_last_months_board(sample_page: str) -> None:
    assert "The History holds this month only" in sample_page
    assert "Give last month's board workbook (--previous) to see what changed" in sample_page


def test_the_page_stands_alone(sample_page: str) -> None:
    assert external_references(sample_page) == []
    assert "<script" not in sample_page.lower()
    assert sample_page.count("<style>") == 1


def test_the_reference_finder_finds_what_it_is_for() -> None:
    page = (
        '<link rel="stylesheet" href="x.css"><img src="https://x/y.png">'
        '<svg><image xlink:href="a.png"/></svg><style>@import "b.css";</style>'
        '<p style="color:red" onclick="go()">x</p>'
    )
    assert external_references(page) == [
        "<link>",
        "link href=x.css",
        "<img>",
        "img src=https://x/y.png",
        "<image>",
        "image xlink:href=a.png",
        "a stylesheet loading something",
        "p style= (inline style attribute)",
        "p onclick=go()",
    ]


def test_with_last_months_board_the_pack_shows_the_changes_and_the_trend(
    two_months: Path,
) -> None:
    html = two_months.read_text(encoding="utf-8")
    changes = cells(html, "Changes since last month")
    assert changes[1][:2] == ["IT", "CMDB"]
    assert "Started → Complete" in changes[1][4]
    assert ">17 Feb 22</text>" in html and ">17 Mar 22</text>" in html
    assert "The History holds this month only" not in html


def test_workbook_text_is_shown_as_text_never_markup(tmp_path: Path) -> None:
    hostile = [
        "T1",
        "<script>alert('x')</script>",
        '=HYPERLINK("http://evil.example","click")',
        "31/01/22",
        "Capita",
        "Service",
        "All",
        "Started",
        "G",
        "",
    ]
    path = write_workbook(tmp_path / "plan.xlsx", {"Plan<marquee>": plan_rows("Test", hostile)})
    html = render_report(board_pack([path], settings=Settings(as_of=MARCH)))
    assert "<script>" not in html and "<marquee>" not in html
    assert "Plan&lt;marquee&gt;" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;)" in html
    assert external_references(html) == []


def test_the_command_writes_the_pack(tmp_path: Path) -> None:
    output = tmp_path / "board.html"
    args = ["report", *map(str, SERVICES), "-o", str(output), "--as-of", "2022-03-17"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {output}: the board report of 4 service(s).\n"
    assert "Board report: Annual Plan 2022/23" in output.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("output", "words"),
    [("board.xlsx", "the board report is HTML"), ("plan.html", "not an Excel .xlsx workbook")],
)
def test_the_command_exits_2_with_one_line(tmp_path: Path, output: str, words: str) -> None:
    (tmp_path / "plan.html").write_text("not a workbook", encoding="utf-8")
    source = tmp_path / "plan.html" if output == "plan.html" else SAMPLE_WORKBOOK
    target = tmp_path / ("out.html" if output == "plan.html" else output)
    result = CliRunner().invoke(cli, ["report", str(source), "-o", str(target)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("planbook: error: ") and words in lines[0]
    assert not target.exists()


@needs_chromium
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler) is missing")
def test_the_pack_prints_to_two_a4_landscape_pages(two_months: Path, tmp_path: Path) -> None:
    pdf = print_to_pdf(two_months, tmp_path / "board.pdf", tmp_path / "profile")
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=TIMEOUT
    ).stdout
    assert re.search(r"^Pages:\s+2$", info, re.MULTILINE), info
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTEFACTS.glob("report-page-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", str(pdf), str(ARTEFACTS / "report-page")],
        check=True,
        timeout=TIMEOUT,
    )
    pages = sorted(ARTEFACTS.glob("report-page-*.png"))
    assert len(pages) == 2
    assert all(page.stat().st_size > 20_000 for page in pages)  # drawn, not blank


def test_the_optimistic_disagreements_are_the_checks_pb301_findings() -> None:
    """One rule of which declared RAG answers for what, for the report and the check."""
    settings = Settings(as_of=dt.date(2022, 3, 17))
    pack = board_pack([SAMPLE_WORKBOOK], settings=settings)
    report = check_workbook(SAMPLE_WORKBOOK, settings=settings)
    optimistic = {(d.sheet, d.cell) for d in pack.disagreements if d.optimistic}
    assert optimistic == {(f.sheet, f.cell) for f in report.findings if f.code == "PB301"}


def test_a_first_row_speaking_for_its_item_disagrees_with_the_items_rag(tmp_path: Path) -> None:
    """G on the item's row, the item's other milestone late: the item is R, not its row."""
    header = ["Ref", "Description", "Milestones", "Due Dates", "Lead",
              "Links to Service Outcomes", "Councils Impacted", "Delivery Status", "RAG",
              "Progress"]  # fmt: skip
    rows = [
        ["Annual Plan for:", "Widgets 2021/22"],
        [],
        ["Part 2 - Annual Plan Items"],
        header,
        ["W1", "Payroll", "Design", "30/09/22", "Capita", "CI", "All", "Started", "G", "Fine"],
        [None, None, "Build", "31/01/22", "Capita", "CI", "All", "Started", None, "Late"],
    ]
    plan = write_workbook(tmp_path / "plan.xlsx", {"Widgets": rows})
    pack = board_pack([plan], settings=Settings(as_of=dt.date(2022, 3, 17)))
    assert [(d.cell, d.declared, d.derived) for d in pack.disagreements] == [("I5", "G", "R")]
