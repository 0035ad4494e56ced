-- dash_latest_run: a model's latest successful run (cai_latest_runs), so the per-run queries can
-- filter on a run id that DuckDB pushes into the views. Grain: one row, or none. Parameters: $model.
SELECT run_id, score_date FROM cai_latest_runs WHERE model = $model;
