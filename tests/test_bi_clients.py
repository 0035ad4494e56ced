"""Real clients no one here wrote, on cai-sql's files: the DuckDB 1.5.6 command-line binary (a DuckDB older
than the Python package, as BI drivers are), SQLAlchemy with duckdb-engine (Superset's path), and readers
holding a published copy open while scoring and publishing go on. No mocks."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

import cai_sql
from cai_sql.database import STORAGE_VERSION_ENV, file_storage_version, version_tuple
from cai_sql.ledger import ensure_ledger

from .conftest import FIXTURES, cai_executable, rows, run_cai
from .readme_examples import all_examples, read_documents, render_rows

DUCKDB_CLI = Path(sys.executable).with_name("duckdb")  # the binary of the duckdb-cli package
ANALYST = re.compile(r"\bFROM cai_")  # queries over the ledger, segments and CLV ...
# ... but not the UDFs that exist only in a Python session, nor feature engineering over the raw events (slow here)
NOT_BI = re.compile(r"\bcai_(score|explain)\s*\(|cai_features|cai_labels|cai_clv_expected\(")


@pytest.fixture(autouse=True)
def default_setting(monkeypatch):
    monkeypatch.delenv(STORAGE_VERSION_ENV, raising=False)
    monkeypatch.delenv("CAI_PUBLISH_TO", raising=False)


def cli(db: Path, *statements: str) -> list[list[dict]]:
    """Run statements in the DuckDB CLI binary on ``db`` (read-only); one list of JSON rows per statement."""
    args = [str(DUCKDB_CLI), "-readonly", "-json", str(db)]
    for statement in statements:
        args += ["-c", statement]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and not result.stderr, result.stderr
    decoder, text, position, results = json.JSONDecoder(), result.stdout, 0, []
    while text[position:].strip():
        position += len(text[position:]) - len(text[position:].lstrip())
        value, position = decoder.raw_decode(text, position)
        results.append(value)
    return results


def cli_error(db: Path, statement: str) -> str:
    result = subprocess.run([str(DUCKDB_CLI), "-readonly", str(db), "-c", statement], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    return result.stderr + result.stdout


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def small_db(path: Path, storage_version: str) -> Path:
    """A ledger with its views and macros and the hand-made rows of tests/fixtures/ledger.sql, in a chosen storage version."""
    con = duckdb.connect(str(path), config={"storage_compatibility_version": storage_version})
    con.execute("CREATE TABLE profiles (customer_id VARCHAR, loyalty_tier VARCHAR)")
    ensure_ledger(con)
    con.execute((FIXTURES / "ledger.sql").read_text())
    con.close()
    return path


# --- the storage version of the files cai-sql creates ---------------------------------------------------


def test_the_cli_binary_is_older_than_the_python_package(tmp_path):
    """The premise: DuckDB 1.5.6 cannot open a file in duckdb 2.0's own storage version."""
    assert subprocess.run([str(DUCKDB_CLI), "--version"], capture_output=True, text=True).stdout.startswith("v1.5.6")
    assert "version number" in cli_error(small_db(tmp_path / "new.duckdb", "latest"), "SELECT 1")


def test_new_files_use_the_setting_and_existing_files_keep_their_version(tmp_path, monkeypatch):
    con = cai_sql.connect(tmp_path / "default.duckdb")
    ensure_ledger(con)
    assert file_storage_version(con) == cai_sql.DEFAULT_STORAGE_VERSION == "v1.4.0"
    con.close()
    assert cli(tmp_path / "default.duckdb", "SELECT count(*) AS n FROM cai_latest_scores") == [[{"n": 0}]]
    con = cai_sql.connect(tmp_path / "latest.duckdb", storage_version="latest")
    assert version_tuple(file_storage_version(con)) >= (2, 0, 0)
    con.close()
    monkeypatch.setenv(STORAGE_VERSION_ENV, "v1.5.0")
    assert cai_sql.storage_setting() == cai_sql.StorageSetting("v1.5.0", STORAGE_VERSION_ENV)
    con = cai_sql.connect(tmp_path / "env.duckdb")
    assert file_storage_version(con) == "v1.5.0"
    con.close()
    # An existing file is opened as it is and keeps its version when written again: a 2.0 file stays 2.0 under
    # the default setting, a v1.4.0 one stays v1.4.0 (the demo database below was written at length as v1.4.0).
    monkeypatch.delenv(STORAGE_VERSION_ENV)
    legacy = small_db(tmp_path / "legacy.duckdb", "latest")
    con = cai_sql.connect(legacy)
    con.execute("INSERT INTO profiles VALUES ('z', 'gold')")
    assert rows(con, "SELECT count(*) FROM cai_bucket_flow('m')") == [(5,)]
    con.close()
    con = cai_sql.connect(legacy, read_only=True)
    assert version_tuple(file_storage_version(con)) >= (2, 0, 0)
    con.close()


