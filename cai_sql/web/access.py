"""How the dashboard shares the database file with scoring jobs and CLI commands.

DuckDB lets one process write a file, or any number of processes read it, never both. So the
dashboard holds the file only for the length of one request: pages open it read-only and close it
again; the Create Segment button opens it for writing for the one transaction that creates the
segment. A scoring run that starts meanwhile waits (``database.connect`` retries for a few seconds)
instead of failing; a page requested while a scoring run writes gets a "busy, retrying" answer.
Within the dashboard's process one lock serialises requests, because DuckDB also refuses a
read-only and a read-write connection to the same file in one process at the same time.

Page data is cached against the file's state (size and modification time of the database and its
write-ahead log): every committed write changes one of them, so a page is recomputed exactly when
the database changed, and a page served from the cache does not touch the file at all.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from ..database import connect, open_waiting, use_utc
from ..errors import CaiError

READ_WAIT_SECONDS = 2.0
WRITE_WAIT_SECONDS = 10.0
CACHED_PAGES = 256


class DatabaseAccess:
    """Short-lived connections to one database file, one request at a time."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser().resolve()
        if not self.path.is_file():
            raise CaiError(f"database {path} does not exist; run `cai demo` or point --db at a cai-sql database")
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, dict] = OrderedDict()
        self._cache_state: tuple | None = None

    def state(self) -> tuple:
        """What changes whenever a write to the database commits."""
        marks = []
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                info = path.stat()
                marks.append((info.st_size, info.st_mtime_ns))
            except FileNotFoundError:
                marks.append(None)
        return tuple(marks)

    def forget(self) -> None:
        """Drop every cached page (the next request reads the file again)."""
        with self._lock:
            self._cache.clear()

    def page(self, build: Callable[..., dict], *args, **kwargs) -> dict:
        """A page's data: from the cache while the file is unchanged, else read in one short connection."""
        key = (build.__name__, args, tuple(sorted(kwargs.items())))
        with self._lock:
            state = self.state()
            if state != self._cache_state:
                self._cache.clear()
                self._cache_state = state
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        with self.reading() as con:
            data = build(con, *args, **kwargs)
        with self._lock:
            if self._cache_state == state:  # nothing was written while the page was read
                self._cache[key] = data
                if len(self._cache) > CACHED_PAGES:
                    self._cache.popitem(last=False)
        return data

    @contextlib.contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for one page (plain DuckDB: pages only read views and macros)."""
        with self._lock:
            con = open_waiting(str(self.path), read_only=True, wait=READ_WAIT_SECONDS)
            try:
                use_utc(con)
                yield con
            finally:
                con.close()

    @contextlib.contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write cai-sql connection for one change, such as creating a segment."""
        with self._lock:
            con = connect(self.path, wait=WRITE_WAIT_SECONDS)
            try:
                yield con
            finally:
                con.close()
