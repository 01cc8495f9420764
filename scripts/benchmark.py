"""planbook's benchmark: its jobs on generated plans, beside the floors they stand on.

    make benchmark                      # or: python scripts/benchmark.py [--runs N] [--write]

Generates plan workbooks of 4 x 40, 20 x 500 and 50 x 2,000 table rows (sheets x rows;
scripts/generate_plans.py), then times, each in a fresh process, median of --runs (run
in rounds: every job of a size once, then again):

- planbook: ``check``, ``export``, ``format`` and ``consolidate`` (of one workbook per
  service), as the library runs them for the CLI;
- the floors: openpyxl (read-only) reading every value, a plain openpyxl load and save
  (``format``'s floor), python-calamine reading every value, XlsxWriter writing the same
  cells; and ``frictionless validate``, with a schema, on the same rows as one flat
  .xlsx sheet (planbook's export, one row per milestone), when frictionless is installed;
- start-up: ``planbook --help``, and ``planbook check`` of the sample beside merely
  importing pandas, pandera and openpyxl;

and prints the table, with ratios against the targets and each job's peak memory.
``--write`` puts it, with the date and the machine, into docs/benchmark.md. Not part of
the test suite: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_workbooks" / "annual_plan_2022_23.xlsx"
SIZES = ((4, 40), (20, 500), (50, 2000))
AS_OF = "2022-03-17"

#: Each job runs in a child process: the code times itself and reports its peak memory.
#: Peak memory is the child's VmHWM: getrusage's maxrss survives exec on Linux, so it
#: would report the benchmark's own peak, not the job's.
#: A process the job forks (check's scan ahead) is not in it: its peak is reported apart,
#: getrusage's for the job's children (its RSS, the pages it shares with the job's counted).
#: hypothesis is hidden, as the planbook command hides it (planbook.cli.main) and as a
#: user's install, with no test tools, lacks it: pandera would import it to synthesise data.
_CHILD = """
import json, sys, time
import resource as _rusage  # aliased: a job may name its own variable "resource"
sys.modules.setdefault("hypothesis", None)
started = time.perf_counter()
{body}
elapsed = time.perf_counter() - started
status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
children = _rusage.getrusage(_rusage.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({{"seconds": elapsed, "peak_mib": int(status) / 1024, "child_mib": children}}))
"""

JOBS: dict[str, str] = {
    "check": """
import datetime as dt
from planbook.check import check_workbook
from planbook.derive import Settings
check_workbook(sys.argv[1], settings=Settings(as_of=dt.date(2022, 3, 17)))
""",
    "export": """
import datetime as dt
from planbook.derive import Settings
from planbook.export import write_export
from planbook.read import read_workbook
with open(sys.argv[2] + ".csv", "w", encoding="utf-8", newline="") as stream:  # as the CLI
    write_export(read_workbook(sys.argv[1]), "csv", stream, Settings(as_of=dt.date(2022, 3, 17)))
""",
    "format": """
import datetime as dt
from planbook.derive import Settings
from planbook.write import format_workbook
format_workbook(sys.argv[1], sys.argv[2], settings=Settings(as_of=dt.date(2022, 3, 17)))
""",
    "consolidate": """
import datetime as dt, glob
from planbook.consolidate import consolidate
from planbook.derive import Settings
consolidate(sorted(glob.glob(sys.argv[3] + "/*.xlsx")), sys.argv[2],
            settings=Settings(as_of=dt.date(2022, 3, 17)))
""",
    "openpyxl read": """
import openpyxl
workbook = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
for sheet in workbook.worksheets:
    for row in sheet.iter_rows(values_only=True):
        for value in row:
            pass
workbook.close()
""",
    "openpyxl load-and-save": """
import openpyxl
# What a round trip through openpyxl costs: format's floor (it keeps most of a workbook).
openpyxl.load_workbook(sys.argv[1]).save(sys.argv[2])
""",
    "calamine read": """
from python_calamine import CalamineWorkbook
workbook = CalamineWorkbook.from_path(sys.argv[1])
for name in workbook.sheet_names:
    for row in workbook.get_sheet_by_name(name).iter_rows():
        for value in row:
            pass
""",
    "xlsxwriter write": """
import pickle, datetime as dt, xlsxwriter
sheets = pickle.load(open(sys.argv[4], "rb"))
started = time.perf_counter()  # the cells are given: only the writing is timed
workbook = xlsxwriter.Workbook(sys.argv[2], {"strings_to_numbers": False,
                                              "strings_to_formulas": False})
date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
for name, rows in sheets:
    sheet = workbook.add_worksheet(name)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value == "" or value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, (dt.date, dt.datetime)):
                sheet.write_datetime(r, c, value, date_format)
            else:
                sheet.write_number(r, c, value)
