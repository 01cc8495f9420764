"""Broken, huge and hostile workbooks: planbook never crashes, hangs, leaks, runs or writes.

Plans arrive by email; some are broken, some huge, a few hostile. Whatever arrives,
planbook answers with one clear line (``planbook: error: ...`` on stderr, exit 2) or
with a finding (exit 1): never a traceback, never a hang, never a file's contents, never
a change to its input, and never a half-written output.

Every file is built in tmp_path at test time (tests/hostile_files.py) and is small on
disk. Each case goes through the real CLI (click's CliRunner on ``planbook.cli.cli``) and,
where it makes sense, through the library, in a bounded time. A case that could exhaust
memory or abort the interpreter (zip bombs, sparse sheets of a billion cells) runs only
in a subprocess, under a memory limit and a timeout.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import resource
import stat
import subprocess
import sys
import time
import traceback
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.chart import BarChart, Reference

from hostile_files import (
    CONTENT_TYPES,
    MILESTONE,
    OLE2_SIGNATURE,
    SHEET,
    WORKBOOK,
    MiB,
    billion_laughs,
    cell_replaced,
    damaged,
    external_entity,
    inline_cell,
    member,
    patch_member_headers,
    plan_rows,
    plan_workbook,
    rezip,
    row_added,
    shared_strings,
    with_shared_strings,
    without_declaration,
)
from planbook.archive import BOMB_RATIO, MAX_MEMBER_UNCOMPRESSED, MAX_MEMBERS, scan_sheet
from planbook.check import check_workbook
from planbook.cli import cli
from planbook.errors import PlanbookError, UnreadableWorkbookError
from planbook.read import read_workbook
from workbooks import write_workbook

#: Generous bounds: every case here takes well under a second when all is well.
IN_PROCESS_SECONDS = 20.0
PROCESS_SECONDS = 60.0
#: A subprocess may reserve this much address space: a bomb fails fast, never swaps.
PROCESS_MEMORY = 4 << 30

#: What must never reach a terminal raw: control characters and bidi overrides.
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: The first line of /etc/passwd on any Unix: proof that a file was read.
PASSWD = "root:"


# --------------------------------------------------------------------------- running planbook


@dataclass
class Outcome:
    """One CLI run: what a user would see, and anything the CLI let escape."""

    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    escaped: BaseException | None = None

    def describe(self) -> str:
        if self.escaped is not None:
            trace = "".join(traceback.format_exception(self.escaped))
            return f"escaped {type(self.escaped).__name__}:\n{trace[-1500:]}"
        return f"exit {self.exit_code}\nstdout: {self.stdout[-800:]!r}\nstderr: {self.stderr!r}"


def invoke(*args: str | Path) -> Outcome:
    """Run the CLI in-process; a BaseException it lets through (a Rust PanicException)
    is recorded, not raised, so the test reports it as a failure of planbook."""
    start = time.monotonic()
    try:
        result = CliRunner().invoke(cli, [str(arg) for arg in args])
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        return Outcome(-1, "", "", time.monotonic() - start, error)
    escaped = result.exception
    if isinstance(escaped, SystemExit):
        escaped = None
    outcome = Outcome(
        result.exit_code, result.stdout, result.stderr, time.monotonic() - start, escaped
    )
    assert outcome.seconds < IN_PROCESS_SECONDS, f"planbook {args[0]} took {outcome.seconds:.1f}s"
    return outcome


def assert_error_line(outcome: Outcome, *words: str) -> str:
    """Exit 2 and exactly one line on stderr, naming ``words``; nothing on stdout."""
    assert outcome.escaped is None, outcome.describe()
    assert outcome.exit_code == 2, outcome.describe()
    assert outcome.stdout == "", outcome.describe()
    assert "Traceback" not in outcome.stderr
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, outcome.describe()
    (line,) = lines
    assert line.startswith("planbook: error: "), line
    assert not UNSAFE.search(line), f"raw control character in {line!r}"
    for word in words:
        assert word.lower() in line.lower(), f"{word!r} not in {line!r}"
    return line


def assert_clean_run(outcome: Outcome, *codes: int) -> None:
    """A run that ends as designed: one of ``codes``, no traceback, no raw controls."""
    assert outcome.escaped is None, outcome.describe()
    assert outcome.exit_code in codes, outcome.describe()
    assert "Traceback" not in outcome.stdout + outcome.stderr
    if outcome.exit_code == 2:
        assert_error_line(outcome)


def library_error(path: Path, *words: str) -> str:
    """``read_workbook`` raises the one PlanbookError, on one line, in a bounded time."""
    start = time.monotonic()
    with pytest.raises(PlanbookError) as caught:
        read_workbook(path)
    assert time.monotonic() - start < IN_PROCESS_SECONDS
    message = str(caught.value)
    assert "\n" not in message, message
    for word in words:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"
    return message


_LIBRARY = """
import sys
import planbook
try:
    planbook.read_workbook(sys.argv[1])
except planbook.PlanbookError as error:
    print(error)
    sys.exit(2)
print("read")
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (PROCESS_MEMORY, PROCESS_MEMORY))


def run_process(*args: str | Path, library: bool = False) -> subprocess.CompletedProcess[str]:
    """``planbook ARGS`` (or ``read_workbook(ARGS[0])`` with ``library``) in a subprocess
    with a memory limit and a timeout: a hang or a runaway allocation fails the test
    rather than the machine."""
    if library:
        command = [sys.executable, "-c", _LIBRARY, *map(str, args)]
    else:
        command = [sys.executable, "-m", "planbook", *map(str, args)]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RUST_")}
    start = time.monotonic()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=PROCESS_SECONDS,
            env=environment,
            preexec_fn=_limit_memory,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{command[1:3]} {args} ran for over {PROCESS_SECONDS:.0f}s: a hang")
    assert time.monotonic() - start < PROCESS_SECONDS
    return done


def describe_process(done: subprocess.CompletedProcess[str]) -> str:
    how = f"killed by signal {-done.returncode}" if done.returncode < 0 else "exit"
    return f"{how} {done.returncode}\nstdout: {done.stdout[-500:]!r}\nstderr: {done.stderr[:1500]}"


