"""Reason codes as an ONNX graph: per-feature contributions to the model's margin (log-odds).

Trees (HistGradientBoosting): every leaf of every tree carries one fixed vector of per-feature
contributions, and all trees fold into one ``TreeEnsembleRegressor`` with one target per feature,
routed exactly like the exported classifier (same thresholds, same missing-value directions), so
reason codes cost one more tree-ensemble pass. The vector of a leaf is the mean exact TreeSHAP
value (:mod:`cai_sql.treeshap`) of a sample of training-time rows that reach it — the best
per-leaf stand-in for each customer's own TreeSHAP values — or, for a leaf no sampled row
reaches, its Saabas path contributions (each split on the path hands E[child] − E[parent] to its
feature; E[node] is the sample-weighted mean of the node's leaves). Either way a leaf's vector sums
to its value minus E[root], so contributions plus the bias (Σ E[root] + the baseline) add up to
the margin exactly. A leaf keeps only its largest few contributions — as many as the tree's typical
leaf has that matter (2 to 5, one count per tree) — and carries the rest on them, sum unchanged:
every kept one costs onnxruntime an add per tree and row.

Linear (imputer → scaler → logistic regression): contribution = coef · (x − mean) on the scaled
inputs, i.e. coef_j · z_j, which is 0 for a customer at the training mean; bias = intercept.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import onnx
from onnx import TensorProto, helper

from .errors import CaiError
from .export import INPUT_NAME, session
from .factors import ATTRIBUTE, FLAG, FLAG_UNKNOWN, FLAG_FALSE, FactorLayout, attribute_weights
from .treeshap import leaf_mean_shap, leaf_paths

CONTRIBUTIONS = "contributions"
ML_OPSET = 3
PARITY_TOLERANCE = 1e-5


class ExplainerError(CaiError):
    """The reason-code graph does not reproduce the model."""


@dataclass(frozen=True)
class Explainer:
    """ONNX bytes mapping a float32 feature matrix to an (n, k) contribution matrix, plus the bias."""

    onnx: bytes
    sha256: str
    bias: float
    method: str = ""
    max_abs_difference: float = 0.0


def _finish(graph: onnx.GraphProto, bias: float) -> Explainer:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", ML_OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    return Explainer(data, hashlib.sha256(data).hexdigest(), float(bias))


def _io(n_features: int) -> tuple[onnx.ValueInfoProto, onnx.ValueInfoProto]:
    source = helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [None, n_features])
    target = helper.make_tensor_value_info(CONTRIBUTIONS, TensorProto.FLOAT, [None, n_features])
    return source, target


def _tree_attributes(classifier_onnx: bytes) -> dict:
    graph = onnx.load_from_string(classifier_onnx).graph
    node = next(n for n in graph.node if n.op_type in ("TreeEnsembleClassifier", "TreeEnsembleRegressor"))
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _path_contributions(nodes: np.ndarray, n_features: int) -> tuple[float, dict[int, np.ndarray]]:
    """E[root] and, per leaf index, the per-feature sums of E[child] − E[parent] on its path."""
    expected = np.zeros(len(nodes))
    for index in range(len(nodes) - 1, -1, -1):  # children come after their parent in sklearn's arrays
        node = nodes[index]
        if node["is_leaf"]:
            expected[index] = node["value"]
        else:
            left, right = node["left"], node["right"]
            weights = nodes["count"][[left, right]].astype(float)
            expected[index] = float(np.dot(weights, expected[[left, right]]) / max(weights.sum(), 1.0))
    leaves: dict[int, np.ndarray] = {}
    for leaf, path in leaf_paths(nodes).items():
        vector = np.zeros(n_features)
        for index, went_left in path:
            child = nodes[index]["left"] if went_left else nodes[index]["right"]
            vector[nodes[index]["feature_idx"]] += expected[child] - expected[index]
        leaves[leaf] = vector
    return float(expected[0]), leaves


SHAP_SAMPLE_ROWS = 512  # rows whose exact TreeSHAP values are averaged per leaf
# Contributions kept per leaf. Each costs onnxruntime one more add per tree and row, so a tree keeps
# as many as its typical leaf has of at least MIN_TERM (log-odds): early trees with large leaf
# values keep up to LEAF_TERMS, late trees with small ones MIN_LEAF_TERMS. One count per tree keeps
# the ensemble's inner loop predictable (docs/benchmarks.md).
LEAF_TERMS = 5
MIN_LEAF_TERMS = 2
MIN_TERM = 0.002


def _sparse(contributions: np.ndarray, keep: int) -> np.ndarray:
    """The ``keep`` largest contributions of a leaf, carrying the dropped remainder in proportion to
    their size, so the leaf's total (and additivity) is unchanged."""
    if np.count_nonzero(contributions) <= keep:
        return contributions
    order = np.argsort(-np.abs(contributions), kind="stable")[:keep]
    kept = np.zeros_like(contributions)
    kept[order] = contributions[order]
    weight = np.abs(kept) / np.abs(kept).sum()
    return kept + weight * (contributions.sum() - kept.sum())


