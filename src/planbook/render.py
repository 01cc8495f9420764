"""Rendering a check report: for a person (text), for tools (JSON), for CI (JUnit XML,
GitHub annotations). Nothing here decides anything; the report already has.

Text never carries a cell's control characters to the terminal: they are shown escaped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby, islice
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from planbook.display import escape_controls, safe, shorten
from planbook.findings import Finding, Report, Severity

if TYPE_CHECKING:
    from planbook.check.many import ManyChecked
    from planbook.diff import PlanChange

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}

Style = Callable[..., str]


def _plain(text: str, **_: Any) -> str:
    return text


#: Lines (or JSON tokens) a piece of a streamed report holds: one write each.
_PIECE = 2_000


def render_text(report: Report, *, style: Style = _plain) -> str:
    """Findings grouped by sheet, the cell first on each line, then a closing count."""
    return "".join(text_pieces(report, style=style))


def text_pieces(report: Report, *, style: Style = _plain) -> Iterator[str]:
    """``render_text``'s text a piece at a time, for a stream: the report of a big, faulty
    plan (tens of thousands of findings) is never held whole."""
    return _pieces(line + "\n" for line in _text_lines(report, style))


def _text_lines(report: Report, style: Style) -> Iterator[str]:
    for sheet, findings in groupby(report.findings, key=lambda finding: finding.sheet):
        yield style(safe(sheet), bold=True)
        for finding in findings:
            yield _text_line(finding, style)
        yield ""
    board = report.summary().get("services")
    if board is not None:
        yield from render_board(report.summary())
        yield ""
    yield from _summary_lines(report)


def _pieces(parts: Iterator[str]) -> Iterator[str]:
    while piece := "".join(islice(parts, _PIECE)):
        yield piece


_RAG_WORDS = (("R", "red"), ("A", "amber"), ("G", "green"), ("B", "complete"))


def render_board(summary: dict[str, Any]) -> list[str]:
    """The board summary in sentences, to be read aloud."""
    as_of = _uk(summary["as_of"])
    lines = [f"Board summary as of {as_of} (amber: due within {summary['amber_days']} days)"]
    for service in summary["services"]:
        counts = service["items_by_rag"]
        words = [f"{counts[letter]} {word}" for letter, word in _RAG_WORDS]
        if counts["none"]:
            words.append(f"{counts['none']} with no date to judge by")
        lines.append(
            f"  {safe(service['sheet'])}: {_plural(service['items'], 'item')} "
            f"({_plural(service['milestones'], 'milestone')}): " + ", ".join(words) + "."
        )
    lines.append("")
    lines.append(
        f"Late: {_plural(len(summary['late']), 'milestone')}" + (":" if summary["late"] else ".")
    )
    for entry in summary["late"]:
        days = _plural(entry["days_late"], "day")
        lines.append(f"  {_entry(entry)} was due {_uk(entry['due'])}, {days} late.")
    lines.append("")
    due_soon = summary["due_soon"]
    lines.append(
        f"Due in the next {summary['amber_days']} days: {_plural(len(due_soon), 'milestone')}"
        + (":" if due_soon else ".")
    )
    for entry in due_soon:
        when = "today" if entry["days_to_go"] == 0 else f"in {_plural(entry['days_to_go'], 'day')}"
        lines.append(f"  {_entry(entry)} is due {_uk(entry['due'])}, {when}.")
    return lines


def _entry(entry: dict[str, Any]) -> str:
    item = shorten(entry["description"], 50)
    milestone = shorten(entry["milestone"], 50)
    what = f"{item}, '{milestone}'" if milestone else item
    return safe(f"{entry['sheet']}, row {entry['row']}: {what}")


def _uk(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def _text_line(finding: Finding, style: Style) -> str:
    severity = style(f"{finding.severity.value:<7}", fg=_COLOURS[finding.severity])
    cell = f"{finding.cell or '-':>6}"
    fix = f" -> {safe(finding.suggestion)}" if finding.suggestion else ""
    return f"  {cell}  {severity} {finding.code}  {safe(finding.message)}{fix}"


def _summary_lines(report: Report) -> list[str]:
    return [f"{safe(report.file)}: {_counted(report.counts())}"]


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(
        [
            _plural(counts["error"], "error"),
            _plural(counts["warning"], "warning"),
            f"{counts['info']} info",
        ]
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def render_json(report: Report) -> str:
    return "".join(json_pieces(report))


def json_pieces(report: Report) -> Iterator[str]:
    """``render_json``'s text a piece at a time, for a stream."""
    return _json_pieces(report.to_dict())


def _json_pieces(data: dict[str, Any]) -> Iterator[str]:
    """What ``json.dumps(data, ensure_ascii=False, indent=2)`` writes, and a line end."""
    yield from _pieces(json.JSONEncoder(ensure_ascii=False, indent=2).iterencode(data))
    yield "\n"


