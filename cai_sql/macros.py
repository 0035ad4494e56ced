"""The per-model macros persisted at registration, rendered from ``sql/`` templates on syntax trees.

Per model version: the feature rows (from the features template), the features macro analysts
call (named columns + ``feature_vector`` + ``feature_set``), the labels macro, and the score and
reason-code macros that run in any DuckDB client (linear models here; tree models in
:mod:`cai_sql.tree_sql`, which shares the factor lists built here). Unversioned names
point at the latest version; ``cai_features(model, cutoff)`` covers every model by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from .factors import ATTRIBUTE, FLAG, FLAG_FALSE, FLAG_TRUE, FLAG_UNKNOWN, Factor, attribute_weights, factor_layout
from .features import _substitute
from .sqlfiles import sql_text
from .sqltree import DIALECT

if TYPE_CHECKING:  # explain imports onnx; rendering segment and analytics SQL must not
    from .explain import LinearTerms


def names(model: str, version: int) -> dict[str, str]:
    """The persisted macros of a model version and their latest-version aliases."""
    return {
        "rows": f"_cai_feature_rows_{model}_v{version}",
        "features": f"cai_features_{model}",
        "features_version": f"cai_features_{model}_v{version}",
        "labels": f"cai_labels_{model}",
        "labels_version": f"cai_labels_{model}_v{version}",
        "score": f"cai_score_{model}",
        "score_version": f"cai_score_{model}_v{version}",
        "explain": f"cai_explain_{model}",
        "explain_version": f"cai_explain_{model}_v{version}",
        "tree_contributions_version": f"_cai_tree_contributions_{model}_v{version}",
    }


def _rename_table_functions(tree: exp.Expression, functions: dict[str, str]) -> exp.Expression:
    """Point ``FROM __name__(args)`` placeholders at real table macros, keeping their arguments."""
    for node in tree.find_all(exp.Anonymous):
        if str(node.this).lower() in functions:
            node.set("this", functions[str(node.this).lower()])
    return tree


def _substitute_all(tree: exp.Expression, values: dict[str, exp.Expression | str]) -> exp.Expression:
    functions = {k: v for k, v in values.items() if isinstance(v, str)}
    expressions = {k: v for k, v in values.items() if not isinstance(v, str)}
    return _substitute(_rename_table_functions(tree, functions), expressions, {})


def render_query(template: str, values: dict[str, exp.Expression | str]) -> str:
    """A query template with table-function placeholders renamed (``str`` values) and expressions substituted."""
    return _substitute_all(sqlglot.parse_one(sql_text(template), read=DIALECT), values).sql(DIALECT, comments=False)


def render_create(template: str, name: str, values: dict[str, exp.Expression | str]) -> str:
    tree = _substitute_all(sqlglot.parse_one(sql_text(template), read=DIALECT), values)
    tree.this.set("this", exp.to_table(name))
    return tree.sql(DIALECT, comments=False)


def features_macro_sql(macro: str, rows_macro: str, feature_names: list[str], feature_set: str) -> str:
    """``macro(cutoff_date)``: the rows of ``rows_macro`` plus their feature vector and feature-set label."""
    vector = exp.cast(
        exp.Array(expressions=[exp.column(exp.to_identifier(n, quoted=True), table="r") for n in feature_names]),
        "FLOAT[]",
    )
    return render_create("cai_features_vector", macro, {
        "__rows__": rows_macro,
        "__vector__": vector,
        "__feature_set__": exp.Literal.string(feature_set),
    })


def any_model_features_sql(models: list[str]) -> str:
    """``cai_features(model, cutoff_date)`` over the latest version of each of ``models``."""
    template = sqlglot.parse_one(sql_text("cai_features_any"), read=DIALECT)
    branches = []
    for model in sorted(models):
        branch = _substitute_all(template.expression.copy(), {
            "__features_macro__": names(model, 0)["features"],
            "__model_name__": exp.Literal.string(model),
        })
        branches.append(branch)
    body = branches[0]
    for branch in branches[1:]:
        body = exp.union(body, branch, distinct=False)
    template.set("expression", body)
    return template.sql(DIALECT, comments=False)


def _number(value: float) -> exp.Expression:
    return exp.Literal.number(repr(float(value) + 0.0))  # + 0.0: no -0.0, which DuckDB stores as 0.0


def _contributions(terms: LinearTerms, feature_names: list[str]) -> list[exp.Expression]:
    """coef_j · (coalesce(x_j, fill_j) − mean_j) / scale_j per feature, folded to w_j · x + c_j (one multiply-add)."""
    parts = []
    for name, fill, mean, scale, coef in zip(feature_names, terms.fill, terms.mean, terms.scale, terms.coef):
        weight, offset = coef / scale, -coef * mean / scale
        value = exp.func("coalesce", exp.func("struct_extract", exp.column("feature_row"), exp.Literal.string(name)), _number(fill))
        parts.append(exp.paren(exp.Add(this=exp.Mul(this=_number(weight), expression=value), expression=_number(offset))))
    return parts


def _margin(terms: LinearTerms, feature_names: list[str]) -> exp.Expression:
    """intercept + Σ contributions with the offsets summed into one constant."""
    constant = terms.intercept + sum(-c * m / s for c, m, s in zip(terms.coef, terms.mean, terms.scale))
    total: exp.Expression = _number(constant)
    for name, fill, scale, coef in zip(feature_names, terms.fill, terms.scale, terms.coef):
        value = exp.func("coalesce", exp.func("struct_extract", exp.column("feature_row"), exp.Literal.string(name)), _number(fill))
        total = exp.Add(this=total, expression=exp.Mul(this=_number(coef / scale), expression=value))
    return total


def _sum(parts: list[exp.Expression], start: exp.Expression) -> exp.Expression:
    total = start
    for part in parts:
        total = exp.Add(this=total, expression=part)
    return total


def linear_score_sql(macro: str, terms: LinearTerms, feature_names: list[str]) -> str:
    return render_create("cai_linear_score", macro, {"__margin__": _margin(terms, feature_names)})


def field(name: str) -> exp.Expression:
    """``struct_extract(feature_row, 'name')``: a feature of the macro's row, by name (a literal, never pasted)."""
    return exp.func("struct_extract", exp.column("feature_row"), exp.Literal.string(name))