def _tree_terms(nodes: np.ndarray, leaves: dict[int, np.ndarray]) -> int:
    """Contributions to keep per leaf of one tree: how many of at least MIN_TERM its leaves have on
    average, weighted by the training rows reaching each leaf, within [MIN_LEAF_TERMS, LEAF_TERMS]."""
    rows = np.array([float(nodes[leaf]["count"]) for leaf in leaves])
    large = np.array([np.count_nonzero(np.abs(vector) >= MIN_TERM) for vector in leaves.values()])
    typical = float(np.dot(rows, large) / rows.sum()) if rows.sum() > 0 else float(large.mean())
    return int(np.clip(np.ceil(typical), MIN_LEAF_TERMS, LEAF_TERMS))


def tree_explainer(model, classifier_onnx: bytes, X_sample: np.ndarray, seed: int = 0) -> Explainer:
    """Per-leaf contributions of a binary HistGradientBoostingClassifier, routed as in ``classifier_onnx``."""
    n_features = X_sample.shape[1]
    if len(X_sample) > SHAP_SAMPLE_ROWS:
        X_sample = X_sample[np.random.default_rng(seed).choice(len(X_sample), SHAP_SAMPLE_ROWS, replace=False)]
    X_sample = np.asarray(X_sample, dtype=np.float32).astype(np.float64)
    routing = _tree_attributes(classifier_onnx)
    if any(nodes["is_categorical"].any() for (predictor,) in model._predictors for nodes in [predictor.nodes]):
        raise ExplainerError("reason codes need numeric splits; encode categorical attributes in SQL")
    bias = float(np.ravel(model._baseline_prediction)[0])
    target_trees, target_nodes, target_ids, target_weights, kept_terms = [], [], [], [], []
    for tree, (predictor,) in enumerate(model._predictors):
        root, leaves = _path_contributions(predictor.nodes, n_features)
        leaves.update(leaf_mean_shap(predictor.nodes, X_sample, n_features))
        bias += root
        keep = _tree_terms(predictor.nodes, leaves)
        kept_terms.append(keep)
        for leaf, contributions in sorted(leaves.items()):
            contributions = _sparse(contributions, keep)
            for feature in np.flatnonzero(contributions):
                target_trees.append(tree)
                target_nodes.append(int(leaf))
                target_ids.append(int(feature))
                target_weights.append(float(contributions[feature]))
    regressor = helper.make_node(
        "TreeEnsembleRegressor", [INPUT_NAME], [CONTRIBUTIONS], domain="ai.onnx.ml",
        n_targets=n_features, aggregate_function="SUM", post_transform="NONE",
        base_values=[0.0] * n_features,
        nodes_treeids=routing["nodes_treeids"], nodes_nodeids=routing["nodes_nodeids"],
        nodes_featureids=routing["nodes_featureids"], nodes_values=routing["nodes_values"],
        nodes_modes=routing["nodes_modes"], nodes_truenodeids=routing["nodes_truenodeids"],
        nodes_falsenodeids=routing["nodes_falsenodeids"],
        nodes_missing_value_tracks_true=routing["nodes_missing_value_tracks_true"],
        target_treeids=target_trees, target_nodeids=target_nodes, target_ids=target_ids,
        target_weights=target_weights,
    )
    source, target = _io(n_features)
    explainer = _finish(helper.make_graph([regressor], "cai_explainer", [source], [target]), bias)
    per_tree = ", ".join(f"{count} in {n_trees}" for count, n_trees in
                         sorted(Counter(kept_terms).items(), reverse=True))
    method = (f"trees: per-leaf mean TreeSHAP of {len(X_sample)} rows; contributions kept per leaf, "
              f"by tree: {per_tree} trees")
    return replace(explainer, method=method)