def render_junit(report: Report, *, strict: bool = False) -> str:
    """JUnit XML: one test case per finding; errors (and warnings, with strict) fail."""
    return "".join(junit_pieces(report, strict=strict))


def junit_pieces(report: Report, *, strict: bool = False) -> Iterator[str]:
    """``render_junit``'s XML a piece at a time, for a stream: the same text as
    ElementTree writes of the whole document, indented, never held whole."""
    return _junit_document([_junit_suite(report, strict)])


#: A suite: its element with the suite's attributes alone, and its test cases.
_Suite = tuple[ElementTree.Element, Iterable[ElementTree.Element]]


def _junit_suite(report: Report, strict: bool) -> _Suite:
    suite = ElementTree.Element(
        "testsuite",
        name=f"planbook check {report.file}",
        tests=str(max(1, len(report.findings))),
        failures=str(sum(_fails(finding, strict) for finding in report.findings)),
        errors="0",
    )
    if not report.findings:
        return suite, [ElementTree.Element("testcase", classname="planbook", name="no findings")]
    return suite, (_junit_case(finding, strict) for finding in report.findings)


def _junit_case(finding: Finding, strict: bool) -> ElementTree.Element:
    case = ElementTree.Element(
        "testcase",
        classname=f"planbook.{escape_controls(finding.sheet)}",
        name=escape_controls(f"{finding.location} {finding.code} {finding.name}"),
    )
    detail = escape_controls(f"{finding.message}. Fix: {finding.suggestion}")
    if _fails(finding, strict):
        failure = ElementTree.SubElement(
            case, "failure", type=finding.severity.value, message=escape_controls(finding.message)
        )
        failure.text = detail
    else:
        ElementTree.SubElement(case, "system-out").text = detail
    return case


def _junit_unreadable_suite(file: str, error: str) -> _Suite:
    """A workbook that could not be read: one test case in error (not a failed finding)."""
    suite = ElementTree.Element(
        "testsuite", name=f"planbook check {escape_controls(file)}", tests="1", failures="0"
    )
    suite.set("errors", "1")
    case = ElementTree.Element("testcase", classname="planbook", name="read workbook")
    ElementTree.SubElement(
        case, "error", type="unreadable", message=escape_controls(error)
    ).text = escape_controls(error)
    return suite, [case]


def _junit_document(suites: Iterable[_Suite]) -> Iterator[str]:
    """The document, as ``ElementTree.indent`` and ``tostring`` would write it, a test
    case at a time."""
    return _pieces(_junit_parts(suites))


def _junit_parts(suites: Iterable[_Suite]) -> Iterator[str]:
    yield "<?xml version='1.0' encoding='utf-8'?>\n<testsuites>"
    for suite, cases in suites:
        opening = ElementTree.tostring(suite, encoding="unicode", short_empty_elements=False)
        yield "\n  " + opening.removesuffix("</testsuite>")
        for case in cases:
            ElementTree.indent(case, level=2)
            yield "\n    " + ElementTree.tostring(case, encoding="unicode")
        yield "\n  </testsuite>"
    yield "\n</testsuites>\n"


def _fails(finding: Finding, strict: bool) -> bool:
    return finding.severity is Severity.ERROR or (strict and finding.severity is Severity.WARNING)


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    return "".join(github_pieces(report))


def github_pieces(report: Report) -> Iterator[str]:
    """``render_github``'s text a piece at a time, for a stream."""
    return _pieces(_github_lines(report))


def _github_lines(report: Report) -> Iterator[str]:
    for finding in report.findings:
        level = {"error": "error", "warning": "warning", "info": "notice"}[finding.severity.value]
        title = _github_property(f"{finding.code} {finding.location}")
        message = finding.message + (f" -> {finding.suggestion}" if finding.suggestion else "")
        yield _github_line(level, report.file, title, message)


def _github_line(level: str, file: str, title: str, message: str) -> str:
    return f"::{level} file={_github_property(file)},title={title}::{_github_data(message)}\n"


