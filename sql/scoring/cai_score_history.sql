-- cai_score_history: each customer's scores across the successful runs of each model, oldest
-- first, with the previous run's score and bucket beside them (NULL on a customer's first run),
-- so trends and bucket moves are one GROUP BY away.
-- Grain: one row per model, customer and run. Parameters: none.
-- Contract: view cai_score_history.
CREATE OR REPLACE VIEW cai_score_history AS
SELECT s.model, s.customer_id, s.score_date, s.run_id, s.model_version, s.probability, s.score,
       s.percentile, s.bucket,
       lag(s.score) OVER w AS previous_score,
       lag(s.bucket) OVER w AS previous_bucket,
       lag(s.score_date) OVER w AS previous_score_date
FROM cai_scores AS s
JOIN cai_runs AS r ON r.run_id = s.run_id AND r.status = 'succeeded'
WINDOW w AS (PARTITION BY s.model, s.customer_id ORDER BY s.score_date, s.run_id);
