"""The leads' notes on their cells: Excel's Notes, stored as legacy comments.

A sheet's notes are in the part its relationships name with a type ending ``/comments``
(``xl/comments1.xml``), the target resolved against the sheet's own folder. A threaded
comment (Excel 365's Comments) leaves such a note too, for older readers: the thread as
text, by an author ``tc={id}``, whose name this module looks up in the workbook's list
of people.

Read in the reader stage, from the archive the reader already has open: a sheet with no
relationships costs a set lookup, one whose relationships name no comments part the read
of that small file; only a comments part found is parsed. Every part is parsed with
defusedxml (no DTD entities, no external entities), streaming, so a big part never sits
in memory as a tree. A part that cannot be parsed makes the workbook unreadable, as any
other broken part does: ``ValueError`` (which the reader reports on one line).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from planbook.archive import MAIN_NAMESPACES, normalise_part_name
from planbook.model import Comment

_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_THREADED_NS = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
_COMMENTS, _THREADED, _PERSON = "/comments", "/threadedComment", "/person"
_CELL = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})")
#: Excel's escape of a character XML cannot hold (``_x000D_``), ``_x005F_`` being ``_``.
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_MAX_ROWS, _MAX_COLUMNS = 1_048_576, 16_384
#: The author Excel gives the note it leaves under a threaded comment.
_THREAD_AUTHOR = "tc="


class CommentReader:
    """The notes of each sheet of one open archive (see the module docstring)."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive
        self._names = set(archive.namelist())
        self._people: dict[str, str] | None = None

    def sheet_comments(self, sheet_part: str) -> tuple[Comment, ...]:
        """The notes on the cells of the worksheet ``sheet_part``, in row and column order;
        one note a cell (the first, should two parts name the same one)."""
        relations = self._relations(sheet_part, needle=b"/comments")
        found: dict[tuple[int, int], Comment] = {}
        for part in _of_type(relations, _COMMENTS):
            for comment in self._comments(part):
                found.setdefault((comment.row, comment.column), comment)
        if any(comment.author.startswith(_THREAD_AUTHOR) for comment in found.values()):
            found = self._thread_authors(found, _of_type(relations, _THREADED))
        return tuple(found[position] for position in sorted(found))

    # --- parts ------------------------------------------------------------------------

    def _relations(self, part: str, needle: bytes | None = None) -> list[tuple[str, str]]:
        """(type, member name) of each internal relationship of ``part`` to a member the
        archive holds; none, unparsed, when the relationships do not hold ``needle``."""
        path = PurePosixPath(part)
        rels = str(path.parent / "_rels" / f"{path.name}.rels")
        if rels not in self._names:
            return []
        data = self._archive.read(rels)
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]
        if needle is not None and not utf16 and needle not in data:
            return []  # the usual case: no need to parse
        found = []
        for element in self._elements(rels, data, f"{{{_PKG_REL_NS}}}Relationship"):
            target = element.get("Target", "")
            if element.get("TargetMode", "Internal") != "Internal" or not target:
                continue
            if target.startswith("/"):
                member = normalise_part_name(target)
            else:
                member = normalise_part_name(f"{path.parent}/{target}")
            if member in self._names:
                found.append((element.get("Type", ""), member))
        return found

    def _comments(self, part: str) -> Iterator[Comment]:
        authors: list[str] = []
        # Transitional or Strict: the same names under either namespace.
        author_tags = {f"{{{namespace}}}author" for namespace in MAIN_NAMESPACES}
        comment_tags = {f"{{{namespace}}}comment" for namespace in MAIN_NAMESPACES}
        for element in self._elements(part, None, *author_tags, *comment_tags):
            if element.tag in author_tags:
                authors.append(element.text or "")
                continue
            position = _position(element.get("ref", ""))
            if position is None:
                continue  # no cell Excel could hold: nowhere to put it
            author_id = element.get("authorId", "")
            index = int(author_id) if author_id.isdigit() else -1
            author = authors[index] if 0 <= index < len(authors) else ""
            namespace = element.tag[: element.tag.find("}") + 1]
            yield Comment(*position, author, _text(element.find(f"{namespace}text"), namespace))

    def _thread_authors(
        self, found: dict[tuple[int, int], Comment], threads: list[str]
    ) -> dict[tuple[int, int], Comment]:
        """A threaded comment's note is by ``tc={id}``: the name of who began the thread."""
        tag = f"{{{_THREADED_NS}}}threadedComment"
        started_by: dict[tuple[int, int], str] = {}
        for part in threads:
            for element in self._elements(part, None, tag):
                position = _position(element.get("ref", ""))
                if position is not None and element.get("parentId") is None:
                    started_by.setdefault(position, element.get("personId", ""))
        if not started_by:
            return found
        people = self._people_of_workbook()
        named = dict(found)
        for position, comment in found.items():
            name = people.get(started_by.get(position, ""), "")
            if comment.author.startswith(_THREAD_AUTHOR) and name:
                named[position] = comment._replace(author=name)
        return named

    def _people_of_workbook(self) -> dict[str, str]:
        """Person id -> display name, from the workbook's person part (read once)."""
        if self._people is None:
            self._people = {}
            workbook = next(
                (m for kind, m in self._relations("") if kind.endswith("/officeDocument")), None
            )
            tag = f"{{{_THREADED_NS}}}person"
            for part in _of_type(self._relations(workbook) if workbook else [], _PERSON):
                for element in self._elements(part, None, tag):
                    self._people.setdefault(element.get("id", ""), element.get("displayName", ""))
        return self._people

    def _elements(self, part: str, data: bytes | None, *tags: str) -> Iterator[Any]:
        """Each element of ``part`` with one of ``tags``, whole, as its end is parsed;
        cleared once looked at, so a big part is never held as a tree."""
        from xml.etree.ElementTree import ParseError

        from defusedxml.ElementTree import iterparse

        wanted = set(tags)
        try:
            with self._archive.open(part) if data is None else io.BytesIO(data) as stream:
                for _, element in iterparse(stream, events=("end",)):
                    if element.tag in wanted:
                        yield element
                        element.clear()
        except ParseError as error:
            raise ValueError(f"{part}: {error}") from error


def _of_type(relations: list[tuple[str, str]], suffix: str) -> list[str]:
    return [member for kind, member in relations if kind.endswith(suffix)]


def _position(reference: str) -> tuple[int, int] | None:
    """``B7`` (or the first cell of ``B7:C8``) -> (7, 2); None past Excel's sheet."""
    match = _CELL.fullmatch(reference.split(":", 1)[0].strip())
    if match is None:
        return None
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - 64
    row = int(match.group(2))
    if not (1 <= row <= _MAX_ROWS and 1 <= column <= _MAX_COLUMNS):
        return None
    return row, column


def _text(element: Any, namespace: str) -> str:
    """A note's text: its runs' text in order (phonetic guides left out); ``namespace``
    is the comment's own, in braces."""
    if element is None:
        return ""
    t_tag, r_tag = f"{namespace}t", f"{namespace}r"
    pieces = []
    for child in element:
        if child.tag == t_tag:
            pieces.append(child.text or "")
        elif child.tag == r_tag:
            pieces.extend(t.text or "" for t in child.iter(t_tag))
    text = "".join(pieces)
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text) if "_x" in text else text
