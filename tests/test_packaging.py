"""The built wheel carries sql/ and udfs/, installs non-editable in a fresh venv and runs there."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

import cai_sql

REPO = Path(__file__).resolve().parent.parent
SOURCE_PARTS = ("pyproject.toml", "README.md", "LICENSE", "cai_sql", "sql", "udfs")
# Declared though cai-sql never imports them: a pin for skl2onnx's sake, and what Starlette imports to parse forms.
NOT_IMPORTED = {"protobuf", "python-multipart"}


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> tuple[Path, str]:
    """Build from a copy of the source, so nothing is written into the working tree; the wheel and the build log."""
    src = tmp_path_factory.mktemp("src")
    for part in SOURCE_PARTS:
        origin = REPO / part
        if origin.is_dir():
            shutil.copytree(origin, src / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, src / part)
    dist = tmp_path_factory.mktemp("dist")
    log = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--verbose", "--no-deps", "--no-build-isolation", "-w", str(dist), str(src)],
        check=True, capture_output=True, text=True,
    )
    (built,) = dist.glob("cai_sql-*.whl")
    return built, log.stdout + log.stderr


@pytest.fixture(scope="module")
def wheel(build) -> Path:
    return build[0]


def test_build_has_no_setuptools_warnings(build):
    _, log = build
    assert "running bdist_wheel" in log  # the backend's own output is in the log
    assert "Package would be ignored" not in log and "BuildBackendWarning" not in log


def test_wheel_ships_the_license_pyproject_names(wheel):
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    names = zipfile.ZipFile(wheel).namelist()
    (shipped,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert zipfile.ZipFile(wheel).read(shipped).decode() == text


def _imported_top_level_modules() -> set[str]:
    found = set()
    for folder in ("cai_sql", "udfs", "sql"):
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"cai_sql"}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_dependencies_are_exactly_what_is_imported():
    declared = {_normalized(re.split(r"[<>=!~ ;\[]", d, maxsplit=1)[0])
                for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]}
    distributions = importlib.metadata.packages_distributions()
    imported = {_normalized(distributions[module][0]) for module in _imported_top_level_modules()}
    assert imported - declared == set(), "imported but not declared in pyproject.toml"
    assert declared - imported == NOT_IMPORTED, "declared but never imported"


def test_wheel_carries_sql_templates_and_udfs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_sql = {f"cai_sql/sql/{p.relative_to(REPO / 'sql')}" for p in (REPO / "sql").glob("*/*.sql")}
    assert shipped_sql and shipped_sql <= names
    assert "cai_sql/udfs/__init__.py" in names
    shipped_web = {f"cai_sql/web/{p.relative_to(REPO / 'cai_sql' / 'web')}" for p in (REPO / "cai_sql" / "web").glob("*/*.*")}
    assert {"cai_sql/web/templates/base.html", "cai_sql/web/static/dashboard.js"} <= shipped_web <= names
    assert any(name.endswith("entry_points.txt") for name in names)


def test_installed_wheel_runs_outside_the_source_tree(wheel, tmp_path):
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # Reuse the dependencies already installed for the tests instead of downloading them again.
    (site / "reuse_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
                   check=True, capture_output=True, text=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run([python, "-c", "import cai_sql, cai_sql.sqlfiles as s; print(cai_sql.__file__); print(len(s.template_names()))"],
                           cwd=work, check=True, capture_output=True, text=True).stdout.split()
    assert Path(where[0]).is_relative_to(env_dir) and int(where[1]) >= 10
    cai = env_dir / "bin" / "cai"
    help_text = subprocess.run([cai, "--help"], cwd=work, check=True, capture_output=True, text=True).stdout
    assert "demo" in help_text
    demo = subprocess.run([cai, "demo", "--customers", "5000"], cwd=work, capture_output=True, text=True)
    assert demo.returncode == 0, demo.stderr
    assert (work / "cai_demo.duckdb").exists()
    report = subprocess.run([cai, "report", "--db", "cai_demo.duckdb", "--out", "r.html"], cwd=work, capture_output=True, text=True)
    assert report.returncode == 0, report.stderr  # templates, stylesheet and script came with the wheel
    assert "Latest run by bucket" in (work / "r.html").read_text(encoding="utf-8")
    assert cai_sql.__version__ in subprocess.run([cai, "--version"], cwd=work, capture_output=True, text=True).stdout
