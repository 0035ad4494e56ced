"""The `cai` console script, run as a real subprocess."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

import cai_sql

from .conftest import cai_executable, rows, run_cai


def test_help_lists_commands(tmp_path):
    result = run_cai("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("demo", "generate", "ingest", "summary", "train", "score", "runs", "models", "clv", "serve", "report"):
        assert command in result.stdout


def test_version(tmp_path):
    result = run_cai("--version", cwd=tmp_path, env={"CAI_STORAGE_VERSION": ""})
    assert result.returncode == 0 and cai_sql.__version__ in result.stdout
    assert "new database files use storage version v1.4.0 (default)" in result.stdout


def test_known_errors_print_one_line_and_exit_non_zero(tmp_path):
    (tmp_path / "bad.csv").write_text("customer_id,ts,event_type\na,never,e\nb,2026-01-01,\n")
    result = run_cai("ingest", "bad.csv", "--db", "x.duckdb", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: bad.csv: ts is not a timestamp in 1 of 2 rows")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = run_cai("--debug", "ingest", "missing.csv", "--db", "x.duckdb", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "InputError: missing.csv: no such file" in result.stderr


def test_ingest_with_map_and_ts_format(tmp_path):
    (tmp_path / "shop.csv").write_text("user,when,what,amount\n001,02/01/2026 10:30,commerce.purchases,20\n")
    result = run_cai("ingest", "shop.csv", "--db", "shop.duckdb", "--map", "customer_id=user", "--map", "ts=when",
                     "--map", "event_type=what", "--map", "value=amount", "--ts-format", "%d/%m/%Y %H:%M", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 of 1 rows written to events" in result.stdout
    con = cai_sql.connect(tmp_path / "shop.duckdb")
    assert rows(con, "SELECT customer_id, strftime(ts, '%Y-%m-%d %H:%M'), value FROM events") == [("001", "2026-01-02 10:30", 20.0)]


def test_ingest_mapping_file_and_profiles(tmp_path):
    (tmp_path / "mapping.toml").write_text('[events]\ncustomer_id = "user"\n[profiles]\ncustomer_id = "user"\n')
    (tmp_path / "ev.csv").write_text("user,ts,event_type\nu1,2026-01-01,e\n")
    (tmp_path / "people.csv").write_text("user,tier\nu1,gold\n")
    assert run_cai("ingest", "ev.csv", "--mapping", "mapping.toml", cwd=tmp_path).returncode == 0
    result = run_cai("ingest", "people.csv", "--profiles", "--mapping", "mapping.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = run_cai("summary", cwd=tmp_path)
    assert summary.returncode == 0 and "1 customers, 1 events" in summary.stdout and "1 profiles" in summary.stdout


def test_bad_map_argument(tmp_path):
    result = run_cai("ingest", "x.csv", "--map", "customer_id", cwd=tmp_path)
    assert result.returncode == 1 and "Error: --map 'customer_id': write it as FIELD=COLUMN" in result.stderr


def test_summary_of_missing_database(tmp_path):
    result = run_cai("summary", "--db", "nope.duckdb", cwd=tmp_path)
    assert result.returncode == 1 and "Error: database nope.duckdb does not exist" in result.stderr
    assert not (tmp_path / "nope.duckdb").exists()


def test_generate_writes_the_three_files(tmp_path):
    result = run_cai("generate", "--customers", "150", "--seed", "3", "--out", "data", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["events.parquet", "profiles.csv", "purchase_intent.parquet"]


def test_demo_end_to_end(tmp_path):
    result = run_cai("demo", "--customers", "5000", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Wrote cai_demo.duckdb" in result.stdout and "commerce.purchases" in result.stdout
    assert "Open the dashboard: cai serve --db cai_demo.duckdb" in result.stdout
    con = cai_sql.connect(tmp_path / "cai_demo.duckdb")
    tables = {t for (t,) in rows(con, "SELECT table_name FROM information_schema.tables")}
    assert {"events", "profiles", "demo_purchase_intent", "cai_models", "cai_model_evaluation"} <= tables
    assert rows(con, "SELECT model, version FROM cai_models ORDER BY 1") == [("churn_60d", 1), ("purchase_30d", 1)]
    assert (tmp_path / "cai_demo_data" / "purchase_30d.toml").exists()
    # ten weekly scoring runs per model, history in the BI views, outcomes where windows closed
    runs = rows(con, "SELECT model, count(*), count(DISTINCT score_date), max(score_date) - min(score_date) FROM cai_runs "
                     "WHERE status = 'succeeded' GROUP BY 1 ORDER BY 1")
    assert runs == [("churn_60d", 10, 10, 63), ("purchase_30d", 10, 10, 63)]
    assert rows(con, "SELECT model, count(*) FROM cai_realized_auc GROUP BY 1 ORDER BY 1") == [("churn_60d", 1), ("purchase_30d", 5)]
    assert rows(con, "SELECT count(*), count(DISTINCT model) FROM cai_segments WHERE kind = 'bucket'") == [(6, 2)]
    assert rows(con, "SELECT count(DISTINCT model), min(score_date) = max(score_date) FROM cai_latest_scores") == [(2, True)]
    # lifetime value fitted and scored as of the demo's "now", a year ahead in weeks
    assert "CLV fit 1 as of 2026-11-01 (weeks)" in result.stdout and "CLV run 1: fit 1 scored" in result.stdout
    assert rows(con, "SELECT time_unit, horizon, score_date FROM cai_clv_runs") == [("weeks", 52.0, dt.date(2026, 11, 1))]
    assert rows(con, "SELECT count(*) = count(DISTINCT customer_id), min(clv_decile), max(clv_decile) FROM cai_latest_clv") == [(True, 1, 10)]
    assert rows(con, "SELECT count(*) > 0, min(clv_decile) >= 9 FROM cai_clv_high_value_at_risk") == [(True, True)]
    con.close()
    # plain commands find the demo's database; the real registry and reasons in the scripting formats
    plain = run_cai("runs", "--limit", "2", cwd=tmp_path, env={"CAI_DB": ""})
    assert plain.returncode == 0 and plain.stdout.count("succeeded") == 2 and "churn_60d" in plain.stdout
    models = json.loads(run_cai("models", "--format", "json", cwd=tmp_path).stdout)
    assert [(m["model"], m["version"], len(m["sha256"])) for m in models] == [("churn_60d", 1, 64), ("purchase_30d", 1, 64)]
    card = json.loads(run_cai("models", "show", "purchase_30d", "--format", "json", cwd=tmp_path).stdout)
    assert card["metrics"]["auc"] == card["auc"] and len(card["features"]) == card["n_features"]
    features = list(csv.DictReader(io.StringIO(run_cai("models", "show", "purchase_30d", "--format", "csv", cwd=tmp_path).stdout)))
    assert len(features) == card["n_features"] and {"model", "version", "name", "description"} <= features[0].keys()
    reader = duckdb.connect(str(tmp_path / "cai_demo.duckdb"), read_only=True)
    (customer,), = rows(reader, "SELECT customer_id FROM cai_latest_clv ORDER BY clv DESC LIMIT 1")
    reader.close()
    profile = json.loads(run_cai("profile", customer, "--format", "json", cwd=tmp_path).stdout)
    assert {s["model"] for s in profile["scores"]} == {"churn_60d", "purchase_30d"}
    assert isinstance(profile["lifetime_value"]["frequency"], int) and profile["scores"][0]["factors"]
    # cai score / cai runs on the demo database
    scored = run_cai("score", "purchase_30d", "--as-of", "2026-10-20", "--db", "cai_demo.duckdb", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    assert "run 21: purchase_30d v1 scored" in scored.stdout and "as of 2026-10-20" in scored.stdout
    # the same run through the model's SQL macros replaces it with the same rows
    reader = duckdb.connect(str(tmp_path / "cai_demo.duckdb"), read_only=True)
    query = ("SELECT customer_id, probability, score, bucket, [f.code FOR f IN influential_factors] FROM cai_scores "
             "WHERE run_id = $r ORDER BY customer_id")
    by_udf = rows(reader, query, {"r": 21})
    reader.close()
    via_sql = run_cai("score", "purchase_30d", "--as-of", "2026-10-20", "--via", "sql", "--db", "cai_demo.duckdb", cwd=tmp_path)
    assert via_sql.returncode == 0 and "run 22: purchase_30d v1 scored" in via_sql.stdout and "replaced run 21" in via_sql.stdout
    reader = duckdb.connect(str(tmp_path / "cai_demo.duckdb"), read_only=True)
    by_sql = rows(reader, query, {"r": 22})
    assert rows(reader, "SELECT scored_via FROM cai_runs WHERE run_id IN (21, 22) ORDER BY run_id") == [("udf",), ("sql",)]
    reader.close()
    assert [r[0] for r in by_udf] == [r[0] for r in by_sql] and len(by_udf) > 1000
    assert max(abs(u[1] - s[1]) for u, s in zip(by_udf, by_sql)) <= 1e-6
    assert [(r[3], r[4]) for r in by_udf] == [(r[3], r[4]) for r in by_sql]
    listed = run_cai("runs", "--model", "purchase_30d", "--db", "cai_demo.duckdb", cwd=tmp_path)
    assert listed.returncode == 0 and "2026-10-20" in listed.stdout and "succeeded" in listed.stdout
    bad = run_cai("score", "nope", "--db", "cai_demo.duckdb", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: no model 'nope' in the registry")
    early = run_cai("score", "purchase_30d", "--as-of", "2020-01-01", "--db", "cai_demo.duckdb", cwd=tmp_path)
    assert early.returncode == 1 and "events start on" in early.stderr
    con = cai_sql.connect(tmp_path / "cai_demo.duckdb")
    # Running it again replaces the demo data instead of doubling it.
    count = rows(con, "SELECT count(*) FROM events")
    con.close()
    del con
    assert run_cai("demo", "--customers", "5000", cwd=tmp_path).returncode == 0
    con = cai_sql.connect(tmp_path / "cai_demo.duckdb")
    assert rows(con, "SELECT count(*) FROM events") == count
    assert rows(con, "SELECT model, version FROM cai_models ORDER BY 1") == [("churn_60d", 1), ("purchase_30d", 1)]
    con.close()


def test_demo_refuses_to_overwrite_other_databases(tmp_path):
    con = cai_sql.connect(tmp_path / "mine.duckdb")
    con.execute("CREATE TABLE precious AS SELECT 1 AS x")
    con.close()
    result = run_cai("demo", "--db", "mine.duckdb", cwd=tmp_path)
    assert result.returncode == 1 and "Error: mine.duckdb exists and is not a cai-sql demo database" in result.stderr
    assert rows(cai_sql.connect(tmp_path / "mine.duckdb"), "SELECT x FROM precious") == [(1,)]


def test_ingest_bad_rows_reject_counts_rejects_in_the_summary(tmp_path):
    (tmp_path / "ev.csv").write_text("customer_id,ts,event_type\na,2026-01-01,e\n,2026-01-02,e\nc,someday,e\nd,2026-01-04,e\n")
    result = run_cai("ingest", "ev.csv", "--db", "x.duckdb", "--bad-rows", "reject", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 of 4 rows written to events" in result.stdout
    assert "2 rows rejected (missing_customer_id: 1, bad_timestamp: 1)" in result.stdout
    con = cai_sql.connect(tmp_path / "x.duckdb")
    assert rows(con, "SELECT file, row_number, reason FROM cai_ingest_rejects ORDER BY row_number") == [
        ("ev.csv", 2, "missing_customer_id"), ("ev.csv", 3, "bad_timestamp"),
    ]
    con.close()


def test_ingest_bad_rows_error_is_the_default(tmp_path):
    (tmp_path / "ev.csv").write_text("customer_id,ts,event_type\na,2026-01-01,e\n,2026-01-02,e\n")
    result = run_cai("ingest", "ev.csv", "--db", "x.duckdb", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ev.csv: customer_id is NULL or empty in 1 of 2 rows (first: row 2)")
    assert result.stderr.rstrip().endswith("pass --bad-rows reject") and result.stderr.count("\n") == 1


def test_ingest_unknown_bad_rows_value(tmp_path):
    (tmp_path / "ev.csv").write_text("customer_id,ts,event_type\na,2026-01-01,e\n")
    result = run_cai("ingest", "ev.csv", "--db", "x.duckdb", "--bad-rows", "skip", cwd=tmp_path)
    assert result.returncode == 2
    assert "Error: Invalid value for '--bad-rows': 'skip' is not one of 'error', 'reject'." in result.stderr
    assert not (tmp_path / "x.duckdb").exists()


# --- output formats, names, the default database, interrupts, start-up -------------------------------------

HEAVY = ("sklearn", "skl2onnx", "scipy", "onnx", "onnxruntime", "pandas", "plotly", "jinja2", "numpy", "pyarrow")


@pytest.fixture
def ledger_db(ledger, tmp_path) -> Path:
    """The hand-made ledger (runs of models m and other) as a closed file, with a boolean attribute and a large
    count among the reason values, so the CLI (another process) can open it."""
    ledger.execute("ALTER TABLE profiles ADD COLUMN email_opt_in BOOLEAN")
    ledger.execute("UPDATE profiles SET email_opt_in = customer_id IN ('a', 'c')")
    ledger.execute("""UPDATE cai_scores SET influential_factors = [{'code': 'views_365d', 'description': 'Views in the last year',
                      'value': 1234567.0, 'contribution': 0.5, 'importance': 'high'}] WHERE run_id = 6""")
    ledger.execute("CHECKPOINT")
    ledger.close()
    return tmp_path / "ledger.duckdb"


def cli_ok(*args: str, cwd: Path, env: dict | None = None) -> str:
    result = run_cai(*args, cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_runs_as_json_and_csv_carry_every_value(ledger_db, tmp_path):
    runs = json.loads(cli_ok("runs", "--db", str(ledger_db), "--format", "json", cwd=tmp_path))
    assert [r["run_id"] for r in runs] == [6, 5, 4, 3, 2, 1]
    assert list(runs[0]) == ["run_id", "model", "model_version", "score_date", "status", "n_scored", "n_high", "n_medium",
                             "n_low", "seconds", "started_at", "error", "replaced_by"]
    failed = next(r for r in runs if r["run_id"] == 4)
    assert failed["status"] == "failed" and failed["n_scored"] is None
    assert runs[1] == {**runs[1], "model": "m", "model_version": 2, "score_date": "2026-01-15", "n_scored": 5,
                       "started_at": "2026-01-15T01:00:00"}
    replaced = next(r for r in runs if r["run_id"] == 2)
    assert replaced["replaced_by"] == 3
    table = list(csv.DictReader(io.StringIO(cli_ok("runs", "--model", "m", "--limit", "2", "--db", str(ledger_db),
                                                   "--format", "csv", cwd=tmp_path))))
    assert [(r["run_id"], r["n_scored"], r["status"]) for r in table] == [("5", "5", "succeeded"), ("4", "", "failed")]


def test_piped_tables_are_never_truncated(ledger_db, tmp_path):
    con = duckdb.connect(str(ledger_db))
    con.execute("UPDATE cai_runs SET model = 'a_model_with_a_rather_long_name_for_a_narrow_terminal' WHERE model = 'other'")
    con.close()
    out = cli_ok("runs", "--db", str(ledger_db), cwd=tmp_path, env={"COLUMNS": "40"})
    assert "a_model_with_a_rather_long_name_for_a_narrow_terminal" in out and "…" not in out
    assert "replaced by run 3" in out and "2026-01-15" in out


def test_tables_show_counts_as_integers_and_booleans_as_yes_no(ledger_db, tmp_path):
    out = cli_ok("profile", "a", "--db", str(ledger_db), cwd=tmp_path)
    assert "loyalty_tier: gold, email_opt_in: yes" in out and "True" not in out
    assert "1,234,567" in out and "1234567.0" not in out and "e+06" not in out
    assert "Views in the last year" in out
    data = json.loads(cli_ok("profile", "a", "--db", str(ledger_db), "--format", "json", cwd=tmp_path))
    assert data["attributes"] == {"loyalty_tier": "gold", "email_opt_in": True}
    other = next(s for s in data["scores"] if s["model"] == "other")
    assert other["factors"][0]["value"] == 1234567.0 and other["history"] == [
        {"score_date": "2026-01-15", "run_id": 6, "score": 1, "bucket": "low"}]
    rows_ = list(csv.DictReader(io.StringIO(cli_ok("profile", "a", "--db", str(ledger_db), "--format", "csv", cwd=tmp_path))))
    assert {(r["model"], r["factor_rank"], r["code"]) for r in rows_} == {("m", "1", "recency"), ("other", "1", "views_365d")}
    assert rows_[0]["in_latest_run"] in ("true", "false")


def test_segments_and_summary_in_every_format(ledger_db, tmp_path):
    (tmp_path / "ev.csv").write_text("customer_id,ts,event_type,value\na,2026-01-01,commerce.purchases,12.5\nb,2026-01-02,web.visit,\n")
    cli_ok("ingest", "ev.csv", "--db", str(ledger_db), cwd=tmp_path)
    cli_ok("segment", "create", "m_high", "--model", "m", "--bucket", "high", "--db", str(ledger_db), cwd=tmp_path)
    listed = json.loads(cli_ok("segment", "list", "--db", str(ledger_db), "--format", "json", cwd=tmp_path))
    assert listed == [{**listed[0], "segment": "m_high", "model": "m", "predicate": "bucket = 'high'", "run_id": 5,
                       "members": 2, "share": 0.4}]
    shown = json.loads(cli_ok("segment", "show", "m_high", "--db", str(ledger_db), "--format", "json", cwd=tmp_path))
    assert (shown["segment"], shown["runs"], shown["latest_members"]) == ("m_high", 3, 2) and [(h["run_id"], h["members"]) for h in shown["history"]] == [(1, 1), (3, 2), (5, 2)]
    sizes = list(csv.DictReader(io.StringIO(cli_ok("segment", "show", "m_high", "--db", str(ledger_db), "--format", "csv",
                                                   cwd=tmp_path))))
    assert [(r["segment"], r["run_id"], r["members"]) for r in sizes] == [("m_high", "1", "1"), ("m_high", "3", "2"), ("m_high", "5", "2")]
    auto = json.loads(cli_ok("segment", "auto", "--model", "m", "--db", str(ledger_db), "--format", "json", cwd=tmp_path))
    assert {"model": "m", "kind": "bucket", "value": "high", "customers": 2}.items() <= auto[0].items()
    summary = json.loads(cli_ok("summary", "--db", str(ledger_db), "--format", "json", cwd=tmp_path))
    assert (summary["customers"], summary["events"], summary["first_event"]) == (2, 2, "2026-01-01T00:00:00")
    assert summary["by_type"][0] == {"event_type": "commerce.purchases", "events": 1, "customers": 1, "total_value": 12.5}
    assert cli_ok("summary", "--db", str(ledger_db), "--format", "csv", cwd=tmp_path).splitlines() == [
        "event_type,events,customers,total_value", "commerce.purchases,1,1,12.5", "web.visit,1,1,"]
    assert cli_ok("models", "--db", str(ledger_db), "--format", "json", cwd=tmp_path) == "[]\n"


def test_an_unknown_model_is_an_error_naming_the_known_ones(ledger_db, tmp_path):
    for args in (["runs", "--model", "mm"], ["evaluate", "--model", "mm"], ["segment", "auto", "--model", "mm"],
                 ["runs", "--model", "mm", "--format", "json"]):
        result = run_cai(*args, "--db", str(ledger_db), cwd=tmp_path)
        assert result.returncode == 1 and result.stdout == "", args
        assert result.stderr == "Error: unknown model 'mm'; did you mean m? (models: m, other)\n", args
    created = run_cai("segment", "create", "s", "--model", "nope", "--bucket", "high", "--db", str(ledger_db), cwd=tmp_path)
    assert created.returncode == 1 and created.stderr.startswith("Error: unknown model 'nope' (models: m, other)")
    scored = run_cai("score", "nope", "--db", str(ledger_db), cwd=tmp_path)
    assert scored.returncode == 1 and scored.stderr.startswith("Error: no model 'nope' in the registry")
    assert scored.stdout == "" and scored.stderr.count("\n") == 1  # no progress line, no blank line before the error
    assert "No scoring runs of" not in cli_ok("runs", "--model", "other", "--db", str(ledger_db), cwd=tmp_path)


def test_without_db_commands_use_cai_duckdb_else_the_demo_database(ledger, tmp_path):
    ledger.close()
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(tmp_path / "ledger.duckdb", work / "cai_demo.duckdb")
    no_env = {"CAI_DB": ""}
    assert "succeeded" in cli_ok("runs", cwd=work, env=no_env)  # only the demo's database is here
    (work / "ev.csv").write_text("customer_id,ts,event_type\nu1,2026-01-01,e\n")
    cli_ok("ingest", "ev.csv", cwd=work, env=no_env)  # ingest creates cai.duckdb; it never adds to the demo's
    assert (work / "cai.duckdb").exists()
    assert cli_ok("runs", cwd=work, env=no_env) == "No scoring runs yet; score with: cai score MODEL\n"
    assert "succeeded" in cli_ok("runs", cwd=work, env={"CAI_DB": "cai_demo.duckdb"})
    assert "--db" in cli_ok("runs", "--help", cwd=work) and "cai_demo.duckdb" in cli_ok("runs", "--help", cwd=work)


def test_progress_goes_to_stderr(tmp_path):
    result = run_cai("generate", "--customers", "150", "--seed", "3", "--out", "data", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Simulating 150 customers" in result.stderr and "Simulating" not in result.stdout
    assert result.stdout.startswith(tuple("0123456789"))


def default_sigint() -> None:
    """Ctrl-C as at a terminal even when the test run itself ignores SIGINT (nohup, `&` in a script):
    Python only turns SIGINT into KeyboardInterrupt when it is not ignored at start-up."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path):
    process = subprocess.Popen([cai_executable(), "generate", "--customers", "300000", "--out", "data"], preexec_fn=default_sigint, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    deadline = time.monotonic() + 120
    while not (tmp_path / "data").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert stderr.splitlines()[-1] == "Interrupted; files written so far stay in data/ and are incomplete"
    assert "Traceback" not in stderr and "Aborted" not in stderr and stdout == ""


def test_ctrl_c_interrupts_a_running_duckdb_query():
    """DuckDB alone can miss a Ctrl-C during a query (and every later one); the CLI's watcher interrupts the
    connections' queries when the signal arrives. The handler here records the signal instead of raising, so only
    the watcher can stop the query."""
    code = ("import os, signal, threading, time\n"
            "from cai_sql.cli import _interrupt_duckdb_on_ctrl_c\n"
            "from cai_sql.database import connect\n"
            "from cai_sql.errors import CaiError, interrupted\n"
            "pressed = []\n"
            "signal.signal(signal.SIGINT, lambda *_: pressed.append(time.monotonic()))\n"
            "_interrupt_duckdb_on_ctrl_c()\n"
            "con = connect(None, functions=False)\n"
            "threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()\n"
            "try:\n"
            "    con.execute('SELECT count(*) FROM range(100000000000) t(x) WHERE x % 7 = 3').fetchall()\n"
            "except Exception as exc:\n"
            "    try:\n"
            "        raise CaiError('a step failed') from exc\n"
            "    except CaiError as wrapped:\n"
            "        print(len(pressed), interrupted(exc), interrupted(wrapped), interrupted(CaiError('x')))\n")
    for _ in range(3):  # DuckDB on its own misses about one in four
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["1", "True", "True", "False"]


@pytest.mark.slow
def test_an_interrupted_demo_leaves_the_earlier_database_as_it_was(tmp_path):
    earlier = cai_sql.connect(tmp_path / "cai_demo.duckdb")
    earlier.execute("CREATE TABLE demo_purchase_intent AS SELECT 'earlier' AS marker")
    earlier.close()
    process = subprocess.Popen([cai_executable(), "demo", "--customers", "5000"], preexec_fn=default_sigint, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not list(tmp_path.glob(".cai_demo.duckdb.*.building")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)  # well inside the build: ingesting or training
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1].startswith("Interrupted; cai_demo.duckdb was not written")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".", "cai_demo.duckdb"))) == ["cai_demo.duckdb"]
    assert rows(duckdb.connect(str(tmp_path / "cai_demo.duckdb"), read_only=True), "SELECT marker FROM demo_purchase_intent") == [("earlier",)]


