"""Customer lifetime value: BG/NBD purchases and dropout, Gamma-Gamma spend, discounted CLV.

The purchase summary (frequency of repeat purchase days, recency, age T, mean repeat spend) is a
SQL template over ``events``; the purchase predicate is a checked user predicate and the value
column a checked column name, both substituted on the syntax tree. Both models are fitted by
maximum likelihood in log space (parameters optimised as logs, likelihood terms combined with
``lgamma`` and log-sum-exp), so heavy buyers (x = 200, t_x = 38, T = 40) stay finite.

A fit is one row of ``cai_clv_fits``. A scoring run applies a fit to the summary as of a date and
writes, in one transaction, every purchaser's P(alive), expected purchases over the horizon,
expected average order value and discounted CLV with its decile to ``cai_clv``, and the run (with
the fit's parameters) to ``cai_clv_runs``. The same formulas are persisted as SQL macros
(``cai_clv_expected_purchases`` with an lgamma ₂F₁ series, ``cai_clv_p_alive``,
``cai_clv_expected_spend``) so BI tools can evaluate any horizon without Python.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import sqlglot
from sqlglot import exp
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

from .clock import AS_OF_GRACE, future_limit
from .database import opened, table_exists, transaction
from .defaults import CLV_DISCOUNT_RATE, CLV_PURCHASE, CLV_UNIT, CLV_UNITS, CLV_VALUE
from .errors import CaiError, shorten
from .ledger import ensure_ledger
from .macros import _substitute_all
from .predicates import check_boolean, parse_predicate
from .sqlfiles import sql_text
from .sqltree import DIALECT, create_temp_table_as, ident

UNITS = CLV_UNITS
DEFAULT_PURCHASE = CLV_PURCHASE
DEFAULT_VALUE = CLV_VALUE
DEFAULT_UNIT = CLV_UNIT
DEFAULT_HORIZON = {"days": 365.0, "weeks": 52.0, "months": 12.0}
DEFAULT_DISCOUNT_RATE = CLV_DISCOUNT_RATE  # per year
MIN_CUSTOMERS = 10
MIN_SPEND_CUSTOMERS = 5
MONTH_DAYS = 30.4375
YEAR_DAYS = 365.25
SUMMARY_TABLE = "_cai_clv_summary"
NEW_ROWS = "_cai_clv_new"



class ClvError(CaiError):
    """Lifetime value cannot be fitted or scored as asked."""


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float
    log_likelihood: float


@dataclass(frozen=True)
class ClvFit:
    fit_id: int
    as_of: dt.date
    time_unit: str
    purchase_predicate: str
    value_column: str
    customers: int
    repeat_customers: int
    spend_customers: int
    excluded_spend_days: int
    excluded_spend_customers: int
    bgnbd: BgNbdParams
    spend: GammaGammaParams
    seconds: float

    def summary(self) -> str:
        b, s = self.bgnbd, self.spend
        text = (f"CLV fit {self.fit_id} as of {self.as_of} ({self.time_unit}): {self.customers:,} purchasers, "
                f"{self.repeat_customers:,} with repeat purchases; BG/NBD r={b.r:.4g} alpha={b.alpha:.4g} a={b.a:.4g} "
                f"b={b.b:.4g} (log-likelihood {b.log_likelihood:,.1f}); Gamma-Gamma p={s.p:.4g} q={s.q:.4g} "
                f"gamma={s.gamma:.4g} on {self.spend_customers:,} repeat buyers (log-likelihood {s.log_likelihood:,.1f}) "
                f"in {self.seconds:.1f} s")
        if self.excluded_spend_days:
            text += (f"; {self.excluded_spend_days:,} repeat purchase days with a zero, negative or missing amount were left "
                     f"out of the spend model ({self.excluded_spend_customers:,} customers with none left)")
        return text


@dataclass(frozen=True)
class ClvRun:
    run_id: int
    fit_id: int
    score_date: dt.date
    time_unit: str
    horizon: float
    discount_rate: float
    n_scored: int
    total_clv: float
    seconds: float

    def summary(self) -> str:
        return (f"CLV run {self.run_id}: fit {self.fit_id} scored {self.n_scored:,} customers as of {self.score_date}, "
                f"horizon {self.horizon:g} {self.time_unit}, discount {self.discount_rate:.0%} a year: total CLV "
                f"{self.total_clv:,.2f} in {self.seconds:.1f} s")


# --- likelihoods and their gradients, in log-parameters -------------------------------------------

def bgnbd_log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6) in log space."""
    r, alpha, a, b = params
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.where(x > 0, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def _bgnbd_objective(theta, x, t_x, T, w, total):
    r, alpha, a, b = np.exp(theta)
    xs = np.where(x > 0, b + x - 1, 1.0)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(x > 0, np.log(a) - np.log(xs) - (r + x) * np.log(alpha + t_x), -np.inf)
    ll = a1 + a2 + np.logaddexp(a3, a4)
    w4 = np.exp(a4 - ll + a1 + a2)  # share of the likelihood from the "dropped out after t_x" branch
    w3 = 1.0 - w4
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w3 * np.log(alpha + T) - w4 * np.log(alpha + t_x)
    d_alpha = r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + t_x)
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    d_b = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x) - w4 / xs
    grad = np.array([(w * d).sum() for d in (d_r * r, d_alpha * alpha, d_a * a, d_b * b)])
    return -(w * ll).sum() / total, -grad / total


