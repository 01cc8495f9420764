"""Derived RAG: what the due dates and statuses say, as of a date.

Per milestone (RULES.md "Derived RAG"), with an amber window of N days:

1. status Complete -> ``B`` (complete), whatever the date;
2. a known due date before the as-of date -> ``R`` (late);
3. status Paused -> ``A``;
4. a known due date within the window (as-of date to as-of + N days, both ends) -> ``A``;
5. a known due date beyond it -> ``G``;
6. no date -> None (not derivable).

A vocabulary that names no complete (or no paused) status has no rule 1 (or 3). The rules
are one table, ``MILESTONE_RULES``: ``derive_rag`` evaluates it, and
``planbook.columns.derived_rag_formula`` compiles it to the Derived RAG Excel formula.

An item's derived RAG is the worst of its milestones' (R, then A, then G, then B);
milestones with none do not count, and an item with none has none. This module is the
one implementation that ``check``, ``export`` and the writer use.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from planbook.duedates import DueDate, parse_due, plan_year_from_text
from planbook.model import Item, Plan, PlanSheet, Table, TableRow
from planbook.normalise import normalise_rag, normalise_status
from planbook.schemas import StatusVocabulary, Vocabularies

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


#: What a rule asks of a milestone. ``complete`` and ``paused``: its status is the
#: vocabulary's complete (paused) value; ``late``: it has a due date before the as-of date;
#: ``undated``: it has no due date; ``due_soon``: its due date is at most the amber window
#: after the as-of date; ``otherwise``: always.
RuleTest = Literal["complete", "paused", "late", "undated", "due_soon", "otherwise"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One step of a milestone's derivation: the first rule whose test holds gives the RAG
    (None: not derivable)."""

    test: RuleTest
    rag: str | None

    def status(self, vocabulary: StatusVocabulary) -> str | None:
        """The status a status rule asks for (None when the vocabulary names none); None
        for a rule on the due date."""
        if self.test == "complete":
            return vocabulary.complete
        if self.test == "paused":
            return vocabulary.paused
        return None

    @property
    def on_status(self) -> bool:
        return self.test in ("complete", "paused")


#: The milestone rules, in order (RULES.md "Derived RAG"). ``derive_rag`` evaluates them;
#: ``planbook.columns.derived_rag_formula`` compiles them to Excel: the one definition.
MILESTONE_RULES: tuple[Rule, ...] = (
    Rule("complete", "B"),
    Rule("late", "R"),
    Rule("paused", "A"),
    Rule("undated", None),
    Rule("due_soon", "A"),
    Rule("otherwise", "G"),
)


def rules_for(vocabulary: StatusVocabulary) -> tuple[Rule, ...]:
    """The rules that apply with ``vocabulary``: a status rule whose status it does not name
    is absent (else an empty status would be taken for it)."""
    return tuple(rule for rule in MILESTONE_RULES if not rule.on_status or rule.status(vocabulary))


def _holds(
    test: RuleTest, wanted: str | None, due: dt.date | None, status: str | None, settings: Settings
) -> bool:
    """A rule's test in Python (``wanted``: the status a status rule asks for)."""
    if test == "complete" or test == "paused":
        return status is not None and status == wanted
    if test == "late":
        return due is not None and due < settings.as_of
    if test == "undated":
        return due is None
    if test == "due_soon":
        return due is not None and (due - settings.as_of).days <= settings.amber_days
    if test == "otherwise":
        return True
    raise ValueError(f"no such rule test: {test!r}")


#: The rules of the last vocabulary (and rule table) asked for, with their statuses:
#: derive_rag runs once per milestone, and hashing the vocabulary each time for a cache
#: would cost more than the rules.
_Steps = tuple[tuple[RuleTest, str | None, str | None], ...]  # (test, status asked, RAG)
_last: list[tuple[StatusVocabulary, tuple[Rule, ...], _Steps]] = []


def derive_rag(
    due: dt.date | None, status: str | None, settings: Settings, vocabulary: StatusVocabulary
) -> str | None:
    """The derived RAG of one milestone: its canonical status and its resolved due date."""
    last = _last[0] if _last else None  # read once: another thread may replace it
    if last is None or last[0] is not vocabulary or last[1] is not MILESTONE_RULES:
        rules = tuple((r.test, r.status(vocabulary), r.rag) for r in rules_for(vocabulary))
        last = (vocabulary, MILESTONE_RULES, rules)
        _last[:] = [last]
    for test, wanted, rag in last[2]:
        if _holds(test, wanted, due, status, settings):
            return rag
    return None


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
    #: The day it was derived as of.
    as_of: dt.date

    @property
    def reason(self) -> str:
        """Why: "due 31/12/2019 passed, status Started". Said only when asked: a finding
        or a report needs it for a few rows, a big plan has a hundred thousand."""
        return _reason(self.due, self.status, self.as_of)

    @property
    def due_date(self) -> dt.date | None:
        """The due date the RAG is derived from: None when there is none, or it is invalid."""
        return resolved_due(self.due)


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

    # Made when first asked (format, export): check never looks a row up, and on a big
    # plan the table is a hundred thousand entries.
    @functools.cached_property
    def _by_row(self) -> dict[tuple[str, int], MilestoneRag]:
        return {
            (item.sheet.name, milestone.row.row): milestone
            for item in self.items
            for milestone in item.milestones
        }

    @functools.cached_property
    def _by_item(self) -> dict[tuple[str, int], ItemRag]:
        return {(item.sheet.name, item.item.row): item for item in self.items}

    def milestone(self, sheet: str, row: int) -> MilestoneRag | None:
        return self._by_row.get((sheet, row))

    def item(self, sheet: str, row: int) -> ItemRag | None:
        """The item whose own row is ``row``."""
        return self._by_item.get((sheet, row))


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
    derived = derive_rag(resolved_due(due), status, settings, vocabularies.status)
    return MilestoneRag(row, due, status, declared, derived, settings.as_of)


def resolved_due(due: DueDate) -> dt.date | None:
    """The day a due date gives (None: no date, or a due cell that is not a date)."""
    return due.date if due.kind != "invalid" else None


def format_day(day: dt.date) -> str:
    """UK style, as the leads write it: 31/12/2019."""
    return day.strftime("%d/%m/%Y")


def _reason(due: DueDate, status: str | None, as_of: dt.date) -> str:
    day = resolved_due(due)
    if day is None:
        when = "no due date"
    elif day < as_of:
        when = f"due {format_day(day)} passed"
    else:
        days = (day - as_of).days
        soon = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        when = f"due {format_day(day)}, {soon}"
    return f"{when}, status {status or 'not given'}"
