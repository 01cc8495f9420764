"""Delivery Status, RAG and Councils Impacted cells, read with the shipped default schemas."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planbook.normalise import (
    CouncilReading,
    RagReading,
    StatusReading,
    is_rag,
    is_status,
    normalise_rag,
    normalise_status,
    parse_councils,
)
from planbook.schemas import Vocabularies, default_schemas_dir, load_vocabularies, match_key

SCHEMAS = default_schemas_dir()  # the defaults shipped in the package
VOCAB: Vocabularies = load_vocabularies(SCHEMAS)
STATUS = VOCAB.status
RAG = VOCAB.rag
COUNCILS = VOCAB.councils
ALL_FIVE = ("HDC", "HBC", "MDC", "SODC", "VOWH")


# --- Delivery Status ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Not started", "Started", "Paused", "Complete"])
def test_a_canonical_status_is_accepted_as_written(text: str) -> None:
    assert normalise_status(text, STATUS) == StatusReading(text, "canonical", None, text)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("COMPLETE", "Complete"),
        ("complete", "Complete"),
        ("not started", "Not started"),
        ("Not Started", "Not started"),
        ("NOT STARTED", "Not started"),
        ("STARTED", "Started"),
        ("paused", "Paused"),
        ("Not  started", "Not started"),
    ],
)
def test_a_canonical_status_in_another_case_is_no_finding(text: str, canonical: str) -> None:
    assert normalise_status(text, STATUS) == StatusReading(canonical, "case", None, text)


SPEC_STATUS_ALIASES = [
    ("WIP", "Started"),
    ("In progress", "Started"),
    ("In Progress", "Started"),
    ("Design", "Started"),
    ("On hold", "Paused"),
    ("On Hold", "Paused"),
    ("Closed", "Complete"),
    ("Closed.", "Complete"),
    ("CLOSED AS NOT RELEVANT", "Complete"),
    ("wip", "Started"),
    ("closed as not relevant", "Complete"),
]


@pytest.mark.parametrize(("text", "canonical"), SPEC_STATUS_ALIASES)
def test_a_status_alias_is_accepted_as_its_canonical_value(text: str, canonical: str) -> None:
    assert normalise_status(text, STATUS) == StatusReading(canonical, "alias", None, text)


@pytest.mark.parametrize(("alias", "canonical"), STATUS.aliases)
def test_every_status_alias_in_the_schema_is_accepted(alias: str, canonical: str) -> None:
    reading = normalise_status(alias, STATUS)
    assert (reading.kind, reading.canonical) == ("alias", canonical)


@pytest.mark.parametrize("text", ["  Started ", "\tStarted\n", " WIP "])
def test_status_white_space_is_trimmed(text: str) -> None:
    assert normalise_status(text, STATUS).canonical == "Started"


@pytest.mark.parametrize("text", ["", "   ", None])
def test_an_empty_status_is_empty(text: str | None) -> None:
    reading = normalise_status(text, STATUS)
    assert (reading.kind, reading.canonical, reading.nearest) == ("empty", None, None)


@pytest.mark.parametrize(
    ("text", "nearest"),
    [
        ("Startd", "Started"),
        ("Not strated", "Not started"),
        ("Pasued", "Paused"),
        ("Completed", "Complete"),
        ("Complete.", "Complete"),
        ("Started.", "Started"),
        ("Closed!", "Complete"),
        ("On-hold", "Paused"),
    ],
)
def test_an_unknown_status_names_the_nearest_value(text: str, nearest: str) -> None:
    assert normalise_status(text, STATUS) == StatusReading(None, "unknown", nearest, text)


@given(st.text())
def test_normalise_status_never_raises_and_answers_in_the_vocabulary(text: str) -> None:
    reading = normalise_status(text, STATUS)
    assert reading.kind in {"canonical", "case", "alias", "unknown", "empty"}
    assert reading.canonical is None or reading.canonical in STATUS.values
    assert reading.nearest is None or reading.nearest in STATUS.values
    assert (reading.kind == "unknown") == (reading.nearest is not None)


# Words of the vocabularies among others, in any case and spacing: texts that may be one.
spellings = st.sampled_from(["not", "started", "Complete", "n/a", "R", "WIP", "on", "hold", "x"])
spaced_words = st.lists(
    st.tuples(spellings, st.sampled_from([" ", "  ", "\t", "\n", " \u00a0"])), max_size=8
).map(lambda words: "".join(word + space for word, space in words))


@given(st.one_of(st.text(), spaced_words))
def test_the_quick_status_and_rag_tests_agree_with_the_full_reading(text: str) -> None:
    # is_status and is_rag look at no more words than the longest spelling has.
    known = {"canonical", "case", "alias", "not_applicable"}
    assert is_status(text, STATUS) == (normalise_status(text, STATUS).kind in known)
    assert is_rag(text, RAG) == (normalise_rag(text, None, RAG).kind in known)


@given(st.one_of(st.text(), spaced_words), st.integers(0, 5))
def test_a_match_key_within_some_words_is_the_key_or_nothing(text: str, most_words: int) -> None:
    expected = match_key(text) if len(text.split()) <= most_words else ""
    assert match_key(text, most_words) == expected


# --- RAG ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical", "kind"),
    [
        ("R", "R", "canonical"),
        ("A", "A", "canonical"),
        ("G", "G", "canonical"),
        ("r", "R", "case"),
        ("a", "A", "case"),
        ("g", "G", "case"),
        ("Red", "R", "alias"),
        ("RED", "R", "alias"),
        ("red", "R", "alias"),
        ("Amber", "A", "alias"),
        ("AMBER", "A", "alias"),
        ("amber", "A", "alias"),
        ("Green", "G", "alias"),
        ("GREEN", "G", "alias"),
        ("green", "G", "alias"),
        ("n/a", "n/a", "not_applicable"),
        ("N/A", "n/a", "not_applicable"),
        (" n/a ", "n/a", "not_applicable"),
        ("", None, "empty"),
        ("  ", None, "empty"),
        (None, None, "empty"),
    ],
)
def test_rag_text_reads_as_its_letter(text: str | None, canonical: str | None, kind: str) -> None:
    reading = normalise_rag(text, None, RAG)
    assert (reading.canonical, reading.kind) == (canonical, kind)


@pytest.mark.parametrize(
    ("text", "nearest"),
    [("Amberr", "A"), ("Gren", "G"), ("Redd", "R"), ("NA", "n/a"), ("X", None), ("B", None)],
)
def test_unknown_rag_text_names_the_nearest_only_when_alike(text: str, nearest: str | None) -> None:
    assert normalise_rag(text, None, RAG) == RagReading(None, "unknown", nearest, text)


def test_rag_progress_notes_shifted_under_rag_are_unknown() -> None:
    reading = normalise_rag("12/02/2021 - Session to review what is outstanding", None, RAG)
    assert reading.kind == "unknown"


@pytest.mark.parametrize(
    ("fill", "letter"),
    [
        ("FF0000", "R"),
        ("FFFF0000", "R"),
        ("00FF0000", "R"),
        ("#ff0000", "R"),
        ("C00000", "R"),
        ("FFC000", "A"),
        ("FFFFC000", "A"),
        ("FFFF00", "A"),
        ("FF9900", "A"),
        ("00B050", "G"),
        ("92D050", "G"),
        ("00FF00", "G"),
        ("FF003C", "R"),
    ],
)
def test_a_rag_cell_with_no_text_and_a_rag_fill_counts_as_that_letter(
    fill: str, letter: str
) -> None:
    reading = normalise_rag(None, fill, RAG)
    assert (reading.canonical, reading.kind) == (letter, "fill")


@pytest.mark.parametrize(
    "fill",
    ["D9D9D9", "FFFFFF", "000000", "00000000", "FFC7CE", "FF003D", "theme", "", "12345", None],
)
def test_a_fill_far_from_every_rag_colour_or_unreadable_is_ignored(fill: str | None) -> None:
    reading = normalise_rag("", fill, RAG)
    assert (reading.canonical, reading.kind) == (None, "empty")


def test_rag_text_wins_over_the_fill() -> None:
    reading = normalise_rag("G", "FF0000", RAG)
    assert (reading.canonical, reading.kind) == ("G", "canonical")


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()))
def test_normalise_rag_never_raises_and_answers_in_the_vocabulary(
    text: str | None, fill: str | None
) -> None:
    reading = normalise_rag(text, fill, RAG)
    assert reading.canonical in {*RAG.values, "n/a", None}


@given(st.integers(0, 0xFFFFFF))
def test_any_rgb_fill_reads_as_a_letter_or_nothing(rgb: int) -> None:
    reading = normalise_rag(None, f"{rgb:06X}", RAG)
    assert reading.kind in {"fill", "empty"}
    assert reading.canonical in {*RAG.values, None}


# --- Councils -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Hart, Havant, Mendip, South, Vale", ALL_FIVE),
        ("Hart, South and Vale", ("HDC", "SODC", "VOWH")),
        ("HDC", ("HDC",)),
        ("HBC", ("HBC",)),
        ("MDC", ("MDC",)),
        ("SODC", ("SODC",)),
        ("VOWH", ("VOWH",)),
        ("Mendip", ("MDC",)),
        ("All", ALL_FIVE),
        ("ALL", ALL_FIVE),
        ("all", ALL_FIVE),
        ("All Councils", ALL_FIVE),
        ("H&EH", ("HBC",)),
        ("S&V", ("SODC", "VOWH")),
        ("H&EH, S&V", ("HBC", "SODC", "VOWH")),
        ("H&EH, S&V, Mendip", ("HBC", "MDC", "SODC", "VOWH")),
        ("S & V", ("SODC", "VOWH")),
        ("s&v", ("SODC", "VOWH")),
        ("South and Vale", ("SODC", "VOWH")),
        ("Havant and East Hampshire", ("HBC",)),
        ("Hart District Council", ("HDC",)),
        ("Vale of White Horse District Council", ("VOWH",)),
        ("South Oxfordshire and Vale of White Horse", ("SODC", "VOWH")),
        ("HART; havant", ("HDC", "HBC")),
        ("Hart\nHavant", ("HDC", "HBC")),
        ("Hart & Havant", ("HDC", "HBC")),
        ("Hart AND Havant", ("HDC", "HBC")),
        ("Vale, Hart", ("HDC", "VOWH")),
        ("Hart, Hart, HDC", ("HDC",)),
        ("Vale.", ("VOWH",)),
    ],
)
def test_council_names_read_as_codes_in_registry_order(text: str, codes: tuple[str, ...]) -> None:
    assert parse_councils(text, COUNCILS) == CouncilReading(codes, (), (), text)


@pytest.mark.parametrize(
    "text",
    [
        "Transformed Services only",
        "Where supported by Capita",
        "Where Capita provide Managed Service within their Datacentres",
    ],
)
def test_a_phrase_of_three_words_naming_no_council_is_a_scope_note(text: str) -> None:
    assert parse_councils(text, COUNCILS) == CouncilReading((), (text,), (), text)


def test_all_councils_dash_phrase_is_all_five_plus_a_note() -> None:
    text = (
        "All Councils - combination of individual plans to be brought together "
        "into overall SC Objective"
    )
    note = "combination of individual plans to be brought together into overall SC Objective"
    assert parse_councils(text, COUNCILS) == CouncilReading(ALL_FIVE, (note,), (), text)


@pytest.mark.parametrize(
    ("text", "codes", "note"),
    [
        ("Hart (pilot only)", ("HDC",), "pilot only"),
        ("S&V: Milton Park staff", ("SODC", "VOWH"), "Milton Park staff"),
    ],
)
def test_names_followed_by_a_bracket_or_colon_phrase_keep_it_as_a_note(
    text: str, codes: tuple[str, ...], note: str
) -> None:
    assert parse_councils(text, COUNCILS) == CouncilReading(codes, (note,), (), text)


def test_scope_notes_sit_alongside_councils() -> None:
    reading = parse_councils("Hart, Where supported by Capita", COUNCILS)
    assert (reading.codes, reading.scope_notes) == (("HDC",), ("Where supported by Capita",))


def test_a_phrase_with_and_that_is_not_all_names_stays_one_scope_note() -> None:
    text = "Where supported by Capita and the Client"
    assert parse_councils(text, COUNCILS) == CouncilReading((), (text,), (), text)


def test_a_long_unknown_phrase_beside_a_council_name_is_a_scope_note() -> None:
    reading = parse_councils("Hart and Mendip transformed services", COUNCILS)
    assert (reading.codes, reading.scope_notes) == (("HDC",), ("Mendip transformed services",))


def test_and_does_not_count_towards_a_scope_phrase() -> None:
    reading = parse_councils("Capita and Client", COUNCILS)
    assert [token for token, _ in reading.unknown] == ["Capita", "Client"]


@pytest.mark.parametrize(
    ("text", "token", "nearest"),
    [
        ("HEH", "HEH", "H&EH"),
        ("Hrat", "Hrat", "Hart"),
        ("Mendip only", "Mendip only", "Mendip"),
        ("Havnt", "Havnt", "Havant"),
        ("SODC, VOW", "VOW", "VOWH"),
        ("Hart and Hrt", "Hrt", "Hart"),
    ],
)
def test_a_short_unknown_token_is_unknown_naming_the_nearest(
    text: str, token: str, nearest: str
) -> None:
    assert (token, nearest) in parse_councils(text, COUNCILS).unknown


def test_known_names_beside_an_unknown_one_are_still_read() -> None:
    assert parse_councils("Hart and Hrt", COUNCILS).codes == ("HDC",)


@pytest.mark.parametrize("text", ["", "   ", None, ", ;\n"])
def test_an_empty_councils_cell_is_empty(text: str | None) -> None:
    assert parse_councils(text, COUNCILS).is_empty


council_names = st.sampled_from(
    [
        (code, spelling)
        for c in COUNCILS.councils
        for code in [c.code]
        for spelling in (c.code, c.name, *c.aliases)
    ]
)
separators = st.sampled_from([", ", "; ", " and ", " & ", "\n", " AND ", ",", " ;"])


@given(st.lists(council_names, min_size=1, max_size=6), st.data())
def test_any_list_of_council_names_reads_as_exactly_those_codes(
    names: list[tuple[str, str]], data: st.DataObject
) -> None:
    text = names[0][1]
    for _, spelling in names[1:]:
        text += data.draw(separators) + spelling
    wanted = {code for code, _ in names}
    expected = tuple(code for code in COUNCILS.codes if code in wanted)
    assert parse_councils(text, COUNCILS) == CouncilReading(expected, (), (), text)


@given(st.text())
def test_parse_councils_never_raises_and_returns_only_registry_codes(text: str) -> None:
    reading = parse_councils(text, COUNCILS)
    assert set(reading.codes) <= set(COUNCILS.codes)
    assert list(reading.codes) == [c for c in COUNCILS.codes if c in reading.codes]
    known_names = set(COUNCILS.spellings().values())
    assert all(nearest in known_names for _, nearest in reading.unknown)
