"""The `planbook` command: a thin layer over the library, one clear line when it cannot work."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import planbook
from planbook.cli import cli
from planbook.export import render_export
from planbook.outline import outline

SHEET_NAMES = ["Cover", "Customer Services", "Revenues and Benefits", "Land Charges", "IT"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def planbook_command() -> Path:
    """The installed `planbook` script of the interpreter running the tests."""
    beside = Path(sys.executable).parent / "planbook"
    found = beside if beside.is_file() else shutil.which("planbook")
    assert found is not None, "no installed planbook command"
    return Path(found)


# --------------------------------------------------------------------------- outline


def test_outline_json_equals_the_library_outline(sample_path: Path) -> None:
    result = run("outline", str(sample_path), "--format", "json")
    assert result.exit_code == 0, result.output
    library = json.loads(json.dumps(outline(planbook.read_workbook(sample_path))))
    assert json.loads(result.stdout) == library


def test_text_outline_is_the_default_format(sample_path: Path) -> None:
    assert (
        run("outline", str(sample_path)).stdout
        == run("outline", str(sample_path), "--format", "text").stdout
    )


def test_text_outline_mentions_every_sheet(sample_path: Path) -> None:
    headings = [
        line.split(":", 1)[0]
        for line in run("outline", str(sample_path)).stdout.splitlines()
        if line and not line.startswith(" ") and ":" in line
    ]
    assert headings == SHEET_NAMES


def test_text_outline_says_the_untitled_forward_look_is_inferred(sample_path: Path) -> None:
    lines = run("outline", str(sample_path)).stdout.splitlines()
    (line,) = [line for line in lines if "header row 48" in line]
    assert "Part 3" in line and "inferred" in line


def test_text_outline_counts_the_repeated_headers(sample_path: Path) -> None:
    lines = run("outline", str(sample_path)).stdout.splitlines()
    (line,) = [line for line in lines if "header row 25" in line and "33 items" in line]
    assert "repeated 4x" in line


# --------------------------------------------------------------------------- export


def test_export_prints_the_library_export(sample_path: Path) -> None:
    result = run("export", str(sample_path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stdout == render_export(planbook.read_workbook(sample_path), "json")


# --------------------------------------------------------------------------- unusable files


def missing(tmp_path: Path) -> Path:
    return tmp_path / "no such plan.xlsx"


def directory(tmp_path: Path) -> Path:
    folder = tmp_path / "plans.xlsx"
    folder.mkdir()
    return folder


def text_renamed(tmp_path: Path) -> Path:
    path = tmp_path / "notes.xlsx"
    path.write_text("Ref\tDescription\n", encoding="utf-8")
    return path


def empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    return path


def truncated(tmp_path: Path, sample: Path) -> Path:
    path = tmp_path / "truncated.xlsx"
    data = sample.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def zip_of_text(tmp_path: Path) -> Path:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return path


def legacy_xls(tmp_path: Path) -> Path:
    path = tmp_path / "legacy.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return path


def rewritten(sample: Path, path: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    """The sample with one member's bytes changed."""
    with zipfile.ZipFile(sample) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, change(data) if info.filename == member else data)
    return path


