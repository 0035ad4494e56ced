-- dash_factors: cai_factors_by_bucket of a model's latest run, top 10 per bucket, optionally one
-- factor code only (the drill-down). Grain: one row per bucket and factor. Parameters: $model, $code.
SELECT f.bucket, f.rank, f.code, f.description, f.people, f.share, f.as_top_factor, f.high_importance,
       f.mean_contribution, f.mean_value
FROM cai_factors_by_bucket AS f
JOIN cai_latest_runs AS l ON l.model = f.model AND l.run_id = f.run_id
WHERE f.model = $model AND f.rank <= 10 AND ($code IS NULL OR f.code = $code)
ORDER BY CASE f.bucket WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, f.rank;
