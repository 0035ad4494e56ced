"""The registered models as the UDFs see them: ONNX sessions checked against their sha256.

A UDF must not run SQL on the connection it is called from, so the catalog reads the registry
up front (when the UDFs are registered, and again after a training run adds a model) and the
UDFs only look models up in memory. Sessions are created on first use, and only for a version
whose every part still matches the hashes recorded at training (cai_sql.integrity) and whose two
graphs, the ONNX model and the reason-code graph, both reproduce the parity rows registered with
it: a tampered or damaged registry row, or an onnxruntime that computes differently, scores no one.

A tree model's ``cai_score`` then walks its trees in XGBoost (cai_sql.tree_runtime), with a model
derived from the verified ONNX classifier and used only if it gives onnxruntime's probabilities on the
parity rows (and on them with each feature missing in turn); otherwise onnxruntime scores, as before.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field
from typing import NamedTuple

import duckdb
import numpy as np
import pyarrow as pa

from cai_sql.database import table_exists
from cai_sql.errors import CaiError
from cai_sql.explain import with_top_factors
from cai_sql.factors import FactorLayout, factor_layout
from cai_sql.integrity import PROBE_TOLERANCE, IntegrityError, read_rows, verify
from cai_sql.export import INPUT_NAME, probabilities_output, session
from cai_sql import tree_runtime


class ScoringError(CaiError):
    """A model cannot score the rows it was given."""


class RankedFactors(NamedTuple):
    """The ranked explainer graph's outputs for n rows and k factor slots per row."""

    probability: np.ndarray  # (n,) float64
    count: np.ndarray  # (n,) int32: the first `count` slots of a row are its factors
    contribution: np.ndarray  # (n, k) float64
    value: np.ndarray  # (n, k) float64
    index: np.ndarray  # (n, k) int32: the factor text (position in LoadedModel.codes / descriptions)


