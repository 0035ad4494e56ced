-- cai_latest_scores: every customer of each model's latest successful run (the newest score
-- date; among runs of that date, the newest run), for BI tools and segment definitions.
-- Grain: one row per model and customer. Parameters: none.
-- Contract: view cai_latest_scores.
CREATE OR REPLACE VIEW cai_latest_scores AS
WITH latest AS (
    SELECT model, arg_max(run_id, (score_date, run_id)) AS run_id
    FROM cai_runs
    WHERE status = 'succeeded'
    GROUP BY model
)
SELECT s.*
FROM cai_scores AS s
JOIN latest AS l ON l.run_id = s.run_id;
