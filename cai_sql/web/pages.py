"""What each dashboard page shows, read from the SQL views and macros of the ledger.

Every figure here is a row of a persisted view or table macro (``sql/dashboard/`` only filter and
order them), so the dashboard, the report and any BI tool show the same numbers. The functions take
an open connection and return plain dicts for the templates; an unknown model, run, segment or
customer raises :class:`NotFound` with a message saying what exists.
"""

from __future__ import annotations

import json

import duckdb

from ..database import table_exists
from ..errors import CaiError, shorten
from ..profile import UnknownCustomerError, customer_profile
from ..sqlfiles import sql_text

BUCKETS = ("high", "medium", "low")


class NotFound(CaiError):
    """A model, run, segment or customer the dashboard was asked for does not exist."""


def records(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[dict]:
    """Rows of ``sql/<name>.sql`` as dicts keyed by column name."""
    cursor = con.execute(sql_text(name), params or {})
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def _has_ledger(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the ledger's tables and views exist (they are installed by the first scoring run)."""
    return table_exists(con, "cai_runs") and table_exists(con, "cai_auto_segments")


def _clv_summary(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The latest lifetime-value run in one row, or None before the first one."""
    summary = records(con, "dash_clv_summary")[0] if table_exists(con, "cai_latest_clv") else None
    return summary if summary and summary["score_date"] is not None else None


def overview(con: duckdb.DuckDBPyConnection) -> dict:
    """The home page: every model with its latest run, the segments and the lifetime-value run."""
    if not table_exists(con, "cai_models"):
        models = []
    elif _has_ledger(con):
        models = records(con, "dash_models")
    else:  # trained, never scored: the ledger's views do not exist yet
        newest = {}
        for m in records(con, "list_models"):  # newest version first within each model
            newest.setdefault(m["model"], dict(m, run_id=None, runs=0))
        models = list(newest.values())
    return {
        "models": models,
        "segments": records(con, "list_segments", {"segment": None}) if _has_ledger(con) else [],
        "clv": _clv_summary(con),
    }


def _model_or_404(con: duckdb.DuckDBPyConnection, model: str) -> dict:
    found = records(con, "dash_model", {"model": model}) if table_exists(con, "cai_models") else []
    if not found:
        known = sorted({m["model"] for m in records(con, "list_models")}) if table_exists(con, "cai_models") else []
        raise NotFound(f"There is no model '{shorten(model)}'. Models in this database: {', '.join(known) or 'none'} "
                       "(train one with `cai train SPEC.toml`).")
    card = found[0]
    card["metrics"] = json.loads(card["metrics"] or "{}")
    return card


def _latest_run(con: duckdb.DuckDBPyConnection, model: str) -> int | None:
    found = records(con, "dash_latest_run", {"model": model}) if _has_ledger(con) else []
    return found[0]["run_id"] if found else None


def model_page(con: duckdb.DuckDBPyConnection, model: str) -> dict:
    """One model: its card, the latest run by bucket, score distribution, factors, evaluation, runs."""
    card = _model_or_404(con, model)
    page = {"model": card, "buckets": [], "distribution": [], "factors": [], "runs": [], "expected": [],
            "realized": [], "evaluation": records(con, "dash_evaluation", {"model": model})}
    if _has_ledger(con):  # failed runs too, with their errors
        page["runs"] = records(con, "dash_runs", {"model": model})
    run = _latest_run(con, model)
    if run is not None:
        params = {"model": model, "run": run}
        page.update(
            buckets=records(con, "dash_bucket_cards", params),
            distribution=records(con, "dash_score_distribution", params),
            factors=records(con, "dash_factors", {**params, "code": None}),
            expected=records(con, "dash_expected_vs_actual", {"model": model}),
            realized=records(con, "dash_realized_auc", {"model": model}),
        )
    page["realized_by_run"] = {r["run_id"]: r["auc"] for r in page["realized"]}
    return page


def factor_page(con: duckdb.DuckDBPyConnection, model: str, code: str) -> dict:
    """The drill-down of one reason code: how it shows up in each bucket of the latest run."""
    card = _model_or_404(con, model)
    run = _latest_run(con, model)
    rows = records(con, "dash_factors", {"model": model, "run": run, "code": code}) if run is not None else []
    if not rows:
        raise NotFound(f"Reason code '{shorten(code)}' is not among the top 10 factors of any bucket in {model}'s latest run; "
                       f"see the factor table on the model page.")
    return {"model": card, "code": code, "description": _factor_title(rows), "rows": rows}


def _factor_title(rows: list[dict]) -> str:
    """The factor's text, or for an attribute whose rows name different levels, the attribute's label."""
    texts = {r["description"] for r in rows}
    labels = {text.partition(": ")[0] for text in texts if ": " in text}
    return labels.pop() if len(texts) > 1 and len(labels) == 1 else rows[0]["description"]


def _successful_runs(con: duckdb.DuckDBPyConnection, model: str) -> list[dict]:
    return [r for r in records(con, "dash_runs", {"model": model}) if r["status"] == "succeeded"]


def _check_run(runs: list[dict], model: str, run_id: int | None) -> None:
    if run_id is not None and run_id not in {r["run_id"] for r in runs}:
        ids = ", ".join(str(r["run_id"]) for r in sorted(runs, key=lambda r: r["run_id"])) or "none"
        raise NotFound(f"Run {run_id} is not a successful run of {model}. Its runs: {ids} (see `cai runs --model {model}`).")


def _section(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> tuple[list[dict], str | None]:
    """A macro's rows, or the message its own checks raised (e.g. a model with a single run)."""
    try:
        return records(con, name, params), None
    except duckdb.Error as exc:
        return [], str(exc).split("\n")[0].split(": ", 1)[-1]


def trends_page(con: duckdb.DuckDBPyConnection, model: str, *, run_a: int | None = None, run_b: int | None = None,
                cohort_run: int | None = None, bucket: str = "high") -> dict:
    """Across runs: bucket trend, a bucket's cohort over time, flow and overlap between two runs, drift."""
    card = _model_or_404(con, model)
    if bucket not in BUCKETS:
        raise NotFound(f"There is no bucket '{shorten(bucket)}'; buckets are high, medium and low.")
    runs = _successful_runs(con, model) if _has_ledger(con) else []
    for run in (run_a, run_b, cohort_run):
        _check_run(runs, model, run)
    page = {"model": card, "runs": runs, "bucket": bucket, "run_a": run_a, "run_b": run_b, "trend": [],
            "cohort": [], "flow": [], "overlap": None, "drift": [], "pair_message": None, "drift_message": None}
    if not runs:
        page["pair_message"] = f"{model} has no scoring runs yet (cai score {model})."
        return page
    page["trend"] = records(con, "dash_bucket_trend", {"model": model})
    page["cohort_run"] = cohort_run if cohort_run is not None else min(r["run_id"] for r in runs)
    page["cohort"] = records(con, "dash_cohort", {"model": model, "run": page["cohort_run"], "bucket": bucket})
    pair = {"model": model, "run_a": run_a, "run_b": run_b}
    page["flow"], message = _section(con, "dash_flow", pair)
    if message is None:
        overlap, _ = _section(con, "dash_overlap", {**pair, "bucket": bucket})
        page["overlap"] = overlap[0] if overlap else None
        page["drift"], page["drift_message"] = _section(con, "dash_drift", pair)
    page["pair_message"] = message
    return page


def segments_page(con: duckdb.DuckDBPyConnection) -> dict:
    """Every segment with its size at the latest run and over all runs, and the models to define one on."""
    if not _has_ledger(con):
        return {"segments": [], "sizes": [], "models": []}
    return {
        "segments": records(con, "list_segments", {"segment": None}),
        "sizes": records(con, "dash_segment_sizes", {"segment": None}),
        "models": sorted({m["model"] for m in records(con, "dash_models") if m["run_id"] is not None}),
    }


def segment_page(con: duckdb.DuckDBPyConnection, name: str) -> dict:
    """One segment: its definition, size over runs and export links."""
    found = records(con, "list_segments", {"segment": name}) if _has_ledger(con) else []
    if not found:
        raise NotFound(f"There is no segment '{shorten(name)}'. See the segment list for the ones that exist.")
    return {"segment": found[0], "sizes": records(con, "dash_segment_sizes", {"segment": name})}


def profile_page(con: duckdb.DuckDBPyConnection, customer_id: str) -> dict:
    """One customer: attributes, every model's latest score and reasons, lifetime value, history."""
    try:
        found = customer_profile(con, customer_id)
    except UnknownCustomerError as exc:
        raise NotFound(str(exc)[0].upper() + str(exc)[1:] + ".") from None
    types = {m["model"]: m["model_type"] for m in records(con, "list_models")} if table_exists(con, "cai_models") else {}
    return {"profile": found, "model_types": types}


def clv_page(con: duckdb.DuckDBPyConnection) -> dict:
    """Lifetime value of the latest CLV run: summary, distribution and deciles."""
    summary = _clv_summary(con)
    if summary is None:
        return {"clv": None, "distribution": [], "deciles": []}
    return {
        "clv": summary,
        "distribution": records(con, "dash_clv_distribution"),
        "deciles": records(con, "dash_clv_deciles"),
    }
