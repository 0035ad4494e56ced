"""Benchmark: point-in-time features in SQL versus a straightforward pandas version.

Data: N customers and M events over 400 days (synthetic, built in DuckDB once), profiles with two
categorical attributes. Steps, each in a fresh process so peak RSS is its own, repeated, medians:

* sql_1_cutoff   — the purchase spec's features for every eligible customer at one cutoff, through
  the model's features macro (the one-cutoff rendering ``cai_features_<model>`` reads)
* sql_8_cutoffs  — the training query's features at 8 cutoffs 14 days apart (the default stride)
* sql_8_monthly  — the same at 8 cutoffs 30 days apart
* pandas_1_cutoff — the same features at one cutoff with pandas group-bys (data already in memory;
  loading it is reported separately)

The pandas result is compared with the SQL result value by value before any figure is printed.

    .venv/bin/python bench/bench_features.py --customers 1000000 --events 20000000 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CUTOFF = dt.date(2026, 7, 1)
DAYS = 400  # 2025-06-01 … 2026-07-05: every cutoff, even 7 months back, has its full lookback
SPEC = {
    "name": "bench_purchase",
    "lookback_days": 90,
    "goal": {"any_of": ["event_type = 'commerce.purchases'"], "window_days": 30},
    "attributes": {"categorical": ["loyalty_tier", "region"]},
    # BG/NBD features call the persisted CLV macros, which this read-only bench database does not hold;
    # their cost is a per-row formula on the lifetime aggregates timed here
    "training": {"clv_features": False},
}
EVENT_TYPES = ["web.webpagedetails.pageViews", "commerce.productViews", "commerce.productListAdds",
               "web.webinteraction.linkClicks", "application.launches", "commerce.checkouts",
               "commerce.purchases", "commerce.productListRemovals"]
WEIGHTS = [0.50, 0.20, 0.08, 0.07, 0.05, 0.04, 0.04, 0.02]


def build(db: Path, customers: int, events: int) -> None:
    import cai_sql

    con = cai_sql.connect(db)
    cumulative, total = [], 0.0
    for w in WEIGHTS:
        total += w
        cumulative.append(round(total, 6))
    con.execute("""
        CREATE TABLE events AS
        WITH raw AS (
            SELECT i,
                   (hash(i) % $customers)::BIGINT AS c,
                   (hash(i * 31 + 7) % 10000) / 10000.0 AS u,
                   (hash(i * 17 + 3) % ($days * 86400))::BIGINT AS s
            FROM range($events) t(i)
        )
        SELECT printf('c%07d', c) AS customer_id,
               TIMESTAMP '2025-06-01' + to_seconds(s) AS ts,
               list_element($types::VARCHAR[], list_position(list_transform($cumulative::DOUBLE[], lambda x: u < x), true)) AS event_type,
               CASE WHEN u >= $purchase_from AND u < $purchase_to THEN round(20 + (hash(i) % 20000) / 100.0, 2) END AS value,
               NULL::VARCHAR AS event_id
        FROM raw
    """, {"customers": customers, "events": events, "types": EVENT_TYPES, "cumulative": cumulative,
          "purchase_from": cumulative[5], "purchase_to": cumulative[6], "days": DAYS})
    con.execute("""
        CREATE TABLE profiles AS
        SELECT printf('c%07d', i) AS customer_id,
               ['bronze', 'silver', 'gold'][1 + (hash(i) % 3)::INTEGER] AS loyalty_tier,
               ['north_america', 'europe', 'asia_pacific', 'latin_america'][1 + (hash(i + 1) % 4)::INTEGER] AS region
        FROM range($customers) t(i)
    """, {"customers": customers})
    con.close()


def _plan(con):
    from cai_sql.features import ParsedPredicates, plan_features
    from cai_sql.spec import check_against_database, spec_from_dict

    spec = spec_from_dict(SPEC)
    parsed = ParsedPredicates(**check_against_database(spec, con))
    return spec, parsed, plan_features(con, spec, CUTOFF)


def _temporary(create_macro: str) -> str:
    """The rendered CREATE MACRO as a TEMP macro: the bench database is opened read-only."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(create_macro, read="duckdb")
    properties = tree.args.get("properties") or exp.Properties(expressions=[])
    properties.append("expressions", exp.TemporaryProperty())
    tree.set("properties", properties)
    return tree.sql("duckdb")


