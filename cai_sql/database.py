"""Opening DuckDB files the way cai-sql needs them, and all-or-nothing writes."""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from .errors import CaiError
from .sqlfiles import sql_text


LOCK_WAIT_SECONDS = 10.0  # how long to wait for another process (a dashboard request, a CLI command) to let go


class DatabaseBusyError(CaiError):
    """Another process holds the database file, and DuckDB lets one process write it at a time."""


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False,
            wait: float = LOCK_WAIT_SECONDS) -> duckdb.DuckDBPyConnection:
    """Open (or create) a cai-sql database; ``None`` or ``":memory:"`` gives an in-memory one.

    The connection comes with the scoring functions (``cai_score``, ``cai_explain``) of every
    registered model. Timestamps are stored as naive UTC, so the session time zone is pinned to UTC: the same file
    gives the same features on every machine. If another process holds the file (DuckDB allows one
    writer, or many readers), it waits up to ``wait`` seconds for it to let go: dashboard requests
    hold the file for well under a second.
    """
    target = ":memory:" if path is None else str(path)
    if target != ":memory:":
        parent = Path(target).expanduser().resolve().parent
        if not parent.is_dir():
            raise CaiError(f"cannot open database {target}: directory {parent} does not exist")
    con = open_waiting(target, read_only=read_only, wait=wait)
    use_utc(con)
    # Nothing a user writes (a cast in a predicate, a file) may make DuckDB download an extension.
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET threads = $threads", {"threads": os.cpu_count() or 1})
    from .udfs import register  # the functions need the registry modules, which need this one

    register(con)
    return con


def open_waiting(target: str, *, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, retried while another process holds a conflicting lock on the file."""
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            return duckdb.connect(target, read_only=read_only)
        except duckdb.IOException as exc:
            if "Could not set lock" not in str(exc):
                raise CaiError(f"cannot open database {target}: {exc}") from exc
            if time.monotonic() >= deadline:
                found = re.search(r"held in (.*?\(PID \d+\))", str(exc))
                holder = found.group(1) if found else "another program"
                raise DatabaseBusyError(
                    f"database {target} is in use by another process ({holder}): DuckDB lets one process write a "
                    f"file at a time{'' if read_only else ', and readers block writers'}. Try again when it has "
                    "finished; point BI tools at a published copy instead of the live file") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        except duckdb.Error as exc:
            raise CaiError(f"cannot open database {target}: {exc}") from exc


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