def assert_process_error(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The installed command's answer: exit 2 and one line naming ``words``."""
    assert done.returncode == 2, describe_process(done)
    assert "Traceback" not in done.stderr, describe_process(done)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, describe_process(done)
    assert lines[0].startswith("planbook: error: "), describe_process(done)
    assert done.stdout == ""
    for word in words:
        assert word.lower() in lines[0].lower(), f"{word!r} not in {lines[0]!r}"
    return lines[0]


def assert_library_process_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, describe_process(done)
    assert done.stderr == "", describe_process(done)
    for word in words:
        assert word.lower() in done.stdout.lower(), f"{word!r} not in {done.stdout!r}"


# --------------------------------------------------------------------------- the input, kept


def fingerprint(path: Path) -> tuple[object, ...] | None:
    """What must not change: a regular file's bytes and times; never reads a pipe."""
    try:
        status = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return (status.st_mode, status.st_mtime_ns)
    return (hashlib.sha256(path.read_bytes()).hexdigest(), status.st_size, status.st_mtime_ns)


@contextlib.contextmanager
def unchanged(*paths: Path) -> Iterator[None]:
    """Assert that ``paths`` hold the same bytes afterwards (symlinks: their targets)."""
    before = {path: fingerprint(path) for path in paths}
    links = {path: path.readlink() for path in paths if path.is_symlink()}
    yield
    assert {path: fingerprint(path) for path in paths} == before, "the input was changed"
    assert {path: path.readlink() for path in paths if path.is_symlink()} == links


def listing(folder: Path) -> list[str]:
    """Every file under ``folder``, hidden temporary files included."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


# --------------------------------------------------------------------------- builders


def plan(tmp_path: Path, name: str = "plan.xlsx") -> Path:
    return plan_workbook(tmp_path / name)


def written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def truncated(tmp_path: Path, keep: Callable[[int], int]) -> Path:
    data = plan(tmp_path, "valid.xlsx").read_bytes()
    return written(tmp_path / "plan.xlsx", data[: keep(len(data))])


def zip_without_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "plan.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
        archive.writestr("docProps/core.xml", "<coreProperties/>")
    return path


def encrypted_member(tmp_path: Path) -> Path:
    """A zip whose sheet has the 'encrypted' flag bit set (traditional PKWARE)."""
    return patch_member_headers(plan(tmp_path), SHEET, set_flags=0x1)


def symlink(tmp_path: Path, target: Path | str) -> Path:
    link = tmp_path / "plan.xlsx"
    link.symlink_to(target)
    return link


def directory(tmp_path: Path) -> Path:
    path = tmp_path / "plan.xlsx"
    path.mkdir()
    return path


def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "plan.xlsx"
    os.mkfifo(path)
    return path


def sheet_changed(tmp_path: Path, change: Callable[[bytes], bytes]) -> Path:
    return damaged(plan(tmp_path, "valid.xlsx"), tmp_path / "plan.xlsx", SHEET, change)


def workbook_changed(tmp_path: Path, change: Callable[[bytes], bytes]) -> Path:
    return damaged(plan(tmp_path, "valid.xlsx"), tmp_path / "plan.xlsx", WORKBOOK, change)


UNREADABLE: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    "not-a-zip": (lambda t: written(t / "plan.xlsx", b"no zip here\n" * 50), ("zip",)),
    "truncated-zip": (lambda t: truncated(t, lambda n: n // 2), ("not",)),
    "zip-missing-its-last-bytes": (lambda t: truncated(t, lambda n: n - 10), ("not",)),
    "empty-file": (lambda t: written(t / "plan.xlsx", b""), ("empty",)),
    "csv-renamed-xlsx": (
        lambda t: written(t / "plan.xlsx", b"Ref,Description\nT1,Replace the telephony\n"),
        ("not a zip",),
    ),
    "legacy-xls": (
        lambda t: written(t / "plan.xlsx", OLE2_SIGNATURE + bytes(range(256)) * 4),
        (".xls",),
    ),
    "encrypted-ole2-workbook": (
        lambda t: written(
            t / "plan.xlsx",
            OLE2_SIGNATURE + b"\x00" * 504 + "EncryptionInfo".encode("utf-16-le") * 8,
        ),
        ("encrypted",),
    ),
    "zip-member-encrypted": (encrypted_member, ("encrypted",)),
    "zip-without-workbook-part": (zip_without_workbook, ("no excel workbook part",)),
    "workbook-xml-cut-short": (lambda t: workbook_changed(t, lambda x: x[: len(x) // 2]), ()),
    "workbook-xml-not-xml": (lambda t: workbook_changed(t, lambda _: b"\x00\xff\xfe junk"), ()),
    "sheet-xml-cut-short": (lambda t: sheet_changed(t, lambda x: x[: len(x) // 2]), ()),
    "sheet-xml-unclosed-cell": (
        lambda t: sheet_changed(t, lambda x: x.replace(b"</c>", b"", 1)),
        (),
    ),
    "sheet-xml-bad-utf8": (
        lambda t: sheet_changed(t, lambda x: x.replace(b"Replace the", b"Replace \xff\xfe")),
        (),
    ),
    "sheet-xml-bare-ampersand": (
        lambda t: sheet_changed(t, lambda x: x.replace(b"Replace the", b"Replace & the")),
        (),
    ),
    "shared-string-out-of-range": (
        lambda t: sheet_changed(t, cell_replaced("B5", b'<c r="B5" t="s"><v>99</v></c>')),
        (),
    ),
    "missing-file": (lambda t: t / "plan.xlsx", ("no such file",)),
    "directory": (directory, ("directory",)),
    "dangling-symlink": (lambda t: symlink(t, t / "gone.xlsx"), ("no such file",)),
    "symlink-to-dev-zero": (lambda t: symlink(t, "/dev/zero"), ("not a regular file",)),
    "fifo": (fifo, ("not a regular file",)),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_an_unreadable_file_is_one_error_line(tmp_path: Path, case: str) -> None:
    build, words = UNREADABLE[case]
    path = build(tmp_path)
    with unchanged(path):
        for command in ("check", "outline", "export"):
            line = assert_error_line(invoke(command, path), *words)
            assert str(path) in line
        library_error(path, *words)
        with pytest.raises(UnreadableWorkbookError):
            check_workbook(path)


def test_a_damaged_sheet_among_several_is_one_error_line_and_leaves_no_reader_running(
    tmp_path: Path,
) -> None:
    """The next sheet is read ahead in a thread while one is laid out: a failure on any
    sheet still ends the read with one line, the thread ended before the file is let go."""
    import threading

    sheets = {f"Plan {n}": plan_rows() for n in range(1, 5)}
    valid = plan_workbook(tmp_path / "valid.xlsx", sheets)
    path = damaged(valid, tmp_path / "plan.xlsx", "xl/worksheets/sheet3.xml", lambda x: x[:-200])
    with unchanged(path):
        assert_error_line(invoke("check", path))
        with pytest.raises(UnreadableWorkbookError, match="not a readable Excel workbook"):
            read_workbook(path)
    assert not [t for t in threading.enumerate() if t.name.startswith("planbook-read")]
    assert len(read_workbook(valid).plan_sheets) == 4


def test_the_next_sheet_is_read_ahead_only_when_both_grids_fit_the_grid_budget() -> None:
    """Two big grids are never held at once: a sheet whose grid and the one before
    exceed the budget together is taken from the file only once that one is handed over."""
    from planbook.read import _one_ahead

    started: list[str] = []

    def load(name: str) -> Callable[[], str]:
        return lambda: started.append(name) or name

    weights = [("big", 6), ("bigger", 6), ("small", 3)]
    loads = _one_ahead([(weight, load(name)) for name, weight in weights], budget=10)
    handed = []
    for future in loads:
        name = future.result()
        if name == "big":
            assert started == ["big"]  # 6 + 6 > 10: "bigger" waits
        handed.append(name)
    assert handed == started == ["big", "bigger", "small"]


def test_a_process_that_can_start_no_thread_still_reads_the_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At its thread limit (a busy server) the sheets are read one after the other: the
    workbook is not reported unreadable for it."""
    from concurrent.futures import ThreadPoolExecutor

    sheets = {f"Plan {n}": plan_rows() for n in range(1, 4)}
    path = plan_workbook(tmp_path / "plan.xlsx", sheets)
    expected = read_workbook(path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(ThreadPoolExecutor, "submit", refuse)
    assert read_workbook(path) == expected


def test_a_read_in_a_worker_thread_leaves_the_process_stderr_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server reads in worker threads: muting the process's stderr there would lose its
    other requests' log lines (the command, on its main thread, still holds back Rust's
    panic text)."""
    import threading

    from workbooks import SAMPLE_WORKBOOK

    redirected: list[tuple[int, int]] = []
    real_dup2 = os.dup2
    # A stderr with a descriptor, as a server's is (the test runner's capture has none).
    stderr = (tmp_path / "stderr").open("w")
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(os, "dup2", lambda *fds: redirected.append(fds) or real_dup2(*fds))
    worker = threading.Thread(target=read_workbook, args=(SAMPLE_WORKBOOK,))
    worker.start()
    worker.join()
    stderr.close()
    assert redirected == []


# --------------------------------------------------------------------------- damage tolerated


TOLERATED_SHEET_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "mismatched-end-tag": lambda x: x.replace(b"</row>", b"</rw>", 1),
    "stray-less-than": lambda x: x.replace(b"Replace the", b"Replace < the"),
    "text-between-cells": lambda x: x.replace(b"<sheetData>", b"<sheetData>garbage<<>>"),
}


@pytest.mark.parametrize("case", list(TOLERATED_SHEET_DAMAGE))
def test_sheet_xml_damage_the_reader_tolerates_never_crashes(tmp_path: Path, case: str) -> None:
    path = sheet_changed(tmp_path, TOLERATED_SHEET_DAMAGE[case])
    with unchanged(path):
        for command in ("check", "outline"):
            assert_clean_run(invoke(command, path), 0, 1, 2)


def test_a_sheet_whose_part_is_missing_is_not_silently_dropped(tmp_path: Path) -> None:
    """The workbook lists a worksheet whose XML is not in the zip: a damaged file, and
    the sheet's data is gone. planbook must say so, not read the sheet as empty."""
    source = plan_workbook(
        tmp_path / "two.xlsx",
        {"Customer Services": plan_rows("Customer Services"), "Land Charges": plan_rows("Land")},
    )
    path = rezip(source, tmp_path / "plan.xlsx", drop=["xl/worksheets/sheet2.xml"])
    with unchanged(path):
        assert_error_line(invoke("check", path), "Land Charges")
        assert_error_line(invoke("format", path, "-o", tmp_path / "out.xlsx"), "Land Charges")
        library_error(path, "Land Charges")
    assert not (tmp_path / "out.xlsx").exists()


# --------------------------------------------------------------------------- symlinks


def test_a_symlink_to_a_workbook_is_read(tmp_path: Path) -> None:
    target = plan(tmp_path, "real.xlsx")
    link = symlink(tmp_path, target)
    with unchanged(target, link):
        outcome = invoke("check", link)
        assert_clean_run(outcome, 0)
        assert "Plan: 1 item (1 milestone)" in outcome.stdout
        assert len(read_workbook(link).plan_sheets) == 1
    assert link.is_symlink()


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_a_symlink_to_a_device_or_pipe_is_refused_quickly(tmp_path: Path, target: str) -> None:
    if target == "fifo":
        os.mkfifo(tmp_path / "pipe")
        target = str(tmp_path / "pipe")
    link = symlink(tmp_path, target)
    start = time.monotonic()
    assert_error_line(invoke("check", link), "not a regular file")
    assert_error_line(invoke("format", link, "-o", tmp_path / "out.xlsx"), "not a regular file")
    library_error(link, "not a regular file")
    assert time.monotonic() - start < 10
    assert not (tmp_path / "out.xlsx").exists()


# --------------------------------------------------------------------------- XML entities


def _entity_cases() -> dict[str, Callable[[Path], Path]]:
    laughs, xxe = billion_laughs(), external_entity()

    def in_sheet(prolog: bytes, entity: bytes) -> Callable[[Path], Path]:
        return lambda t: sheet_changed(
            t, lambda x: prolog + without_declaration(x).replace(b"Replace the telephony", entity)
        )

    def in_workbook(prolog: bytes, entity: bytes) -> Callable[[Path], Path]:
        return lambda t: workbook_changed(
            t,
            lambda x: (
                prolog + without_declaration(x).replace(b'name="Plan"', b'name="' + entity + b'"')
            ),
        )

    def in_shared_strings(prolog: bytes, entity: bytes) -> Callable[[Path], Path]:
        return lambda t: with_shared_strings(
            plan(t, "valid.xlsx"),
            t / "plan.xlsx",
            prolog + shared_strings(b"<si><t>" + entity + b"</t></si>"),
        )

    def in_content_types(prolog: bytes, entity: bytes) -> Callable[[Path], Path]:
        return lambda t: damaged(
            plan(t, "valid.xlsx"),
            t / "plan.xlsx",
            CONTENT_TYPES,
            lambda x: (
                prolog + without_declaration(x).replace(b"<Types", b"<Types a='" + entity + b"'")
            ),
        )

    return {
        "billion-laughs-in-a-sheet": in_sheet(laughs, b"&lol9;"),
        "billion-laughs-in-the-workbook": in_workbook(laughs, b"&lol9;"),
        "billion-laughs-in-shared-strings": in_shared_strings(laughs, b"&lol9;"),
        "external-entity-in-a-sheet": in_sheet(xxe, b"&xxe;"),
        "external-entity-in-the-workbook": in_workbook(xxe, b"&xxe;"),
        "external-entity-in-shared-strings": in_shared_strings(xxe, b"&xxe;"),
        "external-entity-in-content-types": in_content_types(xxe, b"&xxe;"),
    }


ENTITIES = _entity_cases()


@pytest.mark.parametrize("case", list(ENTITIES))
def test_xml_entities_are_refused_or_left_unexpanded(tmp_path: Path, case: str) -> None:
    path = ENTITIES[case](tmp_path)
    with unchanged(path):
        for command in ("check", "outline", "export"):
            outcome = invoke(command, path)
            assert_clean_run(outcome, 0, 1, 2)
            shown = outcome.stdout + outcome.stderr
            assert PASSWD not in shown, f"/etc/passwd leaked:\n{shown[:500]}"
            assert "lollollol" not in shown, "an entity was expanded"
        try:
            plan_read = read_workbook(path)
        except PlanbookError as error:
            assert PASSWD not in str(error)
        else:
            texts = [cell.text for sheet in plan_read.sheets for cell in sheet.cells()]
            names = [sheet.name for sheet in plan_read.sheets]
            assert not any(PASSWD in text or "lollollol" in text for text in texts + names)


# --------------------------------------------------------------------------- zip bombs


def _bomb_cases() -> dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]]:
    def sheet_padded(padding: bytes, where: bytes = b"</sheetData>") -> Callable[[Path], Path]:
        return lambda t: sheet_changed(t, lambda x: x.replace(where, where + padding, 1))

    def declared_size(t: Path) -> Path:
        """The central directory and local header claim over 512 MiB for the sheet."""
        path = plan(t)
        return patch_member_headers(path, SHEET, file_size=MAX_MEMBER_UNCOMPRESSED + 1)

    def size_lie(t: Path) -> Path:
        """The headers declare the small sheet it was; the data inflates to 300 MiB.
        The CRC is that of the declared first bytes, so a reader that stops there agrees."""
        original = member(plan(t, "valid.xlsx"), SHEET)
        real = original.replace(b"</sheetData>", b"</sheetData>" + b" " * (300 * MiB))
        path = damaged(t / "valid.xlsx", t / "plan.xlsx", SHEET, real)
        return patch_member_headers(
            path, SHEET, file_size=len(original), crc=zlib.crc32(real[: len(original)])
        )

    def strings_bomb(padding: bytes) -> Callable[[Path], Path]:
        return lambda t: with_shared_strings(
            plan(t, "valid.xlsx"),
            t / "plan.xlsx",
            shared_strings(b"<si><t>Replace the telephony</t></si>", padding=padding),
        )

    def too_many_members(t: Path) -> Path:
        extra = {f"customXml/item{i}.xml": b"" for i in range(MAX_MEMBERS + 1)}
        return rezip(
            plan(t, "valid.xlsx"), t / "plan.xlsx", add=extra, compression=zipfile.ZIP_STORED
        )

    limits = ("limits",)
    return {
        "sheet-of-40-mib-of-spaces": (sheet_padded(b" " * (40 * MiB)), limits),
        "sheet-of-40-mib-of-empty-rows": (
            sheet_padded(b"<row/>" * (7 * MiB), b"<sheetData>"),
            limits,
        ),
        "declared-size-over-the-member-limit": (declared_size, limits),
        "declared-size-smaller-than-the-data": (size_lie, ("not a readable",)),
        "shared-strings-bomb": (strings_bomb(b"<si><t>x</t></si>" * (3 * MiB)), limits),
        "shared-strings-whitespace-bomb": (strings_bomb(b" " * (40 * MiB)), limits),
        "too-many-members": (too_many_members, ("parts",)),
    }