def gamma_gamma_log_likelihood(params, x, m) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of x transactions averaging m (Fader & Hardie)."""
    p, q, gamma = params
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma) + (px - 1) * np.log(m) + px * np.log(x)
            - (px + q) * np.log(gamma + m * x))


def _gamma_gamma_objective(theta, x, m, w, total):
    p, q, gamma = np.exp(theta)
    px = p * x
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma) + (px - 1) * np.log(m) + px * np.log(x)
          - (px + q) * np.log(gamma + m * x))
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - np.log(gamma + m * x))
    d_q = digamma(px + q) - digamma(q) + np.log(gamma) - np.log(gamma + m * x)
    d_gamma = q / gamma - (px + q) / (gamma + m * x)
    grad = np.array([(w * d).sum() for d in (d_p * p, d_q * q, d_gamma * gamma)])
    return -(w * ll).sum() / total, -grad / total


def _maximise(objective, start, args, what: str) -> np.ndarray:
    result = minimize(objective, start, args=args, jac=True, method="L-BFGS-B",
                      bounds=[(-25.0, 25.0)] * len(start), options={"maxiter": 2000, "gtol": 1e-10, "ftol": 1e-15})
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise ClvError(f"the {what} fit did not converge (the likelihood is not finite); check the purchase predicate "
                       "and the value column, or fit on more customers")
    if np.any(np.abs(result.x) >= 24.9):
        raise ClvError(f"the {what} fit ran off to a degenerate solution (a parameter at {np.exp(result.x).round(6).tolist()}); "
                       "the data cannot identify the model — fit on more customers or a longer history")
    return np.exp(result.x)


def fit_bgnbd(x, t_x, T, weights=None) -> BgNbdParams:
    """Maximum-likelihood BG/NBD on (x, t_x, T), optionally with a count per row (grouped summaries)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    total = w.sum()
    r, alpha, a, b = _maximise(_bgnbd_objective, np.zeros(4), (x, t_x, T, w, total), "BG/NBD")
    ll = float((w * bgnbd_log_likelihood((r, alpha, a, b), x, t_x, T)).sum())
    return BgNbdParams(float(r), float(alpha), float(a), float(b), ll)


def fit_gamma_gamma(x, m, weights=None) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma on repeat buyers' transaction counts x and mean spend m (> 0)."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    start = np.log([1.0, 1.0, max(float(np.median(m)), 1e-6)])
    p, q, gamma = _maximise(_gamma_gamma_objective, start, (x, m, w, w.sum()), "Gamma-Gamma spend")
    ll = float((w * gamma_gamma_log_likelihood((p, q, gamma), x, m)).sum())
    return GammaGammaParams(float(p), float(q), float(gamma), ll)


# --- per-customer quantities ----------------------------------------------------------------------

