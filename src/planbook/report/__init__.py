"""``report``: the month's board pack as one self-contained HTML file.

``board_pack`` works out what the pack shows (``pack``); ``render_report`` draws it
(``html``, with the charts of ``svg``); ``write_report`` does both and writes the file.
The web page's board view (``planbook.web``) shows the same ``render_sections``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from planbook.derive import Settings
from planbook.errors import PlanbookError
from planbook.read import same_file
from planbook.report.html import REPORT_CSS, render_report, render_sections, style_hash
from planbook.report.pack import BoardPack, Disagreement, board_pack, pack_from_plan

__all__ = [
    "REPORT_CSS",
    "BoardPack",
    "Disagreement",
    "board_pack",
    "pack_from_plan",
    "render_report",
    "render_sections",
    "style_hash",
    "write_report",
]


def write_report(
    inputs: Sequence[Path | str],
    output: Path | str,
    *,
    previous: Path | str | None = None,
    settings: Settings | None = None,
    schemas_dir: Path | None = None,
) -> BoardPack:
    """Write the board pack of ``inputs`` to ``output`` (.html), atomically."""
    from planbook.write import write_atomically

    target = Path(output)
    if target.suffix.lower() not in (".html", ".htm"):
        raise PlanbookError(f"{target}: the board report is HTML; name the output .html")
    for source in [*inputs, *([previous] if previous is not None else [])]:
        if same_file(source, target):
            raise PlanbookError(f"{target}: is one of the inputs; choose another output file")
    pack = board_pack(inputs, previous=previous, settings=settings, schemas_dir=schemas_dir)
    page = render_report(pack)

    def write(path: Path) -> None:
        path.write_text(page, encoding="utf-8")

    write_atomically(target, write)
    return pack
