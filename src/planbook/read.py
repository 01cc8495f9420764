"""Reading a workbook from disk: the only stage that touches the file.

The archive is vetted first (``archive``: limits, parts, defusedxml); then every value is
read with python-calamine, a Rust reader ten times faster than openpyxl's, which sees
what Excel last calculated. Styles are read only where a rule needs them: the fills of
blank cells (a lead may colour a RAG cell instead of writing it), found with formulas
that were never calculated in one streaming pass over each sheet's XML. The file is
opened read-only and never written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from planbook.archive import MAX_COLUMNS, MAX_ROWS, Archive, SheetScan, open_archive, scan_sheet
from planbook.errors import UnreadableWorkbookError
from planbook.layout import parse_sheet
from planbook.model import Cell, CellValue, OtherSheet, Plan, Sheet

#: The first bytes of an OLE2 compound file: a legacy .xls, or an encrypted workbook.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_workbook(path: str | Path) -> Plan:
    """Read an annual plan workbook into a ``Plan``; never writes to ``path``."""
    with bulk_objects():
        return _read_workbook(Path(path))


@contextlib.contextmanager
def bulk_objects() -> Iterator[None]:
    """Pause the cycle collector while a million cells are made: the model holds no
    cycles, and the collector would otherwise rescan them all, again and again (a third
    of the reading time on a big plan)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_workbook(path: Path) -> Plan:
    _check_readable(path)
    zipped, archive = open_archive(path)
    try:
        scans = {
            part.name: scan_sheet(zipped, part.path, archive.coloured_styles)
            for part in archive.sheets
            if part.path is not None
        }
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as error:
        raise UnreadableWorkbookError(
            f"{path}: not a readable Excel workbook ({_why(error)})"
        ) from error
    finally:
        zipped.close()
    sheets = _read_values(path, archive, scans)
    return Plan(path=path, sheets=tuple(sheets), has_macros=archive.has_macros)


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


def _read_values(path: Path, archive: Archive, scans: dict[str, SheetScan]) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine's own error types: all mean an unreadable file
        raise UnreadableWorkbookError(
            f"{path}: not a readable Excel workbook ({_why(error)})"
        ) from error
    except BaseException as error:
        # A Rust panic arrives as PanicException, a BaseException: still a bad file.
        if type(error).__name__ != "PanicException":
            raise
        raise UnreadableWorkbookError(
            f"{path}: not a readable Excel workbook (reader failed)"
        ) from error
    sheets: list[Sheet] = []
    try:
        readable = set(workbook.sheet_names)
        for index, part in enumerate(archive.sheets):
            if part.path is None or part.name not in readable:  # a chart sheet
                sheets.append(OtherSheet(name=part.name, index=index, state=part.state))
                continue
            scan = scans.get(part.name, SheetScan())
            rows = list(_rows(path, workbook, part.name, scan))
            sheet = parse_sheet(part.name, index, part.state, rows)
            if scan.uncalculated:
                sheet = _with_uncalculated(sheet, scan)
            sheets.append(sheet)
    finally:
        workbook.close()
    return sheets


def _rows(
    path: Path, workbook: Any, name: str, scan: SheetScan
) -> Iterator[tuple[int, list[Cell]]]:
    """(row number, cells) for every row with a value, a formula or a coloured blank."""
    try:
        sheet = workbook.get_sheet_by_name(name)
        extras = _extras_by_row(scan)
        # calamine yields rows from the first, and columns from the first one used.
        column_offset = sheet.start[1] if sheet.start else 0
        for number, row in enumerate(sheet.iter_rows() if sheet.end else (), start=1):
            cells = [
                Cell(number, column, _plain(value))
                for column, value in enumerate(row, start=1 + column_offset)
                if value != "" and value is not None
            ]
            if number in extras:
                cells = _merge(cells, extras.pop(number))
            if cells:
                if cells[-1].column > MAX_COLUMNS or number > MAX_ROWS:
                    raise UnreadableWorkbookError(
                        f"{path}: sheet '{name}' has a cell beyond Excel's limits "
                        f"(row {number}); not a workbook Excel wrote"
                    )
                yield number, cells
        for leftover in sorted(extras):  # coloured blanks below the last value
            yield leftover, sorted(extras[leftover], key=lambda cell: cell.column)
    except UnreadableWorkbookError:
        raise
    except Exception as error:
        raise UnreadableWorkbookError(
            f"{path}: not a readable Excel workbook ({_why(error)})"
        ) from error


def _extras_by_row(scan: SheetScan) -> dict[int, list[Cell]]:
    extras: dict[int, list[Cell]] = {}
    for (row, column), rgb in scan.filled_blanks.items():
        extras.setdefault(row, []).append(Cell(row, column, None, rgb))
    for (row, column), formula in scan.uncalculated.items():
        # Kept as its formula text: shown and reported, never lost, never run.
        extras.setdefault(row, []).append(Cell(row, column, "=" + formula if formula else "="))
    return extras


def _merge(cells: list[Cell], extra: list[Cell]) -> list[Cell]:
    taken = {cell.column for cell in cells}
    merged = cells + [cell for cell in extra if cell.column not in taken]
    return sorted(merged, key=lambda cell: cell.column)


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
    return value  # type: ignore[no-any-return]


def _why(error: BaseException) -> str:
    """The library's reason, on one line and short: never a file's contents at length."""
    reason = " ".join(str(error).split()) or type(error).__name__
    return reason if len(reason) <= 120 else reason[:119] + "…"
