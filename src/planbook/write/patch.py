"""``format``'s writer: the lead's own package, patched part by part.

What planbook changes, and nothing else (docs/format.md says the same, for leads):

- in each plan sheet's part: the canonical Delivery Status and RAG, in the same cells
  with their own styles; planbook's columns (``columns.PLANBOOK_COLUMNS``) on tracked
  tables' header and milestone rows, past the last used column or where an earlier pass
  put them; planbook's conditional formats and dropdowns, beside the lead's (where the
  lead has a validation of their own, theirs wins); column widths for planbook's
  columns, and frozen panes only where the sheet has none;
- ``xl/styles.xml``: planbook's styles appended (the lead's keep their indices);
- ``xl/workbook.xml``: planbook's sheets listed, its two names (the as-of and amber
  cells), print titles only where a plan sheet has none, recalculation on open when a
  lead value changed;
- planbook's own sheets (Findings, Legend, Change Log): written whole, replaced on each
  pass;
- ``[Content_Types].xml``, the relationships and ``docProps/custom.xml``: as the parts
  above need.

Every other part is copied byte for byte; in the parts above, every element planbook
does not own is carried as it was.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planbook.columns import (
    AMBER_NAME,
    AS_OF_NAME,
    DATE_FORMAT,
    PLANBOOK_COLUMNS,
    cached_values,
    derived_rag_formula,
    excel_text,
    parsed_due_formula,
)
from planbook.derive import Derivation, Settings, format_day
from planbook.errors import PlanbookError
from planbook.findings import Finding, Report
from planbook.model import (
    CHANGE_LOG_SHEET,
    FINDINGS_SHEET,
    GENERATED_MARK,
    LEGEND_SHEET,
    OtherSheet,
    Plan,
    PlanSheet,
    Segment,
    Table,
    column_letter,
    free_sheet_name,
)
from planbook.schemas import Vocabularies
from planbook.write.own_sheets import OwnSheet
from planbook.write.package import (
    CALC_CHAIN_TYPE,
    CT_NS,
    CUSTOM_CONTENT,
    CUSTOM_PROPERTIES_TYPE,
    MACRO_WORKBOOK_CONTENT,
    MAIN_NS,
    REL_NS,
    STRICT_NS,
    VBA_TYPE,
    WORKBOOK_CONTENT,
    WORKSHEET_CONTENT,
    WORKSHEET_TYPE,
    Package,
    PackageError,
    PartContent,
    add_relationship,
    empty_relationships,
    make_element,
    parse_xml,
    relationships_part,
    serialise_xml,
    sheet_entries,
    spooled,
    write_package,
)
from planbook.write.prepare import Change, is_tracked, planbook_positions
from planbook.write.sheet_xml import (
    CellEdit,
    SheetPatch,
    child,
    column_number,
    insert_in_order,
    patch_worksheet,
)
from planbook.write.styles_xml import GREY, MINIMAL_STYLES, Highlight, Look, Styles

RAG_COLOURS: dict[str, tuple[str, str]] = {  # letter -> (fill, font)
    "R": ("FF0000", "FFFFFF"),
    "A": ("FFC000", "000000"),
    "G": ("00B050", "FFFFFF"),
    "B": ("0070C0", "FFFFFF"),
}
RAG_MEANINGS = {"R": "late", "A": "risk of delay, or paused", "G": "on track", "B": "complete"}
LATE = Highlight(font_colour="C00000", bold=True, fill="FFE0E0")
DONE = Highlight(font_colour="808080")
#: planbook's dropdowns carry this error title: how a later pass knows them for its own.
DROPDOWN_TITLE = "planbook: not a known value"
#: ...and the title the first planbook (which regenerated the workbook) gave them.
_DROPDOWN_TITLES = (DROPDOWN_TITLE, "Not a known value")
_WIDTHS = {"rag_derived": 11, "due_parsed": 13}
_PLANBOOK_NAMES = (AS_OF_NAME, AMBER_NAME)
_X14_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
_XM_NS = "http://schemas.microsoft.com/office/excel/2006/main"
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_COORDINATE = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")
_RANGE = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})(?::\$?([A-Z]{1,3})\$?([0-9]{1,7}))?$")
#: Workbook children in order (ECMA-376 CT_Workbook).
WORKBOOK_ORDER = (
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
    "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
    "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
    "fileRecoveryPr", "webPublishObjects", "extLst",
)  # fmt: skip


@dataclass(frozen=True)
class PatchResult:
    #: The changes made (a canonical value the lead's formula gives is not one).
    changes: tuple[Change, ...]
    notices: tuple[str, ...]
    #: What of the input planbook could not carry (written only with ``allow_loss``).
    losses: tuple[str, ...]
    #: The check of what was written, with the writer's own findings (a lead's
    #: validation kept where planbook would add its dropdown): its Findings sheet.
    report: Report


class LossError(PlanbookError):
    """The input holds something planbook cannot carry, and no loss was allowed."""


def write_patched(
    source: Path,
    target: Path,
    plan: Plan,
    source_plan: Plan,
    changes: Sequence[Change],
    derivation: Derivation,
    report: Report,
    vocabularies: Vocabularies,
    *,
    live_as_of: bool,
    keep_macros: bool,
    allow_loss: bool = False,
) -> PatchResult:
    """Write ``source`` patched to ``target`` (a path not yet in place: the caller renames).

    ``plan`` is the output model (``prepare`` and ``attach_derived``), ``source_plan``
    the input as read. Raises ``LossError`` when something would be lost, unless
    ``allow_loss``.
    """
    with zipfile.ZipFile(source) as archive:
        package = Package(archive)
        patcher = _Patcher(package, plan, source_plan, derivation, vocabularies)
        try:
            written_report = patcher.run(changes, report, live_as_of, macros=keep_macros)
        except PackageError as error:  # raised part by part: the file is named here
            raise PackageError(f"{source}: {error}; nothing written") from error
        if patcher.losses and not allow_loss:
            shown = "; ".join(patcher.losses[:3])
            more = f" (and {len(patcher.losses) - 3} more)" if len(patcher.losses) > 3 else ""
            raise LossError(
                f"{source}: planbook cannot carry everything in this workbook: {shown}{more}; "
                "nothing written (--allow-loss writes it anyway)"
            )
        write_package(
            target,
            package,
            patcher.replaced,
            patcher.added,
            patcher.removed,
            derivation.settings.as_of,
        )
    return PatchResult(
        tuple(patcher.changes), tuple(patcher.notices), tuple(patcher.losses), written_report
    )


@dataclass
class _Looks:
    """planbook's style indices in this workbook."""

    header: int
    derived: int
    date: int
    bold: int
    link: int
    plain_date: int
    wrapped: int
    letters: dict[str, int]
    letter_highlights: dict[str, int]
    late: int
    late_cell: int
    done: int
    done_cell: int

    @classmethod
    def of(cls, styles: Styles) -> _Looks:
        header = Look(bold=True, fill=GREY, border=True, wrap=True)
        return cls(
            header=styles.cell_style(header),
            derived=styles.cell_style(Look(bold=True, border=True, horizontal="center")),
            date=styles.cell_style(Look(border=True, number_format=DATE_FORMAT)),
            bold=styles.cell_style(Look(bold=True)),
            link=styles.cell_style(Look(font_colour="0563C1", underline=True)),
            plain_date=styles.cell_style(Look(number_format=DATE_FORMAT)),
            wrapped=styles.cell_style(Look(wrap=True)),
            letters={
                letter: styles.cell_style(
                    Look(bold=True, fill=fill, font_colour=font, horizontal="center")
                )
                for letter, (fill, font) in RAG_COLOURS.items()
            },
            letter_highlights={
                letter: styles.highlight(Highlight(font_colour=font, bold=True, fill=fill))
                for letter, (fill, font) in RAG_COLOURS.items()
            },
            late=styles.highlight(LATE),
            late_cell=styles.cell_style(Look(font_colour=LATE.font_colour, fill=LATE.fill)),
            done=styles.highlight(DONE),
            done_cell=styles.cell_style(Look(font_colour=DONE.font_colour)),
        )

    @property
    def in_plan_sheets(self) -> frozenset[int]:
        return frozenset({self.header, self.derived, self.date})


