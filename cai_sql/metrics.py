"""Model quality on held-out rows: ranking, probability quality, lift, gains and calibration."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

POOR_AUC = 0.65


def _bins(y: np.ndarray, p: np.ndarray, order: np.ndarray, count: int) -> list[np.ndarray]:
    return [chunk for chunk in np.array_split(order, count) if chunk.size]


def deciles(y: np.ndarray, p: np.ndarray) -> list[dict]:
    """Decile 1 holds the 10% of rows with the highest probability; lift is its rate over the base rate."""
    order = np.argsort(-p, kind="stable")
    base_rate = y.mean()
    total_positives = max(y.sum(), 1)
    rows, cumulative = [], 0
    for index, chunk in enumerate(_bins(y, p, order, 10), start=1):
        positives = int(y[chunk].sum())
        cumulative += positives
        rate = positives / chunk.size
        rows.append({
            "bin": index, "n": int(chunk.size), "positives": positives,
            "mean_probability": float(p[chunk].mean()), "observed_rate": rate,
            "lift": rate / base_rate if base_rate > 0 else None,
            "cumulative_gain": cumulative / total_positives,
        })
    return rows


def calibration(y: np.ndarray, p: np.ndarray) -> list[dict]:
    """Ten equal-width probability bins: mean predicted beside observed rate (empty bins left out)."""
    edges = np.linspace(0.0, 1.0, 11)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, 9)
    rows = []
    for b in range(10):
        mask = index == b
        if not mask.any():
            continue
        rows.append({
            "bin": b + 1, "n": int(mask.sum()), "positives": int(y[mask].sum()),
            "mean_probability": float(p[mask].mean()), "observed_rate": float(y[mask].mean()),
            "lift": None, "cumulative_gain": None,
        })
    return rows


def evaluate(y: np.ndarray, p: np.ndarray) -> dict:
    """The metrics stored with a model and shown on its card."""
    y = np.asarray(y, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), 1e-7, 1 - 1e-7)
    return {
        "auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "base_rate": float(y.mean()),
        "n": int(y.size),
        "deciles": deciles(y, p),
        "calibration": calibration(y, p),
    }


def auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(np.asarray(y, dtype=int), np.asarray(p, dtype=float)))
