"""Validity on real purchase logs: does the model beat simple baselines on every customer with history?

Data: the CDNOW purchase logs shipped inside the ``lifetimes`` wheel (a dev dependency), read by
file path: ``CDNOW_sample.txt`` (2,357 customers) and ``CDNOW_master.txt`` (23,570 customers),
both 1997-01-01 … 1998-06-30, purchases only.

Protocol, per data set and backtest date D (``cai_sql.backtest``): train as of D (only events
before D; the model chosen on an inner time split), score every customer with a purchase before D
(``active_days = "all"``), and take the AUC against purchases in [D, D + 90 days). The baselines
(recency, RFM logistic regression, BG/NBD expected purchases) are fitted on the same training rows.
Ablations refit the chosen algorithm's default settings without the lifetime features and without
the BG/NBD features. The demo's model ÷ oracle AUC is measured on a generated base.

    python bench/bench_validity.py [--master] [--demo-customers 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from importlib.metadata import distribution
from pathlib import Path

import numpy as np
import pyarrow as pa

import cai_sql
from cai_sql.backtest import backtest
from cai_sql.metrics import auc
from cai_sql.progress import Reporter
from cai_sql.spec import spec_from_dict
from cai_sql.training import ALGORITHMS, _fit, _hgb, _logistic, HGB_SETTINGS, fit_as_of

DATES = (dt.date(1998, 1, 1), dt.date(1998, 4, 1))
SPEC = {
    "name": "buy_90d", "lookback_days": 90,
    "goal": {"any_of": ["event_type = 'commerce.purchases'"], "window_days": 90},
    "eligibility": {"active_days": "all"},
    "training": {"min_positives": 50, "min_negatives": 50, "snapshots": 8, "stride_days": 30},
}


def cdnow_path(name: str) -> Path:
    dist = distribution("lifetimes")
    return Path(next(dist.locate_file(f) for f in dist.files if str(f).endswith(f"datasets/{name}")))


def load_cdnow(con, name: str) -> None:
    """Sample columns: master id, customer id, yyyymmdd, number of CDs, dollar amount (runs of spaces
    between); the master file: customer id, yyyymmdd, number of CDs, dollar amount, under a header."""
    records = [line.split() for line in cdnow_path(name).read_text(encoding="utf-8").splitlines()
               if line.strip() and line.split()[0].isdigit()]
    id_, day, value = (0, 2, 4) if len(records[0]) == 5 else (0, 1, 3)  # the master file has no master-id column
    table = pa.table({"customer_id": [r[id_] for r in records], "day": [r[day] for r in records],
                      "value": [float(r[value]) for r in records]})
    con.register("_cdnow", table)
    con.execute("""
        CREATE OR REPLACE TABLE events AS
        SELECT customer_id, strptime(day, '%Y%m%d') AS ts, 'commerce.purchases' AS event_type, value,
               CAST(NULL AS VARCHAR) AS event_id
        FROM _cdnow
    """)
    con.unregister("_cdnow")


def ablations(con, spec, date: dt.date) -> dict[str, float]:
    """The chosen algorithm refitted with default settings on feature subsets, scored on the test rows."""
    fit = fit_as_of(con, spec, now=dt.datetime(2100, 1, 1), reporter=Reporter(), algorithms=ALGORITHMS, as_of=date,
                    test_cutoff=date)
    data, algorithm = fit.data, fit.order[0]
    train, test = data.role("train"), data.role("test")
    subsets = {
        "all features": [True] * len(fit.features),
        "without lifetime": [not f.kind.startswith("lifetime_") for f in fit.features],
        "without BG/NBD": [not f.kind.startswith("clv_") for f in fit.features],
        "without both": [not (f.kind.startswith("lifetime_") or f.kind.startswith("clv_")) for f in fit.features],
    }
    out = {}
    for name, keep in subsets.items():
        keep = np.asarray(keep)
        model = _hgb(HGB_SETTINGS[0]) if algorithm == "hist_gradient_boosting" else _logistic()
        _fit(model, data.X[train][:, keep], data.y[train])
        out[name] = auc(data.y[test], model.predict_proba(data.X[test][:, keep])[:, 1])
    return out


def run_dataset(name: str, workdir: Path) -> None:
    con = cai_sql.connect(workdir / f"{name}.duckdb")
    load_cdnow(con, name)
    customers, events = con.execute("SELECT count(DISTINCT customer_id), count(*) FROM events").fetchall()[0]
    print(f"\n== {name}: {customers:,} customers, {events:,} purchases ==")
    spec = spec_from_dict(SPEC)
    started = time.perf_counter()
    result = backtest(con, spec, list(DATES), now=dt.datetime(2100, 1, 1))
    print(f"backtest at {', '.join(map(str, DATES))} in {time.perf_counter() - started:.1f} s")
    print(f"{'date':<11} {'scorer':<13} {'algorithm':<23} {'customers':>9} {'pos':>6} {'AUC':>6} {'lift@10%':>8} {'Brier':>7}")
    for date, scorer, algorithm, n, pos, a, lift, brier in result.table():
        print(f"{date!s:<11} {scorer:<13} {algorithm:<23} {n:>9,} {pos:>6,} {a:>6.3f} {lift:>8.2f} "
              f"{'' if brier is None else f'{brier:.4f}':>7}")
    for date in DATES:
        model = next(r for r in result.rows if r.at_date == date and r.scorer == "model")
        best = max((r for r in result.rows if r.at_date == date and r.scorer != "model"), key=lambda r: r.auc)
        verdict = "met" if model.auc >= best.auc else "NOT met"
        print(f"{date}: model {model.auc:.3f} vs best baseline {best.scorer} {best.auc:.3f} "
              f"({model.auc - best.auc:+.3f}): {verdict}")
        print("  ablations (default settings): " + ", ".join(f"{k} {v:.3f}" for k, v in ablations(con, spec, date).items()))
    con.close()


def run_demo(customers: int, workdir: Path) -> None:
    """The demo end to end (generate, ingest with the true intent, train both specs, score); the oracle
    predicts with each customer's true purchase intent."""
    started = time.perf_counter()
    result = cai_sql.run_demo(workdir / "demo.duckdb", customers=customers, seed=42)
    print(f"\n== demo ({customers:,} generated customers, cai demo in {time.perf_counter() - started:.1f} s) ==")
    for trained in result.models:
        r = trained.record
        oracle = f", oracle {trained.oracle_auc:.3f}, model/oracle {r.auc / trained.oracle_auc:.3f} (target >= 0.9)" \
            if trained.oracle_auc else ""
        print(f"{r.model}: {r.algorithm}, AUC {r.auc:.3f}{oracle}; baselines "
              + ", ".join(f"{k} {v:.3f}" for k, v in r.metrics["baselines"].items())
              + f"; trained in {trained.seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", action="store_true", help="Also run the 23,570-customer CDNOW master file.")
    parser.add_argument("--demo-customers", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        run_dataset("CDNOW_sample.txt", workdir)
        if args.master:
            run_dataset("CDNOW_master.txt", workdir)
        if args.demo_customers:
            run_demo(args.demo_customers, workdir)


if __name__ == "__main__":
    main()