workbook.close()
""",
    "frictionless validate": """
import json, os, frictionless
# basepath: frictionless refuses an absolute path as unsafe; every error is counted.
schema = frictionless.Schema.from_descriptor(json.loads(open(sys.argv[5] + ".schema.json").read()))
resource = frictionless.Resource(path=os.path.basename(sys.argv[5]),
                                 basepath=os.path.dirname(sys.argv[5]), schema=schema)
report = resource.validate(limit_errors=10**9)
""",
}


def _run(job: str, args: list[str]) -> dict[str, float]:
    code = _CHILD.format(body=JOBS[job].strip())
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{job} failed: {result.stderr.strip().splitlines()[-1:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _summary(results: list[dict[str, float]]) -> dict[str, Any]:
    """A job's runs: the median time, the highest peak, and each run's time, in rounds."""
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "peak_mib": max(r["peak_mib"] for r in results),
        "child_mib": max(r.get("child_mib", 0.0) for r in results),
        "each": [r["seconds"] for r in results],
    }


def _wall(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _has_frictionless() -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", "import frictionless"], capture_output=True, check=False
    )
    return probe.returncode == 0


def _compile_planbook() -> None:
    """planbook's bytecode, as a user's ``pip install`` leaves it: an editable install
    under PYTHONDONTWRITEBYTECODE would compile every module on every run (~30 ms of each
    start), while the floors' packages were compiled when they were installed."""
    import compileall

    import planbook

    compileall.compile_dir(Path(planbook.__file__).parent, quiet=1)


