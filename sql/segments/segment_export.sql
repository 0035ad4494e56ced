-- segment_export: the members of one segment at one run, for activation tools: who they are,
-- their score and bucket, their leading reason code, and their profile attributes.
-- Grain: one row per member. Parameters: $segment, $run_id.
SELECT r.* EXCLUDE (run_id, model_type, influential_factors, factor_codes)
FROM cai_segment_members AS m
JOIN cai_segment_rows AS r ON r.run_id = m.run_id AND r.customer_id = m.customer_id
WHERE m.segment = $segment AND m.run_id = $run_id
ORDER BY r.score DESC, r.customer_id;
