-- next_run_id: a new scoring run id from the cai_run_ids sequence.
-- Grain: one row. Parameters: none.
SELECT nextval('cai_run_ids');
