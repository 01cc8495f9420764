"""Scanning a big workbook's sheets in a child process, ahead of the read.

``check`` imports pandas and pandera (half a second) before it reads; meanwhile a forked
child makes the streaming scan of each sheet (``archive.scan_sheet``: a second of Python
at 100,000 rows) on the machine's other core and hands each scan over through a pipe
as it is made, so that the reader lays the sheets out as their scans come in
(``ScanAhead.arriving``). The scans are used only where the ordinary read would use
them the same way: otherwise (the child stopped short, the file was replaced, a package
not laid out as Excel lays it out, a sheet beyond Excel's limits) the reader gives up
what it had and reads the workbook again the ordinary way (``StartOverError``); an
error of the read stands only once every scan is in and usable. So the plan and the
error are always those of ``read_workbook``.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import stat
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from planbook.archive import Archive, SheetScan, each_scan, open_archive

#: A workbook at least this big on disk is scanned ahead: at 10,000 rows (1 MiB) the scan
#: is a tenth of a second; on a small plan a fork would cost more than it saves.
SCAN_AHEAD_BYTES = 1 << 20


class StartOverError(Exception):
    """What the child handed over cannot be used as it is: the workbook is to be read
    again, scanned by the reader itself."""


class ScanAhead:
    """A child scanning ``path``'s sheets, forked if it is worth it and safe: a big
    regular file, on Linux, from a process with no other thread (a fork copies the
    forking thread alone: a lock another thread held would stay held in the child for
    ever) that leaves its children to be waited for (one that reaps them itself could
    take ours, whose number might then be another process's by the time it is ended).
    ``close`` ends the child and waits for it, read or not."""

    def __init__(self, path: Path) -> None:
        self._child: int | None = None
        self._pipe: BinaryIO | None = None
        if _worth_forking(path):
            self._fork(path)

    @property
    def forked(self) -> bool:
        """Whether a child is scanning now: False again once it is closed."""
        return self._child is not None

    def arriving(self, zipped: zipfile.ZipFile, vetted: Archive) -> ArrivingScans:
        """The sheets' scans, each as the child hands it over, if the child is scanning
        the very file ``zipped`` was opened from and the package is one calamine reads
        as it stands; else ``StartOverError``."""
        if self._pipe is None or vetted.irregular:
            raise StartOverError
        if self.handed() != _identity(zipped):
            raise StartOverError
        return ArrivingScans(self.handed, set(vetted.scanned))

    def close(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
        child, self._child = self._child, None
        if child is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, 0)

    def handed(self) -> object:
        """The next thing the child handed over; ``StartOverError`` if it ended first."""
        if self._pipe is None:
            raise StartOverError
        try:
            return pickle.load(self._pipe)  # from our own child, through our own pipe
        except (EOFError, pickle.UnpicklingError, OSError) as error:
            raise StartOverError from error

    def _fork(self, path: Path) -> None:
        reading, writing = os.pipe()
        # Ctrl-C held back across the fork: landing in the child before its ``try``, it
        # would run the caller's code there; in the parent before the child is noted, it
        # would leave the child unwaited for.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
        try:
            child = os.fork()
        except OSError:  # no process to be had: the reader scans the sheets itself
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            os.close(reading)
            os.close(writing)
            return
        if child == 0:  # the child: scan, hand each scan over, and end, whatever happens
            try:
                for number in _HELD:
                    signal.signal(number, signal.SIG_DFL)  # an interrupt ends it, at once
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
                os.close(reading)
                _let_go_of_the_terminal()
                _scan_for_parent(path, writing)
            finally:
                os._exit(0)  # never the parent's exit handlers, nor its buffered output
        self._child, self._pipe = child, os.fdopen(reading, "rb")
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.close(writing)


class ArrivingScans(Mapping[int, SheetScan]):
    """The scans by sheet index, each waited for as it is asked for (``handed`` gives
    the next thing the child handed over). A scan the reader cannot use as it stands (a
    part calamine reads only from a copy, a cell beyond Excel's limits) is
    ``StartOverError``: the ordinary read says what to do about it."""

    def __init__(self, handed: Callable[[], object], expected: set[int]) -> None:
        self._handed, self._expected = handed, expected
        self._arrived: dict[int, SheetScan] = {}

    def __getitem__(self, index: int) -> SheetScan:
        if index not in self._expected:
            raise KeyError(index)
        while index not in self._arrived:
            handed = self._handed()
            if not (isinstance(handed, tuple) and len(handed) == 2):
                raise StartOverError
            self._arrived[handed[0]] = handed[1]
        scan = self._arrived[index]
        if scan.irregular or scan.beyond_limits:
            raise StartOverError
        return scan

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._expected))

    def __len__(self) -> int:
        return len(self._expected)

    def check_all(self) -> None:
        """Every scan in and usable, those of sheets the reader lays out no grid for too:
        any of them would have made the ordinary read take another way."""
        for index in self:
            self[index]


def _worth_forking(path: Path) -> bool:
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    if signal.getsignal(signal.SIGCHLD) is not signal.SIG_DFL:
        return False
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii", errors="replace")
        size = path.stat()
    except OSError:
        return False
    # Threads of no Python's (a BLAS pool, a Rust runtime) count too: /proc sees them all.
    single = "\nThreads:\t1\n" in status
    return single and stat.S_ISREG(size.st_mode) and size.st_size >= SCAN_AHEAD_BYTES


#: The signals that end a command from outside, held back across the fork.
_HELD = frozenset({signal.SIGINT, signal.SIGTERM})


def _let_go_of_the_terminal() -> None:
    """The child's standard streams on the null device: a child left scanning when the
    command is killed must not hold the caller's pipes open (a shell, a CI runner waits
    for their end)."""
    null = os.open(os.devnull, os.O_RDWR)
    for standard in (0, 1, 2):
        os.dup2(null, standard)
    os.close(null)


def _scan_for_parent(path: Path, pipe: int) -> None:
    """The child's work: the file's identity, then (index, scan) of each worksheet."""
    zipped, vetted = open_archive(path)
    with zipped, os.fdopen(pipe, "wb") as stream:
        for handed in _scans_in_turn(zipped, vetted):
            pickle.dump(handed, stream, protocol=pickle.HIGHEST_PROTOCOL)
            stream.flush()  # each as it is made: the reader lays its sheet out meanwhile


def _scans_in_turn(zipped: zipfile.ZipFile, vetted: Archive) -> Iterator[object]:
    yield _identity(zipped)
    yield from each_scan(zipped, vetted)


def _identity(zipped: zipfile.ZipFile) -> tuple[int, ...]:
    """The opened file's device, inode, size and times: the same file, unchanged."""
    assert zipped.fp is not None  # opened from a path
    found = os.fstat(zipped.fp.fileno())
    return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)
