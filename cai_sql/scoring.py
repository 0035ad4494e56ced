"""Scoring runs: eligible customers at a date → features → score and reasons → the ledger.

A run is one transaction: its ``cai_scores`` rows, its ``cai_runs`` row and the retirement of
the run it replaces (same model version and date) commit together or not at all. A run that
fails is still recorded in ``cai_runs`` (status ``failed`` with the error), after the rollback.
Rows stream from the features macro through the UDF into the table inside DuckDB; nothing is
collected in Python.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass

import duckdb
from . import udfs
from .clock import describe_tolerance, future_limit
from .database import connect, execute_each, table_exists, transaction, use_utc
from .defaults import SCORE_VIA
from .errors import InputError, Interrupted, interrupted
from .integrity import verify_macros
from .ledger import CLV_MACROS, ensure_ledger, list_runs  # noqa: F401  (list_runs: public here too)
from .macros import names as macro_names, render_query
from .segments import refresh_run_members
from .drift import out_of_range, record_histograms, stored_edges, stored_ranges
from .outcomes import evaluate_runs
from .requirements import check_model_columns, event_column_problems
from .spec import Goal
from .sqlfiles import sql_text
from .udfs import DEFAULT_FACTORS, ScoringError

MAX_FACTORS = 20
UDF_ERROR = "Python exception occurred while executing the UDF:"
RUN_FEATURES = "_cai_run_features"


@dataclass(frozen=True)
class RunResult:
    run_id: int
    model: str
    model_version: int
    score_date: dt.date
    n_scored: int
    buckets: dict[str, int]
    replaced: tuple[int, ...]
    seconds: float
    out_of_range: tuple[dict, ...] = ()  # features scored mostly outside their training range


    def summary(self) -> str:
        shares = ", ".join(f"{b} {self.buckets[b]:,}" for b in ("high", "medium", "low"))
        text = (f"run {self.run_id}: {self.model} v{self.model_version} scored {self.n_scored:,} customers "
                f"as of {self.score_date} ({shares}) in {self.seconds:.1f} s")
        if self.replaced:
            text += f"; replaced run {', '.join(map(str, self.replaced))}"
        if self.out_of_range:
            shown = ", ".join(f"{f['feature']} ({f['share']:.0%} outside {f['train_min']:g}–{f['train_max']:g})"
                              for f in self.out_of_range[:3])
            more = f" and {len(self.out_of_range) - 3} more" if len(self.out_of_range) > 3 else ""
            text += (f"; warning: {len(self.out_of_range)} feature{'s' if len(self.out_of_range) > 1 else ''} mostly "
                     f"outside their training range: {shown}{more} (see cai_runs.out_of_range; retrain as of a later date)")
        return text


def _before_commit(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """Last step inside a run's transaction (a seam for tests that inject a failure here)."""


def _verify_run_macros(con: duckdb.DuckDBPyConnection, loaded, via: str = "udf") -> None:
    """The macros a run computes features (and, through SQL, scores) with must be the ones registered
    (and hashed) with the version."""
    names = macro_names(loaded.model, loaded.version)
    scoring = [names[k] for k in ("score_version", "tree_contributions_version", "explain_version")
               if via == "sql" and names[k] in loaded.macros]
    verify_macros(con, loaded.label, loaded.macros, [names["rows"], names["features_version"], *CLV_MACROS, *scoring])


def _check_sql_path(loaded) -> None:
    """``--via sql`` needs the version's score and explain macros (a tree model over the size limit has none)."""
    names = macro_names(loaded.model, loaded.version)
    if names["score_version"] not in loaded.macros or names["explain_version"] not in loaded.macros:
        raise ScoringError(f"{loaded.label} has no SQL score/explain macros ({names['score_version']} was not registered: "
                           "see cai_models.metrics -> sql_macros for why); score it without --via sql")
    if loaded.score_scale is None:
        raise ScoringError(f"{loaded.label} was registered before score scales existed; score it without --via sql, "
                           "or retrain it with `cai train`")


