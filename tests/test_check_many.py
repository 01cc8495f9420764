"""`planbook check A.xlsx B.xlsx plans/`: every service's plan before a board, in one run.

Each workbook's findings as a single check prints them, a line per workbook and a total;
the exit code is the worst of them, 2 when one could not be read after all the others
were checked. With one workbook, every format is what it always was.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from defusedxml import ElementTree

from planbook.check import check_workbook
from planbook.check.many import check_many, workbooks_named
from planbook.render import render_github, render_json, render_junit
from test_check_cli import plan, planbook_command, read_terminal, written_in_small_pieces


def run(*args: str | Path) -> Result:
    from planbook.cli import cli

    return CliRunner().invoke(cli, ["check", *map(str, args)])


def plans(tmp_path: Path, **statuses: str) -> dict[str, Path]:
    """One small plan per name, each with the given status, in a folder of its own."""
    made = {}
    for name, status in statuses.items():
        folder = tmp_path / name
        folder.mkdir()
        made[name] = plan(folder, status=status).rename(folder / f"{name}.xlsx")
    return made


def test_a_folder_stands_for_the_workbooks_in_it_by_name(tmp_path: Path) -> None:
    for name in ("b.xlsm", "A.xlsx", "notes.txt", "~$A.xlsx", "old.xls"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub.xlsx").mkdir()
    assert workbooks_named([tmp_path]) == [tmp_path / "A.xlsx", tmp_path / "b.xlsm"]


def test_a_workbook_named_twice_is_checked_once(tmp_path: Path) -> None:
    workbook = plans(tmp_path, one="Complete")["one"]
    assert workbooks_named([workbook, workbook.parent, tmp_path / "one" / ".." / "one"]) == [
        workbook
    ]


def test_a_file_that_is_not_there_is_kept_to_be_reported(tmp_path: Path) -> None:
    assert workbooks_named([tmp_path / "missing.xlsx"]) == [tmp_path / "missing.xlsx"]


def test_the_exit_code_is_the_worst_of_the_workbooks(tmp_path: Path) -> None:
    made = plans(tmp_path, clean="Complete", wrong="Finished")
    assert run(made["clean"]).exit_code == 0
    assert run(made["clean"], made["wrong"]).exit_code == 1


def test_warnings_fail_a_strict_check_of_many(tmp_path: Path) -> None:
    made = plans(tmp_path, clean="Complete", warned="Closed")
    assert run(made["clean"], made["warned"]).exit_code == 0
    assert run(made["clean"], made["warned"], "--strict").exit_code == 1


def test_an_unreadable_workbook_exits_2_after_the_others_are_checked(tmp_path: Path) -> None:
    made = plans(tmp_path, first="Finished", last="Finished")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    result = run(made["first"], broken, made["last"])
    assert result.exit_code == 2
    assert result.stdout.count("PB202") == 2
    assert result.stderr.startswith(f"planbook: error: {broken}: ")
    assert result.stderr.count("\n") == 1


def test_text_ends_with_a_line_per_workbook_and_the_total(tmp_path: Path) -> None:
    made = plans(tmp_path, clean="Complete", wrong="Finished")
    missing = tmp_path / "missing.xlsx"
    lines = run(made["clean"], made["wrong"], missing).stdout.splitlines()
    assert lines[-5:] == [
        "3 workbooks:",
        f"  {made['clean']}: 0 errors, 0 warnings, 0 info",
        f"  {made['wrong']}: 1 error, 0 warnings, 0 info",
        f"  {missing}: no such file (not checked)",
        "Total: 1 error, 0 warnings, 0 info; 1 could not be read",
    ]


def test_text_shows_each_workbooks_findings_as_a_single_check_does(tmp_path: Path) -> None:
    made = plans(tmp_path, clean="Complete", wrong="Finished")
    alone = run(made["wrong"]).stdout
    assert alone in run(made["clean"], made["wrong"]).stdout


def test_json_of_many_holds_each_report_as_a_single_check_prints_it(tmp_path: Path) -> None:
    made = plans(tmp_path, clean="Complete", wrong="Finished")
    document = json.loads(run(made["clean"], made["wrong"], "--format", "json").stdout)
    assert document["files"] == [
        json.loads(run(made["clean"], "--format", "json").stdout),
        json.loads(run(made["wrong"], "--format", "json").stdout),
    ]


def test_json_of_many_sums_the_findings_and_names_the_exit_code(tmp_path: Path) -> None:
    made = plans(tmp_path, clean="Complete", wrong="Finished")
    document = json.loads(run(made["clean"], made["wrong"], "--format", "json").stdout)
    assert document["summary"] == {
        "workbooks": 2,
        "checked": 2,
        "unreadable": 0,
        "error": 1,
        "warning": 0,
        "info": 0,
        "exit_code": 1,
    }


def test_json_of_many_lists_an_unreadable_workbook_with_its_reason(tmp_path: Path) -> None:
    made = plans(tmp_path, clean="Complete")
    missing = tmp_path / "missing.xlsx"
    document = json.loads(run(made["clean"], missing, "--format", "json").stdout)
    assert document["files"][1] == {"file": str(missing), "error": f"{missing}: no such file"}
    assert document["summary"]["unreadable"] == 1
    assert document["summary"]["exit_code"] == 2


def test_junit_of_many_has_a_test_suite_per_workbook(tmp_path: Path) -> None:
    made = plans(tmp_path, clean="Complete", wrong="Finished")
    missing = tmp_path / "missing.xlsx"
    output = run(made["clean"], made["wrong"], missing, "--format", "junit").stdout
    suites = ElementTree.fromstring(output.split("?>", 1)[1]).findall("testsuite")
    assert [suite.get("name") for suite in suites] == [
        f"planbook check {made['clean']}",
        f"planbook check {made['wrong']}",
        f"planbook check {missing}",
    ]
    assert [(suite.get("failures"), suite.get("errors")) for suite in suites] == [
        ("0", "0"),
        ("1", "0"),
        ("0", "1"),
    ]


def test_github_of_many_annotates_every_workbook(tmp_path: Path) -> None:
    made = plans(tmp_path, one="Finished", two="Finished")
    missing = tmp_path / "missing.xlsx"
    lines = run(made["one"], made["two"], missing, "--format", "github").stdout.splitlines()
    assert [line.split(",title=")[0] for line in lines] == [
        f"::error file={made['one']}",
        f"::error file={made['two']}",
        f"::error file={missing}",
    ]


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "github"])
def test_a_folder_with_one_workbook_prints_what_the_workbook_alone_does(
    tmp_path: Path, fmt: str
) -> None:
    workbook = plans(tmp_path, only="Finished")["only"]
    assert run(workbook.parent, "--format", fmt).stdout == run(workbook, "--format", fmt).stdout


def test_one_workbook_prints_the_library_report_in_every_format(tmp_path: Path) -> None:
    workbook = plans(tmp_path, only="Finished")["only"]
    report = check_workbook(workbook)
    assert run(workbook, "--format", "json").stdout == render_json(report)
    assert run(workbook, "--format", "junit").stdout == render_junit(report)
    assert run(workbook, "--format", "github").stdout == render_github(report)


def test_a_folder_without_workbooks_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"planbook: error: {tmp_path}: a directory with no .xlsx or .xlsm workbook in it\n"
    )


def test_an_unusable_schemas_folder_stops_the_whole_run(tmp_path: Path) -> None:
    made = plans(tmp_path, one="Complete", two="Complete")
    (tmp_path / "schemas").mkdir()
    result = run(made["one"], made["two"], "--schemas", tmp_path / "schemas")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1


def test_the_library_tells_progress_of_each_workbook(tmp_path: Path) -> None:
    made = plans(tmp_path, one="Complete", two="Complete")
    done: list[Path] = []
    check_many([made["one"], tmp_path / "missing.xlsx", made["two"]], progress=done.append)
    assert done == [made["one"], tmp_path / "missing.xlsx", made["two"]]


def stderr_on_a_terminal(*args: str | Path) -> str:
    """Run the installed command with its stderr on a pseudo-terminal; what it wrote there."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(planbook_command()), "check", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
    )
    os.close(terminal)
    written = read_terminal(controller)
    process.wait(timeout=120)
    return written


