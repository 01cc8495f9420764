"""The ``planbook`` command: a thin click layer over the library.

Each command parses its options, calls one library function and renders the result.
A ``PlanbookError`` (unusable file or options) becomes one line on stderr and exit 2.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from planbook.errors import PlanbookError

if TYPE_CHECKING:
    from planbook.derive import Settings

_WORKBOOK = click.Path(path_type=Path, dir_okay=True, exists=False)


_DAY = click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"])


def _derive_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command that derives RAGs takes, and ``--schemas``."""
    options = (
        click.option(
            "--schemas",
            "schemas_dir",
            type=click.Path(path_type=Path, file_okay=False),
            help=(
                "Use the vocabularies and table schemas in this folder "
                "(default: those shipped with planbook)."
            ),
        ),
        click.option(
            "--plan-year",
            type=click.IntRange(1990, 2100),
            help="Start year of the plan's financial year (default: from the workbook).",
        ),
        click.option(
            "--amber-days",
            type=click.IntRange(0, 3650),
            default=30,
            show_default=True,
            help="A due date within this many days is amber.",
        ),
        click.option(
            "--as-of", type=_DAY, help="Derive RAGs as of this day, YYYY-MM-DD (default: today)."
        ),
    )
    for option in options:
        command = option(command)
    return command


def _board_options(*, output: str, previous: str) -> Callable[..., Any]:
    """What the month's board commands take: the services' WORKBOOKS, ``-o`` (``output``
    says what it writes), ``--previous`` (``previous`` says what is read of it), and the
    derive options."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        options = (
            _derive_options,
            click.option("--previous", type=_WORKBOOK, help=previous),
            click.option(
                "-o",
                "--output",
                type=click.Path(path_type=Path, dir_okay=False),
                required=True,
                help=output,
            ),
            click.argument("workbooks", type=_WORKBOOK, nargs=-1, required=True),
        )
        for option in options:
            command = option(command)
        return command

    return decorate


def _settings(as_of: dt.datetime | None, amber_days: int, plan_year: int | None) -> Settings:
    from planbook.derive import Settings

    day = as_of.date() if as_of is not None else dt.date.today()
    return Settings(as_of=day, amber_days=amber_days, plan_year=plan_year)


def _schemas(schemas_dir: Path | None) -> Path | None:
    if schemas_dir is not None and not schemas_dir.is_dir():
        raise PlanbookError(f"{schemas_dir}: no such schemas folder")
    return schemas_dir


class _PlanbookGroup(click.Group):
    """Every failure that is not the plan's fault: one line on stderr, exit 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as error:
            where = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            _fail(f"{error.format_message()}{where}")
        except click.ClickException as error:
            _fail(error.format_message())
        except PlanbookError as error:
            _fail(str(error))
        except click.Abort:
            _fail("interrupted")
        sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str) -> None:
    from planbook.display import safe

    click.echo(f"planbook: error: {safe(message)}", err=True)
    sys.exit(2)


