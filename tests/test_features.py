"""Feature, label and eligibility SQL on hand-made events: exact values and exact boundaries."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cai_sql
from cai_sql.features import ParsedPredicates, features_sql, labels_sql, plan_features
from cai_sql.ledger import CLV_MACROS
from cai_sql.spec import SpecError, check_against_database, spec_from_dict
from cai_sql.sqlfiles import sql_text

from .conftest import rows

CUTOFF = dt.date(2026, 3, 1)
EVENTS = [
    # customer, ts, event_type, value
    ("a", "2026-02-28 23:59:59", "commerce.purchases", 40.0),   # last second before the cutoff
    ("a", "2026-02-22 00:00:00", "commerce.purchases", 60.0),   # exactly 7 days before: inside 7d
    ("a", "2026-02-21 23:59:59", "web.webpagedetails.pageViews", None),  # just outside 7d
    ("a", "2025-12-01 12:00:00", "commerce.purchases", 500.0),  # inside 90d
    ("a", "2025-11-30 23:59:59", "commerce.purchases", 999.0),  # outside the 90-day lookback
    ("a", "2025-06-01 08:00:00", "web.webpagedetails.pageViews", None),  # first event: tenure
    ("a", "2026-03-01 00:00:00", "commerce.purchases", 1000.0), # at the cutoff: a label, not a feature
    ("a", "2026-03-30 23:59:59", "commerce.purchases", 1.0),    # last second of the 30-day window
    ("b", "2026-01-10 10:00:00", "web.webpagedetails.pageViews", None),  # 50 days before: not eligible
    ("c", "2026-02-20 10:00:00", "web.webpagedetails.pageViews", None),
    ("c", "2026-03-31 00:00:00", "commerce.purchases", 5.0),    # the day after the window: no label
    ("d", "2026-02-25 10:00:00", "commerce.purchases", 20.0),
]
PROFILES = [("a", "gold", 31), ("c", "silver", None), ("d", "bronze", 45)]
SPEC = {
    "name": "buy",
    "lookback_days": 90,
    "goal": {"any_of": ["event_type = 'commerce.purchases'"], "window_days": 30},
    "custom_events": [{"name": "big", "predicate": "event_type = 'commerce.purchases' AND value >= 60"}],
    "attributes": {"categorical": ["tier"], "numeric": ["age"]},
    "training": {"min_positives": 1, "min_negatives": 1},
}


def load(con, events=EVENTS, profiles=PROFILES):
    con.execute("CREATE OR REPLACE TABLE events (customer_id VARCHAR, ts TIMESTAMP, event_type VARCHAR, value DOUBLE, event_id VARCHAR)")
    if events:
        con.executemany("INSERT INTO events VALUES (?, ?, ?, ?, NULL)", [list(e) for e in events])
    con.execute("CREATE OR REPLACE TABLE profiles (customer_id VARCHAR, tier VARCHAR, age INTEGER)")
    con.executemany("INSERT INTO profiles VALUES (?, ?, ?)", [list(p) for p in profiles])


CLV_FIT = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # BG/NBD parameters for the CLV features


def install(con, spec_data=SPEC, until=CUTOFF):
    spec = spec_from_dict(spec_data)
    parsed = ParsedPredicates(**check_against_database(spec, con))
    features = plan_features(con, spec, until)
    for name in CLV_MACROS:
        con.execute(sql_text(name))
    con.execute(features_sql(spec, features, parsed, has_profiles=True, macro_name="f_buy", clv_params=CLV_FIT))
    con.execute(labels_sql(spec, parsed, macro_name="l_buy"))
    return spec, features


def features_at(con, cutoff=CUTOFF) -> dict:
    cursor = con.execute("SELECT * FROM f_buy($c) ORDER BY customer_id", {"c": cutoff})
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}


def labels_at(con, cutoff=CUTOFF) -> dict:
    return dict(rows(con, "SELECT customer_id, label FROM l_buy($c)", {"c": cutoff}))


@pytest.fixture
def fcon(con):
    load(con)
    install(con)
    return con


def test_feature_values_and_boundaries(fcon):
    a = features_at(fcon)["a"]
    assert a["n_commerce_purchases_7d"] == 2            # 23:59:59 the day before, and exactly 7 days before
    assert a["n_commerce_purchases_30d"] == 2
    assert a["n_commerce_purchases_90d"] == 3           # the 91-day-old purchase is outside the lookback
    assert a["value_commerce_purchases_30d"] == 100.0
    assert a["value_commerce_purchases_90d"] == 600.0
    assert a["days_since_commerce_purchases"] == 1
    assert a["n_web_webpagedetails_pageviews_7d"] == 0  # one second too early for the 7-day window
    assert a["n_web_webpagedetails_pageviews_30d"] == 1
    assert a["days_since_web_webpagedetails_pageviews"] == 8
    assert a["n_custom_big_7d"] == 1 and a["n_custom_big_90d"] == 2
    assert a["days_since_custom_big"] == 7
    assert a["active_days_90d"] == 4
    assert a["tenure_days"] == (CUTOFF - dt.date(2025, 6, 1)).days
    assert (a["attr_tier_gold"], a["attr_tier_silver"], a["attr_age"]) == (1.0, 0.0, 31.0)


def test_absent_event_types_and_missing_attributes(fcon):
    c = features_at(fcon)["c"]
    assert c["n_commerce_purchases_90d"] == 0
    assert c["days_since_commerce_purchases"] == 91     # none in the lookback: lookback + 1
    assert c["value_commerce_purchases_90d"] == 0.0
    assert c["attr_age"] is None                        # NULL numeric attribute stays missing (NaN to the model)
    assert (c["attr_tier_gold"], c["attr_tier_silver"], c["attr_tier_bronze"]) == (0.0, 1.0, 0.0)


def test_eligibility_requires_an_event_in_the_last_45_days(fcon):
    assert sorted(features_at(fcon)) == ["a", "c", "d"]  # b's only event is 50 days old


def test_label_window_boundaries(fcon):
    labels = labels_at(fcon)
    assert labels["a"] is True                           # purchases at the cutoff and at its last second
    assert "c" not in labels                             # the day after the window does not count
    assert "d" not in labels


def test_all_of_and_will_not_occur(con):
    load(con)
    spec = {**SPEC, "goal": {"all_of": ["event_type = 'commerce.purchases'", "value > 500"], "will_occur": False, "window_days": 30}}
    install(con, spec)
    labels = labels_at(con)
    assert labels["a"] is False                          # a bought for 1000 in the window: goal met, so "will not occur" is false
    spec = {**SPEC, "goal": {"all_of": ["event_type = 'commerce.purchases'", "value > 5000"], "will_occur": False, "window_days": 30}}
    install(con, spec)
    assert labels_at(con)["a"] is True


def test_eligibility_predicates_on_events_and_profiles(con):
    load(con)
    spec = {**SPEC, "eligibility": {"events": ["event_type = 'commerce.purchases'"], "profiles": ["tier <> 'bronze'"]}}
    install(con, spec)
    assert sorted(features_at(con)) == ["a"]             # c never bought in the lookback; d is bronze


def test_macros_run_in_a_process_that_never_imports_cai_sql(fcon, db_path):
    fcon.close()
    script = (
        "import duckdb, datetime\n"
        f"con = duckdb.connect({str(db_path)!r}, read_only=True)\n"
        "print(con.execute(\"SELECT customer_id, n_commerce_purchases_90d FROM f_buy(DATE '2026-03-01') ORDER BY 1\").fetchall())\n"
        "print(con.execute(\"SELECT customer_id, label FROM l_buy(DATE '2026-03-01')\").fetchall())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "('a', 3.0)" in out and "('a', True)" in out


# --- point-in-time correctness, as properties ----------------------------------------------------

TYPES = ["commerce.purchases", "web.webpagedetails.pageViews", "commerce.productViews"]
START = dt.datetime(2025, 10, 1)

event_strategy = st.tuples(
    st.sampled_from(["a", "b", "c"]),
    st.integers(min_value=0, max_value=240 * 24 * 60).map(lambda m: START + dt.timedelta(minutes=m)),
    st.sampled_from(TYPES),
    st.one_of(st.none(), st.floats(min_value=0, max_value=500, allow_nan=False).map(lambda v: round(v, 2))),
)


@pytest.fixture(scope="module")
def pcon(tmp_path_factory):
    con = cai_sql.connect(tmp_path_factory.mktemp("pit") / "pit.duckdb")
    load(con, EVENTS)
    install(con, until=dt.date(2026, 6, 1))  # plan features on the full type set once
    yield con
    con.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base=st.lists(event_strategy, min_size=1, max_size=25),
    changed=st.lists(event_strategy, max_size=10),
    cutoff_offset=st.integers(min_value=60, max_value=200),
)
def test_events_after_the_cutoff_never_change_features(pcon, base, changed, cutoff_offset):
    cutoff = (START + dt.timedelta(days=cutoff_offset)).date()
    before = [e for e in base if e[1] < dt.datetime.combine(cutoff, dt.time())]
    after_a = [e for e in base if e[1] >= dt.datetime.combine(cutoff, dt.time())]
    after_b = [e for e in changed if e[1] >= dt.datetime.combine(cutoff, dt.time())]
    load(pcon, before + after_a)
    first = features_at(pcon, cutoff)
    load(pcon, before + after_b)
    assert features_at(pcon, cutoff) == first


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base=st.lists(event_strategy, min_size=1, max_size=25),
    changed=st.lists(event_strategy, max_size=10),
    cutoff_offset=st.integers(min_value=60, max_value=200),
)
def test_events_outside_the_window_never_change_labels(pcon, base, changed, cutoff_offset):
    cutoff = dt.datetime.combine((START + dt.timedelta(days=cutoff_offset)).date(), dt.time())
    end = cutoff + dt.timedelta(days=30)
    inside = [e for e in base if cutoff <= e[1] < end]
    outside_a = [e for e in base if not cutoff <= e[1] < end]
    outside_b = [e for e in changed if not cutoff <= e[1] < end]
    load(pcon, inside + outside_a)
    first = labels_at(pcon, cutoff.date())
    load(pcon, inside + outside_b)
    assert labels_at(pcon, cutoff.date()) == first


def test_custom_event_named_like_an_event_type(con):
    """Sources are keyed by kind, so a custom event called like an event type keeps its own counts."""
    load(con)
    con.execute("INSERT INTO events VALUES ('a', TIMESTAMP '2026-02-27 10:00:00', 'big', NULL, NULL)")
    install(con, {**SPEC, "custom_events": [{"name": "big", "predicate": "event_type = 'commerce.purchases' AND value >= 60"}]})
    a = features_at(con)["a"]
    assert a["n_big_7d"] == 1 and a["n_custom_big_7d"] == 1 and a["n_custom_big_90d"] == 2


@pytest.fixture(scope="module")
def ocon(tmp_path_factory):
    """The macro (the one-cutoff rendering) and the one-pass training query, planned once on the same feature list."""
    con = cai_sql.connect(tmp_path_factory.mktemp("onepass") / "onepass.duckdb")
    load(con, EVENTS)
    spec, features = install(con, until=dt.date(2026, 6, 1))
    parsed = ParsedPredicates(**check_against_database(spec, con))
    yield con, features_sql(spec, features, parsed, has_profiles=True, clv_table="_cai_clv_fits")
    con.close()


def features_in_one_pass(con, query: str, cutoffs: list[dt.date]) -> dict:
    """The training path: every cutoff in one query over a cutoffs table, keyed by (customer, cutoff)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _cai_cutoffs AS SELECT unnest($c::DATE[]) AS cutoff", {"c": cutoffs})
    con.execute(sql_text("training_clv_fits"), {"cutoffs": cutoffs, **{k: [v] * len(cutoffs) for k, v in CLV_FIT.items()}})
    cursor = con.execute(f"SELECT * FROM ({query}) ORDER BY 1, 2")
    names = [d[0] for d in cursor.description]
    return {(row[0], row[1]): dict(zip(names[2:], row[2:])) for row in cursor.fetchall()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.lists(event_strategy, min_size=1, max_size=30),
    offsets=st.lists(st.integers(min_value=30, max_value=230), min_size=1, max_size=4, unique=True),
)
def test_one_pass_over_many_cutoffs_equals_the_macro_at_each(ocon, events, offsets):
    """The one-cutoff rendering (plain aggregates, the scoring macro) and the training rendering (a shared
    scan with window marks across cutoffs) give the same rows at every cutoff."""
    con, query = ocon
    load(con, events)
    cutoffs = sorted((START + dt.timedelta(days=k)).date() for k in offsets)
    together = features_in_one_pass(con, query, cutoffs)
    alone = {}
    for cutoff in cutoffs:
        for customer, values in features_at(con, cutoff).items():
            key = (customer, values.pop("cutoff"))
            alone[key] = {k: v for k, v in values.items() if k != "customer_id"}
    assert together.keys() == alone.keys()
    for key, values in alone.items():  # value sums may differ in the last bit: the order of addition
        assert together[key].keys() == values.keys()
        for name, value in values.items():
            assert together[key][name] == (value if value is None else pytest.approx(value, rel=1e-12)), (key, name)


