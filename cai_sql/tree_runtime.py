"""A faster tree walk behind ``cai_score``: XGBoost's predictor, derived from the registered ONNX.

onnxruntime's tree walk is most of ``cai_score``'s time for a gradient-boosted model. XGBoost's CPU
predictor walks the same trees faster (docs/benchmarks.md, "Tree runtime"), so a tree model's
classifier (``TreeEnsembleClassifier``) is handed to it *at load time*, node by node, from the
attributes of the verified ONNX bytes: nothing new is stored, and the registered ONNX stays the hashed
contract. Its margin plus the ONNX base value, through a logistic in double, is the probability.

Routing is exact: ONNX sends a row to the true branch when ``x <= t`` (``BRANCH_LEQ``, float32), XGBoost
to the left one when ``x < t'``; with ``t'`` the next float32 above ``t`` these agree for every float32
``x``. Missing values never reach XGBoost (its predictor is much slower on rows that have one): each is
replaced by -inf where the ONNX node sends it to the true branch and by +inf where it goes to the false
one, a feature whose splits disagree being read from two columns (``_columns``).

The reason-code ensemble (one target per feature column) stays in onnxruntime: as an XGBoost model with
a vector per leaf it measured slower than onnxruntime's ranked graph (bench/bench_tree_runtime.py).

The catalog checks the derived model against onnxruntime before using it (``PROBABILITY_TOLERANCE`` on
the registered parity rows); a model that cannot be converted, or whose conversion does not reproduce
onnxruntime, scores through onnxruntime as before. ``CAI_TREE_RUNTIME=onnxruntime`` forces onnxruntime.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from .errors import CaiError
from .tree_sql import Node, TreeSQLError, ensemble

RUNTIME_ENV = "CAI_TREE_RUNTIME"
XGBOOST = "xgboost"
ONNXRUNTIME = "onnxruntime"
PROBABILITY_TOLERANCE = 1e-6  # |P(xgboost) − P(onnxruntime)| on the checked rows
_ROOT_PARENT = 2147483647  # XGBoost's "no parent" in a scalar-leaf tree


class TreeRuntimeError(CaiError):
    """The tree model cannot be handed to the fast runtime (it then scores through onnxruntime)."""


def requested_runtime() -> str:
    """The runtime asked for by ``CAI_TREE_RUNTIME`` (default xgboost; ``onnxruntime`` turns it off)."""
    value = os.environ.get(RUNTIME_ENV, XGBOOST).strip().lower() or XGBOOST
    if value not in (XGBOOST, ONNXRUNTIME):
        raise CaiError(f"{RUNTIME_ENV} must be '{XGBOOST}' or '{ONNXRUNTIME}' (got '{value}')")
    return value


def _layout(nodes: dict[int, Node]) -> list[int]:
    """The tree's ONNX node ids in breadth-first order from the root, a node's true branch directly before its
    false branch: XGBoost's predictor takes the right child to be the one after the left (measured: any other
    numbering routes rows wrongly, with no error)."""
    order = [0]
    for node_id in order:  # grows while it is read
        node = nodes[node_id]
        if not node.leaf:
            order.extend((node.true, node.false))
    if len(order) != len(nodes):
        raise TreeRuntimeError(f"a tree has {len(nodes)} nodes but {len(order)} are reachable from its root")
    return order


_LARGEST = np.finfo(np.float32).max


def _split(node: Node) -> float:
    """XGBoost's split condition for ONNX's ``x <= threshold`` (float32): the next float32 above it.

    A threshold of +inf (scikit-learn's split of missing values from all others) stays +inf: ``x < inf``
    then differs from ``x <= inf`` only for x = +inf, which :class:`XGBoostTrees` hands over as the
    largest float32 (above every other threshold, so routed as +inf is everywhere else).
    """
    threshold = np.float32(node.threshold)
    if np.isnan(threshold) or threshold == _LARGEST:
        raise TreeRuntimeError(f"a split threshold cannot be converted exactly ({node.threshold})")
    if threshold == np.inf:
        return float("inf")
    return float(np.nextafter(threshold, np.float32(np.inf)))


def _tree_json(tree_id: int, nodes: dict[int, Node], n_features: int, leaf_values: dict[int, np.ndarray] | None,
               width: int, column: dict[tuple[int, bool], int]) -> dict:
    """One tree in XGBoost's JSON model schema: scalar leaves (``leaf_values`` None: each Node's value) or
    vector leaves of ``width`` values (multi-target)."""
    order = _layout(nodes)
    index = {node_id: i for i, node_id in enumerate(order)}
    n = len(order)
    left, right, parents = [-1] * n, [-1] * n, [-1] * n
    conditions, features, default_left = [0.0] * n, [0] * n, [0] * n
    leaves: list[np.ndarray] = []
    for i, node_id in enumerate(order):
        node = nodes[node_id]
        if node.leaf:
            if leaf_values is None:
                conditions[i] = float(np.float32(node.value))
            else:
                right[i] = len(leaves)  # a multi-target leaf points into leaf_weights
                leaves.append(leaf_values.get(node_id, np.zeros(width)))
            continue
        left[i], right[i] = index[node.true], index[node.false]
        parents[index[node.true]] = parents[index[node.false]] = i
        conditions[i], default_left[i] = _split(node), int(node.missing_true)
        features[i] = column[(node.feature, node.missing_true)]
    tree = {
        "id": tree_id, "left_children": left, "right_children": right, "split_conditions": conditions,
        "split_indices": features, "default_left": default_left, "split_type": [0] * n,
        "loss_changes": [0.0] * n, "sum_hessian": [1.0] * n,
        "categories": [], "categories_nodes": [], "categories_segments": [], "categories_sizes": [],
        "tree_param": {"num_deleted": "0", "num_feature": str(n_features), "num_nodes": str(n),
                       "size_leaf_vector": str(width)},
    }
    if leaf_values is None:
        parents[0] = _ROOT_PARENT
        tree.update(parents=parents, base_weights=[conditions[i] if nodes[o].leaf else 0.0 for i, o in enumerate(order)])
    else:
        tree.update(parents=parents, base_weights=[0.0] * (n * width),
                    leaf_weights=[float(v) for vector in leaves for v in np.asarray(vector, dtype=np.float32)])
    return tree


def _model_json(trees: list[dict], n_features: int, width: int, base: list[float]) -> bytes:
    model = {
        "learner": {
            "attributes": {}, "feature_names": [], "feature_types": [],
            "gradient_booster": {"model": {
                "cats": {"enc": [], "feature_segments": [], "sorted_idx": []},
                "gbtree_model_param": {"num_parallel_tree": "1", "num_trees": str(len(trees))},
                "iteration_indptr": list(range(len(trees) + 1)), "tree_info": [0] * len(trees), "trees": trees,
            }, "name": "gbtree"},
            "learner_model_param": {"base_score": "[" + ",".join(f"{b!r}" for b in base) + "]", "boost_from_average": "0",
                                    "num_class": "0", "num_feature": str(n_features), "num_target": str(width)},
            "objective": {"name": "reg:squarederror", "reg_loss_param": {"scale_pos_weight": "1"}},
        },
        "version": [3, 0, 0],
    }
    return json.dumps(model).encode()


def _booster(model_json: bytes):
    import xgboost  # imported on first use: loading the package costs start-up time nothing else needs

    booster = xgboost.Booster()
    booster.load_model(bytearray(model_json))
    booster.set_param({"nthread": 1})  # DuckDB's threads call it in parallel, one batch each
    return booster


@dataclass(frozen=True)
class Derived:
    """The XGBoost model derived from a tree model's verified ONNX classifier (JSON, never stored)."""

    classifier: bytes
    base: float
    n_features: int
    fills: np.ndarray  # per input column, what a missing value becomes (-inf or +inf)
    copied: tuple[int, ...]  # features also read from a copy, filled with +inf (after the input's columns)


