"""Turning raw source fields into the canonical ``events`` columns, as sqlglot expressions.

Both the flat (column-mapped) and the XDM readers produce raw expressions per field; this module
decides how each becomes a canonical value, keeping the raw text beside it so that validation
can quote the offending values.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from .errors import InputError
from .mapping import EPOCH_UNITS, EventMapping
from .readers import STAGE
from .schema import NUMERIC_TYPE_IDS, TIME_TYPE_IDS, Shape
from .sqltree import field_path, func, placeholder



@dataclass
class RawField:
    """A source expression for one canonical field, with its DuckDB type id and a label for errors."""

    expression: exp.Expression
    type_id: str
    label: str


def as_varchar(expression: exp.Expression) -> exp.Expression:
    return exp.cast(expression, "VARCHAR")


def timestamp_expression(raw: RawField, ts_format: str | None, origin: str) -> exp.Expression:
    """Naive-UTC TIMESTAMP from a raw field; unparseable values become NULL (and are reported)."""
    if ts_format in EPOCH_UNITS:
        number = exp.TryCast(this=raw.expression, to=exp.DataType.build("DOUBLE"))
        if ts_format == "epoch_s":
            return exp.cast(func("to_timestamp", number), "TIMESTAMP")
        if ts_format == "epoch_ms":
            return func("epoch_ms", exp.cast(number, "BIGINT"))
        return func("make_timestamp", exp.cast(number, "BIGINT"))
    if ts_format:
        parsed = func("try_strptime", as_varchar(raw.expression), placeholder("ts_format"))
        return exp.cast(parsed, "TIMESTAMP")
    if raw.type_id in TIME_TYPE_IDS:
        return exp.cast(raw.expression, "TIMESTAMP")
    if raw.type_id in NUMERIC_TYPE_IDS:
        raise InputError(
            f"{origin}: {raw.label} holds numbers, not timestamps; if they are epoch times, say the unit "
            f"with --ts-format epoch_s, epoch_ms or epoch_us"
        )
    with_zone = exp.TryCast(this=as_varchar(raw.expression), to=exp.DataType.build("TIMESTAMPTZ"))
    return exp.cast(with_zone, "TIMESTAMP")


def value_expression(raw: RawField | None) -> exp.Expression:
    """DOUBLE from a raw field; text that is not a number becomes NULL (and is reported)."""
    if raw is None:
        return exp.cast(exp.null(), "DOUBLE")
    if raw.type_id in NUMERIC_TYPE_IDS:
        return exp.cast(raw.expression, "DOUBLE")
    return exp.TryCast(this=as_varchar(raw.expression), to=exp.DataType.build("DOUBLE"))


def incoming_select(
    customer_id: RawField,
    ts: RawField,
    event_type: exp.Expression,
    value: RawField | None,
    event_id: exp.Expression | None,
    ts_format: str | None,
    origin: str,
    row_number: exp.Expression,
    extras: dict[str, exp.Expression] | None = None,
) -> exp.Select:
    """The SELECT that builds ``_cai_incoming``: canonical columns plus raw text for validation."""
    columns = [
        exp.alias_(as_varchar(customer_id.expression), "customer_id"),
        exp.alias_(timestamp_expression(ts, ts_format, origin), "ts"),
        exp.alias_(as_varchar(ts.expression), "ts_raw"),
        exp.alias_(as_varchar(event_type), "event_type"),
        exp.alias_(value_expression(value), "value"),
        exp.alias_(as_varchar(value.expression) if value else exp.cast(exp.null(), "VARCHAR"), "value_raw"),
        exp.alias_(as_varchar(event_id) if event_id is not None else exp.cast(exp.null(), "VARCHAR"), "event_id"),
        exp.alias_(row_number, "_row"),
    ]
    for name, expression in (extras or {}).items():
        columns.append(exp.alias_(expression, name, quoted=True))
    return exp.select(*columns).from_(STAGE)


def split_path(shape: Shape, path: str) -> list[str]:
    """A mapping path as parts: a top-level column named exactly ``path`` wins over a dotted path."""
    if path in shape.columns:
        return [path]
    return path.split(".")


def mapped_select(shape: Shape, mapping: EventMapping, origin: str, row_number: exp.Expression) -> exp.Select:
    """``_cai_incoming`` for a flat (or custom nested) file described by a column mapping."""
    raws: dict[str, RawField | None] = {}
    missing: list[str] = []
    for name in ("customer_id", "ts", "event_type", "value", "event_id"):
        path, explicit = mapping.source(name)
        parts = split_path(shape, path)
        found = shape.resolve(parts)
        if found is None:
            raws[name] = None
            if explicit:
                missing.append(f"the mapping names field '{path}' for {name}, but the file has no such field")
            elif name in ("customer_id", "ts", "event_type"):
                missing.append(f"the file has no column '{name}'; map it with --map {name}=COLUMN")
            continue
        raws[name] = RawField(field_path(parts, STAGE), found.id, f"column '{path}'")
    extras: dict[str, exp.Expression] = {}
    for name, path in mapping.extra.items():
        parts = split_path(shape, path)
        if shape.resolve(parts) is None:
            missing.append(f"the mapping names field '{path}' for extra column {name}, but the file has no such field")
        else:
            extras[name] = field_path(parts, STAGE)
    if missing:
        raise InputError(
            f"{origin}: " + "; ".join(missing) + f" (columns in the file: {shape.describe_columns()})"
        )
    event_id = raws["event_id"].expression if raws["event_id"] else None
    return incoming_select(
        raws["customer_id"], raws["ts"], raws["event_type"].expression, raws["value"], event_id,
        mapping.ts_format, origin, row_number, extras,
    )
