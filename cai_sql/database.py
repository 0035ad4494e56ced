"""Opening DuckDB files the way cai-sql needs them, and all-or-nothing writes.

Storage version: DuckDB 2.0 writes files that DuckDB 1.x clients (the DuckDB CLI, DBeaver's and
Metabase's drivers, duckdb-engine on an older duckdb) cannot open. A file cai-sql *creates* uses the
storage version of the setting (``CAI_STORAGE_VERSION``, default v1.4.0), which those clients read;
DuckDB keeps a file's version when it writes to it again. An existing file is opened as it is and
never rewritten. When the setting is given explicitly, a file newer than it is refused, so the
promise "my BI tools can read this file" fails loudly in cai-sql instead of later in a dashboard.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import memory
from .errors import CaiError
from .sqlfiles import sql_text


# Every connection connect() opened and not yet collected, so a Ctrl-C can interrupt their queries.
_OPEN: weakref.WeakSet = weakref.WeakSet()
LOCK_WAIT_SECONDS = 30.0  # how long to wait for another process (a dashboard request, a CLI command) to let go


class DatabaseBusyError(CaiError):
    """Another process holds the database file, and DuckDB lets one process write it at a time."""


DEFAULT_STORAGE_VERSION = "v1.4.0"
STORAGE_VERSION_ENV = "CAI_STORAGE_VERSION"
_VERSION = re.compile(r"v(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class StorageSetting:
    """The storage version new files get, and where that came from (an explicit one is enforced)."""

    version: str
    source: str  # "default", "CAI_STORAGE_VERSION" or "argument"

    @property
    def explicit(self) -> bool:
        return self.source != "default"

    def describe(self) -> str:
        where = "default" if self.source == "default" else ("set by $" + STORAGE_VERSION_ENV if self.source == STORAGE_VERSION_ENV
                                                             else "set by the caller")
        return f"{self.version} ({where})"


def storage_setting(storage_version: str | None = None) -> StorageSetting:
    """The storage version setting: the argument, else ``$CAI_STORAGE_VERSION``, else v1.4.0."""
    if storage_version is not None:
        setting = StorageSetting(storage_version.strip(), "argument")
    elif os.environ.get(STORAGE_VERSION_ENV, "").strip():
        setting = StorageSetting(os.environ[STORAGE_VERSION_ENV].strip(), STORAGE_VERSION_ENV)
    else:
        return StorageSetting(DEFAULT_STORAGE_VERSION, "default")
    _check_known(setting.version, setting.source)
    return setting


@functools.lru_cache(maxsize=None)
def _check_known(version: str, source: str) -> None:
    """DuckDB itself says whether it knows a version (it lists the valid ones if not)."""
    try:
        duckdb.connect(":memory:", config={"storage_compatibility_version": version}).close()
    except duckdb.Error as exc:
        name = f"${STORAGE_VERSION_ENV}" if source == STORAGE_VERSION_ENV else "storage_version"
        raise CaiError(f"{name} {version!r} is not a storage version duckdb {duckdb.__version__} knows; use a DuckDB "
                       "release like v1.4.0 or v1.5.0, or latest") from exc


def version_tuple(version: str | None) -> tuple[int, int, int] | None:
    """``(1, 4, 0)`` for "v1.4.0" or "v1.4.0+"; ``None`` for "latest" or an unknown form."""
    match = _VERSION.match(version or "")
    return tuple(int(part) for part in match.groups()) if match else None


def file_storage_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The storage version of the connection's database file ("v1.4.0"), ``None`` in memory."""
    row = con.execute(sql_text("database_storage_version")).fetchall()
    return row[0][0] if row and row[0][0] else None


