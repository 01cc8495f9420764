"""planbook's columns (planbook.columns): the Derived RAG formula is derive.py's rule table
compiled to Excel, so the workbook and planbook agree, case by case.

Without a spreadsheet: tests/excel_formula.py evaluates the formulas planbook generates
(and raises on anything else). A row is laid out as the formatted workbook has it: the
lead's Due Dates in D5, Delivery Status in H5, Parsed Due Date in M5; the as-of date and
the amber window are the workbook names PlanbookAsOf and PlanbookAmberDays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import unescape

import pytest
from hypothesis import given
from hypothesis import strategies as st

import planbook
from excel_formula import ExcelValueError, UnsupportedFormulaError, Value, evaluate
from planbook import derive
from planbook.columns import (
    AMBER_NAME,
    AS_OF_NAME,
    DATE_FORMAT,
    PLANBOOK_COLUMNS,
    PlanbookColumn,
    cached_values,
    derived_rag_formula,
    derived_values,
    excel_serial,
    excel_text,
    parsed_due_formula,
)
from planbook.derive import MilestoneRag, Rule, Settings, derive_rag, rules_for
from planbook.duedates import DueDate
from planbook.model import GENERATED_HEADERS, TableRow
from planbook.schemas import StatusVocabulary, load_vocabularies
from workbooks import PLAN_HEADER, write_workbook

AS_OF = dt.date(2022, 3, 17)
DUE, STATUS, PARSED = "D5", "H5", "M5"
VALUES = ("Not started", "Started", "Paused", "Complete")

#: The shipped vocabulary, and the same words with no complete, no paused, or neither
#: status configured; and one whose words need quoting in a formula.
VOCABULARIES: dict[str, StatusVocabulary] = {
    "shipped": load_vocabularies().status,
    "no complete": StatusVocabulary(VALUES, paused="Paused"),
    "no paused": StatusVocabulary(VALUES, complete="Complete"),
    "neither": StatusVocabulary(VALUES),
    "quoted": StatusVocabulary(
        ('Done "for now"', "On hold", "Going"), complete='Done "for now"', paused="On hold"
    ),
}


def serial(day: dt.date) -> int:
    """Excel's number for a day, worked out here (not by planbook)."""
    return (day - dt.date(1899, 12, 30)).days


def names(settings: Settings) -> dict[str, Value]:
    return {"PlanbookAsOf": serial(settings.as_of), "PlanbookAmberDays": settings.amber_days}


def excel_rag(
    due: dt.date | None,
    status: str | None,
    settings: Settings,
    vocabulary: StatusVocabulary,
    *,
    written_as_date: bool = True,
    time_of_day: float = 0.0,
    status_column: bool = True,
) -> str | None:
    """The Derived RAG the workbook computes for one row: its Parsed Due Date formula
    evaluated, then its Derived RAG formula reading that."""
    live = due is not None and written_as_date
    cells: dict[str, Value] = {
        # What the lead's Due Dates cell holds: a real date (maybe with a time) or text.
        DUE: serial(due) + time_of_day if live and due else "By the end of the month",
        STATUS: status,  # None: an empty cell
    }
    cells[PARSED] = evaluate(parsed_due_formula(DUE if live else None, due), cells)
    formula = derived_rag_formula(STATUS if status_column else None, PARSED, vocabulary)
    result = evaluate(formula, cells, names(settings))
    assert isinstance(result, str), (formula, result)
    return result or None


# --- the table of cases ---------------------------------------------------------------------

#: Due date (days after the as-of date; None: no date) -> RAG, for an ordinary status, a
#: status the vocabulary calls paused and one it calls complete; amber window 30 days.
OFFSETS: tuple[int | None, ...] = (-400, -1, 0, 10, 30, 31, 400, None)
ORDINARY = {-400: "R", -1: "R", 0: "A", 10: "A", 30: "A", 31: "G", 400: "G", None: None}
PAUSED = {offset: "R" if offset is not None and offset < 0 else "A" for offset in OFFSETS}
COMPLETE = dict.fromkeys(OFFSETS, "B")


def expected(vocabulary: StatusVocabulary, status: str | None, offset: int | None) -> str | None:
    if status is not None and status == vocabulary.complete:
        return COMPLETE[offset]
    if status is not None and status == vocabulary.paused:
        return PAUSED[offset]
    return ORDINARY[offset]


