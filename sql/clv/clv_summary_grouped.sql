-- clv_summary_grouped: the BG/NBD likelihood's input — distinct (frequency, recency, T) with
-- how many purchasers share them, so the fit evaluates each distinct summary once (in a fixed
-- order, so the same data gives the same fit to the last digit).
-- Grain: one row per distinct (frequency, recency, T). Parameters: none.
SELECT frequency, recency, T, count(*) AS customers
FROM _cai_clv_summary
GROUP BY frequency, recency, T
ORDER BY frequency, recency, T;
