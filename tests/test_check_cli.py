"""`planbook check`: exit codes, the four output formats, and one clear line when it cannot run.

Most tests use click's CliRunner; a few run the installed `planbook` command for real
(on the sample, and on a pseudo-terminal to see colour switched on and off).
"""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree as WrittenTree  # the oracle built; reading is defusedxml's

import pytest
from click.testing import CliRunner, Result
from defusedxml import ElementTree

from planbook import render
from planbook.check import check_workbook
from planbook.cli import cli
from planbook.display import escape_controls
from planbook.findings import Finding, Report
from planbook.render import render_text
from planbook.schemas import default_schemas_dir
from workbooks import PLAN_HEADER, SAMPLE_SHEETS, CellInput, write_workbook

SCHEMAS = default_schemas_dir()  # the defaults shipped in the package

HEADER: list[CellInput] = PLAN_HEADER


def milestone(councils: str = "All") -> list[CellInput]:
    """A milestone row's cells from Ref to Councils Impacted."""
    return ["T1", "Replace the telephony", "Go live", "30/09/22", "Capita", "Service", councils]


def plan(tmp_path: Path, status: str = "Complete", councils: str = "All") -> Path:
    """A one-item plan whose only questionable cells are its status and councils. Complete
    by default, so the RAG derived from its due date does not depend on the day."""
    row = [*milestone(councils), status, "", "Live since September"]
    rows = [["Annual Plan for:", "Test"], [], ["Part 2 - Annual Plan Items"], HEADER, row]
    return write_workbook(tmp_path / "plan.xlsx", {"Plan": rows})


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["check", *map(str, args)], env=env)


def planbook_command() -> Path:
    """The installed `planbook` script beside the interpreter running the tests."""
    beside = Path(sys.executable).parent / "planbook"
    found = beside if beside.is_file() else shutil.which("planbook")
    assert found is not None, "no installed planbook command"
    return Path(found)


# --------------------------------------------------------------------------- exit codes


def test_a_clean_plan_exits_0(tmp_path: Path) -> None:
    result = run(plan(tmp_path), "--strict")
    assert result.exit_code == 0, result.output


def test_a_plan_with_errors_exits_1(tmp_path: Path) -> None:
    assert run(plan(tmp_path, status="Finished")).exit_code == 1


def test_a_plan_with_only_warnings_exits_0(tmp_path: Path) -> None:
    assert run(plan(tmp_path, status="Closed")).exit_code == 0


def test_a_plan_with_only_warnings_exits_1_when_strict(tmp_path: Path) -> None:
    assert run(plan(tmp_path, status="Closed"), "--strict").exit_code == 1


def test_info_findings_never_fail_even_when_strict(tmp_path: Path) -> None:
    rows = [["Annual Plan for:", "Test"], [], ["Part 2 - Annual Plan Items"]]
    rows += [[*HEADER, "Notes"], [*milestone(), "Complete", "", "Live", "a note"]]
    path = write_workbook(tmp_path / "plan.xlsx", {"Plan": rows})
    result = run(path, "--strict", "--format", "json")
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["PB107"]
    assert result.exit_code == 0


# --------------------------------------------------------------------------- exit 2


def _missing_file(tmp_path: Path) -> list[str | Path]:
    return [tmp_path / "missing.xlsx"]


def _not_a_workbook(tmp_path: Path) -> list[str | Path]:
    notes = tmp_path / "notes.xlsx"
    notes.write_text("Ref\tDescription\n", encoding="utf-8")
    return [notes]


def _no_such_schemas_folder(tmp_path: Path) -> list[str | Path]:
    return [plan(tmp_path), "--schemas", tmp_path / "no-schemas"]


def _broken_schema_file(tmp_path: Path) -> list[str | Path]:
    schemas = Path(shutil.copytree(SCHEMAS, tmp_path / "schemas"))
    (schemas / "tables" / "plan_items.yaml").write_text("columns: [unclosed\n", encoding="utf-8")
    return [plan(tmp_path), "--schemas", schemas]


def _bad_format(tmp_path: Path) -> list[str | Path]:
    return [plan(tmp_path), "--format", "xml"]


