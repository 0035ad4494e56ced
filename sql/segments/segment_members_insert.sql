-- segment_members_insert: records who matches a segment's predicate in the successful runs of
-- its model with run ids in [$first_run, $last_run]. Grain: one row per member and run.
-- Parameters: $segment, $model, $first_run, $last_run. Placeholder: __predicate__ (the checked
-- predicate, columns qualified with r).
INSERT INTO cai_segment_members
SELECT CAST($segment AS VARCHAR), r.run_id, r.customer_id
FROM cai_segment_rows AS r
WHERE r.model = $model AND r.run_id BETWEEN $first_run AND $last_run AND (__predicate__);
