"""Ingesting event and profile files into the canonical ``events`` and ``profiles`` tables.

Every ingest is one transaction: the file is staged, converted, validated and written, or, on
any problem, the database is left exactly as it was.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from .canonical import mapped_select
from .database import ensure_events_table, table_exists, transaction, use_utc
from .errors import InputError
from .mapping import EPOCH_UNITS, EventMapping, ProfileMapping
from .readers import STAGE, check_readable, csv_header, detect_format, stage_file
from .schema import Shape
from .sqlfiles import sql_text
from .sqltree import DIALECT, create_temp_table_as, field_path, ident
from .xdm import DEFAULT_NAMESPACE, looks_like_xdm, xdm_select


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did."""

    path: str
    table: str
    shape: str
    rows_read: int
    rows_written: int
    duplicates_in_file: int = 0
    duplicates_of_existing: int = 0
    duplicates_removed: bool = False
    seconds: float = 0.0

    @property
    def duplicates(self) -> int:
        return self.duplicates_in_file + self.duplicates_of_existing

    def summary(self) -> str:
        text = f"{self.path}: {self.rows_written:,} of {self.rows_read:,} rows written to {self.table} ({self.shape}, {self.seconds:.1f} s)"
        if self.duplicates:
            action = "removed" if self.duplicates_removed else "kept; pass --dedupe to drop them"
            text += (
                f"; {self.duplicates:,} duplicates ({self.duplicates_in_file:,} within the file, "
                f"{self.duplicates_of_existing:,} already in {self.table}) {action}"
            )
        return text


def _problem_messages(row: dict) -> list[str]:
    n = row["n_rows"]
    problems = []
    if row["n_bad_customer"]:
        problems.append(
            f"customer_id is NULL or empty in {row['n_bad_customer']:,} of {n:,} rows (first: row {row['first_bad_customer']}); "
            "fix the file or map customer_id to another column"
        )
    if row["n_missing_ts"]:
        problems.append(f"ts is missing in {row['n_missing_ts']:,} of {n:,} rows (first: row {row['first_missing_ts']})")
    if row["n_bad_ts"]:
        problems.append(
            f"ts is not a timestamp in {row['n_bad_ts']:,} of {n:,} rows (first: row {row['first_bad_ts']}, "
            f"{row['example_bad_ts']!r}); give the format with --ts-format, e.g. '%d/%m/%Y %H:%M:%S' or epoch_ms"
        )
    if row["n_bad_type"]:
        problems.append(f"event_type is NULL or empty in {row['n_bad_type']:,} of {n:,} rows (first: row {row['first_bad_type']})")
    if row["n_bad_value"]:
        problems.append(
            f"value is not a number in {row['n_bad_value']:,} of {n:,} rows (first: row {row['first_bad_value']}, "
            f"{row['example_bad_value']!r})"
        )
    return problems


def _fetch_dict(con: duckdb.DuckDBPyConnection, template: str, params: dict | None = None) -> dict:
    cursor = con.execute(sql_text(template), params or {})
    names = [column[0] for column in cursor.description]
    return dict(zip(names, cursor.fetchall()[0]))


