"""`planbook export`: the flat view, one row per milestone (an item with none: one row).

Counts are taken from the seed text by `workbooks.seed_tables` (RULES.md alone), and
from small generated tables whose structure the test itself decides.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import planbook
from planbook import Plan
from planbook.cli import cli
from planbook.derive import Settings
from planbook.export import EXPORT_COLUMNS, export_records, render_export, to_dataframe
from planbook.outline import outline
from workbooks import (
    PLAN_HEADER,
    SAMPLE_SHEETS,
    CellInput,
    seed_sheets,
    seed_tables,
    write_workbook,
)

COLUMNS = (
    "sheet",
    "service",
    "part",
    "item",
    "ref",
    "description",
    "milestone",
    "due",
    "lead",
    "outcome",
    "councils",
    "status",
    "rag",
    "progress",
    "row",
    "due_date",
    "due_kind",
    "status_canonical",
    "council_codes",
    "rag_derived",
    "item_rag_derived",
)

#: Counted by hand from the seed: sheet -> (milestones, items, items without a milestone).
SEED_COUNTS = {
    "Customer Services": (12, 8, 0),
    "Revenues and Benefits": (32, 10, 2),
    "Land Charges": (11, 5, 0),
    "IT": (50, 39, 0),
}
#: Item rows that are no milestone but carry other text, with milestones below them: the
#: export keeps these rows too (docs/reading.md). IT!37 `Nuvm to Azure`: notes under RAG.
TEXTED_ITEM_ROWS = {"IT": 1}

#: Cells that hold real Excel dates in the sample, and one free-text due date.
DATES = [  # sheet, row, field, exported text
    ("Customer Services", 17, "due", "31/01/22 go live April - June evaluation"),
    ("Customer Services", 22, "due", "2022-07-01"),
    ("Revenues and Benefits", 17, "due", "2022-04-30"),
    ("Revenues and Benefits", 45, "due", "By 30 April 2022"),
    ("Land Charges", 20, "due", "2022-06-01"),
    ("IT", 34, "due", "2019-12-31"),
    ("IT", 36, "milestone", "2020-03-31"),  # a shifted row: the date stands under Milestones
]

SEED = seed_sheets()
PLAN_SHEETS = SAMPLE_SHEETS[1:]


def seed_milestone_rows() -> Counter[tuple[str, int]]:
    return Counter(
        (sheet, row)
        for sheet in PLAN_SHEETS
        for table in seed_tables(SEED[sheet])
        for item in table.items
        for row in item.milestones
    )


def record_at(plan: Plan, sheet: str, row: int) -> dict[str, Any]:
    (record,) = [r for r in export_records(plan) if (r["sheet"], r["row"]) == (sheet, row)]
    return record


# --------------------------------------------------------------------------- columns


def test_export_columns_are_in_the_documented_order() -> None:
    assert EXPORT_COLUMNS == COLUMNS


def test_every_record_has_the_columns_in_order(sample_plan: Plan) -> None:
    orders = {tuple(record) for record in export_records(sample_plan)}
    assert orders == {COLUMNS}


def test_csv_header_line_lists_the_columns_in_order(sample_plan: Plan) -> None:
    first_line = render_export(sample_plan, "csv").split("\n", 1)[0]
    assert first_line == ",".join(COLUMNS)


def test_dataframe_starts_with_the_export_columns(sample_plan: Plan) -> None:
    assert tuple(to_dataframe(sample_plan).columns[: len(COLUMNS)]) == COLUMNS


# --------------------------------------------------------------------------- rows of the sample


def test_hand_counts_match_the_seed_text() -> None:
    counted = {
        sheet: (
            sum(len(item.milestones) for t in seed_tables(SEED[sheet]) for item in t.items),
            sum(len(t.items) for t in seed_tables(SEED[sheet])),
            sum(not item.milestones for t in seed_tables(SEED[sheet]) for item in t.items),
        )
        for sheet in PLAN_SHEETS
    }
    assert counted == SEED_COUNTS


def test_export_lists_every_milestone_of_the_seed_exactly_once(sample_plan: Plan) -> None:
    exported = Counter((record["sheet"], record["row"]) for record in export_records(sample_plan))
    milestones = seed_milestone_rows()
    assert {key: exported[key] for key in milestones} == dict(milestones)


def test_export_has_a_row_per_milestone_per_bare_item_and_per_texted_item_row(
    sample_plan: Plan,
) -> None:
    rows = Counter(record["sheet"] for record in export_records(sample_plan))
    expected = {
        sheet: milestones + bare + TEXTED_ITEM_ROWS.get(sheet, 0)
        for sheet, (milestones, _, bare) in SEED_COUNTS.items()
    }
    assert dict(rows) == expected  # 105 milestones + 2 bare items + 1 texted item row


def test_item_without_milestones_is_one_row_with_empty_milestone_fields(
    sample_plan: Plan,
) -> None:
    record = record_at(sample_plan, "Revenues and Benefits", 51)
    assert (record["ref"], record["description"], record["milestone"], record["due"]) == (
        "RB13",
        "Unified Academy Desktop",
        "",
        "",
    )


def test_items_are_numbered_from_1_within_each_sheet(sample_plan: Plan) -> None:
    expected = {
        (sheet, row): number
        for sheet in PLAN_SHEETS
        for number, item in enumerate(
            (item for table in seed_tables(SEED[sheet]) for item in table.items), start=1
        )
        for row in item.rows
    }
    found = {(r["sheet"], r["row"]): r["item"] for r in export_records(sample_plan)}
    assert {key: expected.get(key) for key in found} == found


def test_every_item_of_the_seed_has_its_number(sample_plan: Plan) -> None:
    numbers = {
        sheet: sorted({r["item"] for r in export_records(sample_plan) if r["sheet"] == sheet})
        for sheet in PLAN_SHEETS
    }
    assert numbers == {
        sheet: list(range(1, items + 1)) for sheet, (_, items, _) in SEED_COUNTS.items()
    }


@pytest.mark.parametrize(("sheet", "row", "name", "text"), DATES)
def test_dates_are_exported_as_iso_and_free_text_as_written(
    sample_plan: Plan, sheet: str, row: int, name: str, text: str
) -> None:
    assert record_at(sample_plan, sheet, row)[name] == text


def test_milestone_row_carries_its_items_sheet_service_part_and_fields(
    sample_plan: Plan,
) -> None:
    record = export_records(sample_plan, Settings(as_of=dt.date(2022, 3, 17)))
    assert next(r for r in record if (r["sheet"], r["row"]) == ("Revenues and Benefits", 18)) == {
        "sheet": "Revenues and Benefits",
        "service": "Revenues and Benefits 2022/23",
        "part": 2,
        "item": 1,
        "ref": "",
        "description": "Tel-Solutions - functionality review ALL areas",
        "milestone": "Presentation on possibilities to all authorities",
        "due": "2022-05-31",
        "lead": "Capita / Authorities",
        "outcome": "",
        "councils": "",
        "status": "Not started",
        "rag": "",
        "progress": "",
        "row": 18,
        "due_date": "2022-05-31",
        "due_kind": "date",
        "status_canonical": "Not started",
        "council_codes": "",
        "rag_derived": "G",
        "item_rag_derived": "G",
    }


def test_untitled_table_rows_carry_the_inferred_part(sample_plan: Plan) -> None:
    assert record_at(sample_plan, "Revenues and Benefits", 49)["part"] == 3


# --------------------------------------------------------------------------- formats


def test_csv_round_trips_through_pandas(sample_plan: Plan) -> None:
    frame = pd.read_csv(
        io.StringIO(render_export(sample_plan, "csv")), dtype=str, keep_default_na=False
    )
    as_text = [{k: str(v) for k, v in record.items()} for record in export_records(sample_plan)]
    assert frame.to_dict("records") == as_text


def test_json_equals_export_records(sample_plan: Plan) -> None:
    assert json.loads(render_export(sample_plan, "json")) == export_records(sample_plan)


# --------------------------------------------------------------------------- -o FILE


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_o_writes_the_file_and_nothing_to_stdout(
    sample_path: Path, sample_plan: Plan, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"plan.{fmt}"
    result = CliRunner().invoke(cli, ["export", str(sample_path), "--format", fmt, "-o", str(out)])
    assert (result.exit_code, result.stdout) == (0, "")
    assert out.read_text(encoding="utf-8") == render_export(sample_plan, fmt)


def same_file(path: Path) -> str:
    return str(path.parent / "." / path.name)


def linked_file(path: Path) -> str:
    link = path.parent / "link.xlsx"
    link.symlink_to(path)
    return str(link)


@pytest.mark.parametrize(
    "spelling", [str, same_file, linked_file], ids=["same-path", "dot-segment", "symlink"]
)
def test_export_o_refuses_to_overwrite_the_input_workbook(
    sample_path: Path, tmp_path: Path, spelling: Any
) -> None:
    workbook = tmp_path / "plan.xlsx"
    workbook.write_bytes(sample_path.read_bytes())
    before = hashlib.sha256(workbook.read_bytes()).hexdigest()
    result = CliRunner().invoke(cli, ["export", str(workbook), "-o", spelling(workbook)])
    assert result.exit_code == 2
    assert result.stderr.startswith("planbook: error: ")
    assert result.stderr.count("\n") == 1
    assert hashlib.sha256(workbook.read_bytes()).hexdigest() == before


# --------------------------------------------------------------------------- generated tables

HEADER: list[CellInput] = PLAN_HEADER
FIELDS = ("ref", "description", "milestone", "due", "lead", "outcome", "councils", "status")
FIELDS += ("rag", "progress")
OTHER_FIELDS = FIELDS[2:]
MILESTONE_FIELDS = {"milestone", "due", "status", "progress"}
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "kilo")

texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
items = st.fixed_dictionaries(
    {
        "ref": st.none() | texts,
        "description": st.none() | texts,
        "own": st.dictionaries(st.sampled_from(OTHER_FIELDS), texts, max_size=4),
        "continuations": st.lists(
            st.dictionaries(st.sampled_from(OTHER_FIELDS), texts, min_size=1, max_size=4),
            max_size=3,
        ),
    }
).filter(lambda item: bool(item["ref"] or item["description"]))
tables = st.lists(items, min_size=1, max_size=5)


def table_rows(generated: list[dict[str, Any]]) -> list[list[CellInput]]:
    def row(texts: dict[str, str | None]) -> list[CellInput]:
        return [texts.get(name) for name in FIELDS]

    rows: list[list[CellInput]] = []
    for item in generated:
        rows.append(row({"ref": item["ref"], "description": item["description"], **item["own"]}))
        rows.extend(row(texts) for texts in item["continuations"])
    return rows


def read_generated(generated: list[dict[str, Any]]) -> Plan:
    rows = [
        ["Annual Plan for:", "Generated"],
        [],
        ["Part 2 - Annual Plan Items"],
        HEADER,
        *table_rows(generated),
    ]
    with tempfile.TemporaryDirectory() as directory:
        return planbook.read_workbook(write_workbook(Path(directory) / "g.xlsx", {"Plan": rows}))


def milestone_count(item: dict[str, Any]) -> int:
    return int(bool(MILESTONE_FIELDS & set(item["own"]))) + len(item["continuations"])


def strings_in(value: object) -> set[str]:
    """Every string value in nested dicts and lists (not the keys)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return set().union(*(strings_in(v) for v in value))
    return set()


