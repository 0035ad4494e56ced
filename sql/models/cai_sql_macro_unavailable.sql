-- cai_sql_macro_unavailable: the unversioned cai_score_<model> / cai_explain_<model> alias when the
-- latest version of a model has no SQL macro (a tree model over the size limit, or one whose compiled
-- SQL did not reproduce its ONNX model): calling it raises one clear error naming the version, the
-- reason and what to use instead, rather than silently scoring with an older version's macro.
-- Grain: scalar (raises on the first row). Parameters: the score or explain macro's arguments.
-- Placeholder: __message__ the error text (the explain alias gets its second parameter, k, on the syntax tree).
-- Contract: macros cai_score_<model>(feature_row) and cai_explain_<model>(feature_row, k) (latest version without SQL macros).
CREATE OR REPLACE MACRO __macro__(feature_row) AS error(__message__);