@pytest.fixture(scope="module")
def four_plans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("four")
    for name in "abcd":
        plan(folder, status="Complete").rename(folder / f"{name}.xlsx")
    return folder


def test_many_workbooks_show_a_progress_bar_on_a_terminal(four_plans: Path) -> None:
    assert "Checking" in stderr_on_a_terminal(four_plans)


def test_quiet_turns_the_progress_bar_off(four_plans: Path) -> None:
    assert stderr_on_a_terminal(four_plans, "--quiet") == ""


def test_no_progress_bar_when_stderr_is_not_a_terminal(four_plans: Path) -> None:
    done = subprocess.run(
        [str(planbook_command()), "check", str(four_plans)], capture_output=True, check=False
    )
    assert done.returncode == 0
    assert done.stderr == b""


def test_a_few_workbooks_show_no_progress_bar(tmp_path: Path) -> None:
    made = plans(tmp_path, one="Complete", two="Complete")
    assert stderr_on_a_terminal(made["one"], made["two"]) == ""


def test_the_table_schemas_are_read_once_for_all_the_workbooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planbook.check import tables

    read: list[Path] = []
    load = tables._load_table_schema
    monkeypatch.setattr(tables, "_load_table_schema", lambda path: read.append(path) or load(path))
    made = plans(tmp_path, one="Complete", two="Finished", three="Complete")
    check_many(list(made.values()))
    assert sorted(path.name for path in read) == ["forward_look.yaml", "plan_items.yaml"]


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "github"])
def test_many_reports_written_in_pieces_are_the_reports_written_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    from planbook import render

    made = plans(tmp_path, clean="Complete", wrong="Finished")
    many = check_many([made["clean"], made["wrong"], tmp_path / "missing.xlsx"])
    pieces = {
        "text": render.many_text_pieces,
        "json": render.many_json_pieces,
        "junit": render.many_junit_pieces,
        "github": render.many_github_pieces,
    }
    assert written_in_small_pieces(monkeypatch, lambda: pieces[fmt](many)) > 1
    if fmt == "json":
        expected = json.dumps(many.to_dict(), ensure_ascii=False, indent=2) + "\n"
        assert render.render_many_json(many) == expected


def test_the_cycle_collector_is_on_again_after_each_workbook_however_it_went(
    tmp_path: Path,
) -> None:
    good = plans(tmp_path, good="Complete")["good"]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    import gc

    assert gc.isenabled()
    outcomes = check_many([good, tmp_path / "missing.xlsx", broken]).outcomes
    assert [bool(outcome.error) for outcome in outcomes] == [False, True, True]
    assert gc.isenabled()
    check_workbook(good)
    assert gc.isenabled()


def test_a_caller_that_paused_the_cycle_collector_finds_it_still_paused(
    tmp_path: Path,
) -> None:
    import gc

    good = plans(tmp_path, good="Complete")["good"]
    gc.disable()
    try:
        check_workbook(good)
        check_many([good, tmp_path / "missing.xlsx"])
        assert not gc.isenabled()
    finally:
        gc.enable()
