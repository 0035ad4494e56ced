-- insert_segment: stores one segment definition. Grain: one row. Parameters: $segment, $model,
-- $predicate, $kind, $view_name, $created_at.
INSERT INTO cai_segments VALUES ($segment, $model, $predicate, $kind, $view_name, $created_at);
