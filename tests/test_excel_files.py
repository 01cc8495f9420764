"""Workbooks saved by Excel itself (shared/excel_files/xlsxwriter, see its README): none
is a plan, each holds one feature family. `format` must carry every part of each back
out (tests/fidelity.py's compare_packages), format its output again to the same bytes,
and `check`, `outline` and `export` must read each one: exit 0 or 1, never a traceback,
never the one-line exit 2 of an unreadable file (these files are valid).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import fidelity as fx
import planbook
from planbook.cli import cli
from planbook.derive import Settings
from planbook.write import FormatResult, format_workbook

EXCEL_FILES = Path(__file__).resolve().parents[1] / ".." / "shared" / "excel_files"
CORPUS = EXCEL_FILES / "xlsxwriter"
COUNT = 53
AS_OF = fx.AS_OF.isoformat()
SETTINGS = Settings(as_of=fx.AS_OF)
MISSING = f"{CORPUS} is absent: the workbooks saved by Excel live in the checkout's sibling shared/"

if CORPUS.is_dir():
    NAMES = [path.name for path in sorted(CORPUS.iterdir()) if path.suffix in (".xlsx", ".xlsm")]
else:
    NAMES = [pytest.param("absent", marks=pytest.mark.skip(reason=MISSING))]


@dataclass(frozen=True)
class Formatted:
    source: Path
    plan_sheets: tuple[str, ...]
    once: Path
    twice: Path
    result: FormatResult


class Corpus:
    """Each file formatted twice, once for the module, on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.done: dict[str, Formatted] = {}

    def get(self, name: str) -> Formatted:
        if name not in self.done:
            source = CORPUS / name
            plan_sheets = tuple(sheet.name for sheet in planbook.read_workbook(source).plan_sheets)
            once = self.directory / f"once-{name}"  # .xlsm stays .xlsm: its macros kept
            twice = self.directory / f"twice-{name}"
            result = format_workbook(source, once, settings=SETTINGS, live_as_of=False)
            format_workbook(once, twice, settings=SETTINGS, live_as_of=False)
            self.done[name] = Formatted(source, plan_sheets, once, twice, result)
        return self.done[name]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("excel_files"))


def test_the_corpus_holds_its_53_workbooks() -> None:
    if not CORPUS.is_dir():
        pytest.skip(MISSING)
    assert len(NAMES) == COUNT


@pytest.mark.parametrize("name", NAMES)
def test_format_carries_every_part(corpus: Corpus, name: str) -> None:
    formatted = corpus.get(name)
    assert fx.compare_packages(formatted.source, formatted.once, formatted.plan_sheets) == []


@pytest.mark.parametrize("name", NAMES)
def test_format_keeps_the_workbooks_names_settings_styles_and_sheets(
    corpus: Corpus, name: str
) -> None:
    formatted = corpus.get(name)
    differences = fx.feature_differences(formatted.source, formatted.once, formatted.plan_sheets)
    assert fx.all_problems(differences) == []


@pytest.mark.parametrize("name", NAMES)
def test_second_pass_is_byte_identical(corpus: Corpus, name: str) -> None:
    formatted = corpus.get(name)
    assert formatted.twice.read_bytes() == formatted.once.read_bytes()


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("command", ["check", "outline", "export"])
@pytest.mark.parametrize("name", NAMES)
def test_reading_commands_read_it_without_a_traceback(name: str, command: str) -> None:
    options = ["--as-of", AS_OF] if command != "outline" else []
    result = run(command, str(CORPUS / name), *options)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{type(result.exception).__name__}: {result.exception}"
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), result.stderr
