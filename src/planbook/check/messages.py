"""What each failed check says to the lead: the message and the fix, naming the cell."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from planbook.check import pandera_checks
from planbook.display import shorten
from planbook.findings import Finding
from planbook.model import FIELD_NAMES, MilestoneRow, column_letter
from planbook.normalise import normalise_rag, normalise_status, parse_councils
from planbook.schemas import Vocabularies

_LOOKS_LIKE = {
    "status": "a Delivery Status",
    "due": "a Due Date",
    "councils": "Councils Impacted",
    "progress": "progress notes",
}

DUE_FORMS = "a date (30/04/22), 'By 30 April 2022', 'Annual, Q3', 'Ongoing' or 'TBC'"


def _finding(
    code: str, member: MilestoneRow, field: str, value: str, message: str, suggestion: str
) -> Finding:
    row, column = member.position(field)
    return Finding(
        code=code,
        sheet=member.sheet.name,
        cell=f"{column_letter(column)}{row}" if column else "",
        value=value,
        message=message,
        suggestion=suggestion,
        sheet_index=member.sheet.index,
        row=row,
        column=column,
    )


#: pandera's failure case for a check that raised: ``TypeError("the message")``.
_RAISED = re.compile(r'(?P<error>[A-Za-z_]\w*)\((?:"(?P<message>.*)")?\)', re.DOTALL)


def schema_failure(case: Mapping[Hashable, Any]) -> str:
    """What is wrong with a table schema whose check failed with no row to report at:
    the check raised (it could not run on the column's text) or it failed the column or
    the table as a whole. One line, naming the column and the check."""
    check = str(case["check"])
    # A table-wide check's case names the schema where a column's names the column.
    column = case.get("column") if case.get("schema_context") == "Column" else None
    where = f"on column '{column}'" if column is not None else "on the table"
    failure = case["failure_case"]
    raised = _RAISED.fullmatch(failure) if isinstance(failure, str) else None
    if check == "column_in_dataframe":
        return f"column '{failure}' is not a column planbook reads from a plan table"
    if raised is not None:
        error = raised["error"]
        if raised["message"]:
            error = f"{error}: {' '.join(raised['message'].split())}"
        return f"the check {check} {where} could not run ({error})"
    detail = " ".join(str(failure).split())
    return f"the check {check} {where} failed as a whole, not at a row ({shorten(detail, 60)})"


@dataclass(frozen=True, slots=True)
class Failure:
    """One failure case of one row: the check that failed, and where and on what."""

    #: The registered check's name (``not_from``), or pandera's for one of its own.
    check: str
    statistics: Mapping[str, Any]
    member: MilestoneRow
    field: str
    value: str
    #: The check as pandera prints it (``str_length(1, 50)``), for a check of pandera's.
    shown: str
    #: The texts of the findings made so far from the same failure cases, each kept once:
    #: tens of thousands of findings of a big plan say the same few things.
    texts: dict[str, str]

    def finding(self, code: str, message: str, suggestion: str) -> Finding:
        share = self.texts.setdefault
        message, suggestion = share(message, message), share(suggestion, suggestion)
        return _finding(code, self.member, self.field, self.value, message, suggestion)


Describe = Callable[[Failure, Vocabularies], Finding]

#: Each of planbook's registered checks -> the finding codes it can give and how it says
#: them. The one place a check meets its finding: a check of pandera's own (a user may add
#: ``str_length``) is PB290.
FINDINGS_OF_CHECKS: dict[str, tuple[tuple[str, ...], Describe]] = {}


def _describes(check: str, *codes: str) -> Callable[[Describe], Describe]:
    def register(describe: Describe) -> Describe:
        FINDINGS_OF_CHECKS[check] = (codes, describe)
        return describe

    return register


def describe_failure(failure: Failure) -> Finding:
    """The finding for one pandera failure case, found by the check that failed."""
    _, describe = FINDINGS_OF_CHECKS.get(failure.check, ((), _schema_check))
    return describe(failure, pandera_checks.active_vocabularies())


@_describes("not_from", "PB105")
def _shifted(failure: Failure, vocabularies: Vocabularies) -> Finding:
    member, value = failure.member, failure.value
    looks = pandera_checks.foreign_field(value, list(failure.statistics["fields"])) or "progress"
    target = FIELD_NAMES[looks]
    row, target_column = member.position(looks)
    where = f" ({column_letter(target_column)}{row})" if target_column else ""
    occupied = member.cell(looks)
    if occupied is not None and occupied.text.strip() and occupied.row == member.row.row:
        fix = (
            f"{target}{where} already says '{shorten(occupied.text, 30)}': "
            "check the row and clear the stray value"
        )
    else:
        fix = f"move it to {target}{where}"
    column = FIELD_NAMES.get(failure.field, failure.field)
    return failure.finding(
        "PB105",
        f"'{shorten(value)}' under {column} looks like {_LOOKS_LIKE[looks]}: row shifted?",
        fix,
    )


@_describes("canonical_spelling", "PB201")
def _alias(failure: Failure, vocabularies: Vocabularies) -> Finding:
    value = failure.value
    reading = normalise_status(value, vocabularies.status)
    kept = " (the words are kept in the change log)" if len(value.split()) > 2 else ""
    return failure.finding(
        "PB201",
        f"'{value}' is not a Delivery Status; read as '{reading.canonical}'{kept}",
        f"write '{reading.canonical}'",
    )


@_describes("in_vocabulary", "PB202", "PB211")
def _unknown_word(failure: Failure, vocabularies: Vocabularies) -> Finding:
    value = failure.value
    if failure.statistics.get("vocabulary") == "delivery_status":
        reading = normalise_status(value, vocabularies.status)
        allowed = ", ".join(vocabularies.status.values)
        return failure.finding(
            "PB202",
            f"'{shorten(value)}' is not a Delivery Status ({allowed})",
            f"did you mean '{reading.nearest}'?" if reading.nearest else f"write one of {allowed}",
        )
    rag = normalise_rag(value, None, vocabularies.rag)
    return failure.finding(
        "PB211",
        f"'{shorten(value)}' is not a RAG (R, A or G; n/a on a completed milestone)",
        f"did you mean '{rag.nearest}'?" if rag.nearest else "write R, A or G",
    )


@_describes("council_list", "PB221")
def _unknown_council(failure: Failure, vocabularies: Vocabularies) -> Finding:
    councils = parse_councils(failure.value, vocabularies.councils)
    unknown = ", ".join(f"'{token}'" for token, _ in councils.unknown)
    nearest = [f"'{near}'" for _, near in councils.unknown if near]
    names = "names no council" if len(councils.unknown) == 1 else "name no council"
    return failure.finding(
        "PB221",
        f"{unknown} {names}",
        f"did you mean {' or '.join(nearest)}?"
        if nearest
        else "use council names, codes or groups from the schemas folder's councils.yaml",
    )


@_describes("due_date", "PB231")
def _not_a_date(failure: Failure, vocabularies: Vocabularies) -> Finding:
    return failure.finding(
        "PB231", f"'{shorten(failure.value)}' is not a due date", f"write {DUE_FORMS}"
    )


@_describes("filled_on_milestones", "PB203")
def _missing(failure: Failure, vocabularies: Vocabularies) -> Finding:
    column = FIELD_NAMES.get(failure.field, failure.field)
    return failure.finding(
        "PB203",
        f"the milestone on row {failure.member.row.row} has no {column}",
        _fill_hint(failure.field, vocabularies),
    )


@_describes("not_applicable_only_when_complete", "PB212")
def _not_applicable_while_open(failure: Failure, vocabularies: Vocabularies) -> Finding:
    status = failure.member.row.text("status").strip() or "no status"
    return failure.finding(
        "PB212",
        f"RAG '{failure.value}' on a milestone that is not complete ({status})",
        "give it R, A or G, or mark the milestone Complete",
    )


def _schema_check(failure: Failure, vocabularies: Vocabularies) -> Finding:
    column = FIELD_NAMES.get(failure.field, failure.field)
    return failure.finding(
        "PB290",
        f"'{shorten(failure.value)}' under {column} fails the schema check {failure.shown}",
        "see the table schemas (the schemas folder's tables/)",
    )


def _fill_hint(field: str, vocabularies: Vocabularies) -> str:
    if field == "status":
        return "choose one of " + ", ".join(vocabularies.status.values)
    return f"fill in {FIELD_NAMES.get(field, field)}"
