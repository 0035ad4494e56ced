"""The model registry (``cai_models``), its BI view and the per-model SQL macros."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from .database import table_exists
from .errors import CaiError, shorten
from .sqlfiles import sql_text

if TYPE_CHECKING:  # explain imports onnx; listing models must not
    from .explain import Explainer, LinearTerms


class UnknownModelError(CaiError):
    """No such model (or version) in the registry."""


def ensure_registry(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(sql_text("cai_models"))
    con.execute(sql_text("upgrade_cai_models"))
    con.execute(sql_text("cai_model_evaluation"))


def next_version(con: duckdb.DuckDBPyConnection, model: str) -> int:
    return con.execute(sql_text("next_model_version"), {"model": model}).fetchall()[0][0]


@dataclass(frozen=True)
class ModelRecord:
    model: str
    version: int
    created_at: dt.datetime
    model_type: str
    algorithm: str
    sha256: str
    n_features: int
    features: list[dict]
    spec: dict
    metrics: dict
    auc: float
    training_cutoffs: list[dt.date]
    validation_cutoff: dt.date
    model_sha256: str | None = None  # the hash over every artifact (cai_sql.integrity); set at registration


def register(con: duckdb.DuckDBPyConnection, record: ModelRecord, onnx: bytes, *, explainer: Explainer,
             linear_terms: LinearTerms | None, score_scale: list[float], probe: dict) -> None:
    """Insert one model version (the caller holds the transaction, and seals the row once its macros exist)."""
    con.execute(sql_text("register_model"), {
        "explainer": explainer.onnx, "explainer_sha256": explainer.sha256, "explainer_bias": explainer.bias,
        "linear_terms": None if linear_terms is None else json.dumps(linear_terms.to_dict()), "score_scale": score_scale,
        "model": record.model, "version": record.version, "created_at": record.created_at,
        "model_type": record.model_type, "algorithm": record.algorithm, "sha256": record.sha256,
        "onnx": onnx, "n_features": record.n_features, "features": json.dumps(record.features),
        "spec": json.dumps(record.spec), "metrics": json.dumps(record.metrics), "auc": record.auc,
        "training_cutoffs": record.training_cutoffs, "validation_cutoff": record.validation_cutoff,
        "probe": json.dumps(probe),
    })


def list_models(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    if not table_exists(con, "cai_models"):
        return []
    return con.execute(sql_text("list_models")).fetchall()


def load_model(con: duckdb.DuckDBPyConnection, model: str, version: int | None = None) -> ModelRecord:
    if not table_exists(con, "cai_models"):
        raise UnknownModelError("no models are registered yet; train one with `cai train SPEC.toml`")
    rows = con.execute(sql_text("model_card"), {"model": model, "version": version}).fetchall()
    if not rows:
        known = sorted({row[0] for row in list_models(con)})
        which = f"model '{shorten(model)}'" + (f" version {version}" if version is not None else "")
        raise UnknownModelError(f"no {which} in the registry (models: {', '.join(known) or 'none'})")
    (name, ver, created, model_type, algorithm, sha, n_features, features, spec, metrics, auc, cutoffs, validation,
     model_sha) = rows[0]
    return ModelRecord(name, ver, created, model_type, algorithm, sha, n_features, json.loads(features),
                       json.loads(spec), json.loads(metrics), auc, list(cutoffs), validation, model_sha)


def registered_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The names of every registered model."""
    return sorted({row[0] for row in list_models(con)})


def known_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every model the database knows: registered, or with a successful scoring run."""
    known = set(registered_models(con))
    if table_exists(con, "cai_runs"):
        known |= {row[0] for row in con.execute(sql_text("scored_models")).fetchall()}
    return sorted(known)


def check_model(con: duckdb.DuckDBPyConnection, model: str) -> None:
    """Refuse a model name the database does not know, naming the ones it does (a filter on a misspelt
    name would otherwise find nothing and say so as if that were an answer)."""
    known = known_models(con)
    if model in known:
        return
    close = difflib.get_close_matches(model, known, n=1)
    raise UnknownModelError(f"unknown model '{shorten(model)}'" + (f"; did you mean {close[0]}?" if close else "")
                            + f" (models: {', '.join(known) or 'none yet; train one with `cai train SPEC.toml`'})")
