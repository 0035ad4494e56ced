"""`cai publish`: a read-only copy of the database for BI tools, swapped in atomically.

DuckDB lets one process write a file, and a BI tool holding the live file open blocks `cai score`.
So BI tools read a published copy. Publishing copies every table, view and macro of the live
database in one transaction (one consistent snapshot, ``COPY FROM DATABASE``) into a new file beside
the target, in the storage version BI clients read, marks it read-only and renames it over the
target. A reader that has the old copy open keeps reading it (a rename swaps the name, not the open
file); the next open gets the new one; no one sees a half-written file.

A publish killed mid-copy leaves its temporary file behind; the next one removes it (see ``temporaries``).

Why not checkpoint + copy the file: a file copy keeps the live file's storage version (2.0's for
files created before the setting existed, which older clients cannot open) and its free blocks,
and it is only consistent while no one writes; ``COPY FROM DATABASE`` has none of those problems
and costs about 3 s for the demo database.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .database import opened, storage_setting, transaction
from .errors import CaiError
from .sqlfiles import sql_text
from .sqltree import DIALECT, ident
from .temporaries import claimed_temporary, remove_stale_temporaries

READ_ONLY_MODE = 0o444


@dataclass(frozen=True)
class PublishResult:
    target: Path
    source: str | None
    storage_version: str
    published_at: dt.datetime
    size_bytes: int
    seconds: float
    removed: tuple[Path, ...] = ()  # temporary files of publishes that died, removed first

    def summary(self) -> str:
        text = (f"Published {self.source or 'the in-memory database'} to {self.target} (storage version "
                f"{self.storage_version}, {self.size_bytes / 1e6:,.1f} MB, read-only) in {self.seconds:.1f} s")
        if self.removed:
            text += (f"; removed {len(self.removed)} temporary file{'s' if len(self.removed) > 1 else ''} left by an "
                     "interrupted publish")
        return text


def publish(db, to: str | os.PathLike, *, storage_version: str | None = None) -> PublishResult:
    """Write a read-only copy of ``db`` (a path or a connection) to ``to`` for BI tools, atomically.

    The copy has the storage version of the setting (``storage_version``, ``$CAI_STORAGE_VERSION``,
    or v1.4.0) whatever the live file's own, and a ``cai_published`` row saying when it was written.
    An existing ``to`` is replaced only if it is an earlier published copy.
    """
    setting = storage_setting(storage_version)
    target = _checked_target(Path(to).expanduser())
    if not isinstance(db, duckdb.DuckDBPyConnection) and not Path(db).exists():
        raise CaiError(f"database {db} does not exist; nothing to publish")
    started = time.perf_counter()
    # The live file may have any storage version (older cai-sql wrote 2.0's): the copy is what BI reads.
    with opened(db, read_only=True, storage_version="latest") as con:
        if con is not db:
            con.execute(sql_text("quiet_progress"))
        catalog, source = con.execute(sql_text("database_path")).fetchall()[0]
        if source is not None and _same_file(Path(source), target):
            raise CaiError(f"{to} is the live database itself; publish to another path (BI tools read the copy, "
                           "cai writes the live file)")
        if target.exists():
            _check_previous(con, target)
        removed = remove_stale_temporaries(target)
        published_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        with claimed_temporary(target) as temporary:
            try:
                _write_copy(con, catalog, temporary, {
                    "published_at": published_at, "source": None if source is None else str(Path(source).resolve()),
                    "storage_version": setting.version, "cai_sql_version": _cai_version(),
                    "duckdb_version": duckdb.__version__,
                })
                os.chmod(temporary, READ_ONLY_MODE)
                os.replace(temporary, target)
                _fsync(target.parent)
            except (duckdb.Error, OSError) as exc:
                raise CaiError(f"could not publish to {to}: {exc}; {to} is unchanged") from exc
    shown = source if isinstance(db, duckdb.DuckDBPyConnection) else str(db)
    return PublishResult(target=target, source=shown, storage_version=setting.version, published_at=published_at,
                         size_bytes=target.stat().st_size, seconds=time.perf_counter() - started,
                         removed=tuple(removed))


def _checked_target(target: Path) -> Path:
    """The target's directory must exist (a typo must not create a tree of folders) and the target not be one."""
    if not target.parent.is_dir():
        raise CaiError(f"cannot publish to {target}: directory {target.parent} does not exist; create it first")
    if target.is_dir():
        raise CaiError(f"cannot publish to {target}: it is a directory; give the path of the copy's file, e.g. {target / 'bi.duckdb'}")
    if Path(f"{target}.wal").exists():
        raise CaiError(f"{target}.wal exists: a client opened the published copy for writing. Close it and remove the .wal "
                       "file; BI tools must open the published copy read-only")
    return target


def _same_file(source: Path, target: Path) -> bool:
    return target.exists() and os.path.samefile(source, target)


def _check_previous(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Replace only a file that publish wrote: anything else at the target may be someone's data."""
    try:
        con.execute(sql_text("publish_attach_previous"), {"path": str(target)})
    except duckdb.Error as exc:
        raise CaiError(f"{target} exists and cannot be opened as a DuckDB database ({exc}); cai publish replaces only "
                       "its own copies: choose another path or remove the file") from exc
    try:
        is_copy = con.execute(sql_text("publish_is_copy")).fetchall()[0][0]
    finally:
        con.execute(sql_text("publish_detach_previous"))
    if not is_copy:
        raise CaiError(f"{target} is a DuckDB database that cai publish did not write (it has no cai_published table); "
                       "choose another path or remove the file")


def _write_copy(con: duckdb.DuckDBPyConnection, catalog: str, path: Path, stamp: dict) -> None:
    """Copy the whole database into a new file at ``path`` in one transaction, stamped, checkpointed and synced."""
    con.execute(sql_text("publish_attach_target"), {"path": str(path), "storage_version": stamp["storage_version"]})
    try:
        with transaction(con):
            # COPY FROM DATABASE takes names only: the catalog's name (from the file name) enters as a quoted identifier.
            con.execute(sql_text("publish_copy").replace('"__source__"', ident(catalog).sql(DIALECT)))
            con.execute(sql_text("cai_published"), stamp)
    finally:
        con.execute(sql_text("publish_detach_target"))  # checkpoints and closes the file
    _fsync(path)


def _fsync(path: Path) -> None:
    """Flush a file (or a directory's entries, after the rename) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _cai_version() -> str:
    from . import __version__

    return __version__
