-- model_window_days: the goal window (days) of one registered model version, from its stored spec.
-- Grain: one row, or none for a version without a cai_models row. Parameters: $model, $version.
SELECT CAST(json_extract(spec, '$.goal.window_days') AS INTEGER) AS window_days
FROM cai_models
WHERE model = $model AND version = $version;
