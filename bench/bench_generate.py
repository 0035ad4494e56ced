"""Benchmark: demo data generation and XDM ingestion at scale.

Each measurement runs in a fresh process (so peak RSS belongs to that step alone) and is repeated;
medians are printed. The baseline, measured in the same run, is the I/O floor: writing the same
number of flat rows to Parquet with pyarrow, and reading a flat Parquet file into DuckDB.

    .venv/bin/python bench/bench_generate.py --customers 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def worker(step: str, customers: int, seed: int, workdir: Path) -> dict:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    import cai_sql

    started = time.perf_counter()
    result: dict = {}
    if step == "generate":
        files = cai_sql.generate(workdir / "data", customers=customers, seed=seed)
        result["events"] = files.events_written
    elif step == "flat_write_baseline":
        n = int(json.loads((workdir / "events_count.json").read_text()))
        rng = np.random.default_rng(seed)
        table = pa.table({
            "customer": rng.integers(0, customers, n, dtype=np.int32),
            "ts_ms": rng.integers(0, 10**12, n),
            "code": rng.integers(0, 8, n, dtype=np.int8),
            "value": rng.random(n),
        })
        pq.write_table(table, workdir / "flat.parquet", compression="zstd")
        result["events"] = n
    elif step == "ingest":
        db = workdir / "bench.duckdb"
        db.unlink(missing_ok=True)
        report = cai_sql.ingest(db, workdir / "data" / "events.parquet")
        result["events"] = report.rows_written
    elif step == "flat_read_baseline":
        con = cai_sql.connect(None)
        con.execute("CREATE TABLE t AS SELECT * FROM read_parquet($p)", {"p": str(workdir / "flat.parquet")})
        result["events"] = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return result


def measure(step: str, args, workdir: Path) -> dict:
    runs = []
    for _ in range(args.repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--worker", step, "--customers", str(args.customers), "--seed", str(args.seed),
             "--workdir", str(workdir)],
            check=True, capture_output=True, text=True,
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
        if step == "generate":
            (workdir / "events_count.json").write_text(str(runs[-1]["events"]))
    return {
        "events": runs[-1]["events"],
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_rss_gb": max(r["peak_rss_gb"] for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.customers, args.seed, args.workdir)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        figures = {step: measure(step, args, workdir) for step in ("generate", "flat_write_baseline", "ingest", "flat_read_baseline")}
    print(f"customers: {args.customers:,}   events: {figures['generate']['events']:,}   runs per step: {args.repeat} (medians)")
    print(f"{'step':<34}{'seconds':>9}{'events/s':>13}{'peak RSS':>11}")
    for step, figure in figures.items():
        rate = figure["events"] / figure["seconds"]
        print(f"{step:<34}{figure['seconds']:>9.1f}{rate:>13,.0f}{figure['peak_rss_gb']:>9.2f} GB")
    print(f"generate / flat-write baseline: {figures['generate']['seconds'] / figures['flat_write_baseline']['seconds']:.1f}x")
    print(f"ingest   / flat-read baseline:  {figures['ingest']['seconds'] / figures['flat_read_baseline']['seconds']:.1f}x")


if __name__ == "__main__":
    main()
