"""Bad input at the command line: one `Error:` line on stderr, exit 1, never a traceback (issue 18)."""

from __future__ import annotations

import copy
import shutil

import duckdb
import pytest
from click.testing import CliRunner

import cai_sql
from cai_sql import scoring
from cai_sql.cli import MAX_ERROR_CHARS, main
from cai_sql.errors import CaiError, shorten
from cai_sql.spec import spec_from_dict
from cai_sql.training import TrainingError, train

from .test_scoring import DATE, scored_db  # noqa: F401  (module fixture reused)
from .test_training import NOW, PURCHASE


def cai(*args: str):
    """`cai ARGS` in this process (the CLI's own error reporting, without a subprocess per case)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def one_error(result, match: str = "") -> str:
    """The single `Error:` line of a refused command (and no traceback)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert match in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def db(scored_db, tmp_path):  # noqa: F811
    copy_path = tmp_path / "s.duckdb"
    shutil.copy(scored_db, copy_path)
    return copy_path


def alter(db, *statements: str) -> None:
    con = duckdb.connect(str(db))
    for statement in statements:
        con.execute(statement)
    con.close()


# --- schema drift after training ----------------------------------------------------------------

@pytest.mark.parametrize("statement, match", [
    ("ALTER TABLE events DROP COLUMN value", "events has no column value any more"),
    ("ALTER TABLE events RENAME COLUMN event_type TO kind", "events has no column event_type any more"),
    ("ALTER TABLE events ALTER value TYPE VARCHAR", "events.value is VARCHAR now, not a number"),
    ("DROP TABLE profiles", "the profiles table is gone (the model reads loyalty_tier, region)"),
    ("ALTER TABLE profiles DROP COLUMN region", "profiles has no column region any more"),
])
def test_schema_drift_names_the_column_and_the_model(db, statement, match):
    alter(db, statement)
    line = one_error(cai("score", "purchase_30d", "--as-of", str(DATE), "--db", str(db)), match)
    assert "purchase_30d v2 cannot score the data as it is now" in line and "cai train" in line


def test_a_retyped_or_missing_ts_is_named(db):
    alter(db, "ALTER TABLE events ALTER ts TYPE VARCHAR")
    one_error(cai("score", "purchase_30d", "--db", str(db)), "events.ts is VARCHAR now, not TIMESTAMP")


def test_a_binder_error_the_check_missed_still_names_the_model(db, monkeypatch):
    alter(db, "ALTER TABLE events DROP COLUMN value")
    monkeypatch.setattr(scoring, "check_model_columns", lambda *args: None)
    monkeypatch.setattr(scoring, "_verify_run_macros", lambda *args: None)  # it recreates the macros, so it would fail first
    with pytest.raises(cai_sql.ScoringError, match=r"purchase_30d v2 cannot score the data as it is now \(Binder Error"):
        cai_sql.score(db, "purchase_30d", as_of=DATE)


def test_dropped_columns_the_model_does_not_read_do_not_matter(db):
    alter(db, "ALTER TABLE events DROP COLUMN event_id", "ALTER TABLE profiles DROP COLUMN signup_date")
    assert cai_sql.score(db, "purchase_30d", as_of=DATE).n_scored > 0


# --- empty tables, unknown names, long input --------------------------------------------------------

def test_summary_of_an_empty_events_table(tmp_path):
    con = cai_sql.connect(tmp_path / "empty.duckdb")
    cai_sql.ingest(con, _csv(tmp_path))
    con.execute("DELETE FROM events")
    con.close()
    one_error(cai("summary", "--db", str(tmp_path / "empty.duckdb")),
              "Error: the events table is empty; load events with `cai ingest FILE`")


def _csv(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("customer_id,ts,event_type\na,2026-01-01,e\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [("runs", "--model", "nosuch"), ("evaluate", "--model", "nosuch"),
                                     ("runs", "--model", "purchase_3od")])
def test_unknown_models_are_refused(db, command):
    line = one_error(cai(*command, "--db", str(db)), "unknown model")
    assert "(models: purchase_30d)" in line


def test_an_unknown_top_factor_is_refused_with_close_codes(db):
    line = one_error(cai("segment", "create", "x", "--model", "purchase_30d", "--top-factor", "lt_purchase_spam",
                         "--db", str(db)), "purchase_30d has no reason code 'lt_purchase_spam' (did you mean lt_purchase_span")
    assert "cai segment auto --model purchase_30d" in line
    assert cai_sql.list_segments(db) == []
    cai_sql.score(db, "purchase_30d", as_of=DATE)
    code = cai_sql.auto_segments(db, "purchase_30d")[-1][4]  # a code some customer leads with
    assert cai_sql.create_segment(db, "led", "purchase_30d", top_factor=code).latest_members > 0


def test_a_long_customer_id_is_echoed_shortened(db):
    line = one_error(cai("profile", "x" * 100_000, "--db", str(db)), "no customer '")
    assert "… (100,000 characters)" in line and len(line) < 300


def test_the_error_line_is_capped_as_a_last_resort(monkeypatch, tmp_path):
    import cai_sql.summary

    def fail(_con):
        raise CaiError("y" * 50_000)

    monkeypatch.setattr(cai_sql.summary, "summarize", fail)
    con = cai_sql.connect(tmp_path / "x.duckdb")
    cai_sql.ingest(con, _csv(tmp_path))
    con.close()
    line = one_error(cai("summary", "--db", str(tmp_path / "x.duckdb")))
    assert line.endswith(f"… (cut at {MAX_ERROR_CHARS:,} of 50,000 characters)") and len(line) < MAX_ERROR_CHARS + 100


def test_shorten_keeps_short_text_and_counts_long_text():
    assert shorten("abc") == "abc" and shorten("a" * 80) == "a" * 80
    assert shorten("a" * 81) == "a" * 60 + "… (81 characters)"


# --- training with nobody eligible --------------------------------------------------------------

def test_nobody_eligible_names_the_eligibility_settings(db):
    spec = copy.deepcopy(PURCHASE)
    spec["eligibility"] = {"active_days": 30, "profiles": ["loyalty_tier = 'platinum'"]}
    con = cai_sql.connect(db)
    try:
        with pytest.raises(TrainingError) as caught:
            train(con, spec_from_dict(spec), now=NOW, algorithms=("logistic_regression",))
    finally:
        con.close()
    message = str(caught.value)
    assert "no customer is eligible at any training cutoff" in message and "every training example" not in message
    assert "[eligibility] active_days = 30, profiles = [\"loyalty_tier = 'platinum'\"]; widen it" in message


def test_a_dropped_column_the_column_check_missed_is_caught_by_the_macro_check(db, monkeypatch):
    alter(db, "ALTER TABLE events DROP COLUMN value")
    monkeypatch.setattr(scoring, "check_model_columns", lambda *args: None)
    with pytest.raises(cai_sql.IntegrityError, match=r"purchase_30d v2: cannot check the macro .* the tables it reads changed"):
        cai_sql.score(db, "purchase_30d", as_of=DATE)
