"""What a Due Dates cell means (RULES.md, "Due dates"; choices in docs/vocabularies.md).

``parse_due(value, plan_year)`` -> ``DueDate(kind, date, note, text)``. Dates are UK
day-first; two-digit years are 20yy; the plan's financial year runs 1 April ``plan_year``
to 31 March ``plan_year + 1``.

=================================================  ===========  =============================
value                                              kind         date
=================================================  ===========  =============================
an Excel date (date/datetime)                      date         that day (text is ISO)
``30/04/22``, ``1/3/2022``, ``30.04.22``,
``2022-04-30``, ``30 April 2022``, ``30-Apr-22``   date         that day
``31/01/22 go live April - June evaluation``       date         that day; note = the rest
``30/9/22 TBC``, ``30/9/22 (TBC)``, ``TBC 30/9/22``  tentative  that day
``By 30 April 2022``, ``By or before 30 Sept
2022``, ``by end of 30 Sep 22``, ``no later
than 30/04/22``, ``on or before ...``             deadline     that day
``By end of April 2022``, ``April 2022``           deadline     last day of that month
``By end of Q2``, ``End of Quarter 2``, ``Q2``     deadline     end of that quarter
``Annually, by the end of Quarter 2``,
``Annual, Q3``                                     recurring    end of that quarter
``Annually``, ``Quarterly``, ``Monthly``           recurring    None (no single day)
``Ongoing...``, ``TBC``, ``TBC (...)``, ``TBA``,
``asap``, empty, None                              none         None; note = the rest
anything else: ``On hold``, ``COMPLETE``,
``Capita/Client``, ``31/02/22``, a plain number    invalid      None
=================================================  ===========  =============================

Quarters: Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec (of ``plan_year``), Q4 Jan-Mar (of
``plan_year + 1``); with no plan year a quarter gives no date. A plain number is invalid:
Excel shows it as a number, not a date, so the user did not write a date.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

DueKind = Literal["date", "deadline", "tentative", "recurring", "none", "invalid"]

MONTHS = {
    **{name.casefold(): n for n, name in enumerate(calendar.month_name) if name},
    **{name.casefold(): n for n, name in enumerate(calendar.month_abbr) if name},
    "sept": 9,
}
QUARTER_WORDS = {"1": 1, "2": 2, "3": 3, "4": 4, "one": 1, "two": 2, "three": 3, "four": 4}

_I = re.IGNORECASE
_NO_DATE = re.compile(
    r"(?P<word>on-?\s?going|tbc|tba|to be (?:confirmed|agreed)|asap|as soon as possible)\b", _I
)
_TENTATIVE_WORD = re.compile(r"tbc|tba|to be confirmed", _I)
_RECURRING = re.compile(
    r"(?P<word>annual(?:ly)?|yearly|every year|each year|quarterly|monthly)\b[\s,;:-]*", _I
)
_DEADLINE_WORDS = re.compile(
    r"(?:(?P<by>by or before|on or before|no later than|not later than|by|before)\b[\s:]*)?"
    r"(?:the\s+)?(?P<end>end\s+of\s+)?(?:the\s+)?",
    _I,
)
_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?!\d)"
)
_NUMERIC = re.compile(r"(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?!\d)")
_WORDY = re.compile(
    r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s-]+(?P<mon>[a-z]+)\.?,?[\s-]+(?P<y>\d{4}|\d{2})(?!\d)", _I
)
# Why four-digit years only: "June 15, 2022" must not read as June 2015.
_MONTH_YEAR = re.compile(r"(?P<mon>[a-z]+)\.?,?\s+(?P<y>\d{4})(?!\d)", _I)
_QUARTER = re.compile(r"(?:q|qtr|quarter)\s*(?P<q>[1-4]|one|two|three|four)\b", _I)
_TRAILING_TBC = re.compile(r"[\s,;:-]*\(?\s*\b(?:tbc|tba|to be confirmed)\s*\)?\s*$", _I)
_PLAN_YEAR = re.compile(r"(?<![\d/])(?P<y>(?:19|20)\d{2})\s*[/-]\s*(?P<n>\d{4}|\d{1,2})(?!\d)")
_FY_SHORT = re.compile(r"\bFY\s*(?P<y>\d{2})\s*[/-]\s*(?P<n>\d{2})(?!\d)", _I)


@dataclass(frozen=True, slots=True)
class DueDate:
    kind: DueKind
    date: dt.date | None
    note: str
    text: str


@dataclass(frozen=True)
class _When:
    """A date found at the start of some text, and how it was written."""

    date: dt.date | None
    kind: DueKind
    rest: str


_NO_DUE_DATE = DueDate("none", None, "", "")


def parse_due(value: object, plan_year: int | None) -> DueDate:
    """What a Due Dates cell (text or an Excel date value) means."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _NO_DUE_DATE
    if isinstance(value, dt.date):  # a datetime too
        if value != value:  # Why: pandas' NaT is a datetime that equals nothing.
            return _NO_DUE_DATE
        return _calendar_day(value.date() if isinstance(value, dt.datetime) else value)
    if not isinstance(value, str):
        # Why: a number, time or bool is shown by Excel as such; nobody wrote a date.
        return DueDate("invalid", None, "", str(value))
    return _parse_text(value, plan_year)


@lru_cache(maxsize=4096)
def _calendar_day(day: dt.date) -> DueDate:
    # One object a day: a plan has a few hundred due days and may have 100,000 milestones.
    return DueDate("date", day, "", day.isoformat())


