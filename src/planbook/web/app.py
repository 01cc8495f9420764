"""The ASGI application: routes, the HTTP contract (docs/serve.md), the worker pool.

Each POST parses its form (413 past the upload limit, ``_BodyLimit``), copies its
workbooks into its own temporary folder, and runs the library in a bounded pool of
worker threads, never on the event loop; the folder is removed before the response goes
out. What the library calls an unusable file (``PlanbookError``) is 400 with the CLI's
own line; a bad option 422; anything else 500 with one line, the traceback in the
server's log only.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import anyio
from starlette.applications import Starlette
from starlette.datastructures import FormData, Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planbook.display import safe
from planbook.errors import PlanbookError
from planbook.web import pages
from planbook.web.uploads import (
    OptionError,
    Options,
    Upload,
    content_disposition,
    download_name,
    options,
    request_folder,
    save,
    uploaded_files,
)

log = logging.getLogger("planbook.web")

T = TypeVar("T")

#: Only the page's own stylesheets; no scripts, frames, fonts or images from anywhere.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
#: A board holds a handful of services: more files than this in one request is refused.
MAX_FILES = 40
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"


@dataclass(frozen=True)
class ServeConfig:
    """How the server runs: the upload limit, the pool, the schemas, the temp folder."""

    max_upload_mb: int = 25
    #: Worker threads for the CPU-heavy work (default: one per CPU).
    workers: int = 0
    schemas_dir: Path | None = None
    #: Where the requests' temporary folders go (default: the system's).
    temp_root: Path | None = None

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def pool_size(self) -> int:
        return self.workers or os.cpu_count() or 2


class _RequestError(Exception):
    """A request that cannot be answered with what was asked: status and one line."""

    def __init__(self, status: int, line: str) -> None:
        super().__init__(line)
        self.status = status
        self.line = line


def create_app(config: ServeConfig | None = None) -> Starlette:
    """The planbook web application."""
    config = config or ServeConfig()
    limiter = anyio.CapacityLimiter(config.pool_size)

    async def in_pool(work: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(work, limiter=limiter)

    def endpoint(
        handler: Callable[[Request, FormData, Path], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                async with request.form(max_files=MAX_FILES, max_fields=50) as form:
                    with request_folder(config.temp_root) as folder:
                        return await handler(request, form, folder)
            except OptionError as error:
                return _answer(request, 422, f"planbook: error: {error}")
            except _RequestError as failure:
                return _answer(request, failure.status, failure.line)

        return run

    async def uploads(form: FormData, field: str, folder: Path, *, required: bool) -> list[Upload]:
        files = uploaded_files(form, field, required=required)
        start = len(list(folder.iterdir()))
        return [await save(upload, folder, start + n) for n, upload in enumerate(files, 1)]

    def library(work: Callable[[], T], named: list[Upload]) -> Callable[[], T]:
        """``work``, its unusable-file error turned into the CLI's line (with the
        uploaded names in place of the temporary copies')."""

        def run() -> T:
            try:
                return work()
            except PlanbookError as error:
                message = str(error)
                for upload in named:
                    message = upload.message(message)
                raise _RequestError(400, f"planbook: error: {safe(message)}") from error

        return run

    async def check(request: Request, form: FormData, folder: Path) -> Response:
        chosen = options(form)
        (upload,) = (await uploads(form, "workbook", folder, required=True))[:1]
        wants_json = "application/json" in request.headers.get("accept", "")
        if wants_json:
            text = await in_pool(library(lambda: _check_json(upload, chosen, config), [upload]))
            return Response(text, media_type="application/json")
        html = await in_pool(library(lambda: _check_html(upload, chosen, config), [upload]))
        return HTMLResponse(html)

    async def format_route(request: Request, form: FormData, folder: Path) -> Response:
        chosen = options(form)
        (upload,) = (await uploads(form, "workbook", folder, required=True))[:1]
        data, suffix = await in_pool(
            library(lambda: _format(upload, folder, chosen, config, changelog=False), [upload])
        )
        name = download_name(upload.name, f".formatted{suffix}")
        return _attachment(data, XLSM if suffix == ".xlsm" else XLSX, name)

    async def changelog(request: Request, form: FormData, folder: Path) -> Response:
        chosen = options(form)
        (upload,) = (await uploads(form, "workbook", folder, required=True))[:1]
        data, _ = await in_pool(
            library(lambda: _format(upload, folder, chosen, config, changelog=True), [upload])
        )
        name = download_name(upload.name, ".changes.csv")
        return _attachment(data, "text/csv; charset=utf-8", name)

    async def export(request: Request, form: FormData, folder: Path) -> Response:
        chosen = options(form)
        (upload,) = (await uploads(form, "workbook", folder, required=True))[:1]
        text = await in_pool(library(lambda: _export(upload, chosen, config), [upload]))
        name = download_name(upload.name, ".csv")
        return _attachment(text.encode("utf-8"), "text/csv; charset=utf-8", name)

    async def consolidate_route(request: Request, form: FormData, folder: Path) -> Response:
        chosen = options(form)
        inputs = await uploads(form, "workbooks", folder, required=True)
        previous = (await uploads(form, "previous", folder, required=False))[:1]
        named = [*inputs, *previous]
        data = await in_pool(
            library(lambda: _consolidate(inputs, previous, folder, chosen, config), named)
        )
        return _attachment(data, XLSX, "board.xlsx")

    async def report(request: Request, form: FormData, folder: Path) -> Response:
        chosen = options(form)
        inputs = await uploads(form, "workbooks", folder, required=True)
        previous = (await uploads(form, "previous", folder, required=False))[:1]
        named = [*inputs, *previous]
        html = await in_pool(library(lambda: _report(inputs, previous, chosen, config), named))
        from planbook.report import style_hash

        # The pack's one inline style, by its hash; nothing else inline.
        csp = CSP.replace("style-src 'self'", f"style-src {style_hash()}")
        return HTMLResponse(html, headers={"Content-Security-Policy": csp})

    async def index(request: Request) -> Response:
        return HTMLResponse(pages.home())

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def page_css(request: Request) -> Response:
        return Response(pages.PAGE_CSS, media_type="text/css")

    async def report_css(request: Request) -> Response:
        from planbook.report import REPORT_CSS

        return Response(REPORT_CSS, media_type="text/css")

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code == 413:
            line = f"planbook: error: the upload is over the {config.max_upload_mb} MB limit"
        else:
            line = f"planbook: error: {error.detail}"
        return _answer(request, error.status_code, line)

    async def internal_error(request: Request, error: Exception) -> Response:
        log.exception("planbook serve: %s %s failed", request.method, request.url.path)
        return _answer(request, 500, "planbook: error: an internal error; see the server log")

    post = ["POST"]
    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/static/planbook.css", page_css),
        Route("/static/report.css", report_css),
        Route("/check", endpoint(check), methods=post),
        Route("/format", endpoint(format_route), methods=post),
        Route("/format/changelog", endpoint(changelog), methods=post),
        Route("/export", endpoint(export), methods=post),
        Route("/consolidate", endpoint(consolidate_route), methods=post),
        Route("/report", endpoint(report), methods=post),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(_SecurityHeaders),
            Middleware(_BodyLimit, limit=config.max_upload_bytes),
        ],
        exception_handlers={HTTPException: http_error, Exception: internal_error},
    )


