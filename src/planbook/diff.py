"""What changed between two versions of a plan, item by item: the minutes of what the
leads did.

Sheets are matched by name (else by service). Items rarely have a Ref, so within a sheet
items are matched in passes, each pass only among items still unmatched:

1. the same Ref (when both have one);
2. the same Description (white space and case aside);
3. the most similar Descriptions, best pair first, when at least ``SIMILAR`` alike
   (difflib's ratio): a reworded description is a rename, not a removal and an addition;
4. in place: items of the same part whose descriptions are at least ``RELATED`` alike,
   nearest places in the sheet first (an item's place is its index among all the sheet's
   items, matched or not): a heavy rewrite still where it was.

Milestones within a matched item are matched in passes on their milestone text (the
same text, then the most similar when at least ``SIMILAR`` alike), then by nearest place
among milestones with no text. What is left unmatched was added or removed.

Due dates are read with each version's plan year (``planbook.derive.plan_year_of``), so
a recurring or quarter date (``Annual, Q3``) has its day and a slip is counted in days.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from planbook.derive import Settings, plan_year_of
from planbook.duedates import parse_due
from planbook.model import Item, Plan, PlanSheet, Table, TableRow, column_letter
from planbook.normalise import normalise_rag, normalise_status
from planbook.schemas import Vocabularies

SIMILAR = 0.6
RELATED = 0.3

#: Change kinds, in the order a board reads them.
KINDS: tuple[str, ...] = (
    "status_changed",
    "rag_changed",
    "due_changed",
    "item_added",
    "item_removed",
    "item_renamed",
    "item_moved",
    "milestone_added",
    "milestone_removed",
    "field_changed",
    "progress_updated",
    "header_changed",
)
#: Fields compared as text (field_changed); status, RAG, due and progress have kinds.
TEXT_FIELDS: tuple[str, ...] = ("milestone", "lead", "councils", "outcome")
CSV_COLUMNS: tuple[str, ...] = (
    "kind", "sheet", "item", "milestone", "field", "old", "new", "days", "cell",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PlanChange:
    kind: str
    sheet: str
    item: str = ""
    milestone: str = ""
    field: str = ""
    old: str = ""
    new: str = ""
    #: For due_changed: days slipped (positive) or pulled in (negative).
    days: int | None = None
    #: Where it is in the new version (in the old, for what was removed).
    cell: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "sheet": self.sheet,
            "item": self.item,
            "milestone": self.milestone,
            "field": self.field,
            "old": self.old,
            "new": self.new,
        }
        if self.days is not None:
            data["days"] = self.days
        if self.cell:
            data["cell"] = self.cell
        return data


def diff_plans(
    old: Plan, new: Plan, vocabularies: Vocabularies, *, plan_year: int | None = None
) -> list[PlanChange]:
    """Every change from ``old`` to ``new``, sheet by sheet in the new workbook's order.

    Due dates are read with ``plan_year`` when it is given (``--plan-year``, for both
    versions alike), else with each version's own plan year (its sheet's title, else its
    cover's), as ``check`` reads them."""
    # Why: plan_year_of reads only the plan year of its settings, never the as-of date.
    settings = Settings(as_of=dt.date.min, plan_year=plan_year)
    changes: list[PlanChange] = []
    old_sheets = list(old.plan_sheets)
    for new_sheet in new.plan_sheets:
        old_sheet = _matching_sheet(new_sheet, old_sheets)
        if old_sheet is None:
            changes.extend(_whole_items(new_sheet, "item_added"))
            continue
        old_sheets.remove(old_sheet)
        years = (plan_year_of(old, old_sheet, settings), plan_year_of(new, new_sheet, settings))
        changes.extend(_sheet_changes(old_sheet, new_sheet, vocabularies, years))
    for gone in old_sheets:
        changes.extend(_whole_items(gone, "item_removed"))
    return changes


def _matching_sheet(sheet: PlanSheet, candidates: list[PlanSheet]) -> PlanSheet | None:
    by_name = next((c for c in candidates if c.name == sheet.name), None)
    return by_name or next((c for c in candidates if c.service == sheet.service), None)


def _whole_items(sheet: PlanSheet, kind: str) -> Iterator[PlanChange]:
    for _, item in _items(sheet):
        cell = item.description or item.ref
        yield PlanChange(kind, sheet.name, item.label, cell=cell.coordinate if cell else "")


def _items(sheet: PlanSheet) -> list[tuple[Table, Item]]:
    return [(table, item) for table in sheet.tables for item in table.items]


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _key(a), _key(b), autojunk=False).ratio()


T = TypeVar("T")


