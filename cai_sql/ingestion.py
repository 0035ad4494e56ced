"""Ingesting event and profile files into the canonical ``events`` and ``profiles`` tables.

Every ingest is one transaction: the file is staged, converted, validated and written, or, on
any problem, the database is left exactly as it was.

Bad rows (``bad_rows``): with ``"error"`` (the default) one bad row refuses the whole file; with
``"reject"`` each row that fails a check is written to ``cai_ingest_rejects`` (file, row number,
first failed check, every failed check, the raw row as JSON) in the same transaction as the rows
that load, and a file whose every row fails is refused as a whole.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from sqlglot import exp

from . import defaults
from .canonical import mapped_select
from .clock import FUTURE_TOLERANCE, describe_tolerance, future_limit  # noqa: F401  (FUTURE_TOLERANCE: public here too)
from .database import ensure_events_table, table_exists, transaction, use_utc
from .errors import InputError, shorten
from .mapping import EPOCH_UNITS, EventMapping, ProfileMapping
from .readers import STAGE, check_readable, csv_header, detect_format, stage_file
from .schema import Shape
from .sqlfiles import sql_text
from .sqltree import DIALECT, create_temp_table_as, field_path, func, ident
from .xdm import DEFAULT_NAMESPACE, looks_like_xdm, xdm_select


BAD_ROWS = defaults.BAD_ROWS
# The checks a row can fail, in the order they are tested (a row's `reason` is the first it fails).
REJECT_REASONS = (
    "missing_customer_id", "missing_timestamp", "bad_timestamp", "future_timestamp", "missing_event_type", "bad_value",
)
REJECTS_TABLE = "cai_ingest_rejects"


def _check_bad_rows(bad_rows: str) -> None:
    if bad_rows not in BAD_ROWS:
        raise InputError(f"bad_rows must be one of {', '.join(BAD_ROWS)} (got {bad_rows!r})")


def _check_ts_format(con: duckdb.DuckDBPyConnection, ts_format: str | None) -> None:
    """Refuse a strptime format DuckDB cannot use before reading the file (it would fail mid-query)."""
    if not ts_format or ts_format in EPOCH_UNITS:
        return
    try:
        con.execute(sql_text("check_ts_format"), {"ts_format": ts_format})
    except duckdb.Error as exc:
        detail = str(exc).strip().splitlines()[0].split(": ", 2)[-1]
        raise InputError(
            f"--ts-format (ts_format) {shorten(ts_format)!r} is not a timestamp format DuckDB knows ({shorten(detail.lower(), 120)}); "
            "write it with strptime codes, e.g. '%Y-%m-%d %H:%M:%S' or '%d/%m/%Y %H:%M' (write a literal % as %%), "
            "or give epoch_s, epoch_ms or epoch_us"
        ) from None


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _describe_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason}: {n:,}" for reason, n in counts.items())


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
    rejected: dict[str, int] = field(default_factory=dict)  # rows kept out, by first failed check
    load_id: str | None = None  # the ingest's id in cai_ingest_rejects (set when bad_rows="reject")

    @property
    def duplicates(self) -> int:
        return self.duplicates_in_file + self.duplicates_of_existing

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())

    def summary(self) -> str:
        text = f"{self.path}: {self.rows_written:,} of {self.rows_read:,} rows written to {self.table} ({self.shape}, {self.seconds:.1f} s)"
        if self.duplicates:
            action = "removed" if self.duplicates_removed else "kept; pass --dedupe to drop them"
            text += (
                f"; {self.duplicates:,} duplicates ({self.duplicates_in_file:,} within the file, "
                f"{self.duplicates_of_existing:,} already in {self.table}) {action}"
            )
        if self.rows_rejected:
            text += (
                f"; {_plural(self.rows_rejected, 'row')} rejected ({_describe_counts(self.rejected)}), "
                f"kept in {REJECTS_TABLE} with load_id '{self.load_id}'"
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
    if row["n_future_ts"]:
        problems.append(
            f"ts is in the future in {row['n_future_ts']:,} of {n:,} rows (first: row {row['first_future_ts']}, "
            f"{row['example_future_ts']!r}); events may be at most {describe_tolerance()} ahead of now (UTC)"
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


def _raw_rows_select(shape: Shape, row_number: exp.Expression, *, nested: bool) -> exp.Select:
    """``_cai_rejected_raw(_row, raw_row)``: each rejected staged row as JSON text (helper columns left out).

    A nested (XDM) record drops its NULL fields: the stage's schema is the union of every record's
    fields, so NULLs are mostly fields the record never had. A flat row keeps every column.
    Field names enter the struct as string literals built by sqlglot; only rejected rows are converted.
    """
    struct = exp.Struct(expressions=[
        exp.PropertyEQ(this=exp.Literal.string(name), expression=field_path([name], STAGE)) for name in shape.columns
    ])
    raw = func("to_json", struct)
    if nested:
        raw = func("json_strip_nulls", raw)
    rejected = exp.select("_row").from_("_cai_rejected")
    return (
        exp.select(exp.alias_(row_number, "_row"), exp.alias_(exp.cast(raw, "VARCHAR"), "raw_row"))
        .from_(STAGE)
        .where(row_number.copy().isin(query=rejected))
    )


def _reject_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = dict(con.execute(sql_text("ingest_reject_counts")).fetchall())
    return {reason: counts[reason] for reason in REJECT_REASONS if reason in counts}


def _keep_rejects(
    con: duckdb.DuckDBPyConnection, shape: Shape, stage, *, origin: str, file: str, target: str, load_id: str,
    rows_read: int, details=None, drop_template: str = "ingest_drop_rejected", nested: bool = False,
) -> dict[str, int]:
    """Move the rows listed in ``_cai_rejected`` out of ``_cai_incoming`` into ``cai_ingest_rejects``.

    Needs the stage still in place (for the raw rows); refuses a file whose every row was rejected.
    """
    counts = _reject_counts(con)
    total = sum(counts.values())
    if total == rows_read:
        raise InputError(
            f"{origin}: {'the only row' if rows_read == 1 else f'all {rows_read:,} rows'} failed the checks "
            f"({_describe_counts(counts)}); nothing was written"
            + (f": {details()}" if details is not None else "")
        )
    if total:
        con.execute(create_temp_table_as("_cai_rejected_raw", _raw_rows_select(shape, stage.row_number, nested=nested)))
        con.execute(sql_text(REJECTS_TABLE))
        con.execute(sql_text("ingest_insert_rejects"), {
            "load_id": load_id, "ingested_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
            "file": file, "target": target,
        })
        con.execute(sql_text(drop_template))
    return counts


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
    bad_rows: str = "error",
) -> IngestReport:
    """Load an event file into ``events``; ``xdm=None`` detects XDM ExperienceEvents by shape.

    ``bad_rows="reject"`` keeps rows that fail a check out of ``events`` and in ``cai_ingest_rejects``.
    """
    started = time.perf_counter()
    _check_bad_rows(bad_rows)
    given = os.fspath(path)
    path, fmt, origin = _open(path, fmt)
    mapping = mapping or EventMapping()
    _check_ts_format(con, mapping.ts_format)
    load_id = str(uuid.uuid4()) if bad_rows == "reject" else None
    limit = {"future_limit": future_limit()}
    rejected: dict[str, int] = {}
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
        if bad_rows == "reject":
            con.execute(sql_text("ingest_reject_reasons"), limit)
            rejected = _keep_rejects(
                con, shape, stage, origin=origin, file=given, target="events", load_id=load_id, rows_read=rows_read,
                nested=use_xdm,
                details=lambda: "; ".join(_problem_messages(_fetch_dict(con, "ingest_problems", limit))),
            )
        con.execute(sql_text(stage.drop_template))
        problems = _problem_messages(_fetch_dict(con, "ingest_problems", limit))
        if problems:
            raise InputError(
                f"{origin}: " + "; ".join(problems) + f"; to load the other rows and keep these in {REJECTS_TABLE}, "
                "pass --bad-rows reject"
            )
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
        try:
            con.execute(sql_text("ingest_insert_events"), {"dedupe": dedupe})
        except duckdb.ConversionException as exc:
            detail = str(exc).strip().splitlines()[0]
            raise InputError(f"{origin}: a column's type does not match the existing events table: {detail}") from exc
        written = _row_count(con, "events") - before
        con.execute(sql_text("ingest_cleanup"))
    return IngestReport(
        path=str(path), table="events", shape="XDM" if use_xdm else "flat", rows_read=rows_read,
        rows_written=written, duplicates_in_file=counts["n_dup_in_file"],
        duplicates_of_existing=counts["n_dup_of_existing"], duplicates_removed=dedupe,
        seconds=time.perf_counter() - started, rejected=rejected, load_id=load_id,
    )


def ingest_profiles(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    *,
    mapping: ProfileMapping | None = None,
    fmt: str | None = None,
    replace: bool = False,
    bad_rows: str = "error",
) -> IngestReport:
    """Load a profile file (one row per customer) into ``profiles``, replacing known customers.

    ``bad_rows="reject"`` keeps rows without a customer id out of ``profiles`` and in ``cai_ingest_rejects``.
    """
    started = time.perf_counter()
    _check_bad_rows(bad_rows)
    given = os.fspath(path)
    path, fmt, origin = _open(path, fmt)
    load_id = str(uuid.uuid4()) if bad_rows == "reject" else None
    rejected: dict[str, int] = {}
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
        if bad_rows == "reject":
            con.execute(create_temp_table_as("_cai_rejected", _profile_rejects_select(id_column, stage.row_number)))
            rejected = _keep_rejects(
                con, shape, stage, origin=origin, file=given, target="profiles", load_id=load_id, rows_read=rows_read,
                drop_template="profile_drop_rejected",
            )
        con.execute(sql_text(stage.drop_template))
        problems = _fetch_dict(con, "profile_problems")
        messages = []
        if problems["n_bad_customer"]:
            messages.append(
                f"column '{id_column}' is NULL or empty in {problems['n_bad_customer']:,} of {rows_read:,} rows; "
                "pass --bad-rows reject to load the others"
            )
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
        path=str(path), table="profiles", shape="flat", rows_read=rows_read,
        rows_written=rows_read - sum(rejected.values()), seconds=time.perf_counter() - started,
        rejected=rejected, load_id=load_id,
    )


def _profile_rejects_select(id_column: str, row_number: exp.Expression) -> exp.Select:
    """``_cai_rejected(_row, reason, reasons)`` for profiles: the staged rows without a customer id."""
    customer = exp.cast(field_path([id_column], STAGE), "VARCHAR")
    blank = exp.or_(exp.Is(this=customer, expression=exp.null()), exp.EQ(this=func("trim", customer.copy()), expression=exp.Literal.string("")))
    reason = exp.Literal.string("missing_customer_id")
    return exp.select(
        exp.alias_(row_number, "_row"), exp.alias_(reason, "reason"), exp.alias_(exp.Array(expressions=[reason.copy()]), "reasons"),
    ).from_(STAGE).where(blank)


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
    bad_rows: str = "error",
) -> IngestReport:
    """Ingest an event file (default) or a profile file into a database path or open connection.

    ``bad_rows``: ``"error"`` refuses a file with any bad row; ``"reject"`` loads the good rows and
    keeps the bad ones in ``cai_ingest_rejects``.
    """
    from .database import connect, removed_if_failed  # local: keeps the module's import graph one-directional

    _check_bad_rows(bad_rows)
    with removed_if_failed(db):  # a failed first ingest leaves no empty database file behind
        con = db if isinstance(db, duckdb.DuckDBPyConnection) else connect(db)
        try:
            if profiles:
                if mapping is not None and not isinstance(mapping, ProfileMapping):
                    raise InputError("profiles take a ProfileMapping (which column is the customer id)")
                return ingest_profiles(con, path, mapping=mapping, fmt=fmt, replace=replace, bad_rows=bad_rows)
            if mapping is not None and not isinstance(mapping, EventMapping):
                raise InputError("events take an EventMapping")
            return ingest_events(
                con, path, mapping=mapping, fmt=fmt, xdm=xdm, identity_namespace=identity_namespace,
                dedupe=dedupe, replace=replace, bad_rows=bad_rows,
            )
        finally:
            if con is not db:
                con.close()
