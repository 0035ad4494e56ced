-- cai_latest_runs: each model's latest successful scoring run (newest score date; among runs of
-- that date, the newest run). Grain: one row per model. Parameters: none.
-- Contract: view cai_latest_runs.
CREATE OR REPLACE VIEW cai_latest_runs AS
SELECT model, arg_max(run_id, (score_date, run_id)) AS run_id, max(score_date) AS score_date
FROM cai_runs
WHERE status = 'succeeded'
GROUP BY model;
