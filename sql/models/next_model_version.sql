-- next_model_version: the version number the next registration of model $model gets.
-- Grain: one row. Parameters: $model.
SELECT coalesce(max(version), 0) + 1 FROM cai_models WHERE model = $model;
