-- cai_cohort_tracking: a cohort fixed at one run — the customers in cohort_bucket at cohort_run —
-- followed across that run and every later successful run of the same model: how many of them
-- are in each bucket, or 'not scored' (not eligible that run), with shares of the cohort.
-- Grain: one row per run and bucket. Parameters: model_name, cohort_run (a run id),
-- cohort_bucket ('low', 'medium' or 'high').
-- Contract: table macro cai_cohort_tracking.
CREATE OR REPLACE MACRO cai_cohort_tracking(model_name, cohort_run, cohort_bucket) AS TABLE
WITH start AS (
    SELECT r.run_id, r.score_date
    FROM (SELECT 1) AS one
    LEFT JOIN cai_runs AS r ON r.run_id = cohort_run AND r.model = model_name AND r.status = 'succeeded'
    WHERE CASE
        WHEN r.run_id IS NULL THEN error('run ' || cohort_run || ' is not a successful run of model ''' || model_name || '''; see cai_runs')
        WHEN cohort_bucket NOT IN ('low', 'medium', 'high') THEN error('unknown bucket ''' || cohort_bucket || '''; use low, medium or high')
        ELSE true END
),
runs AS (
    SELECT r.run_id, r.score_date, r.model_version
    FROM cai_runs AS r, start AS t
    WHERE r.model = model_name AND r.status = 'succeeded' AND (r.score_date, r.run_id) >= (t.score_date, t.run_id)
),
tracked AS (
    SELECT s.run_id, s.bucket,
           bool_or(s.run_id = cohort_run AND s.bucket = cohort_bucket) OVER (PARTITION BY s.customer_id) AS in_cohort
    FROM cai_scores AS s
    JOIN runs AS u ON u.run_id = s.run_id
),
counts AS (
    SELECT run_id, bucket, count(*) AS customers FROM tracked WHERE in_cohort GROUP BY run_id, bucket
),
size AS (
    SELECT CAST(coalesce(sum(customers), 0) AS BIGINT) AS cohort_size FROM counts WHERE run_id = cohort_run
),
grid AS (
    SELECT u.run_id, u.score_date, u.model_version, b.bucket,
           CASE WHEN b.bucket = 'not scored'
                THEN z.cohort_size - CAST(coalesce((SELECT sum(c2.customers) FROM counts AS c2 WHERE c2.run_id = u.run_id), 0) AS BIGINT)
                ELSE coalesce(c.customers, 0) END AS customers,
           z.cohort_size
    FROM runs AS u
    CROSS JOIN (VALUES ('high'), ('medium'), ('low'), ('not scored')) AS b(bucket)
    CROSS JOIN size AS z
    LEFT JOIN counts AS c ON c.run_id = u.run_id AND c.bucket = b.bucket
)
SELECT run_id, score_date, model_version, cohort_bucket AS cohort, cohort_size, bucket, customers,
       round(customers / nullif(cohort_size, 0), 4) AS share
FROM grid
ORDER BY score_date, run_id, list_position(['high', 'medium', 'low', 'not scored'], bucket);
