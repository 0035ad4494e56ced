"""DuckDB's memory limit and spill directory (cai_sql.memory): the default, the setting, a bad value,
and a scoring run that completes under a small limit by spilling. Real DuckDB files under tmp_path."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from click.testing import CliRunner

import cai_sql
from cai_sql.cli import main
from cai_sql.defaults import DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ENV
from cai_sql.memory import TEMP_DIRECTORY_ENV

from .test_scoring import DATE, scored_db  # noqa: F401  (module fixture reused)


def settings(con) -> tuple[str, str]:
    return con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchall()[0]


def duckdb_reads(limit: str) -> str:
    probe = duckdb.connect()
    probe.execute("SET memory_limit = $limit", {"limit": limit})
    return settings(probe)[0]


@pytest.fixture(autouse=True)
def unset(monkeypatch):
    """Empty is unset; monkeypatch restores what was there, also after `cai --memory-limit` set it in this process."""
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "")
    monkeypatch.setenv(TEMP_DIRECTORY_ENV, "")


def test_the_default_limit_and_a_spill_directory_next_to_the_database(tmp_path):
    con = cai_sql.connect(tmp_path / "a.duckdb")
    assert settings(con) == (duckdb_reads(DEFAULT_MEMORY_LIMIT), str(tmp_path / "a.duckdb.tmp"))
    con.close()
    memory = cai_sql.connect()
    assert not settings(memory)[1].startswith(".")  # an in-memory database never spills into the current directory
    memory.close()


def test_the_setting_and_the_spill_directory_can_be_chosen(tmp_path, monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1GB")
    monkeypatch.setenv(TEMP_DIRECTORY_ENV, str(tmp_path / "spill"))
    con = cai_sql.connect(tmp_path / "a.duckdb")
    assert settings(con) == (duckdb_reads("1GB"), str(tmp_path / "spill"))
    con.close()


def test_a_bad_limit_is_one_error_and_creates_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.csv").write_text("customer_id,ts,event_type\nc1,2026-01-01 10:00:00,web.webpagedetails.pageViews\n")
    result = CliRunner().invoke(main, ["--memory-limit", "lots", "ingest", "e.csv", "--db", "new.duckdb"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: memory limit 'lots' ($CAI_MEMORY_LIMIT or --memory-limit) is not a memory size (Memory must have a "
        "number (e.g. 1GB)); use e.g. 4GB, 500MiB, or 50% (of this machine's memory)"]
    assert not (tmp_path / "new.duckdb").exists()


def test_a_scoring_run_under_a_small_limit_spills_and_gives_the_same_rows(scored_db, tmp_path, monkeypatch):  # noqa: F811
    db = tmp_path / "s.duckdb"
    shutil.copy(scored_db, db)
    con = cai_sql.connect(db)
    free = cai_sql.score(con, "purchase_30d", as_of=DATE)
    expected = con.execute("SELECT customer_id, probability, bucket FROM cai_scores WHERE run_id = $r ORDER BY 1",
                           {"r": free.run_id}).fetchall()
    con.close()
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "60MB")
    con = cai_sql.connect(db)
    con.execute("SET threads = 1")
    limited = cai_sql.score(con, "purchase_30d", as_of=DATE)
    assert limited.replaced == (free.run_id,)
    assert con.execute("SELECT customer_id, probability, bucket FROM cai_scores WHERE run_id = $r ORDER BY 1",
                       {"r": limited.run_id}).fetchall() == expected
    con.close()
