-- cai_clv_deciles: lifetime value by decile for every lifetime-value run — customers, CLV range,
-- mean and total, each decile's share of the run's total value, and mean P(alive) and expected
-- purchases. Grain: one row per run and decile (10 = the most valuable tenth). Parameters: none.
-- Contract: view cai_clv_deciles.
CREATE OR REPLACE VIEW cai_clv_deciles AS
SELECT
    run_id,
    any_value(score_date) AS score_date,
    clv_decile,
    count(*) AS customers,
    min(clv) AS min_clv,
    max(clv) AS max_clv,
    avg(clv) AS avg_clv,
    sum(clv) AS total_clv,
    sum(clv) / sum(sum(clv)) OVER (PARTITION BY run_id) AS share_of_clv,
    avg(p_alive) AS avg_p_alive,
    avg(expected_purchases) AS avg_expected_purchases
FROM cai_clv
GROUP BY run_id, clv_decile;