@click.group(cls=_PlanbookGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planbook")
def cli() -> None:
    """Read, check and write back the annual plan workbooks of the shared services."""


#: From how many workbooks on a terminal ``check`` shows a progress bar.
_PROGRESS_FROM = 4


@cli.command()
@click.argument("workbooks", metavar="WORKBOOK...", type=_WORKBOOK, nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "junit", "github"]),
    default="text",
    show_default=True,
    help="text for people; json for tools; junit or github for CI systems.",
)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar when checking many workbooks.")
@_derive_options
@click.pass_context
def check(
    ctx: click.Context,
    workbooks: tuple[Path, ...],
    fmt: str,
    strict: bool,
    quiet: bool,
    schemas_dir: Path | None,
    as_of: dt.datetime | None,
    amber_days: int,
    plan_year: int | None,
) -> None:
    """Check each WORKBOOK (a folder: the .xlsx and .xlsm files in it): every problem with
    its cell and a fix, then the board summary; with several, a line for each and a total.

    Exit 0 when there are no errors, 1 when there are (or warnings, with --strict), 2 when
    a workbook could not be read (after all the others are checked).
    """
    from planbook import render
    from planbook.check.many import check_many, workbooks_named

    paths = workbooks_named(workbooks)
    with _progress(len(paths), quiet) as progress:
        many = check_many(
            paths,
            schemas_dir=_schemas(schemas_dir),
            settings=_settings(as_of, amber_days, plan_year),
            progress=progress,
        )
    if len(many.outcomes) == 1:
        # One workbook: the output of every format is a single report, as it always was.
        (outcome,) = many.outcomes
        if outcome.report is None:
            raise PlanbookError(outcome.error)
        report = outcome.report
        # Written a piece at a time: a big, faulty plan's report is tens of MiB.
        renderers: dict[str, Callable[[], Iterable[str]]] = {
            "json": lambda: render.json_pieces(report),
            "junit": lambda: render.junit_pieces(report, strict=strict),
            "github": lambda: render.github_pieces(report),
            "text": lambda: render.text_pieces(report, style=_terminal_style()),
        }
        for piece in renderers[fmt]():
            click.echo(piece, nl=False)
        ctx.exit(report.exit_code(strict=strict))
    many_renderers: dict[str, Callable[[], Iterable[str]]] = {
        "json": lambda: render.many_json_pieces(many, strict=strict),
        "junit": lambda: render.many_junit_pieces(many, strict=strict),
        "github": lambda: render.many_github_pieces(many),
        "text": lambda: render.many_text_pieces(many, style=_terminal_style()),
    }
    for piece in many_renderers[fmt]():
        click.echo(piece, nl=False)
    for outcome in many.outcomes:
        if outcome.error:
            from planbook.display import safe

            click.echo(f"planbook: error: {safe(outcome.error)}", err=True)
    ctx.exit(many.exit_code(strict=strict))


@contextlib.contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Callable[[Path], None] | None]:
    """A progress bar on stderr for a person at a terminal checking more than a few
    workbooks; nothing when stderr is piped or with --quiet (tools read stdout alone)."""
    if quiet or total < _PROGRESS_FROM or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label="Checking", file=sys.stderr) as bar:
        yield lambda _path: bar.update(1)


def _terminal_style() -> Callable[..., str]:
    """Colour for a person at a terminal; none when piped or when NO_COLOR is set."""
    if os.environ.get("NO_COLOR") or not sys.stdout.isatty():
        return lambda text, **_: text
    return click.style


@cli.command("format")
@click.argument("workbook", type=_WORKBOOK)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="The .xlsx to write."
)
@click.option("--in-place", is_flag=True, help="Replace WORKBOOK itself, keeping a backup first.")
@click.option(
    "--changelog",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write this run's changes as CSV here.",
)
@click.option(
    "--allow-loss",
    is_flag=True,
    help="Write even when planbook cannot carry something of WORKBOOK (listed on stderr).",
)
@_derive_options
def format_command(
    workbook: Path,
    output: Path | None,
    in_place: bool,
    changelog: Path | None,
    allow_loss: bool,
    schemas_dir: Path | None,
    as_of: dt.datetime | None,
    amber_days: int,
    plan_year: int | None,
) -> None:
    """Write WORKBOOK back formatted: canonical values, live Derived RAG, colours,
    dropdowns, and Findings, Change Log and Legend sheets. Never writes WORKBOOK itself
    unless --in-place."""
    from planbook.write import format_workbook

    result = format_workbook(
        workbook,
        output,
        settings=_settings(as_of, amber_days, plan_year),
        live_as_of=as_of is None,
        schemas_dir=_schemas(schemas_dir),
        in_place=in_place,
        changelog=changelog,
        allow_loss=allow_loss,
    )
    for notice in result.notices:
        click.echo(f"planbook: note: {notice}", err=True)
    counts = result.report.counts()
    click.echo(
        f"Wrote {result.output}: {len(result.changes)} value(s) made canonical "
        f"(see its Change Log sheet); {counts['error']} error(s), {counts['warning']} "
        f"warning(s), {counts['info']} info in its Findings sheet."
    )
    if result.backup is not None:
        click.echo(f"The original is kept as {result.backup}.")


