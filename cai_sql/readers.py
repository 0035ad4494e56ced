"""Staging a CSV, Parquet or JSON file into a temporary table, by bound file path only.

The path is always a bound parameter of a reader function from ``sql/``: a path never becomes
SQL text, and no string the user gives can turn into a table or a file read elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from .errors import InputError, shorten
from .sqlfiles import sql_text

STAGE = "_cai_stage"
ROW_NUMBER_COLUMN = "file_row_number"

SUFFIX_FORMATS = {
    ".csv": "csv", ".tsv": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".json": "json", ".ndjson": "json", ".jsonl": "json",
}
COMPRESSION_SUFFIXES = {".gz", ".zst"}
FORMATS = ("csv", "parquet", "json")


def detect_format(path: Path, fmt: str | None) -> str:
    """The reader for a file: the explicit ``fmt``, else its suffix (compression suffixes skipped)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"{path}: unknown format '{shorten(fmt)}'; use one of {', '.join(FORMATS)}")
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        suffixes.pop()
    suffix = suffixes[-1] if suffixes else ""
    if suffix not in SUFFIX_FORMATS:
        known = ", ".join(sorted(SUFFIX_FORMATS))
        raise InputError(
            f"{path}: unknown file type '{suffix or '(no suffix)'}'; cai-sql reads {known} "
            f"(gzip or zstd compressed too); name the format with --format csv|parquet|json"
        )
    return SUFFIX_FORMATS[suffix]


GLOB_CHARACTERS = set("*?[")


def check_readable(path: Path) -> None:
    if GLOB_CHARACTERS & set(path.name):
        raise InputError(f"{path}: DuckDB reads *, ? and [ in a file name as a pattern that may match other files; rename the file")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")


@dataclass(frozen=True)
class Stage:
    """A staged file: the relation ``_cai_stage`` and how to number its rows in file order."""

    row_number: exp.Expression
    drop_template: str
    hidden_columns: tuple[str, ...] = ()


def _row_number_from_rowid() -> exp.Expression:
    """1-based row number in file order: staged rowids are sequential but need not start at 0."""
    first = exp.select(exp.func("min", exp.column("rowid"))).from_(STAGE).subquery()
    offset = exp.Sub(this=exp.column("rowid", table=STAGE), expression=first)
    return exp.Add(this=exp.paren(offset), expression=exp.Literal.number(1))


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    *,
    text_columns: list[str] | None = None,
) -> Stage:
    """Make ``path`` available as ``_cai_stage`` (dropped or rolled back with the transaction).

    Parquet is read in place through a view (dropped, or rolled back, with the ingest; DuckDB pushes the projection of the
    fields cai-sql needs into the scan, so a wide nested file is never copied); the path is an
    argument of DuckDB's relation API, never SQL text. CSV and JSON are copied into a temporary
    table: CSV events as text throughout (``text_columns is None``), so ids keep leading zeros and
    every conversion is done, and checked, by cai-sql; for CSV profiles only the named columns are
    forced to text and the rest keep DuckDB's sniffed types.
    """
    try:
        if fmt == "parquet":
            con.read_parquet(str(path), file_row_number=True).create_view(STAGE, replace=True)
            column = exp.column(ROW_NUMBER_COLUMN, table=STAGE)
            return Stage(exp.Add(this=column, expression=exp.Literal.number(1)), "drop_stage_view", (ROW_NUMBER_COLUMN,))
        if fmt == "csv":
            if text_columns is None:
                template, params = "stage_csv_text", {"path": str(path)}
            else:
                template, params = "stage_csv_typed", {"path": str(path), "types": {c: "VARCHAR" for c in text_columns}}
        else:
            template, params = f"stage_{fmt}", {"path": str(path)}
        con.execute(sql_text(template), params)
    except duckdb.Error as exc:
        raise _read_error(path, fmt, exc) from exc
    return Stage(_row_number_from_rowid(), "drop_stage_table")


def _read_error(path: Path, fmt: str, exc: duckdb.Error) -> InputError:
    """DuckDB's first line, and the fix when the cause is text that is not UTF-8 (DuckDB says so further down)."""
    message = str(exc).strip()
    detail = message.splitlines()[0]
    if "not utf-8 encoded" in message.lower() or "invalid utf-8" in message.lower():
        return InputError(f"{path}: cannot read it as {fmt.upper()}: it is not UTF-8 text ({detail}); "
                          "save it as UTF-8 and load it again")
    return InputError(f"{path}: cannot read it as {fmt.upper()}: {detail}")


def csv_header(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Column names of a CSV file, read without loading it."""
    try:
        rows = con.execute(sql_text("csv_header"), {"path": str(path)}).fetchall()
    except duckdb.Error as exc:
        raise _read_error(path, "csv", exc) from exc
    return [row[0] for row in rows]