@dataclass
class _Patcher:
    package: Package
    plan: Plan
    source_plan: Plan
    derivation: Derivation
    vocabularies: Vocabularies
    replaced: dict[str, PartContent] = field(default_factory=dict)
    added: list[tuple[str, PartContent]] = field(default_factory=list)
    removed: set[str] = field(default_factory=set)
    changes: list[Change] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: (sheet, row, column) of statuses and RAGs the lead's own formula gives.
    kept_formulas: set[tuple[str, int, int]] = field(default_factory=set)

    def run(self, changes: Sequence[Change], report: Report, live: bool, *, macros: bool) -> Report:
        """Make every part that changes; the check of what is written (its Findings)."""
        package = self.package
        self.workbook_part = package.workbook_part()
        workbook_data = package.read(self.workbook_part)
        workbook = parse_xml(workbook_data)
        if workbook.tag.startswith(f"{{{STRICT_NS}}}"):
            raise PackageError(
                "a Strict Open XML workbook; planbook does not write these back (save it "
                "in Excel as 'Excel Workbook (.xlsx)' and format that)"
            )
        relations = package.relationships(self.workbook_part)
        rels_name = relationships_part(self.workbook_part)
        rels = parse_xml(package.read(rels_name)) if rels_name in package else None
        if rels is None:
            rels = empty_relationships()
        self.content_types = parse_xml(package.read("[Content_Types].xml"))
        styles_part = next((r.part for r in relations if r.type.endswith("/styles")), None)
        styles_data = (
            package.read(styles_part)
            if styles_part is not None and styles_part in package
            else None
        )
        styles = Styles(parse_xml(styles_data or MINIMAL_STYLES))
        looks = _Looks.of(styles)
        entries = sheet_entries(workbook, relations)
        self.changes = list(changes)

        recalculate = False
        for sheet in self.plan.plan_sheets:
            source_sheet = self.source_plan.sheet(sheet.name)
            entry = entries[source_sheet.index] if source_sheet.index < len(entries) else None
            if entry is None or entry.part is None or entry.part not in package:
                continue
            recalculate |= self._patch_plan_sheet(sheet, source_sheet, entry.part, looks)
        self._drop_kept_formula_changes()
        self._check_own_parts(entries)
        self.changes += [
            Change("", "", "loss", loss, "", "written with --allow-loss") for loss in self.losses
        ]
        written = Report.collect(
            report.file, [*report.findings, *self.findings], dict(report.extra_summary)
        )
        own_parts = self._own_sheets(written, live, looks)
        names = self._write_own_sheets(own_parts, workbook, rels, entries)
        self._defined_names(workbook, names[LEGEND_SHEET], entries)
        if recalculate:
            calc = child(workbook, "calcPr")
            if calc is None:
                calc = make_element("calcPr")
                insert_in_order(workbook, calc, WORKBOOK_ORDER)
            calc.set("fullCalcOnLoad", "1")
        if not macros:
            self._drop_macros(rels)
        self._custom_properties(live)
        self.replaced[self.workbook_part] = serialise_xml(workbook, workbook_data)
        if rels_name in package:
            self.replaced[rels_name] = serialise_xml(rels, package.read(rels_name))
        else:
            self.added.append((rels_name, serialise_xml(rels, _DECLARATION)))
        if styles.changed and styles_part is not None and styles_data is not None:
            self.replaced[styles_part] = serialise_xml(styles.root, styles_data)
        self.replaced["[Content_Types].xml"] = serialise_xml(
            self.content_types, package.read("[Content_Types].xml")
        )
        return written

    # --- plan sheets ------------------------------------------------------------------------

    def _patch_plan_sheet(
        self, sheet: PlanSheet, source_sheet: Any, part: str, looks: _Looks
    ) -> bool:
        edits: dict[int, dict[int, CellEdit]] = {}
        changed = False
        for change in self.changes:
            if change.sheet != sheet.name or change.field not in ("status", "rag"):
                continue
            row, column = _position(change.cell)
            edits.setdefault(row, {})[column] = CellEdit("text", change.new)
            changed = True
        written_columns: set[int] = set()
        for table in sheet.tables:
            if is_tracked(table):
                self._planbook_cells(sheet, table, edits, looks, written_columns)
        own_cells = frozenset(planbook_positions(source_sheet))
        for row, column in own_cells:  # planbook's old cells it does not write again
            edits.setdefault(row, {}).setdefault(column, CellEdit("delete", style=looks.header))
        changed_columns = frozenset(
            column for row in edits.values() for column, edit in row.items() if edit.style is None
        )
        patch = SheetPatch(
            own_styles=looks.in_plan_sheets, own_cells=own_cells, changed_columns=changed_columns
        )

        def edit_frame(frame: Any) -> bool:
            return _SheetFrame(self, sheet, frame, looks, written_columns).edit()

        data = self.package.read(part)
        stream = patch_worksheet(data, edits, edit_frame, patch)
        # Made in full before anything is written: the loss report comes first.
        self.replaced[part] = spooled(stream())
        self.kept_formulas |= {(sheet.name, row, column) for row, column in patch.kept_formulas}
        for row, column in patch.overwritten:
            self.notices.append(
                f"{sheet.name}!{column_letter(column)}{row}: a cell of the lead's stands where "
                "planbook writes its own column; it is kept, and planbook's cell left out"
            )
        if patch.removed_formulas:
            self._drop_calc_chain()
        return changed

    def _planbook_cells(
        self,
        sheet: PlanSheet,
        table: Table,
        edits: dict[int, dict[int, CellEdit]],
        looks: _Looks,
        written_columns: set[int],
    ) -> None:
        columns = {c.name: table.header[c.name].column for c in PLANBOOK_COLUMNS}
        written_columns.update(columns.values())
        header_rows = [table.header_row]
        header_rows += [cells[0].row for cells in table.repeated_headers if cells]
        for header_row in header_rows:
            for c in PLANBOOK_COLUMNS:
                edits.setdefault(header_row, {})[columns[c.name]] = CellEdit(
                    "text", c.header, style=looks.header
                )
        segments = table.segments
        # One formula per segment, its row number filled in per row: compiling the rules
        # for each of a hundred thousand rows would cost more than all the rest.
        templates: dict[tuple[int | None, int], str] = {}
        for item in table.items:
            for row in item.milestones:
                segment = next(s for s in reversed(segments) if s.header_row <= row.row)
                status = segment.columns.get("status")
                due_cell = row.get("due")
                due_ref = None
                if (
                    "due" in segment.columns
                    and due_cell is not None
                    and isinstance(due_cell.value, dt.date)
                ):  # live only on a real date: a plain number is no date to planbook
                    due_ref = f"{column_letter(segment.columns['due'])}{row.row}"
                milestone = self.derivation.milestone(sheet.name, row.row)
                rag, serial = cached_values(milestone)
                day = milestone.due_date if milestone is not None else None
                wanted = edits.setdefault(row.row, {})
                wanted[columns["due_parsed"]] = CellEdit(
                    "formula", parsed_due_formula(due_ref, day), serial, looks.date
                )
                key = (status, columns["due_parsed"])
                if key not in templates:
                    templates[key] = derived_rag_formula(
                        f"{column_letter(status)}\0" if status else None,
                        f"{column_letter(columns['due_parsed'])}\0",
                        self.vocabularies.status,
                    )
                formula = templates[key].replace("\0", str(row.row))
                wanted[columns["rag_derived"]] = CellEdit("formula", formula, rag, looks.derived)

    def _drop_kept_formula_changes(self) -> None:
        """A value the lead's own formula gives is left to the formula: no change made."""
        kept = self.kept_formulas
        if not kept:
            return
        remaining = []
        for change in self.changes:
            row, column = _position(change.cell)
            if (change.sheet, row, column) in kept:
                self.notices.append(
                    f"{change.sheet}!{change.cell}: '{change.old}' comes from the lead's formula; "
                    f"left as it is (the canonical value is '{change.new}')"
                )
            else:
                remaining.append(change)
        self.changes = remaining

    def _drop_calc_chain(self) -> None:
        """planbook removed formula cells of its own: Excel rebuilds the calculation
        chain, which would otherwise name them."""
        for relation in self.package.relationships(self.workbook_part):
            part = relation.part
            if relation.type == CALC_CHAIN_TYPE and part is not None and part in self.package:
                self.removed.add(part)

    # --- planbook's sheets ------------------------------------------------------------------

    def _own_sheets(self, report: Report, live: bool, looks: _Looks) -> dict[str, OwnSheet]:
        settings = self.derivation.settings
        log = next(
            (
                sheet
                for sheet in self.source_plan.sheets
                if isinstance(sheet, OtherSheet) and sheet.name == CHANGE_LOG_SHEET
            ),
            None,
        )
        return {
            FINDINGS_SHEET: _findings_sheet(report, settings, looks),
            LEGEND_SHEET: _legend_sheet(settings, live, looks),
            CHANGE_LOG_SHEET: _change_log_sheet(log, self.changes, settings.as_of, looks),
        }

    def _write_own_sheets(
        self, own: dict[str, OwnSheet], workbook: Any, rels: Any, entries: list[Any]
    ) -> dict[str, str]:
        """Each of planbook's sheets over its part from an earlier pass, else as a new
        part and sheet; the names they were written under."""
        previous = self._own_entries(entries)
        taken = {entry.name.casefold() for entry in entries}
        sheets_element = child(workbook, "sheets")
        written: dict[str, str] = {}
        for kind, content in own.items():
            if kind in previous:
                self.replaced[previous[kind].part] = content.xml()
                written[kind] = previous[kind].name
                continue
            name = free_sheet_name(kind, taken)
            part = self._new_sheet_part()
            self.added.append((part, content.xml()))
            rel_id = add_relationship(rels, WORKSHEET_TYPE, _relative(self.workbook_part, part))
            sheet_id = max([0, *(e.sheet_id for e in entries)]) + 1 + len(written)
            element = make_element("sheet", name=name, sheetId=str(sheet_id))
            element.set(f"{{{REL_NS}}}id", rel_id)
            sheets_element.append(element)
            self._override(part, WORKSHEET_CONTENT)
            written[kind] = name
        return written

    def _own_entries(self, entries: list[Any]) -> dict[str, Any]:
        """planbook's sheets from an earlier pass, by kind: their workbook entries. The
        Change Log is found by its name; Findings and Legend by their first cell, since a
        lead's own sheet may have taken the name (then planbook's is ``Findings (planbook)``)."""
        found = {}
        for kind in (FINDINGS_SHEET, LEGEND_SHEET, CHANGE_LOG_SHEET):
            sheet = next(
                (
                    s
                    for s in self.source_plan.sheets
                    if isinstance(s, OtherSheet)
                    and (s.name == kind if kind == CHANGE_LOG_SHEET else s.made_by_planbook)
                    and s.name.startswith(kind)
                ),
                None,
            )
            entry = next((e for e in entries if sheet and e.name == sheet.name), None)
            if entry is not None and entry.part is not None and entry.part in self.package:
                found[kind] = entry
        return found

    def _check_own_parts(self, entries: list[Any]) -> None:
        """planbook's sheets from an earlier pass are replaced whole: anything a lead added
        to one (a chart, a merge, a comment...) would be lost, so it is reported."""
        for kind, entry in self._own_entries(entries).items():
            self._check_own_part(entry.part, kind)

    def _check_own_part(self, part: str, kind: str) -> None:
        from lxml import etree

        frame = parse_xml(self.package.read(part))
        expected = {"dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
                    "autoFilter", "hyperlinks", "pageMargins", "pageSetup", "sheetPr",
                    "printOptions", "headerFooter"}  # fmt: skip
        extra = sorted(
            {etree.QName(e).localname for e in frame if isinstance(e.tag, str)} - expected
        )
        if self.package.relationships(part):
            extra.append("relationships (drawings, comments)")
        if extra:
            self.losses.append(f"planbook's '{kind}' sheet holds the lead's {', '.join(extra)}")

    def _new_sheet_part(self) -> str:
        taken = set(self.package.names) | {name for name, _ in self.added}
        folder = self.workbook_part.rsplit("/", 1)[0] + "/worksheets"
        number = 1
        while f"{folder}/sheet{number}.xml" in taken:
            number += 1
        return f"{folder}/sheet{number}.xml"

    def _override(self, part: str, content_type: str) -> None:
        element = make_element("Override", CT_NS, PartName=f"/{part}", ContentType=content_type)
        self.content_types.append(element)

    # --- the workbook part ------------------------------------------------------------------

    def _defined_names(self, workbook: Any, legend: str, entries: list[Any]) -> None:
        names = child(workbook, "definedNames")
        if names is None:
            names = make_element("definedNames")
            insert_in_order(workbook, names, WORKBOOK_ORDER)
        for element in list(names):
            if isinstance(element.tag, str) and element.get("name") in _PLANBOOK_NAMES:
                names.remove(element)
        titled = {
            element.get("localSheetId")
            for element in names
            if isinstance(element.tag, str) and element.get("name") == "_xlnm.Print_Titles"
        }
        for sheet in self.plan.plan_sheets:
            index = str(self.source_plan.sheet(sheet.name).index)
            if sheet.tables and index not in titled:
                row = sheet.tables[0].header_row
                title = make_element("definedName", name="_xlnm.Print_Titles", localSheetId=index)
                title.text = f"{_quoted(sheet.name)}!${row}:${row}"
                names.append(title)
        for name, cell in ((AS_OF_NAME, "$B$3"), (AMBER_NAME, "$B$4")):
            element = make_element("definedName", name=name)
            element.text = f"{_quoted(legend)}!{cell}"
            names.append(element)

    def _drop_macros(self, rels: Any) -> None:
        """An .xlsx written from an .xlsm: the VBA project left out, and said so."""
        for element in list(rels):
            if element.get("Type") == VBA_TYPE:
                rels.remove(element)
        macro_parts = ("vbaproject.bin", "vbaprojectsignature.bin")
        dropped = [n for n in self.package.names if n.lower().endswith(macro_parts)]
        if not dropped:
            return
        self.removed.update(dropped)
        for element in list(self.content_types):
            if element.get("ContentType") == MACRO_WORKBOOK_CONTENT:
                element.set("ContentType", WORKBOOK_CONTENT)
            elif element.get("PartName", "").lstrip("/") in dropped:
                self.content_types.remove(element)
        self.notices.append(
            f"{self.plan.path.name} has macros: they are left out of the .xlsx (never run); "
            "write to an .xlsm to keep them"
        )

    def _custom_properties(self, live: bool) -> None:
        settings = self.derivation.settings
        values = {
            "planbook as of": "today" if live else settings.as_of.isoformat(),
            "planbook amber days": str(settings.amber_days),
        }
        part = "docProps/custom.xml"
        original = self.package.read(part) if part in self.package else None
        if original is not None:
            root = parse_xml(original)
        else:
            from lxml import etree

            root = etree.Element(
                f"{{{_CUSTOM_NS}}}Properties",
                nsmap={None: _CUSTOM_NS, "vt": _VT_NS},  # type: ignore[dict-item]
            )
        changed = original is None
        pids = [int(e.get("pid", "1")) for e in root]
        for name, value in values.items():
            element = next((e for e in root if e.get("name") == name), None)
            if element is None:
                element = make_element(
                    "property", _CUSTOM_NS, fmtid=_FMTID, pid=str(max([1, *pids]) + 1), name=name
                )
                pids.append(int(element.get("pid")))
                root.append(element)
            text = element.find(f"{{{_VT_NS}}}lpwstr")
            if text is None or text.text != value or len(element) != 1:
                for old in list(element):
                    element.remove(old)
                text = make_element("lpwstr", _VT_NS)
                text.text = value
                element.append(text)
                changed = True
        if not changed:
            return
        if original is not None:
            self.replaced[part] = serialise_xml(root, original)
            return
        self.added.append((part, serialise_xml(root, _DECLARATION)))
        self._override(part, CUSTOM_CONTENT)
        package_rels = parse_xml(self.package.read("_rels/.rels"))
        add_relationship(package_rels, CUSTOM_PROPERTIES_TYPE, part)
        self.replaced["_rels/.rels"] = serialise_xml(package_rels, self.package.read("_rels/.rels"))


