"""Benchmark: training time at scale, step by step, with peak memory.

Data: the features bench's synthetic base (N customers, M events over 400 days, two categorical
profile attributes; built once in DuckDB). One `cai_sql.train` of a 30-day purchase spec with the
defaults (6 snapshots 14 days apart, 45-day eligibility, lifetime and BG/NBD features, model search
on the inner split, baselines), in a fresh process; each step's seconds come from the progress
reporter.

    .venv/bin/python bench/bench_training.py --customers 1000000 --events 20000000
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_features import build  # noqa: E402

SPEC = {
    "name": "bench_purchase",
    "lookback_days": 90,
    "goal": {"any_of": ["event_type = 'commerce.purchases'"], "window_days": 30},
    "attributes": {"categorical": ["loyalty_tier", "region"]},
}


def _rss_gb() -> float:
    """The process's resident memory now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


class TimingReporter:
    """Records how long each named step of training takes."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float, float]] = []

    @contextlib.contextmanager
    def step(self, title: str, total: int | None = None):
        started = time.perf_counter()
        yield lambda done, total: None
        self.steps.append((title, time.perf_counter() - started, _rss_gb()))

    def note(self, message: str) -> None:
        print(f"  {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--no-clv-features", action="store_true", help="Train without the BG/NBD features.")
    parser.add_argument("--memory-limit", default="10GB",
                        help="DuckDB memory_limit for the run (its default, 80%% of RAM, leaves too little for the "
                             "training matrices at 1M customers on a 24 GiB machine)")
    args = parser.parse_args()
    if args.no_clv_features:
        SPEC["training"] = {"clv_features": False}
    import cai_sql
    from cai_sql.spec import spec_from_dict

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        started = time.perf_counter()
        build(db, args.customers, args.events)
        print(f"built {args.customers:,} customers, {args.events:,} events in {time.perf_counter() - started:.1f} s")
        reporter = TimingReporter()
        started = time.perf_counter()
        con = cai_sql.connect(db)
        con.execute("SET memory_limit = $limit", {"limit": args.memory_limit})
        result = cai_sql.train(con, spec_from_dict(SPEC), reporter=reporter, now=dt.datetime(2100, 1, 1))
        total = time.perf_counter() - started
        for title, seconds, rss in reporter.steps:
            print(f"{seconds:8.1f} s  RSS {rss:5.2f} GB after  {title}")
        r = result.record
        balance = r.metrics["class_balance"]
        print(f"train: {total:.1f} s in all; {balance['train_positives'] + balance['train_negatives']:,} training rows, "
              f"{r.n_features} features; {r.algorithm} AUC {r.auc:.3f}; baselines "
              + ", ".join(f"{k} {v:.3f}" for k, v in r.metrics["baselines"].items())
              + f"; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GB "
              f"(DuckDB memory_limit {args.memory_limit})")
        con.close()


if __name__ == "__main__":
    main()
