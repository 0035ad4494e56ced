-- list_segments: every segment with its model, kind, predicate, view and its size at the model's
-- latest run. Grain: one row per segment. Parameters: $segment (NULL for all).
SELECT g.segment, g.model, g.kind, g.predicate, g.view_name, g.created_at, z.run_id, z.score_date, z.members, z.share
FROM cai_segments AS g
LEFT JOIN cai_latest_runs AS l ON l.model = g.model
LEFT JOIN cai_segment_sizes AS z ON z.segment = g.segment AND z.run_id = l.run_id
WHERE $segment IS NULL OR g.segment = $segment
ORDER BY g.model, g.segment;