def derive(classifier_onnx: bytes, n_features: int) -> Derived:
    """The classifier in XGBoost's model format, or TreeRuntimeError."""
    try:
        trees = ensemble(classifier_onnx)
    except TreeSQLError as exc:
        raise TreeRuntimeError(str(exc)) from None
    if any(not node.leaf and not 0 <= node.feature < n_features for nodes in trees.trees for node in nodes.values()):
        raise TreeRuntimeError(f"a split reads a feature outside the model's {n_features}")
    column, fills, extra = _columns(list(trees.trees), n_features)
    width = n_features + len(extra)
    classifier = [_tree_json(t, nodes, width, None, 1, column) for t, nodes in enumerate(trees.trees)]
    return Derived(_model_json(classifier, width, 1, [0.0]), trees.base, n_features,
                   np.asarray(fills, dtype=np.float32), tuple(extra))


def _columns(forest: list[dict[int, Node]], n_features: int) -> tuple[dict[tuple[int, bool], int], list[float], list[int]]:
    """Where each split reads its feature so that no missing value reaches XGBoost (its predictor is markedly
    faster on blocks of rows without one; measured 1.4–1.9× on the demo model).

    A missing value is replaced by -inf where it goes to the true branch (``-inf < t'`` for every split
    condition) and by +inf where it goes to the false one (``+inf < t'`` never holds). A feature whose
    splits send missing values both ways is read from two columns: the input's, filled for the
    splits of the true side, and a copy after all the input's columns, filled for the others.
    Returns (feature, missing goes true) → column, the fill of each input column, and the copied features.
    """
    directions: dict[int, set[bool]] = {}
    for nodes in forest:
        for node in nodes.values():
            if not node.leaf:
                directions.setdefault(node.feature, set()).add(node.missing_true)
    column: dict[tuple[int, bool], int] = {}
    fills = [-np.inf] * n_features
    extra: list[int] = []
    for feature in range(n_features):
        sides = directions.get(feature, set())
        if sides == {False}:
            fills[feature] = np.inf
        column[(feature, True)] = feature
        column[(feature, False)] = feature
        if sides == {True, False}:
            column[(feature, False)] = n_features + len(extra)
            extra.append(feature)
    return column, fills, extra


class XGBoostTrees:
    """A tree model's probabilities from XGBoost's predictor."""

    def __init__(self, derived: Derived) -> None:
        self.derived = derived
        self._classifier = _booster(derived.classifier)
        self._fills = np.broadcast_to(derived.fills, (1, derived.n_features))
        self._copied = np.asarray(derived.copied, dtype=np.intp)

    def _input(self, X: np.ndarray) -> np.ndarray:
        """The rows as XGBoost reads them: +inf as the largest float32 (see ``_split``), missing values
        filled per column as ``_columns`` says, the copied features appended."""
        X = np.minimum(X, _LARGEST)  # a new array; NaN stays NaN
        missing = np.isnan(X)
        if self.derived.copied:
            copies = X[:, self._copied]
            copies[missing[:, self._copied]] = np.inf
        np.copyto(X, self._fills, where=missing)
        return np.concatenate([X, copies], axis=1) if self.derived.copied else X

    def margins(self, X: np.ndarray) -> np.ndarray:
        """Σ leaf values per row (float32, without the base value)."""
        return self._classifier.inplace_predict(self._input(X), predict_type="margin", missing=np.nan,
                                                validate_features=False)

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        margin = self.margins(X).astype(np.float64) + self.derived.base
        return 1.0 / (1.0 + np.exp(-margin))
