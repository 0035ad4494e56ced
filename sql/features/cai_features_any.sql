-- cai_features_any: cai_features(model, cutoff_date), the features of any registered model by
-- name (its latest version): customer_id, cutoff, feature_vector (FLOAT[]) and feature_set, so
-- `SELECT cai_score('m', f) FROM cai_features('m', DATE '…') AS f` works for every model.
-- Rendered as one branch per model, combined with UNION ALL; branches of other models are pruned
-- because `model` is a constant. Grain: one row per eligible customer at the cutoff.
-- Parameters: model (VARCHAR), cutoff_date (DATE), macro arguments.
-- Placeholders: __features_macro__ a model's features macro, __model_name__ its name.
-- Contract: table macro cai_features(model, cutoff_date).
CREATE OR REPLACE MACRO cai_features(model, cutoff_date) AS TABLE
SELECT f.customer_id, f.cutoff, f.feature_vector, f.feature_set
FROM __features_macro__(cutoff_date) AS f
WHERE model = __model_name__;
