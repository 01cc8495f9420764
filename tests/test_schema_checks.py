"""A table-schema check that cannot run, or fails with no row, is an error of the schema.

pandera reports a check that raised (``greater_than: 5`` on a text column, say) as one
failure case with no row; planbook must not drop it as if the check did not exist, but
stop with exit 2 and one line naming the schema file, the column and the check.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from planbook.cli import cli
from planbook.schemas import default_schemas_dir
from workbooks import SAMPLE_WORKBOOK

SCHEMAS = default_schemas_dir()
PLAN_ITEMS = Path("tables") / "plan_items.yaml"


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    """A copy of the shipped schemas/ a test may edit."""
    return Path(shutil.copytree(SCHEMAS, tmp_path / "schemas"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def run_check(schemas: Path) -> Result:
    return CliRunner().invoke(cli, ["check", str(SAMPLE_WORKBOOK), "--schemas", str(schemas)])


def one_line(result: Result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_a_check_that_cannot_run_on_a_text_column_is_exit_2_naming_file_column_check(
    schemas: Path,
) -> None:
    edit(
        schemas / PLAN_ITEMS,
        "      due_date: {plan_year: null}\n",
        "      due_date: {plan_year: null}\n      greater_than: 5\n",
    )
    result = run_check(schemas)
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert "plan_items.yaml" in line
    assert "'due'" in line
    assert "greater_than(5)" in line
    assert "could not run" in line
    assert "TypeError" in line


def test_a_column_check_failing_with_no_row_is_exit_2_naming_file_column_check(
    schemas: Path,
) -> None:
    # unique_values_eq fails for the column as a whole: pandera gives no row to report at.
    edit(
        schemas / PLAN_ITEMS,
        "  ref:\n    required: true\n",
        "  ref:\n    required: true\n    checks:\n      unique_values_eq: [nothing]\n",
    )
    result = run_check(schemas)
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert "plan_items.yaml" in line
    assert "'ref'" in line
    assert "unique_values_eq" in line
