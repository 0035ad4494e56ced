-- model_card: one model version with its features, spec and metrics ($version NULL: the latest).
-- Grain: one row. Parameters: $model, $version.
SELECT model, version, created_at, model_type, algorithm, sha256, n_features, features, spec, metrics,
       auc, training_cutoffs, validation_cutoff, model_sha256
FROM cai_models
WHERE model = $model AND ($version IS NULL OR version = $version)
ORDER BY version DESC
LIMIT 1;