def _stage_features(con: duckdb.DuckDBPyConnection, stage: str, score_date: dt.date, label: str) -> None:
    """Run the features macro; a binder or catalog error here means the tables changed in a way
    :func:`check_model_columns` did not foresee, so it names the model rather than the macro's inner alias."""
    try:
        con.execute(stage, {"score_date": score_date})
    except (duckdb.BinderException, duckdb.CatalogException) as exc:
        detail = str(exc).strip().splitlines()[0]
        raise ScoringError(f"{label} cannot score the data as it is now ({detail}); restore the events and profiles "
                           "tables as they were at training, or train the model again (`cai train SPEC.toml`)") from exc


def _data_range(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date]:
    if not table_exists(con, "events"):
        raise InputError("there is no events table; load events with `cai ingest FILE`")
    if problems := event_column_problems(con, ("customer_id", "ts")):  # every model reads them; so does the query below
        raise InputError(f"cannot score: {'; '.join(problems)}; restore the column or load the events again "
                         "(`cai ingest FILE --replace`)")
    first_day, last_day, n_future, first_future, _ = con.execute(sql_text("events_range"), {"now": future_limit()}).fetchall()[0]
    if first_day is None and n_future:
        raise InputError(f"every event is dated in the future (the first at {first_future}, more than "
                         f"{describe_tolerance()} after now, UTC); fix their timestamps and load them again")
    if first_day is None:
        raise InputError("the events table is empty; load events with `cai ingest FILE`")
    return first_day, last_day


def _score_date(con, loaded, as_of: dt.date | None, last_day: dt.date) -> dt.date:
    """``as_of``, or the day after the last event (events dated after now + the tolerance are ignored).

    A date later than the day after the last event plus the model's goal window is refused: no
    customer would have a recent event then (the data stops before it), so it is almost certainly a typo.
    """
    if as_of is None:
        return last_day + dt.timedelta(days=1)
    found = (con.execute(sql_text("model_window_days"), {"model": loaded.model, "version": loaded.version}).fetchall()
             if table_exists(con, "cai_models") else [])
    window = found[0][0] if found and found[0][0] is not None else Goal.window_days
    latest = last_day + dt.timedelta(days=1 + window)
    if as_of > latest:
        raise InputError(f"cannot score as of {as_of}: the events end on {last_day}, so no customer has an event in "
                         f"the {window} days before it; pick --as-of {latest} or earlier (the day after the last event "
                         f"plus {loaded.label}'s {window}-day goal window), or load the newer events first")
    return as_of


def score(
    db: str | os.PathLike | duckdb.DuckDBPyConnection,
    model: str,
    *,
    as_of: dt.date | None = None,
    version: int | None = None,
    factors: int = DEFAULT_FACTORS,
    via: str = "udf",
) -> RunResult:
    """Score every customer eligible at ``as_of`` (default: the day after the last event) into the ledger.

    ``via="sql"`` computes the scores and reason codes with the version's persisted SQL macros
    (``cai_score_<model>_v<n>``, ``cai_explain_<model>_v<n>``) instead of the Python functions: the
    same ledger rows (probabilities within 1e-6), slower; it checks the macros a BI tool would use.
    """
    if via not in SCORE_VIA:
        raise InputError(f"via must be one of {', '.join(SCORE_VIA)} (got {via!r})")
    con = db if isinstance(db, duckdb.DuckDBPyConnection) else connect(db)
    try:
        result = _score(con, model, as_of, version, factors, via)
        try:
            evaluate_runs(con, result.model)  # earlier runs whose outcome window has closed since
        except BaseException as exc:
            if interrupted(exc):
                raise Interrupted(f"run {result.run_id} of {result.model} (the outcomes of earlier runs were not "
                                  "all recorded; cai evaluate records them)") from exc
            raise
        return result
    finally:
        if con is not db:
            con.close()


