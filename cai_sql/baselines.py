"""Simple scores every model must beat, fitted and measured on the model's own rows.

A Customer AI that loses to a textbook RFM model is not worth its complexity, so each training
run (and each backtest) scores the same validation rows with:

* ``recency``: days since the customer's last goal event (a logistic regression on that one
  column, so its direction is learned, not assumed);
* ``rfm_logistic``: a logistic regression on lifetime recency, frequency, age (T) and mean value
  of the goal events, with log transforms and a "has any" flag (seven columns);
* ``bgnbd``: BG/NBD expected goal events in the goal window, from a fit on every customer's
  history before the cutoff (only when the goal's first condition is a repeatable event).

All three read the lifetime features of the goal's first condition, which every feature plan has.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .features import Feature

BASELINES = ("recency", "rfm_logistic", "bgnbd")
GOAL_SOURCE = "goal:0"


@dataclass(frozen=True)
class GoalHistory:
    """Lifetime history of the goal's first condition, per row (days; NaN where the customer has none)."""

    days: np.ndarray      # event days ever
    span: np.ndarray      # first to last event day
    age: np.ndarray       # cutoff - first event day
    recency: np.ndarray   # cutoff - last event day
    mean_value: np.ndarray
    tenure: np.ndarray    # cutoff - first event of any kind

    @classmethod
    def of(cls, X: np.ndarray, features: list[Feature]) -> GoalHistory:
        index = {(f.kind, f.source): i for i, f in enumerate(features)}
        tenure_index = next(i for i, f in enumerate(features) if f.kind == "tenure")

        def column(kind: str) -> np.ndarray:
            i = index.get((f"lifetime_{kind}", GOAL_SOURCE))
            return X[:, i] if i is not None else np.full(X.shape[0], np.nan)

        return cls(np.nan_to_num(column("days")), column("span"), column("age"), column("recency"),
                   column("mean_value"), X[:, tenure_index])


def _recency_column(h: GoalHistory) -> np.ndarray:
    """Days since the last goal event; a customer without one ranks as if it were just before their first event."""
    return np.where(np.isnan(h.recency), np.nan_to_num(h.tenure) + 1.0, h.recency)


def _rfm_matrix(h: GoalHistory) -> np.ndarray:
    has = (h.days > 0).astype(float)
    recency = _recency_column(h)
    age = np.where(np.isnan(h.age), 0.0, h.age)
    value = np.nan_to_num(h.mean_value)
    return np.column_stack([recency, np.log1p(recency), h.days, np.log1p(h.days), age, np.log1p(np.abs(value)), has])


def _logistic(X_train: np.ndarray, y_train: np.ndarray, X_eval: np.ndarray) -> np.ndarray:
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(X_train, y_train)
    return model.predict_proba(X_eval)[:, 1]


def bgnbd_inputs(h: GoalHistory, unit_days: float = 7.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) as the CLV summary defines them: repeat event days, first-to-last span and time from
    the first event day to the last observed day (the cutoff's eve), in units of ``unit_days``."""
    x = np.maximum(h.days - 1.0, 0.0)
    t_x = np.nan_to_num(h.span) / unit_days
    T = np.maximum(np.nan_to_num(h.age) - 1.0, 0.0) / unit_days
    return x, t_x, T


def baseline_scores(features: list[Feature], X_train: np.ndarray, y_train: np.ndarray, X_eval: np.ndarray,
                    *, bgnbd_expected=None) -> dict[str, np.ndarray]:
    """Each baseline's score of the ``X_eval`` rows, fitted on the training rows where it learns anything.

    ``bgnbd_expected(x, t_x, T)`` gives expected goal events in the window from a fit at the evaluation
    cutoff (None: no BG/NBD baseline); rows without any goal event score below every row with one.
    """
    train, evaluate = GoalHistory.of(X_train, features), GoalHistory.of(X_eval, features)
    scores = {
        "recency": _logistic(_recency_column(train)[:, None], y_train, _recency_column(evaluate)[:, None]),
        "rfm_logistic": _logistic(_rfm_matrix(train), y_train, _rfm_matrix(evaluate)),
    }
    if bgnbd_expected is not None:
        x, t_x, T = bgnbd_inputs(evaluate)
        expected = np.asarray(bgnbd_expected(x, t_x, T), dtype=float)
        scores["bgnbd"] = np.where(evaluate.days > 0, expected, -1.0)
    return scores
