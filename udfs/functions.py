"""The bodies of the scoring UDFs: Arrow batches in, Arrow batches out, no Python loop per row.

DuckDB calls them with 2048 rows at a time, on several threads at once (onnxruntime releases
the GIL). Each batch is reshaped to a float32 matrix without copying more than once.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .catalog import Catalog, LoadedModel, ScoringError

# |contribution| in log-odds: ≥ ln 2 doubles (or halves) the odds → high; ≥ ln 1.25 → medium.
HIGH_IMPORTANCE = float(np.log(2.0))
MEDIUM_IMPORTANCE = float(np.log(1.25))
DEFAULT_FACTORS = 5

FACTOR_TYPE = pa.struct([
    ("code", pa.string()), ("description", pa.string()), ("value", pa.float64()),
    ("contribution", pa.float64()), ("importance", pa.string()),
])
FACTORS_SQL_TYPE = "STRUCT(code VARCHAR, description VARCHAR, value DOUBLE, contribution DOUBLE, importance VARCHAR)[]"
RUN_SQL_TYPE = f"STRUCT(probability DOUBLE, score INTEGER, influential_factors {FACTORS_SQL_TYPE})"
_IMPORTANCE = pa.array(["low", "medium", "high"])


def _single(values: pa.ChunkedArray, what: str):
    distinct = pc.unique(values).to_pylist()
    if len(distinct) != 1:
        raise ScoringError(f"one query must score with one {what}; got {len(distinct)} ({', '.join(map(str, distinct[:5]))})")
    return distinct[0]


def _factor_count(k: pa.ChunkedArray) -> int:
    count = _single(k, "number of factors")
    if count < 0:
        raise ScoringError(f"the number of factors must be 0 or more (got {count})")
    return count


def _model(catalog: Catalog, model: pa.ChunkedArray, version: pa.ChunkedArray, feature_set: pa.ChunkedArray) -> LoadedModel:
    loaded = catalog.get(_single(model, "model"), _single(version, "version") or None)
    catalog.check_feature_set(loaded, _single(feature_set, "feature set"))
    return loaded


def _matrix(vectors: pa.ChunkedArray, loaded: LoadedModel) -> np.ndarray:
    array = vectors.combine_chunks() if vectors.num_chunks != 1 else vectors.chunk(0)
    width = len(loaded.features)
    lengths = pc.list_value_length(array)
    if pc.min(lengths).as_py() != width or pc.max(lengths).as_py() != width:
        raise ScoringError(f"{loaded.label} needs {width} features per row; got rows with "
                           f"{pc.min(lengths).as_py()}–{pc.max(lengths).as_py()}")
    values = array.flatten().to_numpy(zero_copy_only=False)
    return np.ascontiguousarray(values.reshape(len(array), width), dtype=np.float32)


def top_factors(loaded: LoadedModel, X: np.ndarray, contributions: np.ndarray, k: int) -> pa.ListArray:
    """Per row, up to ``k`` factors pulling toward the customer's side of the average (see README)."""
    n, width = contributions.shape
    k = max(0, min(int(k), width))
    direction = np.where(contributions.sum(axis=1, dtype=np.float64) >= 0, 1.0, -1.0).astype(np.float32)
    pull = contributions * direction[:, None]
    if k < width:
        candidates = np.argpartition(-pull, k - 1, axis=1)[:, :k] if k else np.empty((n, 0), dtype=np.int64)
    else:
        candidates = np.tile(np.arange(width), (n, 1))
    rows = np.arange(n)[:, None]
    order = np.argsort(-pull[rows, candidates], axis=1, kind="stable")
    chosen = candidates[rows, order]
    kept = pull[rows, chosen] > 0
    counts = kept.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    row_index = np.broadcast_to(rows, chosen.shape)[kept]
    feature_index = chosen[kept]
    contribution = contributions[row_index, feature_index].astype(np.float64)
    value = X[row_index, feature_index].astype(np.float64)
    magnitude = np.abs(contribution)
    level = (magnitude >= MEDIUM_IMPORTANCE).astype(np.int8) + (magnitude >= HIGH_IMPORTANCE).astype(np.int8)
    # dictionary-encoded strings: DuckDB decodes them, no string is copied per factor here
    take = pa.array(feature_index.astype(np.int32))
    factors = pa.StructArray.from_arrays(
        [pa.DictionaryArray.from_arrays(take, loaded.codes), pa.DictionaryArray.from_arrays(take, loaded.descriptions),
         pa.array(value, mask=np.isnan(value)), pa.array(contribution),
         pa.DictionaryArray.from_arrays(pa.array(level), _IMPORTANCE)],
        names=[f.name for f in FACTOR_TYPE],
    )
    return pa.ListArray.from_arrays(pa.array(offsets), factors)


class Functions:
    """The callables registered on one connection; they hold the catalog they read models from."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def score(self, model, version, vectors, feature_set):
        loaded = _model(self.catalog, model, version, feature_set)
        return pa.array(loaded.probabilities(_matrix(vectors, loaded)).astype(np.float64))

    def explain(self, model, version, vectors, feature_set, k):
        loaded = _model(self.catalog, model, version, feature_set)
        X = _matrix(vectors, loaded)
        return top_factors(loaded, X, loaded.contributions(X), _factor_count(k))

    def score_run(self, model, version, vectors, feature_set, k):
        """Probability, score and factors in one pass of the reason-code graph (used by scoring runs)."""
        loaded = _model(self.catalog, model, version, feature_set)
        X = _matrix(vectors, loaded)
        contributions = loaded.contributions(X)
        margin = loaded.bias + contributions.sum(axis=1, dtype=np.float64)
        probability = 1.0 / (1.0 + np.exp(-margin))
        factors = top_factors(loaded, X, contributions, _factor_count(k))
        return pa.StructArray.from_arrays(
            [pa.array(probability), pa.array(loaded.scores(probability)), factors],
            names=["probability", "score", "influential_factors"],
        )
