"""Reading a workbook from disk: the only stage that touches the file.

The archive is vetted first (``archive``: limits, parts, defusedxml); then every value is
read with python-calamine, a Rust reader ten times faster than openpyxl's, which sees
what Excel last calculated. Styles are read only where a rule needs them: the fills of
blank cells (a lead may colour a RAG cell instead of writing it), found with formulas
that were never calculated in one streaming pass over each sheet's XML. A package laid
out otherwise than Excel lays it out is read from a copy made in memory as Excel would
(``archive.calamine_package``); an ordinary workbook, from the file itself. The file is
opened read-only and never written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import io
import itertools
import os
import stat
import sys
import threading
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, TypeVar

from planbook.archive import (
    Archive,
    SheetScan,
    calamine_package,
    needs_copy,
    open_archive,
    scan_sheets,
)
from planbook.comments import CommentReader
from planbook.errors import UnreadableWorkbookError
from planbook.layout import parse_sheet
from planbook.model import Cell, CellValue, Comment, OtherSheet, Plan, Sheet, may_be_broken
from planbook.scan_ahead import ArrivingScans, ScanAhead, StartOverError

T = TypeVar("T")

#: The first bytes of an OLE2 compound file: a legacy .xls, or an encrypted workbook.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_workbook(path: str | Path) -> Plan:
    """Read an annual plan workbook into a ``Plan``; never writes to ``path``."""
    with bulk_objects():
        return _read_workbook(Path(path))


def reading_ahead(path: str | Path) -> ReadAhead:
    """A workbook whose sheets are scanned in a child process (``planbook.scan_ahead``)
    while the caller does other work (``check`` imports pandas and pandera meanwhile),
    for a ``with`` block; ``read()`` then reads it as ``read_workbook`` does, with the
    child's scans as they come. Leaving the block ends the child, read or not."""
    return ReadAhead(Path(path))


class ReadAhead(contextlib.AbstractContextManager["ReadAhead"]):
    """See ``reading_ahead``: the child is forked as this is made."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._scanning = ScanAhead(path)

    @property
    def forked(self) -> bool:
        """Whether a child is scanning: False once the workbook is read (a second
        ``read()`` is an ordinary one) or the block is left."""
        return self._scanning.forked

    def read(self) -> Plan:
        with bulk_objects():
            return _read_workbook(self.path, self._scanning)

    def close(self) -> None:
        self._scanning.close()

    def __exit__(self, *_: object) -> None:
        self.close()


@contextlib.contextmanager
def bulk_objects() -> Iterator[None]:
    """Pause the cycle collector while a million cells are made: the model holds no
    cycles, and the collector would otherwise rescan them all, again and again (a third
    of the reading time on a big plan). Nested, the outermost pause ends it.

    As a decorator (``@bulk_objects()``), for a whole command that reads a plan and works
    on it: the function's locals, the model among them, are freed by their counts as it
    returns, before the collector resumes, so that it never walks them at all."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_workbook(path: Path, ahead: ScanAhead | None = None) -> Plan:
    """The plan; each sheet's scan from ``ahead``'s child where it can be used."""
    try:
        _check_readable(path)
        if ahead is not None and ahead.forked:
            with contextlib.suppress(StartOverError):  # read again the ordinary way
                return _read_archive(path, ahead)
    finally:
        if ahead is not None:
            ahead.close()  # read, started over or failed: the child is done with
    return _read_archive(path, None)


def _read_archive(path: Path, ahead: ScanAhead | None) -> Plan:
    zipped, archive = open_archive(path)
    arriving: ArrivingScans | None = None
    try:
        try:
            scans: Mapping[int, SheetScan]
            if ahead is None:
                scans = scan_sheets(zipped, archive)
            else:
                scans = arriving = ahead.arriving(zipped, archive)
            notes = CommentReader(zipped)
            comments = {
                index: found
                for index, part in enumerate(archive.sheets)
                if part.path is not None and (found := notes.sheet_comments(part.path))
            }
            # A package laid out otherwise than Excel lays it (docs/reading.md) is read
            # from a copy laid out as Excel would; an ordinary workbook from the file
            # itself. (Scans read ahead are used only for the latter: ``arriving``.)
            copy = None
            if arriving is None and needs_copy(archive, scans):
                copy = calamine_package(zipped, archive, scans)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as error:
            raise UnreadableWorkbookError(
                f"{path}: not a readable Excel workbook ({_why(error)})"
            ) from error
        finally:
            zipped.close()
        if arriving is None:
            _check_extents(path, archive, scans)
        sheets = _read_values(path, archive, scans, copy)
    except UnreadableWorkbookError:
        if arriving is not None:
            # The error is the ordinary read's own only if that read would have come the
            # same way: every scan in and usable as it stands. Else: start over.
            arriving.check_all()
        raise
    if arriving is not None:
        arriving.check_all()  # a sheet laid out as no grid would have changed the way too
    if comments:
        sheets = [_with_comments(sheet, comments.get(sheet.index, ())) for sheet in sheets]
    return Plan(path=path, sheets=tuple(sheets), has_macros=archive.has_macros)