UNUSABLE: dict[str, Callable[[Path], list[str | Path]]] = {
    "missing-file": _missing_file,
    "not-a-workbook": _not_a_workbook,
    "no-such-schemas-folder": _no_such_schemas_folder,
    "broken-schema-file": _broken_schema_file,
    "bad-format": _bad_format,
}


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_an_unusable_file_or_option_exits_2_with_one_line(tmp_path: Path, case: str) -> None:
    result = run(*UNUSABLE[case](tmp_path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("planbook: error: ")
    assert result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_an_unusable_file_or_option_shows_no_traceback(tmp_path: Path, case: str) -> None:
    result = run(*UNUSABLE[case](tmp_path))
    assert "Traceback" not in result.stderr
    assert isinstance(result.exception, SystemExit)


def test_a_broken_schema_file_is_named_in_the_error(tmp_path: Path) -> None:
    assert "plan_items.yaml" in run(*_broken_schema_file(tmp_path)).stderr


# --------------------------------------------------------------------------- formats


@pytest.fixture(scope="module")
def sample_outputs(sample_path: Path) -> dict[str, Result]:
    """`planbook check` on the sample in each format, run once."""
    return {fmt: run(sample_path, "--format", fmt) for fmt in ("text", "json", "junit", "github")}


@pytest.fixture(scope="module")
def sample_report(sample_path: Path) -> Report:
    return check_workbook(str(sample_path))


def test_json_output_is_the_library_report(
    sample_outputs: dict[str, Result], sample_report: Report
) -> None:
    library = json.loads(json.dumps(sample_report.to_dict()))
    assert json.loads(sample_outputs["json"].stdout) == library


def test_the_json_report_is_what_json_dumps_writes(sample_report: Report) -> None:
    expected = json.dumps(sample_report.to_dict(), ensure_ascii=False, indent=2) + "\n"
    assert render.render_json(sample_report) == expected


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "github"])
def test_a_report_written_in_pieces_is_the_report_written_whole(
    monkeypatch: pytest.MonkeyPatch, sample_report: Report, fmt: str
) -> None:
    pieces = {
        "text": render.text_pieces,
        "json": render.json_pieces,
        "junit": render.junit_pieces,
        "github": render.github_pieces,
    }
    assert written_in_small_pieces(monkeypatch, lambda: pieces[fmt](sample_report)) > 10


def written_in_small_pieces(
    monkeypatch: pytest.MonkeyPatch, pieces: Callable[[], Iterator[str]]
) -> int:
    """How many pieces ``pieces`` writes a line (or JSON token) a piece, having checked
    that they make the same text as the pieces of the usual size."""
    whole = "".join(pieces())
    monkeypatch.setattr(render, "_PIECE", 1)
    written = list(pieces())
    assert "".join(written) == whole
    return len(written)


def test_every_format_exits_1_on_the_sample(sample_outputs: dict[str, Result]) -> None:
    assert {fmt: result.exit_code for fmt, result in sample_outputs.items()} == {
        "text": 1,
        "json": 1,
        "junit": 1,
        "github": 1,
    }


def test_junit_output_has_one_test_case_per_finding(
    sample_outputs: dict[str, Result], sample_report: Report
) -> None:
    suites = ElementTree.fromstring(sample_outputs["junit"].stdout.encode())
    assert len(suites.findall(".//testcase")) == len(sample_report.findings)


def test_junit_output_fails_the_errors(
    sample_outputs: dict[str, Result], sample_report: Report
) -> None:
    suites = ElementTree.fromstring(sample_outputs["junit"].stdout.encode())
    errors = sample_report.counts()["error"]
    (suite,) = suites.iter("testsuite")
    assert (int(suite.get("failures")), len(suites.findall(".//failure"))) == (errors, errors)


@pytest.mark.parametrize("strict", [False, True])
def test_the_junit_report_is_what_elementtree_writes_of_the_whole_document(
    sample_report: Report, strict: bool
) -> None:
    assert render.render_junit(sample_report, strict=strict) == junit_whole(sample_report, strict)


def test_the_junit_report_of_a_plan_with_no_findings_is_one_passing_case(tmp_path: Path) -> None:
    report = check_workbook(plan(tmp_path))
    assert not report.findings
    assert render.render_junit(report) == junit_whole(report, strict=False)
    assert '<testcase classname="planbook" name="no findings" />' in render.render_junit(report)


def junit_whole(report: Report, strict: bool) -> str:
    """The JUnit document built whole with ElementTree, indented: what the streamed one
    must equal, character for character."""
    fails = {"error"} | ({"warning"} if strict else set())
    document = WrittenTree.Element("testsuites")
    suite = WrittenTree.SubElement(
        document,
        "testsuite",
        name=f"planbook check {report.file}",
        tests=str(max(1, len(report.findings))),
        failures=str(sum(f.severity.value in fails for f in report.findings)),
        errors="0",
    )
    if not report.findings:
        WrittenTree.SubElement(suite, "testcase", classname="planbook", name="no findings")
    for finding in report.findings:
        case = WrittenTree.SubElement(
            suite,
            "testcase",
            classname=f"planbook.{escape_controls(finding.sheet)}",
            name=escape_controls(f"{finding.location} {finding.code} {finding.name}"),
        )
        detail = escape_controls(f"{finding.message}. Fix: {finding.suggestion}")
        if finding.severity.value in fails:
            attributes = {
                "type": finding.severity.value,
                "message": escape_controls(finding.message),
            }
            WrittenTree.SubElement(case, "failure", attributes).text = detail
        else:
            WrittenTree.SubElement(case, "system-out").text = detail
    WrittenTree.indent(document)
    return WrittenTree.tostring(document, encoding="unicode", xml_declaration=True) + "\n"


def test_junit_output_fails_the_warnings_too_when_strict(tmp_path: Path) -> None:
    result = run(plan(tmp_path, status="Closed"), "--format", "junit", "--strict")
    suites = ElementTree.fromstring(result.stdout.encode())
    assert [failure.get("type") for failure in suites.iter("failure")] == ["warning"]


