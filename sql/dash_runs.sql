-- dash_runs: a model's scoring runs (cai_runs), newest first, with the realized AUC of runs whose
-- outcome window closed. Grain: one row per run. Parameters: $model.
SELECT r.run_id, r.model_version, r.score_date, r.status, r.n_scored, r.n_high, r.n_medium, r.n_low,
       r.seconds, r.started_at, r.error, r.replaced_by, a.auc AS realized_auc
FROM cai_runs AS r
LEFT JOIN cai_realized_auc AS a ON a.run_id = r.run_id
WHERE r.model = $model
ORDER BY r.run_id DESC;
