"""Validating plan tables with the pandera schemas of schemas/tables/.

Each table's rows (one per milestone) become a DataFrame holding only the columns the
table has, so a schema's ``required`` columns are checked too. Tables with the same
schema and the same columns are validated together, lazily, so one run reports every
failure; each pandera failure case is then mapped back to its exact cell. A big table
checked only row by row is validated in slices of rows (``row_by_row``), which bounds the
memory pandera's frames take and changes no finding. planbook's own table-wide checks
are run by planbook on the frame pandera checked (``_Validation``), their failure cases
the ones pandera would give, at a fraction of pandera's cost.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planbook.check.messages import Failure, describe_failure, schema_failure
from planbook.findings import Finding
from planbook.model import (
    FIELD_NAMES,
    FIELDS,
    ITEM_FIELDS,
    MilestoneRow,
    Plan,
    PlanSheet,
    Table,
    cell_text,
    milestone_rows,
)
from planbook.schemas import SchemaFileError, Vocabularies, read_yaml

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

TABLES_FOLDER = "tables"


@dataclass(frozen=True, eq=False)  # one object per file: compared by identity
class TableSchema:
    path: Path
    parts: tuple[int, ...]
    schema: pa.DataFrameSchema


def load_table_schemas(directory: Path) -> dict[int, TableSchema]:
    """The schema of each part (1, 2, 3) from ``directory/tables/*.yaml``."""
    import planbook.check.pandera_checks  # noqa: F401  (registers planbook's checks)

    folder = directory / TABLES_FOLDER
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not paths:
        raise SchemaFileError(folder, "no table schemas (*.yaml) found")
    by_part: dict[int, TableSchema] = {}
    for path in paths:
        table_schema = _load_table_schema(path)
        for part in table_schema.parts:
            if part in by_part:
                raise SchemaFileError(
                    path, f"part {part} is already checked by {by_part[part].path.name}"
                )
            by_part[part] = table_schema
    missing = sorted({1, 2, 3} - set(by_part))
    if missing:
        raise SchemaFileError(folder, f"no schema checks part {', '.join(map(str, missing))}")
    return by_part


def _load_table_schema(path: Path) -> TableSchema:
    import pandera.pandas as pa
    from pandera.io.pandas_io import deserialize_schema  # what from_yaml does after parsing

    # Parsed as the vocabularies are (libyaml, a key written twice an error), not by
    # pandera's from_yaml (pure-Python PyYAML, the last of two keys kept silently).
    serialized = read_yaml(path)
    try:
        schema = deserialize_schema(serialized)
    except AttributeError as error:
        raise SchemaFileError(path, f"unknown check ({error})") from error
    except (TypeError, ValueError, KeyError, pa.errors.SchemaDefinitionError) as error:
        raise SchemaFileError(path, f"not a pandera schema ({error})") from error
    parts = (schema.metadata or {}).get("parts")
    if not isinstance(parts, list) or not parts or not all(p in (1, 2, 3) for p in parts):
        raise SchemaFileError(path, "metadata.parts must list the parts it checks (1, 2, 3)")
    return TableSchema(path, tuple(parts), schema)


def table_findings(
    plan: Plan, vocabularies: Vocabularies, schemas: dict[int, TableSchema]
) -> Iterator[Finding]:
    """Every failure of every table against its part's schema, as findings.

    The columns a schema requires are looked up on each table's header; then all the
    rows under one schema are validated together (in slices, where ``row_by_row``), a
    column a table lacks standing empty (NA, which pandera's checks pass) for its rows.
    """
    from pandera.config import ValidationDepth, config_context

    from planbook.check.pandera_checks import using

    for sheet in plan.plan_sheets:
        for table in sheet.tables:
            schema = schemas[table.effective_part or 2].schema
            for name, column in schema.columns.items():
                if column.required and name not in table.header:
                    yield _missing_column(name, sheet, table)
    rows: dict[TableSchema, list[MilestoneRow]] = defaultdict(list)
    for row in milestone_rows(plan):
        rows[schemas[row.table.effective_part or 2]].append(row)
    # Every check runs whatever the environment says: PANDERA_VALIDATION_ENABLED=False or
    # a validation depth of SCHEMA_ONLY, meant for some other program, would otherwise
    # pass every plan without a word.
    everything = config_context(
        validation_enabled=True, validation_depth=ValidationDepth.SCHEMA_AND_DATA
    )
    with using(vocabularies), everything, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandera's notices about its own future
        for table_schema, members in rows.items():
            fields = [name for name in table_schema.schema.columns if name in FIELDS]
            step = ROWS_AT_ONCE if row_by_row(table_schema.schema) else len(members)
            validation = _Validation.of(table_schema.schema)
            for start in range(0, len(members), step):
                frame = _frame(members[start : start + step], fields, start)
                cases = validation.failure_cases(frame)
                if cases is not None:
                    yield from _findings(cases, table_schema, members)
                del frame, cases  # before the next slice's are made


@dataclass(frozen=True)
class _Validation:
    """How a table schema is run: by pandera, all but planbook's own table-wide checks,
    which planbook runs on the frame pandera checked and whose failure cases it gives as
    pandera would. pandera gathers each failing row's cells into a dict through a pandas
    group of its own: a third of a second for the 10,000 rows of a big faulty plan that
    fail one check, where the same cases made here take a sixth of that."""

    #: The schema as the user wrote it, and the one pandera runs: the same, less ``own``.
    schema: pa.DataFrameSchema
    by_pandera: pa.DataFrameSchema
    #: planbook's table-wide checks, each with its number in ``schema.checks``.
    own: tuple[tuple[int, pa.Check], ...]
    #: The number in ``schema.checks`` of each of ``by_pandera.checks``.
    numbers: tuple[int, ...]

    @classmethod
    def of(cls, schema: pa.DataFrameSchema) -> _Validation:
        from planbook.check.pandera_checks import TABLE_CHECKS

        # A schema that drops invalid rows reports none of them: pandera runs it all.
        drops_rows = schema.drop_invalid_rows or any(
            column.drop_invalid_rows for column in schema.columns.values()
        )
        own = tuple(
            (number, check)
            for number, check in enumerate(schema.checks)
            if check.name in TABLE_CHECKS and _with_panderas_defaults(check) and not drops_rows
        )
        ours = {number for number, _ in own}
        numbers = tuple(number for number in range(len(schema.checks)) if number not in ours)
        if not own:
            return cls(schema, schema, (), numbers)
        by_pandera = copy.copy(schema)
        by_pandera.checks = [schema.checks[number] for number in numbers]
        return cls(schema, by_pandera, own, numbers)

    def failure_cases(self, frame: pd.DataFrame) -> pd.DataFrame | None:
        """pandera's failure cases of the frame, planbook's among them (None: it passes)."""
        import pandas as pd
        import pandera.pandas as pa

        found: list[pd.DataFrame] = []
        try:
            checked = self.by_pandera.validate(frame, lazy=True, inplace=True)  # no copy
        except pa.errors.SchemaErrors as errors:
            checked, cases = errors.data, errors.failure_cases
            if self.own:
                _renumber(cases, self.numbers)
            found.append(cases)
        own = [
            case
            for number, check in self.own
            for case in _own_cases(number, check, checked, self.schema.name)
        ]
        if own:
            found.append(pd.DataFrame.from_records(own, columns=list(own[0])))
        if not found:
            return None
        return found[0] if len(found) == 1 else pd.concat(found, ignore_index=True)


def _renumber(cases: pd.DataFrame, numbers: tuple[int, ...]) -> None:
    """Number pandera's table-wide cases as the whole schema does: pandera numbered the
    checks it was given, less planbook's own."""
    wide = (cases["schema_context"] == "DataFrameSchema") & cases["check_number"].notna()
    if wide.any():
        cases.loc[wide, "check_number"] = [
            numbers[int(number)] for number in cases.loc[wide, "check_number"]
        ]


def _with_panderas_defaults(check: pa.Check) -> bool:
    """Whether pandera would report each failing cell of the check, and only those."""
    return (
        check.ignore_na
        and not check.raise_warning
        and not check.element_wise
        and check.n_failure_cases is None
        and check.groupby is None
    )


def _own_cases(
    number: int, check: pa.Check, frame: pd.DataFrame, schema_name: str | None
) -> list[dict[str, Any]]:
    """The failure cases of one of planbook's table-wide checks, as pandera gives them:
    a row for each failing row with ``{column: value}`` of its failing cells (a missing
    value passes), or one row with no index naming the error of a check that raised."""
    import numpy as np

    said = {
        "schema_context": "DataFrameSchema",
        "check": check.error if check.error is not None else check.name,
        "check_number": number,
    }
    try:  # pandera's own backend calls the check, with every argument the schema gave it
        backend = check.get_backend(frame)(check)
        passed = backend.apply(backend.preprocess(frame, None))
    except Exception as error:  # as pandera catches it: an error of the schema, reported
        text = f'"{error.args[0]}"' if error.args else ""
        failure = f"{type(error).__name__}({text})"
        return [{**said, "column": schema_name, "failure_case": failure, "index": None}]
    # A missing value passes (pandera's ignore_na), asked only of the columns that fail.
    failing = {
        name: ~passed[name].to_numpy(dtype=bool) & frame[name].notna().to_numpy()
        for name in frame.columns
        if not passed[name].all()
    }
    names = [name for name, fails in failing.items() if fails.any()]
    if not names:
        return []
    rows = np.logical_or.reduce([failing[name] for name in names])
    flags = zip(*(failing[name][rows].tolist() for name in names), strict=True)
    values = zip(*(frame[name].to_numpy()[rows].tolist() for name in names), strict=True)
    return [
        {
            **said,
            "column": "failure_case",  # pandera's name for a table-wide case's column
            "failure_case": {
                name: value for name, fail, value in zip(names, fail, cells, strict=True) if fail
            },
            "index": index,
        }
        for index, fail, cells in zip(frame.index[rows].tolist(), flags, values, strict=True)
    ]


#: The most rows validated at once where a table's checks allow it (``row_by_row``): a
#: plan of 100,000 rows is validated in slices, each slice's frames gone before the next.
ROWS_AT_ONCE = 20_000


def row_by_row(schema: pa.DataFrameSchema) -> bool:
    """Whether each row's failures depend on that row alone, so that the rows may be
    validated a slice at a time with the same findings in the same order: every check is
    one of planbook's, each reporting all its failures, and no column is to be unique.
    (A broken schema stops at its first failure with no row, which is then the first of
    the first slice that has one.)"""
    from planbook.check.pandera_checks import ROW_BY_ROW_CHECKS

    checks = [*schema.checks, *(c for column in schema.columns.values() for c in column.checks)]
    return (
        not schema.unique
        and not any(column.unique for column in schema.columns.values())
        and all(
            check.name in ROW_BY_ROW_CHECKS
            and check.n_failure_cases is None
            and check.groupby is None
            for check in checks
        )
    )


def _frame(members: list[MilestoneRow], fields: list[str], start: int) -> pd.DataFrame:
    """The rows' texts as a frame of text columns and ``is_milestone``, indexed by the
    rows' places in the whole table's list from ``start``."""
    import pandas as pd

    columns: dict[str, list[Any]] = _texts(members, fields)
    columns["is_milestone"] = [row.is_milestone for row in members]
    index = pd.RangeIndex(start, start + len(members))
    frame = pd.DataFrame(columns, index=index, dtype=object)
    del columns  # the frame holds its own copy: the lists go now
    frame["is_milestone"] = frame["is_milestone"].astype(bool)
    return frame


def _texts(members: list[MilestoneRow], fields: list[str]) -> dict[str, list[str | None]]:
    """The rows' text under each field, as columns: one pass over the rows (a hundred
    thousand rows make a million cells), None where a row's table has no such column,
    "" where its cell is empty."""
    columns: dict[str, list[str | None]] = {name: [] for name in fields}
    # Per table: the columns it lacks; for the others (the column, the field, whether the
    # item's own row holds it).
    absent: list[list[str | None]] = []
    present: list[tuple[list[str | None], str, bool]] = []
    table = None
    for member in members:
        if member.table is not table:  # rows come table by table
            table = member.table
            absent = [columns[name] for name in fields if name not in table.header]
            present = [
                (columns[name], name, name in ITEM_FIELDS)
                for name in fields
                if name in table.header
            ]
        for column in absent:
            column.append(None)
        own, head = member.row.cells, member.item.head.cells
        for column, name, on_item in present:
            cell = (head if on_item else own).get(name)
            if cell is None:
                column.append("")
            else:
                value = cell.value
                column.append(value if type(value) is str else cell_text(value))
    return columns


def _findings(
    cases: pd.DataFrame, table_schema: TableSchema, members: list[MilestoneRow]
) -> Iterator[Finding]:
    schema = table_schema.schema
    # A failure with no row is the schema's, not the plan's: a check that raised (pandera
    # gives the exception's text as the failure case) or one that failed the column or
    # the table as a whole. It is one line naming the file, not dropped.
    rowless = cases[cases["index"].isna()]
    if len(rowless):
        # Of several, the schema's own before its columns', as pandera sorts them, each in
        # the order the checks ran (its presence checks, with no number, first).
        rowless = rowless.sort_values(
            ["schema_context", "check_number"],
            ascending=[False, True],
            kind="stable",
            na_position="first",
        )
        raise SchemaFileError(table_schema.path, schema_failure(rowless.iloc[0].to_dict()))
    # In an order of planbook's: pandera's (an unstable sort) changes with the other rows
    # in the frame, and the findings of one cell from several milestones of an item (its
    # Ref and Description stand on its first row) keep the order they are given in.
    cases = cases.sort_values(_CASE_ORDER, kind="stable", na_position="first")
    # Column by column, not a record each: a faulty big plan has tens of thousands.
    columns = (cases[name].tolist() for name in _CASE_COLUMNS)
    texts: dict[str, str] = {}
    for index, column, failure_case, shown, number in zip(*columns, strict=True):
        member = members[int(index)]
        # A table-wide check fails a row once, with {field: value} of each failing cell.
        wide = isinstance(failure_case, dict)
        failed = failure_case.items() if wide else [(str(column), failure_case)]
        for field, value in failed:
            if value is None or field not in member.table.header:
                continue  # a column this row's table does not have (pandera: not nullable)
            if number is None:  # pandera's own column settings (unique, nullable): no Check
                name, statistics = str(shown), {}
            else:
                check = (schema.checks if wide else schema.columns[field].checks)[int(number)]
                name, statistics = check.name, check.statistics
            failure = Failure(name, statistics, member, field, str(value), str(shown), texts)
            yield describe_failure(failure)


#: What ``_findings`` takes of pandera's failure cases, in its order.
_CASE_COLUMNS = ("index", "column", "failure_case", "check", "check_number")
#: The order ``_findings`` takes them in: by row, then by what failed; the same whatever
#: other rows share the frame.
_CASE_ORDER = ["index", "schema_context", "column", "check_number", "check"]


def _missing_column(field: str, sheet: PlanSheet, table: Table) -> Finding:
    first = min(table.header.values(), key=lambda cell: cell.column)
    part = table.effective_part
    what = f"the Part {part} table" if part else "the table"
    name = FIELD_NAMES.get(field, field)
    return Finding(
        code="PB106",
        sheet=sheet.name,
        cell=first.coordinate,
        value="",
        message=f"{what} with its header on row {table.header_row} has no '{name}' column",
        suggestion=f"add a '{name}' column to the header row",
        sheet_index=sheet.index,
        row=table.header_row,
        column=first.column,
    )