@cli.command()
@click.argument("old", type=_WORKBOOK)
@click.argument("new", type=_WORKBOOK)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
)
@click.option(
    "--schemas",
    "schemas_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Use the vocabularies in this folder (default: those shipped with planbook).",
)
@click.option(
    "--plan-year",
    type=click.IntRange(1990, 2100),
    help="Read both versions' due dates in the financial year starting in this year "
    "(default: each version's own, from its workbook).",
)
def diff(old: Path, new: Path, fmt: str, schemas_dir: Path | None, plan_year: int | None) -> None:
    """What changed from OLD to NEW, item by item: the minutes of what the leads did.

    Exit 0 whether or not anything changed.
    """
    from planbook import render
    from planbook.diff import diff_plans
    from planbook.read import read_workbook
    from planbook.schemas import load_vocabularies

    old_plan, new_plan = read_workbook(old), read_workbook(new)
    changes = diff_plans(
        old_plan, new_plan, load_vocabularies(_schemas(schemas_dir)), plan_year=plan_year
    )
    if fmt == "json":
        text = render.render_changes_json(changes, str(old), str(new))
    elif fmt == "csv":
        text = render.render_changes_csv(changes)
    else:
        text = render.render_changes_text(changes, str(old), str(new))
    click.echo(text, nl=False)


@cli.command()
@_board_options(
    output="The board workbook (.xlsx) to write.",
    previous="Last month's board workbook: its Version Control and History are carried "
    "forward and a Changes sheet lists what changed since.",
)
def consolidate(
    workbooks: tuple[Path, ...],
    output: Path,
    previous: Path | None,
    schemas_dir: Path | None,
    as_of: dt.datetime | None,
    amber_days: int,
    plan_year: int | None,
) -> None:
    """Merge the services' WORKBOOKS into the month's board workbook: a regenerated
    Cover, every service sheet formatted, a Summary with charts, and with --previous the
    Changes and History. Nothing is written if an input is unreadable or two inputs hold
    the same service."""
    from planbook.consolidate import consolidate as build

    show_progress = len(workbooks) > 1 and sys.stderr.isatty()
    with click.progressbar(
        length=len(workbooks),
        label="Reading service workbooks",
        file=sys.stderr if show_progress else io.StringIO(),
    ) as bar:
        result = build(
            workbooks,
            output,
            previous=previous,
            settings=_settings(as_of, amber_days, plan_year),
            live_as_of=as_of is None,
            schemas_dir=_schemas(schemas_dir),
            on_read=lambda _path: bar.update(1),
        )
    for notice in result.notices:
        click.echo(f"planbook: note: {notice}", err=True)
    counts = result.report.counts()
    changed = f"; {len(result.changes)} change(s) since last month" if previous else ""
    click.echo(
        f"Wrote {result.output}: {len(result.services)} service sheet(s){changed}; "
        f"{counts['error']} error(s), {counts['warning']} warning(s) in its Findings sheet."
    )


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
@_derive_options
def export(
    workbook: Path,
    fmt: str,
    output: Path | None,
    schemas_dir: Path | None,
    as_of: dt.datetime | None,
    amber_days: int,
    plan_year: int | None,
) -> None:
    """Export WORKBOOK as a flat table, one row per milestone (CSV or JSON), with the
    resolved due dates and derived RAGs after the cell text."""
    from planbook.export import render_export, write_export
    from planbook.read import read_workbook
    from planbook.schemas import load_vocabularies

    plan = read_workbook(workbook)
    vocabularies = load_vocabularies(_schemas(schemas_dir))
    settings = _settings(as_of, amber_days, plan_year)
    export_format: Any = fmt
    if output is None:
        if sys.stdout.isatty():  # data to a file as it is; to a person, never raw controls
            from planbook.display import safe_lines

            text = render_export(plan, export_format, settings, vocabularies)
            click.echo(safe_lines(text), nl=False)
        else:
            write_export(plan, export_format, sys.stdout, settings, vocabularies)
        return
    _refuse_to_overwrite_input(output, workbook)
    try:
        with output.open("w", encoding="utf-8", newline="") as stream:
            write_export(plan, export_format, stream, settings, vocabularies)
    except OSError as error:
        raise PlanbookError(f"{output}: cannot write ({error.strerror})") from error


