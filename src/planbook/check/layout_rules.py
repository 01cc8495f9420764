"""Findings about the layout itself: what the reader found but could not fully place."""

from __future__ import annotations

from collections.abc import Iterator

from planbook.display import shorten
from planbook.findings import Finding
from planbook.model import (
    EXCEL_CELL_LIMIT,
    FIELD_NAMES,
    Cell,
    Plan,
    PlanSheet,
    Sheet,
    column_letter,
)

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


#: What Excel shows for a formula that failed.
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!",
     "#PYTHON!"}
)  # fmt: skip


def layout_findings(plan: Plan) -> Iterator[Finding]:
    if not plan.plan_sheets:
        kinds = ", ".join(f"'{sheet.name}'" for sheet in plan.sheets) or "none"
        yield Finding(
            code="PB100",
            sheet="",
            cell="",
            value="",
            message=f"no sheet of this workbook is a service plan (sheets: {shorten(kinds, 80)})",
            suggestion="a plan sheet holds an 'Annual Plan for:' line or a 'Ref | Description' "
            "table header",
        )
    yield from _visibility_findings(plan)
    for sheet in plan.sheets:
        yield from _cell_findings(sheet)
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


#: How a lead unhides a sheet, by its state: a "very hidden" one is not in Excel's Unhide list.
_UNHIDE = {
    "hidden": "right-click any sheet tab, choose Unhide and pick this sheet",
    "veryHidden": "in the VBA editor (Alt+F11) set the sheet's Visible property to "
    "-1 - xlSheetVisible",
}


def _visibility_findings(plan: Plan) -> Iterator[Finding]:
    """A plan the board cannot see: a hidden plan sheet, or no visible sheet at all.

    Only ``hidden`` and ``veryHidden`` hide a sheet: Excel shows a sheet with any other
    state (``visible``, or a misspelling some tools write, such as ``show``)."""
    for sheet in plan.plan_sheets:
        if sheet.state in _UNHIDE:
            yield Finding(
                code="PB111",
                sheet=sheet.name,
                cell="",
                value=sheet.state,
                message=f"this plan sheet is {'very ' if sheet.state == 'veryHidden' else ''}"
                "hidden: whoever opens the workbook, the board too, will not see it",
                suggestion=_UNHIDE[sheet.state],
                sheet_index=sheet.index,
            )
    if plan.sheets and all(sheet.state in _UNHIDE for sheet in plan.sheets):
        yield Finding(
            code="PB112",
            sheet="",
            cell="",
            value="",
            message="no sheet of this workbook is visible: Excel has to repair it to open it",
            suggestion="unhide at least one sheet (the plan)",
        )


def _cell_findings(sheet: Sheet) -> Iterator[Finding]:
    """Cells that are broken whatever their place: error values, formulas never
    calculated, text longer than Excel holds."""
    if not sheet.may_hold_broken_text and not sheet.uncalculated:
        return
    uncalculated = {(cell.row, cell.column) for cell in sheet.uncalculated}
    for cell in sheet.cells():  # every cell of a sheet: the cheap tests first
        value = cell.value
        if uncalculated and (cell.row, cell.column) in uncalculated:
            yield _at(
                "PB109",
                sheet,
                cell,
                f"a formula Excel never calculated ('{shorten(cell.text, 40)}'): planbook "
                "reads it as its formula text, not a value",
                "open the workbook in Excel, let it calculate, and save it",
            )
        # Every Excel error starts with "#": a text without one is none (a test says so).
        elif isinstance(value, str) and "#" in value and value.strip() in EXCEL_ERRORS:
            yield _at(
                "PB108",
                sheet,
                cell,
                f"'{value.strip()}' is an Excel error, not a value",
                "repair the formula or type the value",
            )
        if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT:
            yield _at(
                "PB110",
                sheet,
                cell,
                f"{len(value):,} characters: more than Excel's {EXCEL_CELL_LIMIT:,} a cell; "
                "planbook format keeps only the first of them (and logs it)",
                "move the rest of the text into another cell",
            )


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
