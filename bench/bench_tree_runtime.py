"""Benchmark: the tree runtime behind `cai_score` — onnxruntime against XGBoost's predictor (issue 20).

Data: bench_scoring.py's (a 20,000-customer demo base, the purchase spec trained as gradient-boosted
trees, its real feature rows resampled to N rows in a table; reuse its ``--workdir``). One connection;
the version loads with XGBoost and its trees are set aside for the onnxruntime steps, in alternating
rounds:

* score_onnxruntime / score_xgboost — SELECT sum(cai_score('m', f)) FROM the table
* reasons — the scoring run's function (probability, score, top-5 reasons): onnxruntime's ranked
  explainer graph on either connection (the run UDF does not use the fast runtime)

Medians of the rounds, and each ratio as the median of per-round ratios (the two steps of a round
run back to back). Then, on 100,000 rows in one thread and 2,048-row batches (DuckDB's batch), the
tree walks alone: onnxruntime's classifier against XGBoost's, and onnxruntime's ranked explainer
graph against the reason-code ensemble as an XGBoost model with a vector per leaf followed by the
ranking graph (the alternative measured for reason codes). Parity: every row's probability from both
connections. Peak RSS: one score query per runtime, each in a fresh process.

    .venv/bin/python bench/bench_scoring.py --workdir /tmp/cai-bench --run-rows 0 --repeat 1   # prepares
    .venv/bin/python bench/bench_tree_runtime.py --workdir /tmp/cai-bench --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SPEC = "purchase_30d"


def sql_rounds(db: Path, version: int, repeat: int) -> dict:
    """One connection (DuckDB registers a Python function once per database instance); the version's
    loaded XGBoost trees are set aside for the onnxruntime steps, as ``CAI_TREE_RUNTIME=onnxruntime`` would."""
    import numpy as np

    import cai_sql
    from cai_sql import udfs

    os.environ["CAI_TREE_RUNTIME"] = "xgboost"
    con = cai_sql.connect(db)
    loaded = udfs.catalog(con).get(SPEC, version)
    assert loaded.runtime == "xgboost", loaded.runtime
    trees = loaded._sessions["trees"]

    def use(runtime: str) -> None:
        loaded._sessions["trees"] = trees if runtime == "xgboost" else None

    n = con.sql(f"SELECT count(*) FROM bench_v{version}").fetchall()[0][0]
    score = f"SELECT sum(cai_score('{SPEC}', f, {version})) FROM bench_v{version} AS f"
    reasons = (f"SELECT sum(r.probability) + sum(len(r.influential_factors)) FROM (SELECT _cai_score_run('{SPEC}', "
               f"{version}, f.feature_vector, f.feature_set, 5) AS r FROM bench_v{version} AS f)")
    steps = {"score_onnxruntime": ("onnxruntime", score), "score_xgboost": ("xgboost", score),
             "reasons_onnxruntime": ("onnxruntime", reasons), "reasons_xgboost": ("xgboost", reasons)}
    times = {name: [] for name in steps}
    cpu = {name: [] for name in steps}
    results = {}
    for _ in range(repeat):
        for name, (runtime, sql) in steps.items():
            use(runtime)
            started, cpu_started = time.perf_counter(), time.process_time()
            results[name] = con.sql(sql).fetchall()[0][0]
            times[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - cpu_started)
    every = f"SELECT cai_score('{SPEC}', f, {version}) FROM bench_v{version} AS f ORDER BY rowid"
    p = {}
    for runtime in ("onnxruntime", "xgboost"):
        use(runtime)
        p[runtime] = np.array([r[0] for r in con.sql(every).fetchall()])
    con.close()
    return {"rows": n, "times": times, "cpu": cpu, "results": results,
            "max_abs_difference": float(np.max(np.abs(p["xgboost"] - p["onnxruntime"])))}


def walks(db: Path, version: int, repeat: int, rows: int = 100_000) -> dict:
    """The tree walks alone, one thread, 2,048-row batches (CPU µs per row)."""
    import duckdb
    import numpy as np

    from cai_sql import tree_runtime as tr
    from cai_sql.explain import CONTRIBUTIONS, with_top_factors
    from cai_sql.export import INPUT_NAME, probabilities_output, session
    from cai_sql.factors import factor_layout
    from cai_sql.tree_sql import routing
    import onnx

    con = duckdb.connect(str(db), read_only=True)
    onnx_bytes, explainer, bias, features = con.execute(
        "SELECT onnx, explainer, explainer_bias, features FROM cai_models WHERE model = $m AND version = $v",
        {"m": SPEC, "v": version}).fetchall()[0]
    vectors = con.sql(f"SELECT feature_vector FROM bench_v{version} LIMIT {rows}").to_arrow_table().column(0).combine_chunks()
    con.close()
    X = vectors.flatten().to_numpy(zero_copy_only=False).reshape(len(vectors), -1).astype(np.float32)
    n, width = X.shape
    ranked = with_top_factors(bytes(explainer), bias, factor_layout(json.loads(features)))
    trees = tr.XGBoostTrees(tr.derive(bytes(onnx_bytes), width))
    # the reason-code ensemble as one XGBoost model with a vector per leaf, then the rest of the ranked graph
    model = onnx.load_from_string(ranked)
    regressor = next(node for node in model.graph.node if node.op_type == "TreeEnsembleRegressor")
    a = {attribute.name: onnx.helper.get_attribute_value(attribute) for attribute in regressor.attribute}
    explained = routing(a)
    column, fills, extra = tr._columns(list(explained.values()), width)
    leaf_vectors: dict[int, dict[int, np.ndarray]] = {tree: {} for tree in explained}
    for tree, leaf, target, weight in zip(a["target_treeids"], a["target_nodeids"], a["target_ids"], a["target_weights"]):
        leaf_vectors[tree].setdefault(int(leaf), np.zeros(width, np.float32))[int(target)] += np.float32(weight)
    vector_trees = [tr._tree_json(t, explained[tree], width + len(extra), leaf_vectors[tree], width, column)
                    for t, tree in enumerate(sorted(explained))]
    vector_model = tr._booster(tr._model_json(vector_trees, width + len(extra), width, [0.0] * width))
    filler = tr.XGBoostTrees(tr.Derived(trees.derived.classifier, 0.0, width, np.asarray(fills, np.float32), tuple(extra)))
    model.graph.node.remove(regressor)
    model.graph.input.append(onnx.helper.make_tensor_value_info(CONTRIBUTIONS, onnx.TensorProto.FLOAT, [None, width]))
    ranking = session(model.SerializeToString())
    classifier, ranked_session = session(bytes(onnx_bytes)), session(ranked)
    output = probabilities_output(classifier)
    k = np.array([5], np.int64)

    def vector_reasons(batch):
        contributions = vector_model.inplace_predict(filler._input(batch), predict_type="margin", missing=np.nan,
                                                     validate_features=False).reshape(len(batch), width)
        return ranking.run(None, {INPUT_NAME: batch, "k": k, CONTRIBUTIONS: np.ascontiguousarray(contributions)})

    steps = {
        "walk_onnxruntime": lambda batch: classifier.run([output], {INPUT_NAME: batch}),
        "walk_xgboost": trees.probabilities,
        "reasons_graph_onnxruntime": lambda batch: ranked_session.run(None, {INPUT_NAME: batch, "k": k}),
        "reasons_vector_leaves_xgboost": vector_reasons,
    }
    batches = [np.ascontiguousarray(X[i:i + 2048]) for i in range(0, n, 2048)]
    check = (ranked_session.run(None, {INPUT_NAME: X, "k": k}), vector_reasons(X))
    us = {name: [] for name in steps}
    for _ in range(repeat):
        for name, step in steps.items():
            started = time.process_time()
            for batch in batches:
                step(batch)
            us[name].append((time.process_time() - started) / n * 1e6)
    (p_onnx,) = classifier.run([output], {INPUT_NAME: X})
    return {"walk_rows": n, "us": us,
            "walk_max_abs_difference": float(np.max(np.abs(trees.probabilities(X) - p_onnx[:, 1]))),
            "vector_contribution_max_abs_difference": float(np.max(np.abs(check[0][2] - check[1][2]))),
            "vector_same_codes": float(np.mean((check[0][4] == check[1][4]).all(axis=1)))}


def peak(db: Path, version: int, runtime: str) -> float:
    """Peak RSS (GB) of a fresh process running one score query with ``runtime``."""
    out = subprocess.run([sys.executable, __file__, "--step", "peak", "--db", str(db), "--version", str(version),
                          "--runtime", runtime], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def median_ratio(rounds: dict, base: str, this: str) -> float:
    return statistics.median(b / t for b, t in zip(rounds[base], rounds[this]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, help="bench_scoring.py's prepared --workdir (required)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--step", choices=["peak"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--version", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--runtime", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "peak":
        import cai_sql
        from cai_sql import udfs

        os.environ["CAI_TREE_RUNTIME"] = args.runtime
        con = cai_sql.connect(args.db)
        assert udfs.catalog(con).get(SPEC, args.version).runtime.startswith(args.runtime)
        con.sql(f"SELECT sum(cai_score('{SPEC}', f, {args.version})) FROM bench_v{args.version} AS f").fetchall()
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2)
        return
    if args.workdir is None:
        parser.error("--workdir is required: prepare it with bench/bench_scoring.py --workdir DIR")
    db = args.workdir / "bench.duckdb"
    version = json.loads((args.workdir / "versions.json").read_text())["trees"]
    figures = sql_rounds(db, version, args.repeat)
    figures.update(walks(db, version, args.repeat))
    figures["peak_gb"] = {runtime: peak(db, version, runtime) for runtime in ("onnxruntime", "xgboost")}
    (args.workdir / "tree_runtime.json").write_text(json.dumps(figures))
    n, times, cpu = figures["rows"], figures["times"], figures["cpu"]
    print(f"{n:,} rows; medians of {args.repeat} alternating rounds; load average {os.getloadavg()[0]:.1f} at the end")
    print("| step | median s | rows/s | CPU s | ratio (median of per-round ratios; in brackets: of CPU s) |")
    print("|---|---:|---:|---:|---|")
    for label, key, base in [
        ("`cai_score`, onnxruntime", "score_onnxruntime", None),
        ("`cai_score`, XGBoost", "score_xgboost", "score_onnxruntime"),
        ("score + top-5 reasons (run UDF), onnxruntime connection", "reasons_onnxruntime", None),
        ("score + top-5 reasons (run UDF), XGBoost connection", "reasons_xgboost", "reasons_onnxruntime"),
    ]:
        median, median_cpu = statistics.median(times[key]), statistics.median(cpu[key])
        ratio = ""
        if base:
            ratio = (f"**{median_ratio(times, base, key):.2f}×** ({statistics.median(cpu[base]) / median_cpu:.2f}×)")
        print(f"| {label} | {median:.2f} | {n / median:,.0f} | {median_cpu:.2f} | {ratio} |")
    us = figures["us"]
    print(f"\nTree walks alone, {figures['walk_rows']:,} rows, one thread, 2,048-row batches (CPU µs per row, medians):")
    for key, value in us.items():
        print(f"  {key}: {statistics.median(value):.2f}")
    print(f"  walk ratio onnxruntime/XGBoost: {median_ratio(us, 'walk_onnxruntime', 'walk_xgboost'):.2f}×; "
          f"reasons ratio ranked graph/vector leaves: "
          f"{median_ratio(us, 'reasons_graph_onnxruntime', 'reasons_vector_leaves_xgboost'):.2f}×")
    print(f"parity: every row's cai_score, max |XGBoost − onnxruntime| = {figures['max_abs_difference']:.1e}; "
          f"walk alone {figures['walk_max_abs_difference']:.1e}; vector-leaf contributions "
          f"{figures['vector_contribution_max_abs_difference']:.1e}, same top-5 codes on "
          f"{figures['vector_same_codes']:.1%} of rows")
    print(f"peak RSS, one score query in a fresh process: onnxruntime {figures['peak_gb']['onnxruntime']:.2f} GB, "
          f"XGBoost {figures['peak_gb']['xgboost']:.2f} GB")


if __name__ == "__main__":
    main()
