"""What each failed check says to the lead: the message and the fix, naming the cell."""

from __future__ import annotations

import re
from typing import Any

from planbook.check import pandera_checks
from planbook.display import shorten
from planbook.findings import Finding
from planbook.model import MilestoneRow, column_letter
from planbook.normalise import normalise_rag, normalise_status, parse_councils

#: Field names as the plan's headers say them.
FIELD_NAMES: dict[str, str] = {
    "ref": "Ref",
    "description": "Description",
    "milestone": "Milestones",
    "due": "Due Dates",
    "lead": "Lead",
    "outcome": "Links to Service Outcomes",
    "councils": "Councils Impacted",
    "status": "Delivery Status",
    "rag": "RAG",
    "progress": "Progress",
}

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


def schema_failure(case: dict[str, Any]) -> str:
    """What is wrong with a table schema whose check failed with no row to report at:
    the check raised (it could not run on the column's text) or it failed the column or
    the table as a whole. One line, naming the column and the check."""
    check = str(case["check"])
    column = case.get("column")
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


def describe_failure(
    check: str,
    statistics: dict[str, Any],
    member: MilestoneRow,
    field: str,
    value: str,
    shown: str,
) -> Finding:
    """The finding for one pandera failure case of planbook's registered checks."""
    vocabularies = pandera_checks.active_vocabularies()
    column = FIELD_NAMES.get(field, field)
    if check == "not_from":
        looks = pandera_checks.foreign_field(value, list(statistics["fields"])) or "progress"
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
        return _finding(
            "PB105",
            member,
            field,
            value,
            f"'{shorten(value)}' under {column} looks like {_LOOKS_LIKE[looks]}: row shifted?",
            fix,
        )
    if check == "canonical_spelling":
        reading = normalise_status(value, vocabularies.status)
        kept = " (the words are kept in the change log)" if len(value.split()) > 2 else ""
        return _finding(
            "PB201",
            member,
            field,
            value,
            f"'{value}' is not a Delivery Status; read as '{reading.canonical}'{kept}",
            f"write '{reading.canonical}'",
        )
    if check == "in_vocabulary" and statistics.get("vocabulary") == "delivery_status":
        reading = normalise_status(value, vocabularies.status)
        allowed = ", ".join(vocabularies.status.values)
        return _finding(
            "PB202",
            member,
            field,
            value,
            f"'{shorten(value)}' is not a Delivery Status ({allowed})",
            f"did you mean '{reading.nearest}'?" if reading.nearest else f"write one of {allowed}",
        )
    if check == "in_vocabulary":
        rag = normalise_rag(value, None, vocabularies.rag)
        return _finding(
            "PB211",
            member,
            field,
            value,
            f"'{shorten(value)}' is not a RAG (R, A or G; n/a on a completed milestone)",
            f"did you mean '{rag.nearest}'?" if rag.nearest else "write R, A or G",
        )
    if check == "council_list":
        councils = parse_councils(value, vocabularies.councils)
        unknown = ", ".join(f"'{token}'" for token, _ in councils.unknown)
        nearest = [f"'{near}'" for _, near in councils.unknown if near]
        names = "names no council" if len(councils.unknown) == 1 else "name no council"
        return _finding(
            "PB221",
            member,
            field,
            value,
            f"{unknown} {names}",
            f"did you mean {' or '.join(nearest)}?"
            if nearest
            else "use council names, codes or groups from schemas/councils.yaml",
        )
    if check == "due_date":
        return _finding(
            "PB231",
            member,
            field,
            value,
            f"'{shorten(value)}' is not a due date",
            f"write {DUE_FORMS}",
        )
    if check == "filled_on_milestones":
        return _finding(
            "PB203",
            member,
            field,
            value,
            f"the milestone on row {member.row.row} has no {column}",
            _fill_hint(field, vocabularies),
        )
    if check == "not_applicable_only_when_complete":
        status = member.row.text("status").strip() or "no status"
        return _finding(
            "PB212",
            member,
            field,
            value,
            f"RAG '{value}' on a milestone that is not complete ({status})",
            "give it R, A or G, or mark the milestone Complete",
        )
    return _finding(
        "PB290",
        member,
        field,
        value,
        f"'{shorten(value)}' under {column} fails the schema check {shown}",
        "see the table schema in schemas/tables/",
    )


def _fill_hint(field: str, vocabularies: Any) -> str:
    if field == "status":
        return "choose one of " + ", ".join(vocabularies.status.values)
    return f"fill in {FIELD_NAMES.get(field, field)}"
