-- cai_tree_explain: a tree model's reason codes as pure SQL (cai_explain_<model>(feature_row, k)):
-- the same influential_factors list as cai_explain — up to k factors whose contribution (the
-- registered reason-code graph's per-leaf values, from _cai_tree_contributions_<model>_v<n>) pulls
-- toward the customer's side of the average (the sign of the sum of contributions), strongest first,
-- with importance high (|c| ≥ ln 2), medium (≥ ln 1.25), low, and direction 'raises' or 'lowers'
-- (the sign of c). Factors and texts follow cai_sql.factors, as in cai_linear_explain.
-- A NULL row is a row whose features are all missing (as in cai_tree_score). Grain: scalar, one list per row.
-- Parameters: feature_row (a features row), k (INTEGER), macro arguments.
-- Placeholders: __contributions__ the per-factor contribution list (a call of the contributions
-- macro), __values__ and __choices__ the per-factor lists of expressions, __bases__ the constant
-- list of each factor's first text position (1-based), __codes__ and __descriptions__ the constant
-- lists of factor codes and texts, one per text.
-- Contract: macros cai_explain_<model>(feature_row, k) and cai_explain_<model>_v<n>(feature_row, k) (tree models).
CREATE OR REPLACE MACRO __macro__(feature_row, k) AS
list_element(list_transform([[__contributions__, __values__, __choices__]], lambda cv: list_element(list_transform(
    [CASE WHEN list_sum(list_element(cv, 1)) >= 0 THEN 1.0 ELSE -1.0 END],
    lambda side: list_transform(
        list_filter(
            list_slice(list_grade_up(list_transform(list_element(cv, 1), lambda c: -c * side)), 1, k),
            lambda i: list_element(list_element(cv, 1), i) * side > 0),
        lambda i: struct_pack(
            code := list_element(__codes__, CAST(list_element(__bases__, i) + list_element(list_element(cv, 3), i) AS INTEGER)),
            description := list_element(__descriptions__,
                                        CAST(list_element(__bases__, i) + list_element(list_element(cv, 3), i) AS INTEGER)),
            value := list_element(list_element(cv, 2), i),
            contribution := list_element(list_element(cv, 1), i),
            importance := CASE WHEN abs(list_element(list_element(cv, 1), i)) >= ln(2) THEN 'high'
                               WHEN abs(list_element(list_element(cv, 1), i)) >= ln(1.25) THEN 'medium'
                               ELSE 'low' END,
            direction := CASE WHEN list_element(list_element(cv, 1), i) > 0 THEN 'raises' ELSE 'lowers' END))), 1)), 1);
