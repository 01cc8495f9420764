"""Findings from the derived RAG: optimistic declared RAGs, and items nobody can date."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from planbook.derive import Derivation, ItemRag, MilestoneRag, is_better
from planbook.display import shorten
from planbook.findings import Finding
from planbook.model import TableRow, column_letter
from planbook.normalise import normalise_rag
from planbook.schemas import Vocabularies

_LETTERS = frozenset({"R", "A", "G"})


def rag_findings(derivation: Derivation, vocabularies: Vocabularies) -> Iterator[Finding]:
    for item in derivation.items:
        yield from _optimistic(item, vocabularies)
        if item.tracked:
            yield from _undatable(item)


def _declared(row: TableRow, vocabularies: Vocabularies) -> str | None:
    cell = row.get("rag")
    if cell is None:
        return None
    return normalise_rag(cell.text, cell.fill, vocabularies.rag).canonical


@dataclass(frozen=True, slots=True)
class ComparedRag:
    """A declared RAG letter beside the RAG derived for what it speaks for."""

    row: TableRow
    declared: str
    derived: str
    #: Why the derived RAG is what it is: "due 31/01/2020 passed, status Started".
    reason: str
    #: "the item" where the item's first row speaks for the whole item, else "".
    scope: str


def compared_rags(item: ItemRag, vocabularies: Vocabularies) -> Iterator[ComparedRag]:
    """Each declared R, A or G of an item beside its derived RAG: the one rule of which
    declared RAG answers for what, for PB301 and for the board report's disagreements.

    The item's first row speaks for the whole item when no other milestone declares a
    RAG: it is compared with the item's RAG (its worst milestone's). Otherwise each
    milestone's declared RAG is compared with its own derived one."""
    head = item.item.head
    head_declared = _declared(head, vocabularies)
    others = [m for m in item.milestones if m.row is not head]
    speaks_for_item = bool(others) and not any(m.declared in _LETTERS for m in others)
    if head_declared in _LETTERS and speaks_for_item:
        if item.derived is not None:
            worst = next(m for m in item.milestones if m.derived == item.derived)
            yield ComparedRag(head, head_declared, item.derived, worst.reason, "the item")
        return
    for milestone in item.milestones:
        declared, derived = milestone.declared, milestone.derived
        if declared in _LETTERS and derived is not None:
            yield ComparedRag(milestone.row, declared, derived, milestone.reason, "")


def _optimistic(item: ItemRag, vocabularies: Vocabularies) -> Iterator[Finding]:
    for compared in compared_rags(item, vocabularies):
        if is_better(compared.declared, compared.derived):
            yield _finding(item, compared)


def _finding(item: ItemRag, compared: ComparedRag) -> Finding:
    row, declared, derived = compared.row, compared.declared, compared.derived
    reason, scope = compared.reason, compared.scope
    cell = row.get("rag")
    assert cell is not None
    whose = f" for {scope}" if scope else ""
    return Finding(
        code="PB301",
        sheet=item.sheet.name,
        cell=cell.coordinate,
        value=cell.text or declared,
        message=f"declared {declared}{whose}, derived {derived}: {reason}",
        suggestion=f"review the RAG: the dates and status say {derived}",
        sheet_index=item.sheet.index,
        row=cell.row,
        column=cell.column,
    )


def _undatable(item: ItemRag) -> Iterator[Finding]:
    """Once per open item whose milestones give no due date to derive a RAG from."""
    if item.complete:
        return
    # A due date that is wrong is PB231's story; any other with no day counts here.
    undated: list[MilestoneRag] = [
        m for m in item.milestones if m.derived is None and m.due.kind != "invalid"
    ]
    if item.milestones and not undated:
        return
    row = undated[0].row.row if undated else item.item.row
    header = item.table.header.get("due")
    column = header.column if header is not None else 0
    if len(item.milestones) > 1:
        verb = "has" if len(undated) == 1 else "have"
        what = f"{len(undated)} of its {len(item.milestones)} milestones {verb}"
    else:
        what = "it has"
    yield Finding(
        code="PB302",
        sheet=item.sheet.name,
        cell=f"{column_letter(column)}{row}" if column else "",
        value=undated[0].due.text if undated else "",
        message=f"'{shorten(item.item.label, 50)}': {what} no due date, so no RAG can be derived",
        suggestion="give a due date, or mark finished milestones Complete",
        sheet_index=item.sheet.index,
        row=row,
        column=column,
    )
