"""cai-sql: SQL-native Customer AI for DuckDB.

Public API::

    import cai_sql
    con = cai_sql.connect("shop.duckdb")
    cai_sql.ingest(con, "events.parquet")                 # XDM detected by shape
    cai_sql.ingest(con, "crm.csv", profiles=True)
    cai_sql.generate("demo_data", customers=10_000, seed=7)
    cai_sql.run_demo("cai_demo.duckdb")
    result = cai_sql.train(con, "purchase_30d.toml")      # registers an ONNX model
    run = cai_sql.score(con, "purchase_30d")                 # a scoring run into cai_scores
    cai_sql.create_segment(con, "gold_high", "purchase_30d", "bucket = 'high' AND loyalty_tier = 'gold'")
    cai_sql.customer_profile(con, "cust-0000042")          # every model's scores, reasons, history
    cai_sql.fit_clv(con, unit="weeks")                     # BG/NBD + Gamma-Gamma, into cai_clv_fits
    cai_sql.score_clv(con, horizon=52)                     # P(alive), expected purchases, CLV into cai_clv
    cai_sql.write_report("shop.duckdb", "report.html")     # the dashboard as one offline HTML file
    cai_sql.serve_dashboard("shop.duckdb", port=8765)      # the dashboard on http://127.0.0.1:8765/
    cai_sql.publish("shop.duckdb", "bi/shop.duckdb")       # read-only copy for BI tools, swapped in atomically
    cai_sql.database_info("shop.duckdb")                   # its storage version: can a BI tool's DuckDB open it?
    con.sql("SELECT cai_score('purchase_30d', f) FROM cai_features_purchase_30d(DATE '2026-11-01') AS f")
"""

from importlib.metadata import PackageNotFoundError, version

from .backtest import Backtest, BacktestRow, backtest
from .clv import ClvError, ClvFit, ClvRun, fit_clv, load_fit as load_clv_fit, score_clv
from .database import DEFAULT_STORAGE_VERSION, DatabaseBusyError, StorageSetting, connect, storage_setting
from .demo import DemoResult, run_demo
from .errors import CaiError, InputError
from .generate import GeneratedFiles, generate
from .info import DatabaseInfo, database_info
from .ingestion import IngestReport, ingest
from .mapping import EventMapping, ProfileMapping, load_mapping_file
from .model_card import model_card
from .outcomes import Evaluation, evaluate_runs
from .publish import PublishResult, publish
from .profile import CustomerProfile, ModelScore, UnknownCustomerError, customer_profile
from .registry import ModelRecord, list_models, load_model
from .scoring import RunResult, list_runs, score
from .segments import (Segment, SegmentError, auto_segments, create_auto_segments, create_segment, drop_segment,
                       export_segment, list_segments, segment_info, size_history)
from .udfs import ScoringError, register as register_udfs
from .spec import CustomEvent, Goal, PredictionSpec, SpecError, load_spec, spec_from_dict
from .summary import EventsSummary, summarize
from .training import TrainingError, TrainResult, train
from .web.app import create_app as dashboard_app
from .web.report import write_report
from .web.serve import serve as serve_dashboard

try:
    __version__ = version("cai-sql")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Backtest",
    "BacktestRow",
    "backtest",
    "DatabaseBusyError",
    "dashboard_app",
    "serve_dashboard",
    "write_report",
    "ClvError",
    "ClvFit",
    "ClvRun",
    "fit_clv",
    "load_clv_fit",
    "score_clv",
    "CustomerProfile",
    "Evaluation",
    "ModelScore",
    "Segment",
    "SegmentError",
    "UnknownCustomerError",
    "auto_segments",
    "create_auto_segments",
    "create_segment",
    "customer_profile",
    "drop_segment",
    "evaluate_runs",
    "export_segment",
    "list_segments",
    "segment_info",
    "size_history",
    "CaiError",
    "CustomEvent",
    "Goal",
    "ModelRecord",
    "PredictionSpec",
    "SpecError",
    "TrainResult",
    "TrainingError",
    "RunResult",
    "ScoringError",
    "list_models",
    "list_runs",
    "register_udfs",
    "score",
    "load_model",
    "load_spec",
    "model_card",
    "spec_from_dict",
    "train",
    "DemoResult",
    "EventMapping",
    "EventsSummary",
    "GeneratedFiles",
    "IngestReport",
    "InputError",
    "ProfileMapping",
    "__version__",
    "DEFAULT_STORAGE_VERSION",
    "DatabaseInfo",
    "PublishResult",
    "StorageSetting",
    "connect",
    "database_info",
    "publish",
    "storage_setting",
    "generate",
    "ingest",
    "load_mapping_file",
    "run_demo",
    "summarize",
]
