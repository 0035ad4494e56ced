-- dash_score_distribution: cai_score_distribution of a model's latest run.
-- Grain: one row per score bin. Parameters: $model.
SELECT d.bin, d.score_from, d.score_to, d.customers, d.share
FROM cai_score_distribution AS d
JOIN cai_latest_runs AS l ON l.model = d.model AND l.run_id = d.run_id
WHERE d.model = $model
ORDER BY d.bin;