def test_a_file_newer_than_an_explicit_setting_is_refused_and_left_alone(tmp_path, monkeypatch):
    legacy = small_db(tmp_path / "legacy.duckdb", "latest")
    before = digest(legacy)
    monkeypatch.setenv(STORAGE_VERSION_ENV, "v1.4.0")
    for read_only in (False, True):
        with pytest.raises(cai_sql.CaiError, match=r"legacy.duckdb has storage version v2\.0\.0, newer than the configured "
                                                  r"v1\.4\.0: DuckDB clients older than v2\.0\.0 .* left unchanged.*unset "
                                                  r"\$CAI_STORAGE_VERSION.*cai publish"):
            cai_sql.connect(legacy, read_only=read_only)
    assert digest(legacy) == before and not Path(f"{legacy}.wal").exists()
    result = run_cai("summary", "--db", str(legacy), cwd=tmp_path, env={STORAGE_VERSION_ENV: "v1.4.0"})
    assert result.returncode == 1 and result.stderr.startswith("Error: ") and "newer than the configured v1.4.0" in result.stderr
    with pytest.raises(cai_sql.CaiError, match="pass storage_version='v2.0.0' or none"):
        cai_sql.connect(legacy, storage_version="v1.4.0")
    monkeypatch.setenv(STORAGE_VERSION_ENV, "v9.9")
    with pytest.raises(cai_sql.CaiError, match=r"\$CAI_STORAGE_VERSION 'v9.9' is not a storage version duckdb .* knows"):
        cai_sql.connect(tmp_path / "other.duckdb")
    assert not (tmp_path / "other.duckdb").exists()


# --- the DuckDB CLI and SQLAlchemy on the demo database ---------------------------------------------------


def test_duckdb_cli_gives_the_readme_answers_on_the_demo_database(demo_db):
    """The manual's analyst queries (README.md and docs/*.md) — latest scores, bucket counts and trends, segments,
    the reason-code table, flows, cohorts, drift, CLV — run by the DuckDB 1.5.6 binary on the live demo file give
    the manual's answers."""
    bi = [m for _, m in all_examples(read_documents()) if ANALYST.search(m.group("sql")) and not NOT_BI.search(m.group("sql"))]
    sql = " ".join(m.group("sql") for m in bi)
    for needed in ("FROM cai_latest_scores", "FROM cai_bucket_trend", "FROM cai_segment_sizes", "FROM cai_factors_by_bucket",
                   "FROM cai_latest_clv", "FROM cai_clv_deciles"):
        assert needed in sql
    results = cli(demo_db, *(m.group("sql") for m in bi))
    assert len(results) == len(bi) >= 15
    for match, result in zip(bi, results):
        names = list(result[0])
        assert render_rows(names, [tuple(row[n] for n in names) for row in result]) == match.group("output"), match.group("sql")