def _with_comments(sheet: Sheet, comments: tuple[Comment, ...]) -> Sheet:
    """The sheet with its notes; planbook's own columns go past a note on a blank cell too."""
    if not comments:
        return sheet
    last = max(sheet.last_column, *(comment.column for comment in comments))
    return dataclasses.replace(sheet, comments=comments, last_column=last)


def same_file(first: Path | str, second: Path | str) -> bool:
    """Whether two paths name one file, through links and ``..`` alike; for a file not
    written yet, whether they resolve to one path."""
    try:
        return Path(first).samefile(second)
    except OSError:
        return Path(first).resolve() == Path(second).resolve()


def _check_readable(path: Path) -> None:
    try:
        mode = path.stat().st_mode  # follows a symlink to what it points at
    except FileNotFoundError:
        raise UnreadableWorkbookError(f"{path}: no such file") from None
    except OSError as error:
        raise UnreadableWorkbookError(f"{path}: cannot be read ({error.strerror})") from error
    if stat.S_ISDIR(mode):
        raise UnreadableWorkbookError(f"{path}: is a directory, not a workbook")
    if not stat.S_ISREG(mode):
        # A pipe or a device would be read forever: only regular files are workbooks.
        raise UnreadableWorkbookError(f"{path}: not a regular file, not a workbook")
    try:
        with path.open("rb") as handle:
            start = handle.read(8)
    except OSError as error:
        raise UnreadableWorkbookError(f"{path}: cannot be read ({error.strerror})") from error
    if not start:
        raise UnreadableWorkbookError(f"{path}: an empty file, not a workbook")
    if start == _OLE_SIGNATURE:
        raise UnreadableWorkbookError(
            f"{path}: an encrypted workbook or a legacy .xls file; "
            "save it unencrypted as .xlsx and try again"
        )
    if not zipfile.is_zipfile(path):
        raise UnreadableWorkbookError(f"{path}: not an Excel .xlsx workbook (not a zip archive)")


#: calamine lays a sheet out as a grid of rows x columns; past this many cells it is
#: read with openpyxl, which streams sparse sheets (a lone cell at XFD1048576 is legal).
MAX_GRID_CELLS = 20_000_000


def _check_extents(path: Path, archive: Archive, scans: Mapping[int, SheetScan]) -> None:
    """No reader is asked to lay out a sheet with a cell beyond Excel's limits."""
    for index, scan in scans.items():
        if scan.beyond_limits:
            raise UnreadableWorkbookError(
                f"{path}: sheet '{archive.sheets[index].name}' has a cell beyond Excel's "
                f"limits (row {scan.last_row:,}, column {scan.last_column:,}); "
                "not a workbook Excel wrote"
            )


