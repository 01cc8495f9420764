"""Build the golden inputs, and write planbook's formatted outputs of them for review.

    .venv/bin/python tests/golden/make_golden.py --outputs  # outputs, of the committed inputs
    .venv/bin/python tests/golden/make_golden.py --inputs   # inputs only
    .venv/bin/python tests/golden/make_golden.py            # inputs and outputs

Each input is small and deliberate; its ``*.formatted.xlsx`` is what ``planbook format
--as-of 2022-03-17`` writes: the input's own package, patched part by part, so every part
planbook does not own (docProps/core.xml, the theme, the Cover...) is the input's, byte
for byte. After a change to the writer, rebuild the outputs only (``--outputs``): a
rebuilt input is other bytes (openpyxl stamps its creation time in docProps/core.xml, and
writes its XML differently with lxml installed or not), and so is every output carrying
it. ``tests/test_golden.py`` formats each input again and compares the result with the
formatted file part by part.

Before committing a new or changed output, look at it: diff its XML parts against the
input's and the last output's (unzip both), convert it to PDF with LibreOffice and to
PNG with poppler

    soffice --headless --convert-to pdf --outdir /tmp/golden tests/golden/*.formatted.xlsx
    pdftoppm -png -r 60 /tmp/golden/tracked.formatted.pdf /tmp/golden/tracked

and check the pages: columns, colours, dropdowns, the Findings, Legend and Change Log.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
sys.path.insert(0, str(GOLDEN.parent))

from workbooks import PLAN_HEADER, CellInput, write_workbook  # noqa: E402

#: The as-of date of every golden output (the sample's board date).
AS_OF = dt.date(2022, 3, 17)

HEADER: list[CellInput] = PLAN_HEADER


def tracked(path: Path) -> Path:
    """One service sheet, one tracked table: aliases (WIP, COMPLETE, Closed, On hold, Red,
    amber), a RAG given only by a green fill and one by an amber fill, real and text due
    dates, a late date, a lead's own Notes column, and a second Insert Line Above marker."""
    rows: list[list[CellInput]] = [
        ["Annual Plan for:", "Revenues and Benefits 2022/23"],
        ["Last Update (Date and Who by)", "7 March 2022 (MG)"],
        ["JTB Review", dt.date(2022, 3, 17)],
        [],
        ["Part 2 - Annual Plan Items"],
        [*HEADER, "Notes"],
        [
            "RB1",
            "Annual billing",
            "Bills printed",
            "01/03/2022",
            "MG",
            "Outcome 1",
            "All",
            "WIP",
            "Red",
            "Printer booked",
            "check with IT",
        ],
        [
            None,
            None,
            "Bills posted",
            dt.date(2022, 3, 31),
            None,
            None,
            None,
            "Not started",
            "amber",
        ],
        [None, None, "Reminders", "By end of Q1", None, None, None, "COMPLETE", None, "done early"],
        [
            "RB2",
            "Discretionary relief",
            "Policy agreed",
            "30/9/22 TBC",
            "DR",
            "Outcome 2",
            "Hart",
            "Closed",
            "n/a",
            "agreed in February",
        ],
        [None, None, "Policy published", "TBC", None, None, None, "On hold", None],
        [
            "RB3",
            "Recovery",
            "Court dates booked",
            "By 30 April 2022",
            "MG",
            "Outcome 1",
            "Mendip",
            "Started",
            "G",
            "two dates held",
        ],
        ["Insert Line Above"],
        ["Insert Line Above"],
    ]
    return write_workbook(
        path,
        {"Revenues and Benefits": rows},
        fills={
            ("Revenues and Benefits", "I9"): "00B050",
            ("Revenues and Benefits", "I11"): "FFC000",
        },
    )


def cover_and_forward_look(path: Path) -> Path:
    """A cover with its Version Control table; a service sheet whose Part 1 table has a
    Delivery Status but no RAG (planbook's columns follow the status) and a Part 3 Forward
    Look (none); formula-like text; a notes sheet that is no plan."""
    it: list[list[CellInput]] = [
        ["Annual Plan for:", "IT 2022/23"],
        ["Last Update (Date and Who by)", "Paul Merrick 7/3/22"],
        [],
        ["Part 1 - Outstanding Transition Actions"],
        ["Ref", "Description", "Milestones", "Due Dates", "Lead", "Delivery Status", "Progress"],
        [
            "T1",
            "Move to Azure",
            "Servers moved",
            dt.date(2022, 2, 28),
            "PM",
            "Started",
            "=two left",
        ],
        [None, None, "Old site closed", "Q1", None, "Not started", "-5 days slack"],
        ["T2", "Laptop refresh", "All users moved", "31/12/2021", "PM", "Complete", "@done"],
        [],
        ["Part 3 - Forward Look"],
        ["Ref", "Description", "Milestones", "Due Dates", "Lead"],
        ["F1", "Telephony review", "Options paper", "Q3", "PM"],
        ["F2", "Data centre exit", "Plan agreed", "Ongoing", "Client"],
    ]
    cover: list[list[CellInput]] = [
        ["Annual Plan"],
        [],
        ["2022/3"],
        [],
        ["Version Control"],
        ["Version", "Changes", "Agreed By", "Date of Review"],
        [1, "Initial drafts to JTB", "JTB", dt.date(2022, 2, 17)],
        [2, "Final draft", "JTB", dt.date(2022, 3, 17)],
    ]
    notes: list[list[CellInput]] = [
        ["Notes from the JTB"],
        ["Telephony to be revisited in Q3", None, "+ budget"],
    ]
    return write_workbook(path, {"Cover": cover, "IT": it, "Notes": notes})


#: Input file name -> the function that builds it.
INPUTS: dict[str, Callable[[Path], Path]] = {
    "tracked.xlsx": tracked,
    "cover_and_forward_look.xlsx": cover_and_forward_look,
}


def formatted_name(name: str) -> str:
    return name.removesuffix(".xlsx") + ".formatted.xlsx"


def write_formatted(source: Path, target: Path) -> Path:
    """What `planbook format SOURCE -o TARGET --as-of 2022-03-17` writes."""
    from planbook.derive import Settings
    from planbook.write import format_workbook

    return format_workbook(source, target, settings=Settings(as_of=AS_OF), live_as_of=False).output


def main(argv: list[str]) -> None:
    for name, build in INPUTS.items():
        if "--outputs" in argv:
            source = GOLDEN / name
        else:
            source = build(GOLDEN / name)
            print(f"wrote {source}")
        if "--inputs" not in argv:
            print(f"wrote {write_formatted(source, GOLDEN / formatted_name(name))}")


if __name__ == "__main__":
    main(sys.argv[1:])
