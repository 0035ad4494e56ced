"""The per-model macros persisted at registration, rendered from ``sql/`` templates on syntax trees.

Per model version: the feature rows (from the features template), the features macro analysts
call (named columns + ``feature_vector`` + ``feature_set``), the labels macro, and — for linear
models — the score and reason-code macros that run in any DuckDB client. Unversioned names
point at the latest version; ``cai_features(model, cutoff)`` covers every model by name.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from .explain import LinearTerms
from .features import _substitute
from .sqlfiles import sql_text
from .sqltree import DIALECT


def names(model: str, version: int) -> dict[str, str]:
    """The persisted macros of a model version and their latest-version aliases."""
    return {
        "rows": f"_cai_feature_rows_{model}_v{version}",
        "features": f"cai_features_{model}",
        "features_version": f"cai_features_{model}_v{version}",
        "labels": f"cai_labels_{model}",
        "labels_version": f"cai_labels_{model}_v{version}",
        "linear_score": f"cai_score_{model}",
        "linear_score_version": f"cai_score_{model}_v{version}",
        "linear_explain": f"cai_explain_{model}",
        "linear_explain_version": f"cai_explain_{model}_v{version}",
    }


def _replace_table_functions(tree: exp.Expression, values: dict[str, exp.Expression]) -> dict[str, exp.Expression]:
    """Substitute ``FROM __name__(args) AS alias`` placeholders; return the remaining values."""
    rest = dict(values)
    for node in list(tree.find_all(exp.Table)):
        call = node.this
        if isinstance(call, exp.Anonymous) and str(call.this).lower() in rest:
            replacement = rest[str(call.this).lower()].copy()
            if node.alias:
                replacement.set("alias", exp.TableAlias(this=exp.to_identifier(node.alias)))
            node.replace(replacement)
    return {k: v for k, v in rest.items() if not isinstance(v, exp.Table)}


def _substitute_all(tree: exp.Expression, values: dict[str, exp.Expression]) -> exp.Expression:
    return _substitute(tree, _replace_table_functions(tree, values), {})


def _render_macro(template: str, name: str, values: dict[str, exp.Expression]) -> str:
    tree = _substitute_all(sqlglot.parse_one(sql_text(template), read=DIALECT), values)
    tree.this.set("this", exp.to_table(name))
    return tree.sql(DIALECT, comments=False)


def _call(macro: str, *args: exp.Expression) -> exp.Expression:
    return exp.Table(this=exp.Anonymous(this=macro, expressions=list(args)))


def features_macro_sql(macro: str, rows_macro: str, feature_names: list[str], feature_set: str) -> str:
    """``macro(cutoff_date)``: the rows of ``rows_macro`` plus their feature vector and feature-set label."""
    vector = exp.cast(
        exp.Array(expressions=[exp.column(exp.to_identifier(n, quoted=True), table="r") for n in feature_names]),
        f"FLOAT[{len(feature_names)}]",
    )
    return _render_macro("cai_features_vector", macro, {
        "__rows__": _call(rows_macro, exp.column("cutoff_date")),
        "__vector__": vector,
        "__feature_set__": exp.Literal.string(feature_set),
    })


def any_model_features_sql(models: list[str]) -> str:
    """``cai_features(model, cutoff_date)`` over the latest version of each of ``models``."""
    template = sqlglot.parse_one(sql_text("cai_features_any"), read=DIALECT)
    branches = []
    for model in sorted(models):
        branch = _substitute_all(template.expression.copy(), {
            "__features_macro__": _call(names(model, 0)["features"], exp.column("cutoff_date")),
            "__model_name__": exp.Literal.string(model),
        })
        branches.append(branch)
    body = branches[0]
    for branch in branches[1:]:
        body = exp.union(body, branch, distinct=False)
    template.set("expression", body)
    return template.sql(DIALECT, comments=False)


def _number(value: float) -> exp.Expression:
    return exp.Literal.number(repr(float(value)))


def _contributions(terms: LinearTerms, feature_names: list[str]) -> list[exp.Expression]:
    """coef_j · (coalesce(x_j, fill_j) − mean_j) / scale_j for each feature, as expressions."""
    parts = []
    for name, fill, mean, scale, coef in zip(feature_names, terms.fill, terms.mean, terms.scale, terms.coef):
        value = exp.func("coalesce", exp.func("struct_extract", exp.column("feature_row"), exp.Literal.string(name)), _number(fill))
        centered = exp.paren(exp.Sub(this=value, expression=_number(mean)))
        parts.append(exp.paren(exp.Mul(this=_number(coef), expression=exp.Div(this=centered, expression=_number(scale)))))
    return parts


def _sum(parts: list[exp.Expression], start: exp.Expression) -> exp.Expression:
    total = start
    for part in parts:
        total = exp.Add(this=total, expression=part)
    return total


def linear_score_sql(macro: str, terms: LinearTerms, feature_names: list[str]) -> str:
    margin = _sum(_contributions(terms, feature_names), _number(terms.intercept))
    return _render_macro("cai_linear_score", macro, {"__margin__": margin})


def linear_explain_sql(macro: str, terms: LinearTerms, features: list[dict]) -> str:
    feature_names = [f["name"] for f in features]
    parts = _contributions(terms, feature_names)
    items = []
    for feature, part in zip(features, parts):
        raw = exp.func("struct_extract", exp.column("feature_row"), exp.Literal.string(feature["name"]))
        items.append(exp.Struct(expressions=[
            exp.PropertyEQ(this=exp.to_identifier("contribution"), expression=part),
            exp.PropertyEQ(this=exp.to_identifier("code"), expression=exp.Literal.string(feature["name"])),
            exp.PropertyEQ(this=exp.to_identifier("description"), expression=exp.Literal.string(feature["description"])),
            exp.PropertyEQ(this=exp.to_identifier("value"), expression=exp.cast(raw, "DOUBLE")),
        ]))
    total = exp.paren(_sum([p.copy() for p in parts], _number(0.0)))
    return _render_macro("cai_linear_explain", macro, {"__total__": total, "__terms__": exp.Array(expressions=items)})
