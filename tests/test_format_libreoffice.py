"""The formatted workbook in a real spreadsheet: LibreOffice recalculates planbook's live
Derived RAG formulas and must get planbook's own values (docs/format.md, "The live
Derived RAG"); and the workbook prints to PDF.

planbook caches its value in each Derived RAG cell. To be sure the value compared is
LibreOffice's own, the cached values are replaced by `?` before conversion, and the
LibreOffice profile is set to recalculate Excel files on load. Each run uses its own
profile folder (and HOME), so runs in parallel do not collide.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import planbook
from planbook.derive import Settings, derive_plan
from planbook.schemas import load_vocabularies
from planbook.write import format_workbook
from workbooks import CellInput, write_workbook

SOFFICE = shutil.which("soffice")
if SOFFICE is None and os.environ.get("PLANBOOK_REQUIRE_SOFFICE"):
    # CI installs LibreOffice and sets this: there a missing soffice is a failure.
    raise RuntimeError("PLANBOOK_REQUIRE_SOFFICE is set but soffice is not installed")
pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed: it recalculates the formatted "
    "workbook's formulas and prints it to PDF (CI installs it)",
)

AS_OF = dt.date(2022, 3, 17)
SETTINGS = Settings(as_of=AS_OF)
TIMEOUT = 240
#: One CSV per sheet (the last token, -1), UTF-8 (76), comma-separated, `"`-quoted.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
#: Recalculate formulas of Excel 2007+ files on load, always (LibreOffice's default:
#: never, showing the cached values).
RECALCULATE_ON_LOAD = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
#: A Derived RAG cell as XlsxWriter writes it: its formula reads PlanbookAmberDays.
DERIVED_CELL = re.compile(
    r'<c r="(?P<ref>[A-Z]+\d+)"(?P<style> s="\d+")?(?: t="str")?>'
    r"<f>(?P<formula>[^<]*PlanbookAmberDays[^<]*)</f><v>[^<]*</v></c>"
)


@dataclass(frozen=True)
class LibreOffice:
    home: Path

    def convert(self, source: Path, target: str, outdir: Path) -> None:
        outdir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                str(SOFFICE),
                f"-env:UserInstallation={(self.home / 'profile').as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                target,
                "--outdir",
                str(outdir),
                str(source),
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
            env={**os.environ, "HOME": str(self.home)},
        )
        assert done.returncode == 0, done.stderr

    def sheets_as_csv(self, source: Path, outdir: Path) -> dict[str, list[list[str]]]:
        """Each sheet's values as LibreOffice calculates them: row k is Excel row k."""
        self.convert(source, CSV_FILTER, outdir)
        sheets = {}
        for path in outdir.glob(f"{source.stem}-*.csv"):
            with path.open(encoding="utf-8", newline="") as handle:
                sheets[path.stem.removeprefix(f"{source.stem}-")] = list(csv.reader(handle))
        return sheets


@pytest.fixture(scope="module")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> LibreOffice:
    home = tmp_path_factory.mktemp("libreoffice")
    (home / "profile" / "user").mkdir(parents=True)
    (home / "profile" / "user" / "registrymodifications.xcu").write_text(
        RECALCULATE_ON_LOAD, encoding="utf-8"
    )
    return LibreOffice(home)


def without_cached_derived_rags(source: Path, target: Path) -> dict[str, set[str]]:
    """Copy ``source`` with every Derived RAG cell's cached value replaced by `?`; return
    sheet part -> the cells changed."""
    changed: dict[str, set[str]] = {}
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                text = data.decode("utf-8")

                def blank(match: re.Match[str], part: str = info.filename) -> str:
                    changed.setdefault(part, set()).add(match["ref"])
                    start = f'<c r="{match["ref"]}"{match["style"] or ""} t="str">'
                    return f"{start}<f>{match['formula']}</f><v>?</v></c>"

                data = DERIVED_CELL.sub(blank, text).encode("utf-8")
            copy.writestr(info, data)
    return changed


def column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index


