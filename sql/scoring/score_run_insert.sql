-- score_run_insert: one scoring run's rows into cai_scores: the eligible customers at the score
-- date (staged from the model version's features macro by stage_run_features), scored and explained by _cai_score_run in one
-- pass of the reason-code graph; percentile is the rank within the run (ceil(100 · cume_dist)).
-- Grain: one row per eligible customer. Parameters: $run_id, $model, $version, $model_type,
-- $score_date, $factors.
INSERT INTO cai_scores
SELECT CAST($run_id AS BIGINT), CAST($model AS VARCHAR), CAST($version AS INTEGER), CAST($model_type AS VARCHAR),
       CAST($score_date AS DATE), s.customer_id, s.r.probability, s.r.score,
       CAST(ceil(100 * cume_dist() OVER (ORDER BY s.r.probability)) AS INTEGER),
       CASE WHEN s.r.score < 25 THEN 'low' WHEN s.r.score < 75 THEN 'medium' ELSE 'high' END,
       s.r.influential_factors
FROM (
    SELECT f.customer_id, _cai_score_run($model, $version, f.feature_vector, f.feature_set, $factors) AS r
    FROM temp._cai_run_features AS f
) AS s;