def sql_features(db: Path, cutoffs: int, out: Path | None, stride: int = 14) -> dict:
    import cai_sql
    from cai_sql.features import features_sql
    from cai_sql.sqlfiles import sql_text

    con = cai_sql.connect(db, read_only=True)
    spec, parsed, features = _plan(con)
    dates = [CUTOFF - dt.timedelta(days=stride * k) for k in range(cutoffs)]
    if cutoffs == 1:  # the scoring path: the model's one-cutoff features macro
        con.execute(_temporary(features_sql(spec, features, parsed, has_profiles=True, macro_name="bench_features")))
        started = time.perf_counter()
        con.execute("CREATE TEMP TABLE result AS SELECT * FROM bench_features($cutoff)", {"cutoff": CUTOFF})
    else:  # the training path: every cutoff in one pass
        started = time.perf_counter()
        con.execute(sql_text("training_cutoffs"), {"cutoffs": dates, "roles": ["train"] * len(dates)})
        con.execute("CREATE TEMP TABLE result AS " + features_sql(spec, features, parsed, has_profiles=True))
    seconds = time.perf_counter() - started
    rows = con.execute("SELECT count(*) FROM result").fetchall()[0][0]
    if out is not None:
        con.sql("SELECT * FROM result ORDER BY customer_id").write_parquet(str(out))
    return {"seconds": seconds, "rows": rows}


def pandas_features(db: Path, out: Path) -> dict:
    import numpy as np
    import pandas as pd

    import cai_sql

    con = cai_sql.connect(db, read_only=True)
    spec, _, features = _plan(con)
    load_started = time.perf_counter()
    events = con.sql("SELECT customer_id, ts, event_type, value FROM events").df()
    profiles = con.sql("SELECT * FROM profiles").df()
    load_seconds = time.perf_counter() - load_started

    started = time.perf_counter()
    cutoff = pd.Timestamp(CUTOFF)
    lookback = spec.lookback_days
    window = events[(events.ts < cutoff) & (events.ts >= cutoff - pd.Timedelta(days=lookback))]
    last_seen = window.groupby("customer_id").ts.max()
    eligible = last_seen[last_seen >= cutoff - pd.Timedelta(days=spec.active_days)].index
    result = pd.DataFrame(index=eligible)
    window = window[window.customer_id.isin(eligible)]
    before = events[(events.ts < cutoff) & events.customer_id.isin(eligible)]
    lifetime_days = before.assign(day=before.ts.dt.normalize())
    for f in features:
        if f.kind == "count":
            rows = window[window.event_type == f.source]
            if f.days < lookback:
                rows = rows[rows.ts >= cutoff - pd.Timedelta(days=f.days)]
            result[f.name] = rows.groupby("customer_id").size().reindex(eligible, fill_value=0).astype(float)
        elif f.kind == "recency":
            last = window[window.event_type == f.source].groupby("customer_id").ts.max()
            days = (cutoff.normalize() - last.dt.normalize()).dt.days
            result[f.name] = days.reindex(eligible).fillna(lookback + 1).astype(float)
        elif f.kind == "value_sum":
            rows = window[window.event_type == f.source]
            if f.days < lookback:
                rows = rows[rows.ts >= cutoff - pd.Timedelta(days=f.days)]
            result[f.name] = rows.groupby("customer_id").value.sum().reindex(eligible, fill_value=0.0)
        elif f.kind == "active_days":
            result[f.name] = window.assign(day=window.ts.dt.normalize()).groupby("customer_id").day.nunique().reindex(eligible).astype(float)
        elif f.kind == "tenure":
            first = events.groupby("customer_id").ts.min().reindex(eligible)
            result[f.name] = (cutoff.normalize() - first.dt.normalize()).dt.days.astype(float)
        elif f.kind == "category":
            column = profiles.set_index("customer_id")[f.source].reindex(eligible)
            result[f.name] = (column == f.level).astype(float)
        elif f.kind.startswith("lifetime_"):
            result[f.name] = _lifetime(lifetime_days, f, cutoff).reindex(eligible)
            if f.kind in ("lifetime_days", "lifetime_value"):
                result[f.name] = result[f.name].fillna(0.0)
    seconds = time.perf_counter() - started
    result = result.reset_index(names="customer_id").sort_values("customer_id")
    sql = pd.read_parquet(out)
    names = [f.name for f in features]
    agree = (len(sql) == len(result)
             and (sql.customer_id.values == result.customer_id.values).all()
             and np.allclose(sql[names].to_numpy(dtype=float), result[names].to_numpy(dtype=float), equal_nan=True))
    return {"seconds": seconds, "load_seconds": load_seconds, "rows": len(result), "agree": bool(agree)}


