"""The ``planbook`` command: a thin click layer over the library.

Each command parses its options, calls one library function and renders the result.
A ``PlanbookError`` (unusable file or options) becomes one line on stderr and exit 2.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from planbook.errors import PlanbookError

_WORKBOOK = click.Path(path_type=Path, dir_okay=True, exists=False)


class _PlanbookGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PlanbookError as error:
            click.echo(f"planbook: error: {error}", err=True)
            ctx.exit(2)


@click.group(cls=_PlanbookGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planbook")
def cli() -> None:
    """Read, check and write back the annual plan workbooks of the shared services."""


@cli.command()
@click.argument("workbook", type=_WORKBOOK)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "junit", "github"]),
    default="text",
    show_default=True,
    help="text for people; json for tools; junit or github for CI systems.",
)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option(
    "--schemas",
    "schemas_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Use the vocabularies and table schemas in this folder (default: schemas/).",
)
@click.pass_context
def check(
    ctx: click.Context, workbook: Path, fmt: str, strict: bool, schemas_dir: Path | None
) -> None:
    """Check WORKBOOK: every problem with its cell and a fix. Exit 1 on errors."""
    from planbook import render
    from planbook.check import check_workbook

    if schemas_dir is not None and not schemas_dir.is_dir():
        raise PlanbookError(f"{schemas_dir}: no such schemas folder")
    report = check_workbook(workbook, schemas_dir=schemas_dir)
    if fmt == "json":
        text = render.render_json(report)
    elif fmt == "junit":
        text = render.render_junit(report, strict=strict)
    elif fmt == "github":
        text = render.render_github(report)
    else:
        text = render.render_text(report, style=_terminal_style())
    click.echo(text, nl=False)
    ctx.exit(report.exit_code(strict=strict))


def _terminal_style() -> Callable[..., str]:
    """Colour for a person at a terminal; none when piped or when NO_COLOR is set."""
    if os.environ.get("NO_COLOR") or not sys.stdout.isatty():
        return lambda text, **_: text
    return click.style


@cli.command()
@click.argument("workbook", type=_WORKBOOK)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def outline(workbook: Path, fmt: str) -> None:
    """Show how planbook understood WORKBOOK: sheets, tables, items, unplaced cells."""
    from planbook.outline import outline as build_outline
    from planbook.outline import render_outline
    from planbook.read import read_workbook

    data = build_outline(read_workbook(workbook))
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(render_outline(data), nl=False)


@cli.command()
@click.argument("workbook", type=_WORKBOOK)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here, not stdout.",
)
def export(workbook: Path, fmt: str, output: Path | None) -> None:
    """Export WORKBOOK as a flat table, one row per milestone (CSV or JSON)."""
    from planbook.export import render_export
    from planbook.read import read_workbook

    text = render_export(read_workbook(workbook), fmt)  # type: ignore[arg-type]
    if output is None:
        click.echo(text, nl=False)
        return
    _refuse_to_overwrite_input(output, workbook)
    try:
        output.write_text(text, encoding="utf-8", newline="")
    except OSError as error:
        raise PlanbookError(f"{output}: cannot write ({error.strerror})") from error


def _refuse_to_overwrite_input(output: Path, workbook: Path) -> None:
    if output.exists() and workbook.exists() and output.resolve() == workbook.resolve():
        raise PlanbookError(f"{output}: is the input workbook; choose another output file")


def main() -> None:
    cli(prog_name="planbook")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
