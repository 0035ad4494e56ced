-- model_feature_ranges: the [min, max] of each feature's training values that a model version
-- recorded (JSON object: feature name → [min, max]), NULL for models trained before they existed.
-- Grain: one row. Parameters: $model, $version.
SELECT json_extract(metrics, '$.feature_ranges') FROM cai_models WHERE model = $model AND version = $version;
