-- dash_clv_summary: the latest lifetime-value run in one row — its size, total and typical value,
-- and how many customers cai_clv_high_value_at_risk holds. Grain: one row. Parameters: none.
SELECT max(c.run_id) AS run_id, max(c.score_date) AS score_date, max(c.horizon) AS horizon,
       max(c.time_unit) AS time_unit, count(*) AS customers, sum(c.clv) AS total_clv,
       median(c.clv) AS median_clv, avg(c.p_alive) AS avg_p_alive,
       (SELECT count(*) FROM cai_clv_high_value_at_risk) AS high_value_at_risk
FROM cai_latest_clv AS c;
