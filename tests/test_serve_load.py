"""`planbook serve` under load, on a real uvicorn on loopback: 20 concurrent uploads of
the sample all answered correctly with a zip bomb and an oversized upload among them;
the work bounded by the pool, and the event loop free while the pool is busy. Bounded
in count; the only time limits are generous ones against a hang, never a measure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="planbook serve needs the web extra")

import httpx2 as httpx  # the test extra's client (Starlette's test client uses it too)

import planbook.check
from browser import TIMEOUT, live_server, wait_for
from hostile_files import MiB, plan_workbook, shared_strings, with_shared_strings
from planbook import render
from planbook.derive import Settings
from planbook.web import ServeConfig, create_app
from workbooks import SAMPLE_WORKBOOK, XLSX

UPLOADS = 20
WORKERS = 2
AS_OF = "2022-03-17"


@pytest.fixture
def site(temp_root: Path) -> Iterator[str]:
    config = ServeConfig(max_upload_mb=2, workers=WORKERS, temp_root=temp_root)
    with live_server(create_app(config)) as url:
        yield url


class Counting:
    """``check_workbook`` wrapped: how many run at once, at most."""

    def __init__(self, work: Callable[..., Any], gate: threading.Event | None = None) -> None:
        self.work = work
        self.gate = gate
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        try:
            if self.gate is not None:
                assert self.gate.wait(TIMEOUT), "the gate was never opened"
            return self.work(*args, **kwargs)
        finally:
            with self.lock:
                self.running -= 1


def post(url: str, name: str, data: bytes) -> httpx.Response:
    with httpx.Client(timeout=TIMEOUT) as client:
        return client.post(
            url + "check",
            files={"workbook": (name, data, XLSX)},
            data={"as_of": AS_OF},
            headers={"Accept": "application/json"},
        )


def test_twenty_uploads_and_two_hostile_ones_at_once(
    site: str, tmp_path: Path, monkeypatch: Any
) -> None:
    counting = Counting(planbook.check.check_workbook)
    monkeypatch.setattr("planbook.check.check_workbook", counting)
    expected = render.render_json(
        dataclasses.replace(
            planbook.check.check_plan(
                planbook.read_workbook(SAMPLE_WORKBOOK),
                settings=Settings(as_of=dt.date(2022, 3, 17)),
            ),
            file="sample.xlsx",
        )
    )
    bomb = with_shared_strings(
        plan_workbook(tmp_path / "valid.xlsx"),
        tmp_path / "bomb.xlsx",
        shared_strings(b"<si><t>x</t></si>", padding=b"<si><t>x</t></si>" * (3 * MiB)),
    ).read_bytes()
    sample = SAMPLE_WORKBOOK.read_bytes()
    uploads = [("sample.xlsx", sample)] * UPLOADS
    uploads[7] = ("bomb.xlsx", bomb)
    uploads[13] = ("big.xlsx", b"\0" * (3 * MiB))
    uploads += [("sample.xlsx", sample)] * 2  # still 20 samples in all
    with ThreadPoolExecutor(len(uploads)) as pool:
        responses = list(pool.map(lambda upload: post(site, *upload), uploads))

    statuses = [response.status_code for response in responses]
    assert statuses.count(200) == UPLOADS
    assert statuses[7] == 400 and "bomb.xlsx" in responses[7].text
    assert "limits" in responses[7].text
    assert statuses[13] == 413
    assert all(r.text == expected for r in responses if r.status_code == 200)
    assert counting.most <= WORKERS
    assert counting.calls == UPLOADS + 1  # the bomb reached the reader; the big one never
    assert httpx.get(site + "healthz", timeout=TIMEOUT).text == "ok"


def test_the_event_loop_answers_while_every_worker_is_busy(site: str, monkeypatch: Any) -> None:
    """The pool's workers are held until /healthz has been answered: were the work on
    the event loop, /healthz could never be, and the gate would never open."""
    gate = threading.Event()
    counting = Counting(planbook.check.check_workbook, gate)
    monkeypatch.setattr("planbook.check.check_workbook", counting)
    sample = SAMPLE_WORKBOOK.read_bytes()
    with ThreadPoolExecutor(WORKERS + 2) as pool:
        pending = [pool.submit(post, site, "sample.xlsx", sample) for _ in range(WORKERS + 2)]
        wait_for(lambda: counting.running >= WORKERS, "the pool to fill")
        assert counting.running == WORKERS  # the pool is full, the others wait their turn
        health = httpx.get(site + "healthz", timeout=TIMEOUT)
        too_big = httpx.post(
            site + "check", files={"workbook": ("big.xlsx", b"\0" * (3 * MiB))}, timeout=TIMEOUT
        )
        gate.set()
        answers = [future.result(TIMEOUT) for future in pending]
    assert (health.status_code, health.text) == (200, "ok")
    assert too_big.status_code == 413
    assert [answer.status_code for answer in answers] == [200] * (WORKERS + 2)
    assert counting.most == WORKERS
