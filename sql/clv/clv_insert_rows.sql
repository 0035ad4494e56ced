-- clv_insert_rows: writes one lifetime-value run's customers from the scored rows registered as
-- _cai_clv_new, with each customer's CLV decile within the run (10 = the most valuable tenth).
-- Grain: one row per customer of the run. Parameters: $run_id, $score_date.
INSERT INTO cai_clv
SELECT
    CAST($run_id AS BIGINT), CAST($score_date AS DATE), customer_id, frequency, recency, T, monetary_value, spend_days,
    p_alive, expected_purchases, expected_aov, clv,
    ntile(10) OVER (ORDER BY clv, customer_id)
FROM _cai_clv_new;
