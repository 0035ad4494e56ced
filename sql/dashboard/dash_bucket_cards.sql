-- dash_bucket_cards: the buckets of one run of a model (cai_bucket_trend) with the one-click
-- segment cai_auto_segments suggests for each and the first segment already defined by that
-- predicate (if several are). Grain: one row per bucket of the run. Parameters: $model, $run.
SELECT t.bucket, t.customers, t.share, t.mean_score, t.run_id, t.score_date,
       any_value(a.suggested_name) AS suggested_name, any_value(a.predicate) AS predicate,
       min(g.segment) AS existing_segment
FROM cai_bucket_trend AS t
LEFT JOIN cai_auto_segments AS a ON a.model = t.model AND a.kind = 'bucket' AND a.value = t.bucket
LEFT JOIN cai_segments AS g ON g.model = t.model AND g.predicate = a.predicate
WHERE t.model = $model AND t.run_id = $run
GROUP BY t.bucket, t.customers, t.share, t.mean_score, t.run_id, t.score_date
ORDER BY CASE t.bucket WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END;
