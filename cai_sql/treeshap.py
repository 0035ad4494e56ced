"""Exact path-dependent TreeSHAP for one HistGradientBoosting tree, vectorised over rows and leaves.

Used at training time only, on a sample of rows, to give every leaf the mean SHAP values of the
rows that reach it (see :mod:`cai_sql.explain`). The tree's output is the sum over leaves of
``value(leaf) · 1[x reaches leaf]``; by linearity the SHAP values are the sum over leaves of the
SHAP values of each leaf's indicator, a product game over the distinct features on its path
(player j: "x satisfies every condition on feature j" — one fraction o_j ∈ {0, 1} — against the
training share z_j of rows that satisfy them). Each product game is solved with the path-weight
recurrences of Lundberg et al. (2020, Algorithm 2: EXTEND and the unwound path sum), for all rows
and all leaves of the tree at once. Paths are padded with null players (o = z = 1), which change
no one's Shapley value.
"""

from __future__ import annotations

import numpy as np

MAX_PACKED_PLAYERS = 62  # a leaf's row pattern is packed into one int64


def leaf_paths(nodes: np.ndarray) -> dict[int, list[tuple[int, bool]]]:
    """Per leaf, the (node, went left) steps from the root."""
    paths: dict[int, list[tuple[int, bool]]] = {}
    stack: list[tuple[int, list]] = [(0, [])]
    while stack:
        index, path = stack.pop()
        node = nodes[index]
        if node["is_leaf"]:
            paths[index] = path
            continue
        stack.append((int(node["left"]), path + [(index, True)]))
        stack.append((int(node["right"]), path + [(index, False)]))
    return paths


def goes_left(nodes: np.ndarray, X: np.ndarray) -> np.ndarray:
    """(rows, nodes): whether each row takes the left branch at each split (missing values as trained)."""
    features = np.where(nodes["is_leaf"].astype(bool), 0, nodes["feature_idx"]).astype(int)
    values = X[:, features]
    return np.where(np.isnan(values), nodes["missing_go_to_left"].astype(bool)[None, :], values <= nodes["num_threshold"][None, :])


def route(nodes: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The leaf index each row reaches."""
    left = goes_left(nodes, X)
    rows = np.arange(len(X))
    index = np.zeros(len(X), dtype=int)
    while True:
        at_leaf = nodes["is_leaf"][index].astype(bool)
        if at_leaf.all():
            return index
        step = np.where(left[rows, index], nodes["left"][index], nodes["right"][index])
        index = np.where(at_leaf, index, step)


def tree_shap(nodes: np.ndarray, X: np.ndarray, n_features: int) -> np.ndarray:
    """SHAP values (rows × features) of one tree's output."""
    terms, to_feature = _leaf_terms(nodes, X, n_features)
    return terms @ to_feature


def leaf_mean_shap(nodes: np.ndarray, X: np.ndarray, n_features: int) -> dict[int, np.ndarray]:
    """Per leaf reached by some row of ``X``, the mean SHAP values of those rows."""
    terms, to_feature = _leaf_terms(nodes, X, n_features)
    leaf_of = route(nodes, X)
    leaves, position, counts = np.unique(leaf_of, return_inverse=True, return_counts=True)
    sums = np.zeros((len(leaves), terms.shape[1]))
    np.add.at(sums, position, terms)
    means = (sums / counts[:, None]) @ to_feature
    return {int(leaf): means[i] for i, leaf in enumerate(leaves)}


def _leaf_terms(nodes: np.ndarray, X: np.ndarray, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, each (leaf, player) term of the SHAP values, and the matrix summing terms into features."""
    counts = nodes["count"].astype(float)
    paths = leaf_paths(nodes)
    leaves = sorted(paths)
    players = [sorted({int(nodes[n]["feature_idx"]) for n, _ in paths[leaf]}) for leaf in leaves]
    width = max(1, max(len(p) for p in players))
    n_leaves, n_rows = len(leaves), len(X)
    feature = np.zeros((n_leaves, width), dtype=int)
    zero = np.ones((n_leaves, width))
    left = goes_left(nodes, X)
    one = np.ones((n_rows, n_leaves, width))
    for a, leaf in enumerate(leaves):
        for b, player in enumerate(players[a]):
            feature[a, b] = player
            steps = [(n, went_left) for n, went_left in paths[leaf] if int(nodes[n]["feature_idx"]) == player]
            for n, went_left in steps:
                child = nodes[n]["left"] if went_left else nodes[n]["right"]
                zero[a, b] *= counts[child] / max(counts[n], 1.0)
            where = [n for n, _ in steps]
            one[:, a, b] = np.all(left[:, where] == np.array([d for _, d in steps])[None, :], axis=1)
    # Rows differ per leaf only in which of its players' conditions they meet: solve each distinct
    # pattern once (a few dozen per leaf, not one per row) and map the answers back to the rows.
    if width <= MAX_PACKED_PLAYERS:
        codes = (one.astype(np.int64) << np.arange(width, dtype=np.int64)).sum(axis=2)
        patterns, inverse = [], np.zeros((n_rows, n_leaves), dtype=int)
        for a in range(n_leaves):
            unique, inverse[:, a] = np.unique(codes[:, a], return_inverse=True)
            patterns.append(unique)
        one = np.ones((max(len(u) for u in patterns), n_leaves, width))
        for a, unique in enumerate(patterns):
            one[: len(unique), a, :] = (unique[:, None] >> np.arange(width)) & 1
    else:
        inverse = np.broadcast_to(np.arange(n_rows)[:, None], (n_rows, n_leaves))
    n_rows = len(one)
    # EXTEND: path weights after adding the dummy element and each player in turn
    depth = width + 1
    weights = np.zeros((n_rows, n_leaves, depth))
    weights[..., 0] = 1.0
    for length in range(1, depth):
        o, z = one[..., length - 1], zero[None, :, length - 1]
        for i in range(length - 1, -1, -1):
            weights[..., i + 1] += o * weights[..., i] * (i + 1) / (length + 1)
            weights[..., i] = z * weights[..., i] * (length - i) / (length + 1)
    last = depth - 1
    # unwound path sums for every player at once (o is 0 or 1: "hot" and "cold" recurrences)
    hot_mask = one.astype(bool)
    z = np.broadcast_to(zero[None], one.shape)
    total = np.zeros_like(one)
    carry = np.repeat(weights[..., last:last + 1], width, axis=2)
    for j in range(last - 1, -1, -1):
        w = weights[..., j:j + 1]
        hot = carry * ((last + 1) / (j + 1))
        cold = w / z * ((last + 1) / (last - j))
        total += np.where(hot_mask, hot, cold)
        carry = np.where(hot_mask, w - hot * z * ((last - j) / (last + 1)), carry)
    value = np.array([nodes[leaf]["value"] for leaf in leaves])
    contribution = total * (one - z) * value[None, :, None]
    contribution = contribution[inverse, np.arange(n_leaves)[None, :], :]  # back to rows
    real = np.array([[b < len(p) for b in range(width)] for p in players])
    to_feature = np.zeros((n_leaves, width, n_features))
    to_feature[np.nonzero(real) + (feature[real],)] = 1.0
    return contribution.reshape(len(X), -1), to_feature.reshape(-1, n_features)
