"""The board summary: per service how the RAGs stand, what is late, what falls due soon.

Only Part 1 and Part 2 items count: they are the year's commitments. A Forward Look
(Part 3) is not tracked against dates.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from planbook.derive import SEVERITY_ORDER, Derivation, ItemRag, MilestoneRag

_BUCKETS = (*SEVERITY_ORDER, "none")


def _counts(rags: list[str | None]) -> dict[str, int]:
    counted = Counter(rag or "none" for rag in rags)
    return {bucket: counted.get(bucket, 0) for bucket in _BUCKETS}


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
