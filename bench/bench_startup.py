"""Benchmark: how long `cai` takes to start — `cai --help` and `cai runs` on a small database.

Every round runs each command once in a fresh process, in turn (so machine load weighs on all of them
alike), with the Python interpreter alone and `import duckdb` as the baselines measured in the same
rounds; prints medians (and the fastest run) of --repeat rounds and the load average. The database is
--db, or a small one built in a temporary directory (the ledger's tables with 20 scoring runs).

    .venv/bin/python bench/bench_startup.py --repeat 21
    .venv/bin/python bench/bench_startup.py --db cai_demo.duckdb
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS_SQL = """
INSERT INTO cai_runs (run_id, model, model_version, model_type, score_date, status, n_scored, n_high, n_medium, n_low,
                      factors, model_sha256, started_at, seconds)
SELECT i, 'purchase_30d', 1, 'conversion', DATE '2026-11-01' - INTERVAL (7 * (20 - i)) DAY, 'succeeded',
       10000 + i, 2500, 5000, 2500 + i, 5, 'x', TIMESTAMP '2026-12-01 00:00:00', 0.9
FROM range(1, 21) AS t(i)
"""


def small_database(directory: Path) -> Path:
    import duckdb

    from cai_sql.ledger import ensure_ledger

    db = directory / "small.duckdb"
    con = duckdb.connect(str(db))
    ensure_ledger(con)
    con.execute(RUNS_SQL)
    con.close()
    return db


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--db", type=Path, default=None, help="database for `cai runs` [default: a small one]")
    args = parser.parse_args()
    cai = str(Path(sys.executable).with_name("cai"))
    with tempfile.TemporaryDirectory() as directory:
        db = args.db or small_database(Path(directory))
        commands = {
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            "python -c 'import duckdb' (baseline)": [sys.executable, "-c", "import duckdb"],
            "python -c 'import cai_sql'": [sys.executable, "-c", "import cai_sql"],
            "cai --help": [cai, "--help"],
            "cai runs": [cai, "runs", "--db", str(db)],
            "cai runs --format json": [cai, "runs", "--db", str(db), "--format", "json"],
        }
        for command in commands.values():  # warm the page cache
            timed(command)
        load_before = os.getloadavg()
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                seconds[name].append(timed(command))
        load_after = os.getloadavg()
    print(f"{args.repeat} rounds on {os.cpu_count()} cores; load average (1, 5, 15 min) before "
          f"{', '.join(f'{x:.2f}' for x in load_before)}, after {', '.join(f'{x:.2f}' for x in load_after)}")
    print("| command | median s | fastest s |")
    print("|---|---:|---:|")
    for name, values in seconds.items():
        print(f"| `{name}` | {statistics.median(values):.3f} | {min(values):.3f} |")


if __name__ == "__main__":
    main()