@lru_cache(maxsize=4096)
def _parse_text(text: str, plan_year: int | None) -> DueDate:
    shown = text.strip()
    if not shown:
        return DueDate("none", None, "", text)
    if match := _NO_DATE.match(shown):
        return _no_date(match, shown, plan_year, text)
    if match := _RECURRING.match(shown):
        return _recurring(shown[match.end() :], plan_year, text)
    when = _leading_when(shown, plan_year)
    if when is None:
        return DueDate("invalid", None, "", text)
    return _finish(when, text)


#: Every due date written alone has one of these: a digit (a day, a year, Q2), a q
#: (Quarter two, Q two), or the word of an Ongoing or recurring form. Text with none of
#: them (most milestone and progress text) is no due date without parsing it.
#: (In the lowered text; the words ``going``, ``annual``, ``year`` and ``month`` are
#: looked for with ``in`` in ``is_due_date_alone``: a regular expression's alternation
#: of them is twice as slow, an IGNORECASE one six times.)
_MAY_BE_DUE = re.compile(r"[\dq]")


def is_due_date_alone(text: str) -> bool:
    """Whether ``text`` is a due date and nothing else: a date, deadline, tentative or
    recurring date with no other words, or an ``Ongoing`` phrase. A milestone or lead
    cell holding one is a sign the row shifted."""
    lowered = text.lower()
    if _MAY_BE_DUE.search(lowered) is None and not (
        "going" in lowered or "annual" in lowered or "year" in lowered or "month" in lowered
    ):
        return False
    due = parse_due(text, None)
    if due.kind in {"date", "deadline", "tentative", "recurring"}:
        return not due.note.strip()
    return due.kind == "none" and " ".join(text.split()).casefold().startswith("ongoing")


def _no_date(match: re.Match[str], shown: str, plan_year: int | None, text: str) -> DueDate:
    rest = shown[match.end() :]
    if _TENTATIVE_WORD.fullmatch(match.group("word")):
        # Why: "TBC 30/9/22" names a day as surely as "30/9/22 TBC" does.
        when = _leading_when(_note(rest), plan_year)
        if when is not None and when.date is not None:
            return DueDate("tentative", when.date, _note(when.rest), text)
    return DueDate("none", None, _note(rest), text)


def _recurring(rest: str, plan_year: int | None, text: str) -> DueDate:
    when = _leading_when(rest, plan_year) if rest.strip() else None
    if when is None or when.kind == "invalid":
        return DueDate("recurring", None, _note(rest), text)
    return DueDate("recurring", when.date, _note(when.rest), text)


def _finish(when: _When, text: str) -> DueDate:
    if when.kind == "invalid":
        return DueDate("invalid", None, "", text)
    if tbc := _TRAILING_TBC.search(when.rest):
        return DueDate("tentative", when.date, _note(when.rest[: tbc.start()]), text)
    return DueDate(when.kind, when.date, _note(when.rest), text)


def _leading_when(text: str, plan_year: int | None) -> _When | None:
    """The date (or quarter or month) the text starts with; None when it starts with none."""
    words = _DEADLINE_WORDS.match(text)
    assert words is not None  # Why: every part of the pattern is optional.
    body = text[words.end() :]
    deadline: DueKind = "deadline" if words.group("by") or words.group("end") else "date"
    if match := _ISO.match(body) or _NUMERIC.match(body):
        day = _day(match.group("y"), match.group("m"), match.group("d"))
        return _When(day, deadline if day else "invalid", body[match.end() :])
    if (match := _WORDY.match(body)) and match.group("mon").casefold() in MONTHS:
        day = _day(match.group("y"), MONTHS[match.group("mon").casefold()], match.group("d"))
        return _When(day, deadline if day else "invalid", body[match.end() :])
    if (match := _MONTH_YEAR.match(body)) and match.group("mon").casefold() in MONTHS:
        year = _year(match.group("y"))
        last = _month_end(year, MONTHS[match.group("mon").casefold()])
        return _When(last, "deadline" if last else "invalid", body[match.end() :])
    if match := _QUARTER.match(body):
        quarter = QUARTER_WORDS[match.group("q").casefold()]
        return _When(quarter_end(plan_year, quarter), "deadline", body[match.end() :])
    return None


def _day(year: str, month: str | int, day: str) -> dt.date | None:
    try:
        return dt.date(_year(year), int(month), int(day))
    except ValueError:
        return None


def _year(digits: str) -> int:
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


def _month_end(year: int, month: int) -> dt.date | None:
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        return None
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def quarter_end(plan_year: int | None, quarter: int) -> dt.date | None:
    """Last day of a quarter of the financial year starting 1 April ``plan_year``."""
    if plan_year is None:
        return None
    month = {1: 6, 2: 9, 3: 12, 4: 3}[quarter]
    year = plan_year + 1 if quarter == 4 else plan_year
    return _month_end(year, month) if dt.MINYEAR <= year <= dt.MAXYEAR else None


def _note(rest: str) -> str:
    """The words after the date, without the separators that joined them to it."""
    note = " ".join(rest.split()).strip(" ,;:-–—.")
    if note.startswith("(") and note.endswith(")") and note.count("(") == 1:
        note = note[1:-1].strip()
    return note


def plan_year_from_text(text: str) -> int | None:
    """The year a plan's financial year starts in: ``2022/3``, ``2022/23``, ``2022-23`` -> 2022."""
    for match in _PLAN_YEAR.finditer(text):
        start, end = int(match.group("y")), match.group("n")
        if int(end) == int(str(start + 1)[-len(end) :]):
            return start
    for match in _FY_SHORT.finditer(text):
        start, end = int(match.group("y")), int(match.group("n"))
        if end == (start + 1) % 100:
            return 2000 + start
    return None