def p_alive(x, t_x, T, r, alpha, a, b) -> np.ndarray:
    """BG/NBD P(alive | x, t_x, T) (Fader, Hardie & Lee 2005, eq. 11)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = np.where(x > 0, np.log(a / np.where(x > 0, b + x - 1, 1.0)) + (r + x) * np.log((alpha + T) / (alpha + t_x)),
                            -np.inf)
    return 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700.0)))


def expected_purchases(t, x, t_x, T, r, alpha, a, b) -> np.ndarray:
    """BG/NBD E[purchases in (T, T + t] | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10).

    ((alpha + T) / (alpha + T + t))^(r + x) · 2F1(r + x, b + x; a + b + x − 1; z) is evaluated
    through Euler's transformation as (1 − z)^(a − 1) · 2F1(a + b − 1 − r, a − 1; a + b + x − 1; z):
    no overflow for heavy buyers, and a fast-converging series.
    """
    t, x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (t, x, t_x, T)))
    z = t / (alpha + T + t)
    with np.errstate(all="ignore"):
        scaled = (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    bad = ~np.isfinite(scaled) & (t > 0)
    if bad.any():  # e.g. a, b in the millions (a fit on data with almost no dropout): the lgamma series
        scaled = np.array(scaled, dtype=float)
        scaled[bad] = np.exp((r + x[bad]) * np.log1p(-z[bad]) + log_hyp2f1(r + x[bad], b + x[bad], a + b + x[bad] - 1.0, z[bad]))
    value = (a + b + x - 1.0) / (a - 1.0) * (1.0 - scaled)
    return np.where(t > 0, value * p_alive(x, t_x, T, r, alpha, a, b), 0.0)


def log_hyp2f1(a, b, c, z, chunk: int = 20_000) -> np.ndarray:
    """ln 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1 by the truncated lgamma series of the SQL macro
    ``cai_log_hyp2f1`` (same peak, same length: ``cai_hyp2f1_length``), scaled by the largest term;
    vectorised in chunks."""
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, z)))
    out = np.zeros(a.shape)
    for start in range(0, a.size, chunk):
        sl = slice(start, start + chunk)
        aa, bb, cc, zz = a.ravel()[sl], b.ravel()[sl], c.ravel()[sl], z.ravel()[sl]
        positive = zz > 0
        zp = np.where(positive, zz, 0.5)
        linear = cc + 1 - (aa + bb) * zp
        peak = np.maximum(0.0, (-linear + np.sqrt(np.maximum(0.0, linear * linear - 4 * (1 - zp) * (cc - aa * bb * zp))))
                          / (2 * (1 - zp)))
        n0 = np.floor(2 * peak) + 1
        rho = np.maximum(zp, zp * (aa + n0) * (bb + n0) / ((cc + n0) * (n0 + 1)))
        terms = (n0 + np.ceil((36.9 - np.log1p(-rho)) / -np.log(rho))).astype(np.int64) + 1
        n = np.arange(int(terms.max()))[None, :]

        def log_term(k):
            return (gammaln(aa[:, None] + k) - gammaln(aa)[:, None] + gammaln(bb[:, None] + k) - gammaln(bb)[:, None]
                    - gammaln(cc[:, None] + k) + gammaln(cc)[:, None] - gammaln(k + 1.0) + k * np.log(zp)[:, None])

        shift = log_term(np.floor(peak)[:, None])[:, 0]
        weights = np.where(n < terms[:, None], np.exp(log_term(n) - shift[:, None]), 0.0)
        out.ravel()[sl] = np.where(positive, shift + np.log(weights.sum(axis=1)), 0.0)
    return out


def expected_spend(x, m, p, q, gamma) -> np.ndarray:
    """Gamma-Gamma E[average order value | x, m]; the population mean p·gamma/(q − 1) when x = 0."""
    x = np.asarray(x, dtype=float)
    m = np.nan_to_num(np.asarray(m, dtype=float), nan=0.0)
    return p * (gamma + x * m) / (p * x + q - 1.0)


def discounted_clv(horizon: float, unit_days: float, discount_rate: float, x, t_x, T, aov, r, alpha, a, b) -> tuple[np.ndarray, np.ndarray]:
    """(expected purchases over the horizon, CLV): the horizon is cut into steps of about a month; the
    purchases expected in each step are valued at the expected AOV and discounted from the step's end."""
    steps = max(1, math.ceil(horizon * unit_days / MONTH_DAYS - 1e-9))
    ends = horizon * np.arange(1, steps + 1) / steps
    previous = np.zeros(len(np.asarray(x)))
    value = np.zeros_like(previous)
    for end in ends:
        cumulative = expected_purchases(end, x, t_x, T, r, alpha, a, b)
        value += (cumulative - previous) / (1.0 + discount_rate) ** (end * unit_days / YEAR_DAYS)
        previous = cumulative
    return previous, value * np.asarray(aov, dtype=float)


