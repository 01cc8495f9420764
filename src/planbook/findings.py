"""Findings: what is wrong with a plan, where, and how to fix it.

One frozen ``Finding`` per problem, with a stable code from ``CODES``. Checks yield
findings; a ``Report`` collects them in sheet and row order and decides the exit code
once. Every code is documented in docs/findings.md (a test keeps the two in step).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    severity: Severity
    #: A short name for the rule, as it reads in docs and CI systems.
    name: str


_ERROR, _WARNING, _INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

CODES: dict[str, Code] = {
    code.code: code
    for code in (
        # The workbook and its cells.
        Code("PB100", _ERROR, "no-plan-sheet"),
        Code("PB108", _ERROR, "error-value"),
        Code("PB109", _WARNING, "uncalculated-formula"),
        Code("PB110", _ERROR, "cell-too-long"),
        Code("PB111", _WARNING, "hidden-plan-sheet"),
        Code("PB112", _WARNING, "no-visible-sheet"),
        # The layout: what the reader found.
        Code("PB101", _WARNING, "untitled-table"),
        Code("PB102", _WARNING, "unplaced-cell"),
        Code("PB103", _WARNING, "ref-without-description"),
        Code("PB104", _ERROR, "milestone-without-item"),
        Code("PB105", _WARNING, "shifted-value"),
        Code("PB106", _ERROR, "missing-column"),
        Code("PB107", _INFO, "extra-column"),
        # Writing back: where planbook leaves the lead's own settings in charge.
        Code("PB120", _INFO, "lead-validation-kept"),
        # Vocabularies: statuses, RAG, councils.
        Code("PB201", _WARNING, "status-alias"),
        Code("PB202", _ERROR, "unknown-status"),
        Code("PB203", _WARNING, "missing-value"),
        Code("PB211", _ERROR, "unknown-rag"),
        Code("PB212", _WARNING, "rag-not-applicable-on-open-milestone"),
        Code("PB221", _ERROR, "unknown-council"),
        # Due dates.
        Code("PB231", _ERROR, "not-a-date"),
        # Derived RAG.
        Code("PB301", _WARNING, "optimistic-rag"),
        Code("PB302", _INFO, "rag-not-derivable"),
        # A check a user added to a table schema.
        Code("PB290", _ERROR, "schema-check"),
    )
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at one cell (``cell`` is A1 without the sheet, '' for a whole sheet)."""

    code: str
    sheet: str
    cell: str
    value: str
    message: str
    suggestion: str = ""
    #: Where the sheet stands in the workbook, and the row and column: the report's order.
    sheet_index: int = 0
    row: int = 0
    column: int = 0

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    @property
    def name(self) -> str:
        return CODES[self.code].name

    @property
    def location(self) -> str:
        """``IT!H23``, quoted as Excel does when the sheet name needs it."""
        sheet = self.sheet
        if not sheet.replace("_", "").isalnum():
            sheet = "'" + sheet.replace("'", "''") + "'"
        return f"{sheet}!{self.cell}" if self.cell else sheet

    def to_dict(self) -> dict[str, str]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "sheet": self.sheet,
            "cell": self.cell,
            "value": self.value,
            "message": self.message,
            "suggestion": self.suggestion,
        }


def _order(finding: Finding) -> tuple[int, int, int, str]:
    return (finding.sheet_index, finding.row, finding.column, finding.code)


@dataclass(frozen=True, slots=True)
class Report:
    """All findings of one workbook, in sheet and row order, and what they add up to."""

    file: str
    findings: tuple[Finding, ...]
    #: Extra summary sections later stages add (the board summary).
    extra_summary: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def collect(
        cls, file: str, findings: Iterable[Finding], extra_summary: dict[str, Any] | None = None
    ) -> Report:
        return cls(
            file,
            tuple(sorted(findings, key=_order)),
            tuple((extra_summary or {}).items()),
        )

    def counts(self) -> dict[str, int]:
        counted = Counter(finding.severity.value for finding in self.findings)
        return {severity.value: counted.get(severity.value, 0) for severity in Severity}

    def exit_code(self, *, strict: bool = False) -> int:
        """1 when there are errors (or warnings, with ``strict``); else 0."""
        counts = self.counts()
        failing = counts["error"] + (counts["warning"] if strict else 0)
        return 1 if failing else 0

    def summary(self) -> dict[str, Any]:
        return {**self.counts(), **dict(self.extra_summary)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "findings": [finding.to_dict() for finding in self.findings],
            "summary": self.summary(),
        }
