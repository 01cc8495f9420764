"""Derived RAG: what the due dates and statuses say, as of a date.

Per milestone (RULES.md "Derived RAG"), with an amber window of N days:

1. status Complete -> ``B`` (complete), whatever the date;
2. a known due date before the as-of date -> ``R`` (late);
3. status Paused -> ``A``;
4. a known due date within the window (as-of date to as-of + N days, both ends) -> ``A``;
5. a known due date beyond it -> ``G``;
6. no date -> None (not derivable).

An item's derived RAG is the worst of its milestones' (R, then A, then G, then B);
milestones with none do not count, and an item with none has none. This module is the
one implementation that ``check``, ``export`` and the writer use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from planbook.duedates import DueDate, parse_due, plan_year_from_text
from planbook.model import Item, Plan, PlanSheet, Table, TableRow
from planbook.schemas import StatusVocabulary, Vocabularies
from planbook.vocab import normalise_rag, normalise_status

#: From worst to best: an item takes the first of these that any milestone has.
SEVERITY_ORDER: tuple[str, ...] = ("R", "A", "G", "B")
DEFAULT_AMBER_DAYS = 30


@dataclass(frozen=True, slots=True)
class Settings:
    """As of when, and how wide the amber window is."""

    as_of: dt.date
    amber_days: int = DEFAULT_AMBER_DAYS
    #: The plan's financial year (its start year); None: taken from the workbook.
    plan_year: int | None = None


def derive_rag(
    due: dt.date | None, status: str | None, settings: Settings, vocabulary: StatusVocabulary
) -> str | None:
    """The derived RAG of one milestone: its canonical status and its resolved due date."""
    if status is not None and status == vocabulary.complete:
        return "B"
    if due is not None and due < settings.as_of:
        return "R"
    if status is not None and status == vocabulary.paused:
        return "A"
    if due is None:
        return None
    return "A" if (due - settings.as_of).days <= settings.amber_days else "G"


def worst(rags: Iterator[str | None] | list[str | None]) -> str | None:
    """The worst RAG of several (None ignored): an item's roll-up."""
    present = {rag for rag in rags if rag is not None}
    return next((rag for rag in SEVERITY_ORDER if rag in present), None)


def is_better(declared: str, derived: str) -> bool:
    """True when ``declared`` says things are better than ``derived`` does."""
    return SEVERITY_ORDER.index(declared) > SEVERITY_ORDER.index(derived)


@dataclass(frozen=True, slots=True)
class MilestoneRag:
    """One row's due date, status and RAGs, as derived and as declared."""

    row: TableRow
    due: DueDate
    #: Canonical Delivery Status, or None (empty or unknown).
    status: str | None
    #: The declared RAG letter (R, A, G), from text or fill; ``n/a``; or None.
    declared: str | None
    derived: str | None
    #: Why: "due 31/12/2019 passed, status Started".
    reason: str


@dataclass(frozen=True, slots=True)
class ItemRag:
    sheet: PlanSheet
    table: Table
    item: Item
    #: The item's 1-based number within its sheet, as in the export.
    number: int
    milestones: tuple[MilestoneRag, ...]
    derived: str | None

    @property
    def tracked(self) -> bool:
        """Part 1 and Part 2 items are delivery commitments; a Forward Look is not."""
        return self.table.effective_part != 3

    @property
    def complete(self) -> bool:
        return bool(self.milestones) and all(m.derived == "B" for m in self.milestones)


@dataclass(frozen=True)
class Derivation:
    """Every item's and milestone's derived RAG in a plan, as of one date."""

    settings: Settings
    items: tuple[ItemRag, ...]

    def __post_init__(self) -> None:
        by_row = {
            (item.sheet.name, milestone.row.row): milestone
            for item in self.items
            for milestone in item.milestones
        }
        by_item = {(item.sheet.name, item.item.row): item for item in self.items}
        object.__setattr__(self, "_by_row", by_row)
        object.__setattr__(self, "_by_item", by_item)

    def milestone(self, sheet: str, row: int) -> MilestoneRag | None:
        return self._by_row.get((sheet, row))  # type: ignore[attr-defined,no-any-return]

    def item(self, sheet: str, row: int) -> ItemRag | None:
        """The item whose own row is ``row``."""
        return self._by_item.get((sheet, row))  # type: ignore[attr-defined,no-any-return]


def plan_year_of(plan: Plan, sheet: PlanSheet, settings: Settings) -> int | None:
    """The option, else the sheet's own title (``Revenues and Benefits 2022/23``), else the
    cover's title lines (``2022/3``), else None."""
    if settings.plan_year is not None:
        return settings.plan_year
    for text in (sheet.service, sheet.name):
        if (year := plan_year_from_text(text)) is not None:
            return year
    cover = plan.cover
    if cover is not None:
        for cell in cover.titles:
            if (year := plan_year_from_text(cell.text)) is not None:
                return year
    return None


def derive_plan(plan: Plan, settings: Settings, vocabularies: Vocabularies) -> Derivation:
    """Derive every milestone's and item's RAG in ``plan``."""
    items: list[ItemRag] = []
    for sheet in plan.plan_sheets:
        plan_year = plan_year_of(plan, sheet, settings)
        number = 0
        for table in sheet.tables:
            for item in table.items:
                number += 1
                milestones = tuple(
                    _milestone(row, plan_year, settings, vocabularies) for row in item.milestones
                )
                derived = worst([m.derived for m in milestones])
                items.append(ItemRag(sheet, table, item, number, milestones, derived))
    return Derivation(settings, tuple(items))


def _milestone(
    row: TableRow, plan_year: int | None, settings: Settings, vocabularies: Vocabularies
) -> MilestoneRag:
    due_cell = row.get("due")
    due = parse_due(due_cell.value if due_cell is not None else None, plan_year)
    status = normalise_status(row.text("status"), vocabularies.status).canonical
    rag_cell = row.get("rag")
    declared = None
    if rag_cell is not None:
        declared = normalise_rag(rag_cell.text, rag_cell.fill, vocabularies.rag).canonical
    resolved = due.date if due.kind != "invalid" else None
    derived = derive_rag(resolved, status, settings, vocabularies.status)
    return MilestoneRag(row, due, status, declared, derived, _reason(due, status, settings))


def format_day(day: dt.date) -> str:
    """UK style, as the leads write it: 31/12/2019."""
    return day.strftime("%d/%m/%Y")


def _reason(due: DueDate, status: str | None, settings: Settings) -> str:
    if due.date is None or due.kind == "invalid":
        when = "no due date"
    elif due.date < settings.as_of:
        when = f"due {format_day(due.date)} passed"
    else:
        days = (due.date - settings.as_of).days
        soon = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        when = f"due {format_day(due.date)}, {soon}"
    return f"{when}, status {status or 'not given'}"
