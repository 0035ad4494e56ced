-- cai_segments: segment definitions. A segment is a predicate over one model's scored customers
-- (the columns of cai_segment_rows: scores, buckets, reason codes, profile attributes), checked
-- by sqlglot as one boolean expression and stored as the SQL it was parsed to. kind is 'custom',
-- 'bucket' or 'top_factor' (auto-segments); view_name is the segment's live view.
-- Grain: one row per segment. Parameters: none.
-- Contract: table cai_segments.
CREATE TABLE IF NOT EXISTS cai_segments (
    segment     VARCHAR   NOT NULL PRIMARY KEY,
    model       VARCHAR   NOT NULL,
    predicate   VARCHAR   NOT NULL,
    kind        VARCHAR   NOT NULL,
    view_name   VARCHAR   NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
