"""``format``: write a plan back as a formatted workbook the leads can keep editing.

read -> ``prepare`` (canonical values, planbook's columns, change log) -> derive ->
check -> ``write_patched``: the lead's own package, patched part by part (``patch``), so
everything planbook does not own comes back as it was. ``consolidate`` makes a new
workbook instead, with ``write_xlsx``. The output is written to a temporary file beside
it and renamed into place, so a failure never leaves half a workbook; the input is never
written unless ``in_place`` is asked for, and then a backup is kept first.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from planbook.check import check_plan
from planbook.derive import Derivation, Settings, derive_plan
from planbook.errors import PlanbookError
from planbook.findings import Report
from planbook.model import Plan
from planbook.read import bulk_objects, read_workbook, same_file
from planbook.schemas import Vocabularies, load_vocabularies
from planbook.write.patch import LossError, PatchResult, write_patched
from planbook.write.prepare import CHANGE_COLUMNS, Change, attach_derived, prepare
from planbook.write.xlsx import ExtraSheet, write_xlsx

__all__ = [
    "Change",
    "FormatResult",
    "LossError",
    "Output",
    "build_output",
    "format_workbook",
    "write_atomically",
    "write_output",
]


@dataclass(frozen=True)
class FormatResult:
    output: Path
    changes: tuple[Change, ...]
    #: The check of what was written (its Findings sheet).
    report: Report
    backup: Path | None = None
    #: Things the user should know: macros not carried over, and the like.
    notices: tuple[str, ...] = ()
    #: What of the input could not be carried (only with ``allow_loss``).
    losses: tuple[str, ...] = ()


@bulk_objects()  # from reading to writing: else the collector walks the model again and again
def format_workbook(
    source: Path | str,
    output: Path | str | None = None,
    *,
    settings: Settings | None = None,
    schemas_dir: Path | None = None,
    in_place: bool = False,
    changelog: Path | None = None,
    live_as_of: bool | None = None,
    allow_loss: bool = False,
) -> FormatResult:
    """Format ``source`` into ``output`` (or over itself with ``in_place``, after a backup).

    With ``live_as_of`` (the default when no ``settings`` are given) the workbook's as-of
    date is Excel's TODAY(), so its Derived RAG stays live as the days pass; otherwise it
    is fixed at ``settings.as_of``. Raises ``LossError`` (writing nothing) when the input
    holds something planbook cannot carry, unless ``allow_loss``.
    """
    source = Path(source)
    target = _target(source, output, in_place)
    if changelog is not None and (same_file(changelog, source) or same_file(changelog, target)):
        raise PlanbookError(f"{changelog}: is a workbook planbook reads or writes; choose another")
    live = settings is None if live_as_of is None else live_as_of
    settings = settings or Settings(as_of=dt.date.today())
    plan = read_workbook(source)
    vocabularies = load_vocabularies(schemas_dir)
    written = build_output(plan, vocabularies, settings, schemas_dir)
    keep_macros = target.suffix.lower() == ".xlsm"
    results: list[PatchResult] = []

    def write(path: Path) -> None:
        results.append(
            write_patched(
                source,
                path,
                written.plan,
                plan,
                written.changes,
                written.derivation,
                written.report,
                vocabularies,
                live_as_of=live,
                keep_macros=keep_macros,
                allow_loss=allow_loss,
            )
        )
        if in_place:  # only once the new workbook is whole, just before it replaces the input
            backups.append(_backup(source, settings.as_of))

    backups: list[Path] = []
    write_atomically(target, write)
    backup = backups[0] if backups else None
    patched = results[0]
    if changelog is not None:
        write_atomically(
            changelog, lambda path: _write_changelog(path, patched.changes, settings.as_of)
        )
    notices = [*patched.notices, *(f"not carried: {loss}" for loss in patched.losses)]
    return FormatResult(
        target, patched.changes, patched.report, backup, tuple(notices), patched.losses
    )


@dataclass(frozen=True)
class Output:
    """A plan as planbook writes it, with what it takes to write it."""

    plan: Plan
    changes: tuple[Change, ...]
    derivation: Derivation
    report: Report


def build_output(
    plan: Plan,
    vocabularies: Vocabularies,
    settings: Settings,
    schemas_dir: Path | None,
    *,
    cut_long_text: bool = False,
) -> Output:
    """prepare -> derive -> the derived columns -> check (of what will be written)."""
    prepared, changes = prepare(plan, vocabularies, settings.as_of, cut_long_text=cut_long_text)
    derivation = derive_plan(prepared, settings, vocabularies)
    prepared = attach_derived(prepared, derivation)
    report = check_plan(
        prepared,
        schemas_dir=schemas_dir,
        settings=settings,
        derivation=derivation,
        vocabularies=vocabularies,
    )
    return Output(prepared, tuple(changes), derivation, report)


def write_output(
    target: Path,
    output: Output,
    vocabularies: Vocabularies,
    *,
    live_as_of: bool,
    title: str,
    extra_sheets: Sequence[ExtraSheet] = (),
    extras_after: int = 0,
) -> None:
    """Write ``output`` to ``target`` atomically."""

    def write(path: Path) -> None:
        write_xlsx(
            path,
            output.plan,
            derivation=output.derivation,
            report=output.report,
            vocabularies=vocabularies,
            live_as_of=live_as_of,
            title=title,
            extra_sheets=extra_sheets,
            extras_after=extras_after,
        )

    write_atomically(target, write)


def _title(plan: Plan) -> str:
    """From the workbook's content, not its file name: formatting again gives the same file."""
    cover = plan.cover
    if cover is not None and cover.titles:
        return " ".join(cell.text.strip() for cell in cover.titles[:2])
    services = ", ".join(sheet.service for sheet in plan.plan_sheets)
    return f"Annual plan: {services}" if services else "Annual plan"