def derived_cells(output: Path) -> dict[str, dict[int, int]]:
    """Sheet -> row -> column of planbook's Derived RAG formula, from the written XML."""
    from defusedxml import ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    found: dict[str, dict[int, int]] = {}
    with zipfile.ZipFile(output) as archive:
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        for sheet in workbook.iter(f"{main}sheet"):
            target = targets[sheet.get(rid)]  # relative to xl/, or absolute in the package
            name = target.lstrip("/") if target.startswith("/") else "xl/" + target
            part = ElementTree.fromstring(archive.read(name))
            for cell in part.iter(f"{main}c"):
                formula = cell.findtext(f"{main}f") or ""
                if "PlanbookAmberDays" in formula:
                    letters, row = re.fullmatch(r"([A-Z]+)(\d+)", cell.get("r")).groups()
                    rows = found.setdefault(sheet.get("name"), {})
                    assert int(row) not in rows, f"two Derived RAG formulas on row {row}"
                    rows[int(row)] = column_index(letters)
    return found


def recalculated(
    libreoffice: LibreOffice, source: Path, directory: Path
) -> list[tuple[str, int, str, str]]:
    """Format ``source`` as of AS_OF; for every milestone, (sheet, row, planbook's derived
    RAG, LibreOffice's recalculation of the Derived RAG formula planbook wrote there)."""
    output = format_workbook(source, directory / "formatted.xlsx", settings=SETTINGS).output
    blanked = directory / "blanked.xlsx"
    changed = without_cached_derived_rags(output, blanked)
    sheets = libreoffice.sheets_as_csv(blanked, directory / "csv")
    formulas = derived_cells(output)
    assert sum(len(cells) for cells in changed.values()) == sum(map(len, formulas.values()))
    plan = planbook.read_workbook(source)
    derivation = derive_plan(plan, SETTINGS, load_vocabularies())
    results = []
    for item in derivation.items:
        if "status" not in item.table.header:
            continue
        for milestone in item.milestones:
            sheet, row = item.sheet.name, milestone.row.row
            column = formulas[sheet][row]
            shown = sheets[sheet][row - 1]
            value = shown[column - 1] if column <= len(shown) else ""
            results.append((sheet, row, milestone.derived or "", value))
    return results


# --------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_recalculated(
    libreoffice: LibreOffice, sample_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[str, int, str, str]]:
    return recalculated(libreoffice, sample_path, tmp_path_factory.mktemp("sample"))


def test_libreoffice_recalculates_every_derived_rag_of_the_sample_to_planbooks(
    sample_recalculated: list[tuple[str, int, str, str]],
) -> None:
    disagreeing = [entry for entry in sample_recalculated if entry[2] != entry[3]]
    assert disagreeing == []


def test_the_samples_derived_rags_were_recalculated_not_read_from_the_cache(
    sample_recalculated: list[tuple[str, int, str, str]],
) -> None:
    shown = [value for *_, value in sample_recalculated]
    assert len(shown) == 82 and "?" not in shown
    assert {"R", "A", "G", "B", ""} <= set(shown)


@pytest.fixture(scope="module")
def sample_pdf(
    libreoffice: LibreOffice, sample_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    directory = tmp_path_factory.mktemp("pdf")
    output = format_workbook(sample_path, directory / "plan.xlsx", settings=SETTINGS).output
    libreoffice.convert(output, "pdf", directory / "pdf")
    return directory / "pdf" / "plan.pdf"


def test_the_formatted_sample_prints_to_pdf(sample_pdf: Path) -> None:
    assert sample_pdf.read_bytes().startswith(b"%PDF-")


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"poppler's {tool} is not installed")
    return subprocess.run(
        [tool, *args], capture_output=True, text=True, timeout=60, check=True
    ).stdout


def test_the_pdf_has_at_least_a_page_a_sheet(sample_pdf: Path) -> None:
    info = poppler("pdfinfo", str(sample_pdf))
    pages = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    assert pages is not None and int(pages.group(1)) >= 8


def test_the_pdf_shows_the_findings_date_and_the_legend_explanation_whole(
    sample_pdf: Path,
) -> None:
    """The Findings title and the Legend's explanation stand in one narrow, wrapped cell
    each: the printed page must show them whole, not the first line or two."""
    shown = " ".join(poppler("pdftotext", str(sample_pdf), "-").split())
    assert "planbook: findings as of 17/03/2022" in shown
    assert "Run planbook format again after changing a due date written as text." in shown


# --------------------------------------------------------------------------- awkward rows

