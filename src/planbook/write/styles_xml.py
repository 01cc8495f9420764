"""planbook's cell styles and conditional-format styles, appended to the lead's styles part.

The lead's styles are never changed or reordered, so every lead cell keeps the style
index it had. planbook's are appended after them, each only if an identical one is not
there yet: a second pass finds the ones the first appended, and adds nothing. planbook's
fonts are the workbook's default font (the lead's font 0) made bold, blue or coloured,
so what planbook adds looks like the rest of the workbook.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from planbook.write.package import MAIN_NS, make_element

#: The order of a styles part's children (ECMA-376 CT_Stylesheet).
STYLESHEET_ORDER = (
    "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
    "tableStyles", "colors", "extLst",
)  # fmt: skip

GREY, BORDER_GREY = "D9D9D9", "BFBFBF"


@dataclass(frozen=True)
class Look:
    """A cell style planbook uses, in words."""

    bold: bool = False
    italic: bool = False
    font_colour: str | None = None
    underline: bool = False
    fill: str | None = None
    border: bool = False
    number_format: str | None = None
    horizontal: str | None = None
    wrap: bool = False


@dataclass(frozen=True)
class Highlight:
    """A conditional format's look (a ``dxf``): font colour, bold, fill."""

    font_colour: str | None = None
    bold: bool = False
    fill: str | None = None


class Styles:
    """The styles part, with planbook's looks appended on demand."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.changed = False

    def _collection(self, name: str) -> Any:
        from planbook.write.sheet_xml import insert_in_order

        found = self.root.find(f"{{{MAIN_NS}}}{name}")
        if found is None:
            found = make_element(name, count="0")
            insert_in_order(self.root, found, STYLESHEET_ORDER)
            self.changed = True
        return found

    def _index_of(self, collection: str, element: Any) -> int:
        """The index of an element equal to ``element`` in the collection, added if none."""
        parent = self._collection(collection)
        wanted = _key(element)
        for index, existing in enumerate(c for c in parent if isinstance(c.tag, str)):
            if _key(existing) == wanted:
                return index
        parent.append(element)
        parent.set("count", str(sum(1 for c in parent if isinstance(c.tag, str))))
        self.changed = True
        return len([c for c in parent if isinstance(c.tag, str)]) - 1

    def cell_style(self, look: Look) -> int:
        """The ``s`` index of a cell in ``look``."""
        xf = make_element("xf")
        number_format = self._number_format(look.number_format) if look.number_format else 0
        font = self._index_of("fonts", self._font(look))
        fill = (
            self._index_of("fills", _fill(look.fill, pattern_colour="fgColor")) if look.fill else 0
        )
        border = self._index_of("borders", _border()) if look.border else 0
        for key, value in (
            ("numFmtId", number_format),
            ("fontId", font),
            ("fillId", fill),
            ("borderId", border),
            ("xfId", 0),
        ):
            xf.set(key, str(value))
        for key, applies in (
            ("applyNumberFormat", number_format),
            ("applyFont", font),
            ("applyFill", fill),
            ("applyBorder", border),
            ("applyAlignment", look.horizontal or look.wrap),
        ):
            if applies:
                xf.set(key, "1")
        if look.horizontal or look.wrap:
            alignment = make_element("alignment")
            if look.horizontal:
                alignment.set("horizontal", look.horizontal)
            alignment.set("vertical", "top")
            if look.wrap:
                alignment.set("wrapText", "1")
            xf.append(alignment)
        return self._index_of("cellXfs", xf)

    def highlight(self, look: Highlight) -> int:
        """The ``dxfId`` of a conditional format in ``look``."""
        dxf = make_element("dxf")
        if look.font_colour or look.bold:
            font = make_element("font")
            if look.bold:
                font.append(make_element("b"))
            if look.font_colour:
                font.append(make_element("color", rgb=_argb(look.font_colour)))
            dxf.append(font)
        if look.fill:
            dxf.append(_fill(look.fill, pattern_colour="bgColor"))
        return self._index_of("dxfs", dxf)

    def _font(self, look: Look) -> Any:
        fonts = self._collection("fonts")
        base = next((c for c in fonts if isinstance(c.tag, str)), None)
        font = copy.deepcopy(base) if base is not None else make_element("font")
        for name in ("b", "i", "u", "color"):
            for old in font.findall(f"{{{MAIN_NS}}}{name}"):
                font.remove(old)
        position = 0
        for name, wanted in (("b", look.bold), ("i", look.italic)):
            if wanted:
                font.insert(position, make_element(name))
                position += 1
        if look.underline:
            font.insert(position, make_element("u"))
        if look.font_colour:
            colour = make_element("color", rgb=_argb(look.font_colour))
            size = font.find(f"{{{MAIN_NS}}}sz")
            # CT_Font's order: ... u, vertAlign, sz, color, name ...
            font.insert(list(font).index(size) + 1 if size is not None else len(font), colour)
        return font

    def _number_format(self, code: str) -> int:
        formats = self._collection("numFmts")
        ids = []
        for existing in formats:
            if not isinstance(existing.tag, str):
                continue
            ids.append(int(existing.get("numFmtId", "0")))
            if existing.get("formatCode") == code:
                return ids[-1]
        number = max([163, *ids]) + 1
        formats.append(make_element("numFmt", numFmtId=str(number), formatCode=code))
        formats.set("count", str(len(ids) + 1))
        self.changed = True
        return number


def _argb(rgb: str) -> str:
    rgb = rgb.lstrip("#").upper()
    return rgb if len(rgb) == 8 else f"FF{rgb}"


def _fill(rgb: str, *, pattern_colour: str) -> Any:
    fill = make_element("fill")
    pattern = make_element("patternFill", patternType="solid")
    pattern.append(make_element(pattern_colour, rgb=_argb(rgb)))
    if pattern_colour == "fgColor":
        pattern.append(make_element("bgColor", indexed="64"))
    fill.append(pattern)
    return fill


def _border() -> Any:
    border = make_element("border")
    for side in ("left", "right", "top", "bottom"):
        edge = make_element(side, style="thin")
        edge.append(make_element("color", rgb=_argb(BORDER_GREY)))
        border.append(edge)
    border.append(make_element("diagonal"))
    return border


def _key(element: Any) -> tuple[Any, ...]:
    """What makes two style elements the same: names, attributes, children; not layout."""
    from lxml import etree

    return (
        etree.QName(element).localname,
        tuple(sorted(element.attrib.items())),
        tuple(_key(child) for child in element if isinstance(child.tag, str)),
    )


MINIMAL_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
    b'<fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    b"</styleSheet>"
)
