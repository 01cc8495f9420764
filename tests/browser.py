"""The real browser the web and report tests use: Debian's ``chromium`` (and its
``chromedriver``), never a browser downloaded by a test tool.

CI installs both and sets PLANBOOK_REQUIRE_CHROMIUM=1: there a missing browser is a
failure, elsewhere the browser tests are skipped. Also: what the tests look for in an
HTML page that must stand alone (no reference to anything outside it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if (CHROMIUM is None or CHROMEDRIVER is None) and os.environ.get("PLANBOOK_REQUIRE_CHROMIUM"):
    # CI installs chromium and chromium-driver and sets this: missing is a failure there.
    raise RuntimeError("PLANBOOK_REQUIRE_CHROMIUM is set but chromium or chromedriver is missing")

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (CI installs Debian's chromium and chromium-driver)",
)
needs_chromedriver = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="chromium or chromedriver is not installed (CI installs both)",
)
#: Where the screenshots and rendered pages are kept for a person to look at.
ARTEFACTS = Path(__file__).resolve().parents[1] / "out" / "browser"
#: Generous: a cold chromium on a loaded CI machine; only a hang is meant to fail.
TIMEOUT = 120

_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage")


def print_to_pdf(page: Path, pdf: Path, profile: Path) -> Path:
    """``page`` printed by headless chromium to ``pdf``, without header or footer."""
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            *_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    return pdf


def driver(downloads: Path, *, javascript: bool = False) -> Any:
    """A Selenium Chrome driver on Debian's chromium and chromedriver, headless, saving
    downloads into ``downloads`` (no Selenium Manager: nothing is fetched). The page's
    JavaScript is off unless asked for: the page must work without it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*_FLAGS, "--window-size=1400,1000"):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
            "profile.managed_default_content_settings.javascript": 1 if javascript else 2,
        },
    )
    chrome = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    chrome.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    return chrome


class _References(HTMLParser):
    """Every attribute and element by which a page could load something from elsewhere."""

    LOADING = frozenset({"src", "href", "srcset", "action", "formaction", "data", "poster"})

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "link", "img", "iframe", "object", "embed", "base", "image"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name in self.LOADING or name.endswith(":href") or name.startswith("on"):
                self.found.append(f"{tag} {name}={value}")
            if name == "style":
                self.found.append(f"{tag} style= (inline style attribute)")
        self.style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self.style and ("url(" in data or "@import" in data or "@font-face" in data):
            self.found.append("a stylesheet loading something")


def external_references(html: str) -> list[str]:
    """What in ``html`` would load a script, style, font, image or frame."""
    parser = _References()
    parser.feed(html)
    return parser.found


@contextmanager
def live_server(app: object) -> Iterator[str]:
    """``app`` served by a real uvicorn on a free loopback port, in a thread; yields its
    base URL and stops it after."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(TIMEOUT)
        sock.close()


def wait_for(condition: Callable[[], T | None], what: str, timeout: float = TIMEOUT) -> T:
    """Poll ``condition`` until it gives something; fail (not time) only past a hang."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)