@dataclass
class _SheetFrame:
    """The frame of one plan sheet's part (everything but its rows), and what planbook
    adds to it."""

    patcher: _Patcher
    sheet: PlanSheet
    root: Any
    looks: _Looks
    columns: set[int]
    changed: bool = False

    def edit(self) -> bool:
        self._dimension()
        self._widths()
        self._frozen_panes()
        self._conditional_formats()
        self._dropdowns()
        return self.changed

    def _dimension(self) -> None:
        dimension = child(self.root, "dimension")
        if dimension is None or not self.columns:
            return
        found = _RANGE.match(dimension.get("ref", ""))
        if found is None:
            return
        first, top = found.group(1), found.group(2)
        last, bottom = found.group(3) or first, found.group(4) or top
        widest = max(column_number(last), *self.columns)
        rows = [table.header_row for table in self.sheet.tables]
        rows += [r.row for t in self.sheet.tables for i in t.items for r in i.rows]
        lowest = max([int(bottom), *rows])
        ref = f"{first}{top}:{column_letter(widest)}{lowest}"
        if ref != dimension.get("ref"):
            dimension.set("ref", ref)
            self.changed = True

    def _widths(self) -> None:
        """planbook's columns get a width, unless the lead gave them one."""
        if not self.columns:
            return
        cols = child(self.root, "cols")
        covered: set[int] = set()
        if cols is not None:
            for col in cols:
                if isinstance(col.tag, str):
                    covered.update(range(int(col.get("min", 0)), int(col.get("max", 0)) + 1))
        wanted = {}
        for table in self.sheet.tables:
            for name, width in _WIDTHS.items():
                cell = table.header.get(name)
                if cell is not None and cell.column not in covered:
                    wanted[cell.column] = width
        if not wanted:
            return
        if cols is None:
            cols = make_element("cols")
            insert_in_order(self.root, cols)
        for column, width in sorted(wanted.items()):
            element = make_element(
                "col", min=str(column), max=str(column), width=str(width), customWidth="1"
            )
            position = sum(
                1 for c in cols if isinstance(c.tag, str) and int(c.get("min", 0)) < column
            )
            cols.insert(position, element)
        self.changed = True

    def _frozen_panes(self) -> None:
        """Ref and Description stay in view, unless the lead froze or split the sheet."""
        views = child(self.root, "sheetViews")
        tables = self.sheet.tables
        if views is None or not tables or "description" not in tables[0].header:
            return
        view = child(views, "sheetView")
        if view is None or child(view, "pane") is not None:
            return
        split = tables[0].header["description"].column
        pane = make_element(
            "pane",
            xSplit=str(split),
            topLeftCell=f"{column_letter(split + 1)}1",
            activePane="topRight",
            state="frozen",
        )
        view.insert(0, pane)
        for selection in view.findall(f"{{{MAIN_NS}}}selection"):
            view.remove(selection)
        view.insert(1, make_element("selection", pane="topRight"))
        self.changed = True

    def _conditional_formats(self) -> None:
        looks = self.looks
        ours = set(looks.letter_highlights.values()) | {looks.late, looks.done}
        priorities = []
        for element in list(self.root.findall(f"{{{MAIN_NS}}}conditionalFormatting")):
            rules = element.findall(f"{{{MAIN_NS}}}cfRule")
            if rules and all(_is_planbook_rule(rule, ours) for rule in rules):
                self.root.remove(element)
                self.changed = True
                continue
            priorities += [int(rule.get("priority", "0")) for rule in rules]
        priority = max([0, *priorities])
        status = self.patcher.vocabularies.status
        for table in self.sheet.tables:
            if not is_tracked(table):
                continue
            for segment in table.segments:
                first, last = segment.header_row + 1, segment.last_row
                if last < first:
                    continue
                for rules, sqref in _segment_rules(segment, first, last, status, self.looks):
                    element = make_element("conditionalFormatting", sqref=sqref)
                    for rule in rules:
                        priority += 1
                        rule.set("priority", str(priority))
                        element.append(rule)
                    insert_in_order(self.root, element)
                    self.changed = True

    def _dropdowns(self) -> None:
        vocab = self.patcher.vocabularies
        choices = {
            "status": list(vocab.status.values),
            "rag": [*vocab.rag.values, *vocab.rag.not_applicable[:1]],
        }
        validations = child(self.root, "dataValidations")
        if validations is not None:
            for element in list(validations):
                if isinstance(element.tag, str) and element.get("errorTitle") in _DROPDOWN_TITLES:
                    validations.remove(element)
                    self.changed = True
        covered = self._lead_validated()
        added = []
        for table in self.sheet.tables:
            for segment in table.segments:
                first, last = segment.header_row + 1, max(segment.last_row, segment.header_row + 1)
                for name, values in choices.items():
                    if name not in segment.columns:
                        continue
                    column = segment.columns[name]
                    rows = [r for r in range(first, last + 1) if (r, column) not in covered]
                    kept = [r for r in range(first, last + 1) if (r, column) in covered]
                    if kept:
                        self._lead_validation_finding(column, kept)
                    sqref = _runs(column, rows)
                    source = _dropdown_list(values)
                    if sqref and len(source) <= 257:
                        added.append(_dropdown(sqref, source, values))
        if not added:
            if validations is not None and not len(validations):
                self.root.remove(validations)
            return
        if validations is None:
            validations = make_element("dataValidations")
            insert_in_order(self.root, validations)
        for element in added:
            validations.append(element)
        validations.set("count", str(sum(1 for e in validations if isinstance(e.tag, str))))
        self.changed = True

    def _lead_validated(self) -> set[tuple[int, int]]:
        """The cells the lead's own validations cover (their own and Excel 2010's)."""
        sqrefs = []
        validations = child(self.root, "dataValidations")
        if validations is not None:
            sqrefs += [e.get("sqref", "") for e in validations if isinstance(e.tag, str)]
        for element in self.root.iter(f"{{{_X14_NS}}}dataValidation"):
            ref = element.find(f"{{{_XM_NS}}}sqref")
            if ref is not None and ref.text:
                sqrefs.append(ref.text)
        cells: set[tuple[int, int]] = set()
        for sqref in sqrefs:
            for part in sqref.split():
                found = _RANGE.match(part)
                if found is None:
                    continue
                left, top = column_number(found.group(1)), int(found.group(2))
                right = column_number(found.group(3)) if found.group(3) else left
                bottom = int(found.group(4)) if found.group(4) else top
                if (right - left + 1) * (bottom - top + 1) > 2_000_000:
                    bottom = top + 2_000_000 // max(right - left + 1, 1)
                for column in range(left, right + 1):
                    cells.update((row, column) for row in range(top, bottom + 1))
        return cells

    def _lead_validation_finding(self, column: int, rows: list[int]) -> None:
        where = _runs(column, rows)
        self.patcher.findings.append(
            Finding(
                "PB120",
                self.sheet.name,
                f"{column_letter(column)}{rows[0]}",
                where,
                f"the lead's own validation stays on {where}; planbook's dropdown is not "
                "added there",
                "remove your validation there to get planbook's dropdown",
                sheet_index=self.sheet.index,
                row=rows[0],
                column=column,
            )
        )


