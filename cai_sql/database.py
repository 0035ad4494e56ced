"""Opening DuckDB files the way cai-sql needs them, and all-or-nothing writes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb

from .errors import CaiError
from .sqlfiles import sql_text


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (or create) a cai-sql database; ``None`` or ``":memory:"`` gives an in-memory one.

    The connection comes with the scoring functions (``cai_score``, ``cai_explain``) of every
    registered model. Timestamps are stored as naive UTC, so the session time zone is pinned to UTC: the same file
    gives the same features on every machine.
    """
    target = ":memory:" if path is None else str(path)
    if target != ":memory:":
        parent = Path(target).expanduser().resolve().parent
        if not parent.is_dir():
            raise CaiError(f"cannot open database {target}: directory {parent} does not exist")
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.Error as exc:
        raise CaiError(f"cannot open database {target}: {exc}") from exc
    use_utc(con)
    # Nothing a user writes (a cast in a predicate, a file) may make DuckDB download an extension.
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET threads = $threads", {"threads": os.cpu_count() or 1})
    from .udfs import register  # the functions need the registry modules, which need this one

    register(con)
    return con


def use_utc(con: duckdb.DuckDBPyConnection) -> None:
    """cai-sql stores and reads naive UTC timestamps; a caller's own connection is switched to UTC."""
    con.execute("SET TimeZone = 'UTC'")


def ensure_events_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical ``events`` table if it does not exist yet."""
    con.execute(sql_text("events"))


@contextlib.contextmanager
def opened(db, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A caller's connection as it is, or a database path opened for the block and closed after it."""
    if isinstance(db, duckdb.DuckDBPyConnection):
        yield db
        return
    con = connect(db, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run a block as one transaction: everything it wrote, or nothing."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view called ``name`` exists in the main schema."""
    row = con.execute(sql_text("table_exists"), {"name": name}).fetchall()
    return bool(row and row[0][0])


def execute_each(con: duckdb.DuckDBPyConnection, name: str, parameters: dict) -> None:
    """Run every statement of ``sql/<name>.sql`` with the same bound parameters (DuckDB binds
    parameters only in single statements)."""
    for statement in con.extract_statements(sql_text(name)):
        con.execute(statement, parameters)