@pytest.mark.parametrize(("lookback", "active"), [(126, 126), (127, 45), (365, 200), (365, 365)])
def test_one_cutoff_rendering_equals_the_training_rendering_across_day_masks(con, lookback, active):
    """Active days at one cutoff are bitmasks of 126 days each; a long lookback spans several of them."""
    events = [(c, dt.datetime(2025, 1, 3, 9) + dt.timedelta(days=d, hours=h), t, v)
              for k, c in enumerate("abcdef")
              for d, h, t, v in [((k * 37 + 11 * i) % 430, i % 5, TYPES[(k + i) % 3], float(i) if i % 2 else None) for i in range(40)]]
    events += [("g", dt.datetime(2026, 2, 27, 9), TYPES[0], None), ("h", dt.datetime(2025, 9, 1, 9), TYPES[1], None)]
    load(con, events)
    spec, features = install(con, {**SPEC, "lookback_days": lookback, "eligibility": {"active_days": active}})
    parsed = ParsedPredicates(**check_against_database(spec, con))
    cutoffs = [CUTOFF, dt.date(2025, 11, 30), dt.date(2025, 7, 2)]
    together = features_in_one_pass(con, features_sql(spec, features, parsed, has_profiles=True, clv_table="_cai_clv_fits"), cutoffs)
    alone = {}
    for cutoff in cutoffs:
        for customer, values in features_at(con, cutoff).items():
            key = (customer, values.pop("cutoff"))
            alone[key] = {k: v for k, v in values.items() if k != "customer_id"}
    assert len(alone) >= 6 and together.keys() == alone.keys()
    assert max(v[f"active_days_{lookback}d"] for v in alone.values()) > 8
    for key, values in alone.items():
        for name, value in values.items():
            assert together[key][name] == (value if value is None else pytest.approx(value, rel=1e-12)), (key, name)


