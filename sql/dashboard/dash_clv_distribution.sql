-- dash_clv_distribution: the latest lifetime values (cai_latest_clv) in about 20 equal-width bins
-- up to the 99th percentile, the rest in a last open bin (upper = inf).
-- Grain: one row per bin. Parameters: none.
WITH edges AS (
    SELECT equi_width_bins(0, quantile_cont(clv, 0.99), 20, true) AS upper_bounds FROM cai_latest_clv
),
counts AS (
    SELECT histogram(c.clv, e.upper_bounds) AS bins
    FROM cai_latest_clv AS c
    CROSS JOIN edges AS e
    GROUP BY e.upper_bounds
),
rows AS (
    SELECT unnest(map_keys(bins)) AS upper, unnest(map_values(bins)) AS customers FROM counts
)
SELECT coalesce(lag(upper) OVER (ORDER BY upper), 0) AS lower, upper, customers
FROM rows
ORDER BY upper;
