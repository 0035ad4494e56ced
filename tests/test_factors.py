"""Reason-code factors read right: one factor per attribute naming the customer's own level, flags
that say "is" or "is not", a direction on every factor, the same in the ONNX graph and the SQL macro."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest

import cai_sql
from cai_sql.explain import LinearTerms, linear_explainer, with_top_factors
from cai_sql.export import INPUT_NAME, session
from cai_sql.factors import attribute_label, factor_layout
from cai_sql.macros import linear_explain_sql

FEATURES = [
    {"name": "n_purchases_30d", "description": "Count of purchases in last 30 days", "kind": "count"},
    {"name": "attr_newsletter", "description": "Profile newsletter", "kind": "flag", "source": "newsletter"},
    {"name": "attr_loyalty_tier_bronze", "description": "Profile loyalty_tier is bronze", "kind": "category",
     "source": "loyalty_tier", "level": "bronze"},
    {"name": "tenure_days", "description": "Days since first event", "kind": "tenure"},
    {"name": "attr_loyalty_tier_silver", "description": "Profile loyalty_tier is silver", "kind": "category",
     "source": "loyalty_tier", "level": "silver"},
    {"name": "attr_loyalty_tier_gold", "description": "Profile loyalty_tier is gold", "kind": "category",
     "source": "loyalty_tier", "level": "gold"},
]


def synthetic_rows(n=400, seed=5):
    """Feature rows with every tier (and none), flags true/false/unknown, and a missing count."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, len(FEATURES)), dtype=np.float32)
    X[:, 0] = rng.poisson(2, n)
    X[rng.random(n) < 0.1, 0] = np.nan
    X[:, 1] = rng.choice([0.0, 1.0, np.nan], n)
    X[:, 3] = rng.uniform(0, 3, n)
    tier = rng.integers(0, 4, n)  # 3 = none of the encoded levels
    for level, column in enumerate((2, 4, 5)):
        X[:, column] = (tier == level).astype(np.float32)
    return X, tier


def test_layout_groups_levels_into_one_factor_with_texts_from_the_customers_value():
    layout = factor_layout(FEATURES)
    assert [f.code for f in layout.factors] == ["n_purchases_30d", "tenure_days", "attr_newsletter", "attr_loyalty_tier"]
    tier = layout.factors[-1]
    assert tier.columns == (2, 4, 5)
    assert tier.texts == ("Loyalty tier: bronze", "Loyalty tier: silver", "Loyalty tier: gold",
                          "Loyalty tier: not bronze, silver or gold")
    assert layout.factors[2].texts == ("Newsletter is true", "Newsletter is not true", "Newsletter is unknown")
    X, tiers = synthetic_rows()
    texts = np.array(layout.texts)[layout.text_index(X)]
    for row, level in zip(texts, tiers):
        assert row[3] == tier.texts[level]
    flag = X[:, 1]
    assert (texts[np.isnan(flag), 2] == "Newsletter is unknown").all()
    assert (texts[flag == 1, 2] == "Newsletter is true").all() and (texts[flag == 0, 2] == "Newsletter is not true").all()
    assert attribute_label("age_band") == "Age band"
    assert factor_layout([FEATURES[0], FEATURES[3]]).identity


@pytest.fixture(scope="module")
def linear_model():
    rng = np.random.default_rng(2)
    n = len(FEATURES)
    terms = LinearTerms(fill=[1.0] * n, mean=rng.normal(size=n).tolist(), scale=rng.uniform(0.5, 2, n).tolist(),
                        coef=rng.normal(size=n).tolist(), intercept=-0.4)
    return terms, linear_explainer(terms)


def test_graph_ranks_grouped_factors_and_names_each_rows_own_text(linear_model):
    terms, explainer = linear_model
    layout = factor_layout(FEATURES)
    X, _ = synthetic_rows()
    k = len(layout.factors)
    probability, count, contribution, value, index = session(with_top_factors(explainer.onnx, explainer.bias, layout)).run(
        None, {INPUT_NAME: X, "k": np.array([k], dtype=np.int64)})
    (per_feature,) = session(explainer.onnx).run(None, {INPUT_NAME: X})
    grouped = layout.group(per_feature.astype(np.float64))
    np.testing.assert_allclose(explainer.bias + grouped.sum(axis=1), np.log(probability / (1 - probability)), atol=1e-5)
    expected_text = layout.text_index(X)
    expected_value = layout.values(X)
    for row in range(len(X)):
        side = 1.0 if grouped[row].sum() >= 0 else -1.0
        toward = [j for j in np.argsort(-grouped[row] * side, kind="stable") if grouped[row, j] * side > 0]
        assert count[row] == len(toward)
        for slot, factor in enumerate(toward):
            assert index[row, slot] == expected_text[row, factor]
            assert contribution[row, slot] == pytest.approx(grouped[row, factor], abs=1e-5)
            assert value[row, slot] == pytest.approx(expected_value[row, factor], nan_ok=True)