@dataclass
class LoadedModel:
    """One model version, ready to score: sessions are built lazily and shared by DuckDB's threads."""

    model: str
    version: int
    model_type: str
    algorithm: str
    features: list[dict]
    onnx: bytes
    sha256: str
    explainer_onnx: bytes | None
    explainer_sha256: str | None
    bias: float | None
    linear_terms: dict | None
    score_scale: np.ndarray | None
    row: dict = field(repr=False)  # the registry row as read: what verification hashes
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _sessions: dict = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return f"{self.model} v{self.version}"

    @property
    def feature_names(self) -> list[str]:
        return [f["name"] for f in self.features]

    @functools.cached_property
    def factors(self) -> FactorLayout:
        """The reason-code factors of the feature list (one per attribute; see cai_sql.factors)."""
        return factor_layout(self.features)

    @functools.cached_property
    def codes(self) -> pa.Array:
        """Factor codes, one per factor text: the graph's ``index`` output points into this and ``descriptions``."""
        return pa.array(self.factors.codes, pa.string())

    @functools.cached_property
    def descriptions(self) -> pa.Array:
        return pa.array(self.factors.texts, pa.string())

    @property
    def feature_set(self) -> str:
        """The identity the features macros stamp on each row: which model version's feature list it is."""
        return f"{self.model}@v{self.version}"

    @property
    def model_sha256(self) -> str | None:
        return self.row["model_sha256"]

    @property
    def macros(self) -> dict[str, str]:
        """The registered text of the version's persisted macros, by name."""
        return json.loads(self.row["macros"]) if self.row["macros"] else {}

    def _session(self, kind: str):
        with self._lock:
            if not self._sessions:
                self._sessions = self._load()
            return self._sessions[kind]

    def _load(self) -> dict:
        """Verify every part against its hash, then build the sessions and check them on the parity rows."""
        verify(self.row)
        if self.explainer_onnx is None:
            raise ScoringError(f"{self.label} was registered before reason codes existed; retrain it with `cai train` "
                               "to get cai_explain and scoring runs")
        sessions = {"model": session(self.onnx), "explainer": session(self.explainer_onnx),
                    "ranked": session(with_top_factors(self.explainer_onnx, self.bias, self.factors))}
        self._check_parity(sessions)
        sessions["trees"], sessions["runtime"] = self._fast_trees(sessions["model"])
        return sessions

    def _parity_matrix(self) -> np.ndarray:
        probe = json.loads(self.row["probe"])
        return np.array([[np.nan if v is None else v for v in row] for row in probe["rows"]], dtype=np.float32)

    def _fast_trees(self, model) -> tuple[tree_runtime.XGBoostTrees | None, str]:
        """XGBoost for a tree model's probabilities when its derived model reproduces onnxruntime, else None.

        Checked on the registered parity rows, and on them again with each feature in turn missing (so every
        feature's missing-value routing is exercised): within ``tree_runtime.PROBABILITY_TOLERANCE``.
        """
        if self.linear_terms is not None or self.algorithm == "logistic_regression":
            return None, "onnxruntime (linear model)"
        if tree_runtime.requested_runtime() != tree_runtime.XGBOOST:
            return None, f"onnxruntime ({tree_runtime.RUNTIME_ENV}={tree_runtime.ONNXRUNTIME})"
        try:
            trees = tree_runtime.XGBoostTrees(tree_runtime.derive(self.onnx, len(self.features)))
        except ImportError:
            return None, "onnxruntime (xgboost is not installed)"
        except Exception as exc:  # noqa: BLE001 - any failure to convert means: score with onnxruntime
            return None, f"onnxruntime (the trees could not be converted: {exc})"
        X = self._parity_matrix()
        if len(X):
            width = X.shape[1]
            missing = np.repeat(X[:1], width, axis=0)
            missing[np.arange(width), np.arange(width)] = np.nan
            X = np.concatenate([X, missing])
            (expected,) = model.run([probabilities_output(model)], {INPUT_NAME: X})
            difference = float(np.max(np.abs(trees.probabilities(X) - expected[:, 1])))
            if not difference <= tree_runtime.PROBABILITY_TOLERANCE:
                return None, (f"onnxruntime (the XGBoost trees differ by {difference:.1e} on the parity rows; "
                              f"limit {tree_runtime.PROBABILITY_TOLERANCE:.0e})")
        return trees, "xgboost"

    @property
    def runtime(self) -> str:
        """Which runtime scores ``cai_score`` for this version, and why when not XGBoost (loads the version)."""
        return self._session("runtime")

    def _check_parity(self, sessions: dict) -> None:
        """Both graphs must give the probabilities scikit-learn gave for the registered rows (within the export's tolerance)."""
        X = self._parity_matrix()
        if not len(X):
            return
        expected = np.asarray(json.loads(self.row["probe"])["probabilities"])
        model = sessions["model"]
        (p_model,) = model.run([probabilities_output(model)], {INPUT_NAME: X})
        ranked = sessions["ranked"].run(None, {INPUT_NAME: X, "k": np.array([min(1, len(self.factors.factors))], np.int64)})
        for what, got in (("ONNX model", p_model[:, 1]), ("reason-code graph", ranked[0])):
            difference = float(np.max(np.abs(got - expected)))
            if not difference <= PROBE_TOLERANCE:
                raise IntegrityError(
                    f"{self.label}: the {what} gives probabilities {difference:.1e} away from those registered with it "
                    f"(limit {PROBE_TOLERANCE:.0e}) on its parity rows; refusing to score with it — retrain the model"
                )

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        trees = self._session("trees")
        if trees is not None:
            return trees.probabilities(X)
        session = self._session("model")
        (probabilities,) = session.run([self._probabilities_output], {INPUT_NAME: X})
        return probabilities[:, 1]

    @functools.cached_property
    def _probabilities_output(self) -> str:
        return probabilities_output(self._session("model"))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        (result,) = self._session("explainer").run(None, {INPUT_NAME: X})
        return result

    def ranked_factors(self, X: np.ndarray, k: int) -> RankedFactors:
        """Each row's probability and its top-k factors toward its side of the average (see ``with_top_factors``)."""
        k = np.array([min(k, len(self.factors.factors))], dtype=np.int64)
        return RankedFactors(*self._session("ranked").run(None, {INPUT_NAME: X, "k": k}))

    def check(self) -> None:
        """Verify the version and load its graphs now."""
        self._session("model")

    def scores(self, probabilities: np.ndarray) -> np.ndarray:
        """0–100 on this version's fixed scale: the share of its validation population with a lower probability."""
        if self.score_scale is None:
            return np.rint(probabilities * 100).astype(np.int32)
        return np.rint(np.interp(probabilities, self.score_scale, self._score_grid)).astype(np.int32)

    @functools.cached_property
    def _score_grid(self) -> np.ndarray:
        return np.linspace(0.0, 100.0, len(self.score_scale))


