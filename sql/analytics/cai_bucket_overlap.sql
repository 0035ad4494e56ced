-- cai_bucket_overlap: the Venn overlap of one bucket across two runs of a model (default: its last
-- two runs) — customers in the bucket only in run_a, only in run_b, and in both.
-- Grain: one row. Parameters: model_name, bucket_name ('low', 'medium' or 'high'),
-- run_a := NULL, run_b := NULL.
-- Contract: table macro cai_bucket_overlap.
CREATE OR REPLACE MACRO cai_bucket_overlap(model_name, bucket_name, run_a := NULL, run_b := NULL) AS TABLE
WITH pair AS (
    SELECT * FROM cai_run_pair(model_name, run_a := run_a, run_b := run_b)
    WHERE CASE WHEN bucket_name IN ('low', 'medium', 'high') THEN true
               ELSE error('unknown bucket ''' || bucket_name || '''; use low, medium or high') END
),
run_ids AS (
    SELECT unnest([p.run_a, p.run_b]) AS run_id FROM pair AS p
),
members AS (
    SELECT s.customer_id, bool_or(s.run_id = p.run_a) AS in_a, bool_or(s.run_id = p.run_b) AS in_b
    FROM cai_scores AS s
    JOIN run_ids AS i ON i.run_id = s.run_id
    CROSS JOIN pair AS p
    WHERE s.bucket = bucket_name
    GROUP BY s.customer_id
),
counts AS (
    SELECT count(*) FILTER (WHERE in_a AND NOT in_b) AS only_a,
           count(*) FILTER (WHERE in_a AND in_b) AS both_runs,
           count(*) FILTER (WHERE in_b AND NOT in_a) AS only_b
    FROM members
)
SELECT p.run_a, p.run_b, p.date_a, p.date_b, bucket_name AS bucket, c.only_a, c.both_runs, c.only_b,
       c.only_a + c.both_runs AS in_a, c.both_runs + c.only_b AS in_b,
       round(c.both_runs / nullif(c.only_a + c.both_runs + c.only_b, 0), 4) AS jaccard,
       p.comparison
FROM pair AS p
CROSS JOIN counts AS c;