def _factor_choice(factor: Factor, feature_names: list[str]) -> exp.Expression:
    """The row's text position within ``factor``'s run, as cai_sql.factors.FactorLayout.text_choices."""
    if factor.kind == FLAG:
        value = field(feature_names[factor.columns[0]])
        return exp.Case(ifs=[exp.If(this=exp.Is(this=value, expression=exp.null()), true=_number(FLAG_UNKNOWN)),
                             exp.If(this=exp.GTE(this=value.copy(), expression=_number(0.5)), true=_number(FLAG_TRUE))],
                        default=_number(FLAG_FALSE))
    if factor.kind == ATTRIBUTE:
        total: exp.Expression = _number(len(factor.columns))
        for column, weight in zip(factor.columns, attribute_weights(factor)):
            level = exp.func("coalesce", field(feature_names[column]), _number(0))
            total = exp.Add(this=total, expression=exp.Mul(this=_number(weight), expression=level))
        return total
    return _number(0)


def explain_lists(features: list[dict]) -> dict[str, exp.Expression]:
    """The per-factor values and text choices and the constant text lists of an explain macro (linear or trees)."""
    feature_names = [f["name"] for f in features]
    layout = factor_layout(features)
    values = [exp.cast(exp.null(), "DOUBLE") if f.kind == ATTRIBUTE else exp.cast(field(feature_names[f.columns[0]]), "DOUBLE")
              for f in layout.factors]
    return {
        "__values__": exp.Array(expressions=values),
        "__choices__": exp.Array(expressions=[exp.cast(_factor_choice(f, feature_names), "DOUBLE") for f in layout.factors]),
        "__bases__": exp.Array(expressions=[exp.Literal.number(f.first_text + 1) for f in layout.factors]),
        "__codes__": exp.Array(expressions=[exp.Literal.string(code) for code in layout.codes]),
        "__descriptions__": exp.Array(expressions=[exp.Literal.string(text) for text in layout.texts]),
    }


def linear_explain_sql(macro: str, terms: LinearTerms, features: list[dict]) -> str:
    feature_names = [f["name"] for f in features]
    layout = factor_layout(features)
    per_feature = _contributions(terms, feature_names)
    contributions = [_sum([per_feature[c] for c in f.columns[1:]], per_feature[f.columns[0]]) for f in layout.factors]
    return render_create("cai_linear_explain", macro, {
        "__contributions__": exp.Array(expressions=contributions), **explain_lists(features)})
