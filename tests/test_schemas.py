"""Loading a schemas folder: the shipped defaults, a user's edits, every way a file is wrong."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import planbook
from planbook.errors import PlanbookError
from planbook.normalise import normalise_rag, normalise_status, parse_councils
from planbook.schemas import (
    DEFAULT_SCHEMAS_FOLDER,
    SchemaFileError,
    Vocabularies,
    default_schemas_dir,
    load_vocabularies,
)

SCHEMAS = default_schemas_dir()  # the defaults shipped in the package
ALL_FIVE = ("HDC", "HBC", "MDC", "SODC", "VOWH")


@pytest.fixture
def schemas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped schemas in ``schemas/`` of a scratch working folder."""
    monkeypatch.chdir(tmp_path)
    return Path(shutil.copytree(SCHEMAS, tmp_path / "schemas"))


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def load_error(folder: Path) -> str:
    with pytest.raises(SchemaFileError) as caught:
        load_vocabularies(folder)
    return str(caught.value)


# --- the shipped files --------------------------------------------------------------------


def test_the_default_folder_is_the_one_shipped_in_the_package() -> None:
    package = Path(planbook.__file__).resolve().parent
    assert default_schemas_dir().resolve() == package / DEFAULT_SCHEMAS_FOLDER
    assert (default_schemas_dir() / "tables" / "plan_items.yaml").is_file()


def test_load_without_a_folder_reads_the_shipped_schemas() -> None:
    assert load_vocabularies() == load_vocabularies(SCHEMAS)


def test_a_schemas_folder_in_the_working_folder_is_not_read_unless_named(schemas: Path) -> None:
    (schemas / "councils.yaml").write_text("councils: [unclosed\n", encoding="utf-8")
    assert load_vocabularies() == load_vocabularies(SCHEMAS)
    assert load_error(schemas).startswith("schemas/councils.yaml: ")


def test_shipped_statuses_are_the_four_of_the_rules() -> None:
    assert load_vocabularies().status.values == ("Not started", "Started", "Paused", "Complete")


def test_shipped_status_aliases_are_those_of_the_rules() -> None:
    assert dict(load_vocabularies().status.aliases) == {
        "WIP": "Started",
        "In progress": "Started",
        "Design": "Started",
        "On hold": "Paused",
        "Closed": "Complete",
        "Closed.": "Complete",
        "CLOSED AS NOT RELEVANT": "Complete",
    }


def test_shipped_rag_is_r_a_g_with_n_a() -> None:
    rag = load_vocabularies().rag
    assert (rag.values, rag.not_applicable_value) == (("R", "A", "G"), "n/a")
    assert dict(rag.aliases) == {"Red": "R", "Amber": "A", "Green": "G"}


def test_shipped_fills_list_colours_for_each_letter() -> None:
    fills = dict(load_vocabularies().rag.fills)
    assert "FF0000" in fills["R"] and "FFC000" in fills["A"] and "00B050" in fills["G"]


def test_shipped_councils_are_the_five_in_order() -> None:
    councils = load_vocabularies().councils
    assert councils.codes == ALL_FIVE
    assert [c.name for c in councils.councils] == [
        "Hart District Council",
        "Havant Borough Council",
        "Mendip District Council",
        "South Oxfordshire District Council",
        "Vale of White Horse District Council",
    ]


@pytest.mark.parametrize(
    ("group", "codes"),
    [
        ("All", ALL_FIVE),
        ("ALL", ALL_FIVE),
        ("All Councils", ALL_FIVE),
        ("H&EH", ("HBC",)),
        ("S&V", ("SODC", "VOWH")),
    ],
)
def test_shipped_groups_stand_for_their_councils(group: str, codes: tuple[str, ...]) -> None:
    assert load_vocabularies().councils.lookup(group) == codes


def test_shipped_scope_phrases_need_three_words() -> None:
    assert load_vocabularies().councils.scope_phrase_min_words == 3


def test_vocabularies_are_hashable_values() -> None:
    vocab = load_vocabularies()
    assert hash(vocab.status) == hash(load_vocabularies().status)


# --- a user's edits change what is accepted ----------------------------------------------


