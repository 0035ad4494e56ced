-- cai_tree_score: a tree model's probability as pure SQL (cai_score_<model>(feature_row)), compiled at
-- registration from the registered ONNX model (cai_sql.tree_sql), so live scoring of gradient-boosted
-- trees works in any DuckDB client with no Python: 1 / (1 + exp(-margin)), where margin = the model's
-- base value + one nested CASE per tree (summed as a balanced tree of additions: a left-deep chain of
-- 100+ terms costs DuckDB's optimizer quadratic planning time). Each CASE compares
-- CAST(feature_row."<feature>" AS FLOAT) — the float32 value the ONNX model sees —
-- with the split's float32 threshold and sends NULL the way the model sends a missing value.
-- A NULL row is a row whose features are all missing, as in the linear macro (testing the whole row for NULL
-- built it as a struct per row: ~20% of the macro's execution). Grain: scalar, one value per row.
-- Parameters: feature_row (a features row, macro argument). Placeholder: __margin__ the margin expression.
-- Contract: macros cai_score_<model>(feature_row) and cai_score_<model>_v<n>(feature_row) (tree models).
CREATE OR REPLACE MACRO __macro__(feature_row) AS
1.0 / (1.0 + exp(-(__margin__)));
