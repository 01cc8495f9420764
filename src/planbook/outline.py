"""How planbook understood a workbook: a plain dict (the JSON) and its text rendering."""

from __future__ import annotations

from typing import Any

from planbook.display import safe, shorten
from planbook.model import (
    Cell,
    CoverSheet,
    CoverTable,
    Item,
    OtherSheet,
    Plan,
    PlanSheet,
    Sheet,
    Table,
    TableRow,
)

_ITEM_FIELDS = ("ref", "description")


def outline(plan: Plan) -> dict[str, Any]:
    """The outline as JSON-ready data: sheets, their tables, items and milestones."""
    return {"file": str(plan.path), "sheets": [_sheet(sheet) for sheet in plan.sheets]}


def _sheet(sheet: Sheet) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": sheet.name,
        "kind": sheet.kind,
        "state": sheet.state,
        "service": sheet.service if isinstance(sheet, PlanSheet) else None,
        "header": {},
        "tables": [],
    }
    if isinstance(sheet, PlanSheet):
        data["header"] = {entry.label.text.strip(): entry.text for entry in sheet.header}
        data["notes"] = [_cell(cell) for cell in sheet.notes]
        data["tables"] = [_table(table) for table in sheet.tables]
    elif isinstance(sheet, CoverSheet):
        data["titles"] = [cell.text for cell in sheet.titles]
        data["version_control"] = _cover_table(sheet.version_control)
        data["configuration_control"] = _cover_table(sheet.configuration_control)
    elif isinstance(sheet, OtherSheet):
        data["cells"] = len(sheet.content)
    data["unplaced"] = [_cell(cell) for cell in _unplaced(sheet)]
    data["artefact_rows"] = sorted({cell.row for cell in sheet.artefacts})
    return data


def _unplaced(sheet: Sheet) -> list[Cell]:
    cells = list(sheet.unplaced)
    if isinstance(sheet, PlanSheet):
        cells.extend(sheet.stray)
    return sorted(cells, key=lambda cell: (cell.row, cell.column))


def _cell(cell: Cell) -> dict[str, str]:
    return {"cell": cell.coordinate, "value": cell.text}


def _table(table: Table) -> dict[str, Any]:
    return {
        "part": table.part,
        "inferred_part": table.inferred_part,
        "title": table.title.text if table.title is not None else None,
        "header_row": table.header_row,
        "columns": table.columns,
        "extra_columns": {cell.coordinate: cell.text for cell in table.extra_columns},
        "repeated_header_rows": [cells[0].row for cells in table.repeated_headers],
        "marker_rows": [cell.row for cell in table.markers],
        "items": [_item(item) for item in table.items],
    }


def _item(item: Item) -> dict[str, Any]:
    data: dict[str, Any] = {
        "row": item.row,
        "ref": item.ref.text if item.ref is not None else "",
        "description": item.description.text if item.description is not None else "",
    }
    if not item.head_is_milestone and (own := _fields(item.head)):
        data["item_fields"] = own
    data["milestones"] = [{"row": row.row, **_fields(row)} for row in item.milestones]
    return data


def _fields(row: TableRow) -> dict[str, str]:
    values = {name: cell.text for name, cell in row.cells.items() if name not in _ITEM_FIELDS}
    values.update({header: cell.text for header, cell in row.extra})
    return values


def _cover_table(table: CoverTable | None) -> dict[str, Any] | None:
    if table is None:
        return None
    return {
        "columns": list(table.columns),
        "rows": [
            {"row": row.row, **{header: cell.text for header, cell in row.cells.items()}}
            for row in table.rows
        ],
    }


def render_outline(data: dict[str, Any]) -> str:
    """The outline for a lead to read."""
    lines = [f"{data['file']}"]
    for sheet in data["sheets"]:
        lines.append("")
        lines.append(_sheet_heading(sheet))
        for label, value in sheet["header"].items():
            lines.append(f"  {label} {value}".rstrip())
        for table in sheet["tables"]:
            lines.append(_table_line(table))
        if sheet["kind"] == "cover":
            for key, name in (
                ("version_control", "Version Control"),
                ("configuration_control", "Configuration Control"),
            ):
                if sheet.get(key) is not None:
                    lines.append(f"  {name}: {len(sheet[key]['rows'])} rows")
        for cell in sheet["unplaced"]:
            lines.append(f"  unplaced {cell['cell']}: {shorten(cell['value'])}")
    return "\n".join(safe(line) for line in lines) + "\n"


def _sheet_heading(sheet: dict[str, Any]) -> str:
    hidden = "" if sheet["state"] == "visible" else f", {sheet['state']}"
    if sheet["kind"] == "plan":
        return f"{sheet['name']}: service plan for {sheet['service']}{hidden}"
    if sheet["kind"] == "cover":
        return f"{sheet['name']}: cover{hidden}"
    return f"{sheet['name']}: not a plan sheet, kept as it is ({sheet['cells']} cells){hidden}"


def _table_line(table: dict[str, Any]) -> str:
    if table["part"] is not None:
        name = f"Part {table['part']}"
    elif table["inferred_part"] is not None:
        name = f"Part {table['inferred_part']} (untitled; inferred from its columns)"
    else:
        name = "Untitled table"
    items = table["items"]
    milestones = sum(len(item["milestones"]) for item in items)
    repeats = len(table["repeated_header_rows"])
    extra = f", header repeated {repeats}x" if repeats else ""
    return (
        f"  {name}: header row {table['header_row']}, {len(items)} items, "
        f"{milestones} milestones{extra}; columns "
        + " ".join(f"{field}={letter}" for field, letter in table["columns"].items())
    )
