-- cai_linear_explain: a linear model's reason codes as pure SQL (cai_explain_<model>(feature_row, k)):
-- the same influential_factors list as cai_explain — up to k features whose contribution
-- coef · (x − mean) / scale pulls toward the customer's side of the average (the sign of the sum
-- of contributions), strongest first, with importance high (|c| ≥ ln 2), medium (≥ ln 1.25), low.
-- Grain: scalar, one list per row. Parameters: feature_row (a features row), k (INTEGER), macro arguments.
-- Placeholders: __total__ the sum of contributions; __terms__ a list of {contribution, code,
-- description, value} structs (contribution first, so sorting the structs sorts by it).
CREATE OR REPLACE MACRO __macro__(feature_row, k) AS
list_transform(
    CASE WHEN __total__ >= 0
         THEN list_slice(list_sort(list_filter(__terms__, t -> t.contribution > 0), 'DESC'), 1, k)
         ELSE list_slice(list_sort(list_filter(__terms__, t -> t.contribution < 0), 'ASC'), 1, k) END,
    t -> struct_pack(
        code := t.code, description := t.description, value := t."value", contribution := t.contribution,
        importance := CASE WHEN abs(t.contribution) >= ln(2) THEN 'high'
                           WHEN abs(t.contribution) >= ln(1.25) THEN 'medium' ELSE 'low' END));