def _dropdown_list(values: Sequence[str]) -> str:
    """A dropdown's list as Excel holds it in ``formula1``: one quoted, comma-separated text."""
    return '"' + ",".join(value.replace('"', '""') for value in values) + '"'


def _dropdown(sqref: str, source: str, values: Sequence[str]) -> Any:
    element = make_element(
        "dataValidation",
        type="list",
        allowBlank="1",
        showInputMessage="1",
        showErrorMessage="1",
        errorTitle=DROPDOWN_TITLE,
        error="Choose one of: " + ", ".join(values),
        sqref=sqref,
    )
    formula = make_element("formula1")
    formula.text = source
    element.append(formula)
    return element


def _segment_rules(
    segment: Segment, first: int, last: int, status: Any, looks: _Looks
) -> Iterator[tuple[list[Any], str]]:
    columns = segment.columns
    for name in ("rag", "rag_derived"):
        if name in columns:
            letter = column_letter(columns[name])
            rules = []
            for rag, dxf in looks.letter_highlights.items():
                rule = make_element("cfRule", type="cellIs", dxfId=str(dxf), operator="equal")
                formula = make_element("formula")
                formula.text = excel_text(rag)
                rule.append(formula)
                rules.append(rule)
            yield rules, f"{letter}{first}:{letter}{last}"
    status_ref = f"${column_letter(columns['status'])}{first}" if "status" in columns else None
    complete = excel_text(status.complete) if status.complete else None
    if "due" in columns and "due_parsed" in columns:
        parsed = f"${column_letter(columns['due_parsed'])}{first}"
        not_done = f",{status_ref}<>{complete}" if status_ref and complete else ""
        rule = make_element("cfRule", type="expression", dxfId=str(looks.late))
        formula = make_element("formula")
        formula.text = f"AND(ISNUMBER({parsed}),{parsed}<{AS_OF_NAME}{not_done})"
        rule.append(formula)
        letter = column_letter(columns["due"])
        yield [rule], f"{letter}{first}:{letter}{last}"
    if status_ref and complete:
        rule = make_element("cfRule", type="expression", dxfId=str(looks.done))
        formula = make_element("formula")
        formula.text = f"{status_ref}={complete}"
        rule.append(formula)
        left, right = min(columns.values()), max(columns.values())
        yield [rule], f"{column_letter(left)}{first}:{column_letter(right)}{last}"


