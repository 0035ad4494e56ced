-- model_feature_lists: the feature list (JSON) of every registered version of a model.
-- Grain: one row per model version. Parameters: $model.
SELECT features FROM cai_models WHERE model = $model ORDER BY version;
