-- dash_expected_vs_actual: cai_expected_vs_actual of a model's runs whose outcome window closed.
-- Grain: one row per run and bucket. Parameters: $model.
SELECT run_id, score_date, model_version, bucket, customers, expected_rate, actual_rate, difference
FROM cai_expected_vs_actual
WHERE model = $model
ORDER BY score_date, run_id, CASE bucket WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END;
