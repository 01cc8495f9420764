"""planbook installed like any Python tool: the wheel carries the default schemas, and the
installed command checks a plan from a folder outside the checkout without ``--schemas``.

The wheel is built from a clean copy of what a build reads (pyproject.toml, README.md,
src/), so nothing left in a ``build/`` folder can stand in for a missing file. It is
installed without its dependencies into a fresh virtual environment that sees this
environment's site-packages through a ``.pth`` file: fast, and offline once pip has
setuptools cached. ``.ci/run`` also does the full install, dependencies and all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from planbook.schemas import DEFAULT_SCHEMAS_FOLDER, default_schemas_dir
from workbooks import ROOT, SAMPLE_WORKBOOK

AS_OF = "2022-03-17"  # the sample's board date, as make demo runs it


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    elsewhere: Path  # a working folder outside the checkout

    def run(self, program: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return _run([self.venv / "bin" / program, *args], cwd=self.elsewhere)


def _run(command: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    # Why drop PYTHONPATH: the installed planbook must be found by the venv alone.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, f"{done.args} exited {done.returncode}:\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)

    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _ok(_run([*pip, "wheel", "--no-deps", source, "-w", work / "dist"], cwd=work))
    (wheel,) = (work / "dist").glob("planbook-*.whl")

    venv = work / "venv"
    _ok(_run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=work))
    python = venv / "bin" / "python"
    _ok(_run([*pip, "--python", python, "install", "--no-deps", wheel], cwd=work))
    purelib = _ok(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=work)
    )
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    # Why after the venv's own site-packages: the dependencies come from here, planbook not.
    (Path(purelib.stdout.strip()) / "_planbook_test_deps.pth").write_text(
        "".join(f"{path}\n" for path in ours), encoding="utf-8"
    )
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    return Installed(wheel, venv, elsewhere)


def test_the_default_schemas_are_one_folder_inside_the_package() -> None:
    assert default_schemas_dir().resolve().parent == ROOT / "src" / "planbook"
    assert not (ROOT / "schemas").exists(), "a second copy of the schemas at the top level"


def test_the_wheel_holds_every_default_schema_file(installed: Installed) -> None:
    shipped = {
        f"planbook/{DEFAULT_SCHEMAS_FOLDER}/{path.relative_to(default_schemas_dir()).as_posix()}"
        for path in default_schemas_dir().rglob("*")
        if path.is_file()
    }
    with zipfile.ZipFile(installed.wheel) as wheel:
        in_wheel = {name for name in wheel.namelist() if f"/{DEFAULT_SCHEMAS_FOLDER}/" in name}
    assert in_wheel == shipped


def test_the_installed_planbook_uses_its_own_copy_of_the_defaults(installed: Installed) -> None:
    done = _ok(
        installed.run(
            "python",
            "-c",
            "import planbook.schemas as s; print(s.__file__); print(s.default_schemas_dir())",
        )
    )
    module, folder = done.stdout.splitlines()
    assert Path(module).is_relative_to(installed.venv)
    assert Path(folder).is_relative_to(installed.venv)


def test_the_installed_planbook_checks_the_sample_from_another_folder(
    installed: Installed,
) -> None:
    args = ("check", SAMPLE_WORKBOOK, "--as-of", AS_OF, "--format", "json")
    done = installed.run("planbook", *args)
    assert done.returncode in (0, 1), f"exit {done.returncode}: {done.stderr}"
    assert done.stderr == ""
    from_checkout = _run([sys.executable, "-m", "planbook", *args], cwd=installed.elsewhere)
    assert json.loads(done.stdout) == json.loads(from_checkout.stdout)
