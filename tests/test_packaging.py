"""The built wheel carries sql/ and udfs/, installs non-editable in a fresh venv and runs there."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

import cai_sql

REPO = Path(__file__).resolve().parent.parent
SOURCE_PARTS = ("pyproject.toml", "README.md", "cai_sql", "sql", "udfs")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build from a copy of the source, so nothing is written into the working tree."""
    src = tmp_path_factory.mktemp("src")
    for part in SOURCE_PARTS:
        origin = REPO / part
        if origin.is_dir():
            shutil.copytree(origin, src / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, src / part)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dist), str(src)],
        check=True, capture_output=True, text=True,
    )
    (built,) = dist.glob("cai_sql-*.whl")
    return built


def test_wheel_carries_sql_templates_and_udfs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_sql = {f"cai_sql/sql/{p.name}" for p in (REPO / "sql").glob("*.sql")}
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