CASES = [
    pytest.param(name, status, offset, id=f"{name}-{status or 'empty'}-{offset}")
    for name, vocabulary in VOCABULARIES.items()
    for status in (*vocabulary.values, None)
    for offset in OFFSETS
]


def test_the_case_table_says_what_the_rules_say() -> None:
    """Spot checks of the table itself: the complete and paused rules only where the
    vocabulary names those statuses."""
    shipped, no_complete, no_paused = (
        VOCABULARIES[n] for n in ("shipped", "no complete", "no paused")
    )
    assert expected(shipped, "Complete", -1) == "B"
    assert expected(shipped, "Paused", None) == "A"
    assert expected(shipped, None, None) is None
    assert expected(no_complete, "Complete", -1) == "R"
    assert expected(no_complete, None, 10) == "A"
    assert expected(no_paused, "Paused", 400) == "G"


@pytest.mark.parametrize(("vocabulary", "status", "offset"), CASES)
@pytest.mark.parametrize("written_as_date", [True, False], ids=["date cell", "text cell"])
def test_python_and_the_excel_formula_give_each_case_its_rag(
    vocabulary: str, status: str | None, offset: int | None, written_as_date: bool
) -> None:
    words = VOCABULARIES[vocabulary]
    due = AS_OF + dt.timedelta(days=offset) if offset is not None else None
    settings = Settings(as_of=AS_OF, amber_days=30)
    rag = expected(words, status, offset)
    assert derive_rag(due, status, settings, words) == rag
    assert excel_rag(due, status, settings, words, written_as_date=written_as_date) == rag


# --- the property -------------------------------------------------------------------------

DAYS = st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))


@st.composite
def rows(draw: st.DrawFn) -> tuple[StatusVocabulary, str | None]:
    vocabulary = draw(st.sampled_from(list(VOCABULARIES.values())))
    return vocabulary, draw(st.none() | st.sampled_from(vocabulary.values))


@given(
    row=rows(),
    as_of=DAYS,
    amber_days=st.integers(0, 400),
    offset=st.none() | st.integers(-800, 800),
    written_as_date=st.booleans(),
    time_of_day=st.sampled_from([0.0, 0.25, 0.999]),
    status_column=st.booleans(),
)
def test_the_excel_formula_agrees_with_derive_rag(
    row: tuple[StatusVocabulary, str | None],
    as_of: dt.date,
    amber_days: int,
    offset: int | None,
    written_as_date: bool,
    time_of_day: float,
    status_column: bool,
) -> None:
    vocabulary, status = row
    status = status if status_column else None  # no status column: derive is given none
    due = as_of + dt.timedelta(days=offset) if offset is not None else None
    settings = Settings(as_of=as_of, amber_days=amber_days)
    python = derive_rag(due, status, settings, vocabulary)
    excel = excel_rag(
        due,
        status,
        settings,
        vocabulary,
        written_as_date=written_as_date,
        time_of_day=time_of_day,
        status_column=status_column,
    )
    assert excel == python


# --- no complete (or paused) status configured (issue 11) ---------------------------------


@pytest.mark.parametrize("vocabulary", ["no complete", "neither"])
def test_with_no_complete_status_the_formula_has_no_complete_rule(vocabulary: str) -> None:
    formula = derived_rag_formula(STATUS, PARSED, VOCABULARIES[vocabulary])
    assert '"B"' not in formula
    assert f'{STATUS}=""' not in formula  # the defect: IF(H5="","B",...)


@given(
    vocabulary=st.sampled_from([VOCABULARIES["no complete"], VOCABULARIES["neither"]]),
    as_of=DAYS,
    amber_days=st.integers(0, 400),
    offset=st.none() | st.integers(-800, 800),
)
def test_with_no_complete_status_an_empty_status_is_never_b(
    vocabulary: StatusVocabulary, as_of: dt.date, amber_days: int, offset: int | None
) -> None:
    due = as_of + dt.timedelta(days=offset) if offset is not None else None
    settings = Settings(as_of=as_of, amber_days=amber_days)
    assert excel_rag(due, None, settings, vocabulary) != "B"
    assert derive_rag(due, None, settings, vocabulary) != "B"


@pytest.mark.parametrize("vocabulary", ["no paused", "neither"])
def test_with_no_paused_status_an_empty_status_is_not_paused(vocabulary: str) -> None:
    formula = derived_rag_formula(STATUS, PARSED, VOCABULARIES[vocabulary])
    assert f'{STATUS}=""' not in formula
    settings = Settings(as_of=AS_OF)
    far = AS_OF + dt.timedelta(days=400)
    assert excel_rag(far, None, settings, VOCABULARIES[vocabulary]) == "G"
    assert excel_rag(None, None, settings, VOCABULARIES[vocabulary]) is None


