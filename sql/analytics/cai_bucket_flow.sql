-- cai_bucket_flow: how customers moved between buckets from one run to another of a model
-- (default: its last two runs). from_bucket is 'new' for customers not scored in the first run,
-- to_bucket 'exited' for customers not scored in the second; share is of the from_bucket.
-- Grain: one row per from_bucket and to_bucket pair that occurs.
-- Parameters: model_name, from_run := NULL, to_run := NULL (run ids, see cai_runs).
-- Contract: table macro cai_bucket_flow.
CREATE OR REPLACE MACRO cai_bucket_flow(model_name, from_run := NULL, to_run := NULL) AS TABLE
WITH pair AS (
    SELECT * FROM cai_run_pair(model_name, run_a := from_run, run_b := to_run)
),
run_ids AS (
    SELECT unnest([p.run_a, p.run_b]) AS run_id FROM pair AS p
),
moves AS (
    SELECT s.customer_id,
           coalesce(max(s.bucket) FILTER (WHERE s.run_id = p.run_a), 'new') AS from_bucket,
           coalesce(max(s.bucket) FILTER (WHERE s.run_id = p.run_b), 'exited') AS to_bucket
    FROM cai_scores AS s
    JOIN run_ids AS i ON i.run_id = s.run_id
    CROSS JOIN pair AS p
    GROUP BY s.customer_id
),
flows AS (
    SELECT from_bucket, to_bucket, count(*) AS customers FROM moves GROUP BY from_bucket, to_bucket
)
SELECT p.run_a AS from_run, p.run_b AS to_run, p.date_a AS from_date, p.date_b AS to_date,
       f.from_bucket, f.to_bucket, f.customers,
       round(f.customers / sum(f.customers) OVER (PARTITION BY f.from_bucket), 4) AS share,
       p.comparison
FROM flows AS f
CROSS JOIN pair AS p
ORDER BY list_position(['high', 'medium', 'low', 'new'], f.from_bucket),
         list_position(['high', 'medium', 'low', 'exited'], f.to_bucket);
