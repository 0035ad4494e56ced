"""Feature histograms per scoring run, on bins fixed at training, for drift (PSI) between runs.

The bins of a feature are the distinct deciles of its training rows, so they follow where the
model saw data. Each run stores how many of its customers fall in each bin (missing values in
bin -1); ``cai_drift`` then compares two runs bin for bin in SQL. Counting happens here in numpy
over Arrow batches of the run's feature vectors, which is far cheaper than unnesting every value
in SQL (52 features × 1M customers is 52M values).
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pyarrow as pa

from .sqlfiles import sql_text

DECILES = np.linspace(0.1, 0.9, 9)
BATCH_ROWS = 262_144
MOSTLY_OUTSIDE = 0.5  # a feature is flagged when more than this share of its scored values lie outside training's range


def value_ranges(X: np.ndarray, names: list[str]) -> dict[str, list[float]]:
    """Per feature, the [min, max] of its non-missing training values (features never present are left out)."""
    ranges = {}
    for j, name in enumerate(names):
        column = X[:, j]
        present = column[~np.isnan(column)]
        if present.size:
            ranges[name] = [float(present.min()), float(present.max())]
    return ranges


def out_of_range(con: duckdb.DuckDBPyConnection, features_table: str, names: list[str],
                 ranges: dict[str, list[float]]) -> list[dict]:
    """The features whose scored (non-missing) values lie mostly outside their training range, most
    affected first: a model cannot know what a value it never saw means (e.g. tenure 190–273 days at
    scoring after 10–93 in training), so its scores there are extrapolations."""
    outside = np.zeros(len(names), dtype=np.int64)
    present = np.zeros(len(names), dtype=np.int64)
    low = np.array([ranges.get(n, [-np.inf, np.inf])[0] for n in names])
    high = np.array([ranges.get(n, [-np.inf, np.inf])[1] for n in names])
    reader = con.table(features_table).select("feature_vector").to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        if batch.num_rows == 0:
            continue
        matrix = _flatten(batch.column(0), len(names))
        with np.errstate(invalid="ignore"):
            outside += ((matrix < low) | (matrix > high)).sum(axis=0)
        present += (~np.isnan(matrix)).sum(axis=0)
    flagged = []
    for j, name in enumerate(names):
        if name in ranges and present[j] and outside[j] / present[j] > MOSTLY_OUTSIDE:
            flagged.append({"feature": name, "share": float(outside[j] / present[j]),
                            "train_min": ranges[name][0], "train_max": ranges[name][1]})
    return sorted(flagged, key=lambda f: -f["share"])


def bin_edges(X: np.ndarray, names: list[str]) -> dict[str, list[float]]:
    """Per feature, the distinct deciles of its non-missing training values (the bin boundaries)."""
    edges = {}
    for j, name in enumerate(names):
        column = X[:, j].astype(np.float64)
        present = column[~np.isnan(column)]
        edges[name] = np.unique(np.quantile(present, DECILES)).tolist() if len(present) else []
    return edges


def stored_edges(con: duckdb.DuckDBPyConnection, model: str, version: int) -> dict[str, list[float]] | None:
    """The bin boundaries recorded at training, or None for a model trained before they existed."""
    rows = con.execute(sql_text("model_feature_bins"), {"model": model, "version": version}).fetchall()
    return json.loads(rows[0][0]) if rows and rows[0][0] is not None else None


def stored_ranges(con: duckdb.DuckDBPyConnection, model: str, version: int) -> dict[str, list[float]] | None:
    """The training value ranges, or None for a model trained before they were recorded."""
    rows = con.execute(sql_text("model_feature_ranges"), {"model": model, "version": version}).fetchall()
    return json.loads(rows[0][0]) if rows and rows[0][0] is not None else None


def _flatten(vectors: pa.Array, width: int) -> np.ndarray:
    values = vectors.flatten().to_numpy(zero_copy_only=False).astype(np.float64)
    return values.reshape(len(vectors), width)


def record_histograms(con: duckdb.DuckDBPyConnection, run_id: int, features_table: str,
                      names: list[str], edges: dict[str, list[float]]) -> int:
    """Count the run's customers per feature bin and store the counts; returns the rows written."""
    boundaries = [np.asarray(edges[name], dtype=np.float64) for name in names]
    counts = [np.zeros(len(b) + 2, dtype=np.int64) for b in boundaries]  # slot 0: missing
    reader = con.table(features_table).select("feature_vector").to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        if batch.num_rows == 0:
            continue
        matrix = _flatten(batch.column(0), len(names))
        for j, bounds in enumerate(boundaries):
            column = matrix[:, j]
            missing = np.isnan(column)
            slots = np.searchsorted(bounds, column[~missing], side="right") + 1
            counts[j] += np.bincount(slots, minlength=len(bounds) + 2)
            counts[j][0] += int(missing.sum())
    rows = []
    for name, bounds, count in zip(names, boundaries, counts):
        rows.append((run_id, name, -1, None, None, int(count[0])))
        for k in range(len(bounds) + 1):
            lower = float(bounds[k - 1]) if k > 0 else None
            upper = float(bounds[k]) if k < len(bounds) else None
            rows.append((run_id, name, k, lower, upper, int(count[k + 1])))
    con.executemany(sql_text("insert_feature_bin"), [dict(zip(
        ("run_id", "feature", "bin", "lower", "upper", "customers"), row)) for row in rows])
    return len(rows)
