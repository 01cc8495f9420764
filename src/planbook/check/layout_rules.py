"""Findings about the layout itself: what the reader found but could not fully place."""

from __future__ import annotations

from collections.abc import Iterator

from planbook.check.messages import FIELD_NAMES
from planbook.findings import Finding
from planbook.model import Cell, Plan, PlanSheet, Sheet, column_letter, shorten

_PART_TITLES = {
    1: "Part 1 - Outstanding Transition Items",
    2: "Part 2 - Annual Plan Items",
    3: "Part 3 - Forward Look",
}


def _at(code: str, sheet: Sheet, cell: Cell, message: str, suggestion: str) -> Finding:
    return Finding(
        code=code,
        sheet=sheet.name,
        cell=cell.coordinate,
        value=cell.text,
        message=message,
        suggestion=suggestion,
        sheet_index=sheet.index,
        row=cell.row,
        column=cell.column,
    )


def layout_findings(plan: Plan) -> Iterator[Finding]:
    for sheet in plan.sheets:
        for cell in sheet.unplaced:
            yield _at(
                "PB102",
                sheet,
                cell,
                f"'{shorten(cell.text)}' stands outside any table: kept, but not part of the plan",
                "move it into a table, or onto a notes sheet",
            )
        if isinstance(sheet, PlanSheet):
            yield from _plan_sheet_findings(sheet)


def _plan_sheet_findings(sheet: PlanSheet) -> Iterator[Finding]:
    for table in sheet.tables:
        if table.title is None and table.inferred_part is not None:
            first = min(table.header.values(), key=lambda cell: cell.column)
            title = _PART_TITLES[table.inferred_part]
            yield _at(
                "PB101",
                sheet,
                first,
                f"the table with its header on row {table.header_row} has no title; "
                f"read as Part {table.inferred_part} from its columns",
                f"add a title line above it, e.g. '{title}'",
            )
        for cell in table.extra_columns:
            yield _at(
                "PB107",
                sheet,
                cell,
                f"column '{shorten(cell.text)}' is no plan field; its cells are kept as they are",
                "nothing to do, unless it is a misspelt plan column",
            )
        for item in table.items:
            head = item.head
            ref, description = item.ref, item.description
            if ref is None and description is None:
                first = min(head.all_cells(), key=lambda cell: cell.column)
                yield _at(
                    "PB104",
                    sheet,
                    first,
                    f"row {head.row} continues no item: no item above it in this table",
                    "give the row a Description, or move it under its item",
                )
            elif description is None and ref is not None:
                header = table.header.get("description")
                where = f" ({column_letter(header.column)}{head.row})" if header is not None else ""
                yield _at(
                    "PB103",
                    sheet,
                    ref,
                    f"'{shorten(ref.text)}' is in Ref but the Description is empty: "
                    "a shifted milestone?",
                    f"move it to {FIELD_NAMES['description']}{where}, "
                    "or under Milestones if it belongs to the item above",
                )
            for row in item.rows:
                for cell in row.stray:
                    yield _at(
                        "PB102",
                        sheet,
                        cell,
                        f"'{shorten(cell.text)}' stands in a column with no header: "
                        "kept, but not part of the plan",
                        "give the column a header, or move the text into the table",
                    )
