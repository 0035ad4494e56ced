"""How much memory DuckDB may use, and where it spills the rest: one setting for every connection.

DuckDB's own default is 80% of the machine's memory, and a scoring or training run also needs memory
outside DuckDB (onnxruntime's batches, scikit-learn's matrices), so cai-sql asks for less by default.
Above the limit DuckDB spills to disk (sorts, joins, window functions, temporary tables) instead of
growing; the spill files go next to the database file (``<db>.tmp``, DuckDB's default) or, for an
in-memory database, to the system's temporary directory rather than the current one.
"""

from __future__ import annotations

import functools
import os
import tempfile

import duckdb

from .defaults import DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ENV
from .errors import CaiError

TEMP_DIRECTORY_ENV = "CAI_TEMP_DIRECTORY"
EXAMPLES = "e.g. 4GB, 500MiB, or 50% (of this machine's memory)"


def memory_limit() -> str:
    """The configured limit: ``$CAI_MEMORY_LIMIT`` (``cai --memory-limit``), else the default."""
    return os.environ.get(MEMORY_LIMIT_ENV, "").strip() or DEFAULT_MEMORY_LIMIT


@functools.cache
def _checked(limit: str) -> str:
    """``limit`` if DuckDB reads it as a memory size (checked once per value, on a throwaway in-memory
    database, so a bad value is refused before any file is created)."""
    probe = duckdb.connect(":memory:")
    try:
        probe.execute("SET memory_limit = $limit", {"limit": limit})
    except duckdb.Error as exc:
        detail = str(exc).strip().splitlines()[0].split(": ", 1)[-1]
        raise CaiError(f"memory limit {limit!r} (${MEMORY_LIMIT_ENV} or --memory-limit) is not a memory size "
                       f"({detail}); use {EXAMPLES}") from exc
    finally:
        probe.close()
    return limit


def check() -> None:
    """Refuse a bad configured limit (one clear error) before a database is opened or created."""
    _checked(memory_limit())


def apply(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """Set the memory limit and the spill directory on a new connection (``target``: its database path)."""
    con.execute("SET memory_limit = $limit", {"limit": _checked(memory_limit())})
    directory = os.environ.get(TEMP_DIRECTORY_ENV, "").strip()
    if not directory and target == ":memory:":
        directory = os.path.join(tempfile.gettempdir(), "cai-sql-spill")
    if directory:
        con.execute("SET temp_directory = $directory", {"directory": directory})
