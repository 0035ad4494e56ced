-- clv_summary_rows: the staged purchase summary a lifetime-value run scores.
-- Grain: one row per purchaser. Parameters: none.
SELECT customer_id, frequency, recency, T, monetary_value, spend_days
FROM _cai_clv_summary;