def _lifetime(days, feature, cutoff):
    """A lifetime feature per customer from all events before the cutoff (source: all events or the goal's purchases)."""
    import numpy as np

    rows = days if feature.source == "any" else days[days.event_type == "commerce.purchases"]
    grouped = rows.groupby("customer_id")
    count = grouped.day.nunique().astype(float)
    first, last = grouped.day.min(), grouped.day.max()
    total = rows.groupby(["customer_id", "day"]).value.sum(min_count=1).groupby("customer_id").sum(min_count=1)
    age = (cutoff.normalize() - first).dt.days.astype(float)
    span = (last - first).dt.days.astype(float)
    recency = (cutoff.normalize() - last).dt.days.astype(float)
    measure = feature.kind.removeprefix("lifetime_")
    return {
        "days": count, "span": span, "age": age, "recency": recency, "value": total,
        "mean_value": total / count, "gap": span / (count - 1).replace(0, np.nan),
        "idle_share": recency / age, "rate": count * 30 / age,
    }[measure]


def run_step(step: str, args, db: Path, out: Path) -> dict:
    if step == "sql_1_cutoff":
        result = sql_features(db, 1, out)
    elif step == "sql_8_cutoffs":
        result = sql_features(db, 8, None)
    elif step == "sql_8_monthly":
        result = sql_features(db, 8, None, stride=30)
    else:
        result = pandas_features(db, out)
    result["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker")
    parser.add_argument("--db", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_step(args.worker, args, args.db, args.out)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db, out = Path(tmp) / "bench.duckdb", Path(tmp) / "sql_features.parquet"
        started = time.perf_counter()
        build(db, args.customers, args.events)
        print(f"built {args.events:,} events for {args.customers:,} customers in {time.perf_counter() - started:.0f} s")
        figures = {}
        for step in ("sql_1_cutoff", "sql_8_cutoffs", "sql_8_monthly", "pandas_1_cutoff"):
            runs = []
            for _ in range(args.repeat):
                output = subprocess.run(
                    [sys.executable, __file__, "--worker", step, "--db", str(db), "--out", str(out)],
                    check=True, capture_output=True, text=True,
                ).stdout
                runs.append(json.loads(output.strip().splitlines()[-1]))
            figures[step] = {**runs[-1], "seconds": statistics.median(r["seconds"] for r in runs),
                             "peak_rss_gb": max(r["peak_rss_gb"] for r in runs)}
    pandas = figures["pandas_1_cutoff"]
    if not pandas["agree"]:
        raise SystemExit("pandas and SQL features disagree; figures not printed")
    print(f"runs per step: {args.repeat} (medians); pandas and SQL features agree value by value")
    print(f"{'step':<18}{'rows':>12}{'seconds':>10}{'peak RSS':>11}")
    for step, f in figures.items():
        print(f"{step:<18}{f['rows']:>12,}{f['seconds']:>10.2f}{f['peak_rss_gb']:>9.2f} GB")
    print(f"pandas load (not counted above): {pandas['load_seconds']:.1f} s")
    print(f"SQL speed-up over pandas at one cutoff: {pandas['seconds'] / figures['sql_1_cutoff']['seconds']:.1f}x")
    one = figures["sql_1_cutoff"]["seconds"]
    print(f"8 cutoffs / 1 cutoff: {figures['sql_8_cutoffs']['seconds'] / one:.2f}x at a 14-day stride, "
          f"{figures['sql_8_monthly']['seconds'] / one:.2f}x at a 30-day stride")


if __name__ == "__main__":
    main()
