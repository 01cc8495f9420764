"""A table-schema check that cannot run, or fails with no row, is an error of the schema.

pandera reports a check that raised (``greater_than: 5`` on a text column, say) as one
failure case with no row; planbook must not drop it as if the check did not exist, but
stop with exit 2 and one line naming the schema file, the column and the check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from planbook.cli import cli
from workbooks import SAMPLE_WORKBOOK, edit_once

PLAN_ITEMS = Path("tables") / "plan_items.yaml"


def run_check(schemas: Path) -> Result:
    return CliRunner().invoke(cli, ["check", str(SAMPLE_WORKBOOK), "--schemas", str(schemas)])


def one_line(result: Result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize(
    ("old", "new", "where", "words"),
    [
        pytest.param(
            "      due_date: {plan_year: null}\n",
            "      due_date: {plan_year: null}\n      greater_than: 5\n",
            "on column 'due'",
            ("greater_than(5)", "could not run", "TypeError"),
            id="a check that cannot run on a text column",
        ),
        pytest.param(  # unique_values_eq fails the column as a whole: no row to report at
            "  ref:\n    required: true\n",
            "  ref:\n    required: true\n    checks:\n      unique_values_eq: [nothing]\n",
            "on column 'ref'",
            ("unique_values_eq",),
            id="a column check failing with no row",
        ),
        pytest.param(
            "filled_on_milestones: {fields: [status]}\n",
            "filled_on_milestones: {fields: 5}\n",
            "on the table",
            ("filled_on_milestones(fields=5)", "could not run", "TypeError"),
            id="a table-wide check of planbook's that cannot run",
        ),
        pytest.param(
            "  not_applicable_only_when_complete: {}\n",
            "  not_applicable_only_when_complete: {vocabulary: rag}\n",
            "on the table",
            ("not_applicable_only_when_complete", "could not run", "vocabulary"),
            id="a table-wide check of planbook's given an argument it does not take",
        ),
        pytest.param(
            "  not_applicable_only_when_complete: {}\n",
            "  not_applicable_only_when_complete: {}\n  greater_than: 5\n",
            "on the table",
            ("greater_than(5)", "could not run", "TypeError"),
            id="a table-wide check of pandera's that cannot run",
        ),
    ],
)
def test_a_schema_check_that_reports_no_cell_is_exit_2_naming_file_where_and_check(
    schemas: Path, old: str, new: str, where: str, words: tuple[str, ...]
) -> None:
    edit_once(schemas / PLAN_ITEMS, old, new)
    result = run_check(schemas)
    assert result.exit_code == 2, result.output
    line = one_line(result)
    for word in ("plan_items.yaml", where, *words):
        assert word in line


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        pytest.param(
            "  ref:\n    required: true\n",
            "  ref:\n    required: true\n  ref:\n    required: false\n",
            ("duplicate key 'ref'", "line"),
            id="a column written twice (YAML would keep the last)",
        ),
        pytest.param(
            "  ref:\n    required: true\n",
            "  ref:\n    required: [true\n",
            ("not valid YAML", "line"),
            id="a bracket never closed",
        ),
    ],
)
def test_a_table_schema_that_is_not_clean_yaml_is_exit_2_naming_file_and_line(
    schemas: Path, old: str, new: str, words: tuple[str, ...]
) -> None:
    edit_once(schemas / PLAN_ITEMS, old, new)
    result = run_check(schemas)
    assert result.exit_code == 2, result.output
    line = one_line(result)
    for word in ("plan_items.yaml", *words):
        assert word in line


#: A table-wide check of planbook's that cannot run, and which one it is said to be.
_PLANBOOKS_BROKEN = (
    "filled_on_milestones: {fields: [status]}\n",
    "filled_on_milestones: {fields: 5}\n",
)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(  # pandera orders its errors the schema's own before its columns'
            "      due_date: {plan_year: null}\n",
            "      due_date: {plan_year: null}\n      greater_than: 5\n",
            id="a column's check after it",
        ),
        pytest.param(  # as pandera ran them: planbook's own first, though planbook runs it
            "  not_applicable_only_when_complete: {}\n",
            "  not_applicable_only_when_complete: {}\n  greater_than: 5\n",
            id="a later table-wide check of pandera's",
        ),
    ],
)
def test_of_two_checks_that_cannot_run_the_first_table_wide_one_is_reported(
    schemas: Path, old: str, new: str
) -> None:
    edit_once(schemas / PLAN_ITEMS, old, new)
    edit_once(schemas / PLAN_ITEMS, *_PLANBOOKS_BROKEN)
    result = run_check(schemas)
    assert result.exit_code == 2, result.output
    assert "the check filled_on_milestones(fields=5) on the table" in one_line(result)
