"""ONNX-backed scoring functions for DuckDB, registered per connection.

``register(con)`` adds ``cai_score`` and ``cai_explain`` (SQL macros over the Arrow UDFs
``_cai_score``, ``_cai_explain`` and ``_cai_score_run``) to a connection. They exist only in the
Python process that registered them — DuckDB does not store Python functions in the file; BI
tools read the scores that scoring runs write to ``cai_scores``.
"""

from __future__ import annotations

import weakref

import duckdb

from cai_sql.sqlfiles import sql_text

from .catalog import Catalog, LoadedModel, ScoringError
from .functions import DEFAULT_FACTORS, FACTORS_SQL_TYPE, HIGH_IMPORTANCE, MEDIUM_IMPORTANCE, RUN_SQL_TYPE, Functions

# The callables must outlive every query on the connection (a collected UDF crashes DuckDB), so
# each connection keeps its functions here for as long as it lives.
_REGISTERED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

VECTOR_ARGS = ["VARCHAR", "INTEGER", "FLOAT[]", "VARCHAR"]


def register(con: duckdb.DuckDBPyConnection) -> Catalog:
    """Register the scoring functions on ``con`` (once) and load the registry's models."""
    functions = _REGISTERED.get(con)
    if functions is None:
        functions = Functions(Catalog())
        con.create_function("_cai_score", functions.score, VECTOR_ARGS, "DOUBLE", type="arrow")
        con.create_function("_cai_explain", functions.explain, [*VECTOR_ARGS, "INTEGER"], FACTORS_SQL_TYPE, type="arrow")
        con.create_function("_cai_score_run", functions.score_run, [*VECTOR_ARGS, "INTEGER"], RUN_SQL_TYPE, type="arrow")
        con.execute(sql_text("cai_udf_macros"))
        _REGISTERED[con] = functions
    functions.catalog.refresh(con)
    return functions.catalog


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Reload the registry into the connection's functions after a model was registered."""
    functions = _REGISTERED.get(con)
    if functions is not None:
        functions.catalog.refresh(con)


def catalog(con: duckdb.DuckDBPyConnection) -> Catalog:
    """The models as the connection's functions see them (registering the functions if needed)."""
    return register(con)


__all__ = [
    "Catalog", "DEFAULT_FACTORS", "HIGH_IMPORTANCE", "LoadedModel", "MEDIUM_IMPORTANCE", "ScoringError",
    "catalog", "refresh", "register",
]
