"""``check``: is the plan right? Findings that name the cell and the fix.

Layout findings come from the model (``layout_rules``); everything about values runs
through the pandera table schemas of the schemas folder's ``tables/`` (``tables``), with
the vocabularies of its ``vocabularies.yaml`` and ``councils.yaml``: one loaded folder
(``planbook.schemas.Vocabularies``) serves every workbook of a run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from planbook.board import board_summary
from planbook.check.layout_rules import layout_findings
from planbook.check.rag_rules import rag_findings
from planbook.derive import Derivation, Settings, derive_plan
from planbook.findings import Finding, Report
from planbook.model import Plan
from planbook.read import bulk_objects, reading_ahead
from planbook.schemas import Vocabularies, load_vocabularies

#: Findings about what a value is, which a finding about the cell itself explains: a
#: shifted value, an Excel error, a formula never calculated.
_EXPLAINED_BY_SHIFT = frozenset({"PB201", "PB202", "PB211", "PB221", "PB231"})
_CELL_STORIES = frozenset({"PB105", "PB108", "PB109"})


def check_plan(
    plan: Plan,
    *,
    schemas_dir: Path | None = None,
    settings: Settings | None = None,
    derivation: Derivation | None = None,
    vocabularies: Vocabularies | None = None,
) -> Report:
    """Check a plan read with ``read_workbook`` against the schemas in ``schemas_dir``,
    deriving RAGs as ``settings`` say (default: as of today, a 30-day amber window), or
    using the ``derivation`` the caller already has for this plan."""
    from planbook.check.tables import table_findings

    settings = settings or Settings(as_of=dt.date.today())
    vocabularies = vocabularies or load_vocabularies(schemas_dir)
    table_schemas = vocabularies.table_schemas()
    with bulk_objects():
        findings = [
            *layout_findings(plan),
            *table_findings(plan, vocabularies, table_schemas),
        ]
        # Derived after the tables are validated, not before: the validation's frames
        # and the derivation of a big plan need not be held at once.
        if derivation is None:
            derivation = derive_plan(plan, settings, vocabularies)
        findings.extend(rag_findings(derivation, vocabularies))
        summary = board_summary(derivation)
        return Report.collect(str(plan.path), _one_story_per_cell(findings), summary)


@bulk_objects()  # reading and checking: else the collector rescans the plan between them
def check_workbook(
    path: Path | str, *, schemas_dir: Path | None = None, settings: Settings | None = None
) -> Report:
    """Read and check a workbook."""
    vocabularies = None
    with reading_ahead(path) as workbook:
        if workbook.forked:  # pandas and pandera imported while the child scans
            vocabularies = load_vocabularies(schemas_dir)
            vocabularies.table_schemas()
        plan = workbook.read()
    return check_plan(plan, schemas_dir=schemas_dir, settings=settings, vocabularies=vocabularies)


def _one_story_per_cell(findings: Iterable[Finding]) -> list[Finding]:
    """A shifted row is reported as shifted: not also as bad values at the shifted cells,
    nor as values missing from the cells they were shifted out of."""
    findings = list(findings)
    shifted_cells = {(f.sheet, f.cell) for f in findings if f.code in _CELL_STORIES}
    shifted_rows = {(f.sheet, f.row) for f in findings if f.code == "PB105"}
    return [
        f
        for f in findings
        if not (f.code in _EXPLAINED_BY_SHIFT and (f.sheet, f.cell) in shifted_cells)
        and not (f.code == "PB203" and (f.sheet, f.row) in shifted_rows)
    ]


__all__ = ["check_plan", "check_workbook"]
