-- dash_bucket_cards: the buckets of a model's latest run (cai_bucket_trend) with the one-click
-- segment cai_auto_segments suggests for each and the segment already defined by that predicate.
-- Grain: one row per bucket of the latest run. Parameters: $model.
SELECT t.bucket, t.customers, t.share, t.mean_score, t.run_id, t.score_date,
       a.suggested_name, a.predicate, g.segment AS existing_segment
FROM cai_bucket_trend AS t
JOIN cai_latest_runs AS l ON l.model = t.model AND l.run_id = t.run_id
LEFT JOIN cai_auto_segments AS a ON a.model = t.model AND a.kind = 'bucket' AND a.value = t.bucket
LEFT JOIN cai_segments AS g ON g.model = t.model AND g.predicate = a.predicate
WHERE t.model = $model
ORDER BY CASE t.bucket WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END;
