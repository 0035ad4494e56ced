-- cai_clv_expected: for any horizon (in the fit's time unit), the expected purchases and the
-- undiscounted expected value of every customer of the latest lifetime-value run, computed in
-- SQL from the run's fitted parameters — BI tools can ask "what if the horizon were 26 weeks".
-- Grain: one row per customer of the latest run. Parameters: horizon.
-- Contract: table macro cai_clv_expected.
CREATE OR REPLACE MACRO cai_clv_expected(horizon) AS TABLE
SELECT
    c.customer_id,
    c.run_id,
    CAST(horizon AS DOUBLE) AS horizon,
    c.time_unit,
    cai_clv_expected_purchases(horizon, c.frequency, c.recency, c.T, r.r, r.alpha, r.a, r.b) AS expected_purchases,
    c.expected_aov,
    cai_clv_expected_purchases(horizon, c.frequency, c.recency, c.T, r.r, r.alpha, r.a, r.b) * c.expected_aov AS expected_value
FROM cai_latest_clv AS c
JOIN cai_clv_runs AS r ON r.run_id = c.run_id;
