-- cai_clv_high_value_at_risk: the auto-segment "high value at risk" — customers in the top two
-- lifetime-value deciles of the latest lifetime-value run who are in the high bucket of a churn
-- model's latest scoring run (empty until a churn model has scored).
-- Grain: one row per customer and churn model. Parameters: none.
-- Contract: view cai_clv_high_value_at_risk.
CREATE OR REPLACE VIEW cai_clv_high_value_at_risk AS
SELECT
    c.customer_id,
    c.clv,
    c.clv_decile,
    c.p_alive,
    c.expected_purchases,
    s.model AS churn_model,
    s.score AS churn_score,
    s.probability AS churn_probability,
    s.score_date AS churn_score_date,
    c.score_date AS clv_score_date
FROM cai_latest_clv AS c
JOIN cai_latest_scores AS s ON s.customer_id = c.customer_id
WHERE c.clv_decile >= 9 AND s.model_type = 'churn' AND s.bucket = 'high';
