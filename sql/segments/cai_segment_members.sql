-- cai_segment_members: who was in each segment at each successful run of its model. Filled for
-- every earlier run when a segment is created, and for every new run inside that run's
-- transaction; a replaced run's members leave with its scores.
-- Grain: one row per segment, run and customer. Parameters: none.
-- Contract: table cai_segment_members.
CREATE TABLE IF NOT EXISTS cai_segment_members (
    segment     VARCHAR NOT NULL,
    run_id      BIGINT  NOT NULL,
    customer_id VARCHAR NOT NULL
);
