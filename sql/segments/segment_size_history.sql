-- segment_size_history: one segment's size at each successful run of its model, oldest first.
-- Grain: one row per run. Parameters: $segment.
SELECT run_id, score_date, model_version, members, scored, share
FROM cai_segment_sizes WHERE segment = $segment ORDER BY score_date, run_id;
