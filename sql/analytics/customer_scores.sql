-- customer_scores: every score one customer received, per model and run, oldest first, and
-- whether the run is its model's latest. Grain: one row per model and run that scored the
-- customer. Parameters: $customer.
SELECT s.model, s.run_id, s.score_date, s.model_version, s.probability, s.score, s.percentile, s.bucket,
       s.influential_factors, s.run_id = l.run_id AS in_latest_run
FROM cai_scores AS s
LEFT JOIN cai_latest_runs AS l ON l.model = s.model
WHERE s.customer_id = $customer
ORDER BY s.model, s.score_date, s.run_id;