class Catalog:
    """Every registered model version of one database, by name and version."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, int], LoadedModel] = {}
        self._latest: dict[str, int] = {}
        self._feature_sets: dict[str, LoadedModel] = {}

    def refresh(self, con: duckdb.DuckDBPyConnection) -> None:
        if not table_exists(con, "cai_models"):
            return
        models, latest, feature_sets = {}, {}, {}
        for row in read_rows(con):
            name, version, explainer, linear, scale = (row["model"], row["version"], row["explainer"],
                                                       row["linear_terms"], row["score_scale"])
            key = (name, version)
            loaded = LoadedModel(
                name, version, row["model_type"], row["algorithm"], json.loads(row["features"]), bytes(row["onnx"]),
                row["sha256"], None if explainer is None else bytes(explainer), row["explainer_sha256"],
                row["explainer_bias"], None if linear is None else json.loads(linear),
                None if scale is None else np.asarray(scale, dtype=np.float64), row,
            )
            known = self._models.get(key)
            if known is not None and known._sessions and known.row == row:
                loaded._sessions = known._sessions  # the same row, already verified: keep its sessions
            models[key] = loaded
            latest[name] = max(latest.get(name, 0), version)
            feature_sets[loaded.feature_set] = loaded
        self._models, self._latest, self._feature_sets = models, latest, feature_sets

    def get(self, model: str, version: int | None = None) -> LoadedModel:
        if model not in self._latest:
            known = ", ".join(sorted(self._latest)) or "none"
            raise ScoringError(f"no model '{model}' in the registry (models: {known}); train one with `cai train SPEC.toml`")
        version = version or self._latest[model]
        found = self._models.get((model, version))
        if found is None:
            versions = sorted(v for (m, v) in self._models if m == model)
            raise ScoringError(f"model '{model}' has no version {version} (versions: {', '.join(map(str, versions))})")
        return found

    def check_feature_set(self, model: LoadedModel, feature_set: str) -> None:
        """Refuse rows made for another feature list, naming the features that differ."""
        if feature_set == model.feature_set:
            return
        source = self._feature_sets.get(feature_set)
        if source is not None and source.feature_names == model.feature_names:
            return
        if source is None:
            raise ScoringError(
                f"{model.label} cannot score these rows: they were not made by a features macro of a registered "
                f"model (feature_set '{feature_set}'); pass a row of cai_features_{model.model}(DATE '…')"
            )
        missing = [n for n in model.feature_names if n not in source.feature_names]
        extra = [n for n in source.feature_names if n not in model.feature_names]
        detail = "; ".join(part for part in (
            f"missing: {', '.join(missing)}" if missing else "",
            f"extra: {', '.join(extra)}" if extra else "",
            "same features in another order" if not (missing or extra) else "",
        ) if part)
        raise ScoringError(
            f"{model.label} cannot score rows of cai_features_{source.model}_v{source.version}: {detail}; "
            f"pass a row of cai_features_{model.model}(DATE '…')"
        )
