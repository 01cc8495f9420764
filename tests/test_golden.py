"""The writer against reviewed reference files, part by part, as XlsxWriter's own tests
compare its output with files Excel saved.

Each input in tests/golden/ (built by tests/golden/make_golden.py) is formatted now, as of
the golden date, and every zip member of the result is compared with the same member of
its reviewed ``*.formatted.xlsx``: XML parsed with defusedxml and canonicalised (C14N 2.0),
so only a real difference fails, and the message names the part and shows the lines that
differ. ``format`` patches the input's own package, so the parts planbook does not own
(docProps/core.xml, the theme, a cover or notes sheet) are the input's, byte for byte.

After an intended change to the writer, rebuild the outputs with ``make_golden.py
--outputs`` (the committed inputs stay as they are), review them part by part (diff the
XML against the input's and the last output's; PDF and PNG, as its docstring says), and
commit them with the change.

Then small unit tests of the writer's helpers.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
import xlsxwriter
from defusedxml import ElementTree as SafeET

import planbook
from golden.make_golden import AS_OF, GOLDEN, INPUTS, formatted_name, write_formatted
from planbook.derive import Settings
from planbook.export import export_records
from planbook.write.xlsx import _BASE, Formats, _excel_text, excel_serial

CASES = sorted(INPUTS)


def canonical(data: bytes) -> str:
    """An XML part in C14N 2.0 form (attributes sorted, namespace prefixes renamed in
    order), one tag a line, for comparing and diffing. defusedxml vets the part first:
    no DTD, no entities."""
    SafeET.fromstring(data)
    text = ElementTree.canonicalize(data.decode("utf-8"), rewrite_prefixes=True)
    return text.replace("><", ">\n<")


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def difference(name: str, expected: bytes, got: bytes) -> str | None:
    """None when the parts are the same; else a message naming the part and the diff."""
    if name.endswith((".xml", ".rels")):
        want, have = canonical(expected), canonical(got)
    else:
        want, have = expected.hex(" ", 16), got.hex(" ", 16)
    if want == have:
        return None
    diff = difflib.unified_diff(
        want.splitlines(), have.splitlines(), "golden/" + name, "written/" + name, lineterm=""
    )
    lines = list(diff)
    shown = "\n".join(lines[:60]) + ("\n..." if len(lines) > 60 else "")
    return f"part {name} differs from the golden file:\n{shown}"


def test_every_golden_input_has_its_reviewed_output() -> None:
    assert CASES == ["cover_and_forward_look.xlsx", "tracked.xlsx"]
    for name in CASES:
        assert (GOLDEN / name).is_file(), f"run tests/golden/make_golden.py to build {name}"
        assert (GOLDEN / formatted_name(name)).is_file(), f"missing {formatted_name(name)}"


@pytest.fixture(params=CASES)
def written(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    """(golden output, the same input formatted now)."""
    name = request.param
    return GOLDEN / formatted_name(name), write_formatted(GOLDEN / name, tmp_path / "now.xlsx")


def test_written_workbook_has_the_golden_parts(written: tuple[Path, Path]) -> None:
    golden, now = written
    assert sorted(parts(now)) == sorted(parts(golden))


def test_written_workbook_equals_the_golden_one_part_by_part(
    written: tuple[Path, Path],
) -> None:
    golden, now = written
    want, have = parts(golden), parts(now)
    differences = [
        message
        for name in sorted(want.keys() & have.keys())
        if (message := difference(name, want[name], have[name])) is not None
    ]
    assert not differences, "\n\n".join(differences)


def test_golden_outputs_read_back_as_the_same_plan() -> None:
    """The reviewed files themselves hold the plan: same export, statuses canonical."""
    settings = Settings(as_of=AS_OF)
    for name in CASES:
        source = planbook.read_workbook(GOLDEN / name)
        output = planbook.read_workbook(GOLDEN / formatted_name(name))
        keys = ("sheet", "row", "ref", "description", "milestone", "due", "status_canonical")
        before = [{k: r[k] for k in keys} for r in export_records(source, settings)]
        after = [{k: r[k] for k in keys} for r in export_records(output, settings)]
        assert after == before, name


#: Input -> the parts of its formatted output planbook does not own: the input's bytes.
CARRIED = {
    "tracked.xlsx": ["docProps/app.xml", "docProps/core.xml", "xl/theme/theme1.xml"],
    "cover_and_forward_look.xlsx": [
        "docProps/app.xml",
        "docProps/core.xml",
        "xl/theme/theme1.xml",
        "xl/worksheets/sheet1.xml",  # Cover
        "xl/worksheets/sheet3.xml",  # Notes
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_the_golden_outputs_carry_the_parts_planbook_does_not_own_byte_for_byte(
    name: str,
) -> None:
    source, output = parts(GOLDEN / name), parts(GOLDEN / formatted_name(name))
    assert {part: output[part] for part in CARRIED[name]} == {
        part: source[part] for part in CARRIED[name]
    }


def test_the_golden_custom_properties_carry_the_as_of_date_and_the_amber_window() -> None:
    custom = parts(GOLDEN / "tracked.formatted.xlsx")["docProps/custom.xml"].decode()
    assert 'name="planbook as of"><vt:lpwstr>2022-03-17</vt:lpwstr>' in custom
    assert 'name="planbook amber days"><vt:lpwstr>30</vt:lpwstr>' in custom


def test_a_changed_part_is_named_in_the_message() -> None:
    golden = parts(GOLDEN / "tracked.formatted.xlsx")
    sheet = golden["xl/worksheets/sheet1.xml"]
    message = difference("xl/worksheets/sheet1.xml", sheet, sheet.replace(b'r="A1"', b'r="A2"'))
    assert message is not None
    assert message.startswith("part xl/worksheets/sheet1.xml differs")
    assert '\n-<n0:c r="A1"' in message and '\n+<n0:c r="A2"' in message


def test_attribute_order_and_namespace_prefixes_do_not_count() -> None:
    one = b'<?xml version="1.0" encoding="UTF-8"?>\n<a xmlns="urn:x" b="1" c="2"><d/></a>'
    two = b'<x:a xmlns:x="urn:x" c="2" b="1"><x:d></x:d></x:a>'
    assert difference("part.xml", one, two) is None


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("day", "serial"),
    [
        (dt.date(1899, 12, 31), 1),
        (dt.date(1900, 3, 1), 61),  # Excel's serial, past its phantom 29 February 1900
        (dt.date(2022, 3, 17), 44637),
        (dt.date(2022, 4, 30), 44681),
    ],
)
def test_excel_serial_is_the_number_excel_stores_for_a_day(day: dt.date, serial: int) -> None:
    assert excel_serial(day) == serial


class CountingWorkbook:
    """Stands in for an XlsxWriter workbook: counts the formats made."""

    def __init__(self) -> None:
        self.made: list[dict[str, object]] = []

    def add_format(self, properties: dict[str, object]) -> object:
        self.made.append(properties)
        return object()


def test_formats_gives_one_format_for_equal_properties() -> None:
    workbook = CountingWorkbook()
    formats = Formats(workbook)
    first = formats(bold=True, border=1)
    assert formats(border=1, bold=True) is first
    assert len(workbook.made) == 1


def test_formats_makes_a_new_format_for_other_properties() -> None:
    workbook = CountingWorkbook()
    formats = Formats(workbook)
    assert formats(bold=True) is not formats(italic=True)
    assert len(workbook.made) == 2


def test_formats_ignores_the_fit_hint_and_adds_the_base_properties() -> None:
    workbook = CountingWorkbook()
    formats = Formats(workbook)
    assert formats(bold=True, fit=True) is formats(bold=True)
    assert workbook.made == [{**_BASE, "bold": True}]


def test_formats_work_with_a_real_xlsxwriter_workbook() -> None:
    workbook = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    formats = Formats(workbook)
    assert formats(num_format="dd/mm/yyyy") is formats(num_format="dd/mm/yyyy")
    assert formats(num_format="dd/mm/yyyy").num_format == "dd/mm/yyyy"
    workbook.close()


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("Complete", '"Complete"'),
        ("", '""'),
        ('say "done"', '"say ""done"""'),
        ('"', '""""'),
    ],
)
def test_excel_text_quotes_a_string_for_a_formula(text: str, quoted: str) -> None:
    assert _excel_text(text) == quoted
