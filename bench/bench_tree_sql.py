"""Benchmark: tree models as SQL macros — which SQL shape DuckDB evaluates well (docs/benchmarks.md, "Tree models as SQL").

A gradient-boosted model like the issue's first check (100 trees, depth ≤ 6, up to 31 leaves, 30
features with 10% missing values, fixed seeds) is compiled to SQL in several shapes; each scores the
same N rows (default 200,000) of a DuckDB table, next to raw onnxruntime on the same float32 matrix
(DuckDB's thread count), all in one run. Planning is timed on its own (``EXPLAIN`` of the query), and
execution is the full query minus it. Each step is timed in wall-clock seconds and in the process's
CPU seconds (all threads): on a shared machine the second is the steadier. Shapes:

score (probability):
* case_balanced  — shipped (cai_sql.tree_sql): one nested CASE per tree, the trees summed as a balanced tree
* case_chain     — the same CASEs summed left to right (a + b + c …): the first check's shape
* case_split4    — the balanced sum split over four macros of 25 trees, called from the score macro
* case_lambda    — the row's features bound once (a struct in a one-element list, lambda) around the CASEs
* quickscorer    — per tree, the AND of one bitmask per node (CASE on its comparison), leaf = lowest set bit
* array_walk     — per tree, node lists (feature, threshold, children) walked by list_reduce, depth steps
explain (reason codes):
* explain_top5   — shipped: cai_explain_<model>(row, 5): leaf slots in a struct, per-factor sums in a lambda, ranking
* contrib_struct — shipped contributions only (list_sum of _cai_tree_contributions_…)
* contrib_list   — the same with the leaf slots in a list instead of a struct
* contrib_unnest — per-leaf (factor, value) lists concatenated, summed per factor by a correlated subquery
creation: a 300-tree model compiled, rendered and created (the registration's cost), its text size and planning.
cli: the DuckDB 1.5.6 command-line binary (the duckdb-cli package, a separate process as a BI tool is) on a file
     (storage v1.4.0) holding the shipped 100-tree macros and the N rows: process start + open (``SELECT 1``),
     start + open + the first ``SELECT cai_score_bench(f) … LIMIT 1`` (planning dominated), the same for
     ``cai_explain_bench(f, 5)``, and start + open + a full ``sum(cai_score_bench(f))`` over the N rows; medians.

The slow shapes run on a tenth (or a twentieth) of the rows; rows/s are per their own row count.

    .venv/bin/python bench/bench_tree_sql.py --rows 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import statistics
import tempfile
import time

import numpy as np

FEATURES = 30


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn) -> tuple[float, float]:
    wall, used = time.perf_counter(), cpu()
    fn()
    return time.perf_counter() - wall, cpu() - used


def planning(profile: str) -> float:
    with open(profile, encoding="utf-8") as handle:
        phases = json.load(handle)
    return sum(float(phases[phase]["total_time"]) for phase in ("planner", "optimizer", "physical_planner"))


def model(trees: int, seed: int = 0, n: int = 20_000):
    """A fitted HistGradientBoostingClassifier on synthetic rows with missing values, its ONNX export and explainer."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from cai_sql.explain import build_explainer
    from cai_sql.export import export

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, FEATURES)).astype(np.float32).astype(np.float64)
    X[rng.random(X.shape) < 0.1] = np.nan
    logit = np.nansum(X[:, :8] * rng.normal(size=8), axis=1) + np.sin(np.nan_to_num(X[:, 8]) * 2)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    fitted = HistGradientBoostingClassifier(max_iter=trees, max_depth=6, early_stopping=False, random_state=seed).fit(X, y)
    exported = export(fitted, X[:2000], "bench")
    explainer, _ = build_explainer(fitted, "hist_gradient_boosting", exported.onnx, X[:2000])
    features = [{"name": f"f{j}", "description": f"Feature {j}", "kind": "count"} for j in range(FEATURES)]
    return X, exported.onnx, explainer, features


# --- the alternative shapes (text built here from the bench's own feature names f0 … f29) ------------

def num(value: float) -> str:
    if math.isinf(value):
        return "'inf'::DOUBLE" if value > 0 else "'-inf'::DOUBLE"
    text = repr(float(value))
    return text if "e" in text else text + "e0"


