"""Lifetime value: the published CDNOW numbers, log-space stability, the SQL macros against scipy,
the summary template on hand-made events, runs and views, and every bad input the issue lists."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from importlib.metadata import distribution

import mpmath
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime
from scipy.special import hyp2f1

import cai_sql
from cai_sql import clv
from cai_sql.clv import ClvError
from cai_sql.ledger import ensure_ledger
from cai_sql.predicates import PredicateError

from .conftest import rows, run_cai

CALIBRATION_END = dt.date(1997, 10, 1)  # 39 weeks: purchases on 1997-01-01 … 1997-09-30


def cdnow_events() -> pd.DataFrame:
    """The CDNOW sample (2,357 customers) shipped inside the lifetimes wheel, read by file path."""
    dist = distribution("lifetimes")
    path = next(dist.locate_file(f) for f in dist.files if str(f).endswith("datasets/CDNOW_sample.txt"))
    records = [line.split() for line in open(path, encoding="utf-8") if line.strip()]
    return pd.DataFrame({
        "customer_id": [r[1] for r in records],
        "ts": [dt.datetime.strptime(r[2], "%Y%m%d") for r in records],
        "event_type": "commerce.purchases",
        "value": [float(r[4]) for r in records],
    })


def load_events(con, frame: pd.DataFrame) -> None:
    con.register("_frame", frame)
    con.execute("CREATE OR REPLACE TABLE events AS SELECT customer_id, CAST(ts AS TIMESTAMP) AS ts, event_type, "
                "CAST(value AS DOUBLE) AS value FROM _frame")
    con.unregister("_frame")


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    """A database holding the CDNOW sample as events, fitted as of the end of the 39-week calibration."""
    db = tmp_path_factory.mktemp("cdnow") / "cdnow.duckdb"
    con = cai_sql.connect(db)
    load_events(con, cdnow_events())
    fit = cai_sql.fit_clv(con, as_of=CALIBRATION_END, unit="weeks")
    run = cai_sql.score_clv(con, horizon=39, discount_rate=0.0)
    yield con, fit, run
    con.close()


def test_cdnow_bgnbd_reproduces_fader_hardie_lee(cdnow):
    _, fit, _ = cdnow
    b = fit.bgnbd
    assert fit.customers == 2357
    assert [float(f"{v:.3g}") for v in (b.r, b.alpha, b.a, b.b)] == [0.243, 4.41, 0.793, 2.43]
    assert (round(b.r, 3), round(b.alpha, 3), round(b.a, 3), round(b.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    assert round(b.log_likelihood, 1) == -9582.4


def test_cdnow_gamma_gamma_reproduces_fader_hardie(cdnow):
    _, fit, _ = cdnow
    s = fit.spend
    assert fit.spend_customers == 946 and fit.repeat_customers == 946 and fit.excluded_spend_days == 0
    assert [float(f"{v:.3g}") for v in (s.p, s.q, s.gamma)] == [6.25, 3.74, 15.4]
    assert (round(s.p, 2), round(s.q, 2), round(s.gamma, 2)) == (6.25, 3.74, 15.44)


def test_cdnow_conditional_expectation_of_the_paper(cdnow):
    """FHL 2005: a customer with x = 2, t_x = 30.43, T = 38.86 is expected to buy 1.226 times in 39 weeks."""
    con, fit, _ = cdnow
    b = fit.bgnbd
    python = float(clv.expected_purchases(39, 2, 30.43, 38.86, b.r, b.alpha, b.a, b.b))
    sql = rows(con, "SELECT cai_clv_expected_purchases(39, 2, 30.43, 38.86, $r, $alpha, $a, $b)",
               {"r": b.r, "alpha": b.alpha, "a": b.a, "b": b.b})[0][0]
    assert round(python, 3) == 1.226 and sql == pytest.approx(python, rel=1e-9)


def test_fit_and_score_are_recorded(cdnow):
    con, fit, run = cdnow
    assert rows(con, "SELECT count(*), count(DISTINCT customer_id) FROM cai_clv WHERE run_id = $r", {"r": run.run_id}) == [(2357, 2357)]
    stored = rows(con, "SELECT fit_id, r, alpha, a, b, p, q, gamma, horizon, time_unit, n_scored FROM cai_clv_runs WHERE run_id = $r",
                  {"r": run.run_id})[0]
    assert stored[0] == fit.fit_id and stored[1:8] == pytest.approx(
        (fit.bgnbd.r, fit.bgnbd.alpha, fit.bgnbd.a, fit.bgnbd.b, fit.spend.p, fit.spend.q, fit.spend.gamma))
    assert stored[8:] == (39.0, "weeks", 2357)
    assert cai_sql.load_clv_fit(con).fit_id == fit.fit_id
    deciles = rows(con, "SELECT clv_decile, customers FROM cai_clv_deciles WHERE run_id = $r ORDER BY 1", {"r": run.run_id})
    assert [d for d, _ in deciles] == list(range(1, 11)) and {n for _, n in deciles} <= {235, 236}
    # without discounting, CLV is expected purchases × expected order value
    assert rows(con, "SELECT max(abs(clv - expected_purchases * expected_aov)) FROM cai_latest_clv")[0][0] < 1e-9
    top = rows(con, "SELECT min(clv) FROM cai_latest_clv WHERE clv_decile = 10")[0][0]
    assert top >= rows(con, "SELECT max(clv) FROM cai_latest_clv WHERE clv_decile = 9")[0][0]


def test_discounting_lowers_value_and_latest_view_follows_the_newest_run(cdnow, tmp_path):
    con, _, run = cdnow
    discounted = cai_sql.score_clv(con, horizon=39, discount_rate=0.2)
    assert discounted.run_id > run.run_id and discounted.total_clv < run.total_clv
    assert rows(con, "SELECT DISTINCT run_id FROM cai_latest_clv") == [(discounted.run_id,)]
    # a one-year step discount of ~0.2 over 39 weeks stays within (1.2)^-0.75 of the undiscounted value
    assert discounted.total_clv > run.total_clv * 1.2 ** -0.75


def test_sql_macros_match_python_and_scipy_to_1e6(cdnow):
    con, fit, _ = cdnow
    b, s = fit.bgnbd, fit.spend
    params = {"r": b.r, "alpha": b.alpha, "a": b.a, "b": b.b}
    for horizon in (1, 13, 39, 104, 520):
        got = con.execute(
            "SELECT frequency, recency, T, cai_clv_expected_purchases($h, frequency, recency, T, $r, $alpha, $a, $b), "
            "cai_clv_p_alive(frequency, recency, T, $r, $alpha, $a, $b) FROM cai_latest_clv ORDER BY customer_id",
            {**params, "h": horizon}).fetchnumpy()
        expected = clv.expected_purchases(horizon, got["frequency"], got["recency"], got["T"], b.r, b.alpha, b.a, b.b)
        sql_value = got[list(got)[3]]
        assert np.max(np.abs(sql_value - expected) / np.maximum(expected, 1e-3)) < 1e-6
    alive = got[list(got)[4]]
    assert np.allclose(alive, clv.p_alive(got["frequency"], got["recency"], got["T"], b.r, b.alpha, b.a, b.b), rtol=1e-12)
    spend = rows(con, "SELECT max(abs(cai_clv_expected_spend(spend_days, monetary_value, $p, $q, $g) - expected_aov)) "
                 "FROM cai_latest_clv", {"p": s.p, "q": s.q, "g": s.gamma})[0][0]
    assert spend < 1e-9
    # the ₂F₁ series itself, against scipy
    grid = [(a, bb, c, z) for a in (0.3, 1.0, 2.5, 20.0) for bb in (0.5, 3.0, 40.0) for c in (0.7, 4.0, 45.0)
            for z in (0.0, 0.01, 0.3, 0.6, 0.9)]
    for a, bb, c, z in grid:
        sql_value = rows(con, "SELECT cai_hyp2f1($a, $b, $c, $z)", {"a": a, "b": bb, "c": c, "z": z})[0][0]
        assert sql_value == pytest.approx(hyp2f1(a, bb, c, z), rel=1e-6), (a, bb, c, z)
    a, bb, c, z = (np.array(v) for v in zip(*grid))
    assert np.allclose(np.exp(clv.log_hyp2f1(a, bb, c, z)), hyp2f1(a, bb, c, z), rtol=1e-9)


def test_hypergeometric_macro_refuses_z_outside_its_domain(con):
    clv.ensure_clv(con)
    with pytest.raises(Exception, match=r"z must be in \[0, 1\)"):
        rows(con, "SELECT cai_hyp2f1(1, 1, 2, 1.0)")
    with pytest.raises(Exception, match="z is too close to 1"):
        rows(con, "SELECT cai_hyp2f1(1, 1, 2, 0.99999999)")
    with pytest.raises(Exception, match="horizon must be >= 0"):
        rows(con, "SELECT cai_clv_expected_purchases(-1, 1, 1, 2, 0.2, 4, 0.8, 2.4)")


def test_log_space_is_stable_for_heavy_buyers(con):
    """x = 200, t_x = 38, T = 40: the likelihood, its gradient, P(alive) and E[Y] stay finite and exact."""
    params = (0.243, 4.414, 0.793, 2.426)
    ll = float(clv.bgnbd_log_likelihood(params, [200], [38], [40])[0])
    mp = mpmath.mp
    mp.dps = 50
    r, alpha, a, b = (mpmath.mpf(v) for v in params)
    x, t_x, T = 200, mpmath.mpf(38), mpmath.mpf(40)
    common = mpmath.gamma(r + x) * alpha ** r / mpmath.gamma(r) * mpmath.beta(a, b + x) / mpmath.beta(a, b)
    exact = common / (alpha + T) ** (r + x) + common * a / (b + x - 1) * (alpha + T) ** (r + x) / (alpha + t_x) ** (r + x) / (alpha + T) ** (r + x)
    assert ll == pytest.approx(float(mpmath.log(exact)), rel=1e-12)
    with pytest.raises(OverflowError):  # the likelihood written without logs cannot even be evaluated
        (4.414 + 40) ** 200.243 * math.gamma(200.243)
    x_, tx_, T_ = (np.array([200.0, 0.0, 3.0]), np.array([38.0, 0.0, 1.0]), np.array([40.0, 40.0, 20.0]))
    value, gradient = clv._bgnbd_objective(np.log(params), x_, tx_, T_, np.ones(3), 3.0)
    assert np.isfinite(value) and np.all(np.isfinite(gradient))
    alive = clv.p_alive(200, 38, 40, *params)
    expected = clv.expected_purchases(52, 200, 38, 40, *params)
    t = 52
    z = t / (alpha + T + t)
    exact_alive = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    exact_expected = ((a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                      * mpmath.hyp2f1(r + x, b + x, a + b + x - 1, z)) * exact_alive)
    assert float(alive) == pytest.approx(float(exact_alive), rel=1e-12)
    assert float(expected) == pytest.approx(float(exact_expected), rel=1e-9)
    clv.ensure_clv(con)
    sql = rows(con, "SELECT cai_clv_expected_purchases(52, 200, 38, 40, 0.243, 4.414, 0.793, 2.426), "
               "cai_clv_p_alive(200, 38, 40, 0.243, 4.414, 0.793, 2.426)")[0]
    assert sql[0] == pytest.approx(float(expected), rel=1e-9) and sql[1] == pytest.approx(float(alive), rel=1e-12)
    heavier = rows(con, "SELECT cai_clv_expected_purchases(52, 2000, 380, 400, 0.243, 4.414, 0.793, 2.426)")[0][0]
    assert math.isfinite(heavier) and heavier > 0


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 30, 200).astype(float)
    T = rng.uniform(5, 40, 200)
    t_x = np.where(x > 0, T * rng.uniform(0.1, 1, 200), 0.0)
    w = rng.integers(1, 4, 200).astype(float)
    theta = np.log([0.5, 3.0, 0.9, 2.0])
    _, grad = clv._bgnbd_objective(theta, x, t_x, T, w, w.sum())
    numeric = approx_fprime(theta, lambda th: clv._bgnbd_objective(th, x, t_x, T, w, w.sum())[0], 1e-7)
    assert np.allclose(grad, numeric, rtol=1e-4, atol=1e-6)
    m = rng.gamma(5, 10, 200)
    xs = np.maximum(x, 1)
    theta = np.log([5.0, 3.0, 12.0])
    _, grad = clv._gamma_gamma_objective(theta, xs, m, w, w.sum())
    numeric = approx_fprime(theta, lambda th: clv._gamma_gamma_objective(th, xs, m, w, w.sum())[0], 1e-7)
    assert np.allclose(grad, numeric, rtol=1e-4, atol=1e-6)


def _events(*items) -> pd.DataFrame:
    return pd.DataFrame(items, columns=["customer_id", "ts", "event_type", "value"]).astype({"value": "float64"})


def test_summary_template_on_hand_made_events(con):
    load_events(con, _events(
        ("a", "2026-01-01 09:00", "commerce.purchases", 10.0),
        ("a", "2026-01-01 18:00", "commerce.purchases", 5.0),   # same day: one purchase day of 15
        ("a", "2026-01-08 10:00", "commerce.purchases", 20.0),
        ("a", "2026-01-15 10:00", "commerce.purchases", -4.0),  # a refund-like day: a purchase, not spend
        ("a", "2026-01-20 10:00", "web.webpagedetails.pageViews", None),
        ("a", "2026-02-01 10:00", "commerce.purchases", 99.0),  # on/after as_of: not seen
        ("b", "2026-01-10 10:00", "commerce.purchases", 7.0),
        ("c", "2026-01-03 10:00", "web.webpagedetails.pageViews", None),
    ))
    clv._stage_summary(con, dt.date(2026, 1, 29), clv.DEFAULT_PURCHASE, "value", 7.0)
    got = rows(con, "SELECT customer_id, frequency, recency, T, monetary_value, spend_days, excluded_days, first_purchase, "
               "last_purchase FROM _cai_clv_summary ORDER BY customer_id")
    assert got == [
        ("a", 2, 2.0, 27 / 7, 20.0, 1, 1, dt.date(2026, 1, 1), dt.date(2026, 1, 15)),
        ("b", 0, 0.0, 18 / 7, None, 0, 0, dt.date(2026, 1, 10), dt.date(2026, 1, 10)),
    ]


def _population(n: int = 300, seed: int = 5) -> pd.DataFrame:
    """Customers simulated from BG/NBD itself (purchase rates ~ Gamma, dropout after a purchase ~ Beta), with
    Gamma-Gamma spend, buying from January to May 2026: data the models can identify."""
    rng = np.random.default_rng(seed)
    items = []
    for i in range(n):
        rate, dropout, scale = rng.gamma(0.8, 1 / 8.0), rng.beta(1.0, 4.0), 1 / rng.gamma(4.0, 1 / 40.0)
        day = float(rng.integers(0, 60))
        while day < 150:
            items.append((f"c{i:03d}", dt.datetime(2026, 1, 1) + dt.timedelta(days=day), "commerce.purchases",
                          float(rng.gamma(4.0, scale))))
            if rng.random() < dropout:
                break
            day += 1 + rng.exponential(1 / rate)
    return _events(*items)


def test_zero_and_negative_amounts_are_left_out_of_the_spend_model_and_reported(con):
    frame = _population()
    frame.loc[frame.index[::7], "value"] = 0.0
    frame.loc[frame.index[1::11], "value"] = -12.5
    frame.loc[frame.index[2::13], "value"] = None
    load_events(con, frame)
    fit = cai_sql.fit_clv(con, as_of=dt.date(2026, 6, 1), unit="days")
    summary = rows(con, "SELECT sum(excluded_days), count(*) FILTER (WHERE frequency > 0 AND spend_days = 0) FROM _cai_clv_summary")[0]
    assert fit.excluded_spend_days == summary[0] > 0 and fit.excluded_spend_customers == summary[1]
    assert "left out of the spend model" in fit.summary()
    run = cai_sql.score_clv(con, horizon=90)
    assert rows(con, "SELECT count(*) FROM cai_clv WHERE run_id = $r AND (expected_aov <= 0 OR NOT isfinite(clv))",
                {"r": run.run_id}) == [(0,)]
    assert rows(con, "SELECT excluded_spend_days FROM cai_clv_fits")[0][0] == fit.excluded_spend_days


def test_customers_without_repeat_purchases_get_the_population_order_value(con):
    load_events(con, _population())
    fit = cai_sql.fit_clv(con, as_of=dt.date(2026, 6, 1), unit="days")
    run = cai_sql.score_clv(con, horizon=30)
    one_timers = rows(con, "SELECT DISTINCT round(expected_aov, 9), min(p_alive) FROM cai_clv WHERE run_id = $r AND frequency = 0 "
                      "GROUP BY ALL", {"r": run.run_id})
    assert len(one_timers) == 1
    assert one_timers[0][0] == pytest.approx(fit.spend.p * fit.spend.gamma / (fit.spend.q - 1), rel=1e-8)
    assert one_timers[0][1] == 1.0  # BG/NBD: a customer who never came back cannot have dropped out after a repeat


@pytest.mark.parametrize("case, match", [
    ("no_purchases", "no event before 2026-06-01 matches the purchase predicate"),
    ("single_customer", "needs at least 10 purchasers"),
    ("no_repeat", "bought again on a later day"),
    ("no_positive_spend", "spend model needs at least 5 customers"),
])
def test_data_that_cannot_be_fitted_is_refused_with_a_clear_error(con, case, match):
    frame = _population()
    if case == "no_purchases":
        frame["event_type"] = "web.webpagedetails.pageViews"
    elif case == "single_customer":
        frame = frame[frame.customer_id == frame.customer_id.iloc[0]]
    elif case == "no_repeat":
        frame = frame.drop_duplicates("customer_id")
    else:
        frame["value"] = 0.0
    load_events(con, frame)
    with pytest.raises(ClvError, match=match):
        cai_sql.fit_clv(con, as_of=dt.date(2026, 6, 1))
    assert not rows(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cai_clv_fits'")[0][0]


def test_bad_options_are_refused(con):
    load_events(con, _population())
    with pytest.raises(ClvError, match="unknown time unit 'fortnights'"):
        cai_sql.fit_clv(con, unit="fortnights")
    with pytest.raises(ClvError, match="value column 'amount' is not a column of events"):
        cai_sql.fit_clv(con, value="amount")
    with pytest.raises(ClvError, match="'event_type' is VARCHAR, not a number"):
        cai_sql.fit_clv(con, value="event_type")
    with pytest.raises(PredicateError, match="unknown column 'kind'"):
        cai_sql.fit_clv(con, purchase="kind = 'order'")
    with pytest.raises(PredicateError, match="not allowed"):
        cai_sql.fit_clv(con, purchase="event_type IN (SELECT 1) OR read_csv('x') IS NULL")
    with pytest.raises(PredicateError, match="not a boolean"):
        cai_sql.fit_clv(con, purchase="value + 1")
    with pytest.raises(ClvError, match="no lifetime-value fit yet"):
        cai_sql.score_clv(con)
    cai_sql.fit_clv(con, as_of=dt.date(2026, 6, 1), unit="days", purchase="event_type = 'commerce.purchases' AND value > 1")
    for horizon in (0, -5, float("nan"), "a year"):
        with pytest.raises(ClvError, match="horizon must be a positive number of days"):
            cai_sql.score_clv(con, horizon=horizon)
    for rate in (-0.1, None, 12):
        with pytest.raises(ClvError, match="discount rate"):
            cai_sql.score_clv(con, discount_rate=rate)
    assert cai_sql.score_clv(con, horizon=np.int64(30), discount_rate=np.float32(0.05)).horizon == 30.0
    with pytest.raises(ClvError, match="cannot score as of 2026-05-01"):
        cai_sql.score_clv(con, as_of=dt.date(2026, 5, 1))
    with pytest.raises(ClvError, match="no lifetime-value fit 99"):
        cai_sql.score_clv(con, fit_id=99)
    assert rows(con, "SELECT count(DISTINCT run_id) FROM cai_clv") == [(1,)]



def test_future_events_are_ignored_and_dates_long_after_the_data_refused(tmp_path):
    """Rows dated in 2999 (loaded before ingest refused them) do not move the default date; a 2999 --as-of is a typo."""
    db = tmp_path / "shop.duckdb"
    con = cai_sql.connect(db)
    load_events(con, _population())
    (last,) = rows(con, "SELECT CAST(max(ts) AS DATE) FROM events")[0]
    con.execute("INSERT INTO events VALUES ('c001', TIMESTAMP '2999-01-01 00:00:00', 'commerce.purchases', 10.0)")
    assert cai_sql.fit_clv(con, unit="days").as_of == last + dt.timedelta(days=1)
    latest = last + dt.timedelta(days=366)
    with pytest.raises(ClvError, match=rf"--as-of {latest + dt.timedelta(days=1)} is long after the data \(the last "
                                       rf"event is on {last};.*pick a date up to {latest} \(365 days after"):
        cai_sql.fit_clv(con, as_of=latest + dt.timedelta(days=1))
    with pytest.raises(ClvError, match=r"--as-of 2999-01-01 is long after the data"):
        cai_sql.score_clv(con, as_of=dt.date(2999, 1, 1))
    con.close()
    typo = run_cai("clv", "fit", "--as-of", "2999-01-01", "--db", str(db), cwd=tmp_path)
    assert typo.returncode == 1 and typo.stderr.strip().splitlines() == [
        f"Error: --as-of 2999-01-01 is long after the data (the last event is on {last}; the days after it count as days "
        f"without purchases); pick a date up to {latest} (365 days after the day after the last event), or load the "
        "newer events first"]
    con = cai_sql.connect(db)
    assert rows(con, "SELECT count(*) FROM cai_clv_fits") == [(1,)]
    con.close()


def test_a_failed_run_writes_nothing(con, monkeypatch):
    load_events(con, _population())
    cai_sql.fit_clv(con, as_of=dt.date(2026, 6, 1), unit="days")
    original = clv.sql_text

    def broken(name):
        if name == "clv_insert_run":
            return "INSERT INTO cai_clv_runs SELECT * FROM no_such_table"
        return original(name)

    monkeypatch.setattr(clv, "sql_text", broken)
    with pytest.raises(Exception, match="no_such_table"):
        cai_sql.score_clv(con, horizon=30)
    monkeypatch.undo()
    assert rows(con, "SELECT count(*) FROM cai_clv") == [(0,)]
    assert rows(con, "SELECT count(*) FROM cai_clv_runs") == [(0,)]


def test_high_value_at_risk_needs_a_churn_model_in_the_high_bucket(con):
    load_events(con, _population())
    cai_sql.fit_clv(con, as_of=dt.date(2026, 6, 1), unit="days")
    cai_sql.score_clv(con, horizon=90)
    assert rows(con, "SELECT count(*) FROM cai_clv_high_value_at_risk") == [(0,)]
    ensure_ledger(con)
    top = [c for (c,) in rows(con, "SELECT customer_id FROM cai_latest_clv WHERE clv_decile >= 9 ORDER BY customer_id")]
    low = rows(con, "SELECT customer_id FROM cai_latest_clv WHERE clv_decile = 1 LIMIT 1")[0][0]
    con.execute("INSERT INTO cai_runs (run_id, model, model_version, model_type, score_date, status, factors, model_sha256, "
                "started_at) VALUES (1, 'churn_60d', 1, 'churn', DATE '2026-06-01', 'succeeded', 5, 'x', now())")
    for i, customer in enumerate([*top, low]):
        bucket = "high" if i % 2 == 0 or customer == low else "low"
        con.execute("INSERT INTO cai_scores VALUES (1, 'churn_60d', 1, 'churn', DATE '2026-06-01', $c, 0.9, 90, 90, $b, [])",
                    {"c": customer, "b": bucket})
    at_risk = [c for (c,) in rows(con, "SELECT customer_id FROM cai_clv_high_value_at_risk ORDER BY customer_id")]
    assert at_risk == [c for i, c in enumerate(top) if i % 2 == 0]
    assert rows(con, "SELECT DISTINCT churn_model FROM cai_clv_high_value_at_risk") == [("churn_60d",)]


def test_expected_table_macro_answers_any_horizon(cdnow):
    con, _, _ = cdnow
    a = dict(rows(con, "SELECT customer_id, expected_purchases FROM cai_clv_expected(39)"))
    latest = dict(rows(con, "SELECT customer_id, expected_purchases FROM cai_latest_clv"))
    assert latest.keys() == a.keys()
    # the newest run discounts, but expected purchases over the same horizon are the same numbers
    assert max(abs(a[k] - latest[k]) / max(latest[k], 1e-3) for k in a) < 1e-6
    longer = rows(con, "SELECT sum(expected_purchases) FROM cai_clv_expected(78)")[0][0]
    assert longer > sum(a.values())


def test_cli_fit_score_and_profile(tmp_path):
    db = tmp_path / "shop.duckdb"
    con = cai_sql.connect(db)
    load_events(con, _population())
    con.close()
    fitted = run_cai("clv", "fit", "--unit", "days", "--as-of", "2026-06-01", "--db", str(db), cwd=tmp_path)
    assert fitted.returncode == 0, fitted.stderr
    assert "CLV fit 1 as of 2026-06-01 (days): 300 purchasers" in fitted.stdout
    scored = run_cai("clv", "score", "--horizon", "90", "--db", str(db), cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    assert "CLV run 1: fit 1 scored 300 customers as of 2026-06-01, horizon 90 days" in scored.stdout
    bad = run_cai("clv", "score", "--horizon", "0", "--db", str(db), cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.strip().splitlines() == [
        "Error: the horizon must be a positive number of days (got 0.0)"]
    profile = run_cai("profile", "c001", "--db", str(db), cwd=tmp_path)
    assert profile.returncode == 0, profile.stderr
    assert "lifetime value:" in profile.stdout and "p_alive" in profile.stdout
    # for scripts: the fit and the run as JSON or one CSV row, every value in full
    refit = run_cai("clv", "fit", "--unit", "days", "--as-of", "2026-06-01", "--format", "json", "--db", str(db), cwd=tmp_path)
    assert refit.returncode == 0, refit.stderr
    fit = json.loads(refit.stdout)
    assert (fit["fit_id"], fit["as_of"], fit["customers"]) == (2, "2026-06-01", 300) and fit["bgnbd"]["r"] > 0
    rescored = run_cai("clv", "score", "--horizon", "90", "--format", "csv", "--db", str(db), cwd=tmp_path)
    assert rescored.returncode == 0, rescored.stderr
    (run,) = csv.DictReader(io.StringIO(rescored.stdout))
    assert (run["run_id"], run["fit_id"], run["n_scored"], run["horizon"]) == ("2", "2", "300", "90.0")


def test_sql_files_of_the_clv_and_ledger_objects_exist():
    from cai_sql import ledger
    from cai_sql.sqlfiles import template_names

    names = set(template_names())
    objects = set(ledger.TABLES + ledger.VIEWS_AND_MACROS)
    assert {"cai_clv", "cai_latest_clv", "cai_hyp2f1", "cai_clv_high_value_at_risk"} <= objects
    assert objects | {"clv_summary"} <= names