def _is_planbook_rule(rule: Any, ours: set[int]) -> bool:
    """A conditional format planbook wrote: in one of planbook's looks, with a formula of
    planbook's shape (a RAG letter, the as-of name, or a status test)."""
    if rule.get("dxfId") is None or int(rule.get("dxfId")) not in ours:
        return False
    formulas = [f.text or "" for f in rule.findall(f"{{{MAIN_NS}}}formula")]
    return bool(formulas) and all(
        re.fullmatch(r'"[RAGB]"', text)
        or AS_OF_NAME in text
        or re.fullmatch(r'\$[A-Z]{1,3}[0-9]+=".*"', text)
        for text in formulas
    )


def _runs(column: int, rows: list[int]) -> str:
    """Rows of one column as Excel's space-separated ranges: ``H5:H9 H12``."""
    letter, parts = column_letter(column), []
    start = previous = None
    for row in [*rows, None]:
        if row is not None and previous is not None and row == previous + 1:
            previous = row
            continue
        if start is not None:
            parts.append(
                f"{letter}{start}" if start == previous else f"{letter}{start}:{letter}{previous}"
            )
        start = previous = row
    return " ".join(parts)


def _findings_sheet(report: Report, settings: Settings, looks: _Looks) -> OwnSheet:
    sheet = OwnSheet(frozen_rows=3)
    sheet.text(1, 1, f"{GENERATED_MARK} findings as of {format_day(settings.as_of)}", looks.bold)
    columns = ("severity", "code", "sheet", "cell", "value", "message", "suggestion")
    for column, name in enumerate(columns, start=1):
        sheet.text(3, column, name, looks.header)
    for index, finding in enumerate(report.findings):
        row = 4 + index
        values = finding.to_dict()
        for column, name in enumerate(columns, start=1):
            if name == "cell" and values[name]:
                sheet.text(row, column, values[name], looks.link)
                location = _quoted(finding.sheet) + "!" + values[name]
                sheet.links.append((f"D{row}", location, values[name]))
            else:
                wrapped = name in ("value", "message", "suggestion")
                sheet.text(row, column, values[name], looks.wrapped if wrapped else 0)
    sheet.widths = dict(enumerate((9, 7, 22, 7, 30, 70, 50), start=1))
    sheet.autofilter = f"A3:G{3 + len(report.findings)}"
    return sheet


