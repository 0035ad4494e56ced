-- runs_to_evaluate: successful runs whose outcome window has closed — the events reach the
-- window's last day (score_date + window_days − 1) — and whose outcomes are not recorded yet, with
-- what their model version's goal needs. Grain: one row per run.
-- Parameters: $model (NULL for every model), $last_day (the last event date).
SELECT r.run_id, r.model, r.model_version, r.score_date,
       CAST(json_extract(m.spec, '$.goal.window_days') AS INTEGER) AS window_days,
       CAST(json_extract(m.spec, '$.goal.will_occur') AS BOOLEAN) AS will_occur
FROM cai_runs AS r
JOIN cai_models AS m ON m.model = r.model AND m.version = r.model_version
WHERE r.status = 'succeeded'
  AND ($model IS NULL OR r.model = $model)
  AND r.score_date + CAST(json_extract(m.spec, '$.goal.window_days') AS INTEGER) - 1 <= $last_day
  AND NOT EXISTS (SELECT 1 FROM cai_run_outcomes AS o WHERE o.run_id = r.run_id)
ORDER BY r.run_id;
