"""The bodies of the scoring UDFs: Arrow batches in, Arrow batches out, no Python loop per row.

DuckDB calls them with 2048 rows at a time, on several threads at once (onnxruntime releases
the GIL). Each batch is reshaped to a float32 matrix without copying more than once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cai_sql import defaults

from .catalog import Catalog, LoadedModel, RankedFactors, ScoringError

# |contribution| in log-odds: ≥ ln 2 doubles (or halves) the odds → high; ≥ ln 1.25 → medium.
HIGH_IMPORTANCE = float(np.log(2.0))
MEDIUM_IMPORTANCE = float(np.log(1.25))
DEFAULT_FACTORS = defaults.DEFAULT_FACTORS

FACTOR_TYPE = pa.struct([
    ("code", pa.string()), ("description", pa.string()), ("value", pa.float64()),
    ("contribution", pa.float64()), ("importance", pa.string()), ("direction", pa.string()),
])
FACTORS_SQL_TYPE = ("STRUCT(code VARCHAR, description VARCHAR, value DOUBLE, contribution DOUBLE, importance VARCHAR, "
                    "direction VARCHAR)[]")
RUN_SQL_TYPE = f"STRUCT(probability DOUBLE, score INTEGER, influential_factors {FACTORS_SQL_TYPE})"
_IMPORTANCE = pa.array(["low", "medium", "high"])
_DIRECTION = pa.array(["lowers", "raises"])  # of the prediction: the sign of the contribution
_LEVELS = np.array([MEDIUM_IMPORTANCE, HIGH_IMPORTANCE])  # |contribution| at or above each: one level up
_FACTOR_FIELDS = [f.name for f in FACTOR_TYPE]


def _array(values: pa.ChunkedArray) -> pa.Array:
    """The batch as one array (DuckDB hands over one chunk; combining even one would copy it)."""
    return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()


def _single(array: pa.Array, what: str):
    if len(array) and not array.null_count and pc.all(pc.equal(array, array[0])).as_py():
        return array[0].as_py()  # the usual case, checked without hashing every row
    distinct = pc.unique(array).to_pylist()
    if len(distinct) != 1:
        raise ScoringError(f"one query must score with one {what}; got {len(distinct)} ({', '.join(map(str, distinct[:5]))})")
    return distinct[0]


def _factor_count(array: pa.Array) -> int:
    count = _single(array, "number of factors")
    if count < 0:
        raise ScoringError(f"the number of factors must be 0 or more (got {count})")
    return count


def _row_width(offsets: pa.Array) -> int | None:
    """The number of values in every row of a list batch, or None if rows differ."""
    widths = np.diff(offsets.to_numpy())
    return int(widths[0]) if len(widths) and (widths == widths[0]).all() else None


class _LastPassed:
    """One argument's check, skipped for a batch equal to the last batch that passed it.

    DuckDB repeats the constant arguments (model, version, feature set, k) and, for full batches,
    the same list offsets in every batch of 2,048 rows. One byte comparison with the last batch
    that passed replaces several Arrow and numpy calls, and inside a query each such call costs
    many times what it does in a warm loop (measured: ~4% of cai_score's CPU). DuckDB's threads
    share it: ``_last`` is read once and replaced whole, so a race only repeats a check.
    """

    def __init__(self, check: Callable[[pa.Array], object]) -> None:
        self._check = check
        self._last: tuple[pa.Array, object] | None = None

    def __call__(self, array: pa.Array):
        last = self._last
        if last is not None and array.equals(last[0]):
            return last[1]
        result = self._check(array)
        self._last = (array, result)
        return result


@functools.lru_cache(maxsize=16)
def _slot_offsets(n: int, k: int) -> pa.Array:
    """Where each of n rows' k factor slots start (the same for every full batch)."""
    return pa.array(np.arange(n, dtype=np.int32) * k)


def top_factors(loaded: LoadedModel, ranked: RankedFactors) -> pa.ListViewArray:
    """Per row, the ranked factors that pull toward the customer's side of the average (docs/sql.md).

    The graph has already ranked, signed and looked up everything; a row's factors are the first
    ``count`` of its k slots, so the list is a view over the (n, k) slots with no copying per factor.
    """
    n, k = ranked.contribution.shape
    contribution = ranked.contribution.reshape(-1)
    value = ranked.value.reshape(-1)
    level = pa.array(np.searchsorted(_LEVELS, np.abs(contribution), side="right"))  # 0 low, 1 medium, 2 high
    # dictionary-encoded strings: DuckDB decodes them, no string is copied per factor here. The
    # indices are factor text positions from the graph, levels 0-2 and directions 0-1, so Arrow need not check them.
    take = pa.array(ranked.index.reshape(-1))
    factors = pa.StructArray.from_arrays(
        [pa.DictionaryArray.from_arrays(take, loaded.codes, safe=False),
         pa.DictionaryArray.from_arrays(take, loaded.descriptions, safe=False),
         pa.array(value, mask=np.isnan(value)), pa.array(contribution),
         pa.DictionaryArray.from_arrays(level, _IMPORTANCE, safe=False),
         pa.DictionaryArray.from_arrays(pa.array((contribution > 0).astype(np.int8)), _DIRECTION, safe=False)],
        names=_FACTOR_FIELDS,
    )
    return pa.ListViewArray.from_arrays(_slot_offsets(n, k), pa.array(ranked.count), factors)


class Functions:
    """The callables registered on one connection; they hold the catalog they read models from."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._model_name = _LastPassed(functools.partial(_single, what="model"))
        self._version = _LastPassed(functools.partial(_single, what="version"))
        self._feature_set = _LastPassed(functools.partial(_single, what="feature set"))
        self._factor_count = _LastPassed(_factor_count)
        self._row_width = _LastPassed(_row_width)

    def _model(self, model: pa.ChunkedArray, version: pa.ChunkedArray, feature_set: pa.ChunkedArray) -> LoadedModel:
        loaded = self.catalog.get(self._model_name(_array(model)), self._version(_array(version)) or None)
        self.catalog.check_feature_set(loaded, self._feature_set(_array(feature_set)))
        return loaded

    def _matrix(self, vectors: pa.ChunkedArray, loaded: LoadedModel) -> np.ndarray:
        array = _array(vectors)
        width = len(loaded.features)
        if self._row_width(array.offsets) != width:
            lengths = pc.list_value_length(array)
            raise ScoringError(f"{loaded.label} needs {width} features per row; got rows with "
                               f"{pc.min(lengths).as_py()}–{pc.max(lengths).as_py()}")
        values = array.flatten().to_numpy(zero_copy_only=False)
        return np.ascontiguousarray(values.reshape(len(array), width), dtype=np.float32)

    def _ranked(self, model, version, vectors, feature_set, k) -> tuple[LoadedModel, RankedFactors]:
        loaded = self._model(model, version, feature_set)
        return loaded, loaded.ranked_factors(self._matrix(vectors, loaded), self._factor_count(_array(k)))

    def score(self, model, version, vectors, feature_set):
        loaded = self._model(model, version, feature_set)
        return pa.array(loaded.probabilities(self._matrix(vectors, loaded)).astype(np.float64))

    def explain(self, model, version, vectors, feature_set, k):
        return top_factors(*self._ranked(model, version, vectors, feature_set, k))

    def score_run(self, model, version, vectors, feature_set, k):
        """Probability, score and factors in one pass of the reason-code graph (used by scoring runs)."""
        loaded, ranked = self._ranked(model, version, vectors, feature_set, k)
        return pa.StructArray.from_arrays(
            [pa.array(ranked.probability), pa.array(loaded.scores(ranked.probability)), top_factors(loaded, ranked)],
            names=["probability", "score", "influential_factors"],
        )
