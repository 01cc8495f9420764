"""Reading a workbook from disk: the only stage that touches the file.

openpyxl reads in read-only mode (values streamed, never the whole styled sheet in
memory) and parses XML through defusedxml, which planbook installs. Only fills are read
among the styles, and only on blank cells, where a lead may have coloured a RAG cell
instead of writing it.
"""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from planbook.errors import UnreadableWorkbookError
from planbook.layout import parse_sheet
from planbook.model import Cell, CellValue, OtherSheet, Plan, Sheet

#: The first bytes of an OLE2 compound file: a legacy .xls, or an encrypted workbook.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_workbook(path: str | Path) -> Plan:
    """Read an annual plan workbook into a ``Plan``; never writes to ``path``."""
    path = Path(path)
    _check_readable(path)
    import openpyxl  # heavy: imported only when a workbook is read
    from openpyxl.utils.exceptions import InvalidFileException

    # Read-only mode streams each sheet when it is read, so a damaged part can fail
    # there as well as on opening: both are the same one-line error.
    damaged = (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,
        OSError,
        ValueError,
        ElementTree.ParseError,
        InvalidFileException,
    )
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
        try:
            return Plan(path=path, sheets=tuple(_read_sheets(workbook)))
        finally:
            workbook.close()
    except damaged as error:
        raise UnreadableWorkbookError(
            f"{path}: not a readable Excel workbook ({_why(error)})"
        ) from error


def _why(error: BaseException) -> str:
    """The library's reason, on one line and short: never a file's contents at length."""
    reason = " ".join(str(error).split()) or type(error).__name__
    return reason if len(reason) <= 120 else reason[:119] + "…"


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise UnreadableWorkbookError(f"{path}: no such file")
    if path.is_dir():
        raise UnreadableWorkbookError(f"{path}: is a directory, not a workbook")
    with path.open("rb") as handle:
        start = handle.read(8)
    if start == _OLE_SIGNATURE:
        raise UnreadableWorkbookError(
            f"{path}: an encrypted workbook or a legacy .xls file; "
            "save it unencrypted as .xlsx and try again"
        )
    if not zipfile.is_zipfile(path):
        raise UnreadableWorkbookError(f"{path}: not an Excel .xlsx workbook (not a zip archive)")


def _read_sheets(workbook: Any) -> list[Sheet]:
    sheets: list[Sheet] = []
    for index, name in enumerate(workbook.sheetnames):
        sheet = workbook[name]
        state = getattr(sheet, "sheet_state", "visible")
        if not hasattr(sheet, "iter_rows"):  # a chart sheet: nothing to read, kept by name
            sheets.append(OtherSheet(name=name, index=index, state=state))
            continue
        sheets.append(parse_sheet(name, index, state, list(_rows(sheet))))
    return sheets


def _rows(sheet: Any) -> Any:
    """Yield (row number, non-empty cells) for every row; blank coloured cells included."""
    sheet.reset_dimensions()  # the stored dimension may be wrong: read every cell there is
    fills = _FillCache()
    for number, raw_row in enumerate(sheet.iter_rows(min_row=1), start=1):
        cells: list[Cell] = []
        for raw in raw_row:
            value = raw.value
            if value is None or value == "":
                fill = fills.of(raw)
                if fill is not None:
                    cells.append(Cell(raw.row, raw.column, None, fill))
            else:
                cells.append(Cell(raw.row, raw.column, _plain(value)))
        if cells:
            yield number, cells


def _plain(value: Any) -> CellValue:
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()  # a date typed into Excel is a date, not a midnight
    return value  # type: ignore[no-any-return]


class _FillCache:
    """The solid fill colour of a cell, looked up once per fill style."""

    def __init__(self) -> None:
        self._by_fill_id: dict[int, str | None] = {}

    def of(self, raw: Any) -> str | None:
        if not getattr(raw, "has_style", False):
            return None
        fill_id = raw.style_array.fillId
        if fill_id not in self._by_fill_id:
            self._by_fill_id[fill_id] = _solid_rgb(raw.fill)
        return self._by_fill_id[fill_id]


def _solid_rgb(fill: Any) -> str | None:
    """``FF0000`` for a solid red fill; None for no fill or a colour only a theme knows."""
    if getattr(fill, "fill_type", None) != "solid":
        return None
    colour = fill.fgColor
    if colour.type == "rgb" and isinstance(colour.rgb, str):
        return colour.rgb[-6:].upper()
    if colour.type == "indexed":
        from openpyxl.styles.colors import COLOR_INDEX

        if 0 <= colour.indexed < len(COLOR_INDEX):
            return COLOR_INDEX[colour.indexed][-6:].upper()
    return None
