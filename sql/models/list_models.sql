-- list_models: every registered model version, newest first within each model.
-- Grain: one row per model and version. Parameters: none.
SELECT model, version, created_at, model_type, algorithm, auc, n_features, sha256, validation_cutoff, model_sha256
FROM cai_models
ORDER BY model, version DESC;
