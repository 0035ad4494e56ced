-- clv_next_run_id: a new lifetime-value run id from the cai_clv_run_ids sequence.
-- Grain: one row. Parameters: none.
SELECT nextval('cai_clv_run_ids');