def match(
    old: Sequence[T],
    new: Sequence[T],
    passes: Sequence[Callable[[T, T], float]],
) -> tuple[list[tuple[T, T]], list[T], list[T]]:
    """Pair ``old`` and ``new`` in passes: each pass scores the still unpaired pairs
    (0 = no match) and takes them best first, earlier positions breaking ties."""
    pairs: list[tuple[int, int]] = []
    free_old, free_new = set(range(len(old))), set(range(len(new)))
    for score in passes:
        scored = [
            (-value, i, j)
            for i in sorted(free_old)
            for j in sorted(free_new)
            if (value := score(old[i], new[j])) > 0
        ]
        for _, i, j in sorted(scored):
            if i in free_old and j in free_new:
                pairs.append((i, j))
                free_old.discard(i)
                free_new.discard(j)
    pairs.sort(key=lambda pair: pair[1])
    return (
        [(old[i], new[j]) for i, j in pairs],
        [old[i] for i in sorted(free_old)],
        [new[j] for j in sorted(free_new)],
    )


#: The plan years the old and the new version's due dates are read with.
Years = tuple[int | None, int | None]


def _sheet_changes(
    old: PlanSheet, new: PlanSheet, vocab: Vocabularies, years: Years
) -> Iterator[PlanChange]:
    yield from _header_changes(old, new)
    old_items, new_items = _items(old), _items(new)
    positions = {id(entry): n for n, entry in enumerate(old_items)}
    positions.update({id(entry): n for n, entry in enumerate(new_items)})

    def same_ref(a: tuple[Table, Item], b: tuple[Table, Item]) -> float:
        ref_a, ref_b = _text(a[1].ref), _text(b[1].ref)
        return 1.0 if ref_a and _key(ref_a) == _key(ref_b) else 0.0

    def same_description(a: tuple[Table, Item], b: tuple[Table, Item]) -> float:
        da, db = _text(a[1].description), _text(b[1].description)
        return 1.0 if da and _key(da) == _key(db) else 0.0

    def similar(a: tuple[Table, Item], b: tuple[Table, Item]) -> float:
        ratio = _ratio(a[1].label, b[1].label)
        return ratio if ratio >= SIMILAR else 0.0

    def in_place(a: tuple[Table, Item], b: tuple[Table, Item]) -> float:
        same_part = a[0].effective_part == b[0].effective_part
        close = 1.0 / (1 + abs(positions[id(a)] - positions[id(b)]))
        return close if same_part and _ratio(a[1].label, b[1].label) >= RELATED else 0.0

    pairs, removed, added = match(
        old_items, new_items, [same_ref, same_description, similar, in_place]
    )
    for (old_table, old_item), (new_table, new_item) in pairs:
        yield from _item_changes(new.name, old_table, old_item, new_table, new_item, vocab, years)
    for _, item in removed:
        yield PlanChange("item_removed", new.name, item.label, cell=_where(item))
    for _, item in added:
        yield PlanChange("item_added", new.name, item.label, cell=_where(item))


def _where(item: Item) -> str:
    cell = item.description or item.ref
    return cell.coordinate if cell is not None else f"A{item.row}"


def _text(cell: Any) -> str:
    return cell.text.strip() if cell is not None else ""


def _header_changes(old: PlanSheet, new: PlanSheet) -> Iterator[PlanChange]:
    """Header lines changed, added or taken out (by their label's meaning)."""
    old_entries = {entry.key: entry for entry in old.header}
    new_entries = {entry.key: entry for entry in new.header}
    for key in dict.fromkeys([*new_entries, *old_entries]):
        before, after = old_entries.get(key), new_entries.get(key)
        before_text = before.text.strip() if before is not None else ""
        after_text = after.text.strip() if after is not None else ""
        shown = after or before
        assert shown is not None
        if before_text != after_text or (before is None) != (after is None):
            cell = shown.value.coordinate if shown.value is not None else shown.label.coordinate
            yield PlanChange(
                "header_changed",
                new.name,
                field=shown.label.text.strip(),
                old=before_text,
                new=after_text,
                cell=cell,  # in the old version when the line was taken out
            )