BOMBS = _bomb_cases()


@pytest.mark.parametrize("case", list(BOMBS))
def test_a_zip_bomb_is_refused_quickly_before_inflating(tmp_path: Path, case: str) -> None:
    build, words = BOMBS[case]
    path = build(tmp_path)
    assert path.stat().st_size < 4 * MiB, "a bomb should be small on disk"
    with unchanged(path):
        line = assert_process_error(run_process("check", path), *words)
        assert str(path) in line
        assert_process_error(run_process("format", path, "-o", tmp_path / "out.xlsx"), *words)
        assert_library_process_error(run_process(path, library=True), *words)
    assert not (tmp_path / "out.xlsx").exists()


def test_the_bombs_here_are_bombs_by_planbooks_own_measure(tmp_path: Path) -> None:
    """The ratio bombs compress better than BOMB_RATIO: they test the limit, not luck."""
    build, _ = BOMBS["sheet-of-40-mib-of-spaces"]
    with zipfile.ZipFile(build(tmp_path)) as archive:
        info = archive.getinfo(SHEET)
    assert info.file_size / info.compress_size > BOMB_RATIO


# --------------------------------------------------------------------------- sparse sheets


SPARSE: dict[str, Callable[[Path], Path]] = {
    # A cell far beyond Excel's limits: the reader would lay out the whole grid.
    "row-99999999999": lambda t: sheet_changed(
        t, cell_replaced("A5", inline_cell("A99999999999", "T1"))
    ),
    "column-ZZZZZZZ": lambda t: sheet_changed(
        t, cell_replaced("J5", inline_cell("ZZZZZZZ5", "Live since September"))
    ),
    # The same with a tab before r=, which no spreadsheet writes but XML allows.
    "column-ZZZZZZZ-after-a-tab": lambda t: sheet_changed(
        t,
        cell_replaced(
            "J5", inline_cell("ZZZZZZZ5", "Live since September").replace(b"<c r=", b"<c\tr=")
        ),
    ),
    # Within Excel's limits: A1 and the very last cell make a grid of 17 billion cells.
    "cell-XFD1048576": lambda t: sheet_changed(
        t, row_added(b'<row r="1048576">' + inline_cell("XFD1048576", "last") + b"</row>")
    ),
}


