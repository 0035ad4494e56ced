-- drop_segment_view: removes a segment's live view. Grain: none. Parameters: none.
-- Placeholder: __view__ (the view name).
DROP VIEW IF EXISTS __view__;