def _item_changes(
    sheet: str,
    old_table: Table,
    old_item: Item,
    new_table: Table,
    new_item: Item,
    vocab: Vocabularies,
    years: Years,
) -> Iterator[PlanChange]:
    label = new_item.label
    if _key(old_item.label) != _key(new_item.label):
        yield PlanChange(
            "item_renamed",
            sheet,
            label,
            field="description",
            old=old_item.label,
            new=new_item.label,
            cell=_where(new_item),
        )
    if old_table.effective_part != new_table.effective_part:
        yield PlanChange(
            "item_moved",
            sheet,
            label,
            field="part",
            old=str(old_table.effective_part or ""),
            new=str(new_table.effective_part or ""),
            cell=_where(new_item),
        )
    if not old_item.head_is_milestone and not new_item.head_is_milestone:
        yield from _row_changes(
            sheet, label, "", old_item.head, new_item.head, vocab, years, new_table
        )

    def same_text(a: TableRow, b: TableRow) -> float:
        ta, tb = a.text("milestone").strip(), b.text("milestone").strip()
        return 1.0 if ta and _key(ta) == _key(tb) else 0.0

    def similar(a: TableRow, b: TableRow) -> float:
        ta, tb = a.text("milestone").strip(), b.text("milestone").strip()
        ratio = _ratio(ta, tb) if ta and tb else 0.0
        return ratio if ratio >= SIMILAR else 0.0

    old_rows, new_rows = old_item.milestones, new_item.milestones
    order = {id(row): n for n, row in enumerate(old_rows)}
    order.update({id(row): n for n, row in enumerate(new_rows)})

    def untitled_in_place(a: TableRow, b: TableRow) -> float:
        if a.text("milestone").strip() or b.text("milestone").strip():
            return 0.0
        return 1.0 / (1 + abs(order[id(a)] - order[id(b)]))

    pairs, removed, added = match(old_rows, new_rows, [same_text, similar, untitled_in_place])
    for old_row, new_row in pairs:
        yield from _row_changes(
            sheet, label, _milestone_name(new_row), old_row, new_row, vocab, years, new_table
        )
    for row in removed:
        cell = f"{_first_column(old_table)}{row.row}"  # in the old version
        yield PlanChange("milestone_removed", sheet, label, _milestone_name(row), cell=cell)
    for row in added:
        yield PlanChange(
            "milestone_added", sheet, label, _milestone_name(row), cell=_row_cell(row, "milestone")
        )


def _milestone_name(row: TableRow) -> str:
    return row.text("milestone").strip() or row.text("due").strip() or f"row {row.row}"


def _first_column(table: Table) -> str:
    """The letter of the table's leftmost header column (A when it has none)."""
    columns = [cell.column for cell in (*table.header.values(), *table.extra_columns)]
    return column_letter(min(columns)) if columns else "A"


def _row_cell(row: TableRow, field: str, table: Table | None = None) -> str:
    """Where a field of the row is: its cell, else its table's column on that row."""
    cell = row.get(field)
    if cell is not None:
        return cell.coordinate
    header = table.header.get(field) if table is not None else None
    return f"{column_letter(header.column)}{row.row}" if header is not None else f"A{row.row}"


def _row_changes(
    sheet: str,
    item: str,
    milestone: str,
    old: TableRow,
    new: TableRow,
    vocab: Vocabularies,
    years: Years = (None, None),
    table: Table | None = None,
) -> Iterator[PlanChange]:
    def change(
        kind: str, field: str, before: str, after: str, days: int | None = None
    ) -> PlanChange:
        return PlanChange(
            kind, sheet, item, milestone, field, before, after, days, _row_cell(new, field, table)
        )

    old_status = normalise_status(old.text("status"), vocab.status)
    new_status = normalise_status(new.text("status"), vocab.status)
    if (old_status.canonical or _key(old.text("status"))) != (
        new_status.canonical or _key(new.text("status"))
    ):
        yield change(
            "status_changed", "status", old.text("status").strip(), new.text("status").strip()
        )
    old_rag = _rag(old, vocab)
    new_rag = _rag(new, vocab)
    if old_rag != new_rag:
        yield change("rag_changed", "rag", old_rag, new_rag)
    yield from _due_change(old, new, change, years)
    for name in TEXT_FIELDS:
        if name == "milestone" and not milestone:
            continue
        before, after = old.text(name).strip(), new.text(name).strip()
        if _key(before) != _key(after):
            yield change("field_changed", name, before, after)
    before, after = old.text("progress").strip(), new.text("progress").strip()
    if before != after:
        yield change("progress_updated", "progress", before, after)


def _rag(row: TableRow, vocab: Vocabularies) -> str:
    cell = row.get("rag")
    if cell is None:
        return ""
    reading = normalise_rag(cell.text, cell.fill, vocab.rag)
    return reading.canonical or cell.text.strip()


def _due_change(
    old: TableRow, new: TableRow, change: Callable[..., PlanChange], years: Years
) -> Iterator[PlanChange]:
    before_cell, after_cell = old.get("due"), new.get("due")
    before = parse_due(before_cell.value if before_cell else None, years[0])
    after = parse_due(after_cell.value if after_cell else None, years[1])
    if before.date is not None and after.date is not None:
        if before.date != after.date:
            days = (after.date - before.date).days
            yield change("due_changed", "due", _shown(before.date), _shown(after.date), days)
    elif _key(before.text) != _key(after.text):
        yield change("due_changed", "due", before.text.strip(), after.text.strip())


def _shown(day: dt.date) -> str:
    return day.isoformat()
