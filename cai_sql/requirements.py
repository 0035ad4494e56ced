"""What a registered model needs of the data: the columns (and types) of events and profiles it reads.

A scoring run binds the model's features macro to the tables as they are now. A column dropped,
renamed or retyped since training would otherwise surface as a DuckDB binder error deep inside that
macro; checking first names the column and the model, before a run is started.
"""

from __future__ import annotations

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from .database import table_exists
from .registry import load_model
from .spec import NUMERIC_PROFILE_TYPES
from .udfs import ScoringError

# The canonical events columns every features macro reads, and the type each must still have.
EVENT_COLUMNS = {"customer_id": "text", "ts": "timestamp", "event_type": "text", "value": "number"}
TYPE_NAMES = {"text": "VARCHAR", "timestamp": "TIMESTAMP", "number": "a number (DOUBLE, INTEGER, DECIMAL, …)",
              "attribute": "a number or BOOLEAN"}


def _fits(kind: str, column_type: str) -> bool:
    if kind == "text":
        return column_type == "VARCHAR"
    if kind == "timestamp":
        return column_type == "TIMESTAMP"
    if kind == "attribute":  # a numeric profile attribute, as spec.py accepts it
        return column_type.startswith("DECIMAL") or column_type in NUMERIC_PROFILE_TYPES
    return column_type.startswith("DECIMAL") or (column_type in NUMERIC_PROFILE_TYPES and column_type != "BOOLEAN")


def _types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    relation = con.table(table)
    return {name.lower(): str(type_) for name, type_ in zip(relation.columns, relation.types)}


def _columns_of(predicates: list[str]) -> set[str]:
    """The column names the (already checked) predicates of a spec read."""
    names = set()
    for text in predicates:
        try:
            names |= {c.name.lower() for c in sqlglot.parse_one(text, read="duckdb").find_all(exp.Column)}
        except SqlglotError:
            continue  # checked when the model was trained; the database binder reports anything else
    return names


def event_column_problems(con: duckdb.DuckDBPyConnection, names=tuple(EVENT_COLUMNS)) -> list[str]:
    """What is wrong with the canonical ``events`` columns ``names``: missing, or of another type."""
    events = _types(con, "events")
    problems = []
    for name in names:
        if name not in events:
            problems.append(f"events has no column {name} any more")
        elif not _fits(EVENT_COLUMNS[name], events[name]):
            problems.append(f"events.{name} is {events[name]} now, not {TYPE_NAMES[EVENT_COLUMNS[name]]}")
    return problems


def check_model_columns(con: duckdb.DuckDBPyConnection, model: str, version: int) -> None:
    """Refuse to score when ``events`` or ``profiles`` lack a column the model version reads, or changed its type."""
    spec = load_model(con, model, version).spec
    events = _types(con, "events")
    problems = event_column_problems(con)
    event_predicates = [*spec.get("goal", {}).get("conditions", []), *spec.get("eligibility_events", []),
                        *(item.get("predicate", "") for item in spec.get("custom_events", []))]
    problems += [f"events has no column {name} any more (the spec's predicates read it)"
                 for name in sorted(_columns_of(event_predicates) - set(events) - set(EVENT_COLUMNS))]
    numeric, categorical = spec.get("numeric_attributes", []), spec.get("categorical_attributes", [])
    wanted = {name.lower() for name in (*numeric, *categorical)} | _columns_of(spec.get("eligibility_profiles", []))
    if wanted and not table_exists(con, "profiles"):
        problems.append(f"the profiles table is gone (the model reads {', '.join(sorted(wanted))}); "
                        "load it again with `cai ingest FILE --profiles`")
    elif wanted:
        profiles = _types(con, "profiles")
        problems += [f"profiles has no column {name} any more" for name in sorted(wanted - set(profiles))]
        problems += [f"profiles.{name} is {profiles[name.lower()]} now, not {TYPE_NAMES['attribute']}" for name in numeric
                     if name.lower() in profiles and not _fits("attribute", profiles[name.lower()])]
    if problems:
        raise ScoringError(f"{model} v{version} cannot score the data as it is now: {'; '.join(problems)}. "
                           "Restore the tables as they were at training (or reload them with `cai ingest`), "
                           f"or train {model} again on the data as it is (`cai train SPEC.toml`)")
