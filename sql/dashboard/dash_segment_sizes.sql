-- dash_segment_sizes: cai_segment_sizes of every segment, or of one ($segment), oldest run first.
-- Grain: one row per segment and run. Parameters: $segment (NULL for all).
SELECT segment, model, run_id, score_date, model_version, members, scored, share
FROM cai_segment_sizes
WHERE $segment IS NULL OR segment = $segment
ORDER BY segment, score_date, run_id;