def _legend_sheet(settings: Settings, live: bool, looks: _Looks) -> OwnSheet:
    from planbook.columns import excel_serial

    sheet = OwnSheet()
    sheet.text(1, 1, f"{GENERATED_MARK} legend", looks.bold)
    sheet.text(3, 1, "As of", looks.bold)
    if live:
        sheet.formula(3, 2, "TODAY()", excel_serial(settings.as_of), looks.plain_date)
    else:
        sheet.date(3, 2, settings.as_of, looks.plain_date)
    sheet.text(4, 1, "Amber window (days)", looks.bold)
    sheet.number(4, 2, settings.amber_days)
    sheet.text(6, 1, "RAG", looks.header)
    sheet.text(6, 2, "meaning", looks.header)
    for offset, letter in enumerate(RAG_COLOURS):
        sheet.text(7 + offset, 1, letter, looks.letters[letter])
        sheet.text(7 + offset, 2, RAG_MEANINGS[letter])
    sheet.text(12, 1, "Due date", looks.late_cell)
    sheet.text(12, 2, "late: past the as-of date and not complete")
    sheet.text(13, 1, "Grey text", looks.done_cell)
    sheet.text(13, 2, "a complete milestone")
    sheet.text(15, 1, "How it works", looks.bold)
    sheet.text(
        15,
        2,
        "Derived RAG is recalculated by Excel from Parsed Due Date and Delivery Status "
        "whenever the file opens. Parsed Due Date is the date planbook read from the Due "
        "Dates text; a real date typed into Due Dates is used as it stands. Run planbook "
        "format again after changing a due date written as text.",
        looks.wrapped,
    )
    sheet.heights[15] = 105
    sheet.widths = {1: 22, 2: 50}
    return sheet


