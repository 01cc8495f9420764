"""Generate large plan workbooks shaped like the real ones, for the benchmark.

Each service sheet has a header block, a cover-like title, three parts (Part 1 and 2
with Delivery Status, RAG and Progress; Part 3 a forward look), about three milestones
per item, long progress notes, 70% of due dates real Excel dates and the rest the text
forms leads write. Deterministic for a seed.

    python scripts/generate_plans.py SHEETS ROWS OUT.xlsx [--per-service DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections.abc import Sequence
from pathlib import Path

STATUSES = ["Not started", "Started", "Paused", "Complete", "WIP", "Closed", "In progress"]
RAGS = ["R", "A", "G", "", "", "n/a"]
COUNCILS = ["All", "Hart, Havant", "S&V", "H&EH, S&V, Mendip", "Mendip", "HEH", "South and Vale"]
TEXT_DUES = ["Ongoing", "TBC", "By 30 April 2022", "Annual, Q3", "30/9/22 TBC", "asap"]
WORDS = [
    "review",
    "proposal",
    "council",
    "migration",
    "service",
    "delivery",
    "plan",
    "client",
    "capita",
    "project",
    "tenancy",
    "programme",
    "security",
    "backup",
    "network",
    "report",
    "agreed",
    "scheduled",
    "update",
    "phase",
]
TRACKED = [
    "Ref",
    "Description",
    "Milestones",
    "Due Dates",
    "Lead",
    "Driver or Source",
    "Council(s) Impacted",
    "Delivery Status (Not started, Started, Paused, Complete)",
    "RAG Status R = late A = Risk of delay G = on track",
    "Progress",
]
FORWARD = TRACKED[:7]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def _rows(rng: random.Random, rows: int) -> list[list[object]]:
    """``rows`` table rows: items of about three milestones each."""
    out: list[list[object]] = []
    start = dt.datetime(2022, 4, 1)
    while len(out) < rows:
        milestones = rng.choice((1, 2, 3, 3, 3, 4, 5))
        for index in range(milestones):
            if len(out) >= rows:
                break
            due: object = start + dt.timedelta(days=rng.randrange(-200, 400))
            if rng.random() >= 0.7:
                due = rng.choice(TEXT_DUES)
            notes = [
                f"{rng.randrange(1, 28):02d}/{rng.randrange(1, 12):02d}/2021 - "
                f"{_sentence(rng, 25)}."
                for _ in range(rng.choice((1, 2, 3)))
            ]
            progress = " ".join(notes)
            out.append(
                [
                    f"R{len(out)}" if index == 0 and rng.random() < 0.2 else None,
                    _sentence(rng, 12) if index == 0 else None,
                    _sentence(rng, 8),
                    due,
                    rng.choice(["Capita", "Client", "Capita/Client"]),
                    rng.choice(["Obligation Matrix", "Business requirement", None]),
                    rng.choice(COUNCILS) if index == 0 else None,
                    rng.choice(STATUSES),
                    rng.choice(RAGS),
                    progress,
                ]
            )
    return out


def write_sheet(workbook: object, name: str, rows: int, rng: random.Random) -> None:
    worksheet = workbook.add_worksheet(name)  # type: ignore[attr-defined]
    date_format = workbook.add_format({"num_format": "dd/mm/yy"})  # type: ignore[attr-defined]
    line = 0

    def put(values: Sequence[object]) -> None:
        nonlocal line
        for column, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, dt.datetime):
                worksheet.write_datetime(line, column, value, date_format)
            else:
                worksheet.write_string(line, column, str(value))
        line += 1

    for values in (
        ["Annual Plan for:", f"{name} 2022/23"],
        ["Last Update (Date and Who by)", "7 March 2022 (MG / DR)"],
        ["JTB Review", dt.datetime(2022, 3, 17)],
        ["Agreed Date and Who By:"],
        [],
        ["Sections: Part 1 - Outstanding Transition Items"],
        ["Part 2 - Annual Plan Items"],
        ["Part 3 - Forward Look"],
        [],
    ):
        put(values)
    part_rows = [rows // 10, rows - rows // 10 - rows // 10, rows // 10]
    titles = [
        "Part 1 - Outstanding Transition Actions",
        "Part 2 - Annual Plan Items",
        "Part 3 - Forward Look",
    ]
    for title, count, header in zip(titles, part_rows, (TRACKED, TRACKED, FORWARD), strict=True):
        put([title])
        put(list(header))
        for values in _rows(rng, count):
            put(values[: len(header)])
        put([])


def generate(sheets: int, rows: int, out: Path, per_service: Path | None = None) -> list[Path]:
    """One workbook of ``sheets`` services with ``rows`` table rows each (and, with
    ``per_service``, one workbook per service too). Returns the files written."""
    import xlsxwriter

    written = []
    options = {
        "constant_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    workbook = xlsxwriter.Workbook(str(out), options)
    for index in range(sheets):
        write_sheet(workbook, f"Service {index + 1}", rows, random.Random(index))
    workbook.close()
    written.append(out)
    if per_service is not None:
        per_service.mkdir(parents=True, exist_ok=True)
        for index in range(sheets):
            path = per_service / f"service_{index + 1}.xlsx"
            single = xlsxwriter.Workbook(str(path), options)
            write_sheet(single, f"Service {index + 1}", rows, random.Random(index))
            single.close()
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sheets", type=int)
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-service", type=Path)
    args = parser.parse_args()
    generate(args.sheets, args.rows, args.out, args.per_service)


if __name__ == "__main__":
    main()
