-- scored_models: every model with a successful scoring run. Grain: one row per model.
-- Parameters: none.
SELECT DISTINCT model FROM cai_runs WHERE status = 'succeeded' ORDER BY model;
