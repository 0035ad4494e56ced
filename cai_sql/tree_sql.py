"""Tree models as persisted SQL macros: ``cai_score_<model>(row)`` and ``cai_explain_<model>(row, k)``.

Python UDFs exist only in the process that registered them, so without these macros a gradient-
boosted model scores nowhere but in Python; with them any DuckDB client (the CLI, a BI tool) scores
and explains live, and the same SQL can run where no ONNX runtime exists.

What is compiled is the registered contract, not the scikit-learn object: the trees of the ONNX
classifier (its float32 thresholds, its missing-value directions, its leaf values and base value)
and the per-leaf factor contributions of the reason-code graph. So the macros route every row
exactly as onnxruntime does, and registration checks that they do (``check``: probabilities within
``SQL_PARITY_TOLERANCE``, the same top-k factor codes) before they are created.

The SQL shape was chosen by measurement (bench/bench_tree_sql.py, docs/benchmarks.md "Tree models
as SQL"): one nested ``CASE`` per tree, the trees summed as a *balanced* tree of additions (a left-deep
chain made DuckDB's common-subexpression pass quadratic: 5–7 s of planning for 100 trees instead of
1–2 s). Features are read as ``CAST(struct_extract(row, name) AS FLOAT)``: the float32 value the ONNX
model sees. A node whose missing values go to its true branch is written ``CASE WHEN x > t THEN
false ELSE true END``, so NULL falls through to the right branch with no extra test. Reason codes
take each tree's leaf (a slot number, from the same CASE shape) once into a struct, then sum, per
factor, constant per-leaf lists indexed by slot inside one lambda; the values sit in the macro text,
so the model's integrity hash covers them.

Planning cost grows with the number of leaves, so models above ``MAX_SQL_LEAVES`` (trees × leaves,
summed) get no macro; they keep scoring through the ONNX functions and registration says so.
"""

from __future__ import annotations

import contextlib
import gc
import math
from dataclasses import dataclass

import numpy as np
import onnx
import sqlglot
from onnx import helper
from sqlglot import exp

from .errors import CaiError
from .factors import FactorLayout, factor_layout
from .macros import explain_lists, render_create, render_query
from .sqlfiles import sql_text
from .sqltree import DIALECT

# Σ leaves over all trees above which no macro is compiled: every leaf costs DuckDB ~0.2–0.4 ms of
# planning per query that calls the score macro (twice that for explain), and SQL text grows with it.
MAX_SQL_LEAVES = 12_000
SQL_PARITY_TOLERANCE = 1e-6  # |probability(SQL) − probability(ONNX)| on the checked rows
CONTRIBUTION_TOLERANCE = 1e-5  # float32 (ONNX) vs double (SQL) sums: factors closer than this may swap ranks
PARITY_ROWS = 5_000  # validation rows checked at registration (a seeded sample above this)
CHECK_FACTORS = 5


class TreeSQLError(CaiError):
    """A tree model cannot be (or was not faithfully) compiled to SQL macros."""


@dataclass(frozen=True)
class Node:
    feature: int
    threshold: float
    true: int
    false: int
    missing_true: bool
    leaf: bool
    value: float = 0.0


@dataclass(frozen=True)
class Ensemble:
    """The trees of a binary ONNX tree classifier: P(1) = sigmoid(base + Σ leaf values)."""

    trees: tuple[dict[int, Node], ...]
    base: float

    @property
    def n_leaves(self) -> int:
        return sum(node.leaf for tree in self.trees for node in tree.values())

    def leaf_slots(self, tree: int) -> dict[int, int]:
        """A tree's leaves (node ids, ascending) numbered 1, 2, …: the index into its per-leaf lists."""
        return {node_id: slot for slot, node_id in enumerate(sorted(n for n, node in self.trees[tree].items() if node.leaf), 1)}


