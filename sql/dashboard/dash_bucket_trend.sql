-- dash_bucket_trend: cai_bucket_trend of one model, oldest run first.
-- Grain: one row per run and bucket. Parameters: $model.
SELECT run_id, score_date, model_version, bucket, customers, share, mean_score
FROM cai_bucket_trend
WHERE model = $model
ORDER BY score_date, run_id, CASE bucket WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END;
