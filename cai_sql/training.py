"""Training: snapshot rows from SQL, two candidate models, out-of-time validation, ONNX, registry.

Cutoffs: the validation cutoff is the latest date whose whole goal window lies inside the data;
training cutoffs step back from ``validation cutoff - window`` by ``stride_days``, so no training
label window overlaps the validation window. Features before each cutoff need
``max(lookback, 30)`` days of history.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass

import duckdb
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import udfs
from .database import connect, table_exists, transaction, use_utc
from .drift import bin_edges
from .errors import CaiError, InputError
from .explain import ExplainerError, LinearTerms, build_explainer
from .export import ExportError, export
from .features import Feature, ParsedPredicates, features_sql, labels_sql, plan_features, training_rows_sql
from .metrics import POOR_AUC, auc, evaluate
from .progress import Reporter
from .macros import any_model_features_sql, features_macro_sql, linear_explain_sql, linear_score_sql, names as macro_names
from .registry import ModelRecord, ensure_registry, next_version, register, registered_models
from .spec import PredictionSpec, check_against_database, load_spec
from .sqlfiles import sql_text


ALGORITHMS = ("hist_gradient_boosting", "logistic_regression")
SCORE_SCALE_POINTS = 1001  # quantiles of the validation probabilities that define score 0–100


class TrainingError(CaiError):
    """The data cannot support training this spec."""


@dataclass(frozen=True)
class TrainResult:
    record: ModelRecord
    candidates: dict[str, float]
    oracle_auc: float | None
    warnings: tuple[str, ...]
    seconds: float
    estimator: object = None  # the fitted scikit-learn model (not stored: the registry keeps its ONNX export)

    def summary(self) -> str:
        r = self.record
        text = (f"{r.model} v{r.version}: {r.algorithm}, validation AUC {r.auc:.3f} "
                f"({', '.join(f'{k} {v:.3f}' for k, v in self.candidates.items())}), "
                f"{r.n_features} features, sha256 {r.sha256[:12]}")
        if self.oracle_auc is not None:
            text += f"; oracle AUC {self.oracle_auc:.3f} (model/oracle {r.auc / self.oracle_auc:.2f})"
        return text


def _create_macros(con, spec: PredictionSpec, record: ModelRecord, features: list[Feature], parsed: ParsedPredicates,
                   linear: LinearTerms | None, *, has_profiles: bool) -> None:
    """The version's persisted macros and the latest-version aliases (inside the registration transaction)."""
    names = macro_names(spec.name, record.version)
    feature_names = [f.name for f in features]
    feature_set = f"{spec.name}@v{record.version}"
    con.execute(features_sql(spec, features, parsed, has_profiles=has_profiles, macro_name=names["rows"]))
    for key in ("features", "features_version"):
        con.execute(features_macro_sql(names[key], names["rows"], feature_names, feature_set))
    for key in ("labels", "labels_version"):
        con.execute(labels_sql(spec, parsed, macro_name=names[key]))
    if linear is not None:
        for key in ("linear_score", "linear_score_version"):
            con.execute(linear_score_sql(names[key], linear, feature_names))
        for key in ("linear_explain", "linear_explain_version"):
            con.execute(linear_explain_sql(names[key], linear, record.features))
    con.execute(any_model_features_sql(registered_models(con)))


def plan_cutoffs(spec: PredictionSpec, first_day: dt.date, last_day: dt.date) -> tuple[list[dt.date], dt.date]:
    """Training cutoffs (oldest first) and the validation cutoff, or a clear refusal."""
    window = spec.goal.window_days
    validation = last_day + dt.timedelta(days=1) - dt.timedelta(days=window)
    newest_train = validation - dt.timedelta(days=window)
    earliest_allowed = first_day + dt.timedelta(days=spec.history_days)
    train = [newest_train - dt.timedelta(days=k * spec.stride_days) for k in range(spec.snapshots - 1)]
    train = sorted(c for c in train if c >= earliest_allowed)
    if not train:
        covered = (last_day - first_day).days + 1
        needed = spec.history_days + 2 * window
        raise TrainingError(
            f"{spec.source}: the events cover {covered} days ({first_day} … {last_day}) but one training and one "
            f"validation snapshot need {needed}: {spec.history_days} days of history plus two goal windows of "
            f"{window} days; load more history or shorten goal.window_days or lookback_days"
        )
    return train, validation


def _matrix(table, features: list[Feature]) -> np.ndarray:
    columns = [np.asarray(table.column(f.name).to_numpy(zero_copy_only=False), dtype=np.float64) for f in features]
    return np.column_stack(columns) if columns else np.empty((table.num_rows, 0))


