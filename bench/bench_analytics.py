"""Benchmark: the analytics views and macros on a 1M-customer × 8-run ledger (and on the demo).

Builds a synthetic ledger straight in SQL (default 1,000,000 customers, 8 weekly runs, each
scoring a random ~95% of them, with 5 influential factors per customer drawn from 30 codes,
per-run histograms of 52 features, realized outcomes for the first 4 runs, profiles with a
loyalty tier) plus one segment, then times each analytics query in a fresh process (so its peak
RSS is its own), medians of --repeat, each round also timing the baseline in the same process:
one plain pass over every ledger row (count, sum of scores, sum of factor-list lengths).

    .venv/bin/python bench/bench_analytics.py --customers 1000000 --runs 8 --repeat 3
    .venv/bin/python bench/bench_analytics.py --db cai_demo.duckdb --model purchase_30d   # the demo
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODEL = "m"
BASELINE = "SELECT count(*), sum(score), sum(len(influential_factors)) FROM cai_scores"


def build(db: Path, customers: int, runs: int) -> None:
    import duckdb

    import cai_sql
    from cai_sql.ledger import ensure_ledger

    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("""CREATE TABLE profiles AS
        SELECT 'c' || lpad(CAST(i AS VARCHAR), 8, '0') AS customer_id,
               ['bronze', 'silver', 'gold', 'platinum'][1 + CAST(hash(i) % 4 AS BIGINT)] AS loyalty_tier
        FROM range($n) AS t(i)""", {"n": customers})
    ensure_ledger(con)
    for run in range(1, runs + 1):
        started = time.perf_counter()
        con.execute("""INSERT INTO cai_scores
            WITH drawn AS (
                SELECT p.customer_id,
                       least(0.999, greatest(0.001, (hash(p.customer_id, $run) % 1000) / 1000.0 * 0.9 + $run * 0.005)) AS probability
                FROM profiles AS p
                WHERE hash(p.customer_id, $run * 7) % 100 < 95
            )
            SELECT $run, 'm', 1, 'conversion', DATE '2026-09-01' + 7 * $run, customer_id, probability,
                   CAST(round(100 * probability) AS INTEGER),
                   CAST(ceil(100 * cume_dist() OVER (ORDER BY probability)) AS INTEGER),
                   CASE WHEN round(100 * probability) < 25 THEN 'low' WHEN round(100 * probability) < 75 THEN 'medium' ELSE 'high' END,
                   list_transform(range(5), lambda k: {
                       'code': 'feature_' || CAST((hash(customer_id, k, $run // 3) % 30) AS VARCHAR),
                       'description': 'Feature ' || CAST((hash(customer_id, k, $run // 3) % 30) AS VARCHAR),
                       'value': CAST(hash(customer_id, k) % 50 AS DOUBLE),
                       'contribution': (5 - k) * 0.2 * CASE WHEN probability >= 0.3 THEN 1 ELSE -1 END,
                       'importance': CASE WHEN k = 0 THEN 'high' WHEN k < 3 THEN 'medium' ELSE 'low' END})
            FROM drawn""", {"run": run})
        counts = dict(con.execute("SELECT bucket, count(*) FROM cai_scores WHERE run_id = $r GROUP BY 1", {"r": run}).fetchall())
        con.execute("""INSERT INTO cai_runs (run_id, model, model_version, model_type, score_date, status, n_scored,
                                             n_high, n_medium, n_low, factors, model_sha256, started_at, seconds)
                       VALUES ($r, 'm', 1, 'conversion', DATE '2026-09-01' + 7 * $r, 'succeeded', $n, $h, $m, $l, 5, 'x',
                               now()::TIMESTAMP, $s)""",
                    {"r": run, "n": sum(counts.values()), "h": counts.get("high", 0), "m": counts.get("medium", 0),
                     "l": counts.get("low", 0), "s": time.perf_counter() - started})
        con.execute("""INSERT INTO cai_run_feature_bins
            SELECT $r, 'feature_' || f, b - 1, CASE WHEN b > 0 THEN b END, CASE WHEN b < 10 THEN b + 1 END,
                   CASE WHEN b = 0 THEN 0 ELSE 1000 + hash(f, b, $r) % (50 + 10 * $r) END
            FROM range(52) AS t(f), range(11) AS u(b)""", {"r": run})
        if run <= runs // 2:
            con.execute("""INSERT INTO cai_run_outcomes
                SELECT run_id, customer_id, (hash(customer_id, 99) % 1000) / 1000.0 < probability
                FROM cai_scores WHERE run_id = $r""", {"r": run})
    con.close()
    cai_sql.create_segment(db, "gold_high", MODEL, "bucket = 'high' AND loyalty_tier = 'gold'")


def ledger_at(directory: Path, customers: int, runs: int) -> Path:
    """The synthetic ledger of this size in ``directory``, built unless an earlier run left it there."""
    db = directory / f"ledger_{customers}_{runs}.duckdb"
    if not db.exists():
        started = time.perf_counter()
        build(db, customers, runs)
        print(f"built the ledger in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return db


def add_ledger_arguments(parser: argparse.ArgumentParser, repeat: int) -> None:
    """The options that choose the ledger a bench times (shared with the dashboard bench)."""
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--db", type=Path, help="Time an existing database (e.g. the demo's) instead of building one.")
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--workdir", type=Path, help="Keep the built ledger here (reused when present).")


def refresh_views(db: Path) -> None:
    """Install this checkout's views and macros into the database (a reused ledger may predate them)."""
    import duckdb

    from cai_sql.ledger import ensure_ledger

    con = duckdb.connect(str(db))
    ensure_ledger(con)
    con.close()


def queries(model: str, runs: list[int], customer: str) -> dict[str, str]:
    first, last = runs[0], runs[-1]
    return {
        "cai_latest_scores": "SELECT count(*) FROM cai_latest_scores",
        "cai_score_distribution": "SELECT count(*), sum(customers) FROM cai_score_distribution",
        "cai_bucket_trend": "SELECT count(*), sum(customers) FROM cai_bucket_trend",
        "cai_bucket_trend_by('loyalty_tier')": "SELECT count(*) FROM cai_bucket_trend_by('loyalty_tier')",
        "cai_factors_by_bucket (top 10 per bucket)": "SELECT count(*) FROM cai_factors_by_bucket WHERE rank <= 10",
        f"cai_bucket_flow('{model}')": f"SELECT sum(customers) FROM cai_bucket_flow('{model}')",
        f"cai_bucket_overlap('{model}', 'high')": f"SELECT * FROM cai_bucket_overlap('{model}', 'high')",
        f"cai_cohort_tracking('{model}', {first}, 'low')": f"SELECT count(*) FROM cai_cohort_tracking('{model}', {first}, 'low')",
        "cai_segment_cohort(segment)": "SELECT count(*) FROM cai_segment_cohort((SELECT min(segment) FROM cai_segments))",
        "cai_expected_vs_actual": "SELECT count(*) FROM cai_expected_vs_actual",
        "cai_realized_auc": "SELECT count(*), avg(auc) FROM cai_realized_auc",
        f"cai_drift('{model}')": f"SELECT count(*) FROM cai_drift('{model}', run_a := {first}, run_b := {last})",
        f"cai_score_change('{model}', customer)": f"SELECT count(*) FROM cai_score_change('{model}', '{customer}')",
        "cai_segment_sizes": "SELECT count(*) FROM cai_segment_sizes",
        "cai_auto_segments": "SELECT count(*) FROM cai_auto_segments",
    }


def time_query(db: Path, sql: str, repeat: int) -> dict:
    """Median seconds of ``sql`` and of the baseline pass, interleaved in rounds in this process,
    so a slow spell on the shared machine hits both alike."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    seconds, baseline = [], []
    for _ in range(repeat):
        for sink, statement in ((baseline, BASELINE), (seconds, sql)):
            started = time.perf_counter()
            con.sql(statement).fetchall()
            sink.append(time.perf_counter() - started)
    return {"seconds": statistics.median(seconds), "baseline": statistics.median(baseline),
            "ratio": statistics.median(q / b for q, b in zip(seconds, baseline)), "peak_rss_gb": peak_rss_gb()}


def peak_rss_gb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it is not inherited from the parent across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_ledger_arguments(parser, repeat=3)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:  # child process: time one query
        print(json.dumps(time_query(args.db, args.step, args.repeat)))
        return
    directory = args.workdir or Path(tempfile.mkdtemp(prefix="cai_bench_analytics_"))
    directory.mkdir(parents=True, exist_ok=True)
    db = args.db or ledger_at(directory, args.customers, args.runs)
    refresh_views(db)
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    runs = [r for (r,) in con.execute("SELECT run_id FROM cai_runs WHERE model = $m AND status = 'succeeded' ORDER BY score_date, run_id",
                                      {"m": args.model}).fetchall()]
    n_rows = con.execute("SELECT count(*) FROM cai_scores").fetchall()[0][0]
    customer = con.execute("""SELECT customer_id FROM cai_scores WHERE run_id = $b
                              INTERSECT SELECT customer_id FROM cai_scores WHERE run_id = $a LIMIT 1""",
                           {"a": runs[-2], "b": runs[-1]}).fetchall()[0][0]
    con.close()
    results = {}
    for name, sql in queries(args.model, runs, customer).items():
        out = subprocess.run([sys.executable, __file__, "--db", str(db), "--repeat", str(args.repeat), "--step", sql],
                             capture_output=True, text=True, check=True)
        results[name] = json.loads(out.stdout)
    baseline = statistics.median(r["baseline"] for r in results.values())
    print(f"ledger: {n_rows:,} score rows, {len(runs)} runs of {args.model}; medians of {args.repeat}; "
          f"baseline (one pass over every ledger row: count, sum of scores, sum of factor-list lengths) {baseline:.3f} s")
    print("| query | median s | × one ledger pass (same process, interleaved) | peak RSS |\n|---|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['seconds']:.3f} | {r['ratio']:.2f} | {r['peak_rss_gb']:.2f} GB |")
    if args.workdir is None:  # the built ledger takes hundreds of MB
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()