def _read_values(
    path: Path,
    archive: Archive,
    scans: Mapping[int, SheetScan],
    copy: tuple[bytes, dict[int, int]] | None,
) -> list[Sheet]:
    """Each sheet's cells; from ``copy`` (its bytes, and each worksheet's place in it)
    when the package had to be laid out anew for calamine. The scans are asked for in
    sheet order, each a sheet before its own is laid out (the thread loading the next
    sheet needs its extent first): scans read ahead are waited for as they are needed."""
    from python_calamine import CalamineWorkbook

    source: Path | IO[bytes]
    with _quiet_stderr():  # for the whole read: calamine works in two threads at once
        if copy is None:
            source, positions = path, {index: index for index in range(len(archive.sheets))}
            with _calamine_errors(path):
                workbook = CalamineWorkbook.from_path(str(path))
        else:
            source, positions = io.BytesIO(copy[0]), copy[1]
            with _calamine_errors(path):
                workbook = CalamineWorkbook.from_filelike(io.BytesIO(copy[0]))
        try:
            with _calamine_errors(path):
                kinds = [str(meta.typ).endswith("WorkSheet") for meta in workbook.sheets_metadata]
                names = workbook.sheet_names
            gridded: dict[int, int] = {}  # sheet index -> calamine position, read as a grid
            for index, part in enumerate(archive.sheets):
                # By position, not name: a name with a tab in it reads differently in the two.
                position = positions.get(index, len(kinds))
                if part.path is not None and position < len(kinds) and kinds[position]:
                    gridded[index] = position
            # The next sheet is taken from the file (calamine, in Rust, lets go of Python
            # meanwhile) while this one is laid out; nothing else may touch the workbook.
            loads = _one_ahead(
                (
                    (area, functools.partial(workbook.get_sheet_by_index, position))
                    for index, position in gridded.items()
                    if (area := scans.get(index, SheetScan()).area) <= MAX_GRID_CELLS
                ),
                budget=MAX_GRID_CELLS,
            )
            sheets: list[Sheet] = []
            # Closed, its thread ended, before the workbook is, however the loop ends.
            with contextlib.closing(loads) as ahead:
                for index, part in enumerate(archive.sheets):
                    if index not in gridded:  # a chart, dialog or macro sheet
                        sheets.append(OtherSheet(name=part.name, index=index, state=part.state))
                        continue
                    position, scan = gridded[index], scans.get(index, SheetScan())
                    with _calamine_errors(path):  # calamine reads lazily, as the rows are taken
                        if scan.area > MAX_GRID_CELLS:
                            values = _sparse_values(source, position)
                        else:
                            values = _calamine_values(next(ahead).result())
                        suspects: list[Cell] = []
                        rows = list(_rows(values, scan, suspects))
                    sheet = parse_sheet(names[position], index, part.state, rows)
                    sheet = dataclasses.replace(
                        sheet, last_column=scan.last_column, suspects=tuple(suspects)
                    )
                    if scan.uncalculated:
                        sheet = _with_uncalculated(sheet, scan)
                    sheets.append(sheet)
        finally:
            workbook.close()
    return sheets


def _one_ahead(
    calls: Iterable[tuple[int, Callable[[], T]]], *, budget: int
) -> Generator[Future[T], None, None]:
    """Each call's future, in order, the next call already running in a thread while
    the caller works on this one's result, if the two calls' weights (the cells of two
    sheets' grids, held at once) fit the budget; else the next starts when asked for."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="planbook-read") as pool:
        running: deque[tuple[int, Future[T]]] = deque()
        for weight, call in calls:
            if running and running[-1][0] + weight > budget:
                yield running.popleft()[1]
            running.append((weight, _submitted(pool, call)))
            if len(running) > 1:
                yield running.popleft()[1]
        while running:
            yield running.popleft()[1]


def _submitted(pool: ThreadPoolExecutor, call: Callable[[], T]) -> Future[T]:
    """The call running in ``pool``; run here and now when no thread can be started (a
    process at its limit), which is no fault of the workbook's."""
    try:
        return pool.submit(call)
    except RuntimeError:
        done: Future[T] = Future()
        try:
            done.set_result(call())
        except Exception as error:  # the workbook's failure: handed over as the pool would
            done.set_exception(error)
        return done


@contextlib.contextmanager
def _calamine_errors(path: Path) -> Iterator[None]:
    """Whatever calamine raises is the one-line error, a Rust panic included (it arrives
    as PanicException, a BaseException); Rust's own panic message, printed straight to
    the process's stderr, is held back (``_quiet_stderr``, around the read) so the user
    sees one line."""
    try:
        yield
    except (UnreadableWorkbookError, StartOverError):
        raise
    except Exception as error:
        raise UnreadableWorkbookError(
            f"{path}: not a readable Excel workbook ({_why(error)})"
        ) from error
    except BaseException as error:
        if type(error).__name__ != "PanicException":
            raise
        raise UnreadableWorkbookError(
            f"{path}: not a readable Excel workbook (its reader failed on a bad value)"
        ) from error


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Rust's panic text held back from stderr while a workbook is read: on the main
    thread only (the command's). The descriptor is the whole process's: a server reading
    in worker threads would lose its other requests' log lines, and two reads overlapping
    could leave it muted; there a panic's text goes to the log."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield  # no real stderr (a test runner's capture): nothing to hold back
        return
    sys.stderr.flush()
    saved = os.dup(descriptor)
    try:
        with Path(os.devnull).open("w") as devnull:
            os.dup2(devnull.fileno(), descriptor)
            yield
    finally:
        os.dup2(saved, descriptor)
        os.close(saved)


def _calamine_values(sheet: Any) -> Iterator[tuple[int, int, list[Any]]]:
    """(row number, first column, values) of every row calamine holds."""
    # calamine yields rows from the first, and columns from the first one used.
    column_offset = sheet.start[1] if sheet.start else 0
    for number, row in enumerate(sheet.iter_rows() if sheet.end else (), start=1):
        yield number, 1 + column_offset, row


