-- dash_factors: cai_factors_by_bucket of one run of a model, top 10 per bucket, optionally one
-- factor code only (the drill-down). Grain: one row per bucket and factor.
-- Parameters: $model, $run, $code (NULL for all).
SELECT bucket, rank, code, description, direction, people, share, as_top_factor, high_importance, total_contribution,
       mean_contribution, mean_value
FROM cai_factors_by_bucket
WHERE model = $model AND run_id = $run AND rank <= 10 AND ($code IS NULL OR code = $code)
ORDER BY CASE bucket WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, rank;