@pytest.mark.filterwarnings("ignore:duckdb-engine doesn't yet support reflection on indices")
def test_sqlalchemy_duckdb_engine_reads_the_views(published_demo, demo_db):
    """Superset's path: SQLAlchemy + duckdb-engine lists the views, reflects their columns and queries them."""
    from sqlalchemy import MetaData, Table, create_engine, func, inspect, select, text

    engine = create_engine(f"duckdb:///{published_demo}", connect_args={"read_only": True})
    try:
        views = set(inspect(engine).get_view_names())
        assert {"cai_latest_scores", "cai_score_history", "cai_bucket_trend", "cai_factors_by_bucket", "cai_latest_clv"} <= views
        with pytest.warns(Warning, match="influential_factors"):  # a list of structs has no SQLAlchemy type
            latest = Table("cai_latest_scores", MetaData(), autoload_with=engine)
        assert {"model", "score", "bucket", "probability", "influential_factors"} <= set(latest.columns.keys())
        with engine.connect() as connection:
            counts = connection.execute(select(latest.c.model, latest.c.bucket, func.count()).group_by(latest.c.model, latest.c.bucket)
                                        .order_by(latest.c.model, latest.c.bucket)).fetchall()
            flow = connection.execute(text("SELECT sum(customers) FROM cai_bucket_flow('purchase_30d')")).scalar()
    finally:
        engine.dispose()
    con = cai_sql.connect(demo_db, read_only=True)
    try:
        assert [tuple(r) for r in counts] == rows(con, "SELECT model, bucket, count(*) FROM cai_latest_scores GROUP BY ALL ORDER BY ALL")
        assert flow == rows(con, "SELECT sum(customers) FROM cai_bucket_flow('purchase_30d')")[0][0]
    finally:
        con.close()


# --- publishing a read-only copy ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published_demo(demo_db, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("bi") / "cai_bi.duckdb"
    result = cai_sql.publish(demo_db, target)
    assert result.target == target and result.storage_version == "v1.4.0" and result.size_bytes == target.stat().st_size
    return target


def test_published_copy_has_everything_and_opens_in_the_old_cli(published_demo, demo_db):
    assert published_demo.stat().st_mode & 0o777 == 0o444
    objects = ("SELECT (SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()) AS tables, "
               "(SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() AND NOT internal) AS views, "
               "(SELECT count(*) FROM duckdb_functions() WHERE database_name = current_database() AND NOT internal) AS macros")
    (copy,), (published,), (live,) = cli(published_demo, objects, "SELECT source, storage_version FROM cai_published",
                                         "SELECT count(*) AS n FROM cai_scores")
    (source,) = cli(demo_db, objects)
    assert copy == {**source[0], "tables": source[0]["tables"] + 1}  # + cai_published
    assert published == {"source": str(demo_db.resolve()), "storage_version": "v1.4.0"}
    info = cai_sql.database_info(published_demo)
    assert info.storage_version == "v1.4.0" and info.published_from == str(demo_db.resolve()) and info.readable_by_setting
    assert live == {"n": 198_606}


def test_publish_gives_bi_a_readable_copy_of_a_newer_file(tmp_path, monkeypatch):
    """A file created before the setting (2.0 storage) stays as it is; its published copy is v1.4.0, even when an
    explicit setting refuses to open the live file itself."""
    legacy = small_db(tmp_path / "legacy.duckdb", "latest")
    before = digest(legacy)
    monkeypatch.setenv(STORAGE_VERSION_ENV, "v1.4.0")
    con = duckdb.connect(str(legacy))  # a caller's own connection can be published too
    result = cai_sql.publish(con, tmp_path / "bi.duckdb")
    con.close()
    assert result.storage_version == "v1.4.0" and digest(legacy) == before
    (flow, ) = cli(tmp_path / "bi.duckdb", "SELECT from_bucket, to_bucket, customers FROM cai_bucket_flow('m') ORDER BY ALL")
    assert len(flow) == 5
    assert cai_sql.publish(legacy, tmp_path / "bi2.duckdb", storage_version="latest").storage_version == "latest"
    assert "version number" in cli_error(tmp_path / "bi2.duckdb", "SELECT 1")


