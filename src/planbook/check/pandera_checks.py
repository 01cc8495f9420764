"""planbook's own pandera checks, registered so the table schemas in schemas/tables/
can name them in pandera's YAML format.

Each check is vectorised: it interprets each distinct value once and maps the answer
over the column. The vocabularies come from the run in progress (``using``), so the same
registered check serves whichever schemas folder the user chose.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

import pandas as pd
from pandera import extensions

from planbook.duedates import is_due_date_alone, parse_due
from planbook.normalise import is_rag, is_status, normalise_rag, normalise_status, parse_councils
from planbook.schemas import Vocabularies

_ACTIVE: ContextVar[Vocabularies] = ContextVar("planbook_vocabularies")

#: Progress notes under RAG or Delivery Status are this long at least (words).
PROGRESS_MIN_WORDS = 4


def active_vocabularies() -> Vocabularies:
    """The vocabularies of the run in progress (see ``using``)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def using(vocabularies: Vocabularies) -> Iterator[None]:
    """Run the checks inside with these vocabularies."""
    token = _ACTIVE.set(vocabularies)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _each_distinct(series: pd.Series, passes: Callable[[str], bool]) -> pd.Series:
    # None: the row's table has no such column (the frame holds several tables).
    failing = [value for value in series.unique() if value is not None and not passes(value)]
    # By a hash table of the few failing texts: a map of every row's text through a dict
    # of all of them is several times slower.
    return ~series.isin(failing)


def _blank(text: str) -> bool:
    return not text.strip()


# --- what a value is ----------------------------------------------------------------------


def is_status_word(text: str) -> bool:
    return is_status(text, _ACTIVE.get().status)


def is_rag_word(text: str) -> bool:
    return is_rag(text, _ACTIVE.get().rag)


def is_council_list(text: str) -> bool:
    reading = parse_councils(text, _ACTIVE.get().councils, nearest=False)
    return bool(reading.codes) and not reading.unknown and not reading.scope_notes


def is_progress_note(text: str) -> bool:
    long_enough = len(text.split()) >= PROGRESS_MIN_WORDS
    return long_enough and not is_rag_word(text) and not is_status_word(text)


#: The vocabularies a value in the wrong column may belong to.
FOREIGN: dict[str, Callable[[str], bool]] = {
    "status": is_status_word,
    "due": is_due_date_alone,
    "councils": is_council_list,
    "progress": is_progress_note,
}


def foreign_field(text: str, fields: list[str]) -> str | None:
    """The first of ``fields`` whose vocabulary ``text`` belongs to."""
    if _blank(text):
        return None
    for name in fields:  # a loop, not next() of a generator: run for each distinct text
        if FOREIGN[name](text):
            return name
    return None


# --- the registered checks ----------------------------------------------------------------

#: The names of planbook's registered checks. Each answers for one value, or one row, at
#: a time: a table checked only by them may be validated a slice of rows at a time.
ROW_BY_ROW_CHECKS: set[str] = set()

#: The names of planbook's table-wide checks: each takes the frame, answers for each cell.
TABLE_CHECKS: set[str] = set()

F = TypeVar("F", bound=Callable[..., Any])


def _register(statistics: list[str], **options: Any) -> Callable[[F], F]:
    """pandera's ``register_check_method``, the check recorded as one of planbook's."""

    def register(function: F) -> F:
        ROW_BY_ROW_CHECKS.add(function.__name__)
        if options.get("supported_types") is pd.DataFrame:
            TABLE_CHECKS.add(function.__name__)
        return extensions.register_check_method(function, statistics=statistics, **options)

    return register


@_register(statistics=["vocabulary"])
def in_vocabulary(series: pd.Series, *, vocabulary: str) -> pd.Series:
    """Empty, a canonical value in any case, or an accepted alias."""
    known = is_status_word if vocabulary == "delivery_status" else is_rag_word
    return _each_distinct(series, lambda text: _blank(text) or known(text))


@_register(statistics=["vocabulary"])
def canonical_spelling(series: pd.Series, *, vocabulary: str) -> pd.Series:
    """Not an alias (an alias is accepted, with a warning, and written back canonical)."""
    vocab = _ACTIVE.get()
    if vocabulary == "delivery_status":
        return _each_distinct(
            series, lambda text: normalise_status(text, vocab.status).kind != "alias"
        )
    return _each_distinct(series, lambda text: normalise_rag(text, None, vocab.rag).kind != "alias")


@_register(statistics=["scope_notes"])
def council_list(series: pd.Series, *, scope_notes: bool) -> pd.Series:
    """Every name a council or group (and, with ``scope_notes``, long phrases as notes)."""
    registry = _ACTIVE.get().councils

    def passes(text: str) -> bool:
        reading = parse_councils(text, registry, nearest=False)
        return not reading.unknown and (scope_notes or not reading.scope_notes)

    return _each_distinct(series, passes)


@_register(statistics=["plan_year"])
def due_date(series: pd.Series, *, plan_year: int | None) -> pd.Series:
    """A date, a deadline, a recurring quarter or a no-date phrase; not anything else."""
    return _each_distinct(series, lambda text: parse_due(text, plan_year).kind != "invalid")


@_register(statistics=["fields"])
def not_from(series: pd.Series, *, fields: list[str]) -> pd.Series:
    """Not a value of another column's vocabulary (a sign the row shifted)."""
    return _each_distinct(series, lambda text: foreign_field(text, fields) is None)


@_register(statistics=["fields"], supported_types=pd.DataFrame)
def filled_on_milestones(frame: pd.DataFrame, *, fields: list[str]) -> pd.DataFrame:
    """Every milestone fills these fields (an item row that is no milestone need not)."""
    result = pd.DataFrame(True, index=frame.index, columns=frame.columns)
    open_rows = ~frame["is_milestone"].astype(bool)
    for name in fields:
        if name in frame.columns:
            absent = frame[name].isna()  # a table with no such column: nothing to fill
            result[name] = frame[name].str.strip().ne("") | open_rows | absent
    return result


@_register(statistics=[], supported_types=pd.DataFrame)
def not_applicable_only_when_complete(frame: pd.DataFrame) -> pd.DataFrame:
    """RAG ``n/a`` stands only on a completed milestone."""
    result = pd.DataFrame(True, index=frame.index, columns=frame.columns)
    if "rag" not in frame.columns or "status" not in frame.columns:
        return result
    vocab = _ACTIVE.get()
    statuses = _each_distinct(
        frame["status"],
        lambda text: normalise_status(text, vocab.status).canonical == vocab.status.complete,
    )
    not_applicable = _each_distinct(
        frame["rag"], lambda text: normalise_rag(text, None, vocab.rag).kind == "not_applicable"
    )
    result["rag"] = ~not_applicable | statuses
    return result