@dataclass(frozen=True)
class LinearTerms:
    """A fitted imputer → scaler → logistic regression as plain numbers (also rendered as SQL)."""

    fill: list[float]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float

    def to_dict(self) -> dict:
        return {"fill": self.fill, "mean": self.mean, "scale": self.scale, "coef": self.coef, "intercept": self.intercept}


def linear_terms(pipeline) -> LinearTerms:
    imputer, scaler, classifier = (step for _, step in pipeline.steps)
    return LinearTerms(
        fill=[float(v) for v in imputer.statistics_], mean=[float(v) for v in scaler.mean_],
        scale=[float(v) for v in scaler.scale_], coef=[float(v) for v in classifier.coef_[0]],
        intercept=float(classifier.intercept_[0]),
    )


def linear_explainer(terms: LinearTerms) -> Explainer:
    """coef · (x − mean) / scale with missing values imputed as in training, as an ONNX graph."""
    n_features = len(terms.coef)
    imputer = helper.make_node("Imputer", [INPUT_NAME], ["imputed"], domain="ai.onnx.ml",
                               imputed_value_floats=terms.fill, replaced_value_float=float("nan"))
    scaler = helper.make_node("Scaler", ["imputed"], ["scaled"], domain="ai.onnx.ml",
                              offset=terms.mean, scale=[1.0 / s for s in terms.scale])
    coef = helper.make_tensor("coef", TensorProto.FLOAT, [1, n_features], terms.coef)
    multiply = helper.make_node("Mul", ["scaled", "coef"], [CONTRIBUTIONS])
    source, target = _io(n_features)
    graph = helper.make_graph([imputer, scaler, multiply], "cai_explainer", [source], [target], initializer=[coef])
    return _finish(graph, terms.intercept)


def _merge_levels_in_trees(graph: onnx.GraphProto, layout: FactorLayout) -> bool:
    """Route every level's leaf contributions of an attribute to its first level's output, in the tree
    ensemble itself (onnxruntime sums a leaf's weights per target), so grouping costs nothing per row.
    False when the explainer is not a tree ensemble."""
    node = next((n for n in graph.node if n.op_type == "TreeEnsembleRegressor"), None)
    if node is None:
        return False
    to_slot = {column: factor.columns[0] for factor in layout.of_kind(ATTRIBUTE) for column in factor.columns}
    values = {a.name: a for a in node.attribute}
    merged: dict[tuple[int, int, int], float] = {}  # (tree, leaf, target) → summed weight, first-seen order
    for tree, leaf, target, weight in zip(values["target_treeids"].ints, values["target_nodeids"].ints,
                                          values["target_ids"].ints, values["target_weights"].floats):
        key = (tree, leaf, to_slot.get(target, target))
        merged[key] = merged.get(key, 0.0) + weight
    for name, column in (("target_treeids", 0), ("target_nodeids", 1), ("target_ids", 2)):
        del values[name].ints[:]
        values[name].ints.extend(key[column] for key in merged)
    del values["target_weights"].floats[:]
    values["target_weights"].floats.extend(merged.values())
    return True


def _take_columns(source: str, columns: list[int], name: str) -> tuple[list, list]:
    """Initializers and nodes selecting ``columns`` of ``source`` into ``name``: a Slice when they are
    one contiguous run (about 4× cheaper in onnxruntime than a Gather along the columns)."""
    if columns == list(range(columns[0], columns[0] + len(columns))):
        initializers = [helper.make_tensor(f"{name}_start", TensorProto.INT64, [1], [columns[0]]),
                        helper.make_tensor(f"{name}_end", TensorProto.INT64, [1], [columns[0] + len(columns)])]
        return initializers, [helper.make_node("Slice", [source, f"{name}_start", f"{name}_end", "row_axis"], [name])]
    initializers = [helper.make_tensor(f"{name}_columns", TensorProto.INT64, [len(columns)], columns)]
    return initializers, [helper.make_node("Gather", [source, f"{name}_columns"], [name], axis=1)]


