"""How the dashboard shares the database file with scoring jobs and CLI commands.

DuckDB lets one process write a file, or any number of processes read it, never both. So the
dashboard holds the file only for the length of one request: pages open it read-only and close it
again; the Create Segment button opens it for writing for the one transaction that creates the
segment. A cai-sql command that starts meanwhile waits for it (``database.connect`` retries);
a page requested while a scoring run writes gets a "busy, retrying" answer. Within the dashboard's
process one lock guards the file, because DuckDB also refuses a read-only and a read-write
connection to the same file in one process at the same time; it is never held while waiting.

Page data is cached against the file's state (inode, size, modification and change times of the
database and its write-ahead log): every committed write changes them, so a page is recomputed
when the database changed, and a cached page is answered without touching the file or its lock.
A page read within two seconds of the file's last change is not cached, because a second write
in the same timestamp tick of a coarse file system would leave the state unchanged.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from ..database import DatabaseBusyError, connect, open_waiting, use_utc
from ..errors import CaiError

READ_WAIT_SECONDS = 2.0
WRITE_WAIT_SECONDS = 10.0
CACHED_PAGES = 256
SETTLED_NS = 2_000_000_000


class DatabaseAccess:
    """Short-lived connections to one database file, and a cache of the pages read from it."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser().resolve()
        if not self.path.is_file():
            raise CaiError(f"database {path} does not exist; run `cai demo` or point --db at a cai-sql database")
        self._file_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[tuple, dict] = OrderedDict()
        self._cache_state: tuple | None = None

    def state(self) -> tuple:
        """What changes whenever a write to the database commits."""
        marks = []
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                info = path.stat()
                marks.append((info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns))
            except FileNotFoundError:
                marks.append(None)
        return tuple(marks)

    @contextlib.contextmanager
    def _holding(self, open_file: Callable[[], duckdb.DuckDBPyConnection], wait: float) -> Iterator[duckdb.DuckDBPyConnection]:
        """The file lock and a connection; while another process holds the file, wait without the lock."""
        deadline = time.monotonic() + wait
        delay = 0.05
        while True:
            with self._file_lock:
                try:
                    con = open_file()
                except DatabaseBusyError:
                    if time.monotonic() >= deadline:
                        raise
                else:
                    try:
                        yield con
                    finally:
                        con.close()
                    return
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    @contextlib.contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for one page (plain DuckDB: pages only read views and macros)."""
        def open_file():
            con = open_waiting(str(self.path), read_only=True, wait=0)
            use_utc(con)
            return con

        with self._holding(open_file, READ_WAIT_SECONDS) as con:
            yield con

    @contextlib.contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write cai-sql connection for one change, such as creating a segment."""
        try:
            with self._holding(lambda: connect(self.path, wait=0), WRITE_WAIT_SECONDS) as con:
                yield con
        finally:
            self.forget()

    def forget(self) -> None:
        """Drop every cached page (the next request reads the file again)."""
        with self._cache_lock:
            self._cache.clear()
            self._cache_state = None

    def page(self, build: Callable[..., dict], *args, **kwargs) -> dict:
        """A page's data: from the cache while the file is unchanged, else read in one short connection."""
        key = (build.__name__, args, tuple(sorted(kwargs.items())))
        state = self.state()
        with self._cache_lock:
            if state != self._cache_state:
                self._cache.clear()
                self._cache_state = state
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        with self.reading() as con:
            data = build(con, *args, **kwargs)
        newest = max((mark[2] for mark in state if mark), default=0)
        if time.time_ns() - newest >= SETTLED_NS:
            with self._cache_lock:
                if self._cache_state == state:  # no request has seen a newer state meanwhile
                    self._cache[key] = data
                    if len(self._cache) > CACHED_PAGES:
                        self._cache.popitem(last=False)
        return data