def _target(source: Path, output: Path | str | None, in_place: bool) -> Path:
    if in_place:
        if output is not None:
            raise PlanbookError("give either -o/--output or --in-place, not both")
        if source.suffix.lower() not in (".xlsx", ".xlsm"):
            raise PlanbookError(
                f"{source}: --in-place writes .xlsx or .xlsm only; give -o OUT.xlsx"
            )
        return source
    if output is None:
        raise PlanbookError("say where to write: -o OUT.xlsx (or --in-place, with a backup)")
    target = Path(output)
    if target.suffix.lower() == ".xlsm" and source.suffix.lower() != ".xlsm":
        raise PlanbookError(
            f"{target}: an .xlsm holds macros, and {source.name} has none; name it .xlsx"
        )
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        raise PlanbookError(f"{target}: planbook writes .xlsx workbooks; name the output .xlsx")
    if same_file(target, source):
        raise PlanbookError(
            f"{target}: is the input; use --in-place to replace it (a backup is kept)"
        )
    return target


def _backup(source: Path, as_of: dt.date) -> Path:
    """A copy of the input beside it, never over an earlier backup."""
    stem = f"{source.stem}.backup-{as_of.isoformat()}"
    backup = source.with_name(f"{stem}{source.suffix}")
    counter = 1
    while backup.exists():
        counter += 1
        backup = source.with_name(f"{stem}-{counter}{source.suffix}")
    shutil.copy2(source, backup)
    return backup


def write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Write to a temporary file beside ``target``, then rename it into place."""
    temporary = target.with_name(f".{target.name}.planbook-partial")
    try:
        write(temporary)
        temporary.replace(target)
    except OSError as error:
        raise PlanbookError(f"{target}: cannot write ({error.strerror or error})") from error
    finally:
        temporary.unlink(missing_ok=True)


def _write_changelog(path: Path, changes: Sequence[Change], as_of: dt.date) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CHANGE_COLUMNS)
        writer.writerows(change.values(as_of) for change in changes)
