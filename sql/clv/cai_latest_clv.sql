-- cai_latest_clv: every customer of the latest lifetime-value run (the newest score date; among
-- runs of that date, the newest run), with the run's horizon and time unit.
-- Grain: one row per customer. Parameters: none.
-- Contract: view cai_latest_clv.
CREATE OR REPLACE VIEW cai_latest_clv AS
WITH latest AS (
    SELECT arg_max(run_id, (score_date, run_id)) AS run_id
    FROM cai_clv_runs
)
SELECT
    c.customer_id, c.run_id, c.score_date, r.horizon, r.time_unit,
    c.frequency, c.recency, c.T, c.monetary_value, c.spend_days, c.p_alive, c.expected_purchases, c.expected_aov,
    c.clv, c.clv_decile
FROM cai_clv AS c
JOIN latest AS l ON l.run_id = c.run_id
JOIN cai_clv_runs AS r ON r.run_id = c.run_id;
