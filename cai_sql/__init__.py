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

import importlib
import sys
import types

# Public name → (module, attribute). A name's module is imported the first time the name is used, so
# `import cai_sql` (and the `cai` command's start-up) does not load scikit-learn, ONNX or SciPy.
_EXPORTS = {
    "Backtest": ("backtest", "Backtest"),
    "BacktestRow": ("backtest", "BacktestRow"),
    "backtest": ("backtest", "backtest"),
    "ClvError": ("clv", "ClvError"),
    "ClvFit": ("clv", "ClvFit"),
    "ClvRun": ("clv", "ClvRun"),
    "fit_clv": ("clv", "fit_clv"),
    "load_clv_fit": ("clv", "load_fit"),
    "score_clv": ("clv", "score_clv"),
    "DEFAULT_STORAGE_VERSION": ("database", "DEFAULT_STORAGE_VERSION"),
    "DatabaseBusyError": ("database", "DatabaseBusyError"),
    "StorageSetting": ("database", "StorageSetting"),
    "connect": ("database", "connect"),
    "storage_setting": ("database", "storage_setting"),
    "DemoResult": ("demo", "DemoResult"),
    "run_demo": ("demo", "run_demo"),
    "CaiError": ("errors", "CaiError"),
    "InputError": ("errors", "InputError"),
    "GeneratedFiles": ("generate", "GeneratedFiles"),
    "generate": ("generate", "generate"),
    "DatabaseInfo": ("info", "DatabaseInfo"),
    "database_info": ("info", "database_info"),
    "IngestReport": ("ingestion", "IngestReport"),
    "ingest": ("ingestion", "ingest"),
    "EventMapping": ("mapping", "EventMapping"),
    "ProfileMapping": ("mapping", "ProfileMapping"),
    "load_mapping_file": ("mapping", "load_mapping_file"),
    "model_card": ("model_card", "model_card"),
    "Evaluation": ("outcomes", "Evaluation"),
    "evaluate_runs": ("outcomes", "evaluate_runs"),
    "PublishResult": ("publish", "PublishResult"),
    "publish": ("publish", "publish"),
    "CustomerProfile": ("profile", "CustomerProfile"),
    "ModelScore": ("profile", "ModelScore"),
    "UnknownCustomerError": ("profile", "UnknownCustomerError"),
    "customer_profile": ("profile", "customer_profile"),
    "IntegrityError": ("integrity", "IntegrityError"),
    "Verified": ("integrity", "Verified"),
    "verify_models": ("integrity", "verify_models"),
    "ModelRecord": ("registry", "ModelRecord"),
    "list_models": ("registry", "list_models"),
    "load_model": ("registry", "load_model"),
    "RunResult": ("scoring", "RunResult"),
    "list_runs": ("ledger", "list_runs"),
    "score": ("scoring", "score"),
    "Segment": ("segments", "Segment"),
    "SegmentError": ("segments", "SegmentError"),
    "auto_segments": ("segments", "auto_segments"),
    "create_auto_segments": ("segments", "create_auto_segments"),
    "create_segment": ("segments", "create_segment"),
    "drop_segment": ("segments", "drop_segment"),
    "export_segment": ("segments", "export_segment"),
    "list_segments": ("segments", "list_segments"),
    "segment_info": ("segments", "segment_info"),
    "size_history": ("segments", "size_history"),
    "ScoringError": ("udfs", "ScoringError"),
    "register_udfs": ("udfs", "register"),
    "CustomEvent": ("spec", "CustomEvent"),
    "Goal": ("spec", "Goal"),
    "PredictionSpec": ("spec", "PredictionSpec"),
    "SpecError": ("spec", "SpecError"),
    "load_spec": ("spec", "load_spec"),
    "spec_from_dict": ("spec", "spec_from_dict"),
    "EventsSummary": ("summary", "EventsSummary"),
    "summarize": ("summary", "summarize"),
    "TrainingError": ("training", "TrainingError"),
    "TrainResult": ("training", "TrainResult"),
    "train": ("training", "train"),
    "dashboard_app": ("web.app", "create_app"),
    "write_report": ("web.report", "write_report"),
    "serve_dashboard": ("web.serve", "serve"),
}


def __getattr__(name: str):
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("cai-sql")
        except PackageNotFoundError:  # running from a source tree that was never installed
            value = "0+unknown"
    elif name in _EXPORTS:
        module, attribute = _EXPORTS[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attribute)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """Importing a submodule binds it on the package; where a public function has the submodule's name
    (``backtest``, ``generate``, ``model_card``, ``publish``), the function keeps the name."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name, ("",))[0] == name:
            value = getattr(value, _EXPORTS[name][1])
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
    "IntegrityError",
    "Verified",
    "verify_models",
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
