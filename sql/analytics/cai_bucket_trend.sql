-- cai_bucket_trend: customers per bucket at every successful run of every model, over score
-- dates (CJA's stacked bars), with each bucket's share of the run and its mean score.
-- Grain: one row per run and bucket. Parameters: none.
-- Contract: view cai_bucket_trend.
CREATE OR REPLACE VIEW cai_bucket_trend AS
WITH counts AS (
    SELECT run_id, bucket, count(*) AS customers, avg(score) AS mean_score
    FROM cai_scores
    GROUP BY run_id, bucket
)
SELECT r.model, r.score_date, r.run_id, r.model_version, c.bucket, c.customers,
       round(c.customers / r.n_scored, 4) AS share, round(c.mean_score, 2) AS mean_score
FROM counts AS c
JOIN cai_runs AS r ON r.run_id = c.run_id;
