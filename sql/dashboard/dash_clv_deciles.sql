-- dash_clv_deciles: cai_clv_deciles of the latest CLV run, top decile first.
-- Grain: one row per decile. Parameters: none.
SELECT d.run_id, d.score_date, d.clv_decile, d.customers, d.min_clv, d.max_clv, d.avg_clv, d.total_clv,
       d.share_of_clv, d.avg_p_alive, d.avg_expected_purchases
FROM cai_clv_deciles AS d
WHERE d.run_id = (SELECT max(run_id) FROM cai_latest_clv)
ORDER BY d.clv_decile DESC;