def newer_than(file_version: str | None, setting: str) -> bool:
    """Whether a file's storage version needs a newer DuckDB than the setting promises BI clients."""
    have, allowed = version_tuple(file_version), version_tuple(setting)
    return have is not None and allowed is not None and have > allowed


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False,
            storage_version: str | None = None, wait: float = LOCK_WAIT_SECONDS,
            functions: bool = True) -> duckdb.DuckDBPyConnection:
    """Open (or create) a cai-sql database; ``None`` or ``":memory:"`` gives an in-memory one.

    A new file gets the storage version of :func:`storage_setting`; an existing file keeps its own
    (with an explicit setting, a newer file is refused and left as it is). The connection comes
    with the scoring functions (``cai_score``, ``cai_explain``) of every registered model.
    Timestamps are stored as naive UTC, so the session time zone is pinned to UTC: the same file
    gives the same features on every machine. If another process holds the file (DuckDB allows one
    writer, or many readers), it waits up to ``wait`` seconds for it to let go: dashboard requests
    hold the file for well under a second. ``functions=False`` leaves the scoring functions out:
    reading tables and views does not need them, and it spares loading ONNX and the models.
    """
    setting = storage_setting(storage_version)
    memory.check()
    target = ":memory:" if path is None else str(path)
    if target != ":memory:":
        parent = Path(target).expanduser().resolve().parent
        if not parent.is_dir():
            raise CaiError(f"cannot open database {target}: directory {parent} does not exist")
    try:
        if target != ":memory:" and not read_only and not Path(target).expanduser().exists():
            # Created by its own short connection, so every later one (ours, a caller's plain duckdb.connect)
            # opens the file with the same, default configuration: DuckDB refuses mixed ones in a process.
            duckdb.connect(target, config={"storage_compatibility_version": setting.version}).close()
    except duckdb.Error as exc:
        raise CaiError(f"cannot open database {target}: {exc}") from exc
    con = open_waiting(target, read_only=read_only, wait=wait)
    if setting.explicit and newer_than(version := file_storage_version(con), setting.version):
        con.close()
        use = (f"unset ${STORAGE_VERSION_ENV} or set it to {version}" if setting.source == STORAGE_VERSION_ENV
               else f"pass storage_version={version!r} or none")
        raise CaiError(
            f"{target} has storage version {version}, newer than the configured {setting.version}: DuckDB clients "
            f"older than {version} (BI drivers, the DuckDB CLI) cannot open it. The file is left unchanged. To use it "
            f"as it is, {use}; to give BI tools a {setting.version} copy of it, publish one: "
            f"cai publish --db {target} --to PATH --storage-version {setting.version}"
        )
    _OPEN.add(con)
    use_utc(con)
    # Nothing a user writes (a cast in a predicate, a file) may make DuckDB download an extension.
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET threads = $threads", {"threads": os.cpu_count() or 1})
    memory.apply(con, target)
    if functions:
        from .udfs import register  # the functions need the registry modules, which need this one

        register(con)
    return con


@contextlib.contextmanager
def removed_if_failed(db) -> Iterator[None]:
    """A database file the block creates is removed, with its .wal, if the block fails or is interrupted.

    A first ``cai ingest`` into a typo'd or new path that fails validation must not leave an empty
    database behind (the next command would find it and report "no events table" instead). The
    block must close its connections before it ends.
    """
    new = (None if isinstance(db, duckdb.DuckDBPyConnection) or db is None or str(db) == ":memory:"
           or Path(db).expanduser().exists() else Path(db).expanduser())
    try:
        yield
    except BaseException:
        if new is not None:
            for path in (new, Path(f"{new}.wal")):
                with contextlib.suppress(OSError):
                    path.unlink()
        raise


def interrupt_queries() -> None:
    """Interrupt the running query of every connection connect() opened (safe from any thread)."""
    for con in list(_OPEN):
        with contextlib.suppress(Exception):  # closed meanwhile
            con.interrupt()


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
def opened(db, *, read_only: bool = False, storage_version: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A caller's connection as it is, or a database path opened for the block and closed after it."""
    if isinstance(db, duckdb.DuckDBPyConnection):
        yield db
        return
    con = connect(db, read_only=read_only, storage_version=storage_version)
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