@pytest.mark.parametrize("case", list(SPARSE))
def test_a_sparse_sheet_never_exhausts_memory(tmp_path: Path, case: str) -> None:
    """Two far-apart cells must not make the reader allocate the grid between them (a
    Rust allocation failure aborts the process: no error line, no clean-up)."""
    path = SPARSE[case](tmp_path)
    with unchanged(path):
        done = run_process("check", path)
        assert done.returncode in (0, 1, 2), describe_process(done)
        assert "Traceback" not in done.stderr
        if done.returncode == 2:
            assert_process_error(done)
        library = run_process(path, library=True)
        assert library.returncode in (0, 2), describe_process(library)


@pytest.mark.parametrize("space", [b" ", b"\t", b"\n", b"\r\n"])
def test_the_extent_sees_a_cell_whatever_white_space_stands_before_its_reference(
    tmp_path: Path, space: bytes
) -> None:
    far = inline_cell("ZZZZZZZ5", "far").replace(b"<c r=", b"<c" + space + b"r=")
    path = sheet_changed(tmp_path, cell_replaced("J5", far))
    with zipfile.ZipFile(path) as archive:
        scan = scan_sheet(archive, SHEET, {})
    assert scan.last_column == sum(26**power for power in range(1, 8))  # ZZZZZZZ


