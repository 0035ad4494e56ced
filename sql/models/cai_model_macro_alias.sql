-- cai_model_macro_alias: the unversioned score macro of a tree model, cai_score_<model>(feature_row), as a
-- call of the latest version's macro (cai_score_<model>_v<n>): the compiled trees are stored once, not
-- twice. The explain alias is the same call with k (its parameter is added on the syntax tree).
-- Grain: scalar, one value per row. Parameters: feature_row (a features row, macro argument).
-- Placeholder: __target__ the versioned macro.
-- Contract: macros cai_score_<model>(feature_row) and cai_explain_<model>(feature_row, k) (tree models: the latest version).
CREATE OR REPLACE MACRO __macro__(feature_row) AS __target__(feature_row);
