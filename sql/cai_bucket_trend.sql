-- cai_bucket_trend: customers per bucket at every successful run of every model, over score
-- dates (CJA's stacked bars), with each bucket's share of the run and its mean score.
-- Grain: one row per run and bucket. Parameters: none.
CREATE OR REPLACE VIEW cai_bucket_trend AS
SELECT s.model, s.score_date, s.run_id, s.model_version, s.bucket, count(*) AS customers,
       round(count(*) / sum(count(*)) OVER (PARTITION BY s.run_id), 4) AS share,
       round(avg(s.score), 2) AS mean_score
FROM cai_scores AS s
GROUP BY s.model, s.score_date, s.run_id, s.model_version, s.bucket;