def test_a_status_rule_is_absent_when_the_vocabulary_names_no_status_for_it() -> None:
    tests = {name: [rule.test for rule in rules_for(v)] for name, v in VOCABULARIES.items()}
    everything = ["complete", "late", "paused", "undated", "due_soon", "otherwise"]
    assert tests["shipped"] == everything
    assert tests["no complete"] == [t for t in everything if t != "complete"]
    assert tests["no paused"] == [t for t in everything if t != "paused"]
    assert tests["neither"] == [t for t in everything if t not in ("complete", "paused")]


def test_an_empty_complete_status_counts_as_none() -> None:
    vocabulary = StatusVocabulary(VALUES, complete="", paused="")
    assert [rule.test for rule in rules_for(vocabulary)] == [
        "late",
        "undated",
        "due_soon",
        "otherwise",
    ]
    assert f'{STATUS}=""' not in derived_rag_formula(STATUS, PARSED, vocabulary)


# --- the formula text ---------------------------------------------------------------------


def test_the_shipped_vocabularys_formula() -> None:
    assert derived_rag_formula(STATUS, PARSED, VOCABULARIES["shipped"]) == (
        'IF(H5="Complete","B",IF(AND(ISNUMBER(M5),M5<PlanbookAsOf),"R",'
        'IF(H5="Paused","A",IF(NOT(ISNUMBER(M5)),"",'
        'IF(M5-PlanbookAsOf<=PlanbookAmberDays,"A","G")))))'
    )


def test_the_formula_with_no_complete_status() -> None:
    assert derived_rag_formula(STATUS, PARSED, VOCABULARIES["no complete"]) == (
        'IF(AND(ISNUMBER(M5),M5<PlanbookAsOf),"R",'
        'IF(H5="Paused","A",IF(NOT(ISNUMBER(M5)),"",'
        'IF(M5-PlanbookAsOf<=PlanbookAmberDays,"A","G"))))'
    )


def test_with_no_status_column_the_formula_reads_no_status() -> None:
    formula = derived_rag_formula(None, PARSED, VOCABULARIES["shipped"])
    assert formula == (
        'IF(AND(ISNUMBER(M5),M5<PlanbookAsOf),"R",IF(NOT(ISNUMBER(M5)),"",'
        'IF(M5-PlanbookAsOf<=PlanbookAmberDays,"A","G")))'
    )


def test_a_status_with_quotes_is_quoted_in_the_formula() -> None:
    formula = derived_rag_formula(STATUS, PARSED, VOCABULARIES["quoted"])
    assert formula.startswith('IF(H5="Done ""for now""","B",')
    settings = Settings(as_of=AS_OF)
    assert excel_rag(None, 'Done "for now"', settings, VOCABULARIES["quoted"]) == "B"


@pytest.mark.parametrize("vocabulary", list(VOCABULARIES))
def test_the_formula_is_one_if_per_rule_but_the_last(vocabulary: str) -> None:
    words = VOCABULARIES[vocabulary]
    formula = derived_rag_formula(STATUS, PARSED, words)
    assert formula.count("IF(") == len(rules_for(words)) - 1
    assert formula.endswith('"G"' + ")" * (len(rules_for(words)) - 1))