@settings(max_examples=30, deadline=None)
@given(tables)
def test_generated_export_has_a_row_per_milestone_per_bare_item_and_per_texted_item_row(
    generated: list[dict[str, Any]],
) -> None:
    def rows_of(item: dict[str, Any]) -> int:
        head_is_milestone = bool(MILESTONE_FIELDS & set(item["own"]))
        texted_head = not head_is_milestone and bool(item["own"])
        return milestone_count(item) + int(texted_head or not milestone_count(item))

    expected = sum(rows_of(item) for item in generated)
    assert len(export_records(read_generated(generated))) == expected


@settings(max_examples=30, deadline=None)
@given(tables)
def test_generated_milestones_are_each_exported_once(generated: list[dict[str, Any]]) -> None:
    milestones, row = [], 5  # the first item's row: title in 3, header in 4
    for item in generated:
        if MILESTONE_FIELDS & set(item["own"]):
            milestones.append(row)
        milestones.extend(range(row + 1, row + 1 + len(item["continuations"])))
        row += 1 + len(item["continuations"])
    exported = Counter(record["row"] for record in export_records(read_generated(generated)))
    assert {r: exported[r] for r in milestones} == dict.fromkeys(milestones, 1)


@settings(max_examples=30, deadline=None)
@given(tables)
def test_generated_texts_all_appear_in_the_export_or_outline(
    generated: list[dict[str, Any]],
) -> None:
    plan = read_generated(generated)
    shown = strings_in(export_records(plan)) | strings_in(outline(plan))
    written = {text for row in table_rows(generated) for text in row if isinstance(text, str)}
    assert written - shown == set()
