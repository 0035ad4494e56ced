"""Segments: named predicates over one model's scored customers, kept for every run.

A segment's predicate is parsed and checked like every user predicate (one boolean expression
over the columns of ``cai_segment_rows``: scores, buckets, reason codes, profile attributes) and
stored as the SQL sqlglot rendered from the checked tree. Creating a segment is one transaction:
its definition, its live view (``cai_seg_<name>``: the members at the model's latest run) and its
membership at every earlier run of the model. Each later scoring run adds the run's members
inside the run's own transaction, so ``cai_segment_sizes`` shows the segment over time.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from . import defaults
from .database import execute_each, opened, table_exists, transaction
from .errors import CaiError, InputError, shorten
from .factors import factor_layout
from .files import replaced_atomically
from .ledger import ensure_ledger
from .macros import render_create, render_query
from .predicates import check_boolean, parse_predicate, qualify
from .sqlfiles import sql_text

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,47}")
VIEW_PREFIX = "cai_seg_"
BUCKETS = defaults.BUCKETS
EXPORT_FORMATS = defaults.EXPORT_FORMATS
ROWS_VIEW = "cai_segment_rows"


class SegmentError(CaiError):
    """A segment cannot be created, found or exported as asked."""


@dataclass(frozen=True)
class Segment:
    name: str
    model: str
    predicate: str
    kind: str
    view_name: str
    runs: int
    latest_members: int | None



def _check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise SegmentError(
            f"segment name {shorten(name)!r} is not allowed: use 1–48 lowercase letters, digits and underscores, "
            "starting with a letter (e.g. high_intent_gold)"
        )


def _check_model(con: duckdb.DuckDBPyConnection, model: str) -> None:
    known = set()
    if table_exists(con, "cai_models"):
        known |= {row[0] for row in con.execute(sql_text("list_models")).fetchall()}
    known |= {row[0] for row in con.execute(sql_text("scored_models")).fetchall()}
    if model not in known:
        raise SegmentError(f"unknown model '{shorten(model)}' (models: {', '.join(sorted(known)) or 'none'}); "
                           "train and score one first (cai train, cai score)")


def factor_codes(con: duckdb.DuckDBPyConnection, model: str) -> set[str]:
    """The reason codes ``model`` can give: those of its registered feature lists and those its runs led with."""
    codes = {code for (code,) in con.execute(sql_text("model_leading_codes"), {"model": model}).fetchall()}
    if table_exists(con, "cai_models"):
        for (features,) in con.execute(sql_text("model_feature_lists"), {"model": model}).fetchall():
            codes |= {factor.code for factor in factor_layout(json.loads(features)).factors}
    return codes


def _check_factor_code(con: duckdb.DuckDBPyConnection, model: str, code: str) -> None:
    """A misspelt --top-factor would define a segment that never has a member: refuse it, naming close codes."""
    codes = factor_codes(con, model)
    if code in codes:
        return
    close = difflib.get_close_matches(code, sorted(codes), n=3)
    raise SegmentError(f"{model} has no reason code '{shorten(code)}'"
                       + (f" (did you mean {' or '.join(close)}?)" if close else "")
                       + f"; `cai segment auto --model {model}` lists the codes its customers lead with")


def predicate_from(where: str | None, bucket: str | None, top_factor: str | None) -> tuple[str, str]:
    """The predicate text and kind of a segment from exactly one of --where, --bucket, --top-factor."""
    given = [x is not None for x in (where, bucket, top_factor)]
    if sum(given) != 1:
        raise SegmentError("define a segment with exactly one of --where PREDICATE, --bucket BUCKET or --top-factor CODE")
    if bucket is not None:
        if bucket not in BUCKETS:
            raise SegmentError(f"unknown bucket {shorten(bucket)!r}; use low, medium or high")
        return exp.column("bucket").eq(exp.Literal.string(bucket)).sql("duckdb"), "bucket"
    if top_factor is not None:
        return exp.column("top_factor").eq(exp.Literal.string(top_factor)).sql("duckdb"), "top_factor"
    return where, "custom"


def _checked_predicate(con: duckdb.DuckDBPyConnection, name: str, text: str) -> exp.Expression:
    columns = con.table(ROWS_VIEW).columns
    where = f"segment {name}: --where"
    tree = parse_predicate(text, columns, where)
    check_boolean(con, tree, ROWS_VIEW, where)
    parse_predicate(tree.sql("duckdb"), columns, where)  # the stored text must parse again at every later run
    return tree


def _fill_members(con: duckdb.DuckDBPyConnection, name: str, model: str, tree: exp.Expression,
                  first_run: int, last_run: int) -> None:
    insert = render_query("segment_members_insert", {"__predicate__": qualify(tree, "r")})
    con.execute(insert, {"segment": name, "model": model, "first_run": first_run, "last_run": last_run})


def create_segment(db, name: str, model: str, where: str | None = None, *, bucket: str | None = None,
                   top_factor: str | None = None) -> Segment:
    """Define a segment on ``model`` and record its members at every successful run so far."""
    with opened(db) as con:
        _check_name(name)
        text, kind = predicate_from(where, bucket, top_factor)
        ensure_ledger(con)
        _check_model(con, model)
        if top_factor is not None:
            _check_factor_code(con, model, top_factor)
        if con.execute(sql_text("list_segments"), {"segment": name}).fetchall():
            raise SegmentError(f"segment '{name}' already exists; drop it first (cai segment drop {name}) or pick another name")
        tree = _checked_predicate(con, name, text)
        stored = tree.sql("duckdb")
        view_name = VIEW_PREFIX + name
        view = render_create("segment_view", view_name, {
            "__view__": exp.to_table(view_name), "__model__": exp.Literal.string(model),
            "__predicate__": qualify(tree, "r"),
        })
        first_run, last_run, _ = con.execute(sql_text("segment_runs"), {"model": model}).fetchall()[0]
        with transaction(con):
            con.execute(sql_text("insert_segment"), {
                "segment": name, "model": model, "predicate": stored, "kind": kind, "view_name": view_name,
                "created_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
            })
            con.execute(view)
            if first_run is not None:
                _fill_members(con, name, model, tree, first_run, last_run)
        return segment_info(con, name)


def refresh_run_members(con: duckdb.DuckDBPyConnection, model: str, run_id: int) -> None:
    """Record every segment of ``model`` at a new run (called inside the run's transaction)."""
    for name, predicate in con.execute(sql_text("model_segments"), {"model": model}).fetchall():
        try:
            tree = parse_predicate(predicate, con.table(ROWS_VIEW).columns, f"segment {name}")
            _fill_members(con, name, model, tree, run_id, run_id)
        except (CaiError, duckdb.Error) as exc:
            raise SegmentError(
                f"segment '{name}' no longer works on {model}'s scores ({str(exc).splitlines()[0]}); "
                f"drop it (cai segment drop {name}) and define it again"
            ) from None


def segment_info(db, name: str) -> Segment:
    with opened(db) as con:
        rows = (con.execute(sql_text("list_segments"), {"segment": name}).fetchall()
                if table_exists(con, "cai_segments") else [])
        if not rows:
            raise SegmentError(f"there is no segment '{shorten(name)}' (see `cai segment list`)")
        segment, model, kind, predicate, view_name, _created, _run, _date, members, _share = rows[0]
        runs = len(size_history(con, name))
        return Segment(segment, model, predicate, kind, view_name, runs, members)


def list_segments(db) -> list[tuple]:
    """Every segment: name, model, kind, predicate, view, created, latest run, its date, members, share."""
    with opened(db) as con:
        if not table_exists(con, "cai_segments"):
            return []
        return con.execute(sql_text("list_segments"), {"segment": None}).fetchall()


def size_history(db, name: str) -> list[tuple]:
    """(run_id, score_date, model_version, members, scored, share) per successful run, oldest first."""
    with opened(db) as con:
        return con.execute(sql_text("segment_size_history"), {"segment": name}).fetchall()


def drop_segment(db, name: str) -> None:
    """Remove a segment's definition, membership history and live view, together."""
    with opened(db) as con:
        info = segment_info(con, name)
        with transaction(con):
            execute_each(con, "delete_segment", {"segment": name})
            con.execute(render_query("drop_segment_view", {"__view__": exp.to_table(info.view_name)}))


def auto_segments(db, model: str | None = None) -> list[tuple]:
    """The one-click segments of each model's latest run (see ``cai_auto_segments``)."""
    with opened(db) as con:
        if not table_exists(con, "cai_auto_segments"):
            return []
        return con.execute(sql_text("list_auto_segments"), {"model": model}).fetchall()


def create_auto_segments(db, model: str) -> list[Segment]:
    """Create every bucket and leading-reason segment of ``model`` not defined yet (same predicate)."""
    with opened(db) as con:
        ensure_ledger(con)
        _check_model(con, model)
        defined = list_segments(con)
        taken = {row[0] for row in defined}
        existing = {(row[1], row[3]) for row in defined}
        created = []
        for _model, _run, _date, kind, value, _customers, _share, predicate, suggested in auto_segments(con, model):
            options = {"bucket": value} if kind == "bucket" else {"top_factor": value} if kind == "top_factor" else {}
            where = predicate if not options else None  # high value at risk: the view's own predicate
            text, _kind = predicate_from(where, options.get("bucket"), options.get("top_factor"))
            if (model, text) in existing:
                continue
            name, n = suggested, 1
            while name in taken:  # long codes can share a truncated name
                n += 1
                name = f"{suggested[:44]}_{n}"
            created.append(create_segment(con, name, model, where, **options))
            taken.add(name)
        return created


def export_segment(db, name: str, out: str | os.PathLike, fmt: str = "csv", run_id: int | None = None) -> tuple[Path, int]:
    """Write a segment's members (latest run by default) to CSV or Parquet, atomically; returns (path, rows)."""
    if fmt not in EXPORT_FORMATS:
        raise SegmentError(f"unknown export format {shorten(fmt)!r}; use csv or parquet")
    target = Path(out).expanduser()
    if not target.parent.resolve().is_dir():
        raise InputError(f"cannot write {target}: directory {target.parent} does not exist")
    with opened(db) as con:
        history = {row[0]: row for row in size_history(con, segment_info(con, name).name)}
        if not history:
            raise SegmentError(f"segment '{name}' has no runs yet; score its model first (cai score)")
        chosen = run_id if run_id is not None else max(history, key=lambda r: (history[r][1], r))
        if chosen not in history:
            raise SegmentError(f"run {chosen} is not a run of segment '{name}''s model (runs: {', '.join(map(str, sorted(history)))})")
        relation = con.sql(sql_text("segment_export"), params={"segment": name, "run_id": chosen})
        with replaced_atomically(target) as temporary:
            if fmt == "csv":
                relation.to_csv(str(temporary))
            else:
                relation.to_parquet(str(temporary))
        return target, history[chosen][3]
