-- clv_spend_rows: the Gamma-Gamma likelihood's input — distinct (spend_days, monetary_value) of
-- repeat buyers with at least one positive repeat amount, with how many share them.
-- Grain: one row per distinct (spend_days, monetary_value). Parameters: none.
SELECT spend_days, monetary_value, count(*) AS customers
FROM _cai_clv_summary
WHERE spend_days > 0
GROUP BY spend_days, monetary_value
ORDER BY spend_days, monetary_value;
