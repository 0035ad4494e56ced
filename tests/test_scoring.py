"""Scoring as SQL: the UDFs, reason codes, the linear SQL macros, scoring runs and their bad inputs."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest

import cai_sql
from cai_sql import scoring
from cai_sql.explain import build_explainer, contributions
from cai_sql.export import export, onnx_probabilities
from cai_sql.factors import factor_layout
from cai_sql.spec import spec_from_dict
from cai_sql.training import _candidates, train

from .conftest import opened_copy, rows
from .test_training import NOW, PURCHASE

DATE = dt.date(2026, 10, 15)


@pytest.fixture(scope="module")
def scored_db(base_db, tmp_path_factory):
    """One purchase model of each algorithm (trees as v1, linear as v2) on the 2,500 base customers."""
    db = tmp_path_factory.mktemp("scoring") / "scored.duckdb"
    shutil.copy(base_db, db)
    con = cai_sql.connect(db)
    spec = spec_from_dict(PURCHASE)
    train(con, spec, now=NOW, algorithms=("hist_gradient_boosting",))
    train(con, spec, now=NOW, algorithms=("logistic_regression",))
    con.close()
    return db


@pytest.fixture
def scon(scored_db, tmp_path):
    with opened_copy(scored_db, tmp_path / "s.duckdb") as con:
        yield con


def feature_matrix(con, version: int, date=DATE):
    table = con.sql(f"SELECT customer_id, feature_vector FROM cai_features_purchase_30d_v{version}(DATE '{date}') ORDER BY customer_id").to_arrow_table()
    X = np.asarray(table.column("feature_vector").to_pylist(), dtype=np.float32)
    return table.column("customer_id").to_pylist(), X


# --- reason codes: additivity and missing values -------------------------------------------------

def synthetic(seed=0, n=4000):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    X[rng.random(n) < 0.25, 1] = np.nan
    y = (np.nan_to_num(X[:, 0]) + np.where(np.isnan(X[:, 1]), 1.5, X[:, 1]) + rng.normal(size=n) > 0.5).astype(int)
    return X.astype(np.float32).astype(np.float64), y


@pytest.mark.parametrize("algorithm", ["hist_gradient_boosting", "logistic_regression"])
def test_contributions_plus_bias_add_up_to_the_margin_with_missing_values(algorithm):
    X, y = synthetic()
    model = _candidates()[algorithm].fit(X, y)
    exported = export(model, X, "t")
    explainer, _ = build_explainer(model, algorithm, exported.onnx, X)
    C = contributions(explainer.onnx, X.astype(np.float32)).astype(np.float64)
    p = model.predict_proba(X)[:, 1]
    margin = np.log(p / (1 - p))
    assert np.max(np.abs(explainer.bias + C.sum(axis=1) - margin)) < 1e-4
    missing = np.isnan(X[:, 1])
    assert missing.sum() > 500
    # rows with the feature missing are explained exactly as the model scores them (NaN as in training)
    assert np.max(np.abs(explainer.bias + C[missing].sum(axis=1) - margin[missing])) < 1e-4
    if algorithm == "logistic_regression":
        # a missing value is imputed with the training median: its contribution is coef·(median − mean)/scale
        assert np.unique(np.round(C[missing, 1], 5)).size == 1


def test_leaves_keep_their_largest_contributions_one_count_per_tree():
    """Each leaf keeps 2–5 contributions (one count for all leaves of a tree), the same total as its full vector."""
    import onnx
    from onnx import helper

    from cai_sql import explain
    from cai_sql.treeshap import leaf_mean_shap

    rng = np.random.default_rng(1)
    X = rng.normal(size=(4000, 10)).astype(np.float32).astype(np.float64)
    y = (X @ np.linspace(1.5, 0.1, 10) + rng.normal(size=len(X)) > 0).astype(int)
    model = _candidates()["hist_gradient_boosting"].fit(X, y)
    explainer = explain.tree_explainer(model, export(model, X, "t").onnx, X)
    node = onnx.load_from_string(explainer.onnx).graph.node[0]
    attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    per_leaf: dict[tuple[int, int], int] = {}
    for tree, leaf in zip(attributes["target_treeids"], attributes["target_nodeids"]):
        per_leaf[tree, leaf] = per_leaf.get((tree, leaf), 0) + 1
    sample = X[np.random.default_rng(0).choice(len(X), explain.SHAP_SAMPLE_ROWS, replace=False)]
    counts = []
    for tree, (predictor,) in enumerate(model._predictors):
        _, full = explain._path_contributions(predictor.nodes, X.shape[1])
        full.update(leaf_mean_shap(predictor.nodes, sample.astype(np.float32).astype(np.float64), X.shape[1]))
        keep = explain._tree_terms(predictor.nodes, full)
        assert explain.MIN_LEAF_TERMS <= keep <= explain.LEAF_TERMS
        counts.append(keep)
        for leaf, vector in full.items():
            assert per_leaf[tree, leaf] == min(keep, np.count_nonzero(vector))
            kept = explain._sparse(vector, keep)
            assert np.count_nonzero(kept) == min(keep, np.count_nonzero(vector))
            assert kept.sum() == pytest.approx(vector.sum(), abs=1e-12)
            largest = np.argsort(-np.abs(vector), kind="stable")[:keep]
            assert set(np.flatnonzero(kept)) == set(largest[vector[largest] != 0])
    # early trees (large leaf values) keep more contributions than late ones
    assert counts[0] == max(counts) > min(counts)
    assert f"{counts[0]} in {counts.count(counts[0])}" in explainer.method


def test_ranked_graph_ranks_like_the_rule_in_numpy():
    """The ranking graph returns the probability and the k largest pulls toward the row's side, strongest
    first, signed as contributions, with the row's values and the count of those that pull toward it."""
    from cai_sql.explain import sigmoid, with_top_factors
    from cai_sql.export import INPUT_NAME, session

    X, y = synthetic(seed=2)
    X[::7, 1] = np.nan
    model = _candidates()["hist_gradient_boosting"].fit(X, y)
    explainer, _ = build_explainer(model, "hist_gradient_boosting", export(model, X, "t").onnx, X)
    X32 = X.astype(np.float32)
    C = contributions(explainer.onnx, X32)
    ranked = session(with_top_factors(explainer.onnx, explainer.bias))
    probability, count, contribution, value, index = ranked.run(None, {INPUT_NAME: X32, "k": np.array([3], np.int64)})
    assert np.allclose(probability, sigmoid(explainer.bias + C.astype(np.float64).sum(axis=1)), rtol=0, atol=1e-6)
    side = np.where(C.sum(axis=1, keepdims=True) >= 0, 1.0, -1.0).astype(np.float32)
    expected_pull = -np.sort(-(C * side), axis=1)[:, :3]
    assert np.array_equal(contribution * side, expected_pull)
    assert np.array_equal(np.take_along_axis(C, index.astype(np.int64), axis=1), contribution.astype(np.float32))
    assert np.array_equal(count, (expected_pull > 0).sum(axis=1))
    expected_value = np.take_along_axis(X32, index.astype(np.int64), axis=1).astype(np.float64)
    assert np.array_equal(np.isnan(value), np.isnan(expected_value)) and np.isnan(value).any()
    assert np.array_equal(np.nan_to_num(value), np.nan_to_num(expected_value))
    assert (contribution.dtype, value.dtype, index.dtype, count.dtype) == (np.float64, np.float64, np.int32, np.int32)
    none = ranked.run(None, {INPUT_NAME: X32, "k": np.array([0], np.int64)})
    assert np.array_equal(none[0], probability) and none[2].shape == (len(X), 0) and not none[1].any()


