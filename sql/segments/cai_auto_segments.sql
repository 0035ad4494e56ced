-- cai_auto_segments: the one-click segments of every model's latest run — one per bucket, one per
-- leading reason code (the customer's strongest factor) and, for churn models once lifetime value
-- is scored, "high value at risk" (high churn bucket and the top two lifetime-value deciles) —
-- with their size, the predicate that defines them and a suggested segment name
-- (`cai segment auto --model M --create` creates them; `cai segment create NAME --model M
-- --bucket high` or `--top-factor CODE` creates one). Grain: one row per model and bucket,
-- leading code or high-value-at-risk group. Parameters: none.
-- Contract: view cai_auto_segments.
CREATE OR REPLACE VIEW cai_auto_segments AS
WITH latest AS (
    SELECT s.model, s.model_type, s.run_id, s.score_date, s.bucket,
           list_element(s.influential_factors, 1).code AS top_factor, v.clv_decile
    FROM cai_scores AS s
    JOIN cai_latest_runs AS l ON l.run_id = s.run_id
    LEFT JOIN cai_latest_clv AS v ON v.customer_id = s.customer_id
),
groups AS (
    SELECT model, run_id, score_date, 'bucket' AS kind, bucket AS value, count(*) AS customers
    FROM latest GROUP BY model, run_id, score_date, bucket
    UNION ALL
    SELECT model, run_id, score_date, 'top_factor', top_factor, count(*)
    FROM latest WHERE top_factor IS NOT NULL GROUP BY model, run_id, score_date, top_factor
    UNION ALL
    SELECT model, run_id, score_date, 'high_value_at_risk', 'high churn bucket, top two CLV deciles', count(*)
    FROM latest WHERE model_type = 'churn' AND bucket = 'high' AND clv_decile >= 9 GROUP BY model, run_id, score_date
)
SELECT model, run_id, score_date, kind, value, customers,
       round(customers / sum(customers) FILTER (WHERE kind = 'bucket') OVER (PARTITION BY model), 4) AS share,
       CASE kind WHEN 'bucket' THEN 'bucket = ''' || value || ''''
                 WHEN 'top_factor' THEN 'top_factor = ''' || replace(value, '''', '''''') || ''''
                 ELSE 'bucket = ''high'' AND clv_decile >= 9' END AS predicate,
       left(regexp_replace(lower(model || '_' || CASE kind WHEN 'bucket' THEN value WHEN 'top_factor' THEN 'top_' || value
                                                           ELSE 'high_value_at_risk' END),
                           '[^a-z0-9_]+', '_', 'g'), 48) AS suggested_name
FROM groups;
