-- clv_next_fit_id: a new lifetime-value fit id from the cai_clv_fit_ids sequence.
-- Grain: one row. Parameters: none.
SELECT nextval('cai_clv_fit_ids');
