-- dash_models: the dashboard's model list — each model's latest version and its latest run.
-- Grain: one row per model. Parameters: none.
SELECT m.model, m.version, m.model_type, m.algorithm, m.auc, m.n_features, m.created_at,
       r.run_id, r.score_date, r.n_scored, r.n_high, r.n_medium, r.n_low,
       (SELECT count(*) FROM cai_runs AS x WHERE x.model = m.model AND x.status = 'succeeded') AS runs
FROM cai_models AS m
LEFT JOIN cai_latest_runs AS l ON l.model = m.model
LEFT JOIN cai_runs AS r ON r.run_id = l.run_id
WHERE m.version = (SELECT max(v.version) FROM cai_models AS v WHERE v.model = m.model)
ORDER BY m.model;
