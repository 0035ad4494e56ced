"""Golden tests of the analytics views and macros on a small hand-made ledger.

The ledger (tests/fixtures/ledger.sql) has model m with runs 1 (v1, Jan 1), 2 (replaced by 3),
3 (v1, Jan 8), 4 (failed) and 5 (v2, Jan 15), and model other with run 6. Every expected value
below was worked out by hand from that file; the comments show the arithmetic.
"""

from __future__ import annotations

import math

import duckdb
import pytest



DIFFERENT = "different model versions (v1 then v2): scores and factors come from different models"


def rows(con, sql: str):
    return con.sql(sql).fetchall()


def test_score_distribution_has_ten_bins_per_run(ledger):
    # run 1 scores 80, 50, 10, 20 → bins 8, 5, 1, 2, a quarter each; empty bins are listed with 0
    got = rows(ledger, "SELECT bin, score_from, score_to, customers, share FROM cai_score_distribution WHERE run_id = 1 ORDER BY bin")
    assert len(got) == 10
    assert [(b, c, s) for b, _, _, c, s in got if c] == [(1, 1, 0.25), (2, 1, 0.25), (5, 1, 0.25), (8, 1, 0.25)]
    assert got[9][1:3] == (90, 100)
    # only successful runs appear
    assert rows(ledger, "SELECT DISTINCT run_id FROM cai_score_distribution ORDER BY 1") == [(1,), (3,), (5,), (6,)]


def test_bucket_trend_over_runs_and_by_cohort(ledger):
    # run 5: high b 80, c 99 → 2/5, mean 89.5; medium a 60, f 25 → 2/5, mean 42.5; low e 24
    assert rows(ledger, "SELECT bucket, customers, share, mean_score FROM cai_bucket_trend WHERE run_id = 5 ORDER BY bucket") == [
        ("high", 2, 0.4, 89.5), ("low", 1, 0.2, 24.0), ("medium", 2, 0.4, 42.5)]
    # run 1 by loyalty tier: gold a (high), c (low); silver b (medium); d has no profile
    assert rows(ledger, "SELECT cohort, bucket, customers, share FROM cai_bucket_trend_by('loyalty_tier') WHERE run_id = 1 ORDER BY 1, 2") == [
        ("gold", "high", 1, 0.5), ("gold", "low", 1, 0.5), ("silver", "medium", 1, 1.0), ("unknown", "low", 1, 1.0)]


def test_factors_by_bucket_is_the_reason_code_table(ledger):
    # run 1, low bucket (c, d): views_30d in both (d's leading), contributions -0.4 and -0.5;
    # recency only c's, leading, -0.9
    got = rows(ledger, """SELECT code, people, share, as_top_factor, high_importance, mean_contribution, rank
                          FROM cai_factors_by_bucket WHERE run_id = 1 AND bucket = 'low' ORDER BY rank""")
    assert got == [("views_30d", 2, 1.0, 1, 0, -0.45, 1), ("recency", 1, 0.5, 1, 1, -0.9, 2)]


def test_bucket_flow_between_the_last_two_runs_and_chosen_runs(ledger):
    # default: runs 3 → 5. a high→medium, b high→high, c medium→high, e low→low, f new→medium
    got = rows(ledger, "SELECT from_run, to_run, from_bucket, to_bucket, customers, share, comparison FROM cai_bucket_flow('m')")
    assert [r[:2] for r in got] == [(3, 5)] * 5
    assert [r[2:6] for r in got] == [("high", "high", 1, 0.5), ("high", "medium", 1, 0.5), ("medium", "high", 1, 1.0),
                                     ("low", "low", 1, 1.0), ("new", "medium", 1, 1.0)]
    assert {r[6] for r in got} == {DIFFERENT}
    # runs 1 → 3: d exited, e is new
    got = rows(ledger, "SELECT from_bucket, to_bucket, customers, comparison FROM cai_bucket_flow('m', from_run := 1, to_run := 3)")
    assert [r[:3] for r in got] == [("high", "high", 1), ("medium", "high", 1), ("low", "medium", 1), ("low", "exited", 1),
                                    ("new", "low", 1)]
    assert got[0][3] == "same model version (v1)"


def test_bucket_overlap_across_two_runs(ledger):
    # high at run 3: {a, b}; at run 5: {b, c} → only a, both b, only c
    assert rows(ledger, "SELECT run_a, run_b, only_a, both_runs, only_b, in_a, in_b, jaccard FROM cai_bucket_overlap('m', 'high')") == [
        (3, 5, 1, 1, 1, 2, 2, round(1 / 3, 4))]
    # high at run 1: {a}; at run 3: {a, b}
    assert rows(ledger, "SELECT only_a, both_runs, only_b FROM cai_bucket_overlap('m', 'high', run_a := 1, run_b := 3)") == [(0, 1, 1)]


def test_cohort_tracking_follows_a_bucket_cohort(ledger):
    # low at run 1: {c, d}. run 3: c medium, d not scored. run 5: c high, d not scored
    got = rows(ledger, "SELECT run_id, bucket, customers, share, cohort_size FROM cai_cohort_tracking('m', 1, 'low') WHERE customers > 0")
    assert got == [(1, "low", 2, 1.0, 2), (3, "medium", 1, 0.5, 2), (3, "not scored", 1, 0.5, 2),
                   (5, "high", 1, 0.5, 2), (5, "not scored", 1, 0.5, 2)]
    assert rows(ledger, "SELECT count(*) FROM cai_cohort_tracking('m', 3, 'high')") == [(8,)]  # runs 3 and 5 × 4 buckets