def _attributes(model_onnx: bytes, op_type: str) -> dict:
    graph = onnx.load_from_string(model_onnx).graph
    nodes = [n for n in graph.node if n.op_type == op_type]
    if len(nodes) != 1:
        raise TreeSQLError(f"the model is not a single {op_type} ({', '.join(n.op_type for n in graph.node)})")
    return {a.name: helper.get_attribute_value(a) for a in nodes[0].attribute}


def routing(a: dict) -> dict[int, dict[int, Node]]:
    """Per tree id, node id → Node (leaf values 0) from the attributes of an ONNX tree ensemble whose splits are
    all ``BRANCH_LEQ`` (the classifier and the reason-code graph share them)."""
    modes = {bytes(m) for m in a["nodes_modes"]}
    if not modes <= {b"BRANCH_LEQ", b"LEAF"}:
        raise TreeSQLError(f"unsupported split modes {sorted(m.decode() for m in modes - {b'BRANCH_LEQ', b'LEAF'})}")
    trees: dict[int, dict[int, Node]] = {}
    missing = a.get("nodes_missing_value_tracks_true") or [0] * len(a["nodes_nodeids"])
    for i, (tree, node_id) in enumerate(zip(a["nodes_treeids"], a["nodes_nodeids"])):
        trees.setdefault(tree, {})[node_id] = Node(
            feature=int(a["nodes_featureids"][i]), threshold=float(a["nodes_values"][i]), true=int(a["nodes_truenodeids"][i]),
            false=int(a["nodes_falsenodeids"][i]), missing_true=bool(missing[i]), leaf=bytes(a["nodes_modes"][i]) == b"LEAF")
    return trees


def ensemble(classifier_onnx: bytes) -> Ensemble:
    """The trees of the registered ONNX classifier, as onnxruntime routes them."""
    a = _attributes(classifier_onnx, "TreeEnsembleClassifier")
    if bytes(a.get("post_transform", b"NONE")) != b"LOGISTIC" or len(a.get("base_values", [0.0])) != 1 \
            or set(a["class_ids"]) != {0}:
        raise TreeSQLError("only binary classifiers with a logistic output are compiled to SQL")
    trees = routing(a)
    values: dict[tuple[int, int], float] = {}
    for tree, node_id, weight in zip(a["class_treeids"], a["class_nodeids"], a["class_weights"]):
        values[(tree, node_id)] = values.get((tree, node_id), 0.0) + float(weight)
    ordered = []
    for tree in sorted(trees):
        nodes = trees[tree]
        ordered.append({n: Node(**{**node.__dict__, "value": values.get((tree, n), 0.0)}) if node.leaf else node
                        for n, node in nodes.items()})
    return Ensemble(tuple(ordered), float(a.get("base_values", [0.0])[0]))


def leaf_contributions(explainer_onnx: bytes, layout: FactorLayout, n_trees: int) -> list[dict[int, dict[int, float]]]:
    """Per tree, leaf node id → {factor index: contribution}: the reason-code graph's per-leaf targets, each
    feature column's weight added to its factor (an attribute's levels into one factor)."""
    a = _attributes(explainer_onnx, "TreeEnsembleRegressor")
    to_factor = {column: j for j, factor in enumerate(layout.factors) for column in factor.columns}
    per_tree: list[dict[int, dict[int, float]]] = [{} for _ in range(n_trees)]
    for tree, leaf, target, weight in zip(a["target_treeids"], a["target_nodeids"], a["target_ids"], a["target_weights"]):
        factors = per_tree[tree].setdefault(int(leaf), {})
        factors[to_factor[int(target)]] = factors.get(to_factor[int(target)], 0.0) + float(weight)
    return per_tree


def _double(value: float) -> exp.Expression:
    """A DOUBLE literal (with an exponent: DuckDB reads ``0.25`` as DECIMAL, which would cast every sum)."""
    if math.isinf(value):
        return exp.cast(exp.Literal.string("inf" if value > 0 else "-inf"), "DOUBLE")
    text = repr(float(value) + 0.0)
    return exp.Literal(this=text if "e" in text else f"{text}e0", is_string=False)


