"""The ledger's tables and the persisted views and macros BI tools read from it.

Everything here is created from ``sql/`` files with ``IF NOT EXISTS`` / ``OR REPLACE``, so
installing it again (every scoring run and segment command does) is cheap and upgrades a file
written by an older cai-sql to the current set of views and macros.
"""

from __future__ import annotations

import duckdb

from .database import table_exists
from .sqlfiles import sql_text

TABLES = (
    "cai_runs", "upgrade_cai_runs", "cai_scores", "cai_run_outcomes", "cai_run_feature_bins", "cai_segments", "cai_segment_members",
    "ensure_profiles", "cai_clv_fits", "cai_clv_runs", "cai_clv",
)
CLV_MACROS = (
    "cai_hyp2f1_term", "cai_hyp2f1_peak", "cai_hyp2f1_length", "cai_log_hyp2f1", "cai_hyp2f1", "cai_clv_p_alive",
    "cai_clv_expected_purchases", "cai_clv_expected_spend",
)
CLV_VIEWS = ("cai_latest_clv", "cai_clv_deciles", "cai_clv_expected", "cai_clv_high_value_at_risk")
VIEWS_AND_MACROS = (
    "cai_latest_runs", "cai_latest_scores", "cai_score_history", *CLV_MACROS, *CLV_VIEWS,
    "cai_segment_rows", "cai_segment_sizes",
    "cai_auto_segments", "cai_run_pair", "cai_score_distribution", "cai_bucket_trend", "cai_bucket_trend_by",
    "cai_factors_by_bucket", "cai_bucket_flow", "cai_bucket_overlap", "cai_cohort_tracking", "cai_segment_cohort",
    "cai_expected_vs_actual", "cai_realized_auc", "cai_drift", "cai_score_change",
)


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ledger tables if missing and (re)install their views and macros."""
    for name in TABLES:
        con.execute(sql_text(name))
    factor_type = con.execute(sql_text("column_type"), {"table": "cai_scores", "column": "influential_factors"}).fetchone()
    if factor_type is not None and "direction" not in factor_type[0]:
        con.execute(sql_text("upgrade_cai_scores"))
    for name in VIEWS_AND_MACROS:
        con.execute(sql_text(name))


def list_runs(con: duckdb.DuckDBPyConnection, model: str | None = None) -> list[tuple]:
    """Scoring runs, newest first (all models, or ``model``'s): the columns of ``sql/scoring/list_runs.sql``."""
    if not table_exists(con, "cai_runs"):
        return []
    return con.execute(sql_text("list_runs"), {"model": model}).fetchall()
