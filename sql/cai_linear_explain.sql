-- cai_linear_explain: a linear model's reason codes as pure SQL (cai_explain_<model>(feature_row, k)):
-- the same influential_factors list as cai_explain — up to k features whose contribution
-- coef · (x − mean) / scale pulls toward the customer's side of the average (the sign of the sum
-- of contributions), strongest first, with importance high (|c| ≥ ln 2), medium (≥ ln 1.25), low.
-- The contributions and values are built once per row as two DOUBLE lists (cv), the features are
-- ranked by list_grade_up, and only the top k become structs.
-- Grain: scalar, one list per row. Parameters: feature_row (a features row), k (INTEGER), macro arguments.
-- Placeholders: __contributions__ the list of contribution expressions, __values__ the list of the
-- row's feature values, __codes__ and __descriptions__ the constant lists of feature names and texts.
CREATE OR REPLACE MACRO __macro__(feature_row, k) AS
list_element(list_transform([[__contributions__, __values__]], cv -> list_element(list_transform(
    [CASE WHEN list_sum(list_element(cv, 1)) >= 0 THEN 1.0 ELSE -1.0 END],
    side -> list_transform(
        list_filter(
            list_slice(list_grade_up(list_transform(list_element(cv, 1), c -> -c * side)), 1, k),
            i -> list_element(list_element(cv, 1), i) * side > 0),
        i -> struct_pack(
            code := list_element(__codes__, i),
            description := list_element(__descriptions__, i),
            value := list_element(list_element(cv, 2), i),
            contribution := list_element(list_element(cv, 1), i),
            importance := CASE WHEN abs(list_element(list_element(cv, 1), i)) >= ln(2) THEN 'high'
                               WHEN abs(list_element(list_element(cv, 1), i)) >= ln(1.25) THEN 'medium'
                               ELSE 'low' END))), 1)), 1);
