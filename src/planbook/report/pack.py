"""What the board pack shows, all worked out: the board workbook's figures, and where the
declared and derived RAGs disagree.

One service workbook (or one board workbook) is read as it is. Several, or any with last
month's board workbook, go through ``consolidate`` first, so the pack and the board
workbook agree: the same duplicate-service refusal, the same canonical values, the same
Changes and the same History. Nothing here counts or derives anything itself: ``derive``
and ``board`` do.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from planbook.board import BoardFigures, HistoryRow, board_figures
from planbook.derive import Derivation, Settings, derive_plan, is_better
from planbook.diff import PlanChange
from planbook.errors import PlanbookError
from planbook.model import Plan
from planbook.read import read_workbook
from planbook.schemas import Vocabularies, load_vocabularies


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A milestone whose declared RAG is not the one its dates and status give."""

    sheet: str
    cell: str
    item: str
    milestone: str
    declared: str
    derived: str
    #: Why the derived RAG is what it is: "due 31/01/2020 passed, status Started".
    reason: str
    #: The declared RAG says things are better than they are: what a board must see.
    optimistic: bool


@dataclass(frozen=True)
class BoardPack:
    """Everything the board pack renders."""

    title: str
    #: The workbooks it was made from, as their names should be shown.
    sources: tuple[str, ...]
    figures: BoardFigures
    disagreements: tuple[Disagreement, ...]


def board_pack(
    inputs: Sequence[Path | str],
    *,
    previous: Path | str | None = None,
    settings: Settings | None = None,
    schemas_dir: Path | None = None,
    names: Sequence[str] | None = None,
) -> BoardPack:
    """The board pack of ``inputs`` (service workbooks, or one board workbook), with
    ``previous`` (last month's board workbook) for the changes and the trend. ``names``:
    how to show the inputs (default: their file names)."""
    if not inputs:
        raise PlanbookError("give at least one workbook for the board report")
    settings = settings or Settings(as_of=dt.date.today())
    vocabularies = load_vocabularies(schemas_dir)
    sources = tuple(names) if names is not None else tuple(Path(p).name for p in inputs)
    if len(inputs) == 1 and previous is None:
        plan = read_workbook(inputs[0])
        if not plan.plan_sheets:
            raise PlanbookError(f"{inputs[0]}: holds no service plan sheet")
        return pack_from_plan(plan, settings, vocabularies, sources=sources)
    from planbook.consolidate import consolidate

    with tempfile.TemporaryDirectory(prefix="planbook-report-") as folder:
        result = consolidate(
            inputs,
            Path(folder) / "board.xlsx",
            previous=previous,
            settings=settings,
            live_as_of=False,
            schemas_dir=schemas_dir,
        )
        board = read_workbook(result.output)
    return pack_from_plan(
        board,
        settings,
        vocabularies,
        changes=list(result.changes) if previous is not None else None,
        sources=sources,
    )


def pack_from_plan(
    plan: Plan,
    settings: Settings,
    vocabularies: Vocabularies,
    *,
    changes: list[PlanChange] | None = None,
    sources: Sequence[str] = (),
) -> BoardPack:
    """The pack of one plan already read: a board workbook's own History is its trend."""
    from planbook.consolidate import history_rows_from

    derivation = derive_plan(plan, settings, vocabularies)
    carried: list[HistoryRow] = history_rows_from(plan, settings.as_of)
    figures = board_figures(derivation, vocabularies, carried=carried, changes=changes)
    return BoardPack(_title(plan), tuple(sources), figures, disagreements(derivation, vocabularies))


def disagreements(derivation: Derivation, vocabularies: Vocabularies) -> tuple[Disagreement, ...]:
    """Each declared RAG of a tracked item that differs from the RAG derived for what it
    speaks for (``compared_rags``, the rule PB301 uses too); the optimistic ones first,
    then in sheet and row order."""
    from planbook.check.rag_rules import compared_rags

    found = [
        Disagreement(
            sheet=item.sheet.name,
            cell=cell.coordinate if (cell := compared.row.get("rag")) is not None else "",
            item=item.item.label,
            milestone=compared.row.text("milestone") or compared.scope,
            declared=compared.declared,
            derived=compared.derived,
            reason=compared.reason,
            optimistic=is_better(compared.declared, compared.derived),
        )
        for item in derivation.items
        if item.tracked
        for compared in compared_rags(item, vocabularies)
        if compared.declared != compared.derived
    ]
    return tuple(sorted(found, key=lambda d: not d.optimistic))


def _title(plan: Plan) -> str:
    cover = plan.cover
    words = [cell.text.strip() for cell in cover.titles[:2]] if cover is not None else []
    return " ".join(word for word in words if word) or "Annual plan"
