"""Training end to end on generated data; each bad input refused with nothing registered."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil

import numpy as np
import pytest

import cai_sql
import cai_sql.export as export_module
from cai_sql.export import ExportError, onnx_probabilities
from cai_sql.registry import load_model
from cai_sql.spec import SpecError, spec_from_dict
from cai_sql.training import TrainingError, train

from .conftest import opened_copy, rows, run_cai

NOW = dt.datetime(2026, 11, 1)
PURCHASE = {
    "name": "purchase_30d",
    "goal": {"any_of": ["event_type = 'commerce.purchases'"], "window_days": 30},
    "custom_events": [{"name": "large_purchase", "predicate": "event_type = 'commerce.purchases' AND value > 150"}],
    "attributes": {"categorical": ["loyalty_tier", "region"]},
    "training": {"min_positives": 200, "min_negatives": 200, "snapshots": 4},
}


@pytest.fixture
def tcon(base_db, tmp_path):
    with opened_copy(base_db, tmp_path / "train.duckdb") as con:
        yield con


@pytest.fixture(scope="module")
def trained(base_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("trained") / "trained.duckdb"
    shutil.copy(base_db, db)
    con = cai_sql.connect(db)
    result = train(con, spec_from_dict(PURCHASE), now=NOW)
    yield con, result
    con.close()


def registry_state(con):
    tables = {t for (t,) in rows(con, "SELECT table_name FROM information_schema.tables")}
    models = rows(con, "SELECT model, version FROM cai_models ORDER BY ALL") if "cai_models" in tables else None
    macros = rows(con, "SELECT function_name FROM duckdb_functions() WHERE function_name LIKE 'cai_%' ORDER BY 1")
    return models, macros


def test_registers_model_with_hash_features_and_metrics(trained):
    con, result = trained
    record = load_model(con, "purchase_30d")
    assert record.version == 1 and record.algorithm in ("hist_gradient_boosting", "logistic_regression")
    (onnx,) = rows(con, "SELECT onnx FROM cai_models WHERE model = 'purchase_30d' AND version = 1")[0]
    assert hashlib.sha256(onnx).hexdigest() == record.sha256
    names = [f["name"] for f in record.features]
    assert "n_commerce_purchases_30d" in names and "days_since_commerce_purchases" in names
    descriptions = {f["name"]: f["description"] for f in record.features}
    assert descriptions["n_commerce_productviews_30d"] == "Count of commerce.productViews in last 30 days"
    assert descriptions["days_since_commerce_purchases"] == "Days since last commerce.purchases"
    for key in ("auc", "pr_auc", "log_loss", "brier", "deciles", "calibration", "class_balance", "training_window", "candidates"):
        assert key in record.metrics
    assert set(record.metrics["candidates"]) == {"hist_gradient_boosting", "logistic_regression"}
    # chosen on the inner time split of the training cutoffs, never on the validation rows
    search = record.metrics["model_search"]
    assert record.metrics["auc"] == record.metrics["candidates"][record.algorithm]
    assert len(search["tried"]) == 5 and "compared" in search["split"]
    best_inner = max(search["tried"], key=lambda t: t["inner_auc"])
    assert record.algorithm == best_inner["algorithm"]
    assert set(record.metrics["baselines"]) == {"recency", "rfm_logistic", "bgnbd"}
    assert all(0.5 < v < 1 for v in record.metrics["baselines"].values())
    assert record.metrics["parity_max_abs_difference"] <= 1e-5
    assert 0.7 < record.auc < 0.95
    assert result.oracle_auc is not None and result.record.auc >= 0.85 * result.oracle_auc


def test_out_of_time_validation_cutoffs(trained):
    con, _ = trained
    record = load_model(con, "purchase_30d")
    last_event = rows(con, "SELECT max(ts)::DATE FROM events")[0][0]
    assert record.validation_cutoff == last_event + dt.timedelta(days=1) - dt.timedelta(days=30)
    assert max(record.training_cutoffs) + dt.timedelta(days=30) <= record.validation_cutoff
    assert len(record.training_cutoffs) == 3


def test_scores_are_reproducible_from_the_registry(trained):
    """The persisted features macro plus the stored ONNX bytes give the stored validation AUC."""
    con, _ = trained
    record = load_model(con, "purchase_30d")
    names = [f["name"] for f in record.features]
    cursor = con.execute(
        "SELECT f.*, coalesce(l.label, false) AS label FROM cai_features_purchase_30d($c) f "
        "LEFT JOIN cai_labels_purchase_30d($c) l USING (customer_id) ORDER BY f.customer_id",
        {"c": record.validation_cutoff},
    )
    columns = [d[0] for d in cursor.description]
    data = cursor.fetchall()
    X = np.array([[np.nan if row[columns.index(n)] is None else row[columns.index(n)] for n in names] for row in data], dtype=np.float32)
    y = np.array([row[columns.index("label")] for row in data], dtype=int)
    (onnx,) = rows(con, "SELECT onnx FROM cai_models WHERE model = 'purchase_30d'")[0]
    from sklearn.metrics import roc_auc_score
    assert abs(roc_auc_score(y, onnx_probabilities(onnx, X)) - record.auc) < 1e-6


def test_evaluation_view_for_bi(trained):
    con, _ = trained
    deciles = rows(con, "SELECT bin, customers, lift, cumulative_gain FROM cai_model_evaluation WHERE curve = 'decile' ORDER BY bin")
    assert [d[0] for d in deciles] == list(range(1, 11))
    assert deciles[0][2] > 1.5 and abs(deciles[-1][3] - 1.0) < 1e-9
    calibration = rows(con, "SELECT count(*), sum(customers) FROM cai_model_evaluation WHERE curve = 'calibration'")[0]
    assert calibration[0] >= 5 and calibration[1] == sum(d[1] for d in deciles)


def test_retraining_adds_a_version_with_the_same_bytes(trained):
    con, first = trained
    second = train(con, spec_from_dict(PURCHASE), now=NOW)
    assert second.record.version == 2
    assert second.record.sha256 == first.record.sha256  # deterministic: same data, same spec, same model


def test_churn_spec_trains(tcon):
    churn = {"name": "churn_60d", "model_type": "churn",
             "goal": {"any_of": ["event_type = 'commerce.purchases'", "event_type = 'web.webpagedetails.pageViews'"],
                      "will_occur": False, "window_days": 60},
             "training": {"min_positives": 50, "min_negatives": 50}}
    result = train(tcon, spec_from_dict(churn), now=NOW)
    assert result.record.model_type == "churn" and result.record.auc > 0.7 and result.oracle_auc is None


# --- bad input: one clear error each, nothing registered -----------------------------------------

def refused(con, spec_data, error, match, now=NOW):
    before = registry_state(con)
    with pytest.raises(error, match=match):
        train(con, spec_from_dict(spec_data) if isinstance(spec_data, dict) else spec_data, now=now)
    assert registry_state(con) == before


@pytest.mark.parametrize("predicate, match", [
    ("1=1; DROP TABLE events", r"goal.any_of\[0\]: .* holds 2 statements"),
    ("read_csv('/etc/passwd') IS NOT NULL", r"goal.any_of\[0\]: the function READ_CSV\(\) is not allowed"),
    ("customer_id IN (SELECT customer_id FROM profiles)", r"goal.any_of\[0\]: a subquery is not allowed"),
    ("revenue > 10", r"goal.any_of\[0\]: unknown column 'revenue'"),
    ("value + 1", r"goal.any_of\[0\]: .* is DOUBLE, not a boolean condition"),
])
def test_injection_and_invalid_goal_predicates(tcon, predicate, match):
    refused(tcon, {**PURCHASE, "goal": {"any_of": [predicate]}}, SpecError, match)
    assert rows(tcon, "SELECT count(*) > 0 FROM events") == [(True,)]


def test_all_predicate_problems_reported_together(tcon):
    spec = {**PURCHASE, "goal": {"any_of": ["nope > 1"]}, "eligibility": {"profiles": ["tier = 'gold'"]},
            "attributes": {"numeric": ["height"]}}
    refused(tcon, spec, SpecError, r"3 problems: goal.any_of\[0\]: unknown column 'nope'.*eligibility.profiles\[0\]: unknown column 'tier'.*attributes.numeric: profiles has no column 'height'")


def test_missing_events_table(con):
    refused(con, PURCHASE, SpecError, r"the database has no events table; load events with `cai ingest` first")


def test_profile_attributes_without_profiles(con, write):
    cai_sql.ingest(con, write("e.csv", "customer_id,ts,event_type\na,2026-01-01,e\n"))
    refused(con, PURCHASE, SpecError, r"the spec uses profile attributes but the database has no profiles table")


def test_goal_that_no_event_matches(tcon):
    refused(tcon, {**PURCHASE, "goal": {"any_of": ["event_type = 'commerce.refunds'"]}}, TrainingError,
            r"every training example is negative .* no event matches the goal")


def test_window_longer_than_the_data(tcon):
    refused(tcon, {**PURCHASE, "goal": {"any_of": ["event_type = 'commerce.purchases'"], "window_days": 210}}, TrainingError,
            r"the events cover 425 days \(2025-09-02 … 2026-10-31\) but one training and one validation snapshot need 434: 14 days of history")


def test_too_few_examples(tcon):
    refused(tcon, {**PURCHASE, "training": {"min_positives": 10**6}}, TrainingError,
            r"too few examples: .* qualifying .* need at least 1,000,000")


def test_future_dated_events(tcon):
    tcon.execute("INSERT INTO events VALUES ('x', TIMESTAMP '2027-01-01 00:00:00', 'commerce.purchases', 1, NULL)")
    # 12 hours ahead is within the tolerance ingest accepts (a source's clock may be off): not counted
    tcon.execute("INSERT INTO events VALUES ('y', TIMESTAMP '2026-11-01 12:00:00', 'commerce.purchases', 1, NULL)")
    refused(tcon, PURCHASE, cai_sql.InputError, r"1 events are dated more than 1 day after now \(2026-11-01 00:00 UTC; the first at 2027-01-01")
    # as of a date, such rows neither leak (they are after it) nor stretch the data: 2999 is still after the data
    before = registry_state(tcon)
    tcon.execute("INSERT INTO events VALUES ('x', TIMESTAMP '2999-01-01 00:00:00', 'commerce.purchases', 1, NULL)")
    with pytest.raises(cai_sql.InputError, match=r"--as-of 2998-12-31 is after the data \(the last event is on 2026-11-01\)"):
        train(tcon, spec_from_dict(PURCHASE), now=NOW, as_of=dt.date(2998, 12, 31))
    assert registry_state(tcon) == before


def test_null_customer_ids(con):
    con.execute("CREATE TABLE events (customer_id VARCHAR, ts TIMESTAMP, event_type VARCHAR, value DOUBLE, event_id VARCHAR)")
    con.execute("INSERT INTO events VALUES (NULL, TIMESTAMP '2026-01-01', 'commerce.purchases', 1, NULL)")
    spec = {**PURCHASE, "attributes": {}}
    refused(con, spec, cai_sql.InputError, r"1 events have no customer_id")


def test_parity_failure_refuses_to_register(tcon, monkeypatch):
    monkeypatch.setattr(export_module, "PARITY_TOLERANCE", -1.0)
    refused(tcon, PURCHASE, ExportError, r"differs from scikit-learn by .* the model was not registered")


def test_poor_quality_warns(tmp_path):
    """A goal that is pure chance trains, registers and says the quality is poor."""
    con = cai_sql.connect(tmp_path / "random.duckdb")
    con.execute("""
        CREATE TABLE events AS
        SELECT 'c' || (i % 3000)::VARCHAR AS customer_id,
               TIMESTAMP '2026-01-01' + to_minutes((i // 3000) * 1440 + (hash(i) % 600)::BIGINT) AS ts,
               CASE WHEN hash(i * 7) % 9 = 0 THEN 'lottery.win' ELSE 'web.webpagedetails.pageViews' END AS event_type,
               NULL::DOUBLE AS value, NULL::VARCHAR AS event_id
        FROM range(3000 * 200) t(i)
    """)
    spec = {"name": "lottery", "lookback_days": 30, "eligibility": {"active_days": 30},
            "goal": {"any_of": ["event_type = 'lottery.win'"], "window_days": 3},
            "training": {"min_positives": 100, "min_negatives": 100, "snapshots": 3}}
    result = train(con, spec_from_dict(spec), now=dt.datetime(2026, 8, 1))
    assert result.warnings and "model quality is poor" in result.warnings[0]
    assert json.loads(rows(con, "SELECT metrics FROM cai_models")[0][0])["warnings"] == list(result.warnings)


def test_cli_train_models_and_card(base_db, tmp_path):
    db = tmp_path / "cli.duckdb"
    shutil.copy(base_db, db)
    spec = tmp_path / "spec.toml"
    spec.write_text("""
name = "purchase_30d"
[goal]
any_of = ["event_type = 'commerce.purchases'"]
window_days = 30
[training]
min_positives = 200
min_negatives = 200
snapshots = 3
""")
    result = run_cai("train", "spec.toml", "--db", str(db), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "purchase_30d v1" in result.stdout and "validation AUC" in result.stdout
    listing = run_cai("models", "--db", str(db), cwd=tmp_path)
    assert listing.returncode == 0 and "purchase_30d" in listing.stdout
    card = run_cai("models", "show", "purchase_30d", "--db", str(db), cwd=tmp_path)
    assert card.returncode == 0
    assert "out-of-time validation cutoff" in card.stdout and "Count of commerce.purchases in last 30 days" in card.stdout
    assert "reason codes: " in card.stdout and "bias + contributions vs sklearn within" in card.stdout
    missing = run_cai("models", "show", "nope", "--db", str(db), cwd=tmp_path)
    assert missing.returncode == 1 and "Error: no model 'nope' in the registry (models: purchase_30d)" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[goal]\nany_of = ["1=1; DROP TABLE events"]\n')
    refusal = run_cai("train", "bad.toml", "--db", str(db), cwd=tmp_path)
    assert refusal.returncode == 1 and refusal.stderr.startswith("Error: ") and "holds 2 statements" in refusal.stderr


def test_numeric_attribute_must_be_numeric(tcon):
    spec = {**PURCHASE, "attributes": {"numeric": ["loyalty_tier"]}}
    refused(tcon, spec, SpecError, r"attributes.numeric: profiles.loyalty_tier is VARCHAR, not a number; list it under attributes.categorical")


def test_levels_that_slug_alike_get_distinct_feature_names(tcon):
    tcon.execute("ALTER TABLE profiles ADD COLUMN city VARCHAR")
    tcon.execute("UPDATE profiles SET city = CASE WHEN hash(customer_id) % 3 = 0 THEN '東京' WHEN hash(customer_id) % 3 = 1 THEN '大阪' ELSE 'Gold' END")
    result = train(tcon, spec_from_dict({**PURCHASE, "attributes": {"categorical": ["city"]}}), now=NOW)
    city = {f["name"]: f["description"] for f in result.record.features if f["name"].startswith("attr_city")}
    assert sorted(city) == ["attr_city_gold", "attr_city_x", "attr_city_x_2"]
    assert {"Profile city is 東京", "Profile city is 大阪"} <= set(city.values())


def test_parity_failure_of_the_best_candidate_falls_back(tcon, monkeypatch):
    import cai_sql.training as training_module

    real_export = training_module.export
    calls = []

    def export_refusing_the_first(model, X, name):
        calls.append(model)
        if len(calls) == 1:
            raise ExportError("the ONNX export differs (injected)")
        return real_export(model, X, name)

    monkeypatch.setattr(training_module, "export", export_refusing_the_first)
    result = train(tcon, spec_from_dict({**PURCHASE, "attributes": {}}), now=NOW)
    candidates = result.record.metrics["candidates"]
    best, runner_up = list(result.record.metrics["model_search"]["chosen"])  # inner-split order
    assert result.record.algorithm == runner_up and result.record.auc == candidates[runner_up]
    assert result.warnings[0].startswith(f"{best} (validation AUC {candidates[best]:.3f}) was not kept")