def _score(con, model: str, as_of: dt.date | None, version: int | None, factors: int, via: str) -> RunResult:
    use_utc(con)
    if not 0 <= factors <= MAX_FACTORS:
        raise InputError(f"factors must be between 0 and {MAX_FACTORS} (got {factors})")
    loaded = udfs.catalog(con).get(model, version)
    loaded.check()  # every part against its hash, both graphs against the parity rows, before anything is written
    if loaded.explainer_onnx is None:
        raise ScoringError(f"{loaded.label} was registered before reason codes existed; retrain it with `cai train`")
    if via == "sql":
        _check_sql_path(loaded)
    first_day, last_day = _data_range(con)
    check_model_columns(con, loaded.model, loaded.version)
    score_date = _score_date(con, loaded, as_of, last_day)
    if score_date <= first_day:
        raise InputError(f"cannot score as of {score_date}: the events start on {first_day}, so no customer has "
                         "history before that date; pick a later --as-of")
    _verify_run_macros(con, loaded, via)
    ensure_ledger(con)
    run_id = con.execute(sql_text("next_run_id")).fetchall()[0][0]
    names = macro_names(loaded.model, loaded.version)
    if via == "sql":
        stage = render_query("stage_run_feature_rows", {"__features__": names["features_version"]})
        insert = render_query("score_run_insert_sql", {"__score__": names["score_version"],
                                                       "__explain__": names["explain_version"]})
    else:
        stage = render_query("stage_run_features", {"__features__": names["features_version"]})
        insert = sql_text("score_run_insert")
    edges = stored_edges(con, loaded.model, loaded.version) if table_exists(con, "cai_models") else None
    ranges = stored_ranges(con, loaded.model, loaded.version) if table_exists(con, "cai_models") else None
    flagged: list[dict] = []
    started_at, started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), time.perf_counter()
    base = {"run_id": run_id, "model": loaded.model, "version": loaded.version, "model_type": loaded.model_type,
            "score_date": score_date}
    try:
        with transaction(con):
            replaced = [r for (r,) in con.execute(sql_text("runs_to_replace"), {
                "model": loaded.model, "version": loaded.version, "score_date": score_date}).fetchall()]
            if replaced:
                con.execute(sql_text("mark_runs_replaced"), {"run_id": run_id, "replaced": replaced})
                con.execute(sql_text("delete_run_scores"), {"replaced": replaced})
                execute_each(con, "delete_run_details", {"replaced": replaced})
            _stage_features(con, stage, score_date, loaded.label)
            (n_scored,) = con.execute(insert, {**base, "factors": factors}).fetchall()[0]
            if n_scored == 0:
                raise ScoringError(
                    f"no customer is eligible for {loaded.label} at {score_date} (events run {first_day} … {last_day}); "
                    "nothing was written — pick a date inside the data"
                )
            if edges is not None:
                record_histograms(con, run_id, RUN_FEATURES, loaded.feature_names, edges)
            if ranges is not None:
                flagged = out_of_range(con, RUN_FEATURES, loaded.feature_names, ranges)
            con.execute(sql_text("drop_run_features"))
            seconds = time.perf_counter() - started
            con.execute(sql_text("record_run"), {
                **base, "scored_via": via, "status": "succeeded", "factors": factors, "sha256": loaded.model_sha256, "started_at": started_at,
                "finished_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), "seconds": seconds, "error": None,
                "out_of_range": json.dumps(flagged) if ranges is not None else None,
            })
            refresh_run_members(con, loaded.model, run_id)
            _before_commit(con, run_id)
    except Exception as exc:
        if interrupted(exc):  # stopped by the user: rolled back, and not a failure to record
            raise
        con.execute(sql_text("drop_run_features"))
        message = _record_failure(con, {**base, "scored_via": via}, factors, loaded.model_sha256, started_at, started, exc)
        if isinstance(exc, duckdb.Error) and UDF_ERROR in str(exc):
            raise ScoringError(message) from exc
        raise
    counts = dict(con.execute(sql_text("run_bucket_counts"), {"run_id": run_id}).fetchall())
    buckets = {b: counts.get(b, 0) for b in ("high", "medium", "low")}
    return RunResult(run_id, loaded.model, loaded.version, score_date, n_scored, buckets, tuple(replaced),
                     time.perf_counter() - started, tuple(flagged))


def _record_failure(con, base: dict, factors: int, sha: str, started_at: dt.datetime, started: float, exc: Exception) -> str:
    """Record the failed run (after the rollback) and return its error message."""
    message = str(exc)
    if UDF_ERROR in message:
        message = message.split(UDF_ERROR, 1)[1].removeprefix("ScoringError: ").strip()
    try:
        con.execute(sql_text("record_run"), {
            **base, "status": "failed", "factors": factors, "sha256": sha, "started_at": started_at,
            "finished_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
            "seconds": time.perf_counter() - started, "error": message[:2000], "out_of_range": None,
        })
    except duckdb.Error:
        pass  # the database itself is failing; the original error is the one to report
    return message
