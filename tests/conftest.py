"""Fixtures shared by the tests: the sample workbook and the plan planbook reads from it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import planbook
from planbook.schemas import default_schemas_dir
from workbooks import SAMPLE_WORKBOOK


@pytest.fixture(scope="session")
def sample_path() -> Path:
    """The 2022/23 sample workbook (Cover and four service sheets)."""
    assert SAMPLE_WORKBOOK.is_file(), f"missing sample workbook {SAMPLE_WORKBOOK}"
    return SAMPLE_WORKBOOK


@pytest.fixture(scope="session")
def sample_plan(sample_path: Path) -> planbook.Plan:
    """The sample as planbook reads it, read once for the whole session."""
    return planbook.read_workbook(sample_path)


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    """A copy of the shipped schemas a test may edit."""
    return Path(shutil.copytree(default_schemas_dir(), tmp_path / "schemas"))


@pytest.fixture
def temp_root(tmp_path: Path) -> Iterator[Path]:
    """The server's temporary folders go here; every test ends with it empty."""
    root = tmp_path / "server-temp"
    root.mkdir()
    yield root
    assert list(root.iterdir()) == [], "a request left files behind"