def sheet_xml_cut_short(tmp_path: Path, sample: Path) -> Path:
    return rewritten(
        sample, tmp_path / "cut.xlsx", "xl/worksheets/sheet5.xml", lambda d: d[: len(d) // 2]
    )


def _local_data_offset(data: bytes, info: zipfile.ZipInfo) -> int:
    name_length = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    return info.header_offset + 30 + name_length + extra_length


def sheet_data_corrupted(tmp_path: Path, sample: Path) -> Path:
    """The last sheet's compressed bytes damaged, the zip's directory intact."""
    data = bytearray(sample.read_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet5.xml")
    start = _local_data_offset(bytes(data), info)
    for i in range(start + 2, start + 10):
        data[i] ^= 0x55
    path = tmp_path / "corrupted.xlsx"
    path.write_bytes(bytes(data))
    return path


UNUSABLE: dict[str, Callable[[Path, Path], Path]] = {
    "missing": lambda tmp, _: missing(tmp),
    "directory": lambda tmp, _: directory(tmp),
    "text-renamed-xlsx": lambda tmp, _: text_renamed(tmp),
    "empty": lambda tmp, _: empty(tmp),
    "truncated-zip": truncated,
    "zip-of-text": lambda tmp, _: zip_of_text(tmp),
    "legacy-xls": lambda tmp, _: legacy_xls(tmp),
    "sheet-xml-cut-short": sheet_xml_cut_short,
    "sheet-data-corrupted": sheet_data_corrupted,
}


@pytest.fixture(params=list(UNUSABLE))
def unusable(request: pytest.FixtureRequest, tmp_path: Path, sample_path: Path) -> Path:
    return UNUSABLE[request.param](tmp_path, sample_path)


@pytest.mark.parametrize("command", ["outline", "export"])
def test_unusable_file_exits_2_with_one_error_line(unusable: Path, command: str) -> None:
    result = run(command, str(unusable))
    assert (result.exit_code, result.stdout) == (2, ""), repr(result.exception)
    assert result.stderr.startswith("planbook: error: ")
    assert result.stderr.count("\n") == 1


def test_unusable_file_error_names_the_file(unusable: Path) -> None:
    assert str(unusable) in run("outline", str(unusable)).stderr


def test_unusable_file_raises_the_one_planbook_error(unusable: Path) -> None:
    with pytest.raises(planbook.PlanbookError):
        planbook.read_workbook(unusable)


def test_bad_option_exits_2_without_a_traceback(sample_path: Path) -> None:
    result = run("outline", str(sample_path), "--format", "xml")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_bad_option_is_reported_in_one_line(sample_path: Path) -> None:
    result = run("outline", str(sample_path), "--format", "xml")
    assert result.stderr.strip().count("\n") == 0, result.stderr


# --------------------------------------------------------------------------- real processes


def test_python_m_planbook_help_lists_the_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "planbook", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "outline" in done.stdout and "export" in done.stdout


def test_installed_planbook_command_outlines_the_sample(sample_path: Path) -> None:
    done = subprocess.run(
        [str(planbook_command()), "outline", str(sample_path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    library = json.loads(json.dumps(outline(planbook.read_workbook(sample_path))))
    assert json.loads(done.stdout) == library


def test_installed_planbook_command_reports_a_missing_file_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(planbook_command()), "export", str(tmp_path / "missing.xlsx")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("planbook: error: ") and done.stderr.count("\n") == 1


def check_the_sample_in_a_process(sample_path: Path, afterwards: str) -> tuple[str, str]:
    """``planbook check`` of the sample run by ``main`` in a fresh process: its JSON, and
    what the expression ``afterwards`` says of the process once the command has ended."""
    code = (
        "import gc, sys\n"
        "from planbook.cli import main\n"
        f"sys.argv = ['planbook', 'check', {str(sample_path)!r}, '--format', 'json']\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        f"    print({afterwards}, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1, done.stderr  # the sample's real errors: it did check
    return done.stdout, done.stderr.strip().splitlines()[-1]


def test_the_planbook_command_ends_with_the_collector_frozen(sample_path: Path) -> None:
    """Its exit skips the collector's last pass over pandas' and pandera's objects."""
    output, frozen = check_the_sample_in_a_process(sample_path, "gc.get_freeze_count() > 0")
    assert json.loads(output)["findings"]  # the output is whole
    assert frozen == "True"


def test_the_planbook_command_checks_without_importing_hypothesis(sample_path: Path) -> None:
    """pandera would import it (with pytest and trio) where it is installed, as here, to
    synthesise data the command never asks for: 0.2-0.8 s of every run."""
    loaded = (
        "sorted(m for m in sys.modules if m.split('.')[0] == 'hypothesis'"
        " and sys.modules[m] is not None), 'pandera' in sys.modules"
    )
    _, said = check_the_sample_in_a_process(sample_path, loaded)
    assert said == "[] True"
