-- cai_bucket_trend_by: the bucket trend split by a cohort attribute of the profiles table (e.g.
-- 'loyalty_tier'): customers per run, cohort value and bucket, with the bucket's share of the
-- cohort in that run. Customers without a profile value are the cohort 'unknown'.
-- Grain: one row per run, cohort value and bucket. Parameters: attribute (a profiles column name;
-- an unknown name fails with DuckDB's "Could not find key" error).
-- Contract: table macro cai_bucket_trend_by.
CREATE OR REPLACE MACRO cai_bucket_trend_by(attribute) AS TABLE
WITH tagged AS (
    SELECT s.model, s.score_date, s.run_id, s.model_version, s.bucket,
           coalesce(CAST(struct_extract(p, attribute) AS VARCHAR), 'unknown') AS cohort
    FROM cai_scores AS s
    LEFT JOIN profiles AS p ON p.customer_id = s.customer_id
)
SELECT model, score_date, run_id, model_version, cohort, bucket, count(*) AS customers,
       round(count(*) / sum(count(*)) OVER (PARTITION BY run_id, cohort), 4) AS share
FROM tagged
GROUP BY model, score_date, run_id, model_version, cohort, bucket;