def test_publish_refuses_bad_targets_and_loses_nothing(tmp_path):
    live = cai_sql.connect(tmp_path / "live.duckdb")
    ensure_ledger(live)
    live.close()
    live = tmp_path / "live.duckdb"
    (tmp_path / "bi").mkdir()
    other = small_db(tmp_path / "bi" / "other.duckdb", "v1.4.0")
    text_file = tmp_path / "bi" / "notes.duckdb"
    text_file.write_text("not a database")
    before = {p: digest(p) for p in (live, other, text_file)}
    (tmp_path / "link.duckdb").symlink_to(live)
    cases = {
        str(live): "is the live database itself",
        str(tmp_path / "link.duckdb"): "is the live database itself",
        str(tmp_path / "missing" / "bi.duckdb"): "directory .*missing does not exist; create it first",
        str(other): "is a DuckDB database that cai publish did not write",
        str(text_file): "exists and cannot be opened as a DuckDB database",
        str(tmp_path / "bi"): "it is a directory",
    }
    for target, message in cases.items():
        with pytest.raises(cai_sql.CaiError, match=message):
            cai_sql.publish(live, target)
    with pytest.raises(cai_sql.CaiError, match="does not exist; nothing to publish"):
        cai_sql.publish(tmp_path / "nope.duckdb", tmp_path / "bi" / "x.duckdb")
    result = run_cai("publish", "--db", "live.duckdb", "--to", "missing/bi.duckdb", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("Error: cannot publish to missing/bi.duckdb: directory")
    # A client that opened the copy for writing left a WAL: replacing the file under it would lose or corrupt.
    cai_sql.publish(live, tmp_path / "bi" / "bi.duckdb")
    Path(tmp_path / "bi" / "bi.duckdb.wal").write_bytes(b"")
    with pytest.raises(cai_sql.CaiError, match="bi.duckdb.wal exists: a client opened the published copy for writing"):
        cai_sql.publish(live, tmp_path / "bi" / "bi.duckdb")
    assert {p: digest(p) for p in before} == before
    assert sorted(p.name for p in (tmp_path / "bi").iterdir()) == ["bi.duckdb", "bi.duckdb.wal", "notes.duckdb", "other.duckdb"]
    assert not list(tmp_path.rglob("*.publishing*"))


def test_cli_publish_and_info(tmp_path):
    con = cai_sql.connect(tmp_path / "live.duckdb")
    ensure_ledger(con)
    con.close()
    published = run_cai("publish", "--db", "live.duckdb", "--to", "bi.duckdb", cwd=tmp_path)
    assert published.returncode == 0, published.stderr
    assert re.search(r"Published \S*live.duckdb to bi.duckdb \(storage version v1.4.0, [\d.]+ MB, read-only\) in [\d.]+ s", published.stdout)
    info = run_cai("info", "--db", "bi.duckdb", cwd=tmp_path)
    assert info.returncode == 0, info.stderr
    assert "storage version of new database files: v1.4.0 (default)" in info.stdout
    assert "database bi.duckdb: storage version v1.4.0" in info.stdout and "published copy of " in info.stdout
    legacy = cai_sql.database_info(small_db(tmp_path / "legacy.duckdb", "latest"))
    assert legacy.storage_version == "v2.0.0" and not legacy.readable_by_setting
    assert "newer than the setting v1.4.0: BI clients on an older DuckDB cannot open this file" in "\n".join(legacy.lines())



def _publisher_caught_mid_copy(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    """A `cai publish` subprocess stopped (SIGSTOP) as soon as its temporary copy has bytes: alive, mid-copy."""
    live = tmp_path / "live.duckdb"
    if not live.exists():
        con = duckdb.connect(str(live))  # big enough that the copy takes seconds here
        con.execute("CREATE TABLE t AS SELECT i, md5(CAST(i AS VARCHAR)) AS s FROM range(1500000) AS r(i)")
        con.close()
    process = subprocess.Popen([cai_executable(), "publish", "--db", "live.duckdb", "--to", "bi.duckdb"], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        copies = [p for p in tmp_path.glob(".bi.duckdb.*.publishing") if p.stat().st_size > 0]
        if copies:
            os.kill(process.pid, signal.SIGSTOP)
            return process, copies[0]
        time.sleep(0.005)
    raise AssertionError(f"the publish ended before its copy was seen: {process.returncode}, {process.stderr.read()}")


def test_a_publish_killed_mid_copy_leaves_files_the_next_publish_removes(tmp_path):
    process, temporary = _publisher_caught_mid_copy(tmp_path)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert temporary.exists() and Path(f"{temporary}.lock").exists()
    again = run_cai("publish", "--db", "live.duckdb", "--to", "bi.duckdb", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "; removed 1 temporary file left by an interrupted publish" in again.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bi.duckdb", "live.duckdb"]
    assert cli(tmp_path / "bi.duckdb", "SELECT count(*) AS n FROM t") == [[{"n": 1_500_000}]]


def test_a_running_publishers_temporary_file_is_kept(tmp_path):
    process, temporary = _publisher_caught_mid_copy(tmp_path)
    try:
        result = cai_sql.publish(tmp_path / "live.duckdb", tmp_path / "bi.duckdb")  # meanwhile, another publish
        assert result.removed == () and temporary.exists()
    finally:
        os.kill(process.pid, signal.SIGCONT)
    assert process.wait(timeout=120) == 0, process.stderr.read()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bi.duckdb", "live.duckdb"]


def test_temporary_files_of_an_older_cai_sql_are_removed_when_their_process_is_gone(tmp_path):
    """Before the lock files, a temporary file carried only its publisher's pid."""
    live = small_db(tmp_path / "live.duckdb", "v1.4.0")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".bi.duckdb.{int(dead.stdout)}-0a1b2c3d.publishing"
    running = tmp_path / f".bi.duckdb.{os.getpid()}-0a1b2c3d.publishing"
    for path in (stale, Path(f"{stale}.wal"), running):
        path.write_bytes(b"x" * 1000)
    assert cai_sql.publish(live, tmp_path / "bi.duckdb").removed == (stale,)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, "bi.duckdb", "live.duckdb"])


READER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    import duckdb

    path, stop, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

    def look(con):
        return [str(con.execute("SELECT max(published_at) FROM cai_published").fetchall()[0][0]),
                con.execute("SELECT count(*) FROM cai_latest_scores").fetchall()[0][0],
                con.execute("SELECT count(*) FROM cai_scores").fetchall()[0][0]]

    deadline = time.monotonic() + 120
    if mode == "hold":  # a dashboard that keeps the copy open (in one process, new connections share that open file)
        held = duckdb.connect(path, read_only=True)
        print(json.dumps({"held": look(held)}), flush=True)
        while not stop.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        print(json.dumps({"held": look(held)}), flush=True)
    while mode == "poll" and not stop.exists() and time.monotonic() < deadline:  # one that opens it again and again
        try:
            con = duckdb.connect(path, read_only=True)
            print(json.dumps({"seen": look(con)}), flush=True)
            con.close()
        except Exception as exc:
            print(json.dumps({"error": repr(exc)}), flush=True)
        time.sleep(0.02)
""")


def test_scoring_and_publishing_while_a_reader_holds_the_copy(demo_db, published_demo, tmp_path):
    live, target, stop = tmp_path / "live.duckdb", tmp_path / "bi" / "cai_bi.duckdb", tmp_path / "stop"
    target.parent.mkdir()
    shutil.copy(demo_db, live)
    shutil.copy(published_demo, target)  # the demo's published copy, as if published from here
    old = cai_sql.database_info(target)
    readers = {mode: subprocess.Popen([sys.executable, "-c", READER, str(target), str(stop), mode], stdout=subprocess.PIPE, text=True)
               for mode in ("hold", "poll")}
    try:
        first = json.loads(readers["hold"].stdout.readline())["held"]
        assert first == [str(old.published_at), 20_338, 198_606]
        # A reader holds the copy open: scoring the live file and publishing after the run both succeed.
        scored = run_cai("score", "purchase_30d", "--as-of", "2026-10-20", "--db", str(live), "--publish", str(target), cwd=tmp_path)
        assert scored.returncode == 0, scored.stderr
        assert "run 21: purchase_30d v1 scored" in scored.stdout and "Published " in scored.stdout
        con = duckdb.connect(str(target), read_only=True)
        new = [str(rows(con, "SELECT published_at FROM cai_published")[0][0]),
               *rows(con, "SELECT (SELECT count(*) FROM cai_latest_scores), (SELECT count(*) FROM cai_scores)")[0]]
        con.close()
        assert new[0] > first[0] and new[2] > 198_606
        polled = []
        for line in readers["poll"].stdout:  # until the polling reader gets the new copy
            polled.append(json.loads(line))
            if polled[-1].get("seen") == new:
                break
    finally:
        stop.touch()
        out = {mode: reader.communicate(timeout=60)[0] for mode, reader in readers.items()}
    polled += [json.loads(line) for line in out["poll"].splitlines()]
    assert json.loads(out["hold"]) == {"held": first}  # the copy a reader holds never changed under it
    assert [line for line in polled if "error" in line] == []
    seen = {tuple(line["seen"]) for line in polled}
    assert seen <= {tuple(first), tuple(new)} and tuple(new) in seen  # every open got a whole copy, old or new
    assert sorted(p.name for p in target.parent.iterdir()) == ["cai_bi.duckdb"]


# --- every persisted macro through ATTACH … AS alias (dbt-duckdb, sqlmesh, notebooks) ----------------------

ALIAS = "warehouse_cai"  # any alias: not the file's name, not "cai"


def persisted_macros(con) -> list[tuple[str, str, list[str]]]:
    """(name, 'macro' | 'table_macro', parameters) of every macro the database file holds."""
    found = con.execute("""
        SELECT function_name, function_type, parameters FROM duckdb_functions()
        WHERE database_name = current_database() AND function_type IN ('macro', 'table_macro') AND NOT internal
        ORDER BY function_name, len(parameters) DESC""").fetchall()
    longest: dict[str, tuple[str, str, list[str]]] = {}
    for name, kind, parameters in found:
        longest.setdefault(name, (name, kind, list(parameters)))
    return list(longest.values())


def macro_call(con, name: str, kind: str, parameters: list[str]) -> str:
    """A query calling the macro with arguments from the demo (by parameter name); counts its rows."""
    model = next((m for (m,) in con.execute("SELECT DISTINCT model FROM cai_models ORDER BY 1").fetchall()
                  if name.endswith(m) or f"_{m}_v" in name), "purchase_30d")
    runs = [r for (r,) in con.execute("SELECT run_id FROM cai_runs WHERE model = $m AND status = 'succeeded' ORDER BY run_id",
                                      {"m": model}).fetchall()]
    day = con.execute("SELECT max(score_date) FROM cai_runs WHERE model = $m", {"m": model}).fetchall()[0][0]
    customer = con.execute("SELECT customer_id FROM cai_scores WHERE run_id = $r ORDER BY customer_id LIMIT 1",
                           {"r": runs[-1]}).fetchall()[0][0]
    segment = con.execute("SELECT min(segment) FROM cai_segments WHERE model = $m", {"m": model}).fetchall()[0][0]
    values = {
        "model_name": f"'{model}'", "model": f"'{model}'", "cutoff_date": f"DATE '{day}'", "bucket_name": "'high'",
        "cohort_bucket": "'high'", "cohort_run": str(runs[0]), "from_run": str(runs[0]), "to_run": str(runs[-1]),
        "run_a": str(runs[-2]), "run_b": str(runs[-1]), "attribute": "'loyalty_tier'", "horizon": "90",
        "customer": f"'{customer}'", "segment_name": f"'{segment}'", "k": "3",
        # the BG/NBD and Gamma-Gamma formulas (numbers of the published CDNOW fit)
        "x": "2", "t_x": "30.4", "T": "38.9", "r": "0.243", "alpha": "4.414", "a": "0.793", "b": "2.426",
        "m": "35.0", "p": "6.25", "q": "3.74", "gamma": "15.44", "c": "3.5", "z": "0.4", "n": "2",
    }
    if parameters == ["feature_row"] or parameters == ["feature_row", "k"]:
        arguments = ", ".join(["f", *(["3"] if "k" in parameters else [])])
        return f"SELECT count({name}({arguments})) FROM cai_features_{model}(DATE '{day}') AS f"
    if name.startswith("cai_hyp2f1") or name == "cai_log_hyp2f1":
        values.update(a="1.2", b="2.5", c="3.5")
    arguments = ", ".join(values[p] for p in parameters)
    return f"SELECT count(*) FROM {name}({arguments})" if kind == "table_macro" else f"SELECT count({name}({arguments}))"


def test_every_persisted_macro_works_attached_under_an_alias(demo_db):
    """ATTACH … AS alias (READ_ONLY) plus the search path: every macro resolves its tables and macros in its own file."""
    direct = duckdb.connect(str(demo_db), read_only=True)
    macros = persisted_macros(direct)
    assert {"cai_bucket_flow", "cai_features", "cai_clv_p_alive", "cai_features_purchase_30d", "cai_labels_churn_60d"} \
        <= {name for name, _, _ in macros}
    calls = {name: macro_call(direct, name, kind, parameters) for name, kind, parameters in macros}
    expected = {name: direct.execute(query).fetchall() for name, query in calls.items()}
    direct.close()
    attached = duckdb.connect()
    attached.execute(f"ATTACH '{demo_db}' AS {ALIAS} (READ_ONLY)")
    attached.execute(f"SET search_path = '{ALIAS}'")
    for name, query in calls.items():
        assert attached.execute(query).fetchall() == expected[name], name
        qualified = query.replace(f" {name}(", f" {ALIAS}.{name}(", 1)  # also called by its qualified name
        assert attached.execute(qualified).fetchall() == expected[name], name
    attached.close()


def test_macros_work_attached_in_the_old_cli(published_demo):
    """The same through the DuckDB 1.5.6 CLI binary, on the published copy."""
    con = duckdb.connect(str(published_demo), read_only=True)
    calls = [macro_call(con, name, kind, parameters) for name, kind, parameters in persisted_macros(con)
             if not name.startswith("cai_features") and not name.startswith("cai_labels")]  # events scans: slow here
    con.close()
    args = [str(DUCKDB_CLI), "-json", "-c", f"ATTACH '{published_demo}' AS {ALIAS} (READ_ONLY)",
            "-c", f"SET search_path = '{ALIAS}'"]
    for query in calls:
        args += ["-c", query]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and not result.stderr, result.stderr


# --- scoring live in the clients: every model's persisted score/explain macros ------------------------------


def live_scoring_query(model: str, day) -> str:
    return (f"SELECT f.customer_id, cai_score_{model}(f) AS probability, cai_explain_{model}(f, 3) AS factors "
            f"FROM cai_features_{model}(DATE '{day}') AS f ORDER BY f.customer_id")


def ledger_run(db: Path, model: str) -> tuple[object, dict[str, tuple[float, list[dict]]]]:
    """The score date of the model's latest successful run and its ledger rows: customer → (probability, factors)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        run_id, day = rows(con, "SELECT run_id, score_date FROM cai_runs WHERE model = $m AND status = 'succeeded' "
                                "ORDER BY score_date DESC, run_id DESC LIMIT 1", {"m": model})[0]
        ledger = {c: (p, factors) for c, p, factors in rows(con, """
            SELECT customer_id, probability, influential_factors FROM cai_scores WHERE run_id = $r""",
                                                     {"r": run_id})}
    finally:
        con.close()
    return day, ledger


TIE = 1e-5  # contributions this close may rank either way (float32 in the ledger's ONNX graph, double in SQL)


def same_top3(live: list[dict], ledger: list[dict]) -> bool:
    """The ledger's first 3 codes, except where two factors tie (a linear model's identical features: page-view and
    event gaps when every event is a page view): there the live code must be a ledger factor with that contribution."""
    if [f["code"] for f in live] == [f["code"] for f in ledger[:3]]:
        return True
    contribution = {f["code"]: f["contribution"] for f in ledger}
    return len(live) == min(3, len(ledger)) and all(
        a["code"] == b["code"] or (abs(a["contribution"] - b["contribution"]) <= TIE and a["code"] in contribution
                                   and abs(contribution[a["code"]] - a["contribution"]) <= TIE)
        for a, b in zip(live, ledger))


def assert_matches_ledger(live: list[tuple], ledger: dict[str, tuple[float, list[dict]]]) -> None:
    """Every customer of the run, probabilities within 1e-6, the ledger's top-3 reason codes (up to exact ties)."""
    got = {c: (p, list(factors)) for c, p, factors in live}
    assert got.keys() == ledger.keys() and len(got) > 1000
    assert max(abs(got[c][0] - ledger[c][0]) for c in got) <= 1e-6
    assert [c for c in got if not same_top3(got[c][1], ledger[c][1])] == []
    exact = sum([f["code"] for f in got[c][1]] == [f["code"] for f in ledger[c][1][:3]] for c in got)
    assert exact >= 0.95 * len(got)


def cli_live_scores(db: Path, model: str, day) -> list[tuple]:
    (result,) = cli(db, "SET enable_progress_bar = false", live_scoring_query(model, day))[-1:]
    return [(r["customer_id"], r["probability"], r["factors"]) for r in result]


def sqlalchemy_live_scores(db: Path, model: str, day) -> list[tuple]:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"duckdb:///{db}", connect_args={"read_only": True})
    try:
        with engine.connect() as connection:
            connection.execute(text("SET enable_progress_bar = false"))
            return [tuple(r) for r in connection.execute(text(live_scoring_query(model, day))).fetchall()]
    finally:
        engine.dispose()