@cli.command()
@_board_options(
    output="The board report (.html) to write.",
    previous="Last month's board workbook: what changed since, and its History's RAG trend.",
)
def report(
    workbooks: tuple[Path, ...],
    output: Path,
    previous: Path | None,
    schemas_dir: Path | None,
    as_of: dt.datetime | None,
    amber_days: int,
    plan_year: int | None,
) -> None:
    """Write the month's board pack for WORKBOOKS (the services' workbooks, or one board
    workbook) as one self-contained HTML file that prints to about two A4 landscape
    pages: items by derived RAG per service and per council, late and due soon, declared
    against derived RAG, and with --previous the changes and the trend."""
    from planbook.report import write_report

    pack = write_report(
        workbooks,
        output,
        previous=previous,
        settings=_settings(as_of, amber_days, plan_year),
        schemas_dir=_schemas(schemas_dir),
    )
    services = len(pack.figures.summary["services"])
    click.echo(f"Wrote {output}: the board report of {services} service(s).")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 for all.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option(
    "--max-upload-mb",
    type=click.IntRange(1, 1024),
    default=25,
    show_default=True,
    help="Refuse a request whose uploads are bigger (413).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Workbooks worked on at once (default: one per CPU).",
)
@click.option(
    "--schemas",
    "schemas_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Use the vocabularies and table schemas in this folder (default: planbook's).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the browser.")
def serve(
    host: str,
    port: int,
    max_upload_mb: int,
    workers: int | None,
    schemas_dir: Path | None,
    open_browser: bool,
) -> None:
    """Serve the web page: check a workbook, download it formatted, make the board
    workbook and the board report, in a browser (docs/serve.md)."""
    try:
        import uvicorn

        from planbook.web import ServeConfig, create_app
    except ImportError as error:
        raise PlanbookError(
            f"planbook serve needs the web extra ({error.name} is missing): "
            "pip install 'planbook[web]'"
        ) from error
    config = ServeConfig(
        max_upload_mb=max_upload_mb, workers=workers or 0, schemas_dir=_schemas(schemas_dir)
    )
    url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0', '::') else host}:{port}/"
    click.echo(f"planbook serve: {url} (Ctrl+C to stop)", err=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(create_app(config), host=host, port=port, log_level="info")


def _refuse_to_overwrite_input(output: Path, workbook: Path) -> None:
    from planbook.read import same_file

    if same_file(output, workbook):
        raise PlanbookError(f"{output}: is the input workbook; choose another output file")


def main() -> None:
    """The ``planbook`` command, and ``python -m planbook``."""
    # The command never synthesises test data, yet pandera imports hypothesis (and the
    # test runners it hooks into) to do so wherever it is installed: 0.2-0.8 s of every
    # run of a development install. A None in sys.modules makes that import fail, which
    # pandera takes for hypothesis absent. Only in the command's own process: planbook
    # imported as a library leaves it alone.
    sys.modules.setdefault("hypothesis", None)  # type: ignore[arg-type]
    try:
        cli(prog_name="planbook")
    finally:
        # The process ends here. Frozen, the collector skips its last pass over every
        # object pandas and pandera made as the interpreter exits: about 0.2 s of every
        # run. Memory is handed back all the same.
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    main()
