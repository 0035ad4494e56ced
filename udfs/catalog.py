"""The registered models as the UDFs see them: ONNX sessions checked against their sha256.

A UDF must not run SQL on the connection it is called from, so the catalog reads the registry
up front (when the UDFs are registered, and again after a training run adds a model) and the
UDFs only look models up in memory. Sessions are created on first use. A model whose bytes no
longer match the sha256 recorded at training is never loaded: using it raises an error that
says so (a tampered or damaged registry row must not score anyone).
"""

from __future__ import annotations

import functools
import hashlib
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
from cai_sql.export import INPUT_NAME, probabilities_output, session
from cai_sql.sqlfiles import sql_text


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

    def _session(self, kind: str):
        with self._lock:
            if kind not in self._sessions:
                data, expected = (self.onnx, self.sha256) if kind == "model" else (self.explainer_onnx, self.explainer_sha256)
                if data is None:
                    raise ScoringError(
                        f"{self.label} was registered before reason codes existed; retrain it with `cai train` "
                        "to get cai_explain and scoring runs"
                    )
                actual = hashlib.sha256(data).hexdigest()
                if actual != expected:
                    raise ScoringError(
                        f"{self.label}: the {'ONNX model' if kind == 'model' else 'reason-code graph'} in cai_models "
                        f"does not match its recorded sha256 ({actual[:12]} ≠ {expected[:12]}); the registry row was "
                        "modified after training — refusing to score with it; retrain the model"
                    )
                self._sessions[kind] = session(data)
                if kind == "explainer":
                    self._sessions["ranked"] = session(with_top_factors(data, self.bias, self.factors))
            return self._sessions[kind]

    def probabilities(self, X: np.ndarray) -> np.ndarray:
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
        self._session("explainer")
        k = np.array([min(k, len(self.factors.factors))], dtype=np.int64)
        return RankedFactors(*self._sessions["ranked"].run(None, {INPUT_NAME: X, "k": k}))

    def check(self) -> None:
        """Load (and so verify) both graphs now."""
        self._session("model")
        if self.explainer_onnx is not None:
            self._session("explainer")

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
        for row in con.execute(sql_text("model_artifacts")).fetchall():
            (name, version, model_type, algorithm, sha, onnx, features, explainer, explainer_sha, bias, linear, scale) = row
            key = (name, version)
            loaded = LoadedModel(
                name, version, model_type, algorithm, json.loads(features), bytes(onnx), sha,
                None if explainer is None else bytes(explainer), explainer_sha, bias,
                None if linear is None else json.loads(linear),
                None if scale is None else np.asarray(scale, dtype=np.float64),
            )
            known = self._models.get(key)
            if known is not None and (known.onnx, known.sha256, known.explainer_onnx, known.explainer_sha256) == (
                    loaded.onnx, loaded.sha256, loaded.explainer_onnx, loaded.explainer_sha256):
                loaded._sessions = known._sessions  # same verified bytes: keep the sessions
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
