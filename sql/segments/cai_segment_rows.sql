-- cai_segment_rows: what a segment predicate can see — every customer of every successful run:
-- the ledger's columns, factor_codes (the codes of the customer's influential factors, strongest
-- first), top_factor (the leading one), the customer's latest lifetime value (clv, clv_decile,
-- p_alive; NULL until lifetime value is scored) and their current profile attributes.
-- Grain: one row per run and customer. Parameters: none.
-- Contract: view cai_segment_rows.
CREATE OR REPLACE VIEW cai_segment_rows AS
SELECT s.run_id, s.model, s.model_version, s.model_type, s.score_date, s.customer_id, s.probability,
       s.score, s.percentile, s.bucket, s.influential_factors,
       list_transform(s.influential_factors, lambda f: f.code) AS factor_codes,
       list_element(s.influential_factors, 1).code AS top_factor,
       v.clv, v.clv_decile, v.p_alive,
       p.* EXCLUDE (customer_id)
FROM cai_scores AS s
JOIN cai_runs AS r ON r.run_id = s.run_id AND r.status = 'succeeded'
LEFT JOIN cai_latest_clv AS v ON v.customer_id = s.customer_id
LEFT JOIN profiles AS p ON p.customer_id = s.customer_id;
