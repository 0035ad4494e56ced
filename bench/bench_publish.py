"""Benchmark: `cai publish` — the read-only copy for BI tools — on the demo database and a larger ledger.

Each round publishes in a fresh process (so its peak RSS is its own) and, as a baseline in the same
round, copies the file byte for byte (what a checkpoint + file copy would cost, and that keeps the
live file's storage version); medians of --repeat. The larger database is bench_analytics.py's
synthetic ledger (default 1,000,000 customers × 8 runs), built once into --workdir.

    .venv/bin/python bench/bench_publish.py --db cai_demo.duckdb --repeat 5
    .venv/bin/python bench/bench_publish.py --customers 1000000 --runs 8 --repeat 3 --workdir /tmp/bench_publish
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def publish_once(db: Path, target: Path) -> dict:
    import cai_sql

    result = cai_sql.publish(db, target)
    return {"seconds": result.seconds, "bytes": result.size_bytes, "peak_rss_gb": peak_rss_gb()}


def copy_once(db: Path, target: Path) -> dict:
    started = time.perf_counter()
    shutil.copyfile(db, target)
    return {"seconds": time.perf_counter() - started}


def peak_rss_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def in_fresh_process(step: str, db: Path, target: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--step", step, "--db", str(db), "--target", str(target)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])


def bench(db: Path, repeat: int, workdir: Path) -> None:
    published, copied = [], []
    for round_ in range(repeat):
        target = workdir / f"bi_{round_}.duckdb"
        published.append(in_fresh_process("publish", db, target))
        copied.append(in_fresh_process("copy", db, workdir / "plain_copy.duckdb"))
        (workdir / "plain_copy.duckdb").unlink()
        if round_ < repeat - 1:
            target.unlink()
    seconds = statistics.median(r["seconds"] for r in published)
    copy_seconds = statistics.median(r["seconds"] for r in copied)
    size, copy_size = db.stat().st_size, published[-1]["bytes"]
    print(f"| {db.name} ({size / 1e6:,.1f} MB) | {seconds:.2f} | {copy_size / 1e6:,.1f} MB | {size / 1e6 / seconds:,.0f} MB/s "
          f"| {copy_seconds:.2f} | {statistics.median(r['peak_rss_gb'] for r in published):.2f} GB |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="Publish this database (e.g. the demo's) instead of building a ledger.")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="Keep the built ledger here (reused when present).")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps((publish_once if args.step == "publish" else copy_once)(args.db, args.target)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        db = args.db
        if db is None:
            db = workdir / f"ledger_{args.customers}x{args.runs}.duckdb"
            if not db.exists():
                sys.path.insert(0, str(Path(__file__).parent))
                from bench_analytics import build

                started = time.perf_counter()
                build(db, args.customers, args.runs)
                print(f"built {db} in {time.perf_counter() - started:.0f} s", flush=True)
        out = Path(tempfile.mkdtemp(dir=workdir))
        print("| database | publish median s | copy size | source MB/s | baseline: byte copy s | peak RSS |")
        print("|---|---:|---:|---:|---:|---:|")
        bench(db, args.repeat, out)
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
