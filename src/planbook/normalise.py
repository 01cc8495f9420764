"""What a Delivery Status, RAG or Councils Impacted cell means.

Pure functions over plain values; the words come from ``schemas/`` (``planbook.schemas``).

Delivery Status (``normalise_status``), after trimming white space:
  * a canonical value as written -> ``canonical``; in another case or spacing
    (``COMPLETE``, ``not  started``) -> ``case``: no finding, written back canonical;
  * an alias in any case (``WIP``, ``In Progress``, ``Closed.``) -> ``alias``: a warning,
    written back as its value. Punctuation counts: ``Closed.`` is accepted only because
    it is an alias of its own;
  * empty -> ``empty``; anything else -> ``unknown`` with ``nearest``, the value whose
    spelling (value or alias) is closest (difflib ratio), always given.

RAG (``normalise_rag``): text first, in any case: ``R``/``A``/``G`` -> ``canonical``
(``r`` -> ``case``), ``Red``/``Amber``/``Green`` -> ``alias``, ``n/a`` -> ``not_applicable``
(canonical ``n/a``), other text -> ``unknown`` (``nearest`` only when at least half alike,
since every one-letter word is "near" a letter). With no text, a solid fill within
``fill_tolerance`` (RGB distance) of a listed colour counts as the nearest colour's letter
(``fill``); any other fill, a theme colour or no fill -> ``empty`` (not yet assessed).
Text wins over fill.

Councils Impacted (``parse_councils``): the cell is cut into pieces at commas, semicolons
and line breaks, and each piece into parts at the word "and" and at ``&``; from the left,
the longest run of parts that makes a known name (council code, name, alias or group, any
case) is taken, so ``S&V``, ``H&EH`` and ``South and Vale`` stay whole. For each piece:
  1. every run is a known name -> those councils;
  2. ``<names> - <text>`` (or ``<names>: <text>``, ``<names> (<text>)``) -> those councils
     plus ``<text>`` as a scope note (``All Councils - combination of ...``);
  3. no run is a known name and the piece has ``scope_phrase_min_words`` (3) or more words
     ("and" and "&" not counted) -> the piece, verbatim, is a scope note;
  4. otherwise run by run: a name -> its councils; an unknown run of 3+ words -> a scope
     note; a shorter one -> unknown, with the nearest name or group (``HEH`` -> ``H&EH``).
Codes come back de-duplicated, in registry order.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from planbook.schemas import (
    CouncilRegistry,
    RagVocabulary,
    StatusVocabulary,
    council_key,
    match_key,
)

StatusKind = Literal["canonical", "case", "alias", "unknown", "empty"]
RagKind = Literal["canonical", "case", "alias", "fill", "not_applicable", "empty", "unknown"]

# Why 0.5: below it difflib is matching one shared letter, which helps nobody.
RAG_NEAREST_CUTOFF = 0.5


@dataclass(frozen=True)
class StatusReading:
    canonical: str | None
    kind: StatusKind
    nearest: str | None
    text: str


@dataclass(frozen=True)
class RagReading:
    canonical: str | None
    kind: RagKind
    nearest: str | None
    text: str
    fill: str | None = None


@dataclass(frozen=True)
class CouncilReading:
    codes: tuple[str, ...]
    scope_notes: tuple[str, ...]
    unknown: tuple[tuple[str, str | None], ...]
    text: str

    @property
    def is_empty(self) -> bool:
        return not (self.codes or self.scope_notes or self.unknown)


# --- Delivery Status ------------------------------------------------------------------------


def normalise_status(text: str | None, vocab: StatusVocabulary) -> StatusReading:
    """What a Delivery Status cell says, and how sure planbook is of it."""
    return _status(_as_text(text).strip(), vocab)


@lru_cache(maxsize=4096)
def _status(text: str, vocab: StatusVocabulary) -> StatusReading:
    if not text:
        return StatusReading(None, "empty", None, text)
    if text in vocab.values:
        return StatusReading(text, "canonical", None, text)
    key = match_key(text)
    if value := vocab.value_for(key):
        return StatusReading(value, "case", None, text)
    if value := vocab.alias_for(key):
        return StatusReading(value, "alias", None, text)
    return StatusReading(None, "unknown", _nearest(key, vocab.spellings(), 0.0), text)


def is_status(text: str | None, vocab: StatusVocabulary) -> bool:
    """A canonical value (any case) or an alias: cheap, for scanning many cells."""
    key = match_key(_as_text(text), vocab.most_words)
    return bool(key) and bool(vocab.value_for(key) or vocab.alias_for(key))


# --- RAG ------------------------------------------------------------------------------------


def is_rag(text: str | None, vocab: RagVocabulary) -> bool:
    """A RAG letter, word or n/a in any case: cheap, for scanning many cells."""
    key = match_key(_as_text(text), vocab.most_words)
    return bool(key) and bool(
        vocab.value_for(key) or vocab.alias_for(key) or vocab.is_not_applicable(key)
    )


def normalise_rag(text: str | None, fill_rgb: str | None, vocab: RagVocabulary) -> RagReading:
    """What a RAG cell says, by its text, else by its fill colour."""
    shown = _as_text(text).strip()
    if shown:
        return _rag_text(shown, vocab)
    letter = rag_letter_for_fill(fill_rgb, vocab)
    if letter is not None:
        return RagReading(letter, "fill", None, shown, _rgb_hex(fill_rgb))
    return RagReading(None, "empty", None, shown, _rgb_hex(fill_rgb))


@lru_cache(maxsize=1024)
def _rag_text(text: str, vocab: RagVocabulary) -> RagReading:
    if text in vocab.values:
        return RagReading(text, "canonical", None, text)
    key = match_key(text)
    if value := vocab.value_for(key):
        return RagReading(value, "case", None, text)
    if vocab.is_not_applicable(key):
        return RagReading(vocab.not_applicable_value, "not_applicable", None, text)
    if value := vocab.alias_for(key):
        return RagReading(value, "alias", None, text)
    nearest = _nearest(key, vocab.spellings(), RAG_NEAREST_CUTOFF)
    return RagReading(None, "unknown", nearest, text)


def rag_letter_for_fill(fill_rgb: str | None, vocab: RagVocabulary) -> str | None:
    """The letter whose listed colour is nearest the fill, if within the tolerance."""
    rgb = _rgb(fill_rgb)
    if rgb is None:
        return None
    table = _fill_table(vocab)
    ranked = ((math.dist(rgb, colour), order) for order, (_, colour) in enumerate(table))
    distance, order = min(ranked, default=(math.inf, -1))
    return table[order][0] if distance <= vocab.fill_tolerance else None


@lru_cache(maxsize=16)
def _fill_table(vocab: RagVocabulary) -> tuple[tuple[str, tuple[int, int, int]], ...]:
    """(letter, colour) pairs in file order, so the first listed wins a tie."""
    return tuple(
        (letter, rgb)
        for letter, colours in vocab.fills
        for colour in colours
        if (rgb := _rgb(colour)) is not None
    )


def _rgb_hex(fill_rgb: str | None) -> str | None:
    rgb = _rgb(fill_rgb)
    return None if rgb is None else "{:02X}{:02X}{:02X}".format(*rgb)


def _rgb(fill_rgb: str | None) -> tuple[int, int, int] | None:
    """``FF0000``, ``#ff0000`` or ARGB ``FFFF0000`` as numbers; anything else None."""
    if not isinstance(fill_rgb, str):
        return None
    text = fill_rgb.strip().lstrip("#")
    if len(text) == 8:
        text = text[2:]  # Why: the alpha byte of Excel's ARGB says nothing about the hue.
    if len(text) != 6 or not all(c in "0123456789abcdefABCDEF" for c in text):
        return None
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


