"""What a request brings: its options, checked (a bad one is 422), and its workbooks,
copied into the request's own temporary folder under names planbook chooses.

An uploaded file's name is never part of a path: it is only shown (cleaned, cut short)
and offered back in a download's name. Messages that name the temporary copy are given
back with the uploaded name in its place, so the web says what the CLI says.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import FormData, UploadFile

from planbook.derive import DEFAULT_AMBER_DAYS, Settings
from planbook.display import safe

#: The suffixes a copy keeps (the reader and the writer go by them); others become .xlsx.
_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xltx", ".xltm"})
_CHUNK = 1 << 20
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_TRUE = frozenset({"1", "on", "true", "yes"})


class OptionError(ValueError):
    """An option of the request is wrong: the answer is 422 with this message."""


@dataclass(frozen=True, slots=True)
class Upload:
    """One workbook of a request: where its copy is, and how to name it to the user."""

    path: Path
    name: str

    def message(self, text: str) -> str:
        """``text`` with the copy's path replaced by the uploaded name."""
        return text.replace(str(self.path), self.name)


@dataclass(frozen=True, slots=True)
class Options:
    settings: Settings
    #: Whether the as-of date was left to the day: the formatted workbook stays live.
    live_as_of: bool
    allow_loss: bool


def display_name(filename: str | None, fallback: str = "workbook.xlsx") -> str:
    """The last part of an uploaded name, with no control characters, at most 100 long."""
    base = re.split(r"[/\\]", filename or "")[-1]
    shown = safe(base).strip()
    shown = re.sub(r"\s+", " ", shown)[:100]
    return shown if shown not in ("", ".", "..") else fallback


def download_name(shown: str, tail: str) -> str:
    """A download's name from the uploaded one: ``plan.xlsx`` -> ``plan.formatted.xlsx``."""
    stem = shown.rsplit(".", 1)[0] if "." in shown else shown
    return f"{stem}{tail}"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the real one as RFC 5987 UTF-8."""
    from urllib.parse import quote

    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def options(form: FormData) -> Options:
    """``as_of`` (YYYY-MM-DD or DD/MM/YYYY, default today), ``amber_days`` (0-3650,
    default 30), ``plan_year`` (1990-2100, default from the workbook), ``allow_loss``."""
    as_of_text = _field(form, "as_of")
    as_of = _date(as_of_text) if as_of_text else None
    amber_days = _integer(form, "amber_days", 0, 3650)
    plan_year = _integer(form, "plan_year", 1990, 2100)
    settings = Settings(
        as_of=as_of or dt.date.today(),
        amber_days=DEFAULT_AMBER_DAYS if amber_days is None else amber_days,
        plan_year=plan_year,
    )
    allow_loss = (_field(form, "allow_loss") or "").lower() in _TRUE
    return Options(settings, live_as_of=as_of is None, allow_loss=allow_loss)


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise OptionError(f"{name}: give a value, not a file")
    return value.strip() or None


def _date(text: str) -> dt.date:
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise OptionError(f"as_of: '{safe(text)[:40]}' is not a date; give YYYY-MM-DD")


def _integer(form: FormData, name: str, low: int, high: int) -> int | None:
    text = _field(form, name)
    if text is None:
        return None
    if not re.fullmatch(r"[0-9]{1,6}", text):
        raise OptionError(f"{name}: '{safe(text)[:40]}' is not a whole number")
    number = int(text)
    if not low <= number <= high:
        raise OptionError(f"{name}: {number} is not in the range {low} to {high}")
    return number


@contextmanager
def request_folder(root: Path | None) -> Iterator[Path]:
    """The request's own temporary folder, removed with all it holds when done."""
    folder = Path(tempfile.mkdtemp(prefix="planbook-request-", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def uploaded_files(form: FormData, name: str, *, required: bool) -> list[UploadFile]:
    """The files of field ``name``; a text value, or none when one is required, is 422."""
    found = form.getlist(name)
    files = [value for value in found if isinstance(value, UploadFile)]
    if len(files) != len(found):
        raise OptionError(f"{name}: upload a workbook file, not a text value")
    # A browser sends an empty, unnamed part for a file input left empty.
    files = [upload for upload in files if upload.filename or (upload.size or 0) > 0]
    if required and not files:
        raise OptionError(f"{name}: choose a workbook to upload")
    return files


async def save(upload: UploadFile, folder: Path, number: int) -> Upload:
    """Copy an upload into ``folder`` as ``upload-<number><suffix>``."""
    suffix = Path(display_name(upload.filename)).suffix.lower()
    target = folder / f"upload-{number}{suffix if suffix in _SUFFIXES else '.xlsx'}"
    with target.open("wb") as handle:
        while chunk := await upload.read(_CHUNK):
            handle.write(chunk)
    return Upload(target, display_name(upload.filename, f"workbook-{number}.xlsx"))
