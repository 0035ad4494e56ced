-- dash_model: one model's latest version for the dashboard's model card (metrics as JSON text).
-- Grain: one row, or none for an unknown model. Parameters: $model.
SELECT model, version, model_type, algorithm, auc, n_features, created_at, validation_cutoff,
       training_cutoffs, sha256, model_sha256, metrics::VARCHAR AS metrics
FROM cai_models
WHERE model = $model
ORDER BY version DESC
LIMIT 1;
