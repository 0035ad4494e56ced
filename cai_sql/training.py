"""Training: snapshot rows from SQL, two candidate models, out-of-time validation, ONNX, registry.

Cutoffs: the validation cutoff is the latest date whose whole goal window lies inside the data
(or before ``as_of``: training as of a date uses only the events before it); training cutoffs step
back from ``validation cutoff - window`` by ``stride_days``, so no training label window overlaps
the validation window. A training cutoff needs only MIN_HISTORY_DAYS of data before it: lifetime
features need no more, and windowed features longer than the history at the earliest cutoff are
left out of the plan (with a note).

Model choice never looks at the validation rows: a few gradient-boosting settings and the logistic
regression are compared on an inner time split of the training cutoffs (the newest training cutoff
against the older ones), the winner is refitted on every training cutoff, and the validation rows
score it once. The same rows score the baselines (:mod:`cai_sql.baselines`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import sqlglot
from sqlglot import exp
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import defaults, udfs
from .clock import FUTURE_TOLERANCE, describe_tolerance
from .database import connect, table_exists, transaction, use_utc
from .drift import bin_edges, value_ranges
from .errors import CaiError, InputError, shorten
from .explain import ExplainerError, LinearTerms, build_explainer
from .export import ExportError, export
from .integrity import parity_rows, seal
from .features import Feature, ParsedPredicates, features_sql, labels_sql, plan_features, training_rows_sql, windowed_drops
from .metrics import POOR_AUC, auc, evaluate
from .baselines import BASELINES, GOAL_SOURCE, baseline_scores
from .clv import expected_purchases, fit_bgnbd_before
from .ledger import CLV_MACROS
from .progress import Reporter
from .macros import any_model_features_sql, features_macro_sql, linear_explain_sql, linear_score_sql, names as macro_names
from .registry import ModelRecord, ensure_registry, next_version, register, registered_models
from .tree_sql import TreeSQLError, alias_sql, check as check_tree_sql, compile_trees, unavailable_sql
from .spec import PredictionSpec, check_against_database, load_spec
from .sqlfiles import sql_text
from .sqltree import DIALECT


ALGORITHMS = defaults.ALGORITHMS
MIN_HISTORY_DAYS = 14  # data a training cutoff needs before it
FEW_EXAMPLES = 100  # fewer training positives or negatives than this: a warning, whatever the minimums
SEARCH_ROWS = 200_000  # the inner split's rows are sampled down to this many (bounds the search's time)
# Gradient-boosting settings compared on the inner split (the first is the long-standing default).
HGB_SETTINGS = (
    {"learning_rate": 0.06, "max_leaf_nodes": 31, "min_samples_leaf": 40, "l2_regularization": 1.0},
    {"learning_rate": 0.03, "max_leaf_nodes": 15, "min_samples_leaf": 100, "l2_regularization": 1.0},
    {"learning_rate": 0.1, "max_leaf_nodes": 63, "min_samples_leaf": 20, "l2_regularization": 0.1},
    {"learning_rate": 0.05, "max_leaf_nodes": 31, "min_samples_leaf": 200, "l2_regularization": 10.0},
)
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
                f"{r.n_features} features, sha256 {r.model_sha256[:12]}")
        if self.oracle_auc is not None:
            text += f"; oracle AUC {self.oracle_auc:.3f} (model/oracle {r.auc / self.oracle_auc:.2f})"
        return text


def _create_macros(con, spec: PredictionSpec, record: ModelRecord, features: list[Feature], parsed: ParsedPredicates,
                   linear: LinearTerms | None, *, has_profiles: bool, clv_params: dict | None = None,
                   tree_macros: dict[str, str] | None = None, no_sql_reason: str | None = None) -> dict[str, str]:
    """The version's persisted macros and the latest-version aliases (inside the registration transaction).

    Score and explain macros: a linear model's are rendered here; a tree model's come compiled and
    checked (``tree_macros``, see :func:`_tree_sql`), with the unversioned names calling them. A tree model
    without them (``no_sql_reason``) gets unversioned names that raise an error saying why, so they never
    score with an older version's macro.

    Returns each macro's ``CREATE`` text by name: registered (and hashed) with the version, so scoring can
    check that the macros in the database are still these.
    """
    names = macro_names(spec.name, record.version)
    feature_names = [f.name for f in features]
    feature_set = f"{spec.name}@v{record.version}"
    created: dict[str, str] = {}
    if any(f.kind.startswith("clv_") for f in features):
        for name in CLV_MACROS:
            created[name] = sql_text(name)
    created[names["rows"]] = features_sql(spec, features, parsed, has_profiles=has_profiles, macro_name=names["rows"],
                                          clv_params=clv_params)
    for key in ("features", "features_version"):
        created[names[key]] = features_macro_sql(names[key], names["rows"], feature_names, feature_set)
    for key in ("labels", "labels_version"):
        created[names[key]] = labels_sql(spec, parsed, macro_name=names[key])
    if linear is not None:
        for key in ("score", "score_version"):
            created[names[key]] = linear_score_sql(names[key], linear, feature_names)
        for key in ("explain", "explain_version"):
            created[names[key]] = linear_explain_sql(names[key], linear, record.features)
    elif tree_macros is not None:
        created.update(tree_macros)
        created[names["score"]] = alias_sql(names["score"], names["score_version"], explain=False)
        created[names["explain"]] = alias_sql(names["explain"], names["explain_version"], explain=True)
    else:
        message = (f"{spec.name} v{record.version}, the latest version, has no SQL macro: {no_sql_reason or 'not compiled'}; "
                   f"score it with cai_score('{spec.name}', f) / cai_explain('{spec.name}', f, k) in a Python session "
                   f"(cai_sql.connect), or its ledger (cai score, then cai_latest_scores)")
        created[names["score"]] = unavailable_sql(names["score"], message, explain=False)
        created[names["explain"]] = unavailable_sql(names["explain"], message, explain=True)
    for statement in created.values():
        con.execute(statement)
    con.execute(any_model_features_sql(registered_models(con)))
    return created


def _tree_sql(reporter: Reporter, model: str, version: int, classifier_onnx: bytes, explainer, features: list[dict],
              X_check: np.ndarray) -> tuple[dict[str, str] | None, dict]:
    """A tree model compiled to SQL macros and checked against its ONNX graphs on ``X_check``
    (:mod:`cai_sql.tree_sql`), or None and why not (too large, or the SQL did not reproduce the model)."""
    names = macro_names(model, version)
    macros = (names["score_version"], names["tree_contributions_version"], names["explain_version"])
    with reporter.step(f"{model}: compiling the trees to SQL macros and checking them against ONNX") as advance:
        try:
            compiled = compile_trees(classifier_onnx, explainer.onnx, features)
            texts = compiled.render(*macros)
            parity = check_tree_sql(texts, macros, features, classifier_onnx, explainer.onnx, explainer.bias, X_check)
            summary = {"created": True, "trees": compiled.n_trees, "leaves": compiled.n_leaves,
                       "text_bytes": sum(len(t) for t in texts.values()), **parity.to_dict()}
        except TreeSQLError as exc:
            texts, summary = None, {"created": False, "reason": str(exc)}
        advance(1, 1)
    return texts, summary


def plan_cutoffs(spec: PredictionSpec, first_day: dt.date, last_day: dt.date) -> tuple[list[dt.date], dt.date]:
    """Training cutoffs (oldest first) and the validation cutoff, or a clear refusal.

    ``last_day`` is the last day whose events may be used (the eve of ``as_of`` when training as of a date).
    """
    window = spec.goal.window_days
    validation = last_day + dt.timedelta(days=1) - dt.timedelta(days=window)
    newest_train = validation - dt.timedelta(days=window)
    earliest_allowed = first_day + dt.timedelta(days=MIN_HISTORY_DAYS)
    train = [newest_train - dt.timedelta(days=k * spec.stride_days) for k in range(spec.snapshots - 1)]
    train = sorted(c for c in train if c >= earliest_allowed)
    if not train:
        covered = (last_day - first_day).days + 1
        needed = MIN_HISTORY_DAYS + 2 * window
        raise TrainingError(
            f"{spec.source}: the events cover {covered} days ({first_day} … {last_day}) but one training and one "
            f"validation snapshot need {needed}: {MIN_HISTORY_DAYS} days of history plus two goal windows of "
            f"{window} days; load more history or shorten goal.window_days"
        )
    return train, validation


def _matrix(table, features: list[Feature]) -> np.ndarray:
    """The feature columns as float64 holding float32 values (what ONNX will see), one column at a time."""
    X = np.empty((table.num_rows, len(features)), dtype=np.float64)
    for j, f in enumerate(features):
        X[:, j] = np.asarray(table.column(f.name).to_numpy(zero_copy_only=False), dtype=np.float32)
    return X


def _hgb(settings: dict, seed: int = 0) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=400, early_stopping=True, validation_fraction=0.15,
                                          n_iter_no_change=25, random_state=seed, **settings)


def _fit(model, X: np.ndarray, y: np.ndarray):
    """Fit, with columns that are missing on every row set to 0 for the fit: scikit-learn's gradient
    boosting cannot bin an all-NaN column (1.9), and such a column can split nothing either way."""
    empty = np.isnan(X).all(axis=0)
    if empty.any():
        X = X.copy()
        X[:, empty] = 0.0
    return model.fit(X, y)


def _logistic():
    return make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(),
                         LogisticRegression(max_iter=2000))


def _candidates(seed: int = 0) -> dict:
    """Each algorithm with its default settings."""
    return {"hist_gradient_boosting": _hgb(HGB_SETTINGS[0], seed), "logistic_regression": _logistic()}


@dataclass(frozen=True)
class Snapshots:
    """Labelled snapshot rows: features, label, cutoff and role ('train', 'validation', 'test') per row."""

    X: np.ndarray
    y: np.ndarray
    roles: np.ndarray
    cutoffs: np.ndarray
    customers: np.ndarray

    def role(self, name: str) -> np.ndarray:
        return self.roles == name


CLV_FITS = "_cai_clv_fits"


def _clv_fits(con, spec: PredictionSpec, parsed: ParsedPredicates, cutoffs: list[dt.date]) -> dict[dt.date, dict | None]:
    """BG/NBD fitted on the goal events before each cutoff (point in time), kept in a temporary table
    for the training query; the SQL macros the features call are installed with them."""
    fits = {}
    for cutoff in cutoffs:
        params = fit_bgnbd_before(con, cutoff, parsed.goal[0])
        fits[cutoff] = None if params is None else {"r": params.r, "alpha": params.alpha, "a": params.a, "b": params.b}
    con.execute(sql_text("training_clv_fits"), {
        "cutoffs": cutoffs, **{k: [None if fits[c] is None else fits[c][k] for c in cutoffs] for k in ("r", "alpha", "a", "b")}})
    return fits


@contextlib.contextmanager
def _temporary_clv_macros(con):
    """The CLV macros the BG/NBD features call, as temporary copies for the training query: a training
    that fails must leave the database as it was (registration persists them in its transaction)."""
    for name in CLV_MACROS:
        con.execute(sql_text(name).replace("CREATE OR REPLACE MACRO", "CREATE OR REPLACE TEMP MACRO", 1))
    try:
        yield
    finally:
        for name in CLV_MACROS:
            drop = sqlglot.parse_one(sql_text("drop_temp_macro"), read=DIALECT)
            drop.find(exp.Table).set("this", exp.to_identifier(name))
            con.execute(drop.sql(DIALECT, comments=False))


def _eligibility(spec: PredictionSpec) -> str:
    """The spec's eligibility settings as the user wrote them, for a message."""
    parts = ['active_days = "all"' if spec.all_history_eligible else f"active_days = {spec.active_days}"]
    for key, conditions in (("events", spec.eligibility_events), ("profiles", spec.eligibility_profiles)):
        if conditions:
            parts.append(f"{key} = [{', '.join(repr(shorten(c)) for c in conditions)}]")
    return ", ".join(parts)


