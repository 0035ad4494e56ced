-- runs_to_replace: the successful runs a new run of the same model version and date replaces.
-- Grain: one row per run. Parameters: $model, $version, $score_date.
SELECT run_id FROM cai_runs
WHERE model = $model AND model_version = $version AND score_date = $score_date AND status = 'succeeded';
