"""Benchmark: dashboard pages and the one-file report, on the demo and on a large synthetic ledger.

Each page is a real HTTP GET to the app under uvicorn on 127.0.0.1, timed twice per round: cold
(the page cache emptied first, so the request opens the file read-only, runs the page's queries
over the ledger's views, renders the HTML and closes the file) and cached (the file unchanged, so
the page's data comes from the cache). Each round also times the baseline in the same process: one
plain pass over every ledger row (count, sum of scores, sum of factor-list lengths), so a slow
spell on this shared machine hits both alike. Medians of --repeat; peak RSS of the whole process.

    .venv/bin/python bench/bench_dashboard.py --db cai_demo.duckdb --model purchase_30d
    .venv/bin/python bench/bench_dashboard.py --customers 1000000 --runs 8 --repeat 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_analytics import BASELINE, add_ledger_arguments, ledger_at, peak_rss_gb, refresh_views  # noqa: E402

STUB_MODEL = """INSERT INTO cai_models (model, version, created_at, model_type, algorithm, sha256, onnx, n_features, features,
                                   spec, metrics, auc, training_cutoffs, validation_cutoff)
                VALUES ($m, 1, now()::TIMESTAMP, 'conversion', 'synthetic', 'x', ''::BLOB, 30, '[]', '{}', '{}', 0.8,
                        [DATE '2026-08-01'], DATE '2026-08-01')"""


def with_model_row(db: Path, model: str) -> None:
    """The synthetic ledger has scores but no registered model; the model page needs its card."""
    import duckdb

    from cai_sql.registry import ensure_registry

    con = duckdb.connect(str(db))
    ensure_registry(con)
    if not con.execute("SELECT count(*) FROM cai_models WHERE model = $m", {"m": model}).fetchone()[0]:
        con.execute(STUB_MODEL, {"m": model})
    con.close()


def pages(model: str, customer: str, segment: str | None) -> dict[str, str]:
    found = {
        "home": "/",
        "model (bucket cards, distribution, factors, evaluation, runs)": f"/models/{model}",
        "across runs (trend, cohort, flow, overlap, drift)": f"/models/{model}/trends",
        "segments (list, sizes over runs)": "/segments",
        "profile": f"/customers/{customer}",
        "lifetime value": "/clv",
    }
    if segment:
        found["one segment"] = f"/segments/{segment}"
        found["segment export, CSV (latest run)"] = f"/segments/{segment}/export.csv"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_ledger_arguments(parser, repeat=5)
    args = parser.parse_args()

    import duckdb
    import uvicorn

    from cai_sql.web.app import create_app
    from cai_sql.web.report import write_report

    directory = args.workdir or Path(tempfile.mkdtemp(prefix="cai_bench_dashboard_"))
    directory.mkdir(parents=True, exist_ok=True)
    db = args.db
    if db is None:
        db = ledger_at(directory, args.customers, args.runs)
        refresh_views(db)
        with_model_row(db, args.model)

    con = duckdb.connect(str(db), read_only=True)
    n_rows = con.execute("SELECT count(*) FROM cai_scores").fetchone()[0]
    customer = con.execute("SELECT min(customer_id) FROM cai_latest_scores WHERE model = $m", {"m": args.model}).fetchone()[0]
    segment = con.execute("SELECT min(segment) FROM cai_segments WHERE model = $m", {"m": args.model}).fetchone()[0]
    con.close()

    app = create_app(db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"

    def fetch(path: str) -> int:
        with urllib.request.urlopen(url + path, timeout=600) as response:
            assert response.status == 200, path
            return len(response.read())

    def baseline() -> None:
        with duckdb.connect(str(db), read_only=True) as base:
            base.sql(BASELINE).fetchall()

    def cold(path: str) -> int:
        app.state.access.forget()
        return fetch(path)

    results = {}
    for name, path in pages(args.model, customer, segment).items():
        fetch(path)  # the first request also loads the page's templates
        times: dict[str, list[float]] = {"base": [], "cold": [], "cached": []}
        for _ in range(args.repeat):
            for sink, step in (("base", baseline), ("cold", lambda: cold(path)), ("cached", lambda: fetch(path))):
                started = time.perf_counter()
                step()
                times[sink].append(time.perf_counter() - started)
        ratio = statistics.median(q / b for q, b in zip(times["cold"], times["base"]))
        results[name] = (statistics.median(times["cold"]), ratio, statistics.median(times["cached"]), fetch(path),
                         statistics.median(times["base"]))
    server.should_exit = True
    thread.join()

    report_seconds = []
    for _ in range(max(1, args.repeat // 2)):
        started = time.perf_counter()
        out = write_report(db, directory / "report.html")
        report_seconds.append(time.perf_counter() - started)

    base = statistics.median(r[4] for r in results.values())
    print(f"ledger: {n_rows:,} score rows ({db.name}); medians of {args.repeat}; baseline (open read-only, one pass over "
          f"every ledger row) {base:.3f} s; peak RSS of server and client {peak_rss_gb():.2f} GB")
    print("| page | cold s | cold × one ledger pass | cached s | HTML KB |\n|---|---:|---:|---:|---:|")
    for name, (seconds, ratio, cached, size, _) in results.items():
        print(f"| {name} | {seconds:.3f} | {ratio:.2f} | {cached:.3f} | {size / 1024:,.0f} |")
    print(f"| `cai report` (every model, trends, segments, CLV; plotly.js inlined) | {statistics.median(report_seconds):.3f} | "
          f"| | {out.stat().st_size / 1024:,.0f} |")
    if args.workdir is None:  # the built ledger takes hundreds of MB
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()
