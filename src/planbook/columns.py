"""planbook's own columns and what goes in them: the one owner.

``planbook format`` adds two columns beside RAG, left to right: **Derived RAG** and
**Parsed Due Date** (``PLANBOOK_COLUMNS``). Each cell holds a live Excel formula with
planbook's own value cached: ``derived_rag_formula`` compiles the milestone rules of
``planbook.derive`` (``MILESTONE_RULES``, the table ``derive_rag`` evaluates), so the
workbook and planbook cannot disagree; ``cached_values`` are the derivation's own values.
The formulas read two workbook names, ``AS_OF_NAME`` and ``AMBER_NAME``.

No writer is imported here: any writer (and the reader, which recognises the columns on
a formatted workbook) takes the columns from this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # at run time derive is imported where used: derive imports model,
    # which imports this module.
    from planbook.derive import MilestoneRag, Rule
    from planbook.schemas import StatusVocabulary


@dataclass(frozen=True, slots=True)
class PlanbookColumn:
    """One of planbook's columns: its field name in the model and its header text."""

    name: str
    header: str


#: planbook's columns, in the order they stand, left to right, right of RAG.
PLANBOOK_COLUMNS: tuple[PlanbookColumn, ...] = (
    PlanbookColumn("rag_derived", "Derived RAG"),
    PlanbookColumn("due_parsed", "Parsed Due Date"),
)

#: The workbook names the formulas read: the as-of date and the amber window in days.
AS_OF_NAME = "PlanbookAsOf"
AMBER_NAME = "PlanbookAmberDays"
#: How a date is shown.
DATE_FORMAT = "dd/mm/yyyy"

_EXCEL_EPOCH = dt.date(1899, 12, 30)


def excel_serial(day: dt.date) -> int:
    """The number Excel stores for ``day`` (1900 date system)."""
    return (day - _EXCEL_EPOCH).days


def excel_text(text: str) -> str:
    """``text`` as an Excel string literal: in double quotes, each ``"`` doubled."""
    return '"' + text.replace('"', '""') + '"'


def derived_rag_formula(
    status_ref: str | None, parsed_ref: str, vocabulary: StatusVocabulary
) -> str:
    """The Derived RAG formula (no leading ``=``) of a row whose Delivery Status is in
    ``status_ref`` (None: the table has none) and Parsed Due Date in ``parsed_ref``.

    Nested IFs, one a rule of ``derive.rules_for(vocabulary)``, in order; the last rule
    (``otherwise``) is the final value. A status rule the vocabulary gives no status for
    is absent, as it is from ``derive_rag``; with no status column the status rules are
    left out (``derive_rag`` is given no status there).
    """
    from planbook.derive import rules_for

    branches: list[tuple[str, str]] = []
    for rule in rules_for(vocabulary):
        result = excel_text(rule.rag or "")
        if rule.test == "otherwise":
            formula = result
            for condition, value in reversed(branches):
                formula = f"IF({condition},{value},{formula})"
            return formula
        test = _condition(rule, status_ref, parsed_ref, vocabulary)
        if test is not None:
            branches.append((test, result))
    raise ValueError("the milestone rules end with no 'otherwise' rule")


def _condition(
    rule: Rule, status_ref: str | None, parsed_ref: str, vocabulary: StatusVocabulary
) -> str | None:
    """A rule's test as an Excel condition; None when the row cannot hold it (a status
    rule with no status column). Rules on the due date read the Parsed Due Date, a number
    or ``""``: ``late`` needs no date before it; ``due_soon`` follows ``undated``."""
    if rule.on_status:
        wanted = rule.status(vocabulary)
        if status_ref is None or wanted is None:
            return None
        return f"{status_ref}={excel_text(wanted)}"
    if rule.test == "late":
        return f"AND(ISNUMBER({parsed_ref}),{parsed_ref}<{AS_OF_NAME})"
    if rule.test == "undated":
        return f"NOT(ISNUMBER({parsed_ref}))"
    if rule.test == "due_soon":
        return f"{parsed_ref}-{AS_OF_NAME}<={AMBER_NAME}"
    raise ValueError(f"no Excel condition for the rule test {rule.test!r}")


def parsed_due_formula(due_ref: str | None, planbook_date: dt.date | None) -> str:
    """The Parsed Due Date formula (no leading ``=``): live on the lead's Due cell
    ``due_ref`` (give it only when that cell holds a real date: a plain number is no date
    to planbook), else planbook's date; ``""`` when there is none. INT: a time of day is
    no other day."""
    constant = (
        f"DATE({planbook_date.year},{planbook_date.month},{planbook_date.day})"
        if planbook_date is not None
        else '""'
    )
    if due_ref is None:
        return constant
    return f"IF(ISNUMBER({due_ref}),INT({due_ref}),{constant})"


def derived_values(milestone: MilestoneRag | None) -> tuple[str, dt.date | None]:
    """A milestone's values in planbook's columns, straight from the derivation: its
    Derived RAG letter (``""``: none) and its Parsed Due Date (None: none)."""
    if milestone is None:
        return "", None
    return milestone.derived or "", milestone.due_date


def cached_values(milestone: MilestoneRag | None) -> tuple[str, int | str]:
    """What the two formulas are cached with: the Derived RAG letter (``""``: none) and the
    Parsed Due Date as an Excel serial (``""``: none), as ``derived_values`` gives them."""
    rag, day = derived_values(milestone)
    return rag, excel_serial(day) if day is not None else ""
