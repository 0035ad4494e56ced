"""What the `cai` command prints: tables for people, CSV and JSON for scripts.

``--format table`` (the default) is for reading: counts with thousands separators, booleans as
yes/no, and cells narrowed to fit only when stdout is a terminal — piped or redirected, a table
keeps every value whole. ``--format csv`` and ``--format json`` carry the full values, written by
the standard library: numbers as numbers, dates and times in ISO 8601, NULL as an empty field or
``null``, lists and structs as JSON. Progress and errors go to stderr, so stdout stays parseable.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import functools
import json
import math
import sys
from collections.abc import Iterable, Sequence

FORMATS = ("table", "csv", "json")


@functools.cache
def console():
    """stdout as rich sees it: as wide as the terminal, or, when not a terminal, wide enough for any line."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 1_000_000)


@functools.cache
def err_console():
    """stderr, for progress bars and notes."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def table(*headers: str, title: str | None = None):
    """A rich table whose cells are plain text (a ``[`` in a value is not markup)."""
    from rich.table import Table

    return Table(*headers, title=title)


def add_row(table, *cells) -> None:
    """Add one row; each cell is shown as :func:`text` shows it unless it is already a string."""
    from rich.text import Text

    table.add_row(*(Text(c if isinstance(c, str) else text(c)) for c in cells))


def text(value) -> str:
    """How a table shows a value: counts as integers with separators, yes/no, ISO dates, '' for NULL."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (float, decimal.Decimal)):
        return number(value)
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def number(value, digits: int = 3) -> str:
    """A measured number for people: whole numbers as integers (1,234 not 1234.0), others with ``digits``
    significant digits below 1 and two decimals above (0.0123, 1,234.57)."""
    if value is None:
        return ""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) < 1:
        return f"{value:.{digits}g}"
    return f"{value:,.2f}"


def count(value) -> str:
    """A count as an integer with separators, whatever type it arrived as; '' for NULL."""
    return "" if value is None else f"{int(value):,}"


def share(value) -> str:
    return "" if value is None else f"{value:.1%}"


def plain(value):
    """A value as JSON has it: numbers stay numbers (NaN and infinity become null), dates become ISO text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def write_json(data) -> None:
    json.dump(plain(data), sys.stdout, indent=2, ensure_ascii=False, allow_nan=False)
    sys.stdout.write("\n")


def csv_field(value):
    value = plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_csv(keys: Sequence[str], rows: Iterable[Sequence]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(keys)
    for row in rows:
        writer.writerow([csv_field(v) for v in row])


def records(fmt: str, keys: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Rows as CSV (a header, then one line per row) or JSON (an array of objects keyed by ``keys``)."""
    rows = list(rows)
    if fmt == "csv":
        write_csv(keys, rows)
    elif fmt == "json":
        write_json([dict(zip(keys, row)) for row in rows])
    else:
        raise ValueError(f"records() writes csv or json, not {fmt!r}")
