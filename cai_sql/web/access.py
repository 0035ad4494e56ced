"""How the dashboard shares the database file with scoring jobs and CLI commands.

DuckDB lets one process write a file, or any number of processes read it, never both. So the
dashboard holds the file only for the length of one request: pages open it read-only and close it
again; the Create Segment button opens it for writing for the one transaction that creates the
segment. A scoring run that starts meanwhile waits (``database.connect`` retries for a few seconds)
instead of failing; a page requested while a scoring run writes gets a "busy, retrying" answer.
Within the dashboard's process one lock serialises requests, because DuckDB also refuses a
read-only and a read-write connection to the same file in one process at the same time.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from ..database import connect, open_waiting, use_utc
from ..errors import CaiError

READ_WAIT_SECONDS = 2.0
WRITE_WAIT_SECONDS = 10.0


class DatabaseAccess:
    """Short-lived connections to one database file, one request at a time."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser().resolve()
        if not self.path.is_file():
            raise CaiError(f"database {path} does not exist; run `cai demo` or point --db at a cai-sql database")
        self._lock = threading.Lock()

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
