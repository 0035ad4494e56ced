-- cai_expected_vs_actual: for every evaluated run (outcome window closed), per bucket and for the
-- whole run (bucket 'all'): customers, the expected rate (mean predicted probability) beside the
-- actual rate (share whose outcome happened), and their difference.
-- Grain: one row per evaluated run and bucket, plus one 'all' row per run. Parameters: none.
-- Contract: view cai_expected_vs_actual.
CREATE OR REPLACE VIEW cai_expected_vs_actual AS
SELECT s.model, s.run_id, s.score_date, s.model_version, coalesce(s.bucket, 'all') AS bucket,
       count(*) AS customers,
       round(avg(s.probability), 4) AS expected_rate,
       round(avg(CAST(o.outcome AS INTEGER)), 4) AS actual_rate,
       round(avg(CAST(o.outcome AS INTEGER)) - avg(s.probability), 4) AS difference
FROM cai_scores AS s
JOIN cai_run_outcomes AS o ON o.run_id = s.run_id AND o.customer_id = s.customer_id
GROUP BY GROUPING SETS ((s.model, s.run_id, s.score_date, s.model_version, s.bucket),
                        (s.model, s.run_id, s.score_date, s.model_version));
