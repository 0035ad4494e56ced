-- delete_segment: removes a segment's definition and its membership history.
-- Grain: rows deleted. Parameters: $segment.
DELETE FROM cai_segment_members WHERE segment = $segment;
DELETE FROM cai_segments WHERE segment = $segment;
