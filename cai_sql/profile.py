"""Profile lookup: everything cai-sql knows about one customer, from the ledger and profiles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from .database import connect, table_exists
from .errors import CaiError, shorten
from .sqlfiles import sql_text


class UnknownCustomerError(CaiError):
    """No score and no profile exist for a customer id."""


@dataclass(frozen=True)
class ModelScore:
    """One model's view of the customer: the latest score they got, their factors, their history."""

    model: str
    run_id: int
    score_date: dt.date
    model_version: int
    probability: float
    score: int
    percentile: int
    bucket: str
    factors: list[dict]
    in_latest_run: bool
    history: list[tuple[dt.date, int, int, str]] = field(default_factory=list)  # (date, run, score, bucket)


@dataclass(frozen=True)
class CustomerProfile:
    customer_id: str
    attributes: dict
    scores: list[ModelScore]
    lifetime_value: dict | None


def _row_dict(relation: duckdb.DuckDBPyRelation) -> dict | None:
    rows = relation.fetchall()
    return dict(zip(relation.columns, rows[0])) if rows else None


def customer_profile(db, customer_id: str) -> CustomerProfile:
    """Every model's latest score, factors and history for ``customer_id``, its attributes and lifetime value."""
    con = db if isinstance(db, duckdb.DuckDBPyConnection) else connect(db, read_only=True)
    try:
        params = {"customer": customer_id}
        attributes = (_row_dict(con.sql(sql_text("customer_attributes"), params=params))
                      if table_exists(con, "profiles") else None) or {}
        attributes.pop("customer_id", None)
        scores: list[ModelScore] = []
        if table_exists(con, "cai_scores") and table_exists(con, "cai_latest_runs"):
            history: dict[str, list] = {}
            latest: dict[str, tuple] = {}
            for row in con.execute(sql_text("customer_scores"), params).fetchall():
                model, run_id, score_date, _version, _p, score, _pct, bucket, _factors, _in_latest = row
                history.setdefault(model, []).append((score_date, run_id, score, bucket))
                latest[model] = row
            for model, row in latest.items():
                _, run_id, score_date, version, probability, score, percentile, bucket, factors, in_latest = row
                scores.append(ModelScore(model, run_id, score_date, version, probability, score, percentile, bucket,
                                         factors, bool(in_latest), history[model]))
        lifetime_value = (_row_dict(con.sql(sql_text("customer_clv"), params=params))
                          if table_exists(con, "cai_latest_clv") else None)
        if not scores and not attributes and lifetime_value is None:
            raise UnknownCustomerError(f"no customer '{shorten(customer_id)}' in cai_scores or profiles; check the id "
                                       "(customer ids are case-sensitive)")
        return CustomerProfile(customer_id, attributes, scores, lifetime_value)
    finally:
        if con is not db:
            con.close()