#: Case -> (Due Dates, Delivery Status). Each is one item of one tracked table, in order.
CASES: dict[str, tuple[CellInput, str]] = {
    "a real date, past": (dt.date(2022, 3, 1), "Started"),
    "a real date, the as-of day": (AS_OF, "Started"),
    "a real date, last day of the amber window": (dt.date(2022, 4, 16), "Started"),
    "a real date, first day after the amber window": (dt.date(2022, 4, 17), "Not started"),
    "a text date": ("30/04/2022", "Started"),
    "a text deadline": ("By 30 April 2022", "Started"),
    "a tentative date": ("30/9/22 TBC", "Not started"),
    "a quarter of the plan year": ("By end of Q1", "Started"),
    "a quarter in the past": ("Q3 2021", "Started"),
    "no date, started": ("TBC", "Started"),
    "no date, paused": ("Ongoing", "Paused"),
    "late but complete": (dt.date(2020, 1, 1), "Complete"),
    "late and paused": (dt.date(2022, 1, 1), "Paused"),
    "an alias status": (dt.date(2020, 1, 1), "Closed"),
    "an unknown status": ("30/04/2022", "Pondering"),
    "an impossible text date": ("31/02/22", "Started"),
    "a plain number": (44650, "Started"),
    "a year typed as a number": (2022, "Started"),
    "a date and time at the end of the amber window": (dt.datetime(2022, 4, 16, 12), "Started"),
    "a status with a leading space": (dt.date(2022, 1, 1), " Complete"),
}
HEADER: list[CellInput] = [
    "Ref",
    "Description",
    "Milestones",
    "Due Dates",
    "Lead",
    "Links to Service Outcomes",
    "Councils Impacted",
    "Delivery Status",
    "RAG Status",
    "Progress",
]
FIRST = 5
SHIFTED = "under a repeated header standing one column right"


def awkward_workbook(path: Path) -> tuple[Path, dict[int, str]]:
    """One tracked table, one item per case from row 5; then a repeated header one column
    to the right and one more item under it. Returns the path and row -> case."""
    rows: list[list[CellInput]] = [["Annual Plan for:", "Awkward 2022/23"], [],
                                   ["Part 2 - Annual Plan Items"], HEADER]  # fmt: skip
    cases = {}
    for number, (case, (due, status)) in enumerate(CASES.items(), start=1):
        cases[len(rows) + 1] = case
        rows.append([f"C{number}", case, "Step", due, None, None, None, status, None, "..."])
    rows.append([None, *HEADER])
    cases[len(rows) + 1] = SHIFTED
    rows.append([None, "S1", SHIFTED, "Step", "01/05/2022", None, None, None, "Paused", None])
    return write_workbook(path, {"Plan": rows}), cases


@pytest.fixture(scope="module")
def awkward_recalculated(
    libreoffice: LibreOffice, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[str, str]]:
    """Case -> (planbook's derived RAG, LibreOffice's recalculated Derived RAG)."""
    directory = tmp_path_factory.mktemp("awkward")
    source, cases = awkward_workbook(directory / "awkward.xlsx")
    results = recalculated(libreoffice, source, directory)
    assert {row for _, row, *_ in results} == set(cases)
    return {cases[row]: (derived, shown) for _, row, derived, shown in results}


@pytest.mark.parametrize("case", [*CASES, SHIFTED])
def test_libreoffice_recalculates_the_derived_rag_planbook_derives(
    awkward_recalculated: dict[str, tuple[str, str]], case: str
) -> None:
    """A plain number is no date to planbook (docs/vocabularies.md), so the formula must not
    take it for one; a date's time of day does not count; a status is compared as planbook
    reads it; a row under a moved repeated header is read by that header's columns."""
    planbook_value, libreoffice_value = awkward_recalculated[case]
    assert libreoffice_value == planbook_value


# ------------------------------------------------------------ packages laid out otherwise


@pytest.mark.parametrize("layout", ["workbook part moved", "every part in UTF-16"])
def test_a_package_laid_out_otherwise_opens_formatted_as_the_usual_one_does(
    libreoffice: LibreOffice, tmp_path: Path, layout: str
) -> None:
    """planbook edits such a package where its parts are (docs/reading.md): a real
    spreadsheet shows the formatted file as it shows the usual package formatted."""
    from test_read_nonstandard import base_workbook, utf16, variant, workbook_moved

    change = workbook_moved("excel/", "book.xml") if layout.startswith("workbook") else utf16("*")
    base = base_workbook(tmp_path / "base.xlsx")
    shown = {}
    for name, source in (("usual", base), ("otherwise", variant(base, change))):
        output = format_workbook(source, tmp_path / f"{name}.xlsx", settings=SETTINGS).output
        shown[name] = libreoffice.sheets_as_csv(output, tmp_path / f"{name}-csv")
    assert shown["otherwise"] == shown["usual"]
    assert shown["usual"]  # LibreOffice read sheets at all
