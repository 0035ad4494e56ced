-- dash_runs: a model's scoring runs (cai_runs), newest first.
-- Grain: one row per run. Parameters: $model.
SELECT run_id, model_version, score_date, status, n_scored, n_high, n_medium, n_low, seconds, started_at, error, replaced_by
FROM cai_runs
WHERE model = $model
ORDER BY run_id DESC;
