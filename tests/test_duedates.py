"""Due Dates cells, as RULES.md's "Due dates" table and docs/vocabularies.md say."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from planbook.duedates import (
    DueDate,
    is_due_date_alone,
    parse_due,
    plan_year_from_text,
    quarter_end,
)

PLAN_YEAR = 2022  # the sample plan: April 2022 to March 2023
D = dt.date


# --- RULES.md rows ------------------------------------------------------------------------

SPEC_DATES = [
    ("30/04/22", D(2022, 4, 30)),
    ("01/03/2022", D(2022, 3, 1)),
    ("1/3/22", D(2022, 3, 1)),
    ("01/07/22", D(2022, 7, 1)),
    ("31/12/19", D(2019, 12, 31)),
]


@pytest.mark.parametrize(("text", "day"), SPEC_DATES)
def test_a_day_first_date_is_that_day(text: str, day: dt.date) -> None:
    assert parse_due(text, PLAN_YEAR) == DueDate("date", day, "", text)


@pytest.mark.parametrize(
    "value",
    [dt.date(2022, 4, 30), dt.datetime(2022, 4, 30), dt.datetime(2022, 4, 30, 17, 45)],
)
def test_an_excel_date_value_is_that_day_written_iso(value: dt.date) -> None:
    assert parse_due(value, PLAN_YEAR) == DueDate("date", D(2022, 4, 30), "", "2022-04-30")


@pytest.mark.parametrize(
    ("text", "day", "note"),
    [
        (
            "31/01/22 go live April - June evaluation",
            D(2022, 1, 31),
            "go live April - June evaluation",
        ),
        (
            "28/02/22 go live April - June evaluation",
            D(2022, 2, 28),
            "go live April - June evaluation",
        ),
        ("01/03/2022 (Go live) March - May Review", D(2022, 3, 1), "(Go live) March - May Review"),
        ("30/04/22 - draft to JTB", D(2022, 4, 30), "draft to JTB"),
    ],
)
def test_a_leading_date_is_that_day_and_the_rest_a_note(text: str, day: dt.date, note: str) -> None:
    assert parse_due(text, PLAN_YEAR) == DueDate("date", day, note, text)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("By 30 April 2022", D(2022, 4, 30)),
        ("By 31 May 2022", D(2022, 5, 31)),
        ("By or before 30 Sept 2022", D(2022, 9, 30)),
        ("by end of 30 Sep 22", D(2022, 9, 30)),
        ("By the end of 30 September 2022", D(2022, 9, 30)),
        ("BY 1 JAN 2023", D(2023, 1, 1)),
        ("By 30th April 2022", D(2022, 4, 30)),
        ("By 30 Sept. 2022", D(2022, 9, 30)),
        ("By 30/04/22", D(2022, 4, 30)),
        ("On or before 30 April 2022", D(2022, 4, 30)),
        ("No later than 30 April 2022", D(2022, 4, 30)),
        ("Before 30 April 2022", D(2022, 4, 30)),
    ],
)
def test_by_a_date_is_a_deadline_that_day(text: str, day: dt.date) -> None:
    assert parse_due(text, PLAN_YEAR) == DueDate("deadline", day, "", text)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("30/9/22 TBC", D(2022, 9, 30)),
        ("30/9/22 tbc", D(2022, 9, 30)),
        ("30/9/22 (TBC)", D(2022, 9, 30)),
        ("30/9/22 - TBC", D(2022, 9, 30)),
        ("TBC 30/9/22", D(2022, 9, 30)),
        ("By 30 Sept 2022 TBC", D(2022, 9, 30)),
    ],
)
def test_a_date_marked_tbc_is_tentative(text: str, day: dt.date) -> None:
    assert parse_due(text, PLAN_YEAR) == DueDate("tentative", day, "", text)


def test_a_tentative_date_keeps_the_words_between_date_and_tbc() -> None:
    assert parse_due("30/9/22 go live TBC", PLAN_YEAR).note == "go live"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Annually, by the end of Quarter 1", D(2022, 6, 30)),
        ("Annually, by the end of Quarter 2", D(2022, 9, 30)),
        ("Annually, by the end of Quarter 3", D(2022, 12, 31)),
        ("Annually, by the end of Quarter 4", D(2023, 3, 31)),
        ("Annual, Q1", D(2022, 6, 30)),
        ("Annual, Q3", D(2022, 12, 31)),
        ("annual q4", D(2023, 3, 31)),
        ("Annually - end of Q2", D(2022, 9, 30)),
        ("Annually by end of Qtr 2", D(2022, 9, 30)),
        ("Yearly, Quarter Two", D(2022, 9, 30)),
    ],
)
def test_annual_in_a_quarter_recurs_at_that_quarters_end(text: str, day: dt.date) -> None:
    assert parse_due(text, PLAN_YEAR) == DueDate("recurring", day, "", text)


@pytest.mark.parametrize("text", ["Annually, by the end of Quarter 2", "Annual, Q3"])
def test_a_recurring_quarter_has_no_date_without_a_plan_year(text: str) -> None:
    assert parse_due(text, None) == DueDate("recurring", None, "", text)


@pytest.mark.parametrize("text", ["Quarterly", "Annually", "Annual", "Monthly", "monthly review"])
def test_a_recurrence_without_a_quarter_has_no_single_date(text: str) -> None:
    due = parse_due(text, PLAN_YEAR)
    assert (due.kind, due.date) == ("recurring", None)


def test_a_recurrence_keeps_its_other_words_as_the_note() -> None:
    assert parse_due("Monthly review", PLAN_YEAR).note == "review"


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("Ongoing", ""),
        ("ongoing", ""),
        ("Ongoing as required", "as required"),
        ("Ongoing regular meetings", "regular meetings"),
        ("On-going", ""),
        ("TBC", ""),
        ("tbc", ""),
        ("TBC (may split out into separate line items)", "may split out into separate line items"),
        ("TBA", ""),
        ("To be confirmed", ""),
        ("asap", ""),
        ("ASAP", ""),
        ("", ""),
        ("   ", ""),
    ],
)
def test_no_date_forms_have_no_date(text: str, note: str) -> None:
    assert parse_due(text, PLAN_YEAR) == DueDate("none", None, note, text)


def test_an_empty_cell_has_no_date() -> None:
    assert parse_due(None, PLAN_YEAR) == DueDate("none", None, "", "")


def test_a_pandas_empty_cell_has_no_date() -> None:
    assert parse_due(float("nan"), PLAN_YEAR).kind == "none"


SPEC_NOT_DATES = [
    "On hold",
    "On Hold",
    "COMPLETE",
    "In Progress",
    "In progress",
    "Capita/Client",
    "chasing resource availability dates",
    "31/02/22",
    "29/02/23",
    "32/01/22",
    "15/13/22",
    "00/01/22",
    "31/02/22 go live",
    "By the team",
    "By 31 Feb 2022",
    "30 Smarch 2022",
    "June 15, 2022",
    "2022/23",
    "-----",
    "44681",
]


@pytest.mark.parametrize("text", SPEC_NOT_DATES)
def test_anything_else_is_not_a_date(text: str) -> None:
    assert parse_due(text, PLAN_YEAR) == DueDate("invalid", None, "", text)


@pytest.mark.parametrize("value", [44681, 44681.0, 0, True, dt.time(9, 30)])
def test_a_number_or_other_value_is_not_a_date(value: object) -> None:
    assert parse_due(value, PLAN_YEAR) == DueDate("invalid", None, "", str(value))


# --- forms RULES.md is silent on (docs/vocabularies.md) -----------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("31/12/99", D(2099, 12, 31)),
        ("1/1/00", D(2000, 1, 1)),
        ("5/6/07", D(2007, 6, 5)),
    ],
)
def test_two_digit_years_are_20yy(text: str, day: dt.date) -> None:
    assert parse_due(text, PLAN_YEAR).date == day


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("30.04.22", D(2022, 4, 30)),
        ("30-04-2022", D(2022, 4, 30)),
        ("2022-04-30", D(2022, 4, 30)),
        ("2022-04-30 00:00:00", D(2022, 4, 30)),
        ("30 April 2022", D(2022, 4, 30)),
        ("30-Apr-22", D(2022, 4, 30)),
        ("17-Mar-22", D(2022, 3, 17)),
        ("1st March 2022", D(2022, 3, 1)),
    ],
)
def test_other_plain_date_spellings_are_that_day(text: str, day: dt.date) -> None:
    assert parse_due(text, PLAN_YEAR) == DueDate("date", day, "", text)


def test_mixed_separators_are_not_a_date() -> None:
    assert parse_due("30/04-22", PLAN_YEAR).kind == "invalid"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("April 2022", D(2022, 4, 30)),
        ("By end of April 2022", D(2022, 4, 30)),
        ("By February 2024", D(2024, 2, 29)),
        ("End of Sept 2022", D(2022, 9, 30)),
    ],
)
def test_a_month_and_year_is_a_deadline_at_the_months_end(text: str, day: dt.date) -> None:
    assert parse_due(text, PLAN_YEAR) == DueDate("deadline", day, "", text)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("By end of Q2", D(2022, 9, 30)),
        ("End of Quarter 3", D(2022, 12, 31)),
        ("Q4", D(2023, 3, 31)),
        ("by the end of quarter one", D(2022, 6, 30)),
    ],
)
def test_a_quarter_alone_is_a_deadline_at_the_quarters_end(text: str, day: dt.date) -> None:
    assert parse_due(text, PLAN_YEAR) == DueDate("deadline", day, "", text)


def test_a_quarter_deadline_has_no_date_without_a_plan_year() -> None:
    assert parse_due("By end of Q2", None) == DueDate("deadline", None, "", "By end of Q2")


def test_a_date_does_not_need_the_plan_year() -> None:
    assert parse_due("30/04/22", None).date == D(2022, 4, 30)


def test_the_text_is_kept_as_written() -> None:
    assert parse_due("  30/04/22  ", PLAN_YEAR).text == "  30/04/22  "


@pytest.mark.parametrize(
    ("quarter", "day"),
    [(1, D(2022, 6, 30)), (2, D(2022, 9, 30)), (3, D(2022, 12, 31)), (4, D(2023, 3, 31))],
)
def test_quarters_end_in_the_financial_year_from_april(quarter: int, day: dt.date) -> None:
    assert quarter_end(PLAN_YEAR, quarter) == day


def test_quarter_end_without_a_plan_year_is_none() -> None:
    assert quarter_end(None, 2) is None


# --- the plan year ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2022/3", 2022),
        ("2022/23", 2022),
        ("2022-23", 2022),
        ("2022 / 23", 2022),
        ("2022/2023", 2022),
        ("Revenues and Benefits 2022/23", 2022),
        ("Annual Plan 2022/23", 2022),
        ("Annual Plan 2019/20", 2019),
        ("Annual Plan 2029/30", 2029),
        ("FY22/23", 2022),
    ],
)
def test_plan_year_is_the_year_the_financial_year_starts(text: str, year: int) -> None:
    assert plan_year_from_text(text) == year


@pytest.mark.parametrize(
    "text",
    [
        "Annual Plan",
        "2022",
        "2022/24",
        "2022/03",
        "17/03/2022",
        "31/03/2022 - 23",
        "Five Councils IT",
    ],
)
def test_plan_year_is_none_when_no_year_pair_is_written(text: str) -> None:
    assert plan_year_from_text(text) is None


# --- properties ---------------------------------------------------------------------------

any_day = st.dates(min_value=D(1, 1, 1), max_value=D(9999, 12, 31))
this_century = st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31))
month_spellings = st.sampled_from(
    [
        (n, spelling)
        for n in range(1, 13)
        for spelling in (
            calendar.month_name[n],
            calendar.month_abbr[n],
            calendar.month_abbr[n].upper(),
        )
    ]
    + [(9, "Sept")]
)


@given(this_century)
def test_any_day_written_dd_mm_yy_parses_back(day: dt.date) -> None:
    text = f"{day.day:02d}/{day.month:02d}/{day.year % 100:02d}"
    assert parse_due(text, PLAN_YEAR) == DueDate("date", day, "", text)


@given(any_day)
def test_any_day_written_d_m_yyyy_parses_back(day: dt.date) -> None:
    text = f"{day.day}/{day.month}/{day.year:04d}"
    assert parse_due(text, PLAN_YEAR) == DueDate("date", day, "", text)


@given(any_day.filter(lambda d: d.year >= 1000), month_spellings)
def test_any_day_written_by_d_month_yyyy_is_that_deadline(
    day: dt.date, month: tuple[int, str]
) -> None:
    day = day.replace(day=min(day.day, calendar.monthrange(day.year, month[0])[1]), month=month[0])
    text = f"By {day.day} {month[1]} {day.year}"
    assert parse_due(text, PLAN_YEAR) == DueDate("deadline", day, "", text)


@given(st.text(), st.one_of(st.none(), st.integers(min_value=1900, max_value=2200)))
def test_parse_due_never_raises_for_any_text(text: str, plan_year: int | None) -> None:
    due = parse_due(text, plan_year)
    assert due.text == text
    if due.kind in ("none", "invalid"):
        assert due.date is None
    if due.kind in ("date",):
        assert due.date is not None


@given(st.one_of(st.none(), st.integers(), st.floats(), st.booleans(), st.datetimes(), st.dates()))
def test_parse_due_never_raises_for_any_cell_value(value: object) -> None:
    assert parse_due(value, PLAN_YEAR).kind in {"date", "none", "invalid"}


@given(st.text())
def test_plan_year_from_text_never_raises(text: str) -> None:
    year = plan_year_from_text(text)
    assert year is None or 1900 <= year <= 2099


# --- a due date written alone (a sign of a shifted row) ----------------------------------


def written_alone(text: str) -> bool:
    """The rule by parsing alone, as is_due_date_alone must answer it (without its
    shortcut for text that cannot be a due date)."""
    due = parse_due(text, None)
    if due.kind in {"date", "deadline", "tentative", "recurring"}:
        return not due.note.strip()
    return due.kind == "none" and " ".join(text.split()).casefold().startswith("ongoing")


DUE_WORDS = [
    "by", "By end of", "end of", "the", "Q", "q", "Qtr", "Quarter", "two", "four", "Annual",
    "annually,", "Yearly", "every year", "each year", "Quarterly", "Monthly", "Ongoing",
    "on-going", "On going", "TBC", "tba", "asap", "April", "Sept", "2022", "22", "30/04/22",
    "2022-04-30", "30", "Apr", "(TBC)", "-", ",", "go live", "review", "no later than",
]  # fmt: skip
due_like_text = st.one_of(
    st.lists(st.sampled_from(DUE_WORDS), min_size=1, max_size=5).map(" ".join),
    st.text(max_size=30),
)


@given(due_like_text)
@example("Quarter two")
@example("q four")
@example("on going")
def test_the_shortcut_for_text_that_cannot_be_a_due_date_changes_no_answer(text: str) -> None:
    assert is_due_date_alone(text) == written_alone(text)


@pytest.mark.parametrize(
    "text", ["30/04/22", "By end of Q2", "End of Quarter two", "Annually", "Ongoing", "April 2022"]
)
def test_a_due_date_written_alone_is_one(text: str) -> None:
    assert is_due_date_alone(text)


@pytest.mark.parametrize("text", ["Go live", "30/04/22 go live", "TBC", "Testing phase"])
def test_other_text_is_no_due_date_written_alone(text: str) -> None:
    assert not is_due_date_alone(text)


def test_an_excel_date_is_read_as_its_own_day_whatever_was_read_before() -> None:
    # One instant, two days: the day is each value's own, not the first one's.
    utc_evening = dt.datetime(2022, 1, 1, 23, 30, tzinfo=dt.UTC)
    next_morning_an_hour_east = dt.datetime(
        2022, 1, 2, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )
    assert parse_due(utc_evening, None).date == dt.date(2022, 1, 1)
    assert parse_due(next_morning_an_hour_east, None).date == dt.date(2022, 1, 2)