def test_expected_vs_actual_and_realized_auc(ledger):
    # run 1 outcomes: a (0.8) yes, b (0.5) no, c (0.1) no, d (0.2) yes
    got = rows(ledger, "SELECT bucket, customers, expected_rate, actual_rate, difference FROM cai_expected_vs_actual ORDER BY bucket")
    assert got == [("all", 4, 0.4, 0.5, 0.1), ("high", 1, 0.8, 1.0, 0.2), ("low", 2, 0.15, 0.5, 0.35), ("medium", 1, 0.5, 0.0, -0.5)]
    # AUC: positive/negative pairs (a,b) (a,c) (d,c) ranked right, (d,b) wrong → 3/4
    assert rows(ledger, "SELECT run_id, customers, positives, auc, expected_rate, actual_rate FROM cai_realized_auc") == [
        (1, 4, 2, 0.75, 0.4, 0.5)]


def test_realized_auc_counts_ties_as_half(ledger):
    ledger.execute("UPDATE cai_scores SET probability = 0.5 WHERE run_id = 1")  # everyone tied
    assert rows(ledger, "SELECT auc FROM cai_realized_auc") == [(0.5,)]


def psi(a: list[float], b: list[float]) -> float:
    return sum((max(y, 1e-4) - max(x, 1e-4)) * math.log(max(y, 1e-4) / max(x, 1e-4)) for x, y in zip(a, b))


def test_drift_psi_of_scores_and_features_with_flags(ledger):
    got = {r[0]: r[1:] for r in rows(ledger, "SELECT measure, bins, psi, flag FROM cai_drift('m', run_a := 1, run_b := 3)")}
    # scores: run 1 in bins 1, 2, 5, 8, run 3 in 0, 3, 7, 9 — eight bins, each a quarter on one side only
    assert got["score"] == (8, round(8 * (0.25 - 1e-4) * math.log(0.25 / 1e-4), 4), "major shift")
    assert got["views_30d"] == (4, round(psi([0, 0.5, 0.25, 0.25], [0, 0.25, 0.25, 0.5]), 4), "major shift")  # 0.5·ln 2
    assert got["recency"] == (3, round(psi([0, 0.5, 0.5], [0, 0.3, 0.7]), 4), "moderate shift")  # 0.1695
    assert got["tenure"] == (3, round(psi([0, 0.5, 0.5], [0, 0.4, 0.6]), 4), "stable")  # 0.0405
    # runs 3 and 5 used different model versions with different bins: not comparable, said so
    got = rows(ledger, "SELECT measure, psi, flag, comparison FROM cai_drift('m') WHERE measure = 'views_30d'")
    assert got == [("views_30d", None, "not comparable", DIFFERENT)]


def test_score_change_explains_a_move_between_runs(ledger):
    # c: run 3 medium 30 (recency -0.1) → run 5 high 99 (views_30d 2.0, recency 0.6)
    got = rows(ledger, """SELECT score_a, score_b, bucket_a, bucket_b, code, value_a, value_b, contribution_a,
                                 contribution_b, change, in_runs FROM cai_score_change('m', 'c')""")
    assert got == [(30, 99, "medium", "high", "views_30d", None, 30.0, None, 2.0, 2.0, "run_b only"),
                   (30, 99, "medium", "high", "recency", 20.0, 1.0, -0.1, 0.6, 0.7, "both")]


@pytest.mark.parametrize("query, message", [
    ("cai_bucket_flow('nope')", "model 'nope' has no successful scoring runs"),
    ("cai_bucket_flow('other')", "has only one successful run (6)"),
    ("cai_bucket_flow('m', from_run := 99)", "run 99 is not a run of model 'm'"),
    ("cai_bucket_flow('m', from_run := 6)", "run 6 is not a run of model 'm'"),
    ("cai_bucket_flow('m', from_run := 2)", "run 2 has no scores (status: replaced by run 3)"),
    ("cai_drift('m', run_a := 4)", "run 4 has no scores (status: failed)"),
    ("cai_bucket_overlap('m', 'high', run_a := 5)", "both runs are 5"),
    ("cai_bucket_overlap('m', 'top')", "unknown bucket 'top'"),
    ("cai_cohort_tracking('m', 2, 'low')", "run 2 is not a successful run of model 'm'"),
    ("cai_cohort_tracking('m', 1, 'best')", "unknown bucket 'best'"),
    ("cai_score_change('m', 'd')", "customer 'd' was not scored in both runs 3 and 5"),
    ("cai_segment_cohort('nope')", "there is no segment 'nope'"),
])
def test_bad_runs_and_names_raise_clear_errors_in_sql(ledger, query, message):
    with pytest.raises(duckdb.InvalidInputException, match=message.replace("(", r"\(").replace(")", r"\)")):
        ledger.sql(f"SELECT * FROM {query}").fetchall()


ANALYTICS = [
    "cai_score_distribution", "cai_bucket_trend", "cai_bucket_trend_by('loyalty_tier')", "cai_factors_by_bucket",
    "cai_bucket_flow('m')", "cai_bucket_overlap('m', 'high')", "cai_cohort_tracking('m', 1, 'low')",
    "cai_expected_vs_actual", "cai_realized_auc", "cai_drift('m')", "cai_score_change('m', 'c')", "cai_auto_segments",
    "cai_latest_scores", "cai_score_history",
]


@pytest.mark.parametrize("query", ANALYTICS)
def test_each_analytics_query_reads_the_ledger_once(ledger, query):
    plan = ledger.sql(f"EXPLAIN SELECT * FROM {query}").fetchall()[0][1]
    assert plan.count("main.cai_scores") == 1, plan
