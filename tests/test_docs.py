"""The docs cannot drift: every finding code and every command is documented, and the
README's set-up commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planbook.cli import cli
from planbook.findings import CODES

ROOT = Path(__file__).resolve().parents[1]
FINDINGS_DOC = ROOT / "docs" / "findings.md"
README = ROOT / "README.md"
MAKEFILE = ROOT / "Makefile"

SECTION = re.compile(r"^### (PB\d{3}) (\S+) \((error|warning|info)\)$", re.MULTILINE)


def documented_codes() -> dict[str, tuple[str, str]]:
    """Code -> (name, severity) from the `### PBxxx name (severity)` headings."""
    text = FINDINGS_DOC.read_text(encoding="utf-8")
    return {code: (name, severity) for code, name, severity in SECTION.findall(text)}


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_finding_code_has_a_section_in_the_findings_doc(code: str) -> None:
    assert code in documented_codes(), f"docs/findings.md has no '### {code} ...' section"


@pytest.mark.parametrize("code", sorted(CODES))
def test_the_findings_doc_gives_each_code_its_name_and_severity(code: str) -> None:
    expected = (CODES[code].name, CODES[code].severity.value)
    assert documented_codes().get(code) == expected


def test_the_findings_doc_lists_no_code_that_does_not_exist() -> None:
    assert sorted(set(documented_codes()) - set(CODES)) == []


def test_every_code_section_heading_is_well_formed() -> None:
    headings = re.findall(r"^### (PB.*)$", FINDINGS_DOC.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(headings) == len(documented_codes()), headings


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_appears_in_the_readme(command: str) -> None:
    assert f"planbook {command}" in README.read_text(encoding="utf-8")


def readme_make_targets() -> list[str]:
    """The `make` targets of the README's set-up commands."""
    return re.findall(r"^make (\S+)", README.read_text(encoding="utf-8"), re.MULTILINE)


def test_the_readme_gives_two_set_up_commands() -> None:
    assert readme_make_targets() == ["demo", "test"]


@pytest.mark.parametrize("target", ["demo", "test"])
def test_each_readme_set_up_command_is_a_makefile_target(target: str) -> None:
    targets = re.findall(r"^([\w.-]+):", MAKEFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert target in targets
