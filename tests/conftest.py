"""Shared fixtures: real DuckDB files under tmp_path, fixed seeds, nothing written to the tree."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cai_sql

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def con(db_path: Path):
    connection = cai_sql.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture
def write(tmp_path: Path):
    """Write a text file under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def ledger(tmp_path: Path):
    """The hand-made score ledger of tests/fixtures/ledger.sql in a fresh file (plain DuckDB, no UDFs)."""
    import duckdb

    from cai_sql.ledger import ensure_ledger

    con = duckdb.connect(str(tmp_path / "ledger.duckdb"))
    con.execute("CREATE TABLE profiles (customer_id VARCHAR, loyalty_tier VARCHAR)")
    ensure_ledger(con)
    con.execute((FIXTURES / "ledger.sql").read_text())
    yield con
    con.close()


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> cai_sql.GeneratedFiles:
    """A small generated customer base shared by the tests that only read it."""
    return cai_sql.generate(tmp_path_factory.mktemp("demo_data"), customers=400, seed=7)


@pytest.fixture(scope="session")
def base_db(tmp_path_factory):
    """2,500 generated customers ingested once (with the demo's true intent); tests copy the file."""
    directory = tmp_path_factory.mktemp("base")
    files = cai_sql.generate(directory / "data", customers=2500, seed=11)
    db = directory / "base.duckdb"
    con = cai_sql.connect(db)
    cai_sql.ingest(con, files.events)
    cai_sql.ingest(con, files.profiles, profiles=True)
    con.execute("CREATE TABLE demo_purchase_intent AS SELECT * FROM read_parquet($p)", {"p": str(files.intent)})
    con.close()
    return db


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The database `cai demo` builds with its defaults, built once: the README's examples and the BI client
    tests read it (open it read-only, or copy it to write)."""
    from .readme_examples import build_demo_database

    return build_demo_database(tmp_path_factory.mktemp("demo"))


@contextlib.contextmanager
def opened_copy(source: Path, target: Path):
    """A connection to a fresh copy of ``source`` at ``target``, so each test starts from the same state."""
    shutil.copy(source, target)
    con = cai_sql.connect(target)
    try:
        yield con
    finally:
        con.close()


def cai_executable() -> str:
    """The `cai` console script of the environment running the tests."""
    candidate = Path(sys.executable).with_name("cai")
    return str(candidate) if candidate.exists() else shutil.which("cai") or "cai"


    # a guard against a hung command, not a speed check: a loaded shared machine runs the demo build in 5+ minutes
def run_cai(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [cai_executable(), *args], cwd=cwd, capture_output=True, text=True, timeout=900,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def rows(con, sql: str, params: dict | None = None) -> list[tuple]:
    return con.execute(sql, params or {}).fetchall()