def test_profile_columns_named_like_the_reserved_customer_columns_are_refused(con):
    """The features query puts _cai_customer_id and _cai_first_day beside the profile columns."""
    load(con)
    con.execute("ALTER TABLE profiles ADD COLUMN _cai_first_day INTEGER")
    spec = {**SPEC, "attributes": {"numeric": ["_cai_first_day"]}}
    with pytest.raises(SpecError, match="_cai_ are reserved"):
        install(con, spec)
    spec = {**SPEC, "eligibility": {"profiles": ["_cai_first_day > 0"]}}
    with pytest.raises(SpecError, match="unknown column '_cai_first_day'"):
        install(con, spec)


@pytest.mark.parametrize("lookback", [14, 30, 90])  # 1, 2, 3 windows: 6, 3, 2 event types per packed sum
def test_window_counts_of_event_types_sharing_a_packed_sum(con, lookback):
    types = [f"type.{k}" for k in range(7)]
    events = [("a", dt.datetime(2026, 2, 28, 12) - dt.timedelta(days=(3 * k + i) % (lookback + 5)), t, None)
              for k, t in enumerate(types) for i in range(k + 1)]
    events += [("b", dt.datetime(2026, 2, 27, 9), types[6], None)]  # a and b both active in the last 7 days
    load(con, events)
    install(con, {**SPEC, "lookback_days": lookback, "custom_events": [], "attributes": {},
                  "eligibility": {"active_days": 7}, "goal": {"any_of": ["event_type = 'type.0'"], "window_days": 30}})
    got = features_at(con)
    windows = [d for d in (7, 30, 90) if d <= lookback]
    for customer in ("a", "b"):
        for t in types:
            for days in windows:
                expected = sum(1 for c, ts, e, _ in events if c == customer and e == t
                               and dt.datetime.combine(CUTOFF, dt.time()) - dt.timedelta(days=days) <= ts < dt.datetime.combine(CUTOFF, dt.time()))
                assert got[customer][f"n_{t.replace('.', '_')}_{days}d"] == expected, (customer, t, days)


