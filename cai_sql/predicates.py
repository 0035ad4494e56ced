"""User predicates (goals, eligibility, custom events, segments): parsed, checked, never pasted.

A predicate is one boolean SQL expression over known columns. It is parsed with sqlglot and walked
node by node against an allowlist: comparisons, boolean logic, arithmetic, CASE, casts, literals
and a small set of scalar functions. Statements, subqueries, table functions and file readers are
refused by construction, so the only SQL a predicate can contribute is the syntax tree that was
checked. The database then binds it once to confirm the columns exist and the result is boolean.

sqlglot's parser is recursive, so the text is first held to a length and a nesting depth (counted on
its tokens, before any parsing) that it parses well within Python's recursion limit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import duckdb
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.tokens import TokenType

from .errors import CaiError, shorten

# sqlglot logs a warning when it falls back to parsing a statement as a Command (LOAD x): the
# PredicateError says what is wrong, and a second line on stderr would only confuse.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

MAX_PREDICATE_CHARS = 10_000
MAX_NESTING = 20  # brackets, function calls and CASE … END inside one another; sqlglot takes ~25 frames a level
OPENING = {TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE, TokenType.CASE}
CLOSING = {TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE, TokenType.END}
TOO_DEEP = (f"nests brackets, function calls or CASE expressions more than {MAX_NESTING} levels deep; "
            "flatten it (drop redundant brackets, combine conditions with AND / OR)")

ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.And, exp.Or, exp.Not, exp.Xor, exp.Paren,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ,
    exp.Is, exp.In, exp.Between, exp.Like, exp.ILike, exp.RegexpLike, exp.Glob,
    exp.Column, exp.Identifier, exp.Literal, exp.Null, exp.Boolean, exp.Tuple,
    exp.Cast, exp.TryCast, exp.DataType, exp.DataTypeParam, exp.Interval, exp.Var,
    exp.Neg, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.DPipe,
    exp.Case, exp.If, exp.Coalesce,
    exp.Lower, exp.Upper, exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Length, exp.Trim,
    exp.Substring, exp.StartsWith, exp.Least, exp.Greatest, exp.Extract, exp.DateTrunc,
    exp.Concat, exp.Ln, exp.Sqrt, exp.Sign,
    exp.ArrayContains, exp.ArrayOverlaps, exp.Bracket,  # lists, e.g. a segment's factor_codes
)
ALLOWED_FUNCTIONS = {
    "ends_with", "contains", "regexp_matches", "prefix", "suffix", "strlen", "lcase", "ucase",
    "year", "month", "day", "hour", "dayofweek", "isodow", "dayofyear", "week", "date_part",
    "nullif", "ifnull", "greatest", "least", "starts_with", "list_has_all", "len",
    # the names sqlglot gives some of the above once parsed
    "day_of_week", "dayofweek_iso", "day_of_year", "week_of_year", "date_trunc", "timestamp_trunc",
}
# Casts only to plain built-in types: a cast to an extension type (INET, …) would make DuckDB
# fetch that extension.
ALLOWED_CAST_TYPES = {
    "BOOLEAN", "TINYINT", "SMALLINT", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINT",
    "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL", "VARCHAR", "TEXT", "CHAR", "DATE", "TIMESTAMP",
    "TIMESTAMPTZ", "TIMESTAMPNTZ", "TIME", "INTERVAL",
}


class PredicateError(CaiError):
    """A predicate is not one safe boolean expression over known columns."""


def _describe(node: exp.Expression) -> str:
    if isinstance(node, (exp.Select, exp.Subquery, exp.Query)):
        return "a subquery"
    if isinstance(node, exp.Func):
        return f"the function {node.sql_name() if not isinstance(node, exp.Anonymous) else shorten(node.name)}()"
    return f"{shorten(node.sql('duckdb'), 40)!r} ({type(node).__name__})"


def _nesting(tokens) -> int:
    """The deepest nesting of brackets and CASE … END in a token list (cheap: no parsing)."""
    depth = deepest = 0
    for token in tokens:
        if token.token_type in OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif token.token_type in CLOSING:
            depth = max(depth - 1, 0)
    return deepest


def _parse(text: str, where: str) -> list[exp.Expression]:
    """sqlglot's statements of ``text``, its errors (and a too deep text) as one PredicateError."""
    if len(text) > MAX_PREDICATE_CHARS:
        raise PredicateError(f"{where}: the predicate is {len(text):,} characters long; the limit is "
                             f"{MAX_PREDICATE_CHARS:,}: write a shorter expression")
    dialect = Dialect.get_or_raise("duckdb")
    try:
        tokens = dialect.tokenize(text)
        if _nesting(tokens) > MAX_NESTING:
            raise PredicateError(f"{where}: the predicate {TOO_DEEP}")
        return [s for s in dialect.parser().parse(tokens, text) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        detail = shorten(first.get("description", str(exc)), 200)
        raise PredicateError(f"{where}: cannot parse {shorten(text)!r}: {detail}") from None
    except TokenError:
        raise PredicateError(f"{where}: cannot read {shorten(text)!r}: a quote ('…' or \"…\"), $$…$$ string or "
                             "/* comment */ is not closed; close it (write a quote inside a string twice: 'O''Brien')") from None
    except SqlglotError as exc:
        raise PredicateError(f"{where}: cannot parse {shorten(text)!r}: {shorten(str(exc).splitlines()[0])}") from None
    except RecursionError:  # a long run of NOT or unary minus nests without brackets
        raise PredicateError(f"{where}: the predicate is nested too deeply to parse; simplify it") from None


def parse_predicate(text: str, columns: Iterable[str], where: str) -> exp.Expression:
    """Parse and check ``text``; ``where`` names its origin (e.g. ``spec.toml: goal.any_of[0]``)."""
    if not isinstance(text, str) or not text.strip():
        raise PredicateError(f"{where}: the predicate is empty; write a boolean SQL expression")
    statements = _parse(text, where)
    if len(statements) != 1:
        raise PredicateError(f"{where}: {shorten(text)!r} holds {len(statements)} statements; a predicate is one expression")
    tree = statements[0]
    if isinstance(tree, (exp.Query, exp.Command, exp.DDL, exp.DML)) or not isinstance(tree, exp.Condition):
        raise PredicateError(f"{where}: {shorten(text)!r} is a statement, not an expression")
    if tree.find(exp.Query, exp.Subquery, exp.Exists) is not None:
        raise PredicateError(f"{where}: a subquery is not allowed in a predicate")
    known = {name.lower(): name for name in columns}
    for node in tree.walk():
        if isinstance(node, exp.Anonymous):
            if node.name.lower() not in ALLOWED_FUNCTIONS:
                raise PredicateError(f"{where}: {_describe(node)} is not allowed in a predicate")
            continue
        named_ok = isinstance(node, exp.Func) and node.sql_name().lower() in ALLOWED_FUNCTIONS
        if not isinstance(node, ALLOWED_NODES) and not named_ok:
            raise PredicateError(f"{where}: {_describe(node)} is not allowed in a predicate")
        if isinstance(node, exp.DataType) and node.this.name not in ALLOWED_CAST_TYPES:
            raise PredicateError(f"{where}: casts to {node.sql('duckdb')} are not allowed in a predicate")
        if isinstance(node, exp.In) and node.args.get("query") is not None:
            raise PredicateError(f"{where}: a subquery is not allowed in a predicate")
        if isinstance(node, exp.Column):
            if node.table:
                raise PredicateError(f"{where}: write column names without a table ({shorten(node.sql('duckdb'))!r})")
            if node.name.lower() not in known:
                raise PredicateError(
                    f"{where}: unknown column {shorten(node.name)!r} (known: {', '.join(sorted(known.values()))})"
                )
    for node in tree.walk():  # comments are not part of the checked expression: none is rendered or stored
        node.comments = None
    return tree


def check_boolean(con: duckdb.DuckDBPyConnection, tree: exp.Expression, table: str, where: str) -> None:
    """Bind the predicate against ``table`` once: the columns must exist and the result be BOOLEAN."""
    probe = exp.select(exp.alias_(tree.copy(), "p")).from_(table).limit(0)
    try:
        relation = con.sql(probe.sql("duckdb"))
        result_type = str(relation.types[0])
    except duckdb.Error as exc:
        detail = str(exc).strip().splitlines()[0]
        raise PredicateError(f"{where}: {shorten(tree.sql('duckdb'))!r} does not work on {table}: {shorten(detail, 300)}") from None
    if result_type != "BOOLEAN":
        raise PredicateError(f"{where}: {shorten(tree.sql('duckdb'))!r} is {result_type}, not a boolean condition")


def qualify(tree: exp.Expression, alias: str) -> exp.Expression:
    """A copy of the predicate with every column qualified by ``alias``."""
    def set_table(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table:
            return exp.column(exp.to_identifier(node.name, quoted=True), table=alias)
        return node

    return tree.copy().transform(set_table)