def _flat_sheet(tmp_path: Path, size: int) -> Path:
    """A sheet with ``size`` MiB of blanks and no row end, which compresses less than
    BOMB_RATIO (a comment of random text): within planbook's limits."""
    noise = os.urandom(size * MiB // 150).hex().encode()
    padding = b"<!--" + noise + b"-->" + b" " * (size * MiB)
    return damaged(
        plan(tmp_path, "valid.xlsx"),
        tmp_path / f"flat{size}.xlsx",
        SHEET,
        lambda x: x.replace(b"<sheetData>", padding + b"<sheetData>", 1),
    )


def test_a_sheet_without_row_ends_is_read_in_linear_time(tmp_path: Path) -> None:
    """The streaming scan keeps what follows the last ``</row>`` for the next chunk; a
    sheet with none must not be copied and searched again for every chunk read."""
    timings = {}
    for size in (64, 256):
        path = _flat_sheet(tmp_path, size)
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(SHEET)
        assert info.file_size / info.compress_size < BOMB_RATIO
        start = time.monotonic()
        assert len(read_workbook(path).plan_sheets) == 1
        timings[size] = time.monotonic() - start
        path.unlink()
    assert timings[256] < 6 * timings[64] + 1.0, f"4x the data took {timings}"


# --------------------------------------------------------------------------- Excel's limits


BEYOND_LIMITS: dict[str, Callable[[Path], Path]] = {
    "value-in-column-XFE": lambda t: sheet_changed(
        t, cell_replaced("J5", inline_cell("XFE5", "Live since September"))
    ),
    "value-in-row-1048577": lambda t: damaged(
        write_workbook(t / "valid.xlsx", {"Plan": [["Notes"]]}),
        t / "plan.xlsx",
        SHEET,
        row_added(b'<row r="1048577">' + inline_cell("A1048577", "far") + b"</row>"),
    ),
    "formula-in-column-XFE": lambda t: sheet_changed(
        t, row_added(b'<row r="7"><c r="XFE7"><f>1+1</f></c></row>')
    ),
    "formula-in-row-1048577": lambda t: sheet_changed(
        t, row_added(b'<row r="1048577"><c r="A1048577"><f>1+1</f></c></row>')
    ),
    # 4294967297 = 2**32 + 1: must not wrap around to row 1.
    "value-in-row-4294967297": lambda t: sheet_changed(
        t, cell_replaced("A5", inline_cell("A4294967297", "T1"))
    ),
}


@pytest.mark.parametrize("case", list(BEYOND_LIMITS))
def test_a_cell_beyond_excels_limits_is_one_error_line(tmp_path: Path, case: str) -> None:
    path = BEYOND_LIMITS[case](tmp_path)
    with unchanged(path):
        assert_error_line(invoke("check", path), "beyond excel's limits")
        assert_error_line(invoke("outline", path), "beyond excel's limits")
        library_error(path, "beyond excel's limits")


# --------------------------------------------------------------------------- reader failures


def _date_cell(tmp_path: Path, serial: bytes) -> Path:
    """The due date a real date cell (date style), holding ``serial`` days."""
    import datetime as dt

    rows = plan_rows("Test", [*MILESTONE[:3], dt.date(2022, 9, 30), *MILESTONE[4:]])
    source = write_workbook(tmp_path / "valid.xlsx", {"Plan": rows})
    return damaged(
        source,
        tmp_path / "plan.xlsx",
        SHEET,
        lambda x: re.sub(rb'(<c r="D5"[^>]*>)<v>[^<]*</v>', rb"\g<1><v>" + serial + b"</v>", x),
    )


def test_a_reader_panic_is_one_error_line(tmp_path: Path) -> None:
    """A date cell of -1e308 days makes the Rust reader panic (chrono: out of bounds);
    the PanicException must become the one line, from the library and the CLI."""
    path = _date_cell(tmp_path, b"-1e308")
    with unchanged(path):
        assert_error_line(invoke("check", path), "not a readable")
        assert_error_line(invoke("outline", path), "not a readable")
        library_error(path, "not a readable")


def test_a_reader_panic_shows_the_user_one_line_only(tmp_path: Path) -> None:
    """The installed command: no traceback, and not the Rust panic message either."""
    path = _date_cell(tmp_path, b"-1e308")
    assert_process_error(run_process("check", path), "not a readable")


# --------------------------------------------------------------------------- zip-slip names


def test_zip_slip_member_names_go_nowhere(tmp_path: Path) -> None:
    folder = tmp_path / "mail" / "attachments"
    folder.mkdir(parents=True)
    path = rezip(
        plan(tmp_path, "valid.xlsx"),
        folder / "plan.xlsx",
        add={
            "../../evil.txt": b"evil",
            "/abs-planbook-evil.txt": b"evil",
            "xl/../../../evil2.txt": b"evil",
        },
    )
    tree_before = listing(tmp_path)
    with unchanged(path):
        for command in ("check", "outline", "export"):
            assert_clean_run(invoke(command, path), 0, 1, 2)
        assert_clean_run(invoke("format", path, "-o", folder / "out.xlsx"), 0, 1, 2)
        with contextlib.suppress(PlanbookError):
            read_workbook(path)
    assert set(listing(tmp_path)) - set(tree_before) <= {"mail/attachments/out.xlsx"}
    around = [Path.cwd(), Path.cwd().parent, tmp_path.parent, Path("/")]
    assert not [path for folder in around for path in folder.iterdir() if "evil" in path.name]


# --------------------------------------------------------------------------- macros


VBA_PROJECT = OLE2_SIGNATURE + b'Attribute VB_Name = "Module1"' * 16


def test_a_macro_workbook_is_read_and_formatted_its_macros_never_run(tmp_path: Path) -> None:
    """An .xlsm is read (its macros never run); written to an .xlsx its macros are left
    out, with a notice; written to an .xlsm, or in place, they are carried byte for byte."""
    path = rezip(
        plan(tmp_path, "valid.xlsx"),
        tmp_path / "plan.xlsm",
        add={"xl/vbaProject.bin": VBA_PROJECT},
    )
    with unchanged(path):
        checked = invoke("check", path)
        assert_clean_run(checked, 0)
        assert "Plan: 1 item (1 milestone)" in checked.stdout
        assert read_workbook(path).has_macros
        formatted = invoke("format", path, "-o", tmp_path / "out.xlsx")
        assert_clean_run(formatted, 0)
        assert "macros" in formatted.stderr and "left out of the .xlsx" in formatted.stderr
        kept = invoke("format", path, "-o", tmp_path / "out.xlsm")
        assert_clean_run(kept, 0)
        assert kept.stderr == ""
    with zipfile.ZipFile(tmp_path / "out.xlsx") as archive:
        assert not any("vba" in name.lower() for name in archive.namelist())
    assert member(tmp_path / "out.xlsm", "xl/vbaProject.bin") == VBA_PROJECT
    assert read_workbook(tmp_path / "out.xlsm").has_macros
    in_place = tmp_path / "in-place.xlsm"
    in_place.write_bytes(path.read_bytes())
    assert_clean_run(invoke("format", in_place, "--in-place"), 0)
    assert member(in_place, "xl/vbaProject.bin") == VBA_PROJECT
    backups = [p.name for p in tmp_path.iterdir() if p.name.startswith("in-place.backup-")]
    assert len(backups) == 1 and backups[0].endswith(".xlsm")


def test_an_xlsx_is_never_written_as_an_xlsm(tmp_path: Path) -> None:
    path = plan(tmp_path)
    with unchanged(path):
        assert_error_line(invoke("format", path, "-o", tmp_path / "out.xlsm"), ".xlsx")
    assert not (tmp_path / "out.xlsm").exists()


# --------------------------------------------------------------------------- no plan sheet


def _hidden_everywhere(xml: bytes) -> bytes:
    return xml.replace(b'state="visible"', b'state="hidden"')


def _chart_sheet_only(tmp_path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    workbook.create_chartsheet("Chart").add_chart(BarChart())
    workbook.save(tmp_path / "plan.xlsx")
    return tmp_path / "plan.xlsx"


def _picture_only(tmp_path: Path) -> Path:
    """A worksheet holding only a drawing (a chart of a hidden sheet), no cells."""
    workbook = openpyxl.Workbook()
    picture = workbook.active
    picture.title = "Picture"
    data = workbook.create_sheet("Data")
    for number in range(3):
        data.append([number])
    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=3))
    picture.add_chart(chart, "B2")
    data.sheet_state = "hidden"
    workbook.save(tmp_path / "plan.xlsx")
    return tmp_path / "plan.xlsx"


