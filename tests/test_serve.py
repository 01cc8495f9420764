"""`planbook serve`: the HTTP contract of docs/serve.md, route by route, with Starlette's
test client: each endpoint, each error status, the JSON equal to the CLI's, and no
temporary file left behind by any request.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="planbook serve needs the web extra")

from click.testing import CliRunner
from starlette.testclient import TestClient

import planbook
from hostile_files import (
    MiB,
    billion_laughs,
    plan_rows,
    plan_workbook,
    shared_strings,
    with_shared_strings,
)
from planbook.cli import cli
from planbook.web import CSP, ServeConfig, create_app
from workbooks import SAMPLE_WORKBOOK, SAMPLES, XLSX, write_workbook

AS_OF = "2022-03-17"
SERVICES = sorted((SAMPLES / "services").glob("*.xlsx"))


@pytest.fixture
def client(temp_root: Path) -> Iterator[TestClient]:
    app = create_app(ServeConfig(max_upload_mb=2, workers=2, temp_root=temp_root))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def sample(name: str = SAMPLE_WORKBOOK.name, path: Path = SAMPLE_WORKBOOK) -> dict[str, Any]:
    return {"workbook": (name, path.read_bytes(), XLSX)}


def services(*paths: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("workbooks", (path.name, path.read_bytes(), XLSX)) for path in paths or SERVICES]


def cli_line(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 2, result.output
    (line,) = result.output.splitlines()
    return line


# --------------------------------------------------------------------------- the pages


def test_healthz_is_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")


def test_the_page_has_both_forms_and_no_script(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert 'action="check"' in html and 'name="workbook"' in html
    assert 'formaction="format"' in html and 'formaction="format/changelog"' in html
    assert 'formaction="export"' in html and 'formaction="consolidate"' in html
    assert 'name="workbooks"' in html and "multiple" in html and 'name="previous"' in html
    assert "<script" not in html
    assert re.findall(r'href="([^"]+)"', html) == ["static/planbook.css", "./"]


def test_every_response_carries_the_policy(client: TestClient) -> None:
    for path in ("/", "/healthz", "/static/planbook.css", "/static/report.css", "/nowhere"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CSP
        assert headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in CSP and "style-src 'self'" in CSP
    assert "script-src" not in CSP  # none: default-src 'none' forbids every script


def test_the_stylesheets_are_served(client: TestClient) -> None:
    from planbook.report import REPORT_CSS

    response = client.get("/static/report.css")
    assert response.headers["content-type"].startswith("text/css")
    assert response.text == REPORT_CSS


# --------------------------------------------------------------------------- POST /check


def test_check_as_json_is_what_the_cli_prints(client: TestClient, monkeypatch: Any) -> None:
    response = client.post(
        "/check",
        files=sample(),
        data={"as_of": AS_OF},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    # The CLI names the workbook as it was given: run it beside the sample.
    monkeypatch.chdir(SAMPLE_WORKBOOK.parent)
    result = CliRunner().invoke(
        cli, ["check", SAMPLE_WORKBOOK.name, "--format", "json", "--as-of", AS_OF]
    )
    assert result.exit_code == 1  # the sample's real errors
    assert response.text == result.output
    assert json.loads(response.text)["file"] == SAMPLE_WORKBOOK.name


def test_check_takes_amber_days_as_the_cli_does(client: TestClient) -> None:
    response = client.post(
        "/check",
        files=sample(),
        data={"as_of": AS_OF, "amber_days": "60"},
        headers={"Accept": "application/json"},
    )
    summary = json.loads(response.text)["summary"]
    assert summary["amber_days"] == 60
    expected = planbook.check.check_workbook(
        SAMPLE_WORKBOOK, settings=planbook.derive.Settings(dt.date(2022, 3, 17), 60)
    )
    assert summary == expected.summary()


def test_check_as_html_shows_each_finding_on_its_table(client: TestClient) -> None:
    response = client.post("/check", files=sample(), data={"as_of": AS_OF})
    assert response.status_code == 200
    html = response.text
    assert "8 error(s)" in html and "48 warning(s)" in html and "14 info" in html
    # IT!G74 'HEH' names no council: its cell highlighted, the fix beside it.
    cell = re.search(r'<td class="finding (\w+)" id="s4-G74" title="G74">([^<]*)</td>', html)
    assert cell is not None and cell.groups() == ("error", "HEH")
    assert '<a href="#s4-G74">G74</a> PB221' in html
    assert "Fix: did you mean &#x27;H&amp;EH&#x27;?" in html
    # The board view is the board pack's renderer.
    assert '<div class="board-pack">' in html and "Items by derived RAG, per council" in html
    assert "<script" not in html


def test_check_escapes_every_text_from_the_workbook(client: TestClient, tmp_path: Path) -> None:
    row = ["T1", "<script>alert(1)</script>", "=cmd|'/c calc'!A1", "not a date", "", "", "All"]
    path = write_workbook(tmp_path / "evil.xlsx", {"<img src=x>": plan_rows("Evil", row)})
    response = client.post("/check", files=sample("<i>evil.xlsx", path))
    html = response.text
    assert response.status_code == 200
    for raw in ("<script>", "<img src=x>", "<i>evil"):
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "=cmd|&#x27;/c calc&#x27;!A1" in html
    assert "&lt;img src=x&gt;" in html and "&lt;i&gt;evil.xlsx" in html


# --------------------------------------------------------------------------- downloads


def test_format_returns_the_formatted_workbook_as_an_attachment(
    client: TestClient, tmp_path: Path
) -> None:
    response = client.post("/format", files=sample(), data={"as_of": AS_OF})
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="annual_plan_2022_23.formatted.xlsx"'
    )
    written = tmp_path / "formatted.xlsx"
    written.write_bytes(response.content)
    plan = planbook.read_workbook(written)
    assert "Findings" in [sheet.name for sheet in plan.sheets]
    assert [sheet.name for sheet in plan.plan_sheets] == [
        sheet.name for sheet in planbook.read_workbook(SAMPLE_WORKBOOK).plan_sheets
    ]


def test_the_change_log_is_its_own_endpoint_the_same_as_the_cli_writes(
    client: TestClient, tmp_path: Path
) -> None:
    response = client.post("/format/changelog", files=sample(), data={"as_of": AS_OF})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="annual_plan_2022_23.changes.csv"' in response.headers["content-disposition"]
    changelog = tmp_path / "changes.csv"
    args = ["format", str(SAMPLE_WORKBOOK), "-o", str(tmp_path / "out.xlsx")]
    result = CliRunner().invoke(cli, [*args, "--changelog", str(changelog), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert response.content == changelog.read_bytes()


def test_export_is_the_cli_export(client: TestClient, tmp_path: Path) -> None:
    response = client.post("/export", files=sample(), data={"as_of": AS_OF})
    assert response.status_code == 200
    target = tmp_path / "export.csv"
    result = CliRunner().invoke(
        cli, ["export", str(SAMPLE_WORKBOOK), "--as-of", AS_OF, "-o", str(target)]
    )
    assert result.exit_code == 0
    assert response.content == target.read_bytes()


def test_consolidate_returns_the_board_workbook(client: TestClient, tmp_path: Path) -> None:
    response = client.post("/consolidate", files=services(), data={"as_of": AS_OF})
    assert response.status_code == 200
    assert 'filename="board.xlsx"' in response.headers["content-disposition"]
    board = tmp_path / "board.xlsx"
    board.write_bytes(response.content)
    names = [sheet.name for sheet in planbook.read_workbook(board).sheets]
    assert names[:1] == ["Cover"] and "Summary" in names
    assert {"Customer Services", "IT", "Land Charges", "Revenues and Benefits"} <= set(names)


def test_report_is_the_board_pack_with_last_months_board(
    client: TestClient, tmp_path: Path
) -> None:
    february = client.post("/consolidate", files=services(), data={"as_of": "2022-02-17"})
    files = [*services(), ("previous", ("february.xlsx", february.content, XLSX))]
    response = client.post("/report", files=files, data={"as_of": AS_OF})
    assert response.status_code == 200
    html = response.text
    assert "Board report: Annual Plan 2022/23" in html
    assert ">17 Feb 22</text>" in html and "Changes since last month: 0" in html
    # The one inline style is allowed by its hash, nothing else.
    from planbook.report import style_hash

    assert f"style-src {style_hash()};" in response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]


# --------------------------------------------------------------------------- errors


def test_a_file_that_is_not_a_workbook_is_400_with_the_clis_line(
    client: TestClient, tmp_path: Path, monkeypatch: Any
) -> None:
    (tmp_path / "plan.xlsx").write_bytes(b"just some text")
    for route in ("/check", "/format", "/format/changelog", "/export"):
        response = client.post(route, files=sample("plan.xlsx", tmp_path / "plan.xlsx"))
        assert response.status_code == 400
        monkeypatch.chdir(tmp_path)
        assert response.text == cli_line("check", "plan.xlsx") + "\n"


def test_a_zip_bomb_is_400_with_the_clis_line(
    client: TestClient, tmp_path: Path, monkeypatch: Any
) -> None:
    bomb = with_shared_strings(
        plan_workbook(tmp_path / "valid.xlsx"),
        tmp_path / "bomb.xlsx",
        shared_strings(b"<si><t>x</t></si>", padding=b"<si><t>x</t></si>" * (3 * MiB)),
    )
    assert bomb.stat().st_size < 1 * MiB
    response = client.post("/check", files=sample("bomb.xlsx", bomb))
    assert response.status_code == 400
    monkeypatch.chdir(tmp_path)
    assert response.text == cli_line("check", "bomb.xlsx") + "\n"
    assert "limits" in response.text


def test_xml_entities_are_400_or_never_expanded(client: TestClient, tmp_path: Path) -> None:
    laughs = with_shared_strings(
        plan_workbook(tmp_path / "valid.xlsx"),
        tmp_path / "laughs.xlsx",
        billion_laughs() + shared_strings(b"<si><t>&lol9;</t></si>"),
    )
    response = client.post("/check", files=sample("laughs.xlsx", laughs))
    assert response.status_code in (200, 400)
    assert "lollollol" not in response.text


def test_a_legacy_xls_and_a_zip_of_no_workbook_are_400(client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../etc/evil.txt", "x")
    for name, data, words in (
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "legacy .xls"),
        ("slip.xlsx", buffer.getvalue(), "slip.xlsx: "),
    ):
        response = client.post("/check", files={"workbook": (name, data, XLSX)})
        assert response.status_code == 400
        assert response.text.startswith(f"planbook: error: {name}: ")
        assert words in response.text


def test_the_uploaded_name_is_never_a_path(client: TestClient, temp_root: Path) -> None:
    response = client.post(
        "/format", files=sample("../../../../tmp/planbook-owned.xlsx"), data={"as_of": AS_OF}
    )
    assert response.status_code == 200
    assert 'filename="planbook-owned.formatted.xlsx"' in response.headers["content-disposition"]
    assert not Path("/tmp/planbook-owned.xlsx").exists()
    assert not (temp_root.parent / "planbook-owned.xlsx").exists()


def test_an_error_to_a_browser_is_a_page_with_the_same_line(
    client: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "plan.xlsx").write_bytes(b"")
    response = client.post(
        "/check", files=sample("plan.xlsx", tmp_path / "plan.xlsx"), headers={"Accept": "text/html"}
    )
    assert response.status_code == 400
    assert "planbook: error: plan.xlsx: an empty file, not a workbook" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_two_inputs_of_one_service_are_400(client: TestClient) -> None:
    it = SAMPLES / "services" / "it.xlsx"
    files = [("workbooks", ("a.xlsx", it.read_bytes(), XLSX))]
    files.append(("workbooks", ("b.xlsx", it.read_bytes(), XLSX)))
    response = client.post("/consolidate", files=files)
    assert response.status_code == 400
    assert response.text == (
        "planbook: error: the service 'IT' is in both a.xlsx and b.xlsx; give each service once\n"
    )


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"as_of": "17 March"}, "as_of: '17 March' is not a date"),
        ({"as_of": "2022-02-30"}, "as_of: '2022-02-30' is not a date"),
        ({"amber_days": "-1"}, "amber_days: '-1' is not a whole number"),
        ({"amber_days": "5000"}, "amber_days: 5000 is not in the range 0 to 3650"),
        ({"plan_year": "22"}, "plan_year: 22 is not in the range 1990 to 2100"),
    ],
)
def test_a_bad_option_is_422(client: TestClient, data: dict[str, str], words: str) -> None:
    response = client.post("/check", files=sample(), data=data)
    assert response.status_code == 422
    tail = "; give YYYY-MM-DD" if "date" in words else ""
    assert response.text == f"planbook: error: {words}{tail}\n"


def test_no_workbook_or_text_for_a_file_is_422(client: TestClient) -> None:
    assert client.post("/check", data={"as_of": AS_OF}).status_code == 422
    response = client.post("/check", data={"workbook": "plan.xlsx"})
    assert response.status_code == 422
    assert response.text == "planbook: error: workbook: upload a workbook file, not a text value\n"
    assert client.post("/report", data={}).status_code == 422


def test_an_upload_over_the_limit_is_413(client: TestClient) -> None:
    big = b"\0" * (2 * MiB + 1)
    response = client.post("/check", files={"workbook": ("big.xlsx", big, XLSX)})
    assert response.status_code == 413
    assert response.text == "planbook: error: the upload is over the 2 MB limit\n"


def test_a_chunked_upload_over_the_limit_is_413(client: TestClient) -> None:
    boundary = "planbookboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="workbook"; '
        'filename="big.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()

    def body() -> Iterator[bytes]:  # no Content-Length: the server counts what arrives
        yield head
        for _ in range(5):
            yield b"\0" * MiB
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/check",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413


def test_a_broken_form_is_400_and_the_server_keeps_serving(client: TestClient) -> None:
    response = client.post(
        "/check",
        content=b"--x\r\nnot a part",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 400
    assert response.text.startswith("planbook: error: ")
    assert client.get("/healthz").text == "ok"


def test_an_internal_error_is_one_line_never_a_traceback(
    client: TestClient, monkeypatch: Any
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug, with secrets in its traceback")

    monkeypatch.setattr("planbook.check.check_workbook", broken)
    response = client.post("/check", files=sample(), headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.text == "planbook: error: an internal error; see the server log\n"
    assert client.get("/healthz").text == "ok"


def test_get_on_a_post_route_is_405(client: TestClient) -> None:
    assert client.get("/check").status_code == 405