def _factor_nodes(layout: FactorLayout, merged_in_trees: bool) -> tuple[list, list, str, list]:
    """Nodes giving the per-slot ``factor_contributions`` (n, features: an attribute's sum in its first
    level's column, its other levels 0, so they are never kept) and, for the ranked slots
    ``top_index`` (n, k), each row's text position ``top_text`` and reported value ``top_value``,
    following :mod:`cai_sql.factors`. Only small (n, levels + flags) blocks are added per row."""
    n = layout.n_features
    attributes, flags = layout.of_kind(ATTRIBUTE), layout.of_kind(FLAG)
    specials = flags + attributes  # their choices, in this order, after a leading 0 column for every other factor
    slot_base = np.zeros(n)
    special_position = np.zeros(n, dtype=np.int64)
    attribute_slot = np.zeros(n, dtype=bool)
    for factor in layout.factors:
        slot_base[factor.columns[0]] = factor.first_text
    for position, factor in enumerate(specials, start=1):
        special_position[factor.columns[0]] = position
    for factor in attributes:
        attribute_slot[factor.columns[0]] = True
    initializers = [
        helper.make_tensor("slot_base", TensorProto.FLOAT, [n], slot_base.tolist()),
        helper.make_tensor("special_position", TensorProto.INT64, [n], special_position.tolist()),
        helper.make_tensor("attribute_slot", TensorProto.BOOL, [n], attribute_slot.tolist()),
        helper.make_tensor("nan", TensorProto.FLOAT, [], [float("nan")]),
        helper.make_tensor("first_axis", TensorProto.INT64, [1], [0]),
        helper.make_tensor("one_axis_end", TensorProto.INT64, [1], [1]),
        helper.make_tensor("one_column", TensorProto.INT64, [1], [1]),
    ]
    nodes = [
        helper.make_node("Shape", [INPUT_NAME], ["input_shape"]),
        helper.make_node("Slice", ["input_shape", "first_axis", "one_axis_end"], ["n_rows"]),
        helper.make_node("Concat", ["n_rows", "one_column"], ["plain_shape"], axis=0),
        helper.make_node("ConstantOfShape", ["plain_shape"], ["plain_choice"],
                         value=helper.make_tensor("z", TensorProto.FLOAT, [1], [0.0])),
    ]
    choices = ["plain_choice"]
    if flags:
        taken, taking = _take_columns(INPUT_NAME, [f.columns[0] for f in flags], "flag_x")
        initializers += [
            *taken,
            helper.make_tensor("flag_unknown_extra", TensorProto.FLOAT, [], [float(FLAG_UNKNOWN - FLAG_FALSE)]),
            helper.make_tensor("half", TensorProto.FLOAT, [], [0.5]),
        ]
        nodes += [  # 1 → FLAG_TRUE (0), 0 → FLAG_FALSE (1), NaN → FLAG_UNKNOWN (2)
            *taking,
            helper.make_node("IsNaN", ["flag_x"], ["flag_nan"]),
            helper.make_node("Where", ["flag_nan", "zero", "flag_x"], ["flag_x0"]),
            helper.make_node("GreaterOrEqual", ["flag_x0", "half"], ["flag_set"]),
            helper.make_node("Cast", ["flag_set"], ["flag_set_f"], to=TensorProto.FLOAT),
            helper.make_node("Sub", ["plus_one", "flag_set_f"], ["flag_unset"]),
            helper.make_node("Cast", ["flag_nan"], ["flag_nan_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["flag_nan_f", "flag_unknown_extra"], ["flag_unknown"]),
            helper.make_node("Add", ["flag_unset", "flag_unknown"], ["flag_choices"]),
        ]
        choices.append("flag_choices")
    factors = CONTRIBUTIONS
    if attributes:
        level_columns = [c for f in attributes for c in f.columns]
        weights = np.zeros((len(level_columns), len(attributes)))
        row = 0
        for j, factor in enumerate(attributes):
            weights[row:row + len(factor.columns), j] = attribute_weights(factor)
            row += len(factor.columns)
        taken, taking = _take_columns(INPUT_NAME, level_columns, "level_x")
        initializers += [
            *taken,
            helper.make_tensor("level_weights", TensorProto.FLOAT, list(weights.shape), weights.ravel().tolist()),
            helper.make_tensor("level_counts", TensorProto.FLOAT, [len(attributes)], [len(f.columns) for f in attributes]),
        ]
        nodes += [
            *taking,
            helper.make_node("IsNaN", ["level_x"], ["level_nan"]),
            helper.make_node("Where", ["level_nan", "zero", "level_x"], ["level_x0"]),
            helper.make_node("MatMul", ["level_x0", "level_weights"], ["level_offsets"]),
            helper.make_node("Add", ["level_offsets", "level_counts"], ["attribute_choices"]),
        ]
        choices.append("attribute_choices")
        if not merged_in_trees:  # e.g. the linear explainer: sum the levels into the first one's column
            keep = np.ones(n)
            groups = np.zeros((n, len(attributes)))
            placement = np.zeros((len(attributes), n))
            for j, factor in enumerate(attributes):
                keep[list(factor.columns)] = 0.0
                groups[list(factor.columns), j] = 1.0
                placement[j, factor.columns[0]] = 1.0
            initializers += [
                helper.make_tensor("keep_columns", TensorProto.FLOAT, [1, n], keep.tolist()),
                helper.make_tensor("attribute_groups", TensorProto.FLOAT, [n, len(attributes)], groups.ravel().tolist()),
                helper.make_tensor("placement", TensorProto.FLOAT, [len(attributes), n], placement.ravel().tolist()),
            ]
            nodes += [  # contributions are never NaN, so one thin MatMul sums each attribute's levels
                helper.make_node("MatMul", [CONTRIBUTIONS, "attribute_groups"], ["attribute_sums"]),
                helper.make_node("MatMul", ["attribute_sums", "placement"], ["placed_sums"]),
                helper.make_node("Mul", [CONTRIBUTIONS, "keep_columns"], ["kept_contributions"]),
                helper.make_node("Add", ["kept_contributions", "placed_sums"], ["factor_contributions"]),
            ]
            factors = "factor_contributions"
    nodes.append(helper.make_node("Concat", choices, ["special_choices"], axis=1))
    after_ranking = [
        helper.make_node("Gather", ["special_position", "top_index"], ["top_special"]),
        helper.make_node("GatherElements", ["special_choices", "top_special"], ["top_choice"], axis=1),
        helper.make_node("Gather", ["slot_base", "top_index"], ["top_base"]),
        helper.make_node("Add", ["top_choice", "top_base"], ["top_text"]),
        helper.make_node("Cast", ["top_text"], ["index"], to=TensorProto.INT32),
        # an attribute factor reports no value: its text names the level (NaN → NULL)
        helper.make_node("Gather", ["attribute_slot", "top_index"], ["top_is_attribute"]),
        helper.make_node("GatherElements", [INPUT_NAME, "top_index"], ["top_input"], axis=1),
        helper.make_node("Where", ["top_is_attribute", "nan", "top_input"], ["top_value"]),
    ]
    return initializers, nodes, factors, after_ranking


def with_top_factors(explainer_onnx: bytes, bias: float, layout: FactorLayout | None = None) -> bytes:
    """The explainer graph extended to group features into factors, rank them and finish each row, so no
    per-row work is left to Python.

    Extra input ``k`` (int64[1]). Outputs, per row: ``probability`` (n: sigmoid of the bias plus Σ
    contributions, in double), ``count`` (n, int32: how many of the top k factors pull toward the
    row's side of the average, i.e. are kept) and, for the k largest pulls toward that side,
    strongest first, ``contribution`` (n, k, double, signed as in the model's margin), ``value``
    (n, k, double: the row's feature value; NaN for an attribute factor) and ``index`` (n, k,
    int32: the position of the row's text in ``layout.texts``). A row's kept factors are the first
    ``count`` of its k slots. Factors are ranked in feature-column slots: an attribute's in its first
    level's column (the others hold 0 and are never kept). Built from the verified bytes at load
    time; nothing about it is stored. Without ``layout`` each feature is its own factor.
    """
    model = onnx.load_from_string(explainer_onnx)
    graph = model.graph
    graph.initializer.extend([
        helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
        helper.make_tensor("plus_one", TensorProto.FLOAT, [], [1.0]),
        helper.make_tensor("minus_one", TensorProto.FLOAT, [], [-1.0]),
        helper.make_tensor("row_axis", TensorProto.INT64, [1], [1]),
        helper.make_tensor("bias", TensorProto.DOUBLE, [], [bias]),
    ])
    grouped = layout is not None and not layout.identity
    factors, after_ranking = CONTRIBUTIONS, [
        helper.make_node("Cast", ["top_index"], ["index"], to=TensorProto.INT32),
        helper.make_node("GatherElements", [INPUT_NAME, "top_index"], ["top_value"], axis=1),
    ]
    if grouped:
        merged = bool(layout.of_kind(ATTRIBUTE)) and _merge_levels_in_trees(graph, layout)
        initializers, nodes, factors, after_ranking = _factor_nodes(layout, merged)
        graph.initializer.extend(initializers)
        graph.node.extend(nodes)
    graph.node.extend([
        helper.make_node("ReduceSum", [factors, "row_axis"], ["total"], keepdims=1),
        helper.make_node("GreaterOrEqual", ["total", "zero"], ["above_average"]),
        # one sign per row (n, 1) times the matrix: a single pass over the (n, features) contributions
        helper.make_node("Where", ["above_average", "plus_one", "minus_one"], ["side"]),
        helper.make_node("Mul", [factors, "side"], ["pull"]),
        helper.make_node("TopK", ["pull", "k"], ["top_pull", "top_index"], axis=-1, largest=1, sorted=1),
        helper.make_node("Greater", ["top_pull", "zero"], ["kept"]),
        helper.make_node("Cast", ["kept"], ["kept_int"], to=TensorProto.INT32),
        helper.make_node("ReduceSum", ["kept_int", "row_axis"], ["count"], keepdims=0),
        helper.make_node("Mul", ["top_pull", "side"], ["top_contribution"]),
        helper.make_node("Cast", ["top_contribution"], ["contribution"], to=TensorProto.DOUBLE),
        *after_ranking,
        helper.make_node("Cast", ["top_value"], ["value"], to=TensorProto.DOUBLE),
        helper.make_node("Cast", ["total"], ["total_double"], to=TensorProto.DOUBLE),
        helper.make_node("Add", ["total_double", "bias"], ["margin"]),
        helper.make_node("Sigmoid", ["margin"], ["row_probability"]),
        helper.make_node("Squeeze", ["row_probability", "row_axis"], ["probability"]),
    ])
    graph.input.append(helper.make_tensor_value_info("k", TensorProto.INT64, [1]))
    del graph.output[:]
    graph.output.extend([
        helper.make_tensor_value_info("probability", TensorProto.DOUBLE, [None]),
        helper.make_tensor_value_info("count", TensorProto.INT32, [None]),
        helper.make_tensor_value_info("contribution", TensorProto.DOUBLE, [None, None]),
        helper.make_tensor_value_info("value", TensorProto.DOUBLE, [None, None]),
        helper.make_tensor_value_info("index", TensorProto.INT32, [None, None]),
    ])
    return model.SerializeToString()


def contributions(explainer_onnx: bytes, X: np.ndarray) -> np.ndarray:
    """The (n, k) contribution matrix for a float32 feature matrix."""
    (result,) = session(explainer_onnx).run(None, {INPUT_NAME: np.ascontiguousarray(X, dtype=np.float32)})
    return result


def sigmoid(margin: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-margin))


def build_explainer(model, algorithm: str, classifier_onnx: bytes, X_check: np.ndarray) -> tuple[Explainer, LinearTerms | None]:
    """The explainer for a fitted candidate, refused unless bias + Σ contributions reproduces sklearn."""
    terms = None
    if algorithm == "logistic_regression":
        terms = linear_terms(model)
        explainer = linear_explainer(terms)
    else:
        explainer = tree_explainer(model, classifier_onnx, X_check)
    X32 = np.asarray(X_check, dtype=np.float32)
    expected = model.predict_proba(X32.astype(np.float64))[:, 1]
    got = sigmoid(explainer.bias + contributions(explainer.onnx, X32).astype(np.float64).sum(axis=1))
    difference = float(np.max(np.abs(expected - got))) if expected.size else 0.0
    if not difference <= PARITY_TOLERANCE:
        raise ExplainerError(
            f"reason codes do not add up to the model: bias + contributions differ from scikit-learn by "
            f"{difference:.2e} (limit {PARITY_TOLERANCE:.0e}); the model was not registered"
        )
    method = "linear: coef · (x − mean) / scale" if terms is not None else explainer.method
    return replace(explainer, method=method, max_abs_difference=difference), terms