def test_the_formula_is_compiled_from_derives_rule_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reorder the table (paused before late): derive_rag and the formula both follow."""
    reordered = (
        Rule("complete", "B"),
        Rule("paused", "A"),
        Rule("late", "R"),
        Rule("undated", None),
        Rule("due_soon", "A"),
        Rule("otherwise", "G"),
    )
    monkeypatch.setattr(derive, "MILESTONE_RULES", reordered)
    vocabulary, settings = VOCABULARIES["shipped"], Settings(as_of=AS_OF)
    late = AS_OF - dt.timedelta(days=5)
    assert derive_rag(late, "Paused", settings, vocabulary) == "A"
    assert excel_rag(late, "Paused", settings, vocabulary) == "A"
    assert derived_rag_formula(STATUS, PARSED, vocabulary).startswith(
        'IF(H5="Complete","B",IF(H5="Paused","A",IF(AND(ISNUMBER(M5),M5<PlanbookAsOf),"R",'
    )
    monkeypatch.undo()
    assert derive_rag(late, "Paused", settings, vocabulary) == "R"


def test_a_rule_table_without_an_otherwise_rule_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(derive, "MILESTONE_RULES", (Rule("complete", "B"),))
    with pytest.raises(ValueError, match="otherwise"):
        derived_rag_formula(STATUS, PARSED, VOCABULARIES["shipped"])


@pytest.mark.parametrize(
    ("due_ref", "day", "formula"),
    [
        ("D17", dt.date(2022, 4, 30), "IF(ISNUMBER(D17),INT(D17),DATE(2022,4,30))"),
        (None, dt.date(2022, 4, 30), "DATE(2022,4,30)"),
        (None, None, '""'),
    ],
)
def test_the_parsed_due_date_formula(
    due_ref: str | None, day: dt.date | None, formula: str
) -> None:
    assert parsed_due_formula(due_ref, day) == formula


def test_the_parsed_due_date_follows_a_date_the_lead_types_over_it() -> None:
    formula = parsed_due_formula(DUE, dt.date(2022, 4, 30))
    assert evaluate(formula, {DUE: serial(dt.date(2022, 6, 1)) + 0.75}) == serial(
        dt.date(2022, 6, 1)
    )
    assert evaluate(formula, {DUE: "some time in June"}) == serial(dt.date(2022, 4, 30))
    assert evaluate(formula, {DUE: None}) == serial(dt.date(2022, 4, 30))


# --- cached values, straight from the derivation ------------------------------------------


def milestone(due: DueDate, derived: str | None) -> MilestoneRag:
    return MilestoneRag(TableRow(5, {}), due, "Started", None, derived, dt.date(2022, 3, 17))


@pytest.mark.parametrize(
    ("due", "derived", "values", "cached"),
    [
        (
            DueDate("date", dt.date(2022, 4, 30), "", "30/04/2022"),
            "A",
            ("A", dt.date(2022, 4, 30)),
            ("A", 44681),
        ),
        (
            DueDate("deadline", dt.date(2022, 3, 1), "", "By 1 March 2022"),
            "R",
            ("R", dt.date(2022, 3, 1)),
            ("R", 44621),
        ),
        (DueDate("none", None, "", ""), None, ("", None), ("", "")),
        (DueDate("invalid", dt.date(2022, 4, 30), "", "30/04"), None, ("", None), ("", "")),
    ],
)
def test_cached_values_are_the_derivations(
    due: DueDate,
    derived: str | None,
    values: tuple[str, dt.date | None],
    cached: tuple[str, int | str],
) -> None:
    assert derived_values(milestone(due, derived)) == values
    assert cached_values(milestone(due, derived)) == cached


def test_a_row_with_no_derivation_caches_nothing() -> None:
    assert derived_values(None) == ("", None)
    assert cached_values(None) == ("", "")


# --- the columns and the names --------------------------------------------------------------


def test_planbooks_columns_derived_rag_then_parsed_due_date() -> None:
    assert [(column.name, column.header) for column in PLANBOOK_COLUMNS] == [
        ("rag_derived", "Derived RAG"),
        ("due_parsed", "Parsed Due Date"),
    ]
    assert all(isinstance(column, PlanbookColumn) for column in PLANBOOK_COLUMNS)
    assert list(GENERATED_HEADERS.items()) == [
        ("rag_derived", "Derived RAG"),
        ("due_parsed", "Parsed Due Date"),
    ]


def test_the_names_and_the_date_format() -> None:
    assert (AS_OF_NAME, AMBER_NAME, DATE_FORMAT) == (
        "PlanbookAsOf",
        "PlanbookAmberDays",
        "dd/mm/yyyy",
    )
    from planbook import archive
    from planbook.write import xlsx

    assert archive.PLANBOOK_NAME == AS_OF_NAME
    assert (xlsx.AS_OF_NAME, xlsx.AMBER_NAME, xlsx.DATE_FORMAT) == (
        AS_OF_NAME,
        AMBER_NAME,
        DATE_FORMAT,
    )
    assert xlsx.excel_serial is excel_serial


@pytest.mark.parametrize(
    "day", [dt.date(1900, 3, 1), dt.date(2022, 3, 17), dt.date(2022, 4, 30), dt.date(9999, 12, 31)]
)
def test_excel_serial(day: dt.date) -> None:
    assert excel_serial(day) == serial(day)


@pytest.mark.parametrize(
    ("text", "literal"), [("", '""'), ("Complete", '"Complete"'), ('say "hi"', '"say ""hi"""')]
)
def test_excel_text(text: str, literal: str) -> None:
    assert excel_text(text) == literal
    assert evaluate(literal) == text