def test_a_busy_port_is_an_error_suggesting_another(tmp_path):
    duckdb.connect(str(tmp_path / "x.duckdb")).close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cai("serve", "--db", "x.duckdb", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (f"Error: port {port} on 127.0.0.1 is already in use (another cai serve?); choose another with "
                             "--port N, or --port 0 for any free port\n")


def test_serve_listens_on_the_socket_it_bound_and_ctrl_c_stops_it(tmp_path):
    duckdb.connect(str(tmp_path / "x.duckdb")).close()
    process = subprocess.Popen([cai_executable(), "serve", "--db", "x.duckdb", "--port", "0"], preexec_fn=default_sigint, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        announced = process.stdout.readline()
        url = announced.split(" at ", 1)[1].split(" ", 1)[0]
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr == "Interrupted; the dashboard stopped (segments created in it are saved)\n"


def test_importing_cai_sql_and_its_cli_loads_no_heavy_module():
    code = ("import json, sys, cai_sql, cai_sql.cli; "
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(loaded) == []


def test_listing_commands_load_no_heavy_module(ledger_db):
    code = ("import json, sys\nfrom cai_sql.cli import main\n"
            f"for args in {[['runs'], ['models'], ['segment', 'list'], ['profile', 'a'], ['runs', '--format', 'json']]!r}:\n"
            f"    main([*args, '--db', {str(ledger_db)!r}], standalone_mode=False)\n"
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stderr) == []


def test_the_public_api_resolves_lazily():
    code = ("import cai_sql, sys\n"
            "assert 'cai_sql.training' not in sys.modules\n"
            "from cai_sql import train, score, connect, ScoringError, model_card\n"
            "import cai_sql.backtest, cai_sql.generate\n"
            "assert callable(cai_sql.backtest) and callable(cai_sql.generate) and callable(model_card)\n"
            "assert all(getattr(cai_sql, name) is not None for name in cai_sql.__all__)\n"
            "assert set(cai_sql.__all__) <= set(dir(cai_sql))\n"
            "print(train.__module__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cai_sql.training"