def _candidates(seed: int = 0) -> dict:
    return {
        "hist_gradient_boosting": HistGradientBoostingClassifier(
            learning_rate=0.06, max_iter=400, max_leaf_nodes=31, min_samples_leaf=40, l2_regularization=1.0,
            early_stopping=True, validation_fraction=0.15, n_iter_no_change=25, random_state=seed,
        ),
        "logistic_regression": make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(),
            LogisticRegression(max_iter=2000),
        ),
    }


def _oracle_auc(con: duckdb.DuckDBPyConnection, spec: PredictionSpec, cutoff: dt.date,
                customers: list[str], y: np.ndarray) -> float | None:
    """AUC of the generator's true intent at the cutoff on the validation rows (demo data, purchase goals)."""
    if spec.model_type != "conversion" or not table_exists(con, "demo_purchase_intent"):
        return None
    if not any("commerce.purchases" in condition for condition in spec.goal.conditions):
        return None
    oracle = dict(con.execute(sql_text("demo_oracle"), {"cutoff": cutoff, "window": spec.goal.window_days}).fetchall())
    return auc(y, np.array([oracle.get(customer, 0.0) for customer in customers]))


def train(
    db: str | os.PathLike | duckdb.DuckDBPyConnection,
    spec: PredictionSpec | str | os.PathLike,
    *,
    now: dt.datetime | None = None,
    reporter: Reporter | None = None,
    algorithms: tuple[str, ...] | None = None,
) -> TrainResult:
    """Train, validate, export and register a model for ``spec``; nothing is registered on failure.

    ``algorithms`` limits the candidates (``hist_gradient_boosting``, ``logistic_regression``);
    by default both are fitted and the better by validation AUC is kept.
    """
    unknown = set(algorithms or ()) - set(ALGORITHMS)
    if unknown or algorithms == ():
        raise InputError(f"unknown algorithm {', '.join(sorted(unknown)) or '(none given)'}; choose from {', '.join(ALGORITHMS)}")
    started = time.perf_counter()
    reporter = reporter or Reporter()
    spec = spec if isinstance(spec, PredictionSpec) else load_spec(spec)
    con = db if isinstance(db, duckdb.DuckDBPyConnection) else connect(db)
    try:
        return _train(con, spec, now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), reporter, started,
                      algorithms or ALGORITHMS)
    finally:
        if con is not db:
            con.close()