def test_adding_a_status_makes_it_accepted(schemas: Path) -> None:
    assert normalise_status("Deferred", load_vocabularies(schemas).status).kind == "unknown"
    edit(schemas / "vocabularies.yaml", lambda d: d["delivery_status"]["values"].append("Deferred"))
    reading = normalise_status("deferred", load_vocabularies(schemas).status)
    assert (reading.canonical, reading.kind) == ("Deferred", "case")


def test_adding_a_status_alias_makes_it_accepted(schemas: Path) -> None:
    edit(
        schemas / "vocabularies.yaml",
        lambda d: d["delivery_status"]["aliases"].update(Done="Complete"),
    )
    reading = normalise_status("DONE", load_vocabularies(schemas).status)
    assert (reading.canonical, reading.kind) == ("Complete", "alias")


def test_removing_an_alias_makes_it_unknown(schemas: Path) -> None:
    edit(schemas / "vocabularies.yaml", lambda d: d["delivery_status"]["aliases"].pop("Design"))
    assert normalise_status("Design", load_vocabularies(schemas).status).kind == "unknown"


def test_a_folder_read_twice_gives_vocabularies_equal_and_hashed_alike(schemas: Path) -> None:
    """The per-cell caches are keyed on the vocabulary: a folder read again shares them."""
    first, again = load_vocabularies(schemas), load_vocabularies(schemas)
    for one, other in [
        (first.status, again.status),
        (first.rag, again.rag),
        (first.councils, again.councils),
    ]:
        assert one is not other
        assert one == other
        assert hash(one) == hash(other)


def test_a_status_read_under_one_folder_is_read_afresh_under_an_edited_one(schemas: Path) -> None:
    before = load_vocabularies(schemas).status
    assert normalise_status("Done", before).kind == "unknown"
    edit(
        schemas / "vocabularies.yaml",
        lambda d: d["delivery_status"]["aliases"].update(Done="Complete"),
    )
    after = load_vocabularies(schemas).status
    assert after != before
    assert normalise_status("Done", after).kind == "alias"
    assert normalise_status("Done", before).kind == "unknown"


def retire_mendip(data: dict[str, Any]) -> None:
    data["councils"] = [c for c in data["councils"] if c["code"] != "MDC"]


def test_retiring_mendip_makes_it_an_unknown_council(schemas: Path) -> None:
    edit(schemas / "councils.yaml", retire_mendip)
    registry = load_vocabularies(schemas).councils
    reading = parse_councils("Hart, Mendip", registry)
    assert reading.codes == ("HDC",)
    assert [token for token, _ in reading.unknown] == ["Mendip"]


def test_retiring_mendip_takes_it_out_of_all(schemas: Path) -> None:
    edit(schemas / "councils.yaml", retire_mendip)
    registry = load_vocabularies(schemas).councils
    assert parse_councils("All", registry).codes == ("HDC", "HBC", "SODC", "VOWH")


def test_adding_a_council_makes_it_accepted_and_part_of_all(schemas: Path) -> None:
    somerset = {"code": "SC", "name": "Somerset Council", "aliases": ["Somerset"]}
    edit(schemas / "councils.yaml", lambda d: d["councils"].append(somerset))
    registry = load_vocabularies(schemas).councils
    assert parse_councils("Somerset, Hart", registry).codes == ("HDC", "SC")
    assert parse_councils("All", registry).codes == (*ALL_FIVE, "SC")


def test_scope_phrase_length_is_the_users_choice(schemas: Path) -> None:
    edit(schemas / "councils.yaml", lambda d: d.update(scope_phrase_min_words=2))
    reading = parse_councils("Capita only", load_vocabularies(schemas).councils)
    assert reading.scope_notes == ("Capita only",)


def test_adding_a_fill_colour_makes_it_count(schemas: Path) -> None:
    assert normalise_rag(None, "FFC7CE", load_vocabularies(schemas).rag).kind == "empty"
    edit(schemas / "vocabularies.yaml", lambda d: d["rag"]["fills"]["R"].append("FFC7CE"))
    assert normalise_rag(None, "FFC7CE", load_vocabularies(schemas).rag).canonical == "R"


def test_a_group_may_be_added(schemas: Path) -> None:
    edit(schemas / "councils.yaml", lambda d: d["groups"].update({"Hampshire": ["HDC", "HBC"]}))
    assert parse_councils("Hampshire", load_vocabularies(schemas).councils).codes == ("HDC", "HBC")


# --- every way a file can be wrong: one line naming the file ------------------------------