class _BodyLimit:
    """413 for a body over the limit: at once when its Content-Length says so, else as
    soon as that much has arrived (the form parser stops reading then)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await self.app(scope, _refused, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413)
            return message

        await self.app(scope, limited, send)


async def _refused() -> Message:
    """The body of a request too big to read: refused on the first read."""
    raise HTTPException(413)


class _SecurityHeaders:
    """The CSP and its companions on every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


def _answer(request: Request, status: int, line: str) -> Response:
    """The one line: as plain text, or in a page for a browser."""
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(pages.error_page(line, status), status_code=status)
    return PlainTextResponse(line + "\n", status_code=status)


def _attachment(data: bytes, media_type: str, name: str) -> Response:
    return Response(
        data, media_type=media_type, headers={"Content-Disposition": content_disposition(name)}
    )


# --- the work, in the pool: the library's own functions, as the CLI calls them ------------


def _check_json(upload: Upload, chosen: Options, config: ServeConfig) -> str:
    from planbook import render
    from planbook.check import check_workbook

    report = check_workbook(upload.path, schemas_dir=config.schemas_dir, settings=chosen.settings)
    # The CLI names the file as it was given; here that is the uploaded name.
    return render.render_json(dataclasses.replace(report, file=upload.name))


def _check_html(upload: Upload, chosen: Options, config: ServeConfig) -> str:
    from planbook.check import check_plan
    from planbook.read import read_workbook
    from planbook.report import pack_from_plan, render_sections
    from planbook.schemas import load_vocabularies

    plan = read_workbook(upload.path)
    vocabularies = load_vocabularies(config.schemas_dir)
    report = check_plan(plan, settings=chosen.settings, vocabularies=vocabularies)
    pack = pack_from_plan(plan, chosen.settings, vocabularies, sources=(upload.name,))
    as_of = None if chosen.live_as_of else chosen.settings.as_of
    return pages.check_page(report, plan, upload.name, render_sections(pack), as_of)


def _format(
    upload: Upload, folder: Path, chosen: Options, config: ServeConfig, *, changelog: bool
) -> tuple[bytes, str]:
    from planbook.write import format_workbook

    suffix = ".xlsm" if upload.path.suffix == ".xlsm" else ".xlsx"
    output = folder / f"formatted{suffix}"
    log_path = folder / "changes.csv"
    format_workbook(
        upload.path,
        output,
        settings=chosen.settings,
        live_as_of=chosen.live_as_of,
        schemas_dir=config.schemas_dir,
        changelog=log_path if changelog else None,
        allow_loss=chosen.allow_loss,
    )
    return (log_path if changelog else output).read_bytes(), suffix


def _export(upload: Upload, chosen: Options, config: ServeConfig) -> str:
    from planbook.export import write_export
    from planbook.read import read_workbook
    from planbook.schemas import load_vocabularies

    plan = read_workbook(upload.path)
    stream = io.StringIO(newline="")
    write_export(plan, "csv", stream, chosen.settings, load_vocabularies(config.schemas_dir))
    return stream.getvalue()


def _consolidate(
    inputs: list[Upload],
    previous: list[Upload],
    folder: Path,
    chosen: Options,
    config: ServeConfig,
) -> bytes:
    from planbook.consolidate import consolidate

    result = consolidate(
        [upload.path for upload in inputs],
        folder / "board.xlsx",
        previous=previous[0].path if previous else None,
        settings=chosen.settings,
        live_as_of=chosen.live_as_of,
        schemas_dir=config.schemas_dir,
    )
    return result.output.read_bytes()


def _report(
    inputs: list[Upload], previous: list[Upload], chosen: Options, config: ServeConfig
) -> str:
    from planbook.report import board_pack, render_report

    pack = board_pack(
        [upload.path for upload in inputs],
        previous=previous[0].path if previous else None,
        settings=chosen.settings,
        schemas_dir=config.schemas_dir,
        names=[upload.name for upload in inputs],
    )
    return render_report(pack)