def _float32(value: float) -> exp.Expression:
    """A DOUBLE literal of a float32 model value (leaf value, contribution) in its shortest float32 spelling:
    ~9 digits instead of 17, so DuckDB parses less text; the difference (< half a float32 ulp) is far
    below the parity tolerances. Not for thresholds, which must keep their exact value (see ``_tree_case``)."""
    if not math.isfinite(value):
        return _double(value)
    text = str(np.float32(value) + np.float32(0.0))
    return exp.Literal(this=text if "e" in text else f"{text}e0", is_string=False)


# a zero contribution, most per-leaf entries: an integer literal, which the list's other (DOUBLE) entries
# make DOUBLE, in a fifth of the text of 0.0e0
_ZERO = exp.Literal.number(0)


@contextlib.contextmanager
def _no_collection():
    """Python's cyclic garbage collector paused while ~10⁵ syntax-tree nodes are built and rendered: each
    node is an allocation that counts toward a collection, and the collections that walk the growing tree
    were half of compiling a 300-tree model (2.7 of 5.4 s); nothing here makes garbage cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _balanced_sum(parts: list[exp.Expression]) -> exp.Expression:
    """a + b + … as a balanced tree: depth log2(n), so planning stays linear in the number of terms."""
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    return exp.Add(this=exp.Paren(this=_balanced_sum(parts[:middle])), expression=exp.Paren(this=_balanced_sum(parts[middle:])))


def _tree_case(nodes: dict[int, Node], node_id: int, features: list[str], leaf) -> exp.Expression:
    node = nodes[node_id]
    if node.leaf:
        return leaf(node_id, node)
    x, threshold = _feature(features[node.feature]), _double(node.threshold)
    true = _tree_case(nodes, node.true, features, leaf)
    false = _tree_case(nodes, node.false, features, leaf)
    if node.missing_true:  # NULL fails `x > t` and falls through to the true branch
        return exp.Case(ifs=[exp.If(this=exp.GT(this=x, expression=threshold), true=false)], default=true)
    return exp.Case(ifs=[exp.If(this=exp.LTE(this=x, expression=threshold), true=true)], default=false)


def _feature(name: str) -> exp.Expression:
    """``CAST(feature_row."name" AS FLOAT)``, built fresh (sqlglot's builders deep-copy their arguments, which
    made compiling a 100-tree model take seconds). Field access by dot, not ``struct_extract``: the same
    binding and error for a missing field, 40% less text for DuckDB to parse."""
    return exp.Cast(this=exp.Column(this=exp.Identifier(this=name, quoted=True), table=exp.Identifier(this="feature_row")),
                    to=exp.DataType(this=exp.DataType.Type.FLOAT))


def margin_expression(model: Ensemble, feature_names: list[str]) -> exp.Expression:
    """base + Σ per-tree nested CASE of leaf values."""
    trees = [_tree_case(nodes, 0, feature_names, lambda _, node: _float32(node.value)) for nodes in model.trees]
    return exp.Add(this=_double(model.base), expression=exp.Paren(this=_balanced_sum(trees)))


def _render_once(template: str, name: str, values: dict[str, exp.Expression]) -> str:
    """A macro template with its placeholders replaced by ``values`` *without copying them*: the compiled
    trees are used once, and sqlglot's deep copy of them cost seconds per model."""
    tree = sqlglot.parse_one(sql_text(template), read=DIALECT)
    used: set[str] = set()
    for node in list(tree.walk()):
        if isinstance(node, exp.Column) and node.name in values:
            node.replace(values[node.name].copy() if node.name in used else values[node.name])
            used.add(node.name)
    tree.this.set("this", exp.to_table(name))
    return tree.sql(DIALECT, copy=False, comments=False)  # the tree is not used again: no deep copy