def test_a_schema_error_is_a_planbook_error() -> None:
    assert issubclass(SchemaFileError, PlanbookError)


def test_a_schema_error_keeps_the_path_and_the_problem() -> None:
    error = SchemaFileError(Path("/nowhere/councils.yaml"), "file not found")
    assert (error.path, error.problem) == (Path("/nowhere/councils.yaml"), "file not found")


def test_a_group_naming_an_unknown_code_says_which(schemas: Path) -> None:
    edit(schemas / "councils.yaml", lambda d: d["groups"].update({"S&V": ["SODC", "XYZ"]}))
    assert load_error(schemas) == "schemas/councils.yaml: group 'S&V' names unknown council 'XYZ'"


def test_a_path_outside_the_working_folder_is_shown_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(shutil.copytree(SCHEMAS, tmp_path / "elsewhere"))
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    (folder / "councils.yaml").unlink()
    assert load_error(folder) == f"{folder / 'councils.yaml'}: file not found"


def test_a_missing_folder_names_the_first_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_error(tmp_path / "nope") == "nope/vocabularies.yaml: file not found"


BAD_VOCABULARIES = [
    ("delivery_status: [unclosed", "vocabularies.yaml: not valid YAML"),
    ("- just\n- a list\n", "vocabularies.yaml: must be a mapping of sections, found a list"),
    ("", "vocabularies.yaml: must be a mapping of sections, found nothing"),
    ("rag: {values: [R]}\n", "'delivery_status' is missing or empty"),
    ("delivery_status: {values: [Started]}\n", "'rag' is missing or empty"),
    ("delivery_status: {values: []}\nrag: {values: [R]}\n", "'delivery_status.values' must list"),
    (
        "delivery_status: {values: [Started], aliases: {WIP: started}}\nrag: {values: [R]}\n",
        "delivery_status alias 'WIP' points at 'started', not one of: Started",
    ),
    (
        "delivery_status: {values: [Started, Paused], aliases: {WIP: Started, wip: Paused}}\n"
        "rag: {values: [R]}\n",
        "'wip' in delivery_status means 'Paused', but 'WIP' already means 'Started'",
    ),
    (
        "delivery_status:\n  values: [Started]\n  aliases:\n    WIP: Started\n    WIP: Started\n"
        "rag: {values: [R]}\n",
        "vocabularies.yaml: duplicate key 'WIP' (line 5)",
    ),
    (
        "delivery_status: {values: [Started, Paused], aliases: {Started: Paused}}\n"
        "rag: {values: [R]}\n",
        "'Started' in delivery_status means 'Paused', but 'Started' already means 'Started'",
    ),
    (
        "delivery_status: {values: [Started, started]}\nrag: {values: [R]}\n",
        "'started' is listed twice in 'delivery_status.values'",
    ),
    (
        "delivery_status: {values: [Started], aliases: {yes: Started}}\nrag: {values: [R]}\n",
        "must be text, found yes/no value True (put it in quotes)",
    ),
    (
        "delivery_status: {values: [Started], colour: red}\nrag: {values: [R]}\n",
        "unknown key 'colour' in delivery_status",
    ),
    ("delivery_stauts: {values: [Started]}\n", "unknown key 'delivery_stauts' in the file"),
    (
        "delivery_status: {values: [Started]}\nrag: {values: [R], fills: {B: ['0000FF']}}\n",
        "rag.fills names 'B', not one of: R",
    ),
    (
        "delivery_status: {values: [Started]}\nrag: {values: [R], fills: {R: [red]}}\n",
        "rag.fills.R: 'red' is not an RGB colour",
    ),
    (
        "delivery_status: {values: [Started]}\nrag: {values: [R], fills: {R: [110000]}}\n",
        "rag.fills.R: 110000 is not an RGB colour; write six hex digits in quotes",
    ),
    (
        "delivery_status: {values: [Started]}\nrag: {values: [R], fill_tolerance: -1}\n",
        "rag.fill_tolerance must be a number from 0 to 441",
    ),
    (
        "delivery_status: {values: [Started]}\nrag: {values: [R], aliases: {Red: Rouge}}\n",
        "rag alias 'Red' points at 'Rouge', not one of: R",
    ),
    (
        "delivery_status: {values: [Started]}\nrag: {values: [R], not_applicable: [R]}\n",
        "'R' in rag means 'not applicable', but 'R' already means 'R'",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_VOCABULARIES)
def test_a_bad_vocabularies_file_is_one_line_naming_it(
    schemas: Path, text: str, message: str
) -> None:
    (schemas / "vocabularies.yaml").write_text(text, encoding="utf-8")
    error = load_error(schemas)
    assert error.startswith("schemas/vocabularies.yaml: ")
    assert message in error
    assert "\n" not in error


COUNCILS_OK = "councils:\n  - {code: HDC, name: Hart District Council, aliases: [Hart]}\n"

BAD_COUNCILS = [
    ("councils: [oops", "councils.yaml: not valid YAML"),
    ("groups: {}\n", "'councils' must be a list of councils"),
    ("councils: []\n", "'councils' must be a list of councils"),
    ("councils:\n  - {name: Hart}\n", "council 1 code must be text, found nothing"),
    ("councils:\n  - {code: HDC}\n", "council HDC name must be text, found nothing"),
    (
        "councils:\n  - {code: HDC, name: Hart, region: Hampshire}\n",
        "unknown key 'region' in council 1",
    ),
    (
        "councils:\n  - {code: HDC, name: Hart}\n  - {code: hdc, name: Hart Two}\n",
        "council code 'hdc' is listed twice",
    ),
    (
        "councils:\n  - {code: HDC, name: Hart, aliases: [South]}\n"
        "  - {code: SODC, name: South Oxfordshire, aliases: [South]}\n",
        "'South' in councils means SODC, but 'South' already means HDC",
    ),
    (COUNCILS_OK + "groups: {S&V: [SODC, XYZ]}\n", "group 'S&V' names unknown council 'SODC'"),
    (
        COUNCILS_OK + "groups: {All: everyone}\n",
        "group 'All' must list council codes or say 'every'",
    ),
    (COUNCILS_OK + "groups: {None: []}\n", "group 'None' must list council codes"),
    (
        "councils:\n  - {code: HDC, name: Hart}\n  - {code: HBC, name: Havant}\n"
        "groups: {hart: every}\n",
        "'hart' in councils means HDC+HBC, but 'Hart' already means HDC",
    ),
    (COUNCILS_OK + "groups: {'Hart, Havant': [HDC]}\n", "name 'Hart, Havant' holds a comma"),
    (COUNCILS_OK + "scope_phrase_min_words: 0\n", "scope_phrase_min_words must be a whole number"),
    (
        COUNCILS_OK + "scope_phrase_min_words: three\n",
        "scope_phrase_min_words must be a whole number",
    ),
    (
        COUNCILS_OK + "groups:\n  All: every\n  All: every\n",
        "councils.yaml: duplicate key 'All' (line 5)",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_COUNCILS)
def test_a_bad_councils_file_is_one_line_naming_it(schemas: Path, text: str, message: str) -> None:
    (schemas / "councils.yaml").write_text(text, encoding="utf-8")
    error = load_error(schemas)
    assert error.startswith("schemas/councils.yaml: ")
    assert message in error
    assert "\n" not in error


def test_a_file_that_is_not_utf8_is_one_line_naming_it(schemas: Path) -> None:
    (schemas / "councils.yaml").write_bytes(b"councils: \xff\xfe\n")
    assert load_error(schemas) == "schemas/councils.yaml: is not UTF-8 text"


def test_empty_optional_sections_mean_none(schemas: Path) -> None:
    (schemas / "councils.yaml").write_text(COUNCILS_OK + "groups:\n", encoding="utf-8")
    vocab: Vocabularies = load_vocabularies(schemas)
    assert (vocab.councils.codes, vocab.councils.groups) == (("HDC",), ())


def test_a_vocabulary_unpickled_in_another_process_hashes_as_one_read_there() -> None:
    """Text hashes differ from process to process: the kept hash is made again."""
    import os
    import pickle
    import subprocess
    import sys

    code = (
        "import pickle, sys\n"
        "from planbook.schemas import load_vocabularies\n"
        "old = pickle.loads(sys.stdin.buffer.read())\n"
        "new = load_vocabularies(None)\n"
        "print(old == new.status, old in {new.status})\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(load_vocabularies(None).status),
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "7"},
    )
    assert ran.stdout.decode().split() == ["True", "True"], ran.stderr.decode()
