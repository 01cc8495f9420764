"""The board summary: per service how the RAGs stand, what is late, what falls due soon;
and for the board workbook, the same per council and month by month.

Only Part 1 and Part 2 items count: they are the year's commitments. A Forward Look
(Part 3) is not tracked against dates. Everything here is worked out from the
derivation; ``write/board_sheets`` only renders it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planbook.derive import SEVERITY_ORDER, Derivation, ItemRag, MilestoneRag
from planbook.normalise import parse_councils

if TYPE_CHECKING:
    from planbook.diff import PlanChange
    from planbook.schemas import Vocabularies

#: How items are counted: by derived RAG, then those with no due date to derive one from.
BUCKETS: tuple[str, ...] = (*SEVERITY_ORDER, "none")
#: The board workbook's History: one row per service a month.
HISTORY_COLUMNS: tuple[str, ...] = ("as of", "service", "items", "R", "A", "G", "B", "no date")
HistoryRow = tuple[dt.date, str, int, int, int, int, int, int]


def _counts(rags: list[str | None]) -> dict[str, int]:
    counted = Counter(rag or "none" for rag in rags)
    return {bucket: counted.get(bucket, 0) for bucket in BUCKETS}


def board_summary(derivation: Derivation) -> dict[str, Any]:
    """JSON-ready: ``as_of``, ``amber_days``, ``services``, ``late``, ``due_soon``."""
    settings = derivation.settings
    tracked = [item for item in derivation.items if item.tracked]
    services: dict[str, list[ItemRag]] = {}
    for item in tracked:
        services.setdefault(item.sheet.name, []).append(item)
    late, due_soon = [], []
    for item in tracked:
        for milestone in item.milestones:
            due = milestone.due.date
            if due is None or milestone.derived == "B" or milestone.due.kind == "invalid":
                continue
            days = (due - settings.as_of).days
            if days < 0:
                late.append({**_where(item, milestone), "days_late": -days})
            elif days <= settings.amber_days:
                due_soon.append({**_where(item, milestone), "days_to_go": days})
    late.sort(key=lambda entry: -entry["days_late"])
    due_soon.sort(key=lambda entry: entry["days_to_go"])
    return {
        "as_of": settings.as_of.isoformat(),
        "amber_days": settings.amber_days,
        "services": [_service(items) for items in services.values()],
        "late": late,
        "due_soon": due_soon,
    }


def _service(items: list[ItemRag]) -> dict[str, Any]:
    sheet = items[0].sheet
    milestones = [m for item in items for m in item.milestones]
    return {
        "sheet": sheet.name,
        "service": sheet.service,
        "items": len(items),
        "milestones": len(milestones),
        "items_by_rag": _counts([item.derived for item in items]),
        "milestones_by_rag": _counts([m.derived for m in milestones]),
    }


def _where(item: ItemRag, milestone: MilestoneRag) -> dict[str, Any]:
    due = milestone.due.date
    assert due is not None
    return {
        "sheet": item.sheet.name,
        "service": item.sheet.service,
        "item": item.number,
        "description": item.item.label,
        "milestone": milestone.row.text("milestone"),
        "due": due.isoformat(),
        "due_text": milestone.due.text,
        "status": milestone.status or "",
        "row": milestone.row.row,
    }


# --- the board workbook's figures ---------------------------------------------------------


@dataclass(frozen=True)
class BoardFigures:
    """What the board workbook's own sheets show, all worked out."""

    #: ``board_summary``: per service, late, due soon.
    summary: dict[str, Any]
    #: Per council: ``council``, ``code``, ``items_by_rag``, ``items``.
    councils: list[dict[str, Any]]
    #: Every month's per-service rows, last month's carried and this month's, by date.
    history: list[HistoryRow]
    #: The history's totals: (as of, counts by bucket), one per month, by date.
    months: list[tuple[dt.date, list[int]]]
    #: The diff since last month's board workbook; None without one.
    changes: list[PlanChange] | None = None


def board_figures(
    derivation: Derivation,
    vocabularies: Vocabularies,
    *,
    carried: Sequence[HistoryRow] = (),
    changes: list[PlanChange] | None = None,
) -> BoardFigures:
    """The board workbook's figures; ``carried``: last month's History rows."""
    summary = board_summary(derivation)
    history = sorted(
        [*carried, *history_rows(summary, derivation.settings.as_of)],
        key=lambda row: (row[0], row[1]),
    )
    return BoardFigures(
        summary, council_summary(derivation, vocabularies), history, history_totals(history),
        changes,
    )  # fmt: skip


def council_summary(derivation: Derivation, vocabularies: Vocabularies) -> list[dict[str, Any]]:
    """Per council, the tracked items impacting it (their Councils Impacted name it, or
    ``All``), by derived RAG; every council of the registry, in its order."""
    registry = vocabularies.councils
    counts: dict[str, Counter[str]] = {code: Counter() for code in registry.codes}
    for item in derivation.items:
        if not item.tracked:
            continue
        codes: set[str] = set()
        for row in item.item.rows:
            codes.update(parse_councils(row.text("councils"), registry).codes)
        for code in codes:
            counts[code][item.derived or "none"] += 1
    found = []
    for code, counted in counts.items():
        council = registry.council(code)
        found.append(
            {
                "council": council.name if council is not None else code,
                "code": code,
                "items_by_rag": {bucket: counted[bucket] for bucket in BUCKETS},
                "items": sum(counted.values()),
            }
        )
    return found


def history_rows(summary: dict[str, Any], as_of: dt.date) -> list[HistoryRow]:
    """This month's History rows: per service, its items and their count by bucket."""
    return [
        (
            as_of,
            service["sheet"],
            service["items"],
            *(service["items_by_rag"][bucket] for bucket in BUCKETS),
        )
        for service in summary["services"]
    ]


def history_totals(rows: Sequence[HistoryRow]) -> list[tuple[dt.date, list[int]]]:
    """Per month (as-of date), the counts by bucket summed over the services."""
    totals: dict[dt.date, list[int]] = {}
    for day, _service, _items, *counts in rows:
        running = totals.setdefault(day, [0] * len(BUCKETS))
        for index, count in enumerate(counts):
            running[index] += count
    return sorted(totals.items())
