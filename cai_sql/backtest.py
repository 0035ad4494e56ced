"""Backtests: train as of a date, score at it, and measure against what then happened.

For each date D the model is trained exactly as ``cai train --as-of D`` would train it (only events
before D; the model chosen on an inner time split), every customer the spec admits at D is scored,
and the scores are compared with the goal in [D, D + window). The baselines are fitted on the same
training rows and scored on the same customers. Nothing is registered: the rows go to
``cai_backtests`` only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass

import duckdb
import numpy as np

from .clock import future_limit
from .database import connect, table_exists, transaction
from .errors import InputError
from .metrics import auc, deciles
from .progress import Reporter
from .spec import PredictionSpec, load_spec
from .sqlfiles import sql_text
from .training import ALGORITHMS, baseline_aucs, fit_as_of


@dataclass(frozen=True)
class BacktestRow:
    at_date: dt.date
    scorer: str  # 'model' or a baseline
    algorithm: str | None
    n_customers: int
    positives: int
    auc: float | None
    lift_top_decile: float | None
    brier: float | None
    train_seconds: float | None


@dataclass(frozen=True)
class Backtest:
    backtest_id: int
    model: str
    window_days: int
    rows: tuple[BacktestRow, ...]

    def table(self) -> list[tuple]:
        return [(r.at_date, r.scorer, r.algorithm or "", r.n_customers, r.positives, r.auc, r.lift_top_decile, r.brier)
                for r in self.rows]


def _measures(y: np.ndarray, score: np.ndarray, probability: bool) -> tuple[float | None, float | None, float | None]:
    if len(set(y)) < 2:
        return None, None, None
    top = deciles(y, score)[0]["lift"]
    brier = float(np.mean((score - y) ** 2)) if probability else None
    return auc(y, score), top, brier


def _check_dates(con, spec: PredictionSpec, dates: list[dt.date]) -> None:
    if not dates:
        raise InputError("give at least one backtest date with --at YYYY-MM-DD")
    if not table_exists(con, "events"):
        raise InputError("there is no events table; load events with `cai ingest FILE`")
    last = con.execute(sql_text("clv_last_event_day"), {"now": future_limit()}).fetchall()[0][0]
    if last is None:
        raise InputError("the events table is empty; load events with `cai ingest FILE`")
    window = spec.goal.window_days
    for date in dates:
        end = date + dt.timedelta(days=window - 1)
        if end > last:
            raise InputError(f"a backtest at {date} needs the whole {window}-day outcome window (to {end}), but the events "
                             f"end on {last}; pick a date up to {last - dt.timedelta(days=window - 1)}")


def backtest(
    db: str | os.PathLike | duckdb.DuckDBPyConnection,
    spec: PredictionSpec | str | os.PathLike,
    at: list[dt.date],
    *,
    now: dt.datetime | None = None,
    reporter: Reporter | None = None,
    algorithms: tuple[str, ...] | None = None,
) -> Backtest:
    """Backtest ``spec`` at each date of ``at``; the rows are kept in ``cai_backtests`` (the registry is untouched)."""
    reporter = reporter or Reporter()
    spec = spec if isinstance(spec, PredictionSpec) else load_spec(spec)
    con = db if isinstance(db, duckdb.DuckDBPyConnection) else connect(db)
    try:
        dates = sorted(set(at))
        _check_dates(con, spec, dates)
        now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        results: list[BacktestRow] = []
        for date in dates:
            started = time.perf_counter()
            fit = fit_as_of(con, spec, now=now, reporter=reporter, algorithms=algorithms or ALGORITHMS, as_of=date,
                            test_cutoff=date)
            seconds = time.perf_counter() - started
            test = fit.data.role("test")
            y = fit.data.y[test]
            algorithm = fit.order[0]
            score = fit.fitted[algorithm].predict_proba(fit.data.X[test])[:, 1]
            results.append(BacktestRow(date, "model", algorithm, int(test.sum()), int(y.sum()),
                                       *_measures(y, score, True), seconds))
            _, baselines = baseline_aucs(con, spec, fit.parsed, fit.features, fit.data, test, date, fit.clv_fits.get(date))
            for name, values in baselines.items():
                results.append(BacktestRow(date, name, None, int(test.sum()), int(y.sum()),
                                           *_measures(y, values, name != "bgnbd"), None))
        with transaction(con):
            con.execute(sql_text("cai_backtests"))
            backtest_id = con.execute(sql_text("next_backtest_id")).fetchall()[0][0]
            created = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            for row in results:
                con.execute(sql_text("insert_backtest"), {
                    "backtest_id": backtest_id, "model": spec.name, "at_date": row.at_date, "scorer": row.scorer,
                    "algorithm": row.algorithm, "window_days": spec.goal.window_days, "n_customers": row.n_customers,
                    "positives": row.positives, "auc": row.auc, "lift_top_decile": row.lift_top_decile,
                    "brier": row.brier, "train_seconds": row.train_seconds, "created_at": created,
                    "spec": json.dumps(spec.to_dict()),
                })
        return Backtest(backtest_id, spec.name, spec.goal.window_days, tuple(results))
    finally:
        if con is not db:
            con.close()
