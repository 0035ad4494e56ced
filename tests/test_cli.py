"""The `cai` console script, run as a real subprocess."""

from __future__ import annotations

import datetime as dt

import cai_sql

from .conftest import rows, run_cai


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
    # cai score / cai runs on the demo database
    con.close()
    scored = run_cai("score", "purchase_30d", "--as-of", "2026-10-20", "--db", "cai_demo.duckdb", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    assert "run 21: purchase_30d v1 scored" in scored.stdout and "as of 2026-10-20" in scored.stdout
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