def _sparse_values(path: Path | IO[bytes], index: int) -> Iterator[tuple[int, int, list[Any]]]:
    """The same from openpyxl, streaming: for a sheet whose grid calamine cannot hold."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        sheet = workbook.worksheets[index]
        sheet.reset_dimensions()
        for cells in sheet.iter_rows():
            for cell in cells:
                value, row, column = (
                    getattr(cell, name, None) for name in ("value", "row", "column")
                )
                if value is not None and row is not None and column is not None:
                    yield row, column, [value]
    finally:
        workbook.close()


def _rows(
    values: Iterator[tuple[int, int, list[Any]]], scan: SheetScan, suspects: list[Cell]
) -> Iterator[tuple[int, list[Cell]]]:
    """(row number, cells) for every row with a value, a formula or a coloured blank;
    each cell whose text ``may_be_broken`` also added to ``suspects``.

    ``values`` come in row order (calamine a row at a time, openpyxl a cell at a time);
    the scan's extras are merged in at their rows. What the reader raises as the rows
    are taken, the caller's ``_calamine_errors`` makes the one-line error.
    """
    extras = _extras_by_row(scan)
    waiting = sorted(extras)  # extras' rows, in order
    next_extra = 0
    # One string object for each repeated short text (leads, statuses, councils): the
    # reader makes a new one per cell, and a big plan repeats them by the hundred thousand.
    shared: dict[str, str] = {}
    share = shared.setdefault
    # The named tuple made without its Python-level ``__new__``: half the cost, a million times.
    new_cell = tuple.__new__

    for number, group in itertools.groupby(values, key=_row_number):
        # Written out, not as a comprehension of helpers: this runs once per cell.
        cells = []
        for _, first_column, row in group:
            for column, value in enumerate(row, start=first_column):
                if type(value) is str:
                    if not value:
                        continue
                    if len(value) <= 64:
                        value = share(value, value)
                    cell = new_cell(Cell, (number, column, value, None))
                    if may_be_broken(value):
                        suspects.append(cell)
                elif value is None:
                    continue
                else:
                    value = _plain(value)
                    cell = new_cell(Cell, (number, column, value, None))
                    if type(value) is str and may_be_broken(value):
                        suspects.append(cell)
                cells.append(cell)
        while next_extra < len(waiting) and waiting[next_extra] < number:
            only = waiting[next_extra]
            yield only, _merge([], extras.pop(only), suspects)
            next_extra += 1
        if next_extra < len(waiting) and waiting[next_extra] == number:
            cells = _merge(cells, extras.pop(number), suspects)
            next_extra += 1
        if cells:
            yield number, cells
    for only in waiting[next_extra:]:
        yield only, _merge([], extras.pop(only), suspects)


def _row_number(entry: tuple[int, int, list[Any]]) -> int:
    return entry[0]


def _extras_by_row(scan: SheetScan) -> dict[int, list[Cell]]:
    extras: dict[int, list[Cell]] = {}
    for (row, column), rgb in scan.filled_blanks.items():
        extras.setdefault(row, []).append(Cell(row, column, None, rgb))
    for (row, column), formula in scan.uncalculated.items():
        # Kept as its formula text: shown and reported, never lost, never run.
        extras.setdefault(row, []).append(Cell(row, column, "=" + formula if formula else "="))
    for (row, column), error in scan.errors.items():
        extras.setdefault(row, []).append(Cell(row, column, error))
    return extras


def _merge(cells: list[Cell], extra: list[Cell], suspects: list[Cell]) -> list[Cell]:
    """A row's cells and the scan's extras at columns with no value, in column order;
    the extras kept that ``may_be_broken`` added to ``suspects``."""
    taken = {cell.column for cell in cells}
    kept = [cell for cell in extra if cell.column not in taken]
    suspects.extend(cell for cell in kept if type(cell.value) is str and may_be_broken(cell.value))
    return sorted(cells + kept, key=lambda cell: cell.column)


def _with_uncalculated(sheet: Sheet, scan: SheetScan) -> Sheet:
    import dataclasses

    positions = set(scan.uncalculated)
    found = tuple(cell for cell in sheet.cells() if (cell.row, cell.column) in positions)
    return dataclasses.replace(sheet, uncalculated=found)


def _plain(value: Any) -> CellValue:
    if type(value) is str:
        return value  # most cells: nothing to do
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()  # a date typed into Excel is a date, not a midnight
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # Excel stores every number as a float; 3 is what the lead typed
    if isinstance(value, dt.timedelta):
        return str(value)
    return value


def _why(error: BaseException) -> str:
    """The library's reason, on one line and short: never a file's contents at length."""
    reason = " ".join(str(error).split()) or type(error).__name__
    return reason if len(reason) <= 120 else reason[:119] + "…"