# --- Councils -------------------------------------------------------------------------------

_HARD_SPLIT = re.compile(r"[,;\r\n]+")
_SOFT_SPLIT = re.compile(r"(\band\b|&)", re.IGNORECASE)
# Why: "All Councils - combination of ..." names councils, then says something about them.
_NOTE_AFTER = re.compile(r"\s+[-–—]+\s*|\s*[-–—]+\s+|\s*:\s*|\s*\(\s*")

Run = tuple[str, tuple[str, ...] | None]


def parse_councils(
    text: str | None, registry: CouncilRegistry, *, nearest: bool = True
) -> CouncilReading:
    """The councils, scope notes and unknown names in a Councils Impacted cell.

    ``nearest=False`` skips looking up the nearest name for unknown ones (each unknown
    comes with None): for callers that only ask whether a cell names councils.
    """
    return _councils(_as_text(text), registry, nearest)


@lru_cache(maxsize=8192)
def _councils(text: str, registry: CouncilRegistry, nearest: bool) -> CouncilReading:
    found: set[str] = set()
    notes: list[str] = []
    unknown: list[tuple[str, str | None]] = []
    for piece in _HARD_SPLIT.split(text):
        _read_piece(piece.strip(), registry, found, notes, unknown, nearest)
    codes = tuple(code for code in registry.codes if code in found)
    return CouncilReading(codes, tuple(notes), tuple(unknown), text)