def _add_extra_columns(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    """Add columns the incoming rows carry and ``table`` lacks (typed as they arrive)."""
    existing = {name.lower() for name in con.table(table).columns}  # DuckDB names ignore case
    for name, type_text in columns.items():
        if name.lower() in existing:
            continue
        alter = exp.Alter(
            this=exp.to_table(table),
            kind="TABLE",
            actions=[exp.ColumnDef(this=ident(name), kind=exp.DataType.build(type_text, dialect=DIALECT))],
        )
        con.execute(alter.sql(DIALECT))


def _row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.table(table).aggregate("count(*)").fetchall()[0][0]


def _open(path: str | os.PathLike, fmt: str | None) -> tuple[Path, str, str]:
    """The file's path, its format and the name errors use; refuses unknown types and empty files."""
    path = Path(path)
    fmt = detect_format(path, fmt)
    check_readable(path)
    return path, fmt, path.name


def _staged(con: duckdb.DuckDBPyConnection, stage, origin: str) -> tuple[Shape, int]:
    """The staged file's shape and row count; a file without rows is refused."""
    rows = _row_count(con, STAGE)
    if rows == 0:
        raise InputError(f"{origin}: the file has no rows")
    return Shape.of_table(con, STAGE, stage.hidden_columns), rows


def ingest_events(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    *,
    mapping: EventMapping | None = None,
    fmt: str | None = None,
    xdm: bool | None = None,
    identity_namespace: str = DEFAULT_NAMESPACE,
    dedupe: bool = False,
    replace: bool = False,
) -> IngestReport:
    """Load an event file into ``events``; ``xdm=None`` detects XDM ExperienceEvents by shape."""
    started = time.perf_counter()
    path, fmt, origin = _open(path, fmt)
    mapping = mapping or EventMapping()
    use_utc(con)
    with transaction(con):
        stage = stage_file(con, path, fmt)
        shape, rows_read = _staged(con, stage, origin)
        use_xdm = looks_like_xdm(shape) if xdm is None else xdm
        if use_xdm:
            if "timestamp" not in shape.columns:
                raise InputError(f"{origin}: not XDM: there is no 'timestamp' field (fields: {shape.describe_columns()})")
            select = xdm_select(shape, identity_namespace, mapping, origin, stage.row_number)
        else:
            select = mapped_select(shape, mapping, origin, stage.row_number)
        params = {"ts_format": mapping.ts_format} if mapping.ts_format and mapping.ts_format not in EPOCH_UNITS else {}
        con.execute(create_temp_table_as("_cai_incoming", select), params)
        con.execute(sql_text(stage.drop_template))
        problems = _problem_messages(_fetch_dict(con, "ingest_problems"))
        if problems:
            raise InputError(f"{origin}: " + "; ".join(problems))
        ensure_events_table(con)
        incoming = con.table("_cai_incoming")
        extra_types = {
            name: str(type_) for name, type_ in zip(incoming.columns, incoming.types) if name in mapping.extra
        }
        _add_extra_columns(con, "events", extra_types)
        if replace:
            con.execute(sql_text("delete_all_events"))
        con.execute(sql_text("ingest_flag_duplicates"))
        counts = _fetch_dict(con, "ingest_duplicate_counts")
        before = _row_count(con, "events")
        con.execute(sql_text("ingest_insert_events"), {"dedupe": dedupe})
        written = _row_count(con, "events") - before
        con.execute(sql_text("ingest_cleanup"))
    return IngestReport(
        path=str(path), table="events", shape="XDM" if use_xdm else "flat", rows_read=rows_read,
        rows_written=written, duplicates_in_file=counts["n_dup_in_file"],
        duplicates_of_existing=counts["n_dup_of_existing"], duplicates_removed=dedupe,
        seconds=time.perf_counter() - started,
    )


def ingest_profiles(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    *,
    mapping: ProfileMapping | None = None,
    fmt: str | None = None,
    replace: bool = False,
) -> IngestReport:
    """Load a profile file (one row per customer) into ``profiles``, replacing known customers."""
    started = time.perf_counter()
    path, fmt, origin = _open(path, fmt)
    mapping = mapping or ProfileMapping()
    id_column, explicit = mapping.source()
    with transaction(con):
        if fmt == "csv":
            header = csv_header(con, path)
            if id_column not in header:
                raise _missing_id(origin, id_column, explicit, ", ".join(header))
            stage = stage_file(con, path, fmt, text_columns=[id_column])
        else:
            stage = stage_file(con, path, fmt)
        shape, rows_read = _staged(con, stage, origin)
        if id_column not in shape.columns:
            raise _missing_id(origin, id_column, explicit, shape.describe_columns())
        columns = [exp.alias_(exp.cast(field_path([id_column], STAGE), "VARCHAR"), "customer_id")]
        rest = [name for name in shape.columns if name not in (id_column, "customer_id")]
        columns += [field_path([name], STAGE) for name in rest]
        con.execute(create_temp_table_as("_cai_incoming", exp.select(*columns).from_(STAGE)))
        con.execute(sql_text(stage.drop_template))
        problems = _fetch_dict(con, "profile_problems")
        messages = []
        if problems["n_bad_customer"]:
            messages.append(f"column '{id_column}' is NULL or empty in {problems['n_bad_customer']:,} of {rows_read:,} rows")
        if problems["n_repeated"]:
            messages.append(
                f"{problems['n_repeated']:,} rows repeat a customer already in the file "
                f"(e.g. {problems['example_repeated']!r}); a profiles file has one row per customer"
            )
        if messages:
            raise InputError(f"{origin}: " + "; ".join(messages))
        if replace or not table_exists(con, "profiles"):
            con.execute(sql_text("create_profiles"))
        else:
            incoming = con.table("_cai_incoming")
            _add_extra_columns(con, "profiles", {n: str(t) for n, t in zip(incoming.columns, incoming.types)})
            con.execute(create_temp_table_as("_cai_merged", _merged_profiles(con.table("profiles").columns, incoming.columns)))
            try:
                con.execute(sql_text("upsert_profiles"))
            except duckdb.ConversionException as exc:
                raise InputError(f"{origin}: a column's type does not match the existing profiles table: {exc}") from exc
        con.execute(sql_text("ingest_cleanup"))
    return IngestReport(
        path=str(path), table="profiles", shape="flat", rows_read=rows_read, rows_written=rows_read,
        seconds=time.perf_counter() - started,
    )


def _merged_profiles(profile_columns: list[str], incoming_columns: list[str]) -> exp.Select:
    """Incoming profiles completed with the attributes the file does not carry, kept from ``profiles``.

    A file with a subset of attributes updates those attributes only.
    """
    incoming = {name.lower(): name for name in incoming_columns}  # DuckDB names ignore case
    columns = [exp.column("customer_id", table="i")]
    for name in profile_columns:
        if name == "customer_id":
            continue
        source = exp.column(ident(incoming[name.lower()]), table="i") if name.lower() in incoming else exp.column(ident(name), table="p")
        columns.append(exp.alias_(source, name, quoted=True))
    return (
        exp.select(*columns)
        .from_(exp.alias_(exp.to_table("_cai_incoming"), "i", table=True))
        .join(exp.alias_(exp.to_table("profiles"), "p", table=True), using=["customer_id"], join_type="left")
    )


def _missing_id(origin: str, id_column: str, explicit: bool, columns: str) -> InputError:
    how = "the mapping names" if explicit else "profiles are keyed by"
    return InputError(
        f"{origin}: {how} column '{id_column}', but the file has no such column (columns: {columns}); "
        "map it with --map customer_id=COLUMN"
    )


def ingest(
    db: str | os.PathLike | duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    *,
    profiles: bool = False,
    mapping: EventMapping | ProfileMapping | None = None,
    fmt: str | None = None,
    xdm: bool | None = None,
    identity_namespace: str = DEFAULT_NAMESPACE,
    dedupe: bool = False,
    replace: bool = False,
) -> IngestReport:
    """Ingest an event file (default) or a profile file into a database path or open connection."""
    from .database import connect  # local: keeps the module's import graph one-directional

    con = db if isinstance(db, duckdb.DuckDBPyConnection) else connect(db)
    try:
        if profiles:
            if mapping is not None and not isinstance(mapping, ProfileMapping):
                raise InputError("profiles take a ProfileMapping (which column is the customer id)")
            return ingest_profiles(con, path, mapping=mapping, fmt=fmt, replace=replace)
        if mapping is not None and not isinstance(mapping, EventMapping):
            raise InputError("events take an EventMapping")
        return ingest_events(
            con, path, mapping=mapping, fmt=fmt, xdm=xdm, identity_namespace=identity_namespace,
            dedupe=dedupe, replace=replace,
        )
    finally:
        if con is not db:
            con.close()
