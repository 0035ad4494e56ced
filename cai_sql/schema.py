"""Reading the (possibly nested) shape of a staged file from DuckDB's own types."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb


NUMERIC_TYPE_IDS = {
    "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint",
    "uinteger", "ubigint", "uhugeint", "float", "double", "decimal",
}
TIME_TYPE_IDS = {"timestamp", "timestamp with time zone", "timestamp_s", "timestamp_ms", "timestamp_ns", "date"}


class Shape:
    """The columns of a table and the nested fields beneath them."""

    def __init__(self, columns: dict) -> None:
        self.columns = columns

    @classmethod
    def of_table(cls, con: duckdb.DuckDBPyConnection, table: str, hidden: tuple[str, ...] = ()) -> "Shape":
        """The shape of a table or view, leaving out helper columns named in ``hidden``."""
        relation = con.table(table)
        return cls({n: t for n, t in zip(relation.columns, relation.types) if n not in hidden})

    def resolve(self, parts: Sequence[str]):
        """The type at a path of struct fields, or ``None`` when the path does not exist."""
        current = self.columns.get(parts[0])
        for part in parts[1:]:
            if current is None or current.id != "struct":
                return None
            current = dict(current.children).get(part)
        return current

    def struct_fields(self, parts: Sequence[str]) -> list[str]:
        """Field names of the struct at ``parts`` (empty when it is not a struct)."""
        found = self.resolve(parts)
        return [name for name, _ in found.children] if found is not None and found.id == "struct" else []

    def list_item(self, parts: Sequence[str]):
        """The element type of the list at ``parts``, or ``None``."""
        found = self.resolve(parts)
        if found is None or found.id != "list":
            return None
        return dict(found.children)["child"]

    def describe_columns(self) -> str:
        return ", ".join(self.columns) or "(none)"


