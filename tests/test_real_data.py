"""Real purchase logs: training as of a date, eligibility over the whole base, baselines and backtests.

The CDNOW sample (2,357 customers, purchases only) is read from the lifetimes wheel by file path.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

import cai_sql
from cai_sql.backtest import backtest
from cai_sql.spec import SpecError, spec_from_dict
from cai_sql.training import train

from .conftest import rows, run_cai
from .test_clv import cdnow_events, load_events

NOW = dt.datetime(2026, 11, 1)
AS_OF = dt.date(2026, 9, 1)
PURCHASE = {
    "name": "purchase_30d",
    "goal": {"any_of": ["event_type = 'commerce.purchases'"], "window_days": 30},
    "attributes": {"categorical": ["loyalty_tier"]},
    "training": {"min_positives": 100, "min_negatives": 100, "snapshots": 3},
}
CDNOW_SPEC = {
    "name": "buy_90d", "lookback_days": 90,
    "goal": {"any_of": ["event_type = 'commerce.purchases'"], "window_days": 90},
    "eligibility": {"active_days": "all"},
    "training": {"min_positives": 50, "min_negatives": 50, "snapshots": 4, "stride_days": 30},
}


@pytest.fixture(scope="module")
def cdnow_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("cdnow_real") / "cdnow.duckdb"
    con = cai_sql.connect(db)
    load_events(con, cdnow_events())
    con.close()
    return db


def test_training_as_of_a_date_never_reads_later_events(base_db, tmp_path):
    """Changing or adding events on or after the as-of date leaves the registered bytes identical."""
    db = tmp_path / "asof.duckdb"
    shutil.copy(base_db, db)
    con = cai_sql.connect(db)
    first = train(con, spec_from_dict(PURCHASE), now=NOW, as_of=AS_OF)
    assert first.record.validation_cutoff == AS_OF - dt.timedelta(days=30)
    assert first.record.metrics["training_window"]["as_of"] == AS_OF.isoformat()
    con.execute("UPDATE events SET value = value * 3, event_type = 'commerce.purchases' WHERE ts >= $d", {"d": AS_OF})
    con.execute("INSERT INTO events SELECT customer_id || '-new', ts + INTERVAL 365 DAY, event_type, value, event_id "
                "FROM events WHERE ts >= TIMESTAMP '2025-09-02' AND ts < TIMESTAMP '2025-10-31'")
    assert rows(con, "SELECT count(*) FROM events WHERE ts >= $d", {"d": AS_OF})[0][0] > 0
    second = train(con, spec_from_dict(PURCHASE), now=NOW, as_of=AS_OF)
    assert second.record.version == 2 and second.record.sha256 == first.record.sha256
    whole = train(con, spec_from_dict(PURCHASE), now=NOW)
    assert whole.record.sha256 != first.record.sha256
    con.close()


@pytest.mark.parametrize(("as_of", "match"), [
    (dt.date(2020, 1, 1), r"--as-of 2020-01-01 is before the data"),
    (dt.date(2030, 1, 1), r"--as-of 2030-01-01 is after the data \(the last event is on 2026-10-31\)"),
    (dt.date(2025, 10, 1), r"the events cover 29 days .* need 74"),
])
def test_as_of_outside_the_data_is_refused(base_db, tmp_path, as_of, match):
    db = tmp_path / "bad.duckdb"
    shutil.copy(base_db, db)
    with pytest.raises(cai_sql.CaiError, match=match):
        train(db, spec_from_dict(PURCHASE), now=NOW, as_of=as_of)
    con = cai_sql.connect(db)
    assert rows(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cai_models'")[0][0] == 0
    con.close()


def test_active_days_must_be_a_number_or_all():
    assert spec_from_dict({**PURCHASE, "eligibility": {"active_days": "all"}}).all_history_eligible
    for bad in ("some", 0, True):
        with pytest.raises(SpecError, match=r'eligibility.active_days: must be a whole number from 1 to 365 .* or "all"'):
            spec_from_dict({**PURCHASE, "eligibility": {"active_days": bad}})


def test_all_history_eligibility_scores_lapsed_customers(cdnow_db, tmp_path):
    """With active_days = "all" every customer with a purchase before the date is scored, lapsed ones too."""
    db = tmp_path / "all.duckdb"
    shutil.copy(cdnow_db, db)
    con = cai_sql.connect(db)
    result = train(con, spec_from_dict(CDNOW_SPEC), now=NOW)
    cutoff = dt.date(1998, 7, 1)
    scored = rows(con, "SELECT count(*), min(lt_purchase_recency), max(lt_purchase_recency) FROM cai_features_buy_90d($c)",
                  {"c": cutoff})[0]
    assert scored[0] == 2357 and scored[2] > 400  # everyone, including customers idle for over a year
    active = spec_from_dict({**CDNOW_SPEC, "name": "buy_active", "eligibility": {"active_days": 45}})
    assert len(train(con, active, now=NOW).record.features) > 0
    recent = rows(con, "SELECT count(*) FROM cai_features_buy_active($c)", {"c": cutoff})[0][0]
    assert recent < 0.2 * scored[0]
    names = {f["name"]: f["description"] for f in result.record.features}
    assert names["lt_purchase_days"] == "Purchase days ever" and names["lt_purchase_mean_value"] == "Mean purchase value"
    assert names["clv_p_alive"].startswith("Chance the customer still makes purchases")
    run = cai_sql.score(con, "buy_90d", as_of=cutoff)
    assert run.n_scored == 2357
    con.close()


def test_baselines_are_stored_and_shown(cdnow_db, tmp_path):
    db = tmp_path / "baselines.duckdb"
    shutil.copy(cdnow_db, db)
    result = run_cai("train", "spec.toml", "--db", str(db), cwd=_spec_dir(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Baselines on the same validation rows: recency AUC" in result.stdout and "bgnbd AUC" in result.stdout
    card = run_cai("models", "show", "buy_90d", "--db", str(db), cwd=tmp_path)
    assert "baselines on the same validation rows: recency AUC" in card.stdout and "model search: 5 candidates" in card.stdout
    con = cai_sql.connect(db)
    scorers = dict(rows(con, "SELECT scorer, auc FROM cai_model_evaluation WHERE curve = 'auc'"))
    assert set(scorers) == {"model", "recency", "rfm_logistic", "bgnbd"} and all(0.6 < v < 1 for v in scorers.values())
    con.close()


def _spec_dir(tmp_path):
    lines = ['name = "buy_90d"', "lookback_days = 90", "[goal]", "any_of = [\"event_type = 'commerce.purchases'\"]",
             "window_days = 90", "[eligibility]", 'active_days = "all"', "[training]", "min_positives = 50",
             "min_negatives = 50", "snapshots = 4", "stride_days = 30"]
    (tmp_path / "spec.toml").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_backtest_trains_as_of_each_date_and_keeps_rows(cdnow_db, tmp_path):
    db = tmp_path / "bt.duckdb"
    shutil.copy(cdnow_db, db)
    con = cai_sql.connect(db)
    result = backtest(con, spec_from_dict(CDNOW_SPEC), [dt.date(1998, 4, 1)], now=NOW)
    by_scorer = {r.scorer: r for r in result.rows}
    assert set(by_scorer) == {"model", "recency", "rfm_logistic", "bgnbd"}
    model = by_scorer["model"]
    assert model.n_customers == 2357 and 0 < model.positives < 2357
    assert model.auc > 0.75 and model.lift_top_decile > 2 and 0 < model.brier < 0.25
    assert by_scorer["bgnbd"].brier is None
    stored = rows(con, "SELECT count(*), count(DISTINCT backtest_id) FROM cai_backtests")[0]
    assert stored == (4, 1)
    assert rows(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cai_models'")[0][0] == 0
    con.close()


def test_backtest_needs_a_whole_outcome_window(cdnow_db, tmp_path):
    db = tmp_path / "late.duckdb"
    shutil.copy(cdnow_db, db)
    con = cai_sql.connect(db)  # a row dated 2999 (loaded before ingest refused them) does not extend the data
    con.execute("INSERT INTO events (customer_id, ts, event_type) VALUES ('x', TIMESTAMP '2999-01-01', 'purchase')")
    con.close()
    with pytest.raises(cai_sql.InputError, match=r"a backtest at 1998-05-01 needs the whole 90-day outcome window "
                                                 r"\(to 1998-07-29\), but the events end on 1998-06-30"):
        backtest(db, spec_from_dict(CDNOW_SPEC), [dt.date(1998, 5, 1)], now=NOW)
    _spec_dir(tmp_path)
    cli = run_cai("backtest", "spec.toml", "--at", "1998-05-01", "--db", str(db), cwd=tmp_path)
    assert cli.returncode == 1 and cli.stderr.startswith("Error: a backtest at 1998-05-01 needs")
    con = cai_sql.connect(db)
    assert rows(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cai_backtests'")[0][0] == 0
    con.close()


def test_scoring_flags_features_outside_their_training_range(cdnow_db, tmp_path):
    """Trained on the first months of a cohort, scored a year later: tenure and age never seen in training."""
    db = tmp_path / "drift.duckdb"
    shutil.copy(cdnow_db, db)
    con = cai_sql.connect(db)
    spec = {**CDNOW_SPEC, "goal": {**CDNOW_SPEC["goal"], "window_days": 30}, "training": {**CDNOW_SPEC["training"], "stride_days": 14}}
    trained = train(con, spec_from_dict(spec), now=NOW, as_of=dt.date(1997, 9, 1))
    run = cai_sql.score(con, "buy_90d", as_of=dt.date(1998, 7, 1))
    flagged = {f["feature"]: f for f in run.out_of_range}
    assert "tenure_days" in flagged and flagged["tenure_days"]["share"] > 0.9
    assert flagged["tenure_days"]["train_max"] < 250
    assert "mostly outside their training range: " in run.summary() and "tenure_days" in run.summary()
    stored = rows(con, "SELECT list_transform(out_of_range, lambda f: f.feature) FROM cai_runs WHERE run_id = $r", {"r": run.run_id})
    assert "tenure_days" in stored[0][0]
    near = cai_sql.score(con, "buy_90d", as_of=trained.record.training_cutoffs[-1])  # inside what training saw
    assert "tenure_days" not in {f["feature"] for f in near.out_of_range}
    con.close()