# --- cai_score / cai_explain ---------------------------------------------------------------------

@pytest.mark.parametrize("version", [1, 2])
def test_cai_score_matches_the_registered_onnx_model(scon, version):
    customers, X = feature_matrix(scon, version)
    onnx = rows(scon, "SELECT onnx FROM cai_models WHERE version = $v", {"v": version})[0][0]
    expected = onnx_probabilities(onnx, X)
    got = rows(scon, f"SELECT cai_score('purchase_30d', f, {version}) FROM cai_features_purchase_30d_v{version}(DATE '{DATE}') AS f ORDER BY customer_id")
    assert len(got) == len(customers) > 500
    assert np.max(np.abs(np.array([g for (g,) in got]) - expected)) < 1e-6


def test_latest_version_is_the_default_and_generic_features_macro_works(scon):
    latest = rows(scon, f"SELECT customer_id, cai_score('purchase_30d', f) FROM cai_features('purchase_30d', DATE '{DATE}') AS f ORDER BY 1")
    explicit = rows(scon, f"SELECT customer_id, cai_score('purchase_30d', f, 2) FROM cai_features_purchase_30d(DATE '{DATE}') AS f ORDER BY 1")
    assert latest == explicit


def test_explain_returns_top_factors_toward_the_prediction(scon):
    result = rows(scon, f"""
        SELECT cai_score('purchase_30d', f, 1) AS p, cai_explain('purchase_30d', f, 3, 1) AS factors
        FROM cai_features_purchase_30d_v1(DATE '{DATE}') AS f""")
    layout = factor_layout(json.loads(rows(scon, "SELECT features FROM cai_models WHERE version = 1")[0][0]))
    texts = {f.code: set(f.texts) for f in layout.factors}
    bias = rows(scon, "SELECT explainer_bias FROM cai_models WHERE version = 1")[0][0]
    for probability, factors in result:
        assert len(factors) <= 3
        contributions_ = [f["contribution"] for f in factors]
        above_average = math.log(probability / (1 - probability)) >= bias
        if factors:
            assert all(c > 0 for c in contributions_) if above_average else all(c < 0 for c in contributions_)
            assert [abs(c) for c in contributions_] == sorted((abs(c) for c in contributions_), reverse=True)
        for factor in factors:
            assert factor["description"] in texts[factor["code"]]
            assert factor["direction"] == ("raises" if factor["contribution"] > 0 else "lowers")
            level = "high" if abs(factor["contribution"]) >= math.log(2) else "medium" if abs(factor["contribution"]) >= math.log(1.25) else "low"
            assert factor["importance"] == level
    assert sum(bool(f) for _, f in result) > 0.9 * len(result)
    none = rows(scon, f"SELECT DISTINCT len(cai_explain('purchase_30d', f, 0, 1)) FROM cai_features_purchase_30d_v1(DATE '{DATE}') AS f")
    assert none == [(0,)]