def test_lifetime_features_see_all_history_before_the_cutoff(fcon):
    """Customer a's purchases before 2026-03-01: 2025-11-30, 2025-12-01, 2026-02-22, 2026-02-28 (the one
    outside the 90-day lookback counts too); first event of any kind on 2025-06-01."""
    a = features_at(fcon)["a"]
    assert a["lt_purchase_days"] == 4 and a["lt_purchase_value"] == 999 + 500 + 60 + 40
    assert a["lt_purchase_age"] == (CUTOFF - dt.date(2025, 11, 30)).days and a["lt_purchase_recency"] == 1
    assert a["lt_purchase_span"] == (dt.date(2026, 2, 28) - dt.date(2025, 11, 30)).days
    assert a["lt_purchase_gap"] == pytest.approx(a["lt_purchase_span"] / 3)
    assert a["lt_purchase_mean_value"] == pytest.approx(1599 / 4)
    assert a["lt_event_days"] == 6 and a["tenure_days"] == (CUTOFF - dt.date(2025, 6, 1)).days
    assert a["lt_event_recency"] == 1 and a["lt_purchase_idle_share"] == pytest.approx(1 / a["lt_purchase_age"])
    assert 0 < a["clv_p_alive"] <= 1 and a["clv_expected_30d"] > 0
    c = features_at(fcon)["c"]  # no purchase before the cutoff: counts 0, the rest unknown
    assert c["lt_purchase_days"] == 0 and c["lt_purchase_recency"] is None and c["clv_p_alive"] is None
