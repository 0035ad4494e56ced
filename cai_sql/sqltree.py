"""Small builders for sqlglot syntax trees.

Names that come from data (column and field names of a user's file) only ever enter SQL as
quoted identifiers built here, and values only as literals or bound placeholders, so no user
text is ever pasted into a statement.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

DIALECT = "duckdb"


def ident(name: str) -> exp.Identifier:
    """A quoted identifier: safe for any name, including ones with quotes or dots."""
    return exp.to_identifier(name, quoted=True)


def field_path(parts: Sequence[str], table: str | None = None) -> exp.Expression:
    """``table."a"."b"."c"``: a top-level column followed by nested struct fields."""
    column = exp.Column(this=ident(parts[0]), table=exp.to_identifier(table) if table else None)
    if len(parts) == 1:
        return column
    return exp.Dot.build([column, *(ident(part) for part in parts[1:])])


def dot(expression: exp.Expression, field: str) -> exp.Expression:
    """``expression."field"``: a struct field of any expression."""
    return exp.Dot.build([expression, ident(field)])


def key(expression: exp.Expression, name: str) -> exp.Expression:
    """``expression['name']``: a MAP value or a STRUCT field by name."""
    return exp.Bracket(this=expression, expressions=[exp.Literal.string(name)])


def first_element(expression: exp.Expression) -> exp.Expression:
    """The first element of a list (DuckDB lists are 1-based)."""
    return exp.Anonymous(this="list_element", expressions=[expression, exp.Literal.number(1)])


def func(name: str, *args: exp.Expression) -> exp.Expression:
    """A DuckDB function call rendered by name, exactly as written."""
    return exp.Anonymous(this=name, expressions=list(args))


def placeholder(name: str) -> exp.Placeholder:
    """A named bound parameter (``$name``)."""
    return exp.Placeholder(this=name)


def create_temp_table_as(name: str, select: exp.Select) -> str:
    """``CREATE OR REPLACE TEMPORARY TABLE name AS select`` as DuckDB SQL."""
    create = exp.Create(
        this=exp.to_table(name),
        kind="TABLE",
        replace=True,
        expression=select,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    )
    return create.sql(DIALECT)