@pytest.mark.parametrize("model", ["churn_60d", "purchase_30d"])
def test_clients_score_live_as_the_ledger_did(published_demo, model):
    """The DuckDB 1.5.6 CLI and SQLAlchemy + duckdb-engine score and explain every customer live with the demo's
    persisted macros (logistic regression) on the published copy, at the date of the model's latest run: the
    ledger's probabilities and top-3 reason codes."""
    day, ledger = ledger_run(published_demo, model)
    assert_matches_ledger(cli_live_scores(published_demo, model, day), ledger)
    assert_matches_ledger(sqlalchemy_live_scores(published_demo, model, day), ledger)


TREE_DATE = "2026-10-15"


@pytest.fixture(scope="module")
def published_trees(base_db, tmp_path_factory) -> Path:
    """A gradient-boosted purchase model trained on the base customers, scored by onnxruntime into the ledger
    (cai score), published for BI."""
    from cai_sql.spec import spec_from_dict
    from cai_sql.training import train

    from .test_training import NOW, PURCHASE

    directory = tmp_path_factory.mktemp("bi_trees")
    live = directory / "trees.duckdb"
    shutil.copy(base_db, live)
    con = cai_sql.connect(live)
    try:
        trained = train(con, spec_from_dict(PURCHASE), now=NOW, algorithms=("hist_gradient_boosting",))
        assert trained.record.algorithm == "hist_gradient_boosting"
        assert json.loads(rows(con, "SELECT metrics FROM cai_models")[0][0])["sql_macros"]["created"]
        run = cai_sql.score(con, "purchase_30d", as_of=dt.date.fromisoformat(TREE_DATE))
        assert rows(con, "SELECT scored_via FROM cai_runs WHERE run_id = $r", {"r": run.run_id}) == [("udf",)]
    finally:
        con.close()
    published = run_cai("publish", "--db", str(live), "--to", str(directory / "bi.duckdb"), cwd=directory)
    assert published.returncode == 0, published.stderr
    return directory / "bi.duckdb"


def test_clients_score_a_tree_model_live_as_the_ledger_did(published_trees):
    """A tree model's nested-CASE macros in the DuckDB 1.5.6 CLI and through SQLAlchemy: the probabilities and top-3
    reason codes onnxruntime wrote to the ledger."""
    day, ledger = ledger_run(published_trees, "purchase_30d")
    assert str(day) == TREE_DATE
    assert_matches_ledger(cli_live_scores(published_trees, "purchase_30d", day), ledger)
    assert_matches_ledger(sqlalchemy_live_scores(published_trees, "purchase_30d", day), ledger)