def case(nodes, node_id: int, ref, leaf) -> str:
    node = nodes[node_id]
    if node.leaf:
        return leaf(node_id, node)
    x, t = ref(node.feature), num(node.threshold)
    true, false = case(nodes, node.true, ref, leaf), case(nodes, node.false, ref, leaf)
    if node.missing_true:
        return f"CASE WHEN {x} > {t} THEN {false} ELSE {true} END"
    return f"CASE WHEN {x} <= {t} THEN {true} ELSE {false} END"


def balanced(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    return f"({balanced(parts[:middle])} + {balanced(parts[middle:])})"


def row_ref(j: int) -> str:
    return f"CAST(struct_extract(feature_row, 'f{j}') AS FLOAT)"


def value_leaf(_, node) -> str:
    return num(node.value)


def sigmoid(margin: str) -> str:
    return f"1.0e0 / (1.0e0 + exp(-({margin})))"


def chain_sql(ens) -> list[str]:
    terms = " + ".join(f"({case(nodes, 0, row_ref, value_leaf)})" for nodes in ens.trees)
    return [f"CREATE OR REPLACE MACRO bench_score(feature_row) AS {sigmoid(f'{num(ens.base)} + {terms}')}"]


def split_sql(ens, parts: int = 4) -> list[str]:
    statements, calls = [], []
    for p in range(parts):
        chunk = ens.trees[p * len(ens.trees) // parts:(p + 1) * len(ens.trees) // parts]
        statements.append(f"CREATE OR REPLACE MACRO bench_part{p}(feature_row) AS "
                          + balanced([case(nodes, 0, row_ref, value_leaf) for nodes in chunk]))
        calls.append(f"bench_part{p}(feature_row)")
    return statements + [f"CREATE OR REPLACE MACRO bench_score(feature_row) AS {sigmoid(num(ens.base) + ' + ' + balanced(calls))}"]


def lambda_sql(ens) -> list[str]:
    bound = "struct_pack(" + ", ".join(f"f{j} := {row_ref(j)}" for j in range(FEATURES)) + ")"
    margin = num(ens.base) + " + " + balanced([case(nodes, 0, lambda j: f"r.f{j}", value_leaf) for nodes in ens.trees])
    return [f"CREATE OR REPLACE MACRO bench_score(feature_row) AS list_element(list_transform([{bound}], lambda r: {sigmoid(margin)}), 1)"]


def quickscorer_sql(ens) -> list[str]:
    """Leaves numbered left to right; a false node clears its left subtree's bits; the exit leaf is the lowest set bit."""
    terms = []
    for nodes in ens.trees:
        order: list[int] = []
        left: dict[int, list[int]] = {}

        def walk(node_id: int) -> list[int]:
            node = nodes[node_id]
            if node.leaf:
                order.append(node_id)
                return [node_id]
            below = walk(node.true)
            left[node_id] = below
            return below + walk(node.false)

        walk(0)
        position = {node_id: i for i, node_id in enumerate(order)}
        full = (1 << len(order)) - 1
        masks = []
        for node_id, cleared in left.items():
            node, mask = nodes[node_id], full
            for leaf in cleared:
                mask &= ~(1 << position[leaf])
            x, t = row_ref(node.feature), num(node.threshold)
            masks.append(f"CASE WHEN {x} > {t} THEN {mask} ELSE {full} END" if node.missing_true
                         else f"CASE WHEN {x} <= {t} THEN {full} ELSE {mask} END")
        m = "(" + " & ".join(f"({mk})" for mk in masks) + ")::BIGINT"
        values = "[" + ", ".join(num(nodes[leaf].value) for leaf in order) + "]"
        terms.append(f"list_element({values}, bit_count(({m} & -{m}) - 1)::INTEGER + 1)")
    return [f"CREATE OR REPLACE MACRO bench_score(feature_row) AS {sigmoid(num(ens.base) + ' + ' + balanced(terms))}"]


def array_walk_sql(ens) -> list[str]:
    """Per tree: node lists indexed by node id + 1; a leaf points at itself, so extra steps stay on it."""
    terms = []
    vector = "CAST([" + ", ".join(row_ref(j) for j in range(FEATURES)) + "] AS DOUBLE[])"
    for nodes in ens.trees:
        size = max(nodes) + 1
        feature, threshold, true, false, missing, value = ([0] * size, [0.0] * size, [0] * size, [0] * size,
                                                           [False] * size, [0.0] * size)
        depth = {0: 0}
        for node_id in sorted(nodes):
            node = nodes[node_id]
            if node.leaf:
                true[node_id] = false[node_id] = node_id
                value[node_id] = node.value
                feature[node_id] = 1
                threshold[node_id] = math.inf
            else:
                feature[node_id], threshold[node_id] = node.feature + 1, node.threshold
                true[node_id], false[node_id], missing[node_id] = node.true, node.false, node.missing_true
                depth[node.true] = depth[node.false] = depth[node_id] + 1
        steps = max(depth.values())
        lists = {name: "[" + ", ".join(items) + "]" for name, items in (
            ("F", map(str, feature)), ("T", map(num, threshold)), ("L", (str(v + 1) for v in true)),
            ("R", (str(v + 1) for v in false)), ("M", ("true" if v else "false" for v in missing)))}
        step = (f"CASE WHEN coalesce(list_element(v, list_element({lists['F']}, n)) <= list_element({lists['T']}, n), "
                f"list_element(v, list_element({lists['F']}, n)) IS NULL AND list_element({lists['M']}, n)) "
                f"THEN list_element({lists['L']}, n) ELSE list_element({lists['R']}, n) END")
        walk = f"list_reduce(range({steps}), lambda n, _: {step}, 1)"
        terms.append(f"list_element([{', '.join(num(v) for v in value)}], {walk})")
    margin = num(ens.base) + " + " + balanced(terms)
    return [f"CREATE OR REPLACE MACRO bench_score(feature_row) AS list_element(list_transform([{vector}], lambda v: "
            f"{sigmoid(margin)}), 1)"]


def contributions_variant(ens, explainer_onnx, features, how: str) -> list[str]:
    from cai_sql.factors import factor_layout
    from cai_sql.tree_sql import leaf_contributions

    layout = factor_layout(features)
    per_leaf = leaf_contributions(explainer_onnx, layout, len(ens.trees))
    slots = [ens.leaf_slots(t) for t in range(len(ens.trees))]
    if how == "unnest":
        parts = []
        for t, nodes in enumerate(ens.trees):
            def entries(node_id, _, t=t):
                pairs = per_leaf[t].get(node_id, {})
                return "[" + ", ".join(f"{{'f': {j}, 'v': {num(v)}}}" for j, v in sorted(pairs.items())) + "]" if pairs \
                    else "[{'f': 0, 'v': 0.0e0}]"
            parts.append(case(nodes, 0, row_ref, entries))
        return [f"CREATE OR REPLACE MACRO bench_contrib(feature_row) AS (SELECT list(v ORDER BY f) FROM (SELECT e.f AS f, "
                f"sum(e.v) AS v FROM (SELECT unnest(list_concat({', '.join(parts)})) AS e) GROUP BY e.f))"]
    leaves = ", ".join(case(nodes, 0, row_ref, lambda node_id, _, t=t: str(slots[t][node_id])) for t, nodes in enumerate(ens.trees))
    sums = []
    for j in range(len(layout.factors)):
        terms = [f"list_element([{', '.join(num(per_leaf[t].get(leaf, {}).get(j, 0.0)) for leaf in slots[t])}], leaf[{t + 1}])"
                 for t in range(len(ens.trees)) if any(per_leaf[t].get(leaf, {}).get(j, 0.0) for leaf in slots[t])]
        sums.append(balanced(terms) if terms else "0.0e0")
    return [f"CREATE OR REPLACE MACRO bench_contrib(feature_row) AS list_element(list_transform([[{leaves}]], "
            f"lambda leaf: [{', '.join(sums)}]), 1)"]


def cli_step(con, texts: dict[str, str], repeat: int, n: int, expected_sum: float) -> None:
    """The shipped macros and the rows in a v1.4.0 file, used by the DuckDB 1.5.6 CLI binary in fresh processes."""
    import subprocess
    import sys

    binary = os.path.join(os.path.dirname(sys.executable), "duckdb")
    path = os.path.join(tempfile.mkdtemp(prefix="bench_tree_cli_"), "trees.duckdb")
    con.execute(f"ATTACH '{path}' AS cli_file (STORAGE_VERSION 'v1.4.0')")
    con.execute("CREATE TABLE cli_file.bench_rows AS SELECT * FROM bench_rows")
    con.execute("USE cli_file")
    for name, text in texts.items():  # the macros under the names a model's get: cai_score_<model>, cai_explain_<model>
        renamed = {"bench_score": "cai_score_bench", "_bench_contributions": "_cai_tree_contributions_bench_v1",
                   "bench_explain": "cai_explain_bench"}
        for old, new in renamed.items():  # (sqlglot writes function calls in capitals)
            text = re.sub(rf"\b{old}\(", f"{new}(", text, flags=re.IGNORECASE)
        con.execute(text)
    con.execute("USE memory")
    con.execute("DETACH cli_file")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.split()[0]
    steps = {
        "start + open, SELECT 1": ["SELECT 1"],
        "start + open + first score (LIMIT 1)": ["SELECT cai_score_bench(f) FROM bench_rows AS f LIMIT 1"],
        "start + open + first explain top 5 (LIMIT 1)": ["SELECT cai_explain_bench(f, 5) FROM bench_rows AS f LIMIT 1"],
        f"start + open + score all {n:,} rows": ["SELECT sum(cai_score_bench(f)) AS s FROM bench_rows AS f"],
    }
    print(f"\nDuckDB CLI {version} ({binary}), fresh process per query, file {os.path.getsize(path) / 1e6:.1f} MB; medians of {repeat}:",
          flush=True)
    medians = {}
    for label, statements in steps.items():
        seconds = []
        for _ in range(repeat):
            command = [binary, "-readonly", "-json", path, "-c", "SET enable_progress_bar = false"]
            for statement in statements:
                command += ["-c", statement]
            started = time.perf_counter()
            out = subprocess.run(command, capture_output=True, text=True, timeout=600)
            seconds.append(time.perf_counter() - started)
            assert out.returncode == 0 and not out.stderr, out.stderr
            if "sum(" in statements[-1]:
                total = json.loads(out.stdout)[0]["s"]
                assert abs(total - expected_sum) < 1e-3 * n ** 0.5, (total, expected_sum)
        medians[label] = statistics.median(seconds)
        print(f"  {label:48s} {medians[label]:6.2f} s  (runs: {', '.join(f'{s:.2f}' for s in seconds)})", flush=True)
    full = medians[f"start + open + score all {n:,} rows"] - medians["start + open + first score (LIMIT 1)"]
    rate = f"{n / full:,.0f} rows/s after planning" if full > 0 else "within the noise of planning"
    print(f"  full query minus the first-row query: {full:.2f} s: {rate}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--skip-creation", action="store_true", help="skip the 300-tree creation step")
    parser.add_argument("--skip-cli", action="store_true", help="skip the DuckDB CLI step")
    parser.add_argument("--shapes", nargs="*", help="measure only these shapes (default: all); none: creation only")
    args = parser.parse_args()

    import duckdb
    import onnxruntime as ort
    import pyarrow as pa

    from cai_sql import tree_sql

    started = time.perf_counter()
    X, classifier, explainer, features = model(100)
    ens = tree_sql.ensemble(classifier)
    print(f"model: {len(ens.trees)} trees, {ens.n_leaves:,} leaves, {FEATURES} features; {args.rows:,} rows; "
          f"{args.threads} threads; fitted in {time.perf_counter() - started:.1f} s", flush=True)
    rows = X[np.random.default_rng(1).choice(len(X), args.rows)]
    X32 = np.ascontiguousarray(rows, dtype=np.float32)
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.register("bench_source", pa.table({f"f{j}": pa.array(X32[:, j].astype(np.float64), mask=np.isnan(X32[:, j]))
                                           for j in range(FEATURES)}))
    con.execute("CREATE TABLE bench_rows AS SELECT row_number() OVER () AS row_id, * FROM bench_source")
    for fraction in (10, 20):
        con.execute(f"CREATE TABLE bench_rows_{fraction} AS SELECT * FROM bench_rows WHERE row_id % {fraction} = 0")
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    session = ort.InferenceSession(classifier, options, providers=["CPUExecutionProvider"])
    output = next(o.name for o in session.get_outputs() if len(o.shape) == 2)
    expected = session.run([output], {"features": X32})[0][:, 1]

    shipped_names = ("bench_score", "_bench_contributions", "bench_explain")
    shipped = tree_sql.compile_trees(classifier, explainer.onnx, features).render(*shipped_names)
    score_shapes = {
        "case_balanced": ([shipped["bench_score"]], 1),
        "case_chain": (chain_sql(ens), 1),
        "case_split4": (split_sql(ens), 1),
        "case_lambda": (lambda_sql(ens), 10),
        "quickscorer": (quickscorer_sql(ens), 1),
        "array_walk": (array_walk_sql(ens), 20),
    }
    explain_shapes = {
        "explain_top5": (list(shipped.values()), "len(bench_explain(f, 5))", 1),
        "contrib_struct": ([shipped["_bench_contributions"]], "list_sum(_bench_contributions(f))", 1),
        "contrib_list": (contributions_variant(ens, explainer.onnx, features, "list"), "list_sum(bench_contrib(f))", 1),
        "contrib_unnest": (contributions_variant(ens, explainer.onnx, features, "unnest"), "list_sum(bench_contrib(f))", 1),
    }

    results: dict[str, dict] = {}
    profile = os.path.join(tempfile.mkdtemp(prefix="bench_tree_sql_"), "profile.json")
    # DuckDB's own phase timings of a profiled run of each query (binding, optimizing, physical planning; single-
    # threaded) are taken out of the wall and CPU time of the same query run unprofiled (profiling prints the
    # whole expression, and EXPLAIN would too, which costs more than planning it).
    con.execute("SET enable_profiling = 'json'")
    con.execute(f"SET profiling_output = '{profile}'")
    con.execute("SET profiling_mode = 'detailed'")

    def run_onnx() -> tuple[float, float]:
        return timed(lambda: session.run([output], {"features": X32}))

    def measure(name: str, statements: list[str], expression: str, fraction: int, check: bool) -> None:
        table = "bench_rows" if fraction == 1 else f"bench_rows_{fraction}"
        n = args.rows if fraction == 1 else con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        create, _ = timed(lambda: [con.execute(s) for s in statements])
        query = f"SELECT sum({expression}) FROM {table} AS f"
        entry = {"text_kb": sum(map(len, statements)) / 1e3, "create_s": create, "rows": n, "rounds": []}
        for _ in range(args.repeat):
            con.execute("SET enable_profiling = 'json'")
            con.execute(query).fetchall()
            plan = planning(profile)
            con.execute("SET enable_profiling = 'no_output'")
            total_wall, total_cpu = timed(lambda: con.execute(query).fetchall())
            onnx_wall, onnx_cpu = run_onnx()
            entry["rounds"].append({"plan_wall": plan, "plan_cpu": plan,
                                    "exec_wall": total_wall - plan, "exec_cpu": total_cpu - plan,
                                    "onnx_rate_wall": args.rows / onnx_wall, "onnx_rate_cpu": args.rows / onnx_cpu})
        if check:
            got = con.execute(f"SELECT {expression} FROM {table} AS f ORDER BY row_id").fetchnumpy()
            ids = con.execute(f"SELECT row_id FROM {table} ORDER BY row_id").fetchnumpy()["row_id"] - 1
            entry["max_abs_difference"] = float(np.max(np.abs(np.asarray(next(iter(got.values())), dtype=float)
                                                              - expected[ids])))
        results[name] = entry
        r = entry["rounds"]
        median = {key: statistics.median(x[key] for x in r) for key in r[0]}
        rate_wall, rate_cpu = n / median["exec_wall"], n / median["exec_cpu"]
        entry.update(rate_wall=rate_wall, rate_cpu=rate_cpu, plan_wall=median["plan_wall"], plan_cpu=median["plan_cpu"],
                     ratio_wall=statistics.median(n / x["exec_wall"] / x["onnx_rate_wall"] for x in r),
                     ratio_cpu=statistics.median(n / x["exec_cpu"] / x["onnx_rate_cpu"] for x in r),
                     onnx_rate_wall=median["onnx_rate_wall"], onnx_rate_cpu=median["onnx_rate_cpu"])
        diff = f"; max |Δp| vs onnxruntime {entry['max_abs_difference']:.1e}" if "max_abs_difference" in entry else ""
        print(f"{name:15s} text {entry['text_kb']:7.0f} KB  create {create:5.2f} s  plan {median['plan_wall']:5.2f} s "
              f"(cpu {median['plan_cpu']:5.2f})  exec {rate_wall:9,.0f} rows/s  {rate_cpu:9,.0f} rows/cpu-s  "
              f"× onnxruntime {entry['ratio_wall']:.2f} (cpu {entry['ratio_cpu']:.2f}){diff}", flush=True)

    print(f"onnxruntime (same rows, {args.threads} threads): first round "
          f"{args.rows / run_onnx()[0]:,.0f} rows/s", flush=True)
    wanted = set(args.shapes) if args.shapes is not None else set(score_shapes) | set(explain_shapes)
    for name, (statements, fraction) in score_shapes.items():
        if name in wanted:
            measure(name, statements, "bench_score(f)", fraction, check=True)
    for name, (statements, expression, fraction) in explain_shapes.items():
        if name in wanted:
            measure(name, statements, expression, fraction, check=False)
    if {"case_balanced", "explain_top5"} <= set(results):
        score, top5 = results["case_balanced"], results["explain_top5"]
        print(f"\ntargets: score macro × onnxruntime {score['ratio_wall']:.2f} wall, {score['ratio_cpu']:.2f} cpu (target ≥ 0.3); "
              f"explain top-5 × score macro {top5['rate_wall'] / score['rate_wall']:.2f} wall, "
              f"{top5['rate_cpu'] / score['rate_cpu']:.2f} cpu (target ≥ 0.15)", flush=True)

    if not args.skip_cli:
        cli_step(con, shipped, args.repeat, args.rows, float(expected.sum()))

    if not args.skip_creation:
        X300, classifier300, explainer300, features300 = model(300, seed=2)
        fresh = duckdb.connect()
        names = ("cai_score_bench", "_cai_tree_contributions_bench_v1", "cai_explain_bench")

        parts: dict[str, float] = {}

        def create() -> None:
            t0 = time.perf_counter()
            compiled = tree_sql.compile_trees(classifier300, explainer300.onnx, features300)
            t1 = time.perf_counter()
            texts = compiled.render(*names)
            t2 = time.perf_counter()
            for text in texts.values():
                fresh.execute(text)
            parts.update(compile=t1 - t0, render=t2 - t1, create=time.perf_counter() - t2)
            create.texts = texts  # type: ignore[attr-defined]

        wall, used = timed(create)
        texts = create.texts  # type: ignore[attr-defined]
        ens300 = tree_sql.ensemble(classifier300)
        fresh.execute("CREATE TABLE r AS SELECT " + ", ".join(f"random() AS f{j}" for j in range(FEATURES)) + " FROM range(1000)")
        fresh.execute("SET enable_profiling = 'json'")
        fresh.execute(f"SET profiling_output = '{profile}'")
        fresh.execute("SET profiling_mode = 'detailed'")
        fresh.execute("SELECT sum(cai_score_bench(f)) FROM r AS f").fetchall()
        plan_score = planning(profile)
        fresh.execute("SELECT sum(len(cai_explain_bench(f, 5))) FROM r AS f").fetchall()
        plan_explain = planning(profile)
        print(f"\ncreation, 300 trees ({ens300.n_leaves:,} leaves): compile + render + CREATE {wall:.2f} s (cpu {used:.2f}; "
              f"target ≤ 5 s: compile {parts['compile']:.2f}, render (sqlglot) {parts['render']:.2f}, CREATE {parts['create']:.2f}); text {sum(map(len, texts.values())) / 1e3:,.0f} KB "
              f"(score {len(texts[names[0]]) / 1e3:,.0f}, contributions {len(texts[names[1]]) / 1e3:,.0f}); "
              f"planning per query: score {plan_score:.2f} s, explain {plan_explain:.2f} s", flush=True)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
