-- list_auto_segments: the one-click segments of each model's latest run, buckets first, then
-- leading reason codes by size. Grain: one row per model and bucket or code.
-- Parameters: $model (NULL for every model).
SELECT model, run_id, score_date, kind, value, customers, share, predicate, suggested_name
FROM cai_auto_segments
WHERE $model IS NULL OR model = $model
ORDER BY model, kind, CASE kind WHEN 'bucket' THEN list_position(['high', 'medium', 'low'], value) END, customers DESC, value;
