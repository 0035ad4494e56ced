"""Realized outcomes: once a run's outcome window has closed, record what really happened.

A run scored at date d predicts the goal in [d, d + window_days). When the events reach the
window's last day, the model version's own labels macro gives each scored customer's outcome;
``cai_expected_vs_actual`` and ``cai_realized_auc`` then compare predictions with reality in SQL.
Each run is evaluated once, in its own transaction; `cai score` evaluates whatever has closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from .clock import future_limit
from .database import connect, table_exists, transaction, use_utc
from .ledger import ensure_ledger
from .macros import names as macro_names, render_query
from .sqlfiles import sql_text


@dataclass(frozen=True)
class Evaluation:
    run_id: int
    model: str
    score_date: dt.date
    customers: int
    positives: int


def evaluate_runs(db, model: str | None = None) -> list[Evaluation]:
    """Record the outcomes of every run whose window has closed and that has none yet."""
    con = db if isinstance(db, duckdb.DuckDBPyConnection) else connect(db)
    try:
        use_utc(con)
        if not (table_exists(con, "cai_models") and table_exists(con, "events") and table_exists(con, "cai_runs")):
            return []
        ensure_ledger(con)
        last_day = con.execute(sql_text("events_range"), {"now": future_limit()}).fetchall()[0][1]
        if last_day is None:
            return []
        done = []
        pending = con.execute(sql_text("runs_to_evaluate"), {"model": model, "last_day": last_day}).fetchall()
        for run_id, name, version, score_date, _window, will_occur in pending:
            insert = render_query("insert_run_outcomes", {"__labels__": macro_names(name, version)["labels_version"]})
            with transaction(con):
                con.execute(insert, {"run_id": run_id, "score_date": score_date, "will_occur": will_occur})
            customers, positives = con.execute(sql_text("run_outcome_counts"), {"run_id": run_id}).fetchall()[0]
            done.append(Evaluation(run_id, name, score_date, customers, positives))
        return done
    finally:
        if con is not db:
            con.close()
