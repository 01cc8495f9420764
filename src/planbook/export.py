"""The flat view of a plan: one row per milestone, for analysts and for validation.

Which rows: every milestone once; an item with no milestone is one row with the
milestone fields empty; an item whose own row is no milestone but carries other text
(a lead, councils, a RAG) gets that row too, so no cell of a table is lost in the flat
view. Values are the cell text as written (a date cell as ISO yyyy-mm-dd).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import textwrap
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, TextIO

from planbook.derive import Derivation, Settings, derive_plan
from planbook.model import FIELDS, MilestoneRow, Plan, milestone_rows
from planbook.normalise import parse_councils
from planbook.schemas import Vocabularies, load_vocabularies

if TYPE_CHECKING:
    import pandas as pd

#: The reader's columns: where the row is and the cell text as written.
READ_COLUMNS: tuple[str, ...] = ("sheet", "service", "part", "item", *FIELDS, "row")
#: What planbook derives from them (as of a date): added after ``row``, never renamed.
DERIVED_COLUMNS: tuple[str, ...] = (
    "due_date",
    "due_kind",
    "status_canonical",
    "council_codes",
    "rag_derived",
    "item_rag_derived",
)
EXPORT_COLUMNS: tuple[str, ...] = (*READ_COLUMNS, *DERIVED_COLUMNS)

ExportFormat = Literal["csv", "json"]


def _record(row: MilestoneRow) -> dict[str, Any]:
    """The reader's columns: the cell text as written."""
    part = row.table.effective_part
    values: dict[str, Any] = {
        "sheet": row.sheet.name,
        "service": row.sheet.service,
        "part": part if part is not None else "",
        "item": row.item_number,
    }
    for name in FIELDS:
        cell = row.cell(name)
        values[name] = cell.text if cell is not None else ""
    values["row"] = row.row.row
    return values


def iter_export_records(
    plan: Plan, settings: Settings | None = None, vocabularies: Vocabularies | None = None
) -> Iterator[dict[str, Any]]:
    """Every row of the flat view with its derived columns (as of today by default),
    one at a time: a big plan's export is written as it is made."""
    vocabularies = vocabularies or load_vocabularies()
    derivation = derive_plan(plan, settings or Settings(as_of=dt.date.today()), vocabularies)
    for row in milestone_rows(plan):
        record = _record(row)
        record.update(_derived(row, derivation, vocabularies))
        yield record


def export_records(
    plan: Plan, settings: Settings | None = None, vocabularies: Vocabularies | None = None
) -> list[dict[str, Any]]:
    """Every row of the flat view with its derived columns, as a list."""
    return list(iter_export_records(plan, settings, vocabularies))


def _derived(
    row: MilestoneRow, derivation: Derivation, vocabularies: Vocabularies
) -> dict[str, str]:
    milestone = derivation.milestone(row.sheet.name, row.row.row) if row.is_milestone else None
    item = derivation.item(row.sheet.name, row.item.row)
    due = milestone.due if milestone is not None else None
    councils = parse_councils(row.row.text("councils"), vocabularies.councils)
    return {
        "due_date": due.date.isoformat() if due is not None and due.date is not None else "",
        "due_kind": due.kind if due is not None else "none",
        "status_canonical": (milestone.status if milestone is not None else None) or "",
        "council_codes": ";".join(councils.codes),
        "rag_derived": (milestone.derived if milestone is not None else None) or "",
        "item_rag_derived": (item.derived if item is not None else None) or "",
    }


def to_dataframe(
    plan: Plan, settings: Settings | None = None, vocabularies: Vocabularies | None = None
) -> pd.DataFrame:
    """The flat view as a DataFrame, plus a ``<field>_cell`` coordinate column per field."""
    import pandas as pd

    records = export_records(plan, settings, vocabularies)
    for record, row in zip(records, milestone_rows(plan), strict=True):
        record.update({f"{name}_cell": cell for name, cell in row.cells().items()})
    columns = [*EXPORT_COLUMNS, *(f"{name}_cell" for name in FIELDS)]
    return pd.DataFrame.from_records(records, columns=columns)


def render_export(
    plan: Plan,
    fmt: ExportFormat,
    settings: Settings | None = None,
    vocabularies: Vocabularies | None = None,
) -> str:
    """The export as text: CSV with a header line, or a JSON list of objects."""
    buffer = io.StringIO()
    write_export(plan, fmt, buffer, settings, vocabularies)
    return buffer.getvalue()


def write_export(
    plan: Plan,
    fmt: ExportFormat,
    stream: TextIO,
    settings: Settings | None = None,
    vocabularies: Vocabularies | None = None,
) -> None:
    """Write the export to ``stream`` a row at a time (the JSON as ``json.dumps`` of the
    whole list with ``indent=2`` would be)."""
    records = iter_export_records(plan, settings, vocabularies)
    if fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        return
    first = next(records, None)
    if first is None:
        stream.write("[]\n")
        return
    stream.write("[\n")
    for index, record in enumerate(itertools.chain([first], records)):
        text = json.dumps(record, ensure_ascii=False, indent=2)
        stream.write(("" if index == 0 else ",\n") + textwrap.indent(text, "  "))
    stream.write("\n]\n")
