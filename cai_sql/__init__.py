"""cai-sql: SQL-native Customer AI for DuckDB.

Public API::

    import cai_sql
    con = cai_sql.connect("shop.duckdb")
    cai_sql.ingest(con, "events.parquet")                 # XDM detected by shape
    cai_sql.ingest(con, "crm.csv", profiles=True)
    cai_sql.generate("demo_data", customers=10_000, seed=7)
    cai_sql.run_demo("cai_demo.duckdb")
"""

from importlib.metadata import PackageNotFoundError, version

from .database import connect
from .demo import DemoResult, run_demo
from .errors import CaiError, InputError
from .generate import GeneratedFiles, generate
from .ingestion import IngestReport, ingest
from .mapping import EventMapping, ProfileMapping, load_mapping_file
from .summary import EventsSummary, summarize

try:
    __version__ = version("cai-sql")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "CaiError",
    "DemoResult",
    "EventMapping",
    "EventsSummary",
    "GeneratedFiles",
    "IngestReport",
    "InputError",
    "ProfileMapping",
    "__version__",
    "connect",
    "generate",
    "ingest",
    "load_mapping_file",
    "run_demo",
    "summarize",
]