def test_columns_imports_neither_a_writer_nor_derive() -> None:
    """Any writer (and the reader) can take the columns from it, without a cycle."""
    code = (
        "import sys, planbook.columns; "
        "print(sorted(m for m in sys.modules if m.startswith(('planbook.write', "
        "'planbook.derive'))))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"


# --- the evaluator cannot pass what it does not understand ----------------------------------


@pytest.mark.parametrize(
    "formula",
    [
        "SUM(H5)",
        "H5+1",
        "H5&M5",
        "H5>1",
        "H5<>1",
        "1.5",
        "IF(H5,1)",
        "NOT(1,2)",
        "AND()",
        "Z9",  # a cell it was not given
        "PlanbookElse",  # a name it was not given
        "IF(1,2,3",
        "DATE(2022,2,30)",
    ],
)
def test_the_evaluator_refuses_what_it_does_not_know(formula: str) -> None:
    with pytest.raises(UnsupportedFormulaError):
        evaluate(formula, {"H5": "x", "M5": 1}, {"PlanbookAsOf": 1})


@pytest.mark.parametrize("formula", ['""-1', "IF(H5,1,2)", 'AND(B2,"x")', 'INT("3")', 'NOT("")'])
def test_the_evaluator_raises_where_excel_shows_value_error(formula: str) -> None:
    with pytest.raises(ExcelValueError):
        evaluate(formula, {"H5": "text", "B2": False})


@pytest.mark.parametrize(
    ("formula", "value"),
    [
        ('H5="COMPLETE"', True),  # Excel compares text ignoring case
        ("E5=0", True),  # an empty cell is 0 beside a number
        ('E5=""', True),  # and "" beside text
        ("M5<1", False),  # text is greater than any number
        ("1<M5", True),
        ('IF(B1,1,""-1)', 1),  # IF evaluates only the branch it takes
        ("INT(M1)", 44681),
        ("M1-2", 44679.5),
        ("DATE(2022,4,30)", 44681),
        ("AND(B1,ISNUMBER(M1))", True),
        ("NOT(ISNUMBER(M5))", True),
    ],
)
def test_the_evaluator_answers_as_excel_does(formula: str, value: Value) -> None:
    cells: dict[str, Value] = {"H5": "Complete", "E5": None, "M5": "", "M1": 44681.5}
    cells["B1"] = True
    assert evaluate(formula, cells) == value


# --- the written workbook (issue 11) ------------------------------------------------------


def written_formulas(path: Path) -> list[str]:
    """Every cell formula and conditional-format formula of the workbook's sheets."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = archive.read(name).decode("utf-8")
                found += [unescape(f) for f in re.findall(r"<f>([^<]*)</f>", xml)]
                found += [unescape(f) for f in re.findall(r"<formula>([^<]*)</formula>", xml)]
    return found


def test_with_no_complete_status_the_workbook_takes_no_empty_status_for_complete(
    tmp_path: Path,
) -> None:
    from planbook.write import build_output, write_output

    vocabularies = load_vocabularies()
    vocabularies = dataclasses.replace(
        vocabularies, status=StatusVocabulary(VALUES, paused="Paused")
    )
    rows = [
        ["Annual Plan for:", "Widgets"],
        [],
        ["Part 2 - Annual Plan Items"],
        PLAN_HEADER,
        ["1", "An item", "Go live", dt.datetime(2022, 4, 1), "Ann", "", "All", None],
        [None, None, "Next step", dt.datetime(2022, 3, 1), None, None, None, "Complete"],
    ]
    plan = planbook.read_workbook(write_workbook(tmp_path / "plan.xlsx", {"Widgets": rows}))
    output = build_output(plan, vocabularies, Settings(as_of=AS_OF), None)
    target = tmp_path / "out.xlsx"
    write_output(target, output, vocabularies, live_as_of=False, title="Widgets")
    formulas = written_formulas(target)
    derived = [f for f in formulas if "PlanbookAmberDays" in f]
    assert len(derived) == 2
    assert all('"B"' not in formula for formula in derived)
    assert not [f for f in formulas if '=""' in f or '<>""' in f], formulas
