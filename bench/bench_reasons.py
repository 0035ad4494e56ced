"""Benchmark: reason codes (Saabas paths in ONNX) against exact TreeSHAP on the demo's validation rows.

Trains the purchase spec as gradient-boosted trees on a demo customer base, takes the feature
rows at the first scoring date after the data (rows the explainer never saw: its per-leaf tables
are built from a sample of the validation snapshot at training), and compares, per row, the top-3
factors chosen by cai-sql's rule (largest contributions toward the customer's side of the
average; an attribute's one-hot levels summed into one factor, as users read them) from cai-sql's reason codes and from exact TreeSHAP (the `shap` package, `pip install -e '.[bench]'`),
both in log-odds. Prints the mean top-3 overlap (target ≥ 85%), exact top-1 agreement, and the
speed of each.

    .venv/bin/python bench/bench_reasons.py --customers 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np


def top(contributions: np.ndarray, k: int) -> np.ndarray:
    """Per row, the k features pulling hardest toward the row's side (the rule cai_explain uses)."""
    direction = np.where(contributions.sum(axis=1) >= 0, 1.0, -1.0)
    return np.argsort(-(contributions * direction[:, None]), axis=1, kind="stable")[:, :k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=5_000, help="rows to explain with TreeSHAP")
    args = parser.parse_args()
    import shap

    import cai_sql
    from cai_sql.demo import demo_spec_paths
    from cai_sql.training import train

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        files = cai_sql.generate(directory / "data", customers=args.customers, seed=3)
        con = cai_sql.connect(directory / "reasons.duckdb")
        cai_sql.ingest(con, files.events)
        cai_sql.ingest(con, files.profiles, profiles=True)
        spec = next(p for p in demo_spec_paths(directory / "data") if p.stem == "purchase_30d")
        now = dt.datetime.combine(files.end + dt.timedelta(days=1), dt.time())
        result = train(con, spec, now=now, algorithms=("hist_gradient_boosting",))
        record = result.record
        score_date = files.end + dt.timedelta(days=1)
        table = con.sql(f"SELECT feature_vector FROM cai_features_{record.model}_v{record.version}(DATE '{score_date}') "
                        "ORDER BY customer_id").to_arrow_table().column(0).combine_chunks()
        X = table.flatten().to_numpy(zero_copy_only=False).reshape(len(table), -1).astype(np.float32)
        X = X[np.random.default_rng(0).permutation(len(X))[: args.rows]]
        loaded = cai_sql.udfs.catalog(con).get(record.model, record.version)
        started = time.perf_counter()
        saabas = loaded.contributions(X).astype(np.float64)
        saabas_seconds = time.perf_counter() - started
        con.close()
    explainer = shap.TreeExplainer(result.estimator, model_output="raw")
    started = time.perf_counter()
    exact = np.asarray(explainer.shap_values(X.astype(np.float64)))
    shap_seconds = time.perf_counter() - started
    if exact.ndim == 3:  # some shap versions return one matrix per class
        exact = exact[..., -1] if exact.shape[-1] == 2 else exact[-1]
    p = result.estimator.predict_proba(X.astype(np.float64))[:, 1]
    margin = np.log(p / (1 - p))
    additivity = np.max(np.abs(loaded.bias + saabas.sum(axis=1) - margin))
    # the factors users read: an attribute's one-hot levels summed into one factor (cai_sql.factors)
    layout = loaded.factors
    saabas_factors, exact_factors = layout.group(saabas), layout.group(exact)
    ours, theirs = top(saabas_factors, 3), top(exact_factors, 3)
    overlap = np.mean([len(set(a) & set(b)) / 3 for a, b in zip(ours, theirs)])
    top1 = np.mean(ours[:, 0] == theirs[:, 0])
    by_size = np.mean([len(set(a) & set(b)) / 3 for a, b in zip(np.argsort(-np.abs(saabas_factors), axis=1)[:, :3],
                                                                  np.argsort(-np.abs(exact_factors), axis=1)[:, :3])])
    per_column = np.mean([len(set(a) & set(b)) / 3 for a, b in zip(top(saabas, 3), top(exact, 3))])
    print(f"{record.model} v{record.version} ({record.algorithm}, {record.n_features} features, validation AUC {record.auc:.3f}); "
          f"{len(X):,} rows scored at {score_date}")
    print(f"{len(layout.factors)} factors ({record.n_features} model columns; attributes grouped)")
    print(f"mean top-3 overlap with exact TreeSHAP: {overlap:.1%} (target ≥ 85%); same top factor: {top1:.1%}; "
          f"top-3 by |contribution| regardless of direction: {by_size:.1%}; per model column, ungrouped: {per_column:.1%}")
    print(f"cai-sql reason codes: bias + Σ contributions = margin within {additivity:.1e}; "
          f"{len(X) / saabas_seconds:,.0f} rows/s (one thread) vs TreeSHAP {len(X) / shap_seconds:,.0f} rows/s "
          f"({shap_seconds / saabas_seconds:,.0f}× slower)")


if __name__ == "__main__":
    main()
