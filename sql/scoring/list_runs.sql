-- list_runs: scoring runs, newest first, optionally of one model ($model NULL: all).
-- Grain: one row per run. Parameters: $model.
SELECT run_id, model, model_version, score_date, status, n_scored, n_high, n_medium, n_low,
       seconds, started_at, error, replaced_by
FROM cai_runs
WHERE $model IS NULL OR model = $model
ORDER BY run_id DESC;
