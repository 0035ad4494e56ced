"""Benchmark: scoring and reason codes through SQL versus raw onnxruntime and scikit-learn.

Data: a demo customer base (default 20,000 customers) trained twice on the purchase spec — once
as gradient-boosted trees, once as logistic regression — and its feature rows at 8 weekly
cutoffs resampled (with replacement) to N rows (default 1,000,000) in a table, so every step
scores the same real demo feature rows. Steps, each repeated, medians, all in one run:

* onnx_raw       — onnxruntime on the float32 numpy matrix (one call; DuckDB's thread count)
* sklearn        — the same fitted model's predict_proba on the same matrix (timed after the
                   rounds of the other steps: it slows what runs after it in the same process)
* sql_score      — SELECT sum(cai_score('m', f)) FROM the table (trees)
* sql_score_reasons — the scoring-run UDF: probability, score and top-5 reasons (trees)
* tree_sql_macro — SELECT sum(cai_score_<model>_v<n>(f)): the trees' persisted SQL macro (nested CASE), no Python
* tree_sql_explain — SELECT sum(len(cai_explain_<model>_v<n>(f, 5))): its reason-code macro, top 5
* linear_udf / linear_sql — the logistic regression through cai_score vs its SQL macro
* run_5m         — `cai_sql.score` on a 5M-row features table (fresh process: peak RSS)

Each step is timed in wall-clock seconds and in the process's CPU seconds (all threads): the
second is steadier on a shared machine, where neighbours steal time from whole rounds. Each ratio
is the median of its per-round ratios (the two steps of a round run back to back, so a slow spell
hits both), next to the ratio of the medians. A SQL macro of a tree model costs DuckDB seconds of
planning per query (binding and optimizing the whole ensemble): its queries are profiled once per
round, and DuckDB's own planning time (planner + optimizer + physical planner) is reported apart and
taken out of the step's time (profiled in the first round only: a profiled run costs a full run).
The explain macro runs on every tenth row; its seconds are scaled to N rows. Peak memory per step: the process's resident-set high-water mark,
reset before the step (/proc/self/clear_refs), above its resident set when the step began.

    .venv/bin/python bench/bench_scoring.py --steps onnx_raw sql_score tree_sql_macro tree_sql_explain --run-rows 0

    .venv/bin/python bench/bench_scoring.py --rows 1000000 --run-rows 5000000 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = "purchase_30d"


def prepare(directory: Path, customers: int, rows: int) -> Path:
    import cai_sql
    from cai_sql.demo import demo_spec_paths
    from cai_sql.training import train

    db = directory / "bench.duckdb"
    files = cai_sql.generate(directory / "data", customers=customers, seed=5)
    con = cai_sql.connect(db)
    cai_sql.ingest(con, files.events)
    cai_sql.ingest(con, files.profiles, profiles=True)
    spec = next(p for p in demo_spec_paths(directory / "data") if p.stem == SPEC)
    now = dt.datetime.combine(files.end + dt.timedelta(days=1), dt.time())
    trained = train(con, spec, now=now, algorithms=("hist_gradient_boosting",))
    trees = trained.record
    (directory / "trees.pkl").write_bytes(pickle.dumps(trained.estimator))
    linear = train(con, spec, now=now, algorithms=("logistic_regression",)).record
    cutoffs = [files.end + dt.timedelta(days=1) - dt.timedelta(days=7 * k) for k in range(8)]
    for version in (trees.version, linear.version):
        union = " UNION ALL ".join(f"SELECT * FROM cai_features_{SPEC}_v{version}(DATE '{c}')" for c in cutoffs)
        con.execute(f"CREATE TABLE pool_v{version} AS {union}")
        pool = con.sql(f"SELECT count(*) FROM pool_v{version}").fetchall()[0][0]
        con.execute(f"""CREATE TABLE bench_v{version} AS
            WITH numbered AS (SELECT *, row_number() OVER (ORDER BY customer_id, cutoff) - 1 AS j FROM pool_v{version}),
                 picks AS (SELECT i, hash(i + 17) % $pool AS j FROM range($rows) AS r(i))
            SELECT n.* EXCLUDE (j) FROM picks AS p JOIN numbered AS n USING (j) ORDER BY p.i""",
                    {"rows": rows, "pool": pool})
    con.close()
    (directory / "versions.json").write_text(json.dumps({"trees": trees.version, "linear": linear.version}))
    return db


def planning(profile: str) -> float:
    """Seconds DuckDB spent binding, optimizing and physically planning the last profiled query."""
    with open(profile, encoding="utf-8") as handle:
        phases = json.load(handle)
    return sum(float(phases[phase]["total_time"]) for phase in ("planner", "optimizer", "physical_planner"))


def memory_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")  # resets VmHWM (Linux)
    except OSError:
        pass


def in_process(db: Path, versions: dict, repeat: int, wanted: list[str] | None = None) -> dict:
    import numpy as np
    import onnxruntime as ort

    import cai_sql
    from cai_sql.export import INPUT_NAME

    con = cai_sql.connect(db)
    threads = con.sql("SELECT current_setting('threads')").fetchall()[0][0]
    trees, linear = versions["trees"], versions["linear"]
    n = con.sql(f"SELECT count(*) FROM bench_v{trees}").fetchall()[0][0]
    vectors = con.sql(f"SELECT feature_vector FROM bench_v{trees}").to_arrow_table().column(0).combine_chunks()
    X = vectors.flatten().to_numpy(zero_copy_only=False).reshape(n, -1).astype(np.float32)
    onnx = con.sql(f"SELECT onnx FROM cai_models WHERE version = {trees}").fetchall()[0][0]
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    raw = ort.InferenceSession(onnx, options, providers=["CPUExecutionProvider"])
    figures = {"rows": n, "features": X.shape[1], "threads": threads}

    def onnx_raw():
        return raw.run(None, {INPUT_NAME: X})[1][:, 1].sum()

    model = pickle.loads((db.parent / "trees.pkl").read_bytes())

    def query(sql):
        return lambda: con.sql(sql).fetchall()[0][0]

    steps = {
        "onnx_raw": onnx_raw,
        "sql_score": query(f"SELECT sum(cai_score('{SPEC}', f, {trees})) FROM bench_v{trees} AS f"),
        "sql_score_reasons": query(
            f"SELECT sum(r.probability) + sum(len(r.influential_factors)) FROM (SELECT _cai_score_run('{SPEC}', {trees}, "
            f"f.feature_vector, f.feature_set, 5) AS r FROM bench_v{trees} AS f)"),
        "tree_sql_macro": query(f"SELECT sum(cai_score_{SPEC}_v{trees}(f)) FROM bench_v{trees} AS f"),
        "tree_sql_explain": query(f"SELECT sum(len(cai_explain_{SPEC}_v{trees}(f, 5))) FROM bench_v{trees}_tenth AS f"),
        "linear_udf": query(f"SELECT sum(cai_score('{SPEC}', f, {linear})) FROM bench_v{linear} AS f"),
        "linear_sql": query(f"SELECT sum(cai_score_{SPEC}_v{linear}(f)) FROM bench_v{linear} AS f"),
        "linear_sql_reasons": query(f"SELECT sum(len(cai_explain_{SPEC}_v{linear}(f, 5))) FROM bench_v{linear} AS f"),
    }
    if wanted:
        steps = {name: step for name, step in steps.items() if name in wanted}
    # the explain macro runs on every tenth row (its rows/s are per its own rows): on 1M rows it would take minutes a round
    con.execute(f"CREATE TABLE IF NOT EXISTS bench_v{trees}_tenth AS SELECT * FROM bench_v{trees} WHERE hash(customer_id, cutoff) % 10 = 0")
    rows_of = {name: n for name in steps}
    rows_of["tree_sql_explain"] = con.sql(f"SELECT count(*) FROM bench_v{trees}_tenth").fetchall()[0][0]
    figures["rows_of"] = rows_of
    planned = {"tree_sql_macro", "tree_sql_explain", "linear_sql", "linear_sql_reasons"} & set(steps)
    profile = str(db.parent / "profile.json")
    con.execute("SET enable_profiling = 'json'")
    con.execute(f"SET profiling_output = '{profile}'")
    con.execute("SET profiling_mode = 'detailed'")
    con.execute("SET enable_profiling = 'no_output'")
    con.execute("SET enable_progress_bar = false")
    # rounds of every step in turn, so a slow spell on this shared machine hits all steps alike
    times: dict[str, list[float]] = {name: [] for name in steps}
    cpu: dict[str, list[float]] = {name: [] for name in steps}  # the process's CPU seconds, all threads
    plans: dict[str, list[float]] = {name: [] for name in planned}
    peaks: dict[str, list[float]] = {name: [] for name in steps}
    results = {}
    for _ in range(repeat):
        for name, step in steps.items():
            if name in planned and not plans[name]:  # DuckDB's planning of this query, from a profiled run (not timed)
                con.execute("SET enable_profiling = 'json'")
                step()
                plans[name].append(planning(profile))
                con.execute("SET enable_profiling = 'no_output'")
            reset_peak()
            rss = memory_kb("VmRSS")
            started, cpu_started = time.perf_counter(), time.process_time()
            results[name] = step()
            times[name].append((time.perf_counter() - started - (plans[name][0] if name in planned else 0.0)) * n / rows_of[name])
            cpu[name].append((time.process_time() - cpu_started - (plans[name][0] if name in planned else 0.0)) * n / rows_of[name])
            peaks[name].append((memory_kb("VmHWM") - rss) / 1024)
    # scikit-learn last and on its own: running it slows the queries that follow it in this process
    # by 10-15% for many seconds (measured with a 6 s pause between), which would tilt the ratios
    sklearn_times = []
    for _ in range(repeat if not wanted or "sklearn" in wanted else 0):
        started = time.perf_counter()
        model.predict_proba(X.astype(np.float64))
        sklearn_times.append(time.perf_counter() - started)
    figures.update({name: statistics.median(values) for name, values in times.items()})
    figures.update({f"{name}_plan": statistics.median(values) for name, values in plans.items()})
    figures.update({f"{name}_peak_mb": max(values) for name, values in peaks.items()})
    figures["rounds"] = times  # each ratio is also taken round by round (steps of one round ran back to back)
    figures.update({f"{name}_cpu": statistics.median(values) for name, values in cpu.items()})
    if sklearn_times:
        figures["sklearn"] = statistics.median(sklearn_times)
    for a, b in (("sql_score", "onnx_raw"), ("tree_sql_macro", "onnx_raw"), ("linear_udf", "linear_sql")):
        if a in results and b in results:
            assert abs(results[a] - results[b]) < 1e-3 * n ** 0.5, results
    con.close()
    return figures


def run_step(db: Path, versions: dict, run_rows: int) -> dict:
    """A full scoring run over ``run_rows`` customers (features read from a prepared table)."""
    import cai_sql

    con = cai_sql.connect(db)
    trees = versions["trees"]
    con.execute(f"""CREATE OR REPLACE TABLE run_rows AS
        SELECT * REPLACE ('c' || i::VARCHAR AS customer_id) FROM (
            SELECT b.*, row_number() OVER () AS i FROM bench_v{trees} AS b, range(($n + 999999) // 1000000)
        ) LIMIT $n""", {"n": run_rows})
    # the version's features macro reads the prepared rows instead of computing them from events
    con.execute(f"CREATE OR REPLACE MACRO cai_features_{SPEC}_v{trees}(cutoff_date) AS TABLE "
                "SELECT * EXCLUDE (i) FROM run_rows")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    started = time.perf_counter()
    result = cai_sql.score(con, SPEC, version=trees, as_of=dt.date(2026, 11, 1))
    seconds = time.perf_counter() - started
    size = con.sql("SELECT count(*) FROM cai_scores WHERE run_id = $r", params={"r": result.run_id}).fetchall()[0][0]
    con.close()
    return {"run_rows": size, "run_seconds": seconds, "setup_rss_gb": before,
            "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--run-rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="keep the prepared database here and reuse it on the next run")
    parser.add_argument("--steps", nargs="*", help="time only these in-process steps (default: all; sklearn by name)")
    parser.add_argument("--step", choices=["run"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "run":
        versions = json.loads((args.db.parent / "versions.json").read_text())
        print(json.dumps(run_step(args.db, versions, args.run_rows)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.workdir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        db = directory / "bench.duckdb"
        if not (directory / "versions.json").exists():
            db = prepare(directory, args.customers, args.rows)
            print(f"prepared {args.rows:,} demo feature rows in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        versions = json.loads((directory / "versions.json").read_text())
        figures = in_process(db, versions, args.repeat, args.steps)
        if args.run_rows:
            out = subprocess.run([sys.executable, __file__, "--step", "run", "--db", str(db), "--run-rows", str(args.run_rows)],
                                 capture_output=True, text=True, check=True, env={**os.environ})
            figures.update(json.loads(out.stdout.strip().splitlines()[-1]))
    n = figures["rows"]
    print(f"{n:,} rows × {figures['features']} features, {figures['threads']} threads; medians of {args.repeat}")
    print("| step | median s | rows/s | CPU s | ratio: median of per-round ratios (in brackets: of median s; of CPU s) "
          "| planning s | peak MB |")
    print("|---|---:|---:|---:|---|---:|---:|")
    lines = [
        ("onnxruntime on a numpy batch (trees)", "onnx_raw", None),
        ("scikit-learn predict_proba (same trees)", "sklearn", None),
        ("`cai_score` in SQL (trees)", "sql_score", ("onnx_raw", "× raw onnxruntime (target ≥ 0.9)")),
        ("score + top-5 reasons in SQL (trees, run UDF)", "sql_score_reasons", ("sql_score", "× score alone (target ≥ 0.7)")),
        ("`cai_score_<model>` SQL macro (trees, nested CASE)", "tree_sql_macro",
         ("onnx_raw", "× raw onnxruntime (target ≥ 0.3, moonshot 0.6)")),
        ("`cai_explain_<model>` SQL macro, top 5 (trees)", "tree_sql_explain", ("tree_sql_macro", "× the score macro (target ≥ 0.15)")),
        ("`cai_score` UDF (logistic regression)", "linear_udf", None),
        ("`cai_score_<model>` SQL macro (logistic regression)", "linear_sql", ("linear_udf", "× its UDF (target ≥ 3)")),
        ("`cai_explain_<model>` SQL macro, top 5 (logistic regression)", "linear_sql_reasons", None),
    ]
    for label, key, ratio in lines:
        if key not in figures:
            continue
        text = ""
        if ratio and ratio[0] in figures:
            rounds = figures["rounds"]
            paired = statistics.median(base / this for base, this in zip(rounds[ratio[0]], rounds[key]))
            text = (f"{paired:.2f}{ratio[1]} ({figures[ratio[0]] / figures[key]:.2f}×; "
                    f"{figures[ratio[0] + '_cpu'] / figures[key + '_cpu']:.2f}×)")
        cpu_text = f"{figures[key + '_cpu']:.2f}" if f"{key}_cpu" in figures else ""
        plan = f"{figures[key + '_plan']:.2f}" if f"{key}_plan" in figures else ""
        peak = f"{figures[key + '_peak_mb']:,.0f}" if f"{key}_peak_mb" in figures else ""
        print(f"| {label} | {figures[key]:.2f} | {n / figures[key]:,.0f} | {cpu_text} | {text} | {plan} | {peak} |")
    if "run_seconds" in figures:
        print(f"| scoring run, {figures['run_rows']:,} customers into cai_scores | {figures['run_seconds']:.2f} | "
              f"{figures['run_rows'] / figures['run_seconds']:,.0f} | | peak RSS {figures['peak_rss_gb']:.2f} GB "
              f"({figures['setup_rss_gb']:.2f} GB before the run, building its input) |")


if __name__ == "__main__":
    main()
