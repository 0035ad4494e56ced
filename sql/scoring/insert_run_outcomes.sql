-- insert_run_outcomes: what happened to every customer one run scored: the model version's label
-- at the run's score date (customers with no event in the window met no goal condition, so their
-- label is NOT will_occur). Grain: one row per scored customer.
-- Parameters: $run_id, $score_date, $will_occur. Placeholder: __labels__ (the version's labels macro).
INSERT INTO cai_run_outcomes
SELECT s.run_id, s.customer_id, coalesce(l.label, NOT CAST($will_occur AS BOOLEAN))
FROM cai_scores AS s
LEFT JOIN __labels__(CAST($score_date AS DATE)) AS l ON l.customer_id = s.customer_id
WHERE s.run_id = $run_id;
