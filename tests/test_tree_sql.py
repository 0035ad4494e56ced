"""Tree models as SQL macros (cai_sql.tree_sql): parity with onnxruntime, reason codes, bad input.

Real parts throughout: a gradient-boosted model trained on the generated base customers, its ONNX
bytes and reason-code graph from the registry, the macros in a real DuckDB file, onnxruntime.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

import cai_sql
from cai_sql import tree_sql
from cai_sql.explain import build_explainer
from cai_sql.export import export, onnx_probabilities
from cai_sql.integrity import verify_models
from cai_sql.spec import spec_from_dict
from cai_sql.training import train

from .conftest import opened_copy, rows
from .test_training import NOW, PURCHASE

DATE = "2026-10-15"


@pytest.fixture(scope="module")
def tree_db(base_db, tmp_path_factory):
    """The purchase spec trained as gradient-boosted trees (v1) on the 2,500 base customers."""
    db = tmp_path_factory.mktemp("tree_sql") / "trees.duckdb"
    shutil.copy(base_db, db)
    con = cai_sql.connect(db)
    train(con, spec_from_dict(PURCHASE), now=NOW, algorithms=("hist_gradient_boosting",))
    con.close()
    return db


@pytest.fixture
def tcon(tree_db, tmp_path):
    with opened_copy(tree_db, tmp_path / "t.duckdb") as con:
        yield con


def registry(con, version: int = 1) -> dict:
    names = ["onnx", "explainer", "explainer_bias", "metrics", "macros", "features"]
    row = con.execute(f"SELECT {', '.join(names)} FROM cai_models WHERE model = 'purchase_30d' AND version = $v",
                      {"v": version}).fetchall()[0]
    return dict(zip(names, row))


def feature_rows(con, date: str = DATE):
    table = con.sql(f"SELECT feature_vector FROM cai_features_purchase_30d_v1(DATE '{date}') ORDER BY customer_id").to_arrow_table()
    return np.asarray(table.column("feature_vector").to_pylist(), dtype=np.float32)


def test_registration_checked_every_validation_row(tcon):
    entry = registry(tcon)
    metrics, macros = json.loads(entry["metrics"]), json.loads(entry["macros"])
    checked = metrics["sql_macros"]
    balance = metrics["class_balance"]
    assert checked["created"] and checked["rows"] == balance["validation_positives"] + balance["validation_negatives"]
    assert checked["max_abs_difference"] <= 1e-6 and checked["factor_rows_differing"] == 0
    assert checked["leaves"] <= tree_sql.MAX_SQL_LEAVES and checked["trees"] > 10
    assert {"cai_score_purchase_30d", "cai_score_purchase_30d_v1", "cai_explain_purchase_30d", "cai_explain_purchase_30d_v1",
            "_cai_tree_contributions_purchase_30d_v1"} <= set(macros)


def test_score_macro_matches_onnx_and_the_udf_on_every_row(tcon):
    validation = json.loads(registry(tcon)["metrics"])["training_window"]["validation_cutoff"]
    for date in (validation, DATE):
        result = rows(tcon, f"""
            SELECT cai_score_purchase_30d(f), cai_score_purchase_30d_v1(f), cai_score('purchase_30d', f, 1)
            FROM cai_features_purchase_30d_v1(DATE '{date}') AS f ORDER BY f.customer_id""")
        sql, versioned, udf = (np.array(column, dtype=np.float64) for column in zip(*result))
        onnx = onnx_probabilities(registry(tcon)["onnx"], feature_rows(tcon, date))
        assert len(sql) > 1000
        assert np.max(np.abs(sql - onnx)) <= 1e-6 and np.max(np.abs(sql - udf)) <= 1e-6
        assert np.array_equal(sql, versioned)  # the unversioned name calls the latest version's macro


def test_contributions_plus_bias_are_the_margin(tcon):
    bias = registry(tcon)["explainer_bias"]
    result = rows(tcon, f"""
        SELECT cai_score_purchase_30d(f), _cai_tree_contributions_purchase_30d_v1(f)
        FROM cai_features_purchase_30d_v1(DATE '{DATE}') AS f""")
    p = np.array([r[0] for r in result])
    total = np.array([sum(r[1]) for r in result])
    assert len(result[0][1]) < len(json.loads(registry(tcon)["features"]))  # per factor: attribute levels grouped
    assert np.max(np.abs(bias + total - np.log(p / (1 - p)))) < 1e-5


def test_top_factors_agree_with_the_udf_on_every_row(tcon):
    result = rows(tcon, f"""
        SELECT cai_explain_purchase_30d(f, 5), cai_explain('purchase_30d', f, 5, 1), cai_explain_purchase_30d(f, 0)
        FROM cai_features_purchase_30d_v1(DATE '{DATE}') AS f""")
    differing = [r for r in result if not tree_sql._same_factors(
        r[0], [f["code"] for f in r[1]], np.array([f["contribution"] for f in r[1]]))]
    assert not differing
    exact = sum([(f["code"], f["description"], f["importance"], f["direction"]) for f in r[0]]
                == [(f["code"], f["description"], f["importance"], f["direction"]) for f in r[1]] for r in result)
    assert exact >= 0.99 * len(result)
    assert all(r[2] == [] for r in result)
    factor = result[0][0][0]
    assert set(factor) == {"code", "description", "value", "contribution", "importance", "direction"}


def test_null_features_route_as_missing_values_like_onnx(tcon):
    """NULL is a missing value, sent where the model sends NaN; a NULL row is a row with every feature missing."""
    features = json.loads(registry(tcon)["features"])
    names = [f["name"] for f in features]
    X = feature_rows(tcon)[:400].copy()
    X[np.random.default_rng(3).random(X.shape) < 0.3] = np.nan
    X[0] = np.nan  # every feature missing
    table = pa.table({**{n: pa.array(X[:, j], mask=np.isnan(X[:, j])) for j, n in enumerate(names)},
                      "row_number": pa.array(np.arange(len(X)))})
    tcon.register("holes", table)
    result = rows(tcon, "SELECT cai_score_purchase_30d(f), len(cai_explain_purchase_30d(f, 3)) FROM holes AS f ORDER BY row_number")
    sql = np.array([r[0] for r in result], dtype=np.float64)
    assert np.max(np.abs(sql - onnx_probabilities(registry(tcon)["onnx"], X))) <= 1e-6
    null_row = rows(tcon, "SELECT cai_score_purchase_30d(NULL), len(cai_explain_purchase_30d(NULL, 3))")
    assert null_row == [(pytest.approx(sql[0], abs=1e-12), result[0][1])]


def test_a_row_without_the_models_features_is_refused_by_name(tcon):
    """The macros read features by name: a row lacking one (another model's) fails naming the key;
    a row that has them all (a hand-made what-if, another version's) scores by name."""
    with pytest.raises(duckdb.BinderException, match=r'Could not find key "\w+" in struct'):
        tcon.execute("SELECT cai_score_purchase_30d(f) FROM (SELECT 'c1' AS customer_id, 3 AS lt_purchase_count) AS f")
    what_if = rows(tcon, f"""
        SELECT cai_score_purchase_30d(f) FROM (SELECT 'c1' AS customer_id, * EXCLUDE (customer_id)
            REPLACE (0 AS lt_purchase_recency) FROM cai_features_purchase_30d_v1(DATE '{DATE}')) AS f
        ORDER BY f.customer_id""")
    assert len({round(p, 9) for (p,) in what_if}) > 100


def test_macros_score_in_a_plain_duckdb_process(tree_db, tmp_path):
    """No cai_sql, no UDFs: a plain duckdb process scores and explains the tree model live."""
    copy = tmp_path / "plain.duckdb"
    shutil.copy(tree_db, copy)
    code = (
        "import sys, duckdb\n"
        f"con = duckdb.connect({str(copy)!r}, read_only=True)\n"
        "con.execute('SET enable_progress_bar = false')\n"  # planning the trees takes seconds: no bar on stdout
        f"r = con.sql(\"SELECT count(*), avg(cai_score_purchase_30d(f)), max(len(cai_explain_purchase_30d(f, 3))) "
        f"FROM cai_features_purchase_30d(DATE '{DATE}') AS f\").fetchall()[0]\n"
        "assert 'cai_sql' not in sys.modules\n"
        "print(r[0], r[1], r[2])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    n, mean, longest = out.stdout.split()
    assert int(n) > 1000 and 0 < float(mean) < 1 and int(longest) == 3


def test_a_replaced_contributions_macro_fails_verification(tcon):
    tcon.execute("CREATE OR REPLACE MACRO _cai_tree_contributions_purchase_30d_v1(feature_row) AS [0.0]")
    (result,) = verify_models(tcon, "purchase_30d")
    assert "_cai_tree_contributions_purchase_30d_v1" in result.problem and "replaced after training" in result.problem


# --- a scoring run through the macros (cai score --via sql) ---------------------------------------------

def run_rows(con, run_id: int) -> dict:
    return {r[0]: r[1:] for r in rows(con, """
        SELECT customer_id, probability, score, bucket, percentile, [f.code FOR f IN influential_factors]
        FROM cai_scores WHERE run_id = $r""", {"r": run_id})}


def assert_same_rows(udf: dict, sql: dict) -> None:
    """Same customers, probabilities within 1e-6, same buckets, percentiles and reason codes (a score may
    differ by one point where the float32 and double probabilities fall either side of a rounding edge)."""
    assert udf.keys() == sql.keys() and len(udf) > 1000
    assert max(abs(udf[c][0] - sql[c][0]) for c in udf) <= 1e-6
    assert max(abs(udf[c][1] - sql[c][1]) for c in udf) <= 1
    assert sum(udf[c][1] != sql[c][1] for c in udf) <= len(udf) // 1000
    assert all(udf[c][2] == sql[c][2] for c in udf)
    assert all(udf[c][4] == sql[c][4] for c in udf)


def test_a_run_through_the_sql_macros_writes_the_same_ledger_rows(tcon):
    """cai score --via sql replaces the run of the same version and date with the same rows, computed by the macros."""
    as_of = dt.date.fromisoformat(DATE)
    udf = cai_sql.score(tcon, "purchase_30d", as_of=as_of)
    udf_rows = run_rows(tcon, udf.run_id)
    sql = cai_sql.score(tcon, "purchase_30d", as_of=as_of, via="sql")
    assert sql.replaced == (udf.run_id,) and sql.n_scored == udf.n_scored and sql.buckets == udf.buckets
    assert_same_rows(udf_rows, run_rows(tcon, sql.run_id))
    assert rows(tcon, "SELECT run_id, scored_via FROM cai_runs ORDER BY run_id") == [(udf.run_id, "udf"), (sql.run_id, "sql")]


def test_via_refuses_an_unknown_path(tcon):
    with pytest.raises(cai_sql.InputError, match=r"via must be one of udf, sql \(got 'python'\)"):
        cai_sql.score(tcon, "purchase_30d", via="python")


# --- compiling without the pipeline: NaN routing, the size limit -------------------------------------

def synthetic(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    X[rng.random((n, 6)) < 0.2] = np.nan
    y = (np.nan_to_num(X[:, 0]) + np.where(np.isnan(X[:, 1]), 1.0, X[:, 1]) + rng.normal(size=n) > 0.3).astype(int)
    return X.astype(np.float32).astype(np.float64), y


@pytest.fixture(scope="module")
def compiled_synthetic():
    X, y = synthetic()
    model = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(X, y)
    exported = export(model, X, "t")
    explainer, _ = build_explainer(model, "hist_gradient_boosting", exported.onnx, X)
    features = [{"name": f"x {j}'s", "description": f"Feature {j}", "kind": "count"} for j in range(X.shape[1])]
    return X, exported, explainer, features


def test_compiled_trees_reproduce_onnx_with_missing_values_and_odd_names(compiled_synthetic):
    X, exported, explainer, features = compiled_synthetic
    names = ("score_it", "_contributions_it", "explain_it")
    texts = tree_sql.compile_trees(exported.onnx, explainer.onnx, features).render(*names)
    parity = tree_sql.check(texts, names, features, exported.onnx, explainer.onnx, explainer.bias, X)
    assert parity.rows == len(X) and parity.max_abs_difference <= 1e-6 and parity.factor_rows_differing == 0
    assert all(text.startswith(f"CREATE OR REPLACE MACRO {name}(") for name, text in texts.items())


def test_a_model_over_the_leaf_limit_is_not_compiled(compiled_synthetic, monkeypatch):
    X, exported, explainer, features = compiled_synthetic
    monkeypatch.setattr(tree_sql, "MAX_SQL_LEAVES", 10)
    with pytest.raises(tree_sql.TreeSQLError, match=r"leaves in all are over the SQL macro limit of 10 leaves"):
        tree_sql.compile_trees(exported.onnx, explainer.onnx, features)


@pytest.mark.slow
def test_too_large_a_model_registers_without_macros_and_warns(tcon, monkeypatch):
    """Trained for real with the limit lowered: registered, scored by the UDF, its unversioned macro names
    raise one clear error, its versioned names do not exist; another model's rows are refused by name."""
    monkeypatch.setattr(tree_sql, "MAX_SQL_LEAVES", 10)
    churn = {"name": "churn_60d", "model_type": "churn",
             "goal": {"any_of": ["event_type = 'commerce.purchases'"], "will_occur": False, "window_days": 60},
             "training": {"min_positives": 50, "min_negatives": 50}}
    result = train(tcon, spec_from_dict(churn), now=NOW, algorithms=("hist_gradient_boosting",))
    assert any("no SQL score/explain macros (cai_score_churn_60d, cai_explain_churn_60d)" in w
               and "over the SQL macro limit" in w for w in result.warnings)
    metrics = json.loads(rows(tcon, "SELECT metrics FROM cai_models WHERE model = 'churn_60d'")[0][0])
    assert metrics["sql_macros"]["created"] is False
    features = f"FROM cai_features_churn_60d(DATE '{DATE}') AS f"
    assert rows(tcon, f"SELECT count(cai_score('churn_60d', f)) {features}")[0][0] > 100
    with pytest.raises(duckdb.Error, match=r"churn_60d v1, the latest version, has no SQL macro: .*cai_score\('churn_60d', f\)"):
        tcon.execute(f"SELECT cai_score_churn_60d(f) {features}").fetchall()
    with pytest.raises(duckdb.Error, match=r"has no SQL macro"):
        tcon.execute(f"SELECT cai_explain_churn_60d(f, 3) {features}").fetchall()
    with pytest.raises(duckdb.CatalogException, match=r"cai_score_churn_60d_v1 does not exist"):
        tcon.execute(f"SELECT cai_score_churn_60d_v1(f) {features}").fetchall()
    with pytest.raises(duckdb.BinderException, match=r"Could not find key"):
        tcon.execute(f"SELECT cai_score_purchase_30d(f) {features}").fetchall()
    with pytest.raises(cai_sql.ScoringError, match=r"churn_60d v1 has no SQL score/explain macros .*score it without --via sql"):
        cai_sql.score(tcon, "churn_60d", via="sql")
    assert not rows(tcon, "SELECT 1 FROM information_schema.tables WHERE table_name = 'cai_runs'")  # nothing written
    assert [r.problem for r in verify_models(tcon)] == [None, None]