def _no_sheets(tmp_path: Path) -> Path:
    source = write_workbook(tmp_path / "valid.xlsx", {"Sheet": []})
    return rezip(
        source,
        tmp_path / "plan.xlsx",
        replace={WORKBOOK: lambda x: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", x)},
        drop=[SHEET],
    )


NO_PLAN_SHEET: dict[str, Callable[[Path], Path]] = {
    "notes-only": lambda t: write_workbook(t / "plan.xlsx", {"Notes": [["Some notes"], ["More"]]}),
    "only-hidden-notes": lambda t: damaged(
        write_workbook(t / "valid.xlsx", {"Notes": [["n"]], "More": [["m"]]}),
        t / "plan.xlsx",
        WORKBOOK,
        _hidden_everywhere,
    ),
    "chart-sheet-only": _chart_sheet_only,
    "picture-only": _picture_only,
    "one-empty-sheet": lambda t: write_workbook(t / "plan.xlsx", {"Sheet1": []}),
    "no-sheets-at-all": _no_sheets,
}


@pytest.mark.parametrize("case", list(NO_PLAN_SHEET))
def test_a_workbook_without_a_plan_sheet_is_pb100(tmp_path: Path, case: str) -> None:
    path = NO_PLAN_SHEET[case](tmp_path)
    with unchanged(path):
        outcome = invoke("check", path, "--format", "json")
        assert_clean_run(outcome, 1)
        # A workbook whose every sheet is hidden is also one no one can see (PB112).
        expected = ["PB100", "PB112"] if case == "only-hidden-notes" else ["PB100"]
        assert [f["code"] for f in json.loads(outcome.stdout)["findings"]] == expected
        assert_clean_run(invoke("check", path), 1)
        assert_clean_run(invoke("outline", path), 0)
        assert [f.code for f in check_workbook(path).findings] == expected


def test_hidden_plan_sheets_are_still_read(tmp_path: Path) -> None:
    source = plan_workbook(tmp_path / "valid.xlsx", {"Plan": plan_rows(), "Notes": [["Notes"]]})
    path = damaged(source, tmp_path / "plan.xlsx", WORKBOOK, _hidden_everywhere)
    assert member(path, WORKBOOK).count(b'state="hidden"') == 2
    with unchanged(path):
        outcome = invoke("check", path)
        assert_clean_run(outcome, 0)
        assert "Plan: 1 item (1 milestone)" in outcome.stdout
        assert "Plan: service plan for Test, hidden" in invoke("outline", path).stdout
        (sheet,) = read_workbook(path).plan_sheets
        assert sheet.state == "hidden"


# --------------------------------------------------------------------------- merged cells


def _merged(tmp_path: Path, *ranges: str, insert_row: int | None = None) -> Path:
    path = plan(tmp_path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Plan"]
    if insert_row is not None:
        sheet.insert_rows(insert_row)
    for cells in ranges:
        sheet.merge_cells(cells)
    workbook.save(path)
    return path


def _item_texts(path: Path) -> list[tuple[str, str]]:
    data = json.loads(invoke("outline", path, "--format", "json").stdout)
    return [
        (item["ref"], item["description"])
        for sheet in data["sheets"]
        for table in sheet["tables"]
        for item in table["items"]
    ]


def test_a_two_row_header_of_merged_cells_is_read(tmp_path: Path) -> None:
    """Each header label merged down over two rows (the label stays in the top cell),
    and the title merged across the table."""
    merges = [f"{column}4:{column}5" for column in "ABCDEFGHIJ"]
    path = _merged(tmp_path, "A3:J3", *merges, insert_row=5)
    with unchanged(path):
        outcome = invoke("check", path)
        assert_clean_run(outcome, 0)
        assert "Plan: 1 item (1 milestone)" in outcome.stdout
        assert _item_texts(path) == [("T1", "Replace the telephony")]


def test_ref_and_description_merged_keep_every_value(tmp_path: Path) -> None:
    """Merging Ref and Description leaves 'Ref' alone in the header: no table header is
    left, and every value is still kept and reported where it stands."""
    path = _merged(tmp_path, "A4:B4")
    with unchanged(path):
        outcome = invoke("check", path, "--format", "json")
        assert_clean_run(outcome, 0, 1)
        found = {(f["code"], f["cell"]) for f in json.loads(outcome.stdout)["findings"]}
        assert ("PB102", "A4") in found
        data = json.loads(invoke("outline", path, "--format", "json").stdout)
        kept = {cell["value"] for sheet in data["sheets"] for cell in sheet["unplaced"]}
        assert {"Ref", "T1", "Replace the telephony", "Live since September"} <= kept


# --------------------------------------------------------------------------- cell findings


@pytest.mark.parametrize("cached", [False, True], ids=["error-cells", "formulas-with-errors"])
def test_excel_error_values_are_pb108_and_nothing_else_there(tmp_path: Path, cached: bool) -> None:
    """#REF!, #DIV/0! and #N/A as Excel stores them (t="e" cells, with or without the
    formula that failed) under Due Dates, Councils Impacted and Delivery Status."""
    errors = {"D5": b"#REF!", "G5": b"#DIV/0!", "H5": b"#N/A"}
    path = plan(tmp_path, "valid.xlsx")
    for reference, error in errors.items():
        formula = b"<f>1/0</f>" if cached else b""
        cell = b'<c r="' + reference.encode() + b'" t="e">' + formula + b"<v>" + error + b"</v></c>"
        path = damaged(
            path, tmp_path / f"with-{reference}.xlsx", SHEET, cell_replaced(reference, cell)
        )
    with unchanged(path):
        outcome = invoke("check", path, "--format", "json")
        assert_clean_run(outcome, 1)
        findings = json.loads(outcome.stdout)["findings"]
        at_errors = sorted(
            (f["code"], f["cell"], f["value"]) for f in findings if f["cell"] in errors
        )
        assert at_errors == [
            ("PB108", "D5", "#REF!"),
            ("PB108", "G5", "#DIV/0!"),
            ("PB108", "H5", "#N/A"),
        ]
        library = [(f.code, f.cell) for f in check_workbook(path).findings if f.cell in errors]
        assert sorted(library) == [("PB108", "D5"), ("PB108", "G5"), ("PB108", "H5")]


def _cell_xml(path: Path, reference: str) -> bytes:
    """The ``<c>`` element of ``reference`` in the plan sheet's XML, as written."""
    found = re.search(rb'<c r="' + reference.encode() + rb'"[^>]*>.*?</c>', member(path, SHEET))
    assert found is not None, reference
    return found.group()


def test_an_uncalculated_formula_is_pb109_and_stays_a_formula(tmp_path: Path) -> None:
    """openpyxl writes formulas without a calculated value, as any tool that does not
    calculate does. format carries the lead's cell as it stands: still the formula, still
    uncalculated (no value until a spreadsheet calculates it), still PB109 in a check of
    the output."""
    path = plan(tmp_path)
    workbook = openpyxl.load_workbook(path)
    workbook["Plan"]["H5"] = "=1+1"
    workbook.save(path)
    assert b"<f>1+1</f>" in member(path, SHEET)
    with unchanged(path):
        outcome = invoke("check", path, "--format", "json")
        assert_clean_run(outcome, 0)
        findings = json.loads(outcome.stdout)["findings"]
        assert [(f["code"], f["cell"], f["value"]) for f in findings] == [("PB109", "H5", "=1+1")]
        assert_clean_run(invoke("check", path, "--strict"), 1)
        formatted = invoke("format", path, "-o", tmp_path / "out.xlsx")
        assert_clean_run(formatted, 0)
    output = tmp_path / "out.xlsx"
    assert _cell_xml(output, "H5") == _cell_xml(path, "H5")  # carried byte for byte
    rewritten = openpyxl.load_workbook(output)["Plan"]
    assert (rewritten["H5"].value, rewritten["H5"].data_type) == ("=1+1", "f")
    reread = read_workbook(output)
    assert [c.coordinate for c in reread.plan_sheets[0].uncalculated] == ["H5"]
    again = invoke("check", output, "--format", "json")
    assert_clean_run(again, 0)
    assert [(f["code"], f["cell"]) for f in json.loads(again.stdout)["findings"]] == [
        ("PB109", "H5")
    ]


def _long_cell(tmp_path: Path, length: int) -> Path:
    """Progress (J5) of ``length`` characters: openpyxl cuts at 32,767, so the longer
    text is written into the sheet XML by hand."""
    rows = plan_rows("Test", [*MILESTONE[:9], "y" * 32_767])
    source = write_workbook(tmp_path / "valid.xlsx", {"Plan": rows})
    return damaged(
        source, tmp_path / "plan.xlsx", SHEET, lambda x: x.replace(b"y" * 32_767, b"y" * length)
    )


def test_a_cell_of_32767_characters_is_fine(tmp_path: Path) -> None:
    path = _long_cell(tmp_path, 32_767)
    outcome = invoke("check", path, "--format", "json")
    assert_clean_run(outcome, 0)
    assert json.loads(outcome.stdout)["findings"] == []


def test_a_cell_over_32767_characters_is_pb110_and_carried_whole_by_format(
    tmp_path: Path,
) -> None:
    """format carries the lead's cell as it stands, all 40,000 characters (nothing is cut,
    nothing logged), and the output's check still says PB110 there. No cell planbook
    writes itself (its Findings, Change Log, Legend) is over Excel's limit."""
    path = _long_cell(tmp_path, 40_000)
    with unchanged(path):
        outcome = invoke("check", path, "--format", "json")
        assert_clean_run(outcome, 1)
        findings = json.loads(outcome.stdout)["findings"]
        assert [(f["code"], f["cell"]) for f in findings] == [("PB110", "J5")]
        assert "40,000" in findings[0]["message"]
        assert_clean_run(invoke("format", path, "-o", tmp_path / "out.xlsx"), 0)
    output = openpyxl.load_workbook(tmp_path / "out.xlsx")
    lengths = [
        len(cell.value)
        for row in output["Plan"].iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("yyy")
    ]
    assert lengths == [40_000]
    log = list(output["Change Log"].iter_rows(values_only=True))
    assert log == [("sheet", "cell", "field", "old", "new", "why", "as of")]
    too_long = [
        (sheet, cell.coordinate, len(cell.value))
        for sheet in ("Findings", "Legend", "Change Log")
        for row in output[sheet].iter_rows()
        for cell in row
        if isinstance(cell.value, str) and len(cell.value) > 32_767
    ]
    assert too_long == []
    again = invoke("check", tmp_path / "out.xlsx", "--format", "json")
    assert_clean_run(again, 1)
    assert [(f["sheet"], f["code"], f["cell"]) for f in json.loads(again.stdout)["findings"]] == [
        ("Plan", "PB110", "J5")
    ]


def test_a_cell_over_32767_characters_is_cut_by_consolidate_and_logged(tmp_path: Path) -> None:
    """consolidate writes a new workbook, whose cells hold at most Excel's limit: the text
    is cut there, and the cut is in its Change Log."""
    path = _long_cell(tmp_path, 40_000)
    with unchanged(path):
        outcome = invoke(
            "consolidate", path, "-o", tmp_path / "board.xlsx", "--as-of", "2022-03-17"
        )
        assert_clean_run(outcome, 0)
    output = openpyxl.load_workbook(tmp_path / "board.xlsx")
    lengths = [
        len(cell.value)
        for row in output["Plan"].iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("yyy")
    ]
    assert lengths == [32_767]
    log = [
        " ".join(str(v) for v in row) for row in output["Change Log"].iter_rows(values_only=True)
    ]
    (cut,) = [line for line in log if "J5" in line]
    assert "32,767" in cut


# --------------------------------------------------------------------------- control characters


def test_control_characters_in_cells_and_sheet_names_are_never_shown_raw(tmp_path: Path) -> None:
    import xlsxwriter  # writes control characters as Excel does (_x001B_)

    path = tmp_path / "plan.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    row = [
        "T1",
        "Replace \u202e the telephony",
        "\x1b[31mGo live\x1b[0m",
        "30/09/22",
        "Bell\x07",
        "Service",
        "All",
        "\x1b[2JFinished",
        "",
        "Live\x1b]0;owned\x07",
    ]
    for name in ("\u202eEvil", "Plan"):
        sheet = workbook.add_worksheet(name)
        for r, values in enumerate(plan_rows("Te\x1bst", row)):
            for c, value in enumerate(values):
                if value:
                    sheet.write_string(r, c, str(value))
    workbook.close()
    with unchanged(path):
        for args in (("check",), ("outline",), ("check", "--format", "junit")):
            outcome = invoke(args[0], path, *args[1:])
            assert_clean_run(outcome, 0, 1)
            assert not UNSAFE.search(outcome.stdout + outcome.stderr), args
        text = invoke("check", path).stdout
        assert "\\x202eEvil" in text and "\\x1b[2JFinished" in text
        assert "\\x202eEvil" in invoke("outline", path).stdout


def test_an_error_message_never_shows_control_characters_raw(tmp_path: Path) -> None:
    """A sheet named with a bidi override whose cell is beyond Excel's limits; a bad
    boolean cell holding an escape sequence (the reader's error quotes the value)."""
    bidi = damaged(
        BEYOND_LIMITS["value-in-column-XFE"](tmp_path),
        tmp_path / "bidi.xlsx",
        WORKBOOK,
        lambda x: x.replace(b'name="Plan"', 'name="\u202eFinance"'.encode()),
    )
    line = assert_error_line(invoke("check", bidi), "beyond")
    assert "\\x202eFinance" in line
    boolean = damaged(
        plan(tmp_path, "valid.xlsx"),
        tmp_path / "boolean.xlsx",
        SHEET,
        cell_replaced("H5", b'<c r="H5" t="b"><v>\x1b[31m7</v></c>'),
    )
    assert_clean_run(invoke("check", boolean), 0, 1, 2)
    assert not UNSAFE.search(invoke("check", boolean).stderr)


def test_a_sheet_name_with_an_escape_character_is_refused_cleanly(tmp_path: Path) -> None:
    """XML 1.0 cannot hold ESC or BEL: such a workbook part is not well-formed."""
    path = workbook_changed(
        tmp_path, lambda x: x.replace(b'name="Plan"', b'name="\x1b[31mPlan\x07"')
    )
    with unchanged(path):
        assert_error_line(invoke("check", path))
        assert_error_line(invoke("outline", path))
        library_error(path)


@pytest.mark.parametrize("character", ["\t", "\n"], ids=["tab", "newline"])
def test_a_sheet_name_with_a_tab_or_newline_keeps_its_data(tmp_path: Path, character: str) -> None:
    """A raw tab or line break in the sheet's name attribute: the workbook's XML parser
    reads it as a space (XML attribute normalisation), the value reader keeps it. The
    sheet must still be read as the plan it is, not as an empty sheet."""
    name = f'name="Pl{character}an"'.encode()
    path = workbook_changed(tmp_path, lambda x: x.replace(b'name="Plan"', name))
    with unchanged(path):
        outcome = invoke("check", path)
        assert_clean_run(outcome, 0)
        assert "1 item (1 milestone)" in outcome.stdout
        assert len(read_workbook(path).plan_sheets) == 1


UNICODE_NAMES = ("Bob's plan", "תוכנית עבודה", "📋 Plan")


def test_unicode_sheet_names_work_end_to_end(tmp_path: Path) -> None:
    rows = plan_rows("Test", [*MILESTONE[:7], "Finished", *MILESTONE[8:]])
    rows.append(
        ["T2", "שיפור השירות", "Go live 🚀", "30/09/22", "Dana", "Service", "All", "Complete"]
    )
    path = write_workbook(tmp_path / "plan.xlsx", dict.fromkeys(UNICODE_NAMES, rows))
    with unchanged(path):
        text = invoke("check", path)
        assert_clean_run(text, 1)
        for name in UNICODE_NAMES:
            assert f"{name}: 2 items (2 milestones)" in text.stdout
        github = invoke("check", path, "--format", "github").stdout
        assert "'Bob''s plan'!H5" in github
        assert "'📋 Plan'!H5" in github
        outline = invoke("outline", path).stdout
        for name in UNICODE_NAMES:
            assert f"{name}: service plan for Test" in outline
        assert_clean_run(invoke("format", path, "-o", tmp_path / "out.xlsx"), 0)
    output = read_workbook(tmp_path / "out.xlsx")
    assert [sheet.name for sheet in output.plan_sheets] == list(UNICODE_NAMES)
    descriptions = {
        item.description.text
        for sheet in output.plan_sheets
        for table in sheet.tables
        for item in table.items
        if item.description is not None
    }
    assert "שיפור השירות" in descriptions


# --------------------------------------------------------------------------- nothing written


FAILING_INPUTS: dict[str, Callable[[Path], Path]] = {
    "not-a-zip": UNREADABLE["not-a-zip"][0],
    "legacy-xls": UNREADABLE["legacy-xls"][0],
    "zip-member-encrypted": UNREADABLE["zip-member-encrypted"][0],
    "workbook-xml-cut-short": UNREADABLE["workbook-xml-cut-short"][0],
    "external-entity-in-the-workbook": ENTITIES["external-entity-in-the-workbook"],
    "sheet-of-40-mib-of-spaces": BOMBS["sheet-of-40-mib-of-spaces"][0],
    "value-in-column-XFE": BEYOND_LIMITS["value-in-column-XFE"],
}


@pytest.mark.parametrize("case", list(FAILING_INPUTS))
def test_format_and_consolidate_write_nothing_when_an_input_fails(
    tmp_path: Path, case: str
) -> None:
    bad = FAILING_INPUTS[case](tmp_path)
    good = plan_workbook(tmp_path / "good.xlsx", {"Good": plan_rows("Good")})
    (tmp_path / "valid.xlsx").unlink(missing_ok=True)
    before = listing(tmp_path)
    with unchanged(bad, good):
        assert_error_line(invoke("format", bad, "-o", tmp_path / "out.xlsx"), str(bad))
        assert_error_line(invoke("format", bad, "--in-place"), str(bad))
        board = tmp_path / "board.xlsx"
        assert_error_line(invoke("consolidate", good, bad, "-o", board), str(bad))
        assert_error_line(invoke("consolidate", bad, good, "-o", board), str(bad))
    assert listing(tmp_path) == before, "a failed run left a file behind"
