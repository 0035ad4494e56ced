"""Defaults and choices the command line shows in its help.

They live here, in a module that imports nothing, so that ``cai --help`` does not load the modules
that use them (and with them scikit-learn, ONNX or SciPy); those modules import them from here.
"""

from __future__ import annotations

import datetime as dt

# every command: DuckDB's memory limit (cai_sql.memory)
MEMORY_LIMIT_ENV = "CAI_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "60%"  # of the machine's memory; the other 40% for Python's side of a run and the system

DEFAULT_DB = "cai.duckdb"  # every command's database, unless --db or $CAI_DB says otherwise
DB_ENV = "CAI_DB"

# cai demo
DEMO_DB = "cai_demo.duckdb"
DEMO_CUSTOMERS = 20_000
MIN_DEMO_CUSTOMERS = 5_000  # below this the shipped specs cannot reach their 500/500 minimum examples

# cai generate
GENERATE_END = dt.date(2026, 10, 31)
GENERATE_DAYS = 425  # a little over 13 months: a year of lookback plus room for outcome windows

# cai ingest
BAD_ROWS = ("error", "reject")
XDM_NAMESPACE = "ECID"

# cai train, cai backtest
ALGORITHMS = ("hist_gradient_boosting", "logistic_regression")

# cai score
DEFAULT_FACTORS = 5
SCORE_VIA = ("udf", "sql")  # what computes a run's scores: the cai_score functions or the model's SQL macros

# cai segment
BUCKETS = ("low", "medium", "high")
EXPORT_FORMATS = ("csv", "parquet")

# cai clv
CLV_UNITS = {"days": 1.0, "weeks": 7.0, "months": 30.4375}
CLV_PURCHASE = "event_type = 'commerce.purchases'"
CLV_VALUE = "value"
CLV_UNIT = "weeks"
CLV_DISCOUNT_RATE = 0.10  # per year
