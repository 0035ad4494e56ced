"""What is in the database: the numbers `cai demo` and `cai summary` print."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from .database import table_exists
from .errors import CaiError
from .sqlfiles import sql_text


@dataclass(frozen=True)
class EventsSummary:
    customers: int
    events: int
    first_event: object
    last_event: object
    event_types: int
    by_type: list[tuple[str, int, int, float | None]]
    profiles: int | None


def summarize(con: duckdb.DuckDBPyConnection) -> EventsSummary:
    """Customers, events by type and the date range of ``events`` (and the profile count)."""
    if not table_exists(con, "events"):
        raise CaiError("the database has no events table yet; load events with `cai ingest FILE` or run `cai demo`")
    customers, events, first, last, types = con.execute(sql_text("events_summary")).fetchall()[0]
    if not events:
        raise CaiError("the events table is empty; load events with `cai ingest FILE`")
    by_type = con.execute(sql_text("events_by_type")).fetchall()
    profiles = con.table("profiles").aggregate("count(*)").fetchall()[0][0] if table_exists(con, "profiles") else None
    return EventsSummary(customers, events, first, last, types, by_type, profiles)
