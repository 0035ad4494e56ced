"""Segments, profile lookup, outcomes and histograms: on the hand-made ledger and on real runs."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys

import duckdb
import pyarrow.parquet as pq
import pytest

import cai_sql
from cai_sql.drift import stored_edges
from cai_sql.predicates import PredicateError
from cai_sql.profile import UnknownCustomerError

from .conftest import opened_copy, rows, run_cai
from .test_scoring import DATE, scored_db  # noqa: F401  (module fixture reused)


def members(con, segment: str):
    return rows(con, "SELECT run_id, list_sort(list(customer_id)) FROM cai_segment_members WHERE segment = $s GROUP BY 1 ORDER BY 1",
                {"s": segment})


def test_a_segment_records_its_members_at_every_run_and_has_a_live_view(ledger):
    segment = cai_sql.create_segment(ledger, "gold", "m", "loyalty_tier = 'gold'")
    assert (segment.view_name, segment.runs, segment.latest_members, segment.kind) == ("cai_seg_gold", 3, 3, "custom")
    assert members(ledger, "gold") == [(1, ["a", "c"]), (3, ["a", "c"]), (5, ["a", "c", "f"])]
    assert rows(ledger, "SELECT customer_id, bucket FROM cai_seg_gold ORDER BY 1") == [("a", "medium"), ("c", "high"), ("f", "medium")]
    assert rows(ledger, "SELECT run_id, members, scored, share FROM cai_segment_sizes WHERE segment = 'gold' ORDER BY 1") == [
        (1, 2, 4, 0.5), (3, 2, 4, 0.5), (5, 3, 5, 0.6)]
    # a cohort fixed as the segment at run 1 (a, c), followed: run 5 has a medium, c high, both still gold
    got = rows(ledger, "SELECT run_id, bucket, customers, still_in_segment FROM cai_segment_cohort('gold') WHERE customers > 0")
    assert got == [(1, "high", 1, 2), (1, "low", 1, 2), (3, "high", 1, 2), (3, "medium", 1, 2), (5, "high", 1, 2), (5, "medium", 1, 2)]


def test_segments_by_reason_code_bucket_and_top_factor(ledger):
    cai_sql.create_segment(ledger, "views_high", "m", "bucket = 'high' AND list_contains(factor_codes, 'views_30d')")
    assert members(ledger, "views_high") == [(1, ["a"]), (3, ["a", "b"]), (5, ["b", "c"])]
    cai_sql.create_segment(ledger, "low_m", "m", bucket="low")
    assert members(ledger, "low_m") == [(1, ["c", "d"]), (3, ["e"]), (5, ["e"])]
    cai_sql.create_segment(ledger, "recency_led", "m", top_factor="recency")
    assert members(ledger, "recency_led") == [(1, ["b", "c"]), (3, ["c"]), (5, ["a"])]
    listed = {r[0]: r for r in cai_sql.list_segments(ledger)}
    assert listed["low_m"][2:4] == ("bucket", "bucket = 'low'")
    assert listed["recency_led"][8] == 1


def test_auto_segments_list_buckets_and_leading_codes_of_the_latest_run(ledger):
    got = [r[3:7] + (r[8],) for r in cai_sql.auto_segments(ledger, "m")]
    # run 5: high b, c; medium a, f; low e. leading codes: views_30d (b, c, e), recency (a)
    assert got == [("bucket", "high", 2, 0.4, "m_high"), ("bucket", "medium", 2, 0.4, "m_medium"),
                   ("bucket", "low", 1, 0.2, "m_low"), ("top_factor", "views_30d", 3, 0.6, "m_top_views_30d"),
                   ("top_factor", "recency", 1, 0.2, "m_top_recency")]
    created = cai_sql.create_auto_segments(ledger, "m")
    assert [s.name for s in created] == ["m_high", "m_medium", "m_low", "m_top_views_30d", "m_top_recency"]
    assert cai_sql.create_auto_segments(ledger, "m") == []  # existing ones are kept, not duplicated


def test_export_writes_members_atomically_as_csv_or_parquet(ledger, tmp_path):
    cai_sql.create_segment(ledger, "gold", "m", "loyalty_tier = 'gold'")
    path, count = cai_sql.export_segment(ledger, "gold", tmp_path / "gold.parquet", "parquet")
    table = pq.read_table(path)
    assert count == 3 and table.column("customer_id").to_pylist() == ["c", "a", "f"]  # by score, highest first
    assert {"score", "bucket", "top_factor", "loyalty_tier"} <= set(table.column_names)
    path, count = cai_sql.export_segment(ledger, "gold", tmp_path / "gold.csv", "csv", run_id=1)
    assert count == 2 and path.read_text().splitlines()[1].startswith("m,1,2026-01-01,a,")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".gold")) == []  # no temporary left over
    with pytest.raises(cai_sql.SegmentError, match="run 6 is not a run"):
        cai_sql.export_segment(ledger, "gold", tmp_path / "x.csv", "csv", run_id=6)
    with pytest.raises(cai_sql.InputError, match="does not exist"):
        cai_sql.export_segment(ledger, "gold", tmp_path / "missing" / "x.csv", "csv")


def test_drop_removes_definition_members_and_view_together(ledger):
    cai_sql.create_segment(ledger, "gold", "m", "loyalty_tier = 'gold'")
    cai_sql.drop_segment(ledger, "gold")
    assert rows(ledger, "SELECT count(*) FROM cai_segments") == [(0,)]
    assert rows(ledger, "SELECT count(*) FROM cai_segment_members") == [(0,)]
    assert rows(ledger, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'cai_seg_gold'") == [(0,)]
    with pytest.raises(cai_sql.SegmentError, match="there is no segment 'gold'"):
        cai_sql.drop_segment(ledger, "gold")


@pytest.mark.parametrize("name, model, where, error, message", [
    ("Gold", "m", "bucket = 'high'", cai_sql.SegmentError, "segment name 'Gold' is not allowed"),
    ("x; drop table events", "m", "bucket = 'high'", cai_sql.SegmentError, "is not allowed"),
    ("gold", "nope", "bucket = 'high'", cai_sql.SegmentError, "unknown model 'nope'"),
    ("gold", "m", "tier = 'gold'", PredicateError, "unknown column 'tier'"),
    ("gold", "m", "1=1; DROP TABLE cai_scores", PredicateError, "holds 2 statements"),
    ("gold", "m", "customer_id IN (SELECT customer_id FROM cai_scores)", PredicateError, "subquery"),
    ("gold", "m", "read_csv('/etc/passwd') IS NOT NULL", PredicateError, "is not allowed"),
    ("gold", "m", "score", PredicateError, "not a boolean condition"),
    ("gold", "m", "DROP TABLE cai_scores", PredicateError, "cannot parse|statement"),
])
def test_bad_segments_are_refused_and_nothing_is_created(ledger, name, model, where, error, message):
    with pytest.raises(error, match=message):
        cai_sql.create_segment(ledger, name, model, where)
    assert rows(ledger, "SELECT count(*) FROM cai_segments") == [(0,)]
    assert rows(ledger, "SELECT count(*) FROM cai_segment_members") == [(0,)]
    assert rows(ledger, "SELECT count(*) FROM cai_scores") == [(14,)]


def test_duplicate_names_and_ambiguous_definitions_are_refused(ledger):
    cai_sql.create_segment(ledger, "gold", "m", "loyalty_tier = 'gold'")
    with pytest.raises(cai_sql.SegmentError, match="already exists"):
        cai_sql.create_segment(ledger, "gold", "m", bucket="high")
    with pytest.raises(cai_sql.SegmentError, match="exactly one of"):
        cai_sql.create_segment(ledger, "both", "m", "score > 1", bucket="high")
    with pytest.raises(cai_sql.SegmentError, match="unknown bucket"):
        cai_sql.create_segment(ledger, "top", "m", bucket="top")
    assert members(ledger, "gold") == [(1, ["a", "c"]), (3, ["a", "c"]), (5, ["a", "c", "f"])]


def test_profile_lookup_gathers_every_model(ledger):
    found = cai_sql.customer_profile(ledger, "a")
    assert found.attributes == {"loyalty_tier": "gold"}
    by_model = {s.model: s for s in found.scores}
    m = by_model["m"]
    assert (m.run_id, m.score, m.bucket, m.model_version, m.in_latest_run) == (5, 60, "medium", 2, True)
    assert [(d.isoformat(), score, bucket) for d, _, score, bucket in m.history] == [
        ("2026-01-01", 80, "high"), ("2026-01-08", 90, "high"), ("2026-01-15", 60, "medium")]
    assert [f["code"] for f in m.factors] == ["recency"]
    assert by_model["other"].bucket == "low"
    assert cai_sql.customer_profile(ledger, "d").scores[0].in_latest_run is False  # d left after run 1
    with pytest.raises(UnknownCustomerError, match="no customer 'zz'"):
        cai_sql.customer_profile(ledger, "zz")


# --- on real scoring runs ----------------------------------------------------------------------

@pytest.fixture
def scon(scored_db, tmp_path):  # noqa: F811
    with opened_copy(scored_db, tmp_path / "s.duckdb") as con:
        yield con


def test_runs_refresh_segments_record_histograms_and_outcomes(scon):
    early = DATE - dt.timedelta(days=70)  # its 30-day window closed long before the data ends
    first = cai_sql.score(scon, "purchase_30d", as_of=early, version=1)
    cai_sql.create_segment(scon, "high", "purchase_30d", bucket="high")
    second = cai_sql.score(scon, "purchase_30d", as_of=DATE, version=1)
    # the new run's members were recorded inside the run
    assert rows(scon, "SELECT run_id, count(*) FROM cai_segment_members GROUP BY 1 ORDER BY 1") == [
        (first.run_id, first.buckets["high"]), (second.run_id, second.buckets["high"])]
    # histograms: every feature's bins add up to the run's customers, on the bins stored at training
    totals = rows(scon, "SELECT DISTINCT sum(customers) OVER (PARTITION BY feature) FROM cai_run_feature_bins WHERE run_id = $r",
                  {"r": second.run_id})
    assert totals == [(second.n_scored,)]
    edges = stored_edges(scon, "purchase_30d", 1)
    bins = rows(scon, "SELECT bin, lower, upper, customers FROM cai_run_feature_bins WHERE run_id = $r AND feature = 'tenure_days' ORDER BY bin",
                {"r": second.run_id})
    assert [b[0] for b in bins] == list(range(-1, len(edges["tenure_days"]) + 1))
    lower, upper = bins[2][1], bins[2][2]
    by_sql = rows(scon, f"""SELECT count(*) FROM cai_features_purchase_30d_v1(DATE '{DATE}')
                            WHERE tenure_days >= {lower} AND tenure_days < {upper}""")
    assert by_sql == [(bins[2][3],)]
    # the early run's window has closed: its outcomes are the labels macro's, with no label → no purchase
    labels = dict(rows(scon, f"SELECT customer_id, label FROM cai_labels_purchase_30d_v1(DATE '{early}')"))
    outcomes = dict(rows(scon, "SELECT customer_id, outcome FROM cai_run_outcomes WHERE run_id = $r", {"r": first.run_id}))
    assert len(outcomes) == first.n_scored
    assert outcomes == {c: labels.get(c, False) for c in outcomes}
    assert rows(scon, "SELECT count(*) FROM cai_run_outcomes WHERE run_id = $r", {"r": second.run_id}) == [(0,)]
    auc = rows(scon, "SELECT auc FROM cai_realized_auc WHERE run_id = $r", {"r": first.run_id})[0][0]
    assert 0.6 < auc < 1.0
    assert cai_sql.evaluate_runs(scon) == []  # each run is evaluated once


def test_a_replaced_run_takes_its_members_histograms_and_outcomes_with_it(scon):
    cai_sql.score(scon, "purchase_30d", as_of=DATE - dt.timedelta(days=70), version=1)
    cai_sql.create_segment(scon, "high", "purchase_30d", bucket="high")
    again = cai_sql.score(scon, "purchase_30d", as_of=DATE - dt.timedelta(days=70), version=1)
    for table in ("cai_segment_members", "cai_run_feature_bins", "cai_run_outcomes"):
        assert rows(scon, f"SELECT DISTINCT run_id FROM {table}") == [(again.run_id,)], table


def test_analytics_open_in_a_process_that_never_imports_cai_sql(scon, tmp_path):
    for date in (DATE - dt.timedelta(days=70), DATE - dt.timedelta(days=7), DATE):
        cai_sql.score(scon, "purchase_30d", as_of=date, version=1)
    cai_sql.create_segment(scon, "gold_high", "purchase_30d", "bucket = 'high' AND loyalty_tier = 'gold'")
    scon.close()
    code = (
        "import sys, duckdb\n"
        f"con = duckdb.connect({str(tmp_path / 's.duckdb')!r}, read_only=True)\n"
        "for q in ['cai_score_distribution', 'cai_bucket_trend', \"cai_bucket_trend_by('loyalty_tier')\",\n"
        "          'cai_factors_by_bucket', \"cai_bucket_flow('purchase_30d')\", \"cai_bucket_overlap('purchase_30d', 'high')\",\n"
        "          \"cai_drift('purchase_30d')\", 'cai_expected_vs_actual', 'cai_realized_auc', 'cai_segment_sizes',\n"
        "          'cai_seg_gold_high', 'cai_auto_segments', \"cai_segment_cohort('gold_high')\"]:\n"
        "    assert con.sql('SELECT count(*) FROM ' + q).fetchall()[0][0] > 0, q\n"
        "assert 'cai_sql' not in sys.modules\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_cli_segment_profile_and_evaluate(scored_db, tmp_path):  # noqa: F811
    db = tmp_path / "c.duckdb"
    shutil.copy(scored_db, db)
    cli = lambda *args: run_cai(*args, "--db", str(db), cwd=tmp_path)  # noqa: E731
    assert cli("score", "purchase_30d", "--as-of", str(DATE), "--version", "1").returncode == 0
    out = cli("segment", "create", "gold_high", "--model", "purchase_30d", "--where", "bucket = 'high' AND loyalty_tier = 'gold'")
    assert out.returncode == 0 and "Created segment gold_high" in out.stdout
    assert "gold_high" in cli("segment", "list").stdout
    assert "live view: SELECT * FROM cai_seg_gold_high" in cli("segment", "show", "gold_high").stdout
    out = cli("segment", "export", "gold_high", "--format", "csv")
    assert out.returncode == 0 and (tmp_path / "gold_high.csv").exists()
    out = cli("segment", "create", "bad", "--model", "purchase_30d", "--where", "1=1; DROP TABLE events")
    assert out.returncode == 1 and out.stderr.startswith("Error: segment bad: --where")
    assert "high" in cli("segment", "auto", "--model", "purchase_30d").stdout
    customer = rows(duckdb.connect(str(db), read_only=True), "SELECT customer_id FROM cai_latest_scores LIMIT 1")[0][0]
    out = cli("profile", customer)
    assert out.returncode == 0 and "purchase_30d" in out.stdout and "history:" in out.stdout
    out = cli("profile", "nobody")
    assert out.returncode == 1 and "no customer 'nobody'" in out.stderr
    assert cli("evaluate").returncode == 0
    assert cli("segment", "drop", "gold_high").returncode == 0


def test_a_segment_that_no_longer_works_fails_the_run_and_says_which(scon):
    cai_sql.score(scon, "purchase_30d", as_of=DATE - dt.timedelta(days=7), version=1)
    scon.execute("ALTER TABLE profiles ADD COLUMN vip BOOLEAN DEFAULT false")
    cai_sql.create_segment(scon, "vip", "purchase_30d", "vip")
    before = rows(scon, "SELECT count(*) FROM cai_scores")
    scon.execute("ALTER TABLE profiles DROP COLUMN vip")
    with pytest.raises(cai_sql.SegmentError, match="segment 'vip' no longer works"):
        cai_sql.score(scon, "purchase_30d", as_of=DATE, version=1)
    assert rows(scon, "SELECT count(*) FROM cai_scores") == before
    assert rows(scon, "SELECT status FROM cai_runs ORDER BY run_id DESC LIMIT 1") == [("failed",)]


def test_auto_segments_with_long_codes_get_distinct_names(ledger):
    for customer, code in (("b", "n" * 60 + "_a"), ("c", "n" * 60 + "_b")):
        ledger.execute("""UPDATE cai_scores SET influential_factors = [{'code': $code, 'description': 'd', 'value': 1,
                          'contribution': 1, 'importance': 'high'}] WHERE run_id = 5 AND customer_id = $c""",
                       {"code": code, "c": customer})
    created = [s for s in cai_sql.create_auto_segments(ledger, "m") if s.kind == "top_factor"]
    names = sorted(s.name for s in created)
    assert len(names) == 4 and len(set(names)) == 4 and all(len(n) <= 48 for n in names)
    assert sorted(s.latest_members for s in created) == [1, 1, 1, 1]


def test_high_value_at_risk_is_a_one_click_segment_once_lifetime_value_is_scored(ledger):
    ledger.execute("""INSERT INTO cai_clv_runs VALUES (1, 1, DATE '2026-01-15', 'weeks', 52, 0.1, 1, 1, 1, 1, 1, 1, 1, 2, 30,
                                                      TIMESTAMP '2026-01-15 03:00:00', 0.1)""")
    ledger.execute("""INSERT INTO cai_clv VALUES (1, DATE '2026-01-15', 'a', 3, 20, 30, 10, 3, 0.9, 2, 10, 25, 10),
                                                  (1, DATE '2026-01-15', 'b', 1, 5, 30, 8, 1, 0.5, 1, 8, 5, 3)""")
    assert cai_sql.auto_segments(ledger, "other")[-1][3] is not None
    assert [r for r in cai_sql.auto_segments(ledger, "other") if r[3] == "high_value_at_risk"] == []  # a is low
    ledger.execute("UPDATE cai_scores SET bucket = 'high' WHERE run_id = 6")
    row = next(r for r in cai_sql.auto_segments(ledger, "other") if r[3] == "high_value_at_risk")
    assert (row[5], row[7], row[8]) == (1, "bucket = 'high' AND clv_decile >= 9", "other_high_value_at_risk")
    created = {s.name: s for s in cai_sql.create_auto_segments(ledger, "other")}
    assert created["other_high_value_at_risk"].latest_members == 1
    assert rows(ledger, "SELECT customer_id, clv, clv_decile FROM cai_seg_other_high_value_at_risk") == [("a", 25.0, 10)]
    # lifetime value is a segment column for any model too
    cai_sql.create_segment(ledger, "valuable", "m", "clv_decile >= 9")
    assert members(ledger, "valuable") == [(1, ["a"]), (3, ["a"]), (5, ["a"])]
