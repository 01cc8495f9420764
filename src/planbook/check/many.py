"""Checking many workbooks at once: every service's plan before a board.

``workbooks_named`` turns the command line's files and folders into the workbooks to
check; ``check_many`` checks each in turn with one set of schemas, and a workbook that
cannot be read is an outcome of its own, not the end of the run: the others are still
checked. What the outcomes add up to (and the exit code) is ``ManyChecked``'s to say.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planbook.derive import Settings
from planbook.errors import UnreadableWorkbookError
from planbook.findings import Report, Severity
from planbook.read import bulk_objects, reading_ahead

if TYPE_CHECKING:
    from planbook.model import Plan
    from planbook.schemas import Vocabularies

#: What a folder given to ``check`` stands for: the workbooks directly in it.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
#: Excel's lock file beside a workbook someone has open ("~$plan.xlsx"): not a workbook.
_LOCK_FILE_PREFIX = "~$"


@dataclass(frozen=True, slots=True)
class Checked:
    """One workbook's outcome: its report, or the one line saying why it could not be read."""

    path: Path
    report: Report | None = None
    error: str = ""

    def exit_code(self, *, strict: bool = False) -> int:
        return 2 if self.report is None else self.report.exit_code(strict=strict)


@dataclass(frozen=True, slots=True)
class ManyChecked:
    """The outcomes of one ``check`` run, in the order the workbooks were named."""

    outcomes: tuple[Checked, ...]

    @property
    def reports(self) -> list[Report]:
        return [outcome.report for outcome in self.outcomes if outcome.report is not None]

    def exit_code(self, *, strict: bool = False) -> int:
        """The worst of the workbooks': 2 if any could not be read, else 1 if any fails."""
        return max((outcome.exit_code(strict=strict) for outcome in self.outcomes), default=0)

    def counts(self) -> dict[str, int]:
        totals = {severity.value: 0 for severity in Severity}
        for report in self.reports:
            for severity, count in report.counts().items():
                totals[severity] += count
        return totals

    def summary(self, *, strict: bool = False) -> dict[str, Any]:
        return {
            "workbooks": len(self.outcomes),
            "checked": len(self.reports),
            "unreadable": len(self.outcomes) - len(self.reports),
            **self.counts(),
            "exit_code": self.exit_code(strict=strict),
        }

    def to_dict(self, *, strict: bool = False) -> dict[str, Any]:
        """``{"files": [...], "summary": {...}}``: each readable workbook's report as a
        single check prints it; an unreadable one as ``{"file", "error"}``."""
        files = [
            outcome.report.to_dict()
            if outcome.report is not None
            else {"file": str(outcome.path), "error": outcome.error}
            for outcome in self.outcomes
        ]
        return {"files": files, "summary": self.summary(strict=strict)}


def workbooks_named(arguments: Iterable[Path]) -> list[Path]:
    """The workbooks the arguments name: a file as given (even one not there, so that it
    is reported as missing), a folder as the .xlsx and .xlsm files directly in it, by name,
    leaving out Excel's lock files. Each workbook once, in the order first named."""
    found: list[Path] = []
    seen: set[Path] = set()
    for argument in arguments:
        for path in _folder_workbooks(argument) if argument.is_dir() else [argument]:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                found.append(path)
    return found


def _folder_workbooks(folder: Path) -> list[Path]:
    """The folder's workbooks; the folder itself when it has none (or cannot be listed),
    so that ``check_many`` reports it as it reports an unreadable workbook."""
    try:
        entries = sorted(folder.iterdir(), key=lambda path: path.name.casefold())
    except OSError:
        return [folder]
    workbooks = [
        path
        for path in entries
        if path.suffix.lower() in WORKBOOK_SUFFIXES
        and not path.name.startswith(_LOCK_FILE_PREFIX)
        and path.is_file()
    ]
    return workbooks or [folder]


def _why_not_a_workbook(folder: Path) -> str:
    try:
        next(folder.iterdir(), None)
    except OSError as error:
        return f"{folder}: a directory that cannot be listed ({error.strerror or error})"
    return f"{folder}: a directory with no .xlsx or .xlsm workbook in it"


def check_many(
    paths: Sequence[Path],
    *,
    schemas_dir: Path | None = None,
    settings: Settings | None = None,
    progress: Callable[[Path], None] | None = None,
) -> ManyChecked:
    """Check each workbook with one loading of the schemas; ``progress`` is told of each
    workbook as it is done. A schemas folder that cannot be used still stops the run (it
    is raised): it is wrong for every workbook alike."""
    from planbook.schemas import load_vocabularies

    outcomes: list[Checked] = []

    def check(path: Path, read: Callable[[], Plan] | None = None) -> None:
        outcomes.append(_check_one(path, settings, vocabularies, read))
        if progress is not None:
            progress(path)

    # The whole schemas folder is loaded (pandas and pandera imported) while the first
    # workbook's sheets are scanned ahead; that workbook is read in the same block.
    with reading_ahead(paths[0]) if paths else contextlib.nullcontext() as first:
        vocabularies = load_vocabularies(schemas_dir)
        vocabularies.table_schemas()
        if first is not None:
            check(paths[0], first.read)
    for path in paths[1:]:
        check(path)
    return ManyChecked(tuple(outcomes))


@bulk_objects()  # reading and checking: else the collector rescans the plan between them
def _check_one(
    path: Path,
    settings: Settings | None,
    vocabularies: Vocabularies,
    read: Callable[[], Plan] | None = None,
) -> Checked:
    """One workbook's outcome; read by ``read`` where it is being read ahead."""
    from planbook.check import check_plan
    from planbook.read import read_workbook

    if path.is_dir():
        return Checked(path, error=_why_not_a_workbook(path))
    try:
        plan = read() if read is not None else read_workbook(path)
    except UnreadableWorkbookError as error:
        return Checked(path, error=str(error))
    return Checked(path, report=check_plan(plan, settings=settings, vocabularies=vocabularies))