def measure(workdir: Path, runs: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from generate_plans import generate

    _compile_planbook()
    frictionless = _has_frictionless()
    sizes: list[dict[str, object]] = []
    for sheets, rows in SIZES:
        label = f"{sheets} x {rows:,}"
        plan = workdir / f"plan_{sheets}x{rows}.xlsx"
        services = workdir / f"services_{sheets}x{rows}"
        if not plan.exists():
            generate(sheets, rows, plan, services)
        cells = workdir / f"cells_{sheets}x{rows}.pickle"
        flat = workdir / f"flat_{sheets}x{rows}.xlsx"
        _prepare_inputs(plan, cells, flat)
        out = str(workdir / "out.xlsx")
        args = [str(plan), out, str(services), str(cells), str(flat)]
        jobs = [job for job in JOBS if frictionless or job != "frictionless validate"]
        # In rounds, each job once a round: a machine that slows down or speeds up
        # meanwhile (a shared one does) weighs on every job alike, not on a few.
        timed: dict[str, list[dict[str, float]]] = {job: [] for job in jobs}
        for round_number in range(1, runs + 1):
            for job in jobs:
                print(f"  {label}: {job} (run {round_number} of {runs})", file=sys.stderr)
                timed[job].append(_run(job, args))
        results = {job: _summary(runs_of_job) for job, runs_of_job in timed.items()}
        sizes.append({"size": label, "rows": sheets * rows, "results": results})
    python = sys.executable
    planbook = str(Path(python).with_name("planbook"))
    startup = {
        "planbook --help": _wall([planbook, "--help"], 5),
        "planbook check (sample)": _wall(
            [planbook, "check", str(SAMPLE), "--as-of", AS_OF, "--format", "json"], 5
        ),
        "import pandas, pandera, openpyxl": _wall(
            [python, "-c", "import pandas, pandera.pandas, openpyxl"], 5
        ),
    }
    return {"sizes": sizes, "startup": startup, "runs": runs}


def _prepare_inputs(plan: Path, cells: Path, flat: Path) -> None:
    """The writer floor's cells and frictionless's CSV, made before any timing."""
    import pickle

    from python_calamine import CalamineWorkbook

    if not cells.exists():
        workbook = CalamineWorkbook.from_path(str(plan))
        sheets = [(n, workbook.get_sheet_by_name(n).to_python()) for n in workbook.sheet_names]
        with cells.open("wb") as handle:
            pickle.dump(sheets, handle)
    if not flat.exists():
        _flat_workbook(plan, flat)


#: What frictionless checks of the flat rows: the vocabularies planbook checks, as a
#: Table Schema (every cell is text, as planbook's export writes it).
_FLAT_CONSTRAINTS: dict[str, dict[str, object]] = {
    "description": {"required": True},
    "status": {"enum": ["", "Not started", "Started", "Paused", "Complete"]},
    "rag": {"enum": ["", "R", "A", "G", "n/a"]},
    "due_date": {"pattern": "(|[0-9]{4}-[0-9]{2}-[0-9]{2})"},
}


def _flat_workbook(plan: Path, flat: Path) -> None:
    """The plan's rows as one flat sheet (planbook's export) and a Table Schema for it:
    what a frictionless user would validate."""
    import xlsxwriter

    from planbook.derive import Settings
    from planbook.export import EXPORT_COLUMNS, iter_export_records
    from planbook.read import read_workbook

    settings = Settings(as_of=dt.date.fromisoformat(AS_OF))
    workbook = xlsxwriter.Workbook(str(flat), {"constant_memory": True})
    sheet = workbook.add_worksheet("rows")
    sheet.write_row(0, 0, EXPORT_COLUMNS)
    for number, record in enumerate(iter_export_records(read_workbook(plan), settings), 1):
        sheet.write_row(number, 0, [str(record[name]) for name in EXPORT_COLUMNS])
    workbook.close()
    fields = [
        {"name": name, "type": "string", "constraints": _FLAT_CONSTRAINTS.get(name, {})}
        for name in EXPORT_COLUMNS
    ]
    Path(f"{flat}.schema.json").write_text(json.dumps({"fields": fields}), encoding="utf-8")


def report(results: dict[str, Any]) -> str:
    lines = ["| size (sheets x rows) | job | median s | peak MiB |", "|---|---|---:|---:|"]
    targets: list[str] = []
    for size in results["sizes"]:
        timings = size["results"]
        for job, value in timings.items():
            child = f" (a child {value['child_mib']:.0f})" if value.get("child_mib") else ""
            lines.append(
                f"| {size['size']} | {job} | {value['seconds']:.2f} "
                f"| {value['peak_mib']:.0f}{child} |"
            )
        seconds = {job: value["seconds"] for job, value in timings.items()}
        fastest_read = min(seconds["openpyxl read"], seconds["calamine read"])
        ratios = [
            ("check / openpyxl read floor", seconds["check"] / seconds["openpyxl read"], "<= 0.5"),
            (
                "format / openpyxl load-and-save",
                seconds["format"] / seconds["openpyxl load-and-save"],
                "<= 0.5",
            ),
            (
                "format / (fastest read + XlsxWriter write)",
                seconds["format"] / (fastest_read + seconds["xlsxwriter write"]),
                "-",
            ),
        ]
        if "frictionless validate" in seconds:
            faster = seconds["frictionless validate"] / seconds["check"]
            ratios.append(("frictionless validate / check", faster, ">= 2"))
        for name, ratio, target in ratios:
            targets.append(f"| {size['size']} | {name} | {ratio:.2f} | {target} |")
        # The ratio of each round's two runs, which ran minutes apart, not hours.
        paired = [
            check / floor
            for check, floor in zip(
                timings["check"]["each"], timings["openpyxl read"]["each"], strict=True
            )
        ]
        targets.append(
            f"| {size['size']} | check / openpyxl read floor, round by round (lowest-highest) "
            f"| {min(paired):.2f}-{max(paired):.2f} | <= 0.5 |"
        )
        if size["rows"] >= 100_000:
            for job in ("check", "format", "export", "consolidate"):
                peak = timings[job]["peak_mib"]
                limit = "< 300" if job == "check" else "< 400"
                targets.append(
                    f"| {size['size']} | peak memory of {job} (MiB) | {peak:.0f} | {limit} |"
                )
    startup = results["startup"]
    targets.append(f"| - | planbook --help (s) | {startup['planbook --help']:.3f} | < 0.15 |")
    imports = startup["import pandas, pandera, openpyxl"]
    sample = startup["planbook check (sample)"]
    targets.append(
        f"| - | check of the sample / importing pandas, pandera, openpyxl "
        f"({sample:.2f} s / {imports:.2f} s) | {sample / imports:.2f} | <= 1.2 |"
    )
    return (
        "\n".join(lines)
        + "\n\n| size | measure | value | target |\n|---|---|---:|---|\n"
        + "\n".join(targets)
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="planbook's benchmark (see its docstring)")
    parser.add_argument("--runs", type=int, default=3, help="runs a job (median); default 3")
    parser.add_argument("--workdir", type=Path, help="keep the generated workbooks here")
    parser.add_argument("--write", action="store_true", help="write docs/benchmark.md")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="planbook-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = measure(workdir, args.runs)
    table = report(results)
    print(table)
    if args.write:
        machine = (
            f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        measured = (
            f"Measured {dt.date.today().isoformat()} on {machine}, "
            f"median of {args.runs} runs a job, each in a fresh process.\n\n{table}"
        )
        _write_doc(ROOT / "docs" / "benchmark.md", measured)


_START, _END = "<!-- measured: scripts/benchmark.py --write -->", "<!-- end measured -->"


def _write_doc(path: Path, measured: str) -> None:
    """Put the table between the markers, keeping what the page says around it."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark\n\n"
    block = f"{_START}\n{measured}{_END}"
    if _START in text and _END in text:
        before, rest = text.split(_START, 1)
        text = before + block + rest.split(_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
