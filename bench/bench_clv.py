"""Benchmark: lifetime value — fit and score for 1M customers, and the SQL macro for BI tools.

Simulates purchases of --customers customers from BG/NBD itself (purchase rates ~ Gamma(0.8, 8
days), dropout after each purchase ~ Beta(1, 4), Gamma-Gamma spend) over 365 days into an
``events`` table, then times each step in a fresh process (so its peak RSS, read from
/proc/self/status VmHWM, is its own), medians of --repeat, in rounds (every step once per round,
so a slow spell on a shared machine hits all alike), next to a baseline measured in the same run:
one plain GROUP BY pass over the purchase events (count and sum per customer).

    .venv/bin/python bench/bench_clv.py --customers 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = dt.date(2026, 1, 1)
DAYS = 365
STEPS = {
    "baseline": "baseline: GROUP BY customer over the purchase events (count, sum)",
    "summary": "purchase summary SQL (frequency, recency, T, repeat spend) into a temp table",
    "fit": "`cai clv fit` (summary + BG/NBD and Gamma-Gamma maximum likelihood)",
    "score": "`cai clv score` (summary + P(alive), E[purchases], AOV, 12-step discounted CLV, write cai_clv)",
    "macro": "`cai_clv_expected_purchases` SQL macro (lgamma ₂F₁ series) for every customer, 52 weeks",
}


def build(db: Path, customers: int, seed: int) -> int:
    import numpy as np
    import pyarrow as pa

    import cai_sql

    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.8, 1 / 8.0, customers)
    dropout = rng.beta(1.0, 4.0, customers)
    scale = 1 / rng.gamma(4.0, 1 / 40.0, customers)
    day = rng.uniform(0, DAYS / 2, customers)
    alive = np.ones(customers, dtype=bool)
    ids, days, values = [], [], []
    while alive.any():
        index = np.flatnonzero(alive)
        ids.append(index)
        days.append(day[index])
        values.append(rng.gamma(4.0, scale[index]))
        alive[index] = rng.random(index.size) >= dropout[index]
        day[index] += 1 + rng.exponential(1 / rate[index])
        alive &= day < DAYS
    ids, days, values = np.concatenate(ids), np.concatenate(days), np.concatenate(values)
    start = np.datetime64(AS_OF - dt.timedelta(days=DAYS), "s")
    table = pa.table({
        "customer_id": pa.array(np.char.add("c", ids.astype(str))),
        "ts": pa.array(start + (days * 86400).astype("timedelta64[s]")),
        "event_type": pa.array(["commerce.purchases"] * ids.size),
        "value": pa.array(np.round(values, 2)),
    })
    con = cai_sql.connect(db)
    con.register("new_events", table)
    con.execute("CREATE OR REPLACE TABLE events AS SELECT customer_id, CAST(ts AS TIMESTAMP) AS ts, event_type, value "
                "FROM new_events")
    con.unregister("new_events")
    con.close()
    return int(ids.size)


def peak_rss_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024 ** 2
    return float("nan")


def run_step(step: str, db: Path) -> dict:
    """One step, in this (fresh) process."""
    import cai_sql
    from cai_sql import clv

    con = cai_sql.connect(db)
    started = time.perf_counter()
    result: dict = {}
    if step == "baseline":
        result["rows"] = con.execute("SELECT count(*) FROM (SELECT customer_id, count(*), sum(value) FROM events "
                                     "WHERE event_type = 'commerce.purchases' GROUP BY customer_id)").fetchall()[0][0]
    elif step == "summary":
        clv._stage_summary(con, AS_OF, clv.DEFAULT_PURCHASE, "value", 7.0)
        result["rows"] = con.execute("SELECT count(*) FROM _cai_clv_summary").fetchall()[0][0]
    elif step == "fit":
        fit = cai_sql.fit_clv(con, as_of=AS_OF, unit="weeks")
        result.update(rows=fit.customers, params=[fit.bgnbd.r, fit.bgnbd.alpha, fit.bgnbd.a, fit.bgnbd.b,
                                                  fit.spend.p, fit.spend.q, fit.spend.gamma])
    elif step == "score":
        run = cai_sql.score_clv(con, horizon=52)
        result["rows"] = run.n_scored
    elif step == "macro":
        result["rows"] = con.execute(
            "SELECT count(*), sum(cai_clv_expected_purchases(52, c.frequency, c.recency, c.T, r.r, r.alpha, r.a, r.b)) "
            "FROM cai_clv AS c JOIN cai_clv_runs AS r USING (run_id) WHERE run_id = (SELECT max(run_id) FROM cai_clv_runs)"
        ).fetchall()[0][0]
    result["seconds"] = time.perf_counter() - started
    con.close()
    result["peak_rss_gb"] = peak_rss_gb()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--step", choices=list(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(run_step(args.step, args.db)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench_clv.duckdb"
        started = time.perf_counter()
        events = build(db, args.customers, args.seed)
        print(f"built {events:,} purchase events for {args.customers:,} customers in {time.perf_counter() - started:.1f} s",
              flush=True)
        # the first fit and score make the tables the macro step reads
        for step in ("fit", "score"):
            subprocess.run([sys.executable, __file__, "--step", step, "--db", str(db)], check=True, capture_output=True)
        results: dict[str, list[dict]] = {step: [] for step in STEPS}
        for round_ in range(args.repeat):
            for step in STEPS:
                out = subprocess.run([sys.executable, __file__, "--step", step, "--db", str(db)], check=True,
                                     capture_output=True, text=True)
                results[step].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"round {round_ + 1}/{args.repeat} done", flush=True)
    print(f"\n| step ({args.customers:,} customers, {events:,} purchase events) | median s | customers/s | peak RSS |")
    print("|---|---:|---:|---:|")
    for step, label in STEPS.items():
        seconds = statistics.median(r["seconds"] for r in results[step])
        rows = results[step][0]["rows"]
        peak = max(r["peak_rss_gb"] for r in results[step])
        print(f"| {label} | {seconds:.2f} | {rows / seconds:,.0f} | {peak:.2f} GB |")
    fit = results["fit"][0]
    print("\nfitted (r, alpha [weeks], a, b, p, q, gamma):", ", ".join(f"{v:.4g}" for v in fit["params"]),
          "— simulated with r 0.8, alpha 8/7 weeks (gaps of 1 day + exponential), a 1, b 4, p 4, q 4, gamma 40")


if __name__ == "__main__":
    main()