@dataclass
class TreeMacros:
    """A tree model's compiled SQL (syntax trees), rendered once under a version's macro names."""

    margin: exp.Expression
    leaves: exp.Expression
    sums: exp.Expression
    features: list[dict]
    n_trees: int
    n_leaves: int

    def render(self, score: str, contributions: str, explain: str) -> dict[str, str]:
        """``CREATE`` statements for the score, contributions and explain macros under these names (once:
        the syntax trees move into the statements)."""
        call = exp.Anonymous(this=contributions, expressions=[exp.column("feature_row")])
        with _no_collection():
            return self._render(score, contributions, explain, call)

    def _render(self, score: str, contributions: str, explain: str, call: exp.Expression) -> dict[str, str]:
        return {
            score: _render_once("cai_tree_score", score, {"__margin__": self.margin}),
            contributions: _render_once("tree_contributions", contributions, {"__leaves__": self.leaves, "__sums__": self.sums}),
            explain: render_create("cai_tree_explain", explain, {"__contributions__": call, **explain_lists(self.features)}),
        }


def alias_sql(macro: str, target: str, *, explain: bool) -> str:
    """``macro(feature_row[, k])`` calling ``target``: the unversioned name of the latest version's macro."""
    tree = sqlglot.parse_one(sql_text("cai_model_macro_alias"), read=DIALECT)
    call = tree.find(exp.Anonymous)
    call.set("this", target)
    tree.this.set("this", exp.to_table(macro))
    if explain:
        tree.this.set("expressions", [*tree.this.expressions, exp.to_identifier("k")])
        call.set("expressions", [*call.expressions, exp.column("k")])
    return tree.sql(DIALECT, comments=False)


def compile_trees(classifier_onnx: bytes, explainer_onnx: bytes, features: list[dict]) -> TreeMacros:
    """The SQL of a registered tree model, or TreeSQLError when it cannot or should not be compiled."""
    with _no_collection():
        return _compile_trees(classifier_onnx, explainer_onnx, features)


def _compile_trees(classifier_onnx: bytes, explainer_onnx: bytes, features: list[dict]) -> TreeMacros:
    model = ensemble(classifier_onnx)
    if model.n_leaves > MAX_SQL_LEAVES:
        raise TreeSQLError(f"{len(model.trees)} trees with {model.n_leaves:,} leaves in all are over the SQL macro limit of "
                           f"{MAX_SQL_LEAVES:,} leaves (every leaf adds planning time to each query)")
    names = [f["name"] for f in features]
    layout = factor_layout(features)
    contributions = leaf_contributions(explainer_onnx, layout, len(model.trees))
    leaf_slots = [model.leaf_slots(t) for t in range(len(model.trees))]
    slots = [exp.PropertyEQ(this=exp.to_identifier(f"t{t}"), expression=_tree_case(
        nodes, 0, names, lambda node_id, _, t=t: exp.Literal.number(leaf_slots[t][node_id])))
        for t, nodes in enumerate(model.trees)]
    sums = []
    for j in range(len(layout.factors)):
        terms = []
        for t in range(len(model.trees)):
            per_leaf = [contributions[t].get(leaf, {}).get(j, 0.0) for leaf in leaf_slots[t]]
            if any(per_leaf):
                terms.append(exp.Anonymous(this="list_element", expressions=[
                    exp.Array(expressions=[_float32(v) if v else _ZERO.copy() for v in per_leaf]),
                    exp.Column(this=exp.to_identifier(f"t{t}"), table=exp.to_identifier("leaf"))]))
        sums.append(_balanced_sum(terms) if terms else _double(0.0))
    return TreeMacros(margin=margin_expression(model, names), leaves=exp.Anonymous(this="struct_pack", expressions=slots),
                      sums=exp.Array(expressions=sums), features=features, n_trees=len(model.trees), n_leaves=model.n_leaves)


def unavailable_sql(macro: str, message: str, *, explain: bool) -> str:
    """An alias that raises ``message``: for a latest version registered without SQL macros."""
    tree = sqlglot.parse_one(sql_text("cai_sql_macro_unavailable"), read=DIALECT)
    tree.find(exp.Anonymous).set("expressions", [exp.Literal.string(message)])  # error(__message__)
    tree.this.set("this", exp.to_table(macro))
    if explain:
        tree.this.set("expressions", [*tree.this.expressions, exp.to_identifier("k")])
    return tree.sql(DIALECT, comments=False)