def test_linear_model_scores_and_explains_in_pure_sql_like_its_udf(scon):
    result = rows(scon, f"""
        SELECT cai_score('purchase_30d', f, 2), cai_score_purchase_30d(f),
               cai_explain('purchase_30d', f, 4, 2), cai_explain_purchase_30d(f, 4)
        FROM cai_features_purchase_30d(DATE '{DATE}') AS f""")
    udf, sql = np.array([r[0] for r in result]), np.array([r[1] for r in result])
    assert np.max(np.abs(udf - sql)) < 1e-5
    same_codes = sum([f["code"] for f in r[2]] == [f["code"] for f in r[3]] for r in result)
    assert same_codes >= 0.99 * len(result)  # float32 (ONNX) vs double (SQL) may swap near-ties


def test_linear_sql_macros_work_without_python_udfs(scored_db, tmp_path):
    """A plain duckdb process (no cai_sql import) scores the linear model live."""
    copy = tmp_path / "plain.duckdb"
    shutil.copy(scored_db, copy)
    code = (
        "import sys, duckdb\n"
        f"con = duckdb.connect({str(copy)!r}, read_only=True)\n"
        f"r = con.sql(\"SELECT count(*), avg(cai_score_purchase_30d(f)), max(len(cai_explain_purchase_30d(f, 3))) "
        f"FROM cai_features_purchase_30d(DATE '{DATE}') AS f\").fetchall()[0]\n"
        "assert 'cai_sql' not in sys.modules\n"
        "print(r[0], r[1], r[2])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    n, mean, longest = out.stdout.split()
    assert int(n) > 500 and 0 < float(mean) < 1 and int(longest) == 3
    attached = (  # the same, with the file attached under an alias (docs/bi.md: Attached under an alias)
        "import duckdb\n"
        "con = duckdb.connect()\n"
        f"con.execute(\"ATTACH '{copy}' AS some_alias (READ_ONLY)\")\n"
        "con.execute(\"SET search_path = 'some_alias'\")\n"
        f"r = con.sql(\"SELECT count(*), avg(some_alias.cai_score_purchase_30d(f)), max(len(some_alias.cai_explain_purchase_30d(f, 3))) "
        f"FROM some_alias.cai_features_purchase_30d(DATE '{DATE}') AS f\").fetchall()[0]\n"
        "print(r[0], r[1], r[2])\n"
    )
    out = subprocess.run([sys.executable, "-c", attached], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got_n, got_mean, got_longest = out.stdout.split()
    assert (got_n, got_longest) == (n, longest) and float(got_mean) == pytest.approx(float(mean), rel=1e-12)


# --- bad input to the functions ------------------------------------------------------------------

@pytest.mark.parametrize("query, message", [
    ("SELECT cai_score('nope', f) FROM cai_features_purchase_30d(DATE '2026-10-15') AS f", "no model 'nope'"),
    ("SELECT cai_score('purchase_30d', f, 9) FROM cai_features_purchase_30d(DATE '2026-10-15') AS f", "has no version 9"),
    ("SELECT cai_score('purchase_30d', f) FROM (SELECT [1.0, 2.0]::FLOAT[] AS feature_vector, 'x@v1' AS feature_set) AS f",
     "not made by a features macro"),
    ("SELECT cai_score('purchase_30d', f) FROM (SELECT [1.0]::FLOAT[] AS feature_vector, 'purchase_30d@v2' AS feature_set) AS f",
     "needs .* features per row"),
    ("SELECT cai_score('purchase_30d', f) FROM (SELECT 1 AS n_commerce_purchases_7d) AS f", "feature_vector"),
    ("SELECT cai_score('purchase_30d', 42)", "struct_extract"),  # not a row at all: DuckDB's binder says so
    ("SELECT cai_score('purchase_30d', {'feature_vector': 'abc', 'feature_set': 'purchase_30d@v2'})", "_cai_score"),
    ("SELECT cai_explain('purchase_30d', f, -1) FROM cai_features_purchase_30d(DATE '2026-10-15') AS f",
     "number of factors must be 0 or more"),
])
def test_functions_refuse_bad_rows_with_a_clear_error(scon, query, message):
    with pytest.raises(Exception, match=message):
        scon.sql(query).fetchall()


@pytest.mark.parametrize("model, vector, message", [
    ("CASE WHEN i < 3000 OR i % 2 = 0 THEN 'purchase_30d' ELSE 'nope' END", "f.feature_vector", "one query must score with one model; got 2"),
    ("'purchase_30d'", "CASE WHEN i < 3000 THEN f.feature_vector ELSE f.feature_vector[:3] END", "needs .* features per row"),
])
def test_a_batch_that_differs_from_the_last_good_one_is_checked_again(scon, model, vector, message):
    """The first batch passes and is remembered; a later batch with another model or width is still refused."""
    query = f"""SELECT sum(cai_score({model}, {{'feature_vector': {vector}, 'feature_set': f.feature_set}}, 1))
        FROM (SELECT *, row_number() OVER () AS i FROM cai_features_purchase_30d_v1(DATE '{DATE}'), range(8)) AS f"""
    with pytest.raises(Exception, match=message):
        scon.sql(query).fetchall()


def test_rows_of_another_feature_list_name_the_missing_and_extra_features(scon):
    features = json.loads(rows(scon, "SELECT features FROM cai_models WHERE version = 2")[0][0])
    pretend = [{"name": "n_made_up_7d", "description": "x"}] + features[1:]
    scon.execute("UPDATE cai_models SET features = $f WHERE version = 1", {"f": json.dumps(pretend)})
    cai_sql.register_udfs(scon)
    with pytest.raises(Exception, match=f"missing: {features[0]['name']}; extra: n_made_up_7d"):
        scon.sql(f"SELECT cai_score('purchase_30d', f, 2) FROM cai_features_purchase_30d_v1(DATE '{DATE}') AS f").fetchall()


def test_null_rows_score_null_and_null_features_are_missing_values(scon):
    result = rows(scon, f"""
        WITH f AS (SELECT * FROM cai_features_purchase_30d_v1(DATE '{DATE}') LIMIT 1)
        SELECT cai_score('purchase_30d', {{'feature_vector': NULL::FLOAT[], 'feature_set': f.feature_set}}, 1),
               cai_score('purchase_30d', {{'feature_vector': list_transform(f.feature_vector, lambda x: NULL::FLOAT), 'feature_set': f.feature_set}}, 1)
        FROM f""")
    null_row, all_missing = result[0]
    assert null_row is None
    onnx = rows(scon, "SELECT onnx FROM cai_models WHERE version = 1")[0][0]
    width = rows(scon, "SELECT n_features FROM cai_models WHERE version = 1")[0][0]
    assert all_missing == pytest.approx(onnx_probabilities(onnx, np.full((1, width), np.nan, dtype=np.float32))[0], abs=1e-6)


def test_tampered_onnx_is_refused(scon):
    scon.execute("UPDATE cai_models SET onnx = onnx || '\\x00'::BLOB WHERE version = 2")
    cai_sql.register_udfs(scon)
    with pytest.raises(Exception, match=r"the ONNX model \(its bytes\) in cai_models no longer matches the hash"):
        scon.sql(f"SELECT cai_score('purchase_30d', f) FROM cai_features_purchase_30d(DATE '{DATE}') AS f").fetchall()
    with pytest.raises(cai_sql.IntegrityError, match="ONNX model"):
        cai_sql.score(scon, "purchase_30d", as_of=DATE)
    assert rows(scon, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cai_scores'") == [(0,)]
    # the untouched version still scores
    assert cai_sql.score(scon, "purchase_30d", as_of=DATE, version=1).n_scored > 0


# --- scoring runs ----------------------------------------------------------------------------------

def test_a_run_writes_the_ledger_and_its_definitions_hold(scon):
    run = cai_sql.score(scon, "purchase_30d", as_of=DATE, version=1)
    assert run.n_scored == rows(scon, f"SELECT count(*) FROM cai_features_purchase_30d_v1(DATE '{DATE}')")[0][0]
    ledger = rows(scon, "SELECT probability, score, percentile, bucket, influential_factors FROM cai_scores WHERE run_id = $r", {"r": run.run_id})
    assert len(ledger) == run.n_scored
    for probability, score, percentile, bucket, factors in ledger:
        assert 0 <= probability <= 1 and 0 <= score <= 100 and 1 <= percentile <= 100
        assert bucket == ("low" if score < 25 else "medium" if score < 75 else "high")
        assert len(factors) <= 5
    percentiles = sorted(p for _, _, p, _, _ in ledger)
    assert percentiles[-1] == 100 and percentiles[0] <= 2
    # probability in the ledger is the model's (through the reason-code graph, within 1e-6)
    direct = dict(rows(scon, f"SELECT customer_id, cai_score('purchase_30d', f, 1) FROM cai_features_purchase_30d_v1(DATE '{DATE}') AS f"))
    stored = dict(rows(scon, "SELECT customer_id, probability FROM cai_scores WHERE run_id = $r", {"r": run.run_id}))
    assert max(abs(direct[c] - stored[c]) for c in direct) < 1e-6
    status = rows(scon, "SELECT status, n_scored, n_high + n_medium + n_low FROM cai_runs WHERE run_id = $r", {"r": run.run_id})
    assert status == [("succeeded", run.n_scored, run.n_scored)]


def test_score_means_the_same_probability_in_every_run(scon):
    dates = [DATE - dt.timedelta(days=14), DATE]
    for date in dates:
        cai_sql.score(scon, "purchase_30d", as_of=date, version=1)
    # one score per probability level, whichever run it came from; percentiles are per run
    clash = rows(scon, """
        SELECT count(*) FROM (
            SELECT round(probability, 6) AS p, count(DISTINCT score) AS scores FROM cai_scores GROUP BY 1
        ) WHERE scores > 1""")[0][0]
    assert clash <= 2  # probabilities that straddle a rounding boundary
    scale = np.asarray(rows(scon, "SELECT score_scale FROM cai_models WHERE version = 1")[0][0])
    assert len(scale) == 1001 and np.all(np.diff(scale) >= 0)


def test_rescoring_the_same_version_and_date_replaces_the_run(scon):
    first = cai_sql.score(scon, "purchase_30d", as_of=DATE, version=1)
    second = cai_sql.score(scon, "purchase_30d", as_of=DATE, version=1)
    assert second.replaced == (first.run_id,)
    counts = rows(scon, "SELECT run_id, count(*) FROM cai_scores GROUP BY 1 ORDER BY 1")
    assert counts == [(second.run_id, second.n_scored)]
    assert rows(scon, "SELECT status, replaced_by FROM cai_runs WHERE run_id = $r", {"r": first.run_id}) == [("replaced", second.run_id)]
    # another version on the same date is a separate run
    third = cai_sql.score(scon, "purchase_30d", as_of=DATE, version=2)
    assert third.replaced == ()
    assert rows(scon, "SELECT count(DISTINCT run_id) FROM cai_scores") == [(2,)]


def test_a_failing_run_leaves_no_rows_and_keeps_the_previous_run(scon, monkeypatch):
    kept = cai_sql.score(scon, "purchase_30d", as_of=DATE, version=1)
    before = rows(scon, "SELECT * FROM cai_scores ORDER BY customer_id")

    def fault(con, run_id):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(scoring, "_before_commit", fault)
    with pytest.raises(RuntimeError, match="injected fault"):
        cai_sql.score(scon, "purchase_30d", as_of=DATE, version=1)
    assert rows(scon, "SELECT * FROM cai_scores ORDER BY customer_id") == before
    statuses = rows(scon, "SELECT run_id, status, error FROM cai_runs ORDER BY run_id")
    assert statuses[0][:2] == (kept.run_id, "succeeded")
    assert statuses[-1][1] == "failed" and "injected fault" in statuses[-1][2]


def test_dates_before_the_data_or_without_eligible_customers_are_refused(scon):
    with pytest.raises(cai_sql.InputError, match="events start on"):
        cai_sql.score(scon, "purchase_30d", as_of=dt.date(2020, 1, 1))
    with pytest.raises(cai_sql.InputError, match=r"cannot score as of 2027-06-01: the events end on 2026-10-31, so no "
                                                 r"customer has an event in the 30 days before it; pick --as-of 2026-12-01 "
                                                 r"or earlier \(the day after the last event plus purchase_30d v2's 30-day"):
        cai_sql.score(scon, "purchase_30d", as_of=dt.date(2027, 6, 1))
    assert rows(scon, "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('cai_scores', 'cai_runs')") == [(0,)]
    with pytest.raises(cai_sql.ScoringError, match="no model 'nope'"):
        cai_sql.score(scon, "nope")
    with pytest.raises(cai_sql.ScoringError, match="has no version 7"):
        cai_sql.score(scon, "purchase_30d", version=7)



def test_events_dated_in_the_future_do_not_move_the_score_date_or_close_outcome_windows(scon):
    """Rows dated 2999 (loaded before ingest refused them) are ignored when the default date is chosen."""
    first = cai_sql.score(scon, "purchase_30d", version=2)
    scon.execute("INSERT INTO events VALUES ('c00001', TIMESTAMP '2999-01-01 00:00:00', 'commerce.purchases', 1, NULL)")
    second = cai_sql.score(scon, "purchase_30d", version=2)
    assert first.score_date == second.score_date == dt.date(2026, 11, 1)
    assert rows(scon, "SELECT count(*) FROM cai_run_outcomes") == [(0,)]  # the 30 days after 2026-11-01 are not in the data
    latest = cai_sql.score(scon, "purchase_30d", version=2, as_of=dt.date(2026, 12, 1))  # the last date allowed
    assert latest.n_scored > 0
    with pytest.raises(cai_sql.InputError, match="cannot score as of 2999-01-02: the events end on 2026-10-31"):
        cai_sql.score(scon, "purchase_30d", version=2, as_of=dt.date(2999, 1, 2))
    assert rows(scon, "SELECT status FROM cai_runs ORDER BY run_id") == [("replaced",), ("succeeded",), ("succeeded",)]


def test_bi_views_open_in_a_process_that_never_imports_cai_sql(scon, tmp_path):
    for date in (DATE - dt.timedelta(days=7), DATE):
        cai_sql.score(scon, "purchase_30d", as_of=date, version=2)
    scon.close()
    code = (
        "import sys, duckdb\n"
        f"con = duckdb.connect({str(tmp_path / 's.duckdb')!r}, read_only=True)\n"
        "latest = con.sql('SELECT min(score_date), max(score_date), count(*) FROM cai_latest_scores').fetchall()[0]\n"
        "history = con.sql('SELECT count(DISTINCT run_id), count(*) FILTER (WHERE previous_bucket IS NOT NULL) FROM cai_score_history').fetchall()[0]\n"
        "factors = con.sql('SELECT count(*) FROM (SELECT unnest(influential_factors) AS f FROM cai_latest_scores) WHERE f.importance = \\'high\\'').fetchall()[0]\n"
        "assert 'cai_sql' not in sys.modules\n"
        "print(latest[0], latest[1], latest[2], history[0], history[1], factors[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    first, last, n_latest, n_runs, n_with_previous, _ = out.stdout.split()
    assert first == last == str(DATE) and int(n_latest) > 500
    assert int(n_runs) == 2 and int(n_with_previous) > 400


def test_treeshap_matches_brute_force_shapley_values():
    """Path-dependent TreeSHAP of one tree equals the Shapley values of E[f | x_S] enumerated over all S."""
    from itertools import combinations

    from sklearn.ensemble import HistGradientBoostingClassifier

    from cai_sql.treeshap import leaf_mean_shap, route, tree_shap

    X, y = synthetic(seed=3, n=3000)
    X = X[:, :4]
    model = HistGradientBoostingClassifier(max_iter=3, max_leaf_nodes=8, random_state=0).fit(X, y)
    nodes = model._predictors[1][0].nodes
    counts = nodes["count"].astype(float)

    def expected(x, S, index=0):
        node = nodes[index]
        if node["is_leaf"]:
            return node["value"]
        left, right = int(node["left"]), int(node["right"])
        if int(node["feature_idx"]) in S:
            value = x[node["feature_idx"]]
            go_left = node["missing_go_to_left"] if np.isnan(value) else value <= node["num_threshold"]
            return expected(x, S, left if go_left else right)
        return (counts[left] * expected(x, S, left) + counts[right] * expected(x, S, right)) / counts[index]

    rows = X[:40]
    ours = tree_shap(nodes, rows, 4)
    for x, phi in zip(rows, ours):
        for i in range(4):
            others = [j for j in range(4) if j != i]
            exact = sum(
                math.factorial(size) * math.factorial(3 - size) / math.factorial(4)
                * (expected(x, set(S) | {i}) - expected(x, set(S)))
                for size in range(4) for S in combinations(others, size)
            )
            assert phi[i] == pytest.approx(exact, abs=1e-12)
    means = leaf_mean_shap(nodes, rows, 4)
    leaf_of = route(nodes, rows)
    for leaf, mean in means.items():
        assert np.allclose(mean, ours[leaf_of == leaf].mean(axis=0))


def test_tree_graph_merges_attribute_levels_like_the_layout(scon):
    """The ranked graph of a tree model (levels merged inside the ensemble) gives each row the factors,
    texts and contributions that grouping its per-column contributions gives."""
    loaded = cai_sql.udfs.catalog(scon).get("purchase_30d", 1)
    layout = loaded.factors
    assert layout.of_kind("attribute") and loaded.algorithm == "hist_gradient_boosting"
    _, X = feature_matrix(scon, 1)
    k = len(layout.factors)
    ranked = loaded.ranked_factors(X, k)
    grouped = layout.group(loaded.contributions(X).astype(np.float64))
    texts, values = layout.text_index(X), layout.values(X)
    for row in range(len(X)):
        side = 1.0 if grouped[row].sum() >= 0 else -1.0
        toward = sorted((j for j in range(k) if grouped[row, j] * side > 1e-6), key=lambda j: -grouped[row, j] * side)
        got = [layout.codes[i] for i in ranked.index[row, :ranked.count[row]]]
        assert set(got) >= {layout.factors[j].code for j in toward}
        for slot in range(ranked.count[row]):
            factor = next(j for j, f in enumerate(layout.factors) if f.code == layout.codes[ranked.index[row, slot]])
            assert ranked.index[row, slot] == texts[row, factor]
            assert ranked.contribution[row, slot] == pytest.approx(grouped[row, factor], abs=1e-5)
            assert ranked.value[row, slot] == pytest.approx(values[row, factor], nan_ok=True)


# --- the tree runtime: XGBoost behind cai_score, derived from the registered ONNX ---------------

def _hard_rows(onnx: bytes, X: np.ndarray, seed: int = 0) -> np.ndarray:
    """Real rows, then rows that sit exactly on every split threshold, one float32 step either side of it,
    and with features missing or infinite: where a converted tree would route differently if it could."""
    from cai_sql.tree_sql import ensemble

    rng = np.random.default_rng(seed)
    splits = [(node.feature, np.float32(node.threshold)) for tree in ensemble(onnx).trees for node in tree.values()
              if not node.leaf and np.isfinite(node.threshold)]
    base = X[rng.integers(0, len(X), len(splits))]
    blocks = [X]
    for step in (None, -np.inf, np.inf):
        block = base.copy()
        for row, (feature, threshold) in enumerate(splits):
            block[row, feature] = threshold if step is None else np.nextafter(threshold, np.float32(step))
        blocks.append(block)
    missing = X[rng.integers(0, len(X), 2000)].copy()
    missing[rng.random(missing.shape) < 0.3] = np.nan
    infinite = X[rng.integers(0, len(X), 500)].copy()
    choice = rng.random(infinite.shape)
    infinite[choice < 0.05] = np.inf
    infinite[choice > 0.95] = -np.inf
    return np.concatenate([*blocks, missing, infinite]).astype(np.float32)


def test_tree_models_score_through_xgboost_exactly_as_onnxruntime(scon):
    from cai_sql import udfs

    catalog = udfs.catalog(scon)
    trees, linear = catalog.get("purchase_30d", 1), catalog.get("purchase_30d", 2)
    assert trees.runtime == "xgboost"
    assert linear.runtime == "onnxruntime (linear model)"
    _, X = feature_matrix(scon, 1)
    onnx = rows(scon, "SELECT onnx FROM cai_models WHERE version = 1")[0][0]
    hard = _hard_rows(onnx, X)
    assert np.isnan(hard).any(axis=1).sum() > 1000
    assert np.max(np.abs(trees.probabilities(hard) - onnx_probabilities(onnx, hard))) <= 1e-6


def test_every_demo_row_scores_the_same_with_either_runtime(scored_db, tmp_path, monkeypatch):
    query = f"""SELECT customer_id, cai_score('purchase_30d', f, 1)
                FROM cai_features_purchase_30d_v1(DATE '{DATE}') AS f ORDER BY customer_id"""
    with opened_copy(scored_db, tmp_path / "x.duckdb") as con:
        fast = rows(con, query)
    monkeypatch.setenv("CAI_TREE_RUNTIME", "onnxruntime")
    with opened_copy(scored_db, tmp_path / "o.duckdb") as con:
        from cai_sql import udfs

        assert udfs.catalog(con).get("purchase_30d", 1).runtime.startswith("onnxruntime (CAI_TREE_RUNTIME")
        slow = rows(con, query)
        run = cai_sql.score(con, "purchase_30d", as_of=DATE, version=1)
        ledger = dict(rows(con, "SELECT customer_id, probability FROM cai_scores WHERE run_id = $r", {"r": run.run_id}))
    assert [c for c, _ in fast] == [c for c, _ in slow] and len(fast) > 500
    assert max(abs(a - b) for (_, a), (_, b) in zip(fast, slow)) <= 1e-6
    # the ledger (written through the reason-code graph) holds the probability cai_score gives with XGBoost
    assert max(abs(ledger[c] - p) for c, p in fast) <= 1e-6


def test_a_conversion_that_does_not_reproduce_onnxruntime_falls_back_to_it(scored_db, tmp_path, monkeypatch):
    from dataclasses import replace

    from cai_sql import tree_runtime, udfs

    derive = tree_runtime.derive

    def off(*args):  # the derived model's base value moved by 1e-3 in log-odds: a conversion that is wrong
        derived = derive(*args)
        return replace(derived, base=derived.base + 1e-3)

    monkeypatch.setattr(tree_runtime, "derive", off)
    with opened_copy(scored_db, tmp_path / "f.duckdb") as con:
        loaded = udfs.catalog(con).get("purchase_30d", 1)
        assert loaded.runtime.startswith("onnxruntime (the XGBoost trees differ by")
        customers, X = feature_matrix(con, 1)
        onnx = rows(con, "SELECT onnx FROM cai_models WHERE version = 1")[0][0]
        got = rows(con, f"SELECT cai_score('purchase_30d', f, 1) FROM cai_features_purchase_30d_v1(DATE '{DATE}') AS f "
                        "ORDER BY customer_id")
        assert np.max(np.abs(np.array([g for (g,) in got]) - onnx_probabilities(onnx, X))) < 1e-6

    def broken(*a):
        raise tree_runtime.TreeRuntimeError("a split threshold cannot be converted exactly (nan)")

    monkeypatch.setattr(tree_runtime, "derive", broken)
    with opened_copy(scored_db, tmp_path / "b.duckdb") as con:
        loaded = udfs.catalog(con).get("purchase_30d", 1)
        assert loaded.runtime == "onnxruntime (the trees could not be converted: a split threshold cannot be converted exactly (nan))"
        assert len(rows(con, f"SELECT cai_score('purchase_30d', f, 1) FROM cai_features_purchase_30d_v1(DATE '{DATE}') AS f")) > 500


def test_an_unknown_tree_runtime_is_refused_with_the_choices(scon, monkeypatch):
    monkeypatch.setenv("CAI_TREE_RUNTIME", "lightgbm")
    with pytest.raises(Exception, match="CAI_TREE_RUNTIME must be 'xgboost' or 'onnxruntime' \\(got 'lightgbm'\\)"):
        rows(scon, f"SELECT cai_score('purchase_30d', f, 1) FROM cai_features_purchase_30d_v1(DATE '{DATE}') AS f")
