-- model_feature_bins: the per-feature bin boundaries a model version recorded at training (JSON
-- object: feature name → sorted boundaries), NULL for models trained before they existed.
-- Grain: one row. Parameters: $model, $version.
SELECT json_extract(metrics, '$.feature_bins') FROM cai_models WHERE model = $model AND version = $version;