def _change_log_sheet(
    log: OtherSheet | None, changes: Sequence[Change], as_of: dt.date, looks: _Looks
) -> OwnSheet:
    """The Change Log: what it held (the input's log), this run's changes below."""
    from planbook.write.prepare import CHANGE_COLUMNS

    sheet = OwnSheet(frozen_rows=1)
    for column, name in enumerate(CHANGE_COLUMNS, start=1):
        sheet.text(1, column, name, looks.header)
    earlier: dict[int, dict[int, str]] = {}
    for cell in log.content if log is not None else ():
        if cell.row > 1:
            earlier.setdefault(cell.row, {})[cell.column] = cell.text
    row = 2
    for number in sorted(earlier):
        for column, text in earlier[number].items():
            sheet.text(row, column, text)
        row += 1
    for change in changes:
        for column, text in enumerate(change.values(as_of), start=1):
            sheet.text(row, column, text)
        row += 1
    sheet.widths = dict(enumerate((20, 8, 8, 24, 24, 60, 11), start=1))
    return sheet


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _relative(source: str, part: str) -> str:
    import posixpath

    return posixpath.relpath(part, posixpath.dirname(source))


def _position(coordinate: str) -> tuple[int, int]:
    found = _COORDINATE.match(coordinate)
    if found is None:
        raise PlanbookError(f"not a cell reference: {coordinate}")
    return int(found.group(2)), column_number(found.group(1))
