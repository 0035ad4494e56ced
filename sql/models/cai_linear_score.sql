-- cai_linear_score: a linear model's probability as pure SQL (cai_score_<model>(feature_row)), so live
-- scoring works in any DuckDB client, with no Python: 1 / (1 + exp(-margin)), where margin =
-- intercept + Σ coef_j · (coalesce(x_j, fill_j) − mean_j) / scale_j (constants folded: one multiply-add
-- per feature) over the named feature fields
-- of `feature_row` (a row of cai_features_<model>). Grain: scalar, one value per row.
-- Parameters: feature_row (a features row, macro argument). Placeholder: __margin__ the margin expression.
-- Contract: macros cai_score_<model>(feature_row) and cai_score_<model>_v<n>(feature_row) (linear models).
CREATE OR REPLACE MACRO __macro__(feature_row) AS 1.0 / (1.0 + exp(-(__margin__)));