def _train(con, spec: PredictionSpec, now: dt.datetime, reporter: Reporter, started: float,
           algorithms: tuple[str, ...]) -> TrainResult:
    use_utc(con)
    parsed = ParsedPredicates(**check_against_database(spec, con))
    first_day, last_day, n_future, first_future, n_null = con.execute(sql_text("events_range"), {"now": now}).fetchall()[0]
    if first_day is None:
        raise InputError("the events table is empty; load events with `cai ingest FILE`")
    if n_null:
        raise InputError(
            f"{n_null:,} events have no customer_id; they cannot be attributed — delete them or reload the "
            "events with `cai ingest`, which refuses such rows"
        )
    if n_future:
        raise InputError(
            f"{n_future:,} events are dated after now ({now:%Y-%m-%d %H:%M} UTC; the first at {first_future}); "
            "future-dated events would leak into features — fix their timestamps or remove them"
        )
    train_cutoffs, validation_cutoff = plan_cutoffs(spec, first_day, last_day)
    has_profiles = table_exists(con, "profiles")
    features = plan_features(con, spec, validation_cutoff)
    with reporter.step(f"{spec.name}: features and labels at {len(train_cutoffs) + 1} cutoffs") as advance:
        con.execute(sql_text("training_cutoffs"), {
            "cutoffs": [*train_cutoffs, validation_cutoff],
            "roles": ["train"] * len(train_cutoffs) + ["validation"],
        })
        rows = con.sql(training_rows_sql(spec, features, parsed, has_profiles=has_profiles)).to_arrow_table()
        advance(1, 1)
    roles = np.asarray(rows.column("role").to_pylist())
    labels = np.asarray(rows.column("label").to_pylist(), dtype=int)
    X = _matrix(rows, features).astype(np.float32).astype(np.float64)  # the values ONNX will see
    is_train, is_valid = roles == "train", roles == "validation"
    y_train, y_valid = labels[is_train], labels[is_valid]
    positives, negatives = int(y_train.sum()), int((1 - y_train).sum())
    if positives == 0 or negatives == 0:
        only = "positive" if negatives == 0 else "negative"
        raise TrainingError(
            f"{spec.source}: every training example is {only} ({positives + negatives:,} examples); no event matches "
            "the goal in its window or every customer meets it — check goal conditions" if positives == 0 else
            f"{spec.source}: every training example is {only}; the goal is met by everyone — check goal conditions"
        )
    if positives < spec.min_positives or negatives < spec.min_negatives:
        raise TrainingError(
            f"{spec.source}: too few examples: {positives:,} qualifying and {negatives:,} non-qualifying across "
            f"{len(train_cutoffs)} training cutoffs; need at least {spec.min_positives:,} and {spec.min_negatives:,} "
            "(training.min_positives / min_negatives); add snapshots, widen eligibility or load more customers"
        )
    if len(set(y_valid)) < 2:
        raise TrainingError(f"{spec.source}: the validation snapshot ({validation_cutoff}) has only one class; AUC is undefined")

    candidates, fitted = {}, {}
    for name, model in _candidates().items():
        if name not in algorithms:
            continue
        with reporter.step(f"{spec.name}: fitting {name} on {int(is_train.sum()):,} rows") as advance:
            model.fit(X[is_train], y_train)
            candidates[name] = auc(y_valid, model.predict_proba(X[is_valid])[:, 1])
            fitted[name] = model
            advance(1, 1)
    warnings = []
    exported, algorithm = None, None
    for name in sorted(candidates, key=candidates.get, reverse=True):
        with reporter.step(f"{spec.name}: exporting {name} to ONNX and checking parity") as advance:
            try:
                exported = export(fitted[name], X[is_valid], spec.name)
                explainer, linear = build_explainer(fitted[name], name, exported.onnx, X[is_valid])
                algorithm = name
            except (ExportError, ExplainerError) as exc:
                exported, failure = None, exc
                warnings.append(f"{name} (validation AUC {candidates[name]:.3f}) was not kept: {exc}")
            advance(1, 1)
        if exported is not None:
            break
    if exported is None:
        raise failure
    model = fitted[algorithm]
    p_valid = model.predict_proba(X[is_valid])[:, 1]
    score_scale = np.quantile(p_valid, np.linspace(0.0, 1.0, SCORE_SCALE_POINTS)).tolist()
    metrics = evaluate(y_valid, p_valid)
    customers = np.asarray(rows.column("customer_id").to_pylist(), dtype=object)[is_valid].tolist()
    oracle = _oracle_auc(con, spec, validation_cutoff, customers, y_valid)
    if metrics["auc"] < POOR_AUC:
        warnings.append(f"model quality is poor: validation AUC {metrics['auc']:.3f} is below {POOR_AUC}")
    metrics.update({
        "candidates": candidates,
        "oracle_auc": oracle,
        "parity_max_abs_difference": exported.max_abs_difference,
        "reason_codes": {"method": explainer.method, "sha256": explainer.sha256,
                         "max_abs_difference": explainer.max_abs_difference},
        "class_balance": {
            "train_positives": positives, "train_negatives": negatives,
            "validation_positives": int(y_valid.sum()), "validation_negatives": int((1 - y_valid).sum()),
        },
        "training_window": {
            "first_cutoff": train_cutoffs[0].isoformat(), "last_cutoff": train_cutoffs[-1].isoformat(),
            "validation_cutoff": validation_cutoff.isoformat(), "events_from": first_day.isoformat(),
            "events_to": last_day.isoformat(),
        },
        "feature_bins": bin_edges(X[is_train], [f.name for f in features]),
        "warnings": warnings,
    })
    with transaction(con):
        ensure_registry(con)
        version = next_version(con, spec.name)
        record = ModelRecord(
            model=spec.name, version=version, created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
            model_type=spec.model_type, algorithm=algorithm, sha256=exported.sha256, n_features=len(features),
            features=[f.to_dict() for f in features], spec=spec.to_dict(), metrics=metrics, auc=metrics["auc"],
            training_cutoffs=train_cutoffs, validation_cutoff=validation_cutoff,
        )
        register(con, record, exported.onnx, explainer=explainer, linear_terms=linear, score_scale=score_scale)
        _create_macros(con, spec, record, features, parsed, linear, has_profiles=has_profiles)
    udfs.refresh(con)
    for warning in warnings:
        reporter.note(f"Warning: {warning}")
    return TrainResult(record, candidates, oracle, tuple(warnings), time.perf_counter() - started, model)