# --- database side ---------------------------------------------------------------------------------

def ensure_clv(con: duckdb.DuckDBPyConnection) -> None:
    """Create the CLV tables if missing and (re)install their views and macros: they are part of the
    ledger's objects (segments can select on lifetime value, the high-value-at-risk view reads scores)."""
    ensure_ledger(con)



def _check_unit(unit: str) -> float:
    if unit not in UNITS:
        raise ClvError(f"unknown time unit {shorten(unit)!r}; use one of {', '.join(UNITS)}")
    return UNITS[unit]


def _value_column(con: duckdb.DuckDBPyConnection, value: str) -> str:
    types = dict(zip(con.table("events").columns, (str(t) for t in con.table("events").types)))
    if value not in types:
        raise ClvError(f"the value column {shorten(value)!r} is not a column of events (columns: {', '.join(types)}); "
                       "pass the column holding the purchase amount with --value")
    if not any(types[value].startswith(k) for k in ("DOUBLE", "FLOAT", "DECIMAL", "INTEGER", "BIGINT", "SMALLINT",
                                                       "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "REAL")):
        raise ClvError(f"the value column {shorten(value)!r} is {types[value]}, not a number; pass a numeric column with --value")
    return value


def _stage_summary(con, as_of: dt.date, purchase: str, value: str, unit_days: float) -> str:
    """Check the predicate and value column, then keep the summary as of ``as_of`` in a temp table."""
    if not table_exists(con, "events"):
        raise ClvError("the database has no events table; load events with `cai ingest FILE` first")
    tree = parse_predicate(purchase, con.table("events").columns, "--purchase")
    check_boolean(con, tree, "events", "--purchase")
    _stage_summary_of(con, as_of, tree, exp.column(ident(_value_column(con, value))), unit_days)
    return tree.sql(DIALECT)


def _stage_summary_of(con, as_of: dt.date, purchase: exp.Expression, value: exp.Expression, unit_days: float) -> None:
    """The summary as of ``as_of`` of a checked purchase predicate tree and value expression, in a temp table."""
    summary = _substitute_all(sqlglot.parse_one(sql_text("clv_summary"), read=DIALECT), {
        "__purchase__": purchase, "__value__": value,
    })
    con.execute(create_temp_table_as(SUMMARY_TABLE, summary), {"as_of": as_of, "unit_days": unit_days})


def fit_bgnbd_before(con, cutoff: dt.date, purchase: exp.Expression, unit: str = DEFAULT_UNIT) -> BgNbdParams | None:
    """BG/NBD fitted on every customer's history of a (checked) event predicate before ``cutoff``, for
    baselines and backtests; None when the data cannot identify the model (too few repeat customers,
    no convergence)."""
    _stage_summary_of(con, cutoff, purchase, exp.cast(exp.null(), "DOUBLE"), UNITS[unit])
    counts = con.execute(sql_text("clv_summary_counts")).fetchall()[0]
    if int(counts[0] or 0) < MIN_CUSTOMERS or int(counts[1] or 0) == 0:
        return None
    grouped = con.execute(sql_text("clv_summary_grouped")).fetchnumpy()
    try:
        return fit_bgnbd(grouped["frequency"], grouped["recency"], grouped["T"], grouped["customers"])
    except ClvError:
        return None


def _number(value) -> float | None:
    """``value`` as a float (ints, numpy scalars, numeric strings), or None when it is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _as_of_date(con, as_of: dt.date | None) -> dt.date:
    """``as_of``, or the day after the last event (events dated after now + the tolerance are ignored).

    A date more than ``AS_OF_GRACE`` (a year) after that is refused, for fits and scores: the days
    after the data count as days without purchases, so a date that far past the data is a typo (2062
    for 2026, 2999).
    """
    if not table_exists(con, "events"):
        raise ClvError("the database has no events table; load events with `cai ingest FILE` first")
    last = con.execute(sql_text("clv_last_event_day"), {"now": future_limit()}).fetchall()[0][0]
    if last is None:
        raise ClvError("the events table has no events up to now; load events with `cai ingest FILE` first")
    default = last + dt.timedelta(days=1)
    latest = default + AS_OF_GRACE
    if as_of is not None and as_of > latest:
        raise ClvError(f"--as-of {as_of} is long after the data (the last event is on {last}; the days after it count "
                       f"as days without purchases); pick a date up to {latest} ({AS_OF_GRACE.days} days after the "
                       "day after the last event), or load the newer events first")
    return as_of or default


def fit_clv(db, *, as_of: dt.date | None = None, purchase: str = DEFAULT_PURCHASE, value: str = DEFAULT_VALUE,
            unit: str = DEFAULT_UNIT) -> ClvFit:
    """Fit BG/NBD and Gamma-Gamma on every purchaser's summary as of ``as_of`` (default: the day after the
    last event) and record the fit in ``cai_clv_fits``."""
    with opened(db) as con:
        started = time.perf_counter()
        unit_days = _check_unit(unit)
        as_of = _as_of_date(con, as_of)
        predicate = _stage_summary(con, as_of, purchase, value, unit_days)
        counts = con.execute(sql_text("clv_summary_counts")).fetchall()[0]
        customers, repeat_customers, spend_customers, excluded_days, excluded_customers = (int(v or 0) for v in counts)
        if customers == 0:
            raise ClvError(f"no event before {as_of} matches the purchase predicate {shorten(predicate)!r}; check --purchase "
                           "(default: event_type = 'commerce.purchases') and --as-of")
        if customers < MIN_CUSTOMERS:
            raise ClvError(f"a lifetime-value fit needs at least {MIN_CUSTOMERS} purchasers before {as_of} (got {customers}); "
                           "the models are population models — fit on more customers or a later --as-of")
        if repeat_customers == 0:
            raise ClvError(f"none of the {customers:,} purchasers before {as_of} bought again on a later day, so BG/NBD cannot "
                           "separate purchase rate from dropout; fit on a longer history (a later --as-of)")
        if spend_customers < MIN_SPEND_CUSTOMERS:
            raise ClvError(f"the spend model needs at least {MIN_SPEND_CUSTOMERS} customers with repeat purchases of positive "
                           f"value (got {spend_customers}); check --value (amounts must be positive)")
        grouped = con.execute(sql_text("clv_summary_grouped")).fetchnumpy()
        bgnbd = fit_bgnbd(grouped["frequency"], grouped["recency"], grouped["T"], grouped["customers"])
        spend_rows = con.execute(sql_text("clv_spend_rows")).fetchnumpy()
        spend = fit_gamma_gamma(spend_rows["spend_days"], spend_rows["monetary_value"], spend_rows["customers"])
        if spend.q <= 1:
            raise ClvError(f"the spend model's q = {spend.q:.3g} is not above 1, so the expected order value is unbounded; "
                           "check --value for outliers or fit on more repeat buyers")
        seconds = time.perf_counter() - started
        ensure_clv(con)
        with transaction(con):
            fit_id = con.execute(sql_text("clv_next_fit_id")).fetchall()[0][0]
            con.execute(sql_text("clv_insert_fit"), {
                "fit_id": fit_id, "created_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), "as_of": as_of,
                "time_unit": unit, "unit_days": unit_days, "purchase_predicate": predicate, "value_column": value,
                "customers": customers, "repeat_customers": repeat_customers, "spend_customers": spend_customers,
                "excluded_spend_days": excluded_days, "excluded_spend_customers": excluded_customers,
                "r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b, "bgnbd_log_likelihood": bgnbd.log_likelihood,
                "p": spend.p, "q": spend.q, "gamma": spend.gamma, "spend_log_likelihood": spend.log_likelihood,
                "seconds": seconds,
            })
        return ClvFit(fit_id, as_of, unit, predicate, value, customers, repeat_customers, spend_customers, excluded_days,
                      excluded_customers, bgnbd, spend, seconds)


def load_fit(db, fit_id: int | None = None) -> ClvFit:
    """A recorded fit (the latest by default)."""
    with opened(db) as con:
        rows = con.execute(sql_text("clv_fit"), {"fit_id": fit_id}).fetchall() if table_exists(con, "cai_clv_fits") else []
        if not rows:
            if fit_id is None:
                raise ClvError("no lifetime-value fit yet; run `cai clv fit` first")
            raise ClvError(f"there is no lifetime-value fit {fit_id} (see cai_clv_fits)")
        (fid, as_of, unit, _unit_days, predicate, value, customers, repeat_customers, spend_customers, excluded_days,
         excluded_customers, r, alpha, a, b, ll, p, q, gamma, spend_ll, seconds) = rows[0]
        return ClvFit(fid, as_of, unit, predicate, value, customers, repeat_customers, spend_customers, excluded_days,
                      excluded_customers, BgNbdParams(r, alpha, a, b, ll), GammaGammaParams(p, q, gamma, spend_ll), seconds)


def score_clv(db, *, fit_id: int | None = None, as_of: dt.date | None = None, horizon: float | None = None,
              discount_rate: float = DEFAULT_DISCOUNT_RATE) -> ClvRun:
    """Score every purchaser as of ``as_of`` (default: the fit's date) with a fit (default: the latest) into
    ``cai_clv``: P(alive), expected purchases over ``horizon`` time units of the fit (default: a year),
    expected average order value and CLV discounted at ``discount_rate`` a year, in one transaction."""
    with opened(db) as con:
        started = time.perf_counter()
        fit = load_fit(con, fit_id)
        unit_days = UNITS[fit.time_unit]
        horizon = _number(DEFAULT_HORIZON[fit.time_unit] if horizon is None else horizon)
        if horizon is None or not math.isfinite(horizon) or horizon <= 0:
            raise ClvError(f"the horizon must be a positive number of {fit.time_unit} (got {horizon!r})")
        rate = _number(discount_rate)
        if rate is None or not 0 <= rate < 10:
            raise ClvError(f"the discount rate is a yearly rate such as 0.1 for 10% and must be in [0, 10) (got {discount_rate!r})")
        discount_rate = rate
        as_of = _as_of_date(con, as_of) if as_of is not None else fit.as_of
        if as_of < fit.as_of:
            raise ClvError(f"cannot score as of {as_of}: fit {fit.fit_id} was fitted on data up to {fit.as_of}; "
                           "score as of that date or later, or fit again with an earlier --as-of")
        _stage_summary(con, as_of, fit.purchase_predicate, fit.value_column, unit_days)
        summary = con.sql(sql_text("clv_summary_rows")).to_arrow_table()
        if summary.num_rows == 0:
            raise ClvError(f"no purchaser before {as_of}: nothing to score")
        x, t_x, T = (summary.column(c).to_numpy() for c in ("frequency", "recency", "T"))
        spend_days = summary.column("spend_days").to_numpy()
        m = summary.column("monetary_value").to_numpy(zero_copy_only=False)
        b, s = fit.bgnbd, fit.spend
        alive = p_alive(x, t_x, T, b.r, b.alpha, b.a, b.b)
        aov = expected_spend(spend_days, m, s.p, s.q, s.gamma)
        purchases, clv = discounted_clv(horizon, unit_days, discount_rate, x, t_x, T, aov, b.r, b.alpha, b.a, b.b)
        new_rows = pa.table({"customer_id": summary.column("customer_id"), "frequency": summary.column("frequency"),
                             "recency": t_x, "T": T, "monetary_value": summary.column("monetary_value"),
                             "spend_days": summary.column("spend_days"), "p_alive": alive,
                             "expected_purchases": purchases, "expected_aov": aov, "clv": clv})
        if not np.all(np.isfinite(clv)):
            raise ClvError("lifetime values came out non-finite; the fit's parameters do not suit this data — fit again")
        ensure_clv(con)
        con.register(NEW_ROWS, new_rows)
        try:
            with transaction(con):
                run_id = con.execute(sql_text("clv_next_run_id")).fetchall()[0][0]
                con.execute(sql_text("clv_insert_rows"), {"run_id": run_id, "score_date": as_of})
                seconds = time.perf_counter() - started
                total = float(clv.sum())
                con.execute(sql_text("clv_insert_run"), {
                    "run_id": run_id, "fit_id": fit.fit_id, "score_date": as_of, "time_unit": fit.time_unit,
                    "horizon": float(horizon), "discount_rate": float(discount_rate), "r": b.r, "alpha": b.alpha, "a": b.a,
                    "b": b.b, "p": s.p, "q": s.q, "gamma": s.gamma, "n_scored": summary.num_rows, "total_clv": total,
                    "created_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), "seconds": seconds,
                })
        finally:
            con.unregister(NEW_ROWS)
        return ClvRun(run_id, fit.fit_id, as_of, fit.time_unit, float(horizon), float(discount_rate), summary.num_rows,
                      total, seconds)