def test_github_output_has_one_annotation_per_finding(
    sample_outputs: dict[str, Result], sample_report: Report
) -> None:
    levels = [line.split(" ", 1)[0] for line in sample_outputs["github"].stdout.splitlines()]
    expected = {"error": "::error", "warning": "::warning", "info": "::notice"}
    assert levels == [expected[f.severity.value] for f in sample_report.findings]


def test_github_annotation_names_the_code_and_cell(tmp_path: Path) -> None:
    (line,) = run(plan(tmp_path, councils="HEH"), "--format", "github").stdout.splitlines()
    assert line.startswith("::error file=")
    assert "title=PB221 Plan!G5::'HEH' names no council" in line


FINDING_LINE = re.compile(r"^ +([A-Z]{1,3}[0-9]+) +(error|warning|info) +(PB[0-9]{3}) ")


def test_text_output_groups_findings_by_sheet_with_the_cell_first(
    sample_outputs: dict[str, Result], sample_report: Report
) -> None:
    listed, sheet = [], None
    for line in sample_outputs["text"].stdout.splitlines():
        if line in SAMPLE_SHEETS:
            sheet = line
        elif match := FINDING_LINE.match(line):
            listed.append((sheet, match[1], match[3]))
    assert listed == [(f.sheet, f.cell, f.code) for f in sample_report.findings]


def test_text_output_names_each_sheet_once_in_workbook_order(
    sample_outputs: dict[str, Result], sample_report: Report
) -> None:
    headings = [
        line for line in sample_outputs["text"].stdout.splitlines() if line in SAMPLE_SHEETS
    ]
    in_order = [
        name for name in SAMPLE_SHEETS if any(f.sheet == name for f in sample_report.findings)
    ]
    assert headings == in_order


def test_text_output_ends_with_the_counts(
    sample_outputs: dict[str, Result], sample_report: Report, sample_path: Path
) -> None:
    counts = sample_report.counts()
    last = sample_outputs["text"].stdout.splitlines()[-1]
    assert last == (
        f"{sample_path}: {counts['error']} errors, {counts['warning']} warnings, "
        f"{counts['info']} info"
    )


def test_text_is_the_default_format(sample_path: Path, sample_outputs: dict[str, Result]) -> None:
    assert run(sample_path).stdout == sample_outputs["text"].stdout


def test_text_output_has_no_colour_when_piped(sample_outputs: dict[str, Result]) -> None:
    assert "\x1b" not in sample_outputs["text"].stdout


def test_text_output_has_no_colour_with_no_color(tmp_path: Path) -> None:
    result = run(plan(tmp_path, status="Finished"), env={"NO_COLOR": "1"})
    assert "\x1b" not in result.stdout


def test_a_control_character_in_a_cell_is_not_printed_raw(tmp_path: Path) -> None:
    import xlsxwriter  # writes control characters as Excel does (_x001B_)

    path = tmp_path / "control.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Plan")
    row = [*milestone("Hart\x07"), "\x1b[31mFinished\x1b[0m", "", "Bell\x07"]
    rows = [["Annual Plan for:", "Test"], [], ["Part 2 - Annual Plan Items"], HEADER, row]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value:
                sheet.write_string(r, c, str(value))
    workbook.close()
    output = run(path).stdout
    assert "Finished" in output
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", output)


def test_text_rendering_escapes_control_characters_in_a_finding() -> None:
    finding = Finding(
        code="PB202",
        sheet="Plan",
        cell="H5",
        value="\x1b[31mFinished\x07",
        message="'\x1b[31mFinished\x07' is not a Delivery Status",
        suggestion="did you mean '\x1b[0mComplete'?",
    )
    text = render_text(Report.collect("plan.xlsx", [finding]))
    assert "\\x1b[31mFinished\\x07" in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)


# --------------------------------------------------------------------------- real processes


def run_on_a_terminal(path: Path, **env: str) -> str:
    """Run the installed command with its stdout on a pseudo-terminal; what it printed."""
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(planbook_command()), "check", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.PIPE,
        env={**environment, **env},
    )
    os.close(terminal)
    written = read_terminal(controller)
    process.communicate(timeout=60)
    return written


def read_terminal(controller: int) -> str:
    """All a process wrote to a pseudo-terminal, until it closes; the terminal is closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return b"".join(chunks).decode("utf-8")


def test_text_output_is_coloured_on_a_terminal(tmp_path: Path) -> None:
    assert "\x1b[" in run_on_a_terminal(plan(tmp_path, status="Finished"))


def test_no_color_turns_colour_off_on_a_terminal(tmp_path: Path) -> None:
    output = run_on_a_terminal(plan(tmp_path, status="Finished"), NO_COLOR="1")
    assert "PB202" in output
    assert "\x1b" not in output


def test_installed_planbook_command_checks_the_sample(sample_path: Path) -> None:
    done = subprocess.run(
        [str(planbook_command()), "check", str(sample_path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (1, "")
    library = json.loads(json.dumps(check_workbook(str(sample_path)).to_dict()))
    assert json.loads(done.stdout) == library
