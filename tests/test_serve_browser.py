"""`planbook serve` in a real browser: Debian's chromium, driven through its chromedriver
by Selenium, with the page's JavaScript off. Upload the sample, see a finding outlined
in its table, download the formatted workbook and read it back with planbook. The
screenshots are kept in out/browser/ to be looked at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="planbook serve needs the web extra")
pytest.importorskip("selenium", reason="the browser test drives chromium with selenium")

from selenium.webdriver.common.by import By

import planbook
from browser import ARTEFACTS, driver, live_server, needs_chromedriver, wait_for
from planbook.web import ServeConfig, create_app
from workbooks import SAMPLE_WORKBOOK

pytestmark = needs_chromedriver


@pytest.fixture
def site(temp_root: Path) -> Iterator[str]:
    with live_server(create_app(ServeConfig(workers=2, temp_root=temp_root))) as url:
        yield url


@pytest.fixture
def chrome(tmp_path: Path) -> Iterator[Any]:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser = driver(downloads)
    browser.downloads = downloads
    try:
        yield browser
    finally:
        browser.quit()


def choose_sample(chrome: Any) -> None:
    form = chrome.find_element(By.CSS_SELECTOR, 'form[action="check"]')
    form.find_element(By.NAME, "workbook").send_keys(str(SAMPLE_WORKBOOK))


def test_upload_the_sample_see_a_finding_download_it_formatted(site: str, chrome: Any) -> None:
    chrome.get(site)
    assert chrome.title == "planbook"
    choose_sample(chrome)
    chrome.find_element(By.XPATH, '//button[text()="Check"]').click()
    wait_for(lambda: "planbook: check of" in chrome.title, "the check's page")
    assert chrome.find_element(By.TAG_NAME, "h1").text == "Check of annual_plan_2022_23.xlsx"

    # IT!G74 'HEH' names no council: outlined in red on its table, the fix beside it.
    cell = chrome.find_element(By.ID, "s4-G74")
    assert cell.text == "HEH"
    assert cell.get_attribute("class") == "finding error"
    assert cell.value_of_css_property("background-color") == "rgba(253, 232, 234, 1)"
    assert cell.value_of_css_property("outline-color") == "rgba(200, 16, 46, 1)"
    section = cell.find_element(By.XPATH, "ancestor::section[1]")
    assert section.find_element(By.TAG_NAME, "h2").text == "IT"
    findings = section.find_element(By.CSS_SELECTOR, "ol.findings").text
    assert "G74 PB221: 'HEH' names no council. Fix: did you mean 'H&EH'?" in findings
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    chrome.execute_cdp_cmd(
        "Runtime.evaluate", {"expression": "document.getElementById('s4-G74').scrollIntoView()"}
    )
    chrome.save_screenshot(str(ARTEFACTS / "serve-check-finding.png"))
    board = chrome.find_element(By.CSS_SELECTOR, "section.board-view")
    assert "Items by derived RAG, per service" in board.text
    chrome.execute_cdp_cmd(
        "Runtime.evaluate",
        {"expression": "document.querySelector('section.board-view').scrollIntoView()"},
    )
    chrome.save_screenshot(str(ARTEFACTS / "serve-board-view.png"))

    # The same form again at the foot of the page: the formatted workbook.
    choose_sample(chrome)
    chrome.find_element(By.XPATH, '//button[text()="Download formatted workbook"]').click()
    downloads: Path = chrome.downloads
    target = downloads / "annual_plan_2022_23.formatted.xlsx"
    wait_for(lambda: target.is_file() and not list(downloads.glob("*.crdownload")), "the download")
    plan = planbook.read_workbook(target)
    assert [sheet.name for sheet in plan.plan_sheets] == [
        "Customer Services",
        "Revenues and Benefits",
        "Land Charges",
        "IT",
    ]
    assert {"Findings", "Change Log", "Legend"} <= {sheet.name for sheet in plan.sheets}