@dataclass(frozen=True)
class Parity:
    """What registration checked: rows, the largest probability difference, rows whose top factors differ."""

    rows: int
    max_abs_difference: float
    factor_rows_differing: int

    def to_dict(self) -> dict:
        return {"rows": self.rows, "max_abs_difference": self.max_abs_difference,
                "factor_rows_differing": self.factor_rows_differing}


def _same_factors(sql: list[dict], codes: list[str], contributions: np.ndarray) -> bool:
    """The SQL's factors are the graph's, up to the order of near-ties and factors too small to rank reliably."""
    if [f["code"] for f in sql] == codes:
        return True
    got = np.array([f["contribution"] for f in sql])
    shared = min(len(got), len(contributions))
    extra = np.concatenate([np.abs(got[shared:]), np.abs(contributions[shared:])])
    return bool(np.all(np.abs(got[:shared] - contributions[:shared]) <= CONTRIBUTION_TOLERANCE)
                and np.all(extra <= CONTRIBUTION_TOLERANCE))


def check(texts: dict[str, str], macros: tuple[str, str, str], features: list[dict], classifier_onnx: bytes,
          explainer_onnx: bytes, bias: float, X: np.ndarray, seed: int = 0) -> Parity:
    """Run the rendered macros (``texts``; ``macros`` names the score, contributions and explain macro) on ``X``
    (float32 values, NaN missing) in a private in-memory DuckDB and compare them with onnxruntime:
    probabilities within SQL_PARITY_TOLERANCE and the same top factors as the reason-code graph;
    TreeSQLError otherwise. (That bias + Σ contributions is the margin holds by construction of the reason-code
    graph, checked when it was built; the tests check it on the SQL too. Checking it here would plan the
    contributions a second time: planning is most of this check's cost.)"""
    import duckdb
    import pyarrow as pa

    from .explain import with_top_factors
    from .export import INPUT_NAME, onnx_probabilities, session

    if len(X) > PARITY_ROWS:
        X = X[np.sort(np.random.default_rng(seed).choice(len(X), PARITY_ROWS, replace=False))]
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    names = [f["name"] for f in features]
    columns = {name: pa.array(X32[:, j], mask=np.isnan(X32[:, j])) for j, name in enumerate(names)}
    rows = pa.table({**columns, "_cai_check_row": pa.array(np.arange(len(X32)))})
    con = duckdb.connect()
    try:
        for statement in texts.values():
            con.execute(statement)
        con.register("tree_sql_check_rows", rows)
        query = render_query("tree_sql_parity", {"__score__": macros[0], "__explain__": macros[2]})
        result = con.execute(query, {"k": CHECK_FACTORS}).fetchall()
    finally:
        con.close()
    probability = np.array([r[0] for r in result], dtype=np.float64)
    expected = onnx_probabilities(classifier_onnx, X32).astype(np.float64)
    difference = float(np.max(np.abs(probability - expected))) if len(X32) else 0.0
    if not difference <= SQL_PARITY_TOLERANCE:
        raise TreeSQLError(f"the compiled SQL differs from the ONNX model by {difference:.2e} in probability "
                           f"(limit {SQL_PARITY_TOLERANCE:.0e}) on the validation rows")
    layout = factor_layout(features)
    ranked = session(with_top_factors(explainer_onnx, bias, layout)).run(
        None, {INPUT_NAME: X32, "k": np.array([min(CHECK_FACTORS, len(layout.factors))], dtype=np.int64)})
    count, contribution, index = ranked[1], ranked[2], ranked[4]
    differing = sum(not _same_factors(row[1], [layout.codes[i] for i in index[r, :count[r]]], contribution[r, :count[r]])
                    for r, row in enumerate(result))
    if differing:
        raise TreeSQLError(f"the compiled SQL's top {CHECK_FACTORS} reason codes differ from the reason-code graph's on "
                           f"{differing} of {len(X32)} validation rows")
    return Parity(len(X32), difference, differing)