def test_linear_sql_macro_gives_the_graphs_factors_and_directions(linear_model):
    terms, explainer = linear_model
    layout = factor_layout(FEATURES)
    X, _ = synthetic_rows(n=200)
    con = duckdb.connect()
    con.execute(linear_explain_sql("explain_it", terms, FEATURES))
    columns = ", ".join(f"CAST(x[{i + 1}] AS DOUBLE) AS {f['name']}" for i, f in enumerate(FEATURES))
    rows = [[None if math.isnan(v) else float(v) for v in row] for row in X]
    sql_factors = [r[0] for r in con.execute(
        f"SELECT explain_it(f, {len(layout.factors)}) FROM (SELECT {columns} FROM (SELECT unnest($rows) AS x) AS r) AS f",
        {"rows": rows}).fetchall()]
    _, count, contribution, _, index = session(with_top_factors(explainer.onnx, explainer.bias, layout)).run(
        None, {INPUT_NAME: X, "k": np.array([len(layout.factors)], dtype=np.int64)})
    matched = 0
    for row, factors in enumerate(sql_factors):
        graph = [(layout.codes[i], layout.texts[i]) for i in index[row, :count[row]]]
        matched += [(f["code"], f["description"]) for f in factors] == graph
        for f in factors:
            assert f["direction"] == ("raises" if f["contribution"] > 0 else "lowers")
    assert matched >= 0.99 * len(X)  # float32 (ONNX) vs double (SQL) may swap near-ties


@pytest.fixture(scope="module")
def demo(demo_db, tmp_path_factory):
    con = cai_sql.connect(demo_db, read_only=True)
    yield con
    con.close()


def test_demo_factor_texts_never_contradict_the_customers_profile(demo):
    """Every attribute factor of every demo customer in every run names the customer's own level."""
    profile_columns = [c for c in demo.table("profiles").columns if c != "customer_id"]
    labels = {attribute_label(c): c for c in profile_columns}
    profiles = {row[0]: dict(zip(profile_columns, row[1:]))
                for row in demo.execute(f"SELECT customer_id, {', '.join(profile_columns)} FROM profiles").fetchall()}
    factors = demo.execute("""
        SELECT customer_id, f.description, f.contribution, f.direction
        FROM (SELECT customer_id, unnest(influential_factors) AS f FROM cai_scores)
        WHERE f.description LIKE '%: %'""").fetchall()
    assert factors, "the demo has attribute factors"
    for customer, text, contribution, direction in factors:
        label, _, level = text.partition(": ")
        attribute = labels[label]
        own = profiles[customer][attribute]
        if level.startswith("not ") or level.startswith("none of"):
            assert own is None or str(own) not in level.removeprefix("not ").replace(" or ", ", ").split(", ")
        else:
            assert str(own) == level, (customer, text, own)
        assert direction == ("raises" if contribution > 0 else "lowers")
    no_level_texts = demo.execute(
        "SELECT count(*) FROM (SELECT unnest(influential_factors) AS f FROM cai_scores) WHERE f.description LIKE 'Profile % is %'"
    ).fetchall()[0][0]
    assert no_level_texts == 0  # no per-level "is bronze" texts are left


def test_demo_factors_grouped_by_attribute_add_up_to_the_margin(demo):
    catalog = cai_sql.udfs.catalog(demo)
    for (model,) in demo.execute("SELECT DISTINCT model FROM cai_models ORDER BY 1").fetchall():
        loaded = catalog.get(model)
        date = demo.execute("SELECT max(score_date) FROM cai_runs WHERE model = $m", {"m": model}).fetchall()[0][0]
        table = demo.sql(f"SELECT feature_vector FROM cai_features_{model}(DATE '{date}')").to_arrow_table().column(0)
        X = np.asarray(table.to_pylist(), dtype=np.float32)
        grouped = loaded.factors.group(loaded.contributions(X).astype(np.float64))
        assert grouped.shape[1] < X.shape[1]  # the demo's attributes are grouped
        p = loaded.probabilities(X).astype(np.float64)  # float32 from ONNX: compare probabilities, not log-odds
        np.testing.assert_allclose(1 / (1 + np.exp(-(loaded.bias + grouped.sum(axis=1)))), p, atol=1e-5)


def test_a_ledger_from_before_directions_is_upgraded_in_place(tmp_path):
    from cai_sql.ledger import ensure_ledger

    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("""CREATE TABLE cai_scores (run_id BIGINT NOT NULL, model VARCHAR NOT NULL, model_version INTEGER NOT NULL,
        model_type VARCHAR NOT NULL, score_date DATE NOT NULL, customer_id VARCHAR NOT NULL, probability DOUBLE NOT NULL,
        score INTEGER NOT NULL, percentile INTEGER NOT NULL, bucket VARCHAR NOT NULL,
        influential_factors STRUCT(code VARCHAR, description VARCHAR, value DOUBLE, contribution DOUBLE, importance VARCHAR)[] NOT NULL)""")
    con.execute("""INSERT INTO cai_scores VALUES (1, 'm', 1, 'conversion', DATE '2026-01-01', 'c1', 0.2, 20, 20, 'low',
        [{'code': 'a', 'description': 'A', 'value': 1.0, 'contribution': -0.5, 'importance': 'medium'},
         {'code': 'b', 'description': 'B', 'value': 2.0, 'contribution': 0.25, 'importance': 'low'}])""")
    con.execute("CREATE TABLE profiles (customer_id VARCHAR)")
    ensure_ledger(con)
    ensure_ledger(con)  # a second time is a no-op
    factors = con.execute("SELECT influential_factors FROM cai_scores").fetchall()[0][0]
    assert [(f["code"], f["direction"]) for f in factors] == [("a", "lowers"), ("b", "raises")]
    assert con.execute("SELECT count(*) FROM cai_factors_by_bucket").fetchall()[0][0] == 0  # no cai_runs row: joined away