def _github_data(text: str) -> str:
    return safe(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


# --- planbook check of many workbooks ------------------------------------------------------


def render_many_text(many: ManyChecked, *, style: Style = _plain) -> str:
    """Each workbook's findings as a single check prints them, then one line per workbook
    and the total."""
    return "".join(many_text_pieces(many, style=style))


def many_text_pieces(many: ManyChecked, *, style: Style = _plain) -> Iterator[str]:
    """``render_many_text``'s text a piece at a time, for a stream."""
    for report in many.reports:
        yield from text_pieces(report, style=style)
        yield "\n"
    lines = [style(f"{_plural(len(many.outcomes), 'workbook')}:", bold=True)]
    for outcome in many.outcomes:
        if outcome.report is None:
            lines.append(f"  {safe(outcome.error)} (not checked)")
        else:
            lines.append(f"  {_summary_lines(outcome.report)[0]}")
    total = f"Total: {_counted(many.counts())}"
    unreadable = len(many.outcomes) - len(many.reports)
    if unreadable:
        total += f"; {unreadable} could not be read"
    lines.append(total)
    yield "\n".join(lines) + "\n"


def render_many_json(many: ManyChecked, *, strict: bool = False) -> str:
    return "".join(many_json_pieces(many, strict=strict))


def many_json_pieces(many: ManyChecked, *, strict: bool = False) -> Iterator[str]:
    """``render_many_json``'s text a piece at a time, for a stream."""
    return _json_pieces(many.to_dict(strict=strict))


def render_many_junit(many: ManyChecked, *, strict: bool = False) -> str:
    """One test suite per workbook; an unreadable workbook is a suite in error."""
    return "".join(many_junit_pieces(many, strict=strict))


def many_junit_pieces(many: ManyChecked, *, strict: bool = False) -> Iterator[str]:
    """``render_many_junit``'s XML a piece at a time, for a stream."""
    return _junit_document(
        _junit_suite(outcome.report, strict)
        if outcome.report is not None
        else _junit_unreadable_suite(str(outcome.path), outcome.error)
        for outcome in many.outcomes
    )


def render_many_github(many: ManyChecked) -> str:
    return "".join(many_github_pieces(many))


def many_github_pieces(many: ManyChecked) -> Iterator[str]:
    """``render_many_github``'s text a piece at a time, for a stream."""
    for outcome in many.outcomes:
        if outcome.report is not None:
            yield from github_pieces(outcome.report)
        else:
            yield _github_line("error", str(outcome.path), "unreadable workbook", outcome.error)


# --- planbook diff ------------------------------------------------------------------------

#: Sections of the minutes, in the order a board reads them.
_MINUTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Status and RAG", ("status_changed", "rag_changed")),
    ("Due dates", ("due_changed",)),
    ("Items", ("item_added", "item_removed", "item_renamed", "item_moved")),
    ("Milestones", ("milestone_added", "milestone_removed")),
    ("Other changes", ("field_changed",)),
    ("Progress notes", ("progress_updated",)),
    ("Header", ("header_changed",)),
)


def render_changes_text(changes: list[PlanChange], old: str, new: str) -> str:
    """The minutes: by service, what a board cares about first."""
    lines = [f"Changes from {safe(old)} to {safe(new)}"]
    sheets = list(dict.fromkeys(change.sheet for change in changes))
    for sheet in sheets:
        lines.extend(["", safe(sheet)])
        mine = [change for change in changes if change.sheet == sheet]
        for title, kinds in _MINUTES:
            section = [change for change in mine if change.kind in kinds]
            if section:
                lines.append(f"  {title}")
                lines.extend(f"    {safe(_minute(change))}" for change in section)
    lines.append("")
    lines.append(
        f"{_plural(len(changes), 'change')} in {_plural(len(sheets), 'service')}."
        if changes
        else "No changes."
    )
    return "\n".join(lines) + "\n"


def _minute(change: PlanChange) -> str:
    what = f"'{shorten(change.item, 50)}'"
    if change.milestone:
        what += f", '{shorten(change.milestone, 50)}'"
    at = f" ({change.cell})" if change.cell else ""
    old, new = shorten(change.old, 40), shorten(change.new, 40)
    kind = change.kind
    if kind in ("status_changed", "rag_changed"):
        field = "status" if kind == "status_changed" else "RAG"
        return f"{what}: {field} {old or '(none)'} -> {new or '(none)'}{at}"
    if kind == "due_changed":
        if change.days is not None:
            moved = "slipped" if change.days > 0 else "pulled in"
            return (
                f"{what}: due {_uk(change.old)} -> {_uk(change.new)}, "
                f"{moved} {_plural(abs(change.days), 'day')}{at}"
            )
        return f"{what}: due '{old}' -> '{new}'{at}"
    simple = {
        "item_added": f"added {what}{at}",
        "item_removed": f"removed {what}",
        "item_renamed": f"renamed '{old}' -> '{new}'{at}",
        "item_moved": f"{what} moved from Part {old} to Part {new}{at}",
        "milestone_added": f"{what}: milestone added{at}",
        "milestone_removed": f"{what}: milestone removed",
        "progress_updated": f"{what}: progress updated: '{shorten(change.new, 70)}'{at}",
        "header_changed": f"{change.field} '{old}' -> '{new}'{at}",
    }
    return simple.get(kind, f"{what}: {change.field} '{old}' -> '{new}'{at}")


def render_changes_json(changes: list[PlanChange], old: str, new: str) -> str:
    data = {"old": old, "new": new, "changes": [change.to_dict() for change in changes]}
    return "".join(_json_pieces(data))


def render_changes_csv(changes: list[PlanChange]) -> str:
    import csv
    import io

    from planbook.diff import CSV_COLUMNS

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for change in changes:
        writer.writerow({**change.to_dict(), "days": "" if change.days is None else change.days})
    return buffer.getvalue()
