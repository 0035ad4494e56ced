-- segment_view: a segment's live view — the customers of its model's latest successful run that
-- satisfy its predicate, with every column of cai_segment_rows. Rendered per segment on the
-- syntax tree by cai_sql.segments. Grain: one row per member customer. Parameters: none.
-- Placeholders: __view__ (the view name), __model__ (a string literal), __predicate__ (the
-- checked predicate, columns qualified with r).
-- Contract: views cai_seg_<segment> (one per segment).
CREATE OR REPLACE VIEW __view__ AS
SELECT r.*
FROM cai_segment_rows AS r
JOIN cai_latest_runs AS l ON l.run_id = r.run_id
WHERE r.model = __model__ AND (__predicate__);