def _read_piece(
    piece: str,
    registry: CouncilRegistry,
    found: set[str],
    notes: list[str],
    unknown: list[tuple[str, str | None]],
    nearest: bool,
) -> None:
    if not piece:
        return
    runs = _runs(piece, registry)
    if (codes := _all_known(runs)) is not None:
        found.update(codes)
        return
    if (split := _NOTE_AFTER.search(piece)) and split.start() > 0:
        head_codes = _all_known(_runs(piece[: split.start()], registry))
        note = piece[split.end() :].strip().removesuffix(")").strip()
        if head_codes is not None and note:
            found.update(head_codes)
            notes.append(note)
            return
    long_enough = registry.scope_phrase_min_words
    if all(codes is None for _, codes in runs) and _word_count(piece) >= long_enough:
        notes.append(piece)  # Why: "and" inside a phrase naming no council is no list.
        return
    for name, named in runs:
        if named is not None:
            found.update(named)
        elif _word_count(name) >= long_enough:
            notes.append(name)
        else:
            near = _nearest(council_key(name), registry.spellings(), 0.0) if nearest else None
            unknown.append((name, near))


def _runs(piece: str, registry: CouncilRegistry) -> list[Run]:
    """The piece cut at "and" and "&" into known names and unknown parts, left to right.

    Why not a plain split: ``S&V`` and ``South and Vale`` are names that hold the
    separators, so at each part the longest run of parts that makes a known name wins.
    """
    bits = _SOFT_SPLIT.split(piece)
    parts, joins = bits[0::2], bits[1::2]
    runs: list[Run] = []
    longest = _longest_name_in_parts(registry)
    start = 0
    while start < len(parts):
        for end in range(min(len(parts), start + longest) - 1, start - 1, -1):
            name = "".join(p + j for p, j in zip(parts[start:end], joins[start:end], strict=True))
            name = (name + parts[end]).strip()
            if name and (codes := registry.lookup(name)) is not None:
                runs.append((name, codes))
                start = end + 1
                break
        else:
            if part := parts[start].strip():
                runs.append((part, None))
            start += 1
    return runs


@lru_cache(maxsize=16)
def _longest_name_in_parts(registry: CouncilRegistry) -> int:
    """How many parts the longest known name spans (``South and Vale``: 2)."""
    spellings = registry.spellings().values()
    return 1 + max((len(_SOFT_SPLIT.findall(s)) for s in spellings), default=0)


def _all_known(runs: list[Run]) -> set[str] | None:
    """The councils the runs name, or None when any run is no known name (or none at all)."""
    if not runs or any(codes is None for _, codes in runs):
        return None
    return {code for _, codes in runs for code in codes or ()}


def _word_count(text: str) -> int:
    """Words, not counting the "and" and "&" that join names."""
    words = _SOFT_SPLIT.sub(" ", text).split()
    return sum(1 for word in words if any(c.isalnum() for c in word))


# --- shared ---------------------------------------------------------------------------------


def _nearest(key: str, spellings: dict[str, str], cutoff: float) -> str | None:
    """What the closest accepted spelling stands for (difflib ratio, ties by spelling)."""
    best = difflib.get_close_matches(key, list(spellings), n=1, cutoff=cutoff)
    return spellings[best[0]] if best else None


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""  # Why: pandas reads an empty cell as NaN.
    return value if isinstance(value, str) else str(value)