def _snapshots(con, spec: PredictionSpec, parsed: ParsedPredicates, features: list[Feature], cutoffs: list[dt.date],
               roles: list[str], has_profiles: bool) -> Snapshots:
    con.execute(sql_text("training_cutoffs"), {"cutoffs": cutoffs, "roles": roles})
    clv = CLV_FITS if any(f.kind.startswith("clv_") for f in features) else None
    with _temporary_clv_macros(con) if clv else contextlib.nullcontext():
        rows = con.sql(training_rows_sql(spec, features, parsed, has_profiles=has_profiles, clv_table=clv)).to_arrow_table()
    return Snapshots(
        X=_matrix(rows, features),
        y=np.asarray(rows.column("label").to_pylist(), dtype=int),
        roles=np.asarray(rows.column("role").to_pylist()),
        cutoffs=np.asarray(rows.column("cutoff").to_pylist()),
        customers=np.asarray(rows.column("customer_id").to_pylist(), dtype=object),
    )


def _sample(mask: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    index = np.flatnonzero(mask)
    return np.sort(rng.choice(index, limit, replace=False)) if index.size > limit else index


def _inner_split(data: Snapshots, train_cutoffs: list[dt.date], window: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Rows to fit and rows to compare candidates on, inside the training rows only: the newest training
    cutoff against the cutoffs whose label windows end before it. When no cutoff is that old (label
    windows that overlap would reward memorising one period), a seeded 20% of the customers, at every
    training cutoff, against the others."""
    rng = np.random.default_rng(0)
    is_train = data.role("train")
    newest = max(train_cutoffs)
    older = [c for c in train_cutoffs if c <= newest - dt.timedelta(days=window)]
    if older:
        fit = is_train & np.isin(data.cutoffs, older)
        check = is_train & (data.cutoffs == newest)
        how = f"fit on {len(older)} older training cutoffs, compared at {newest}"
    else:
        customers = np.unique(data.customers[is_train])
        held = set(customers[rng.random(customers.size) < 0.2].tolist())
        in_held = np.fromiter((c in held for c in data.customers), dtype=bool, count=data.customers.size)
        fit, check = is_train & ~in_held, is_train & in_held
        how = "no training cutoff a goal window older than the newest: compared on a seeded 20% of the customers"
    return _sample(fit, SEARCH_ROWS, rng), _sample(check, SEARCH_ROWS // 4, rng), how


def _model_search(data: Snapshots, train_cutoffs: list[dt.date], spec: PredictionSpec, algorithms: tuple[str, ...],
                  reporter: Reporter) -> tuple[list[tuple[str, dict, float | None]], dict]:
    """Each algorithm's best settings on the inner split, best first, and what was tried."""
    fit, check, how = _inner_split(data, train_cutoffs, spec.goal.window_days)
    started = time.perf_counter()
    tried = []
    if len(set(data.y[check])) < 2 or len(set(data.y[fit])) < 2:
        chosen = [(name, HGB_SETTINGS[0] if name == "hist_gradient_boosting" else {}, None) for name in algorithms]
        return chosen, {"split": how, "tried": [], "note": "the inner split has one class; default settings kept",
                        "seconds": 0.0}
    options = [("hist_gradient_boosting", s) for s in HGB_SETTINGS] + [("logistic_regression", {})]
    options = [(name, settings) for name, settings in options if name in algorithms]
    with reporter.step(f"{spec.name}: comparing {len(options)} candidates on an inner time split", len(options)) as advance:
        for done, (name, settings) in enumerate(options, start=1):
            model = _hgb(settings) if name == "hist_gradient_boosting" else _logistic()
            _fit(model, data.X[fit], data.y[fit])
            tried.append({"algorithm": name, "settings": settings,
                          "inner_auc": auc(data.y[check], model.predict_proba(data.X[check])[:, 1])})
            advance(done, len(options))
    best: dict[str, dict] = {}
    for entry in tried:
        if entry["algorithm"] not in best or entry["inner_auc"] > best[entry["algorithm"]]["inner_auc"]:
            best[entry["algorithm"]] = entry
    chosen = sorted(((e["algorithm"], e["settings"], e["inner_auc"]) for e in best.values()), key=lambda c: -c[2])
    return chosen, {"split": how, "fit_rows": int(fit.size), "compare_rows": int(check.size), "tried": tried,
                    "seconds": round(time.perf_counter() - started, 2)}


def _oracle_auc(con: duckdb.DuckDBPyConnection, spec: PredictionSpec, cutoff: dt.date,
                customers: list[str], y: np.ndarray) -> float | None:
    """AUC of the generator's true intent at the cutoff on the validation rows (demo data, purchase goals)."""
    if spec.model_type != "conversion" or not table_exists(con, "demo_purchase_intent"):
        return None
    if not any("commerce.purchases" in condition for condition in spec.goal.conditions):
        return None
    oracle = dict(con.execute(sql_text("demo_oracle"), {"cutoff": cutoff, "window": spec.goal.window_days}).fetchall())
    return auc(y, np.array([oracle.get(customer, 0.0) for customer in customers]))



def baseline_aucs(con, spec: PredictionSpec, parsed: ParsedPredicates, features: list[Feature], data: Snapshots,
                  evaluate: np.ndarray, cutoff: dt.date, bgnbd_params: dict | None = None
                  ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Each baseline fitted on the training rows, its AUC and scores on the ``evaluate`` rows. BG/NBD uses
    ``bgnbd_params`` (r, alpha, a, b) when given, else a fit on all goal events before ``cutoff``."""
    if not any(f.source == GOAL_SOURCE for f in features):
        return {}, {}
    if bgnbd_params is None:
        fitted = fit_bgnbd_before(con, cutoff, parsed.goal[0])
        bgnbd_params = None if fitted is None else {"r": fitted.r, "alpha": fitted.alpha, "a": fitted.a, "b": fitted.b}
    bgnbd = None
    if bgnbd_params is not None:
        horizon, p = spec.goal.window_days / 7.0, bgnbd_params

        def bgnbd(x, t_x, T):
            return expected_purchases(horizon, x, t_x, T, p["r"], p["alpha"], p["a"], p["b"])
    is_train = data.role("train")
    scores = baseline_scores(features, data.X[is_train], data.y[is_train], data.X[evaluate], bgnbd_expected=bgnbd)
    if "bgnbd" in scores and not spec.goal.will_occur:
        scores["bgnbd"] = -scores["bgnbd"]  # more expected goal events: less likely to churn
    y = data.y[evaluate]
    aucs = {name: auc(y, scores[name]) for name in BASELINES if name in scores} if len(set(y)) == 2 else {}
    return aucs, scores


@dataclass
class Fitted:
    """A model fitted as of a date, before export: everything training and backtests share."""

    spec: PredictionSpec
    parsed: ParsedPredicates
    features: list[Feature]
    data: Snapshots
    train_cutoffs: list[dt.date]
    validation_cutoff: dt.date
    first_day: dt.date
    last_day: dt.date
    has_profiles: bool
    order: list[str]  # algorithms, best first by the inner split
    fitted: dict
    candidates: dict[str, float]
    search: dict
    notes: list[str]
    warnings: list[str]
    clv_fits: dict = field(default_factory=dict)  # BG/NBD per cutoff (None where the data could not identify it)

    @property
    def clv_fit(self) -> dict | None:
        """BG/NBD at the validation cutoff: what the persisted features macro uses."""
        return self.clv_fits.get(self.validation_cutoff)


def fit_as_of(con, spec: PredictionSpec, *, now: dt.datetime, reporter: Reporter, algorithms: tuple[str, ...],
              as_of: dt.date | None = None, test_cutoff: dt.date | None = None) -> Fitted:
    """Snapshots, model search and fits using only events before ``as_of`` (default: all of them);
    ``test_cutoff`` adds rows with role 'test' at that date (a backtest's scoring date)."""
    use_utc(con)
    parsed = ParsedPredicates(**check_against_database(spec, con))
    first_day, last_day, n_future, first_future, n_null, data_last, n_events = con.execute(
        sql_text("training_range"), {"before": as_of, "now": now + FUTURE_TOLERANCE}).fetchall()[0]
    if not n_events:
        raise InputError("the events table is empty; load events with `cai ingest FILE`")
    if as_of is not None:
        if first_day is None:
            raise InputError(f"--as-of {as_of} is before the data: no event is dated before it; pick a later date")
        if data_last is None:
            raise InputError(f"every event is dated more than {describe_tolerance()} after now ({now:%Y-%m-%d %H:%M} UTC); fix their timestamps and load "
                             "them again")
        if as_of > data_last + dt.timedelta(days=1):
            raise InputError(f"--as-of {as_of} is after the data (the last event is on {data_last}); pick a date up to "
                             f"{data_last + dt.timedelta(days=1)}")
        last_day = as_of - dt.timedelta(days=1)
    if n_null:
        raise InputError(
            f"{n_null:,} events have no customer_id; they cannot be attributed — delete them or reload the "
            "events with `cai ingest`, which refuses such rows"
        )
    if n_future:
        raise InputError(
            f"{n_future:,} events are dated more than {describe_tolerance()} after now ({now:%Y-%m-%d %H:%M} UTC; the first "
            f"at {first_future}); "
            "future-dated events would leak into features — fix their timestamps or remove them"
        )
    train_cutoffs, validation_cutoff = plan_cutoffs(spec, first_day, last_day)
    notes, warnings = [], []
    if len(train_cutoffs) + 1 < spec.snapshots:
        notes.append(f"{len(train_cutoffs) + 1} snapshots instead of the {spec.snapshots} asked for: the data before "
                     f"{validation_cutoff} holds {len(train_cutoffs)} training cutoffs {spec.stride_days} days apart "
                     f"with {MIN_HISTORY_DAYS} days of history")
    history = (train_cutoffs[0] - first_day).days
    notes += windowed_drops(spec, history)
    has_profiles = table_exists(con, "profiles")
    features = plan_features(con, spec, validation_cutoff, history_days=history)
    cutoffs = [*train_cutoffs, validation_cutoff] + ([test_cutoff] if test_cutoff else [])
    roles = ["train"] * len(train_cutoffs) + ["validation"] + (["test"] if test_cutoff else [])
    clv_fits = {}
    if spec.clv_features:
        with reporter.step(f"{spec.name}: BG/NBD fits at {len(cutoffs)} cutoffs") as advance:
            clv_fits = _clv_fits(con, spec, parsed, cutoffs)
            advance(1, 1)
        if clv_fits[validation_cutoff] is None:
            notes.append(f"BG/NBD could not be fitted on the goal events before {validation_cutoff} (too few repeat "
                         "customers): its features are empty")
    with reporter.step(f"{spec.name}: features and labels at {len(cutoffs)} cutoffs") as advance:
        data = _snapshots(con, spec, parsed, features, cutoffs, roles, has_profiles)
        advance(1, 1)
    is_train, is_valid = data.role("train"), data.role("validation")
    y_train, y_valid = data.y[is_train], data.y[is_valid]
    positives, negatives = int(y_train.sum()), int((1 - y_train).sum())
    if positives + negatives == 0:
        raise TrainingError(f"{spec.source}: no customer is eligible at any training cutoff "
                            f"({', '.join(map(str, train_cutoffs))}) under [eligibility] {_eligibility(spec)}; widen it "
                            "(a larger active_days, or \"all\"; looser events / profiles conditions)")
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
    if min(positives, negatives) < FEW_EXAMPLES:
        warnings.append(f"only {positives:,} qualifying and {negatives:,} non-qualifying training examples (fewer than "
                        f"{FEW_EXAMPLES}): the AUC, calibration and reason codes are unreliable")
    if len(set(y_valid)) < 2:
        raise TrainingError(f"{spec.source}: the validation snapshot ({validation_cutoff}) has only one class; AUC is undefined")
    chosen, search = _model_search(data, train_cutoffs, spec, algorithms, reporter)
    candidates, fitted = {}, {}
    for name, settings, _ in chosen:
        with reporter.step(f"{spec.name}: fitting {name} on {int(is_train.sum()):,} rows") as advance:
            model = _hgb(settings) if name == "hist_gradient_boosting" else _logistic()
            _fit(model, data.X[is_train], y_train)
            candidates[name] = auc(y_valid, model.predict_proba(data.X[is_valid])[:, 1])
            fitted[name] = model
            advance(1, 1)
    search["chosen"] = {name: settings for name, settings, _ in chosen}
    return Fitted(spec, parsed, features, data, train_cutoffs, validation_cutoff, first_day, last_day, has_profiles,
                  [name for name, _, _ in chosen], fitted, candidates, search, notes, warnings, clv_fits)


def train(
    db: str | os.PathLike | duckdb.DuckDBPyConnection,
    spec: PredictionSpec | str | os.PathLike,
    *,
    now: dt.datetime | None = None,
    reporter: Reporter | None = None,
    algorithms: tuple[str, ...] | None = None,
    as_of: dt.date | None = None,
) -> TrainResult:
    """Train, validate, export and register a model for ``spec``; nothing is registered on failure.

    ``algorithms`` limits the candidates (``hist_gradient_boosting``, ``logistic_regression``);
    by default both are compared on an inner time split and the better is kept. ``as_of`` trains
    as if today were that date: only events before it are read, and the validation window ends there.
    """
    unknown = set(algorithms or ()) - set(ALGORITHMS)
    if unknown or algorithms == ():
        raise InputError(f"unknown algorithm {', '.join(sorted(unknown)) or '(none given)'}; choose from {', '.join(ALGORITHMS)}")
    started = time.perf_counter()
    reporter = reporter or Reporter()
    spec = spec if isinstance(spec, PredictionSpec) else load_spec(spec)
    con = db if isinstance(db, duckdb.DuckDBPyConnection) else connect(db)
    try:
        now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        fitted = fit_as_of(con, spec, now=now, reporter=reporter, algorithms=algorithms or ALGORITHMS, as_of=as_of)
        return _register(con, fitted, reporter, started, as_of)
    finally:
        if con is not db:
            con.close()


def _register(con, fit: Fitted, reporter: Reporter, started: float, as_of: dt.date | None) -> TrainResult:
    spec, features, data = fit.spec, fit.features, fit.data
    is_train, is_valid = data.role("train"), data.role("validation")
    y_train, y_valid = data.y[is_train], data.y[is_valid]
    for note in fit.notes:
        reporter.note(f"Note: {note}")
    warnings = list(fit.warnings)
    exported, algorithm, failure = None, None, None
    for name in fit.order:
        with reporter.step(f"{spec.name}: exporting {name} to ONNX and checking parity") as advance:
            try:
                exported = export(fit.fitted[name], data.X[is_valid], spec.name)
                explainer, linear = build_explainer(fit.fitted[name], name, exported.onnx, data.X[is_valid])
                algorithm = name
            except (ExportError, ExplainerError) as exc:
                exported, failure = None, exc
                warnings.append(f"{name} (validation AUC {fit.candidates[name]:.3f}) was not kept: {exc}")
            advance(1, 1)
        if exported is not None:
            break
    if exported is None:
        raise failure
    model = fit.fitted[algorithm]
    p_valid = model.predict_proba(data.X[is_valid])[:, 1]
    score_scale = np.quantile(p_valid, np.linspace(0.0, 1.0, SCORE_SCALE_POINTS)).tolist()
    metrics = evaluate(y_valid, p_valid)
    customers = data.customers[is_valid].tolist()
    oracle = _oracle_auc(con, spec, fit.validation_cutoff, customers, y_valid)
    with reporter.step(f"{spec.name}: baselines on the validation rows") as advance:
        baselines, _ = baseline_aucs(con, spec, fit.parsed, features, data, is_valid, fit.validation_cutoff, fit.clv_fit)
        advance(1, 1)
    if metrics["auc"] < POOR_AUC:
        warnings.append(f"model quality is poor: validation AUC {metrics['auc']:.3f} is below {POOR_AUC}")
    if baselines:
        best = max(baselines, key=baselines.get)
        if baselines[best] > metrics["auc"]:
            warnings.append(f"the {best} baseline (AUC {baselines[best]:.3f}) beats the model (AUC {metrics['auc']:.3f}) "
                            "on the validation rows; the model is registered, but consider the baseline's features "
                            "or a longer history")
    metrics.update({
        "candidates": fit.candidates,
        "baselines": baselines,
        "model_search": fit.search,
        "oracle_auc": oracle,
        "parity_max_abs_difference": exported.max_abs_difference,
        "reason_codes": {"method": explainer.method, "sha256": explainer.sha256,
                         "max_abs_difference": explainer.max_abs_difference},
        "class_balance": {
            "train_positives": int(y_train.sum()), "train_negatives": int((1 - y_train).sum()),
            "validation_positives": int(y_valid.sum()), "validation_negatives": int((1 - y_valid).sum()),
        },
        "training_window": {
            "first_cutoff": fit.train_cutoffs[0].isoformat(), "last_cutoff": fit.train_cutoffs[-1].isoformat(),
            "validation_cutoff": fit.validation_cutoff.isoformat(), "events_from": fit.first_day.isoformat(),
            "events_to": fit.last_day.isoformat(), "as_of": as_of.isoformat() if as_of else None,
        },
        "feature_bins": bin_edges(data.X[is_train], [f.name for f in features]),
        "feature_ranges": value_ranges(data.X[is_train], [f.name for f in features]),
        "notes": fit.notes,
        "clv_fit": fit.clv_fit,
        "warnings": warnings,
    })
    with transaction(con):
        ensure_registry(con)
        version = next_version(con, spec.name)
        tree_macros, no_sql_reason = None, None
        if linear is None:
            tree_macros, metrics["sql_macros"] = _tree_sql(reporter, spec.name, version, exported.onnx, explainer,
                                                           [f.to_dict() for f in features], data.X[is_valid])
            if tree_macros is None:
                no_sql_reason = metrics["sql_macros"]["reason"]
                warnings.append(f"no SQL score/explain macros (cai_score_{spec.name}, cai_explain_{spec.name}): "
                                f"{no_sql_reason}; the model scores through the Python functions and the ledger")
        record = ModelRecord(
            model=spec.name, version=version, created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
            model_type=spec.model_type, algorithm=algorithm, sha256=exported.sha256, n_features=len(features),
            features=[f.to_dict() for f in features], spec=spec.to_dict(), metrics=metrics, auc=metrics["auc"],
            training_cutoffs=fit.train_cutoffs, validation_cutoff=fit.validation_cutoff,
        )
        register(con, record, exported.onnx, explainer=explainer, linear_terms=linear, score_scale=score_scale,
                 probe=parity_rows(data.X[is_valid], p_valid))
        macros = _create_macros(con, spec, record, features, fit.parsed, linear, has_profiles=fit.has_profiles,
                                clv_params=fit.clv_fit, tree_macros=tree_macros, no_sql_reason=no_sql_reason)
        record = dataclasses.replace(record, model_sha256=seal(con, record.model, record.version, macros))
    udfs.refresh(con)
    for warning in warnings:
        reporter.note(f"Warning: {warning}")
    return TrainResult(record, fit.candidates, oracle, tuple(warnings), time.perf_counter() - started, model)
