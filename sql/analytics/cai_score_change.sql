-- cai_score_change: why one customer's score moved between two runs of a model (default: its last
-- two runs) — each factor code among the customer's influential factors in either run, with its
-- value and contribution (log-odds) in each, ordered by how much its contribution moved. A factor
-- that was not among the customer's stored factors in a run counts as 0 there (in_runs says which
-- runs had it); scoring with more factors (`cai score --factors N`) makes the picture fuller. The
-- description is the later run's text (an attribute's text names the customer's level then).
-- Grain: one row per factor code. Parameters: model_name, customer, run_a := NULL, run_b := NULL.
-- Contract: table macro cai_score_change.
CREATE OR REPLACE MACRO cai_score_change(model_name, customer, run_a := NULL, run_b := NULL) AS TABLE
WITH pair AS (
    SELECT * FROM cai_run_pair(model_name, run_a := run_a, run_b := run_b)
),
rows AS (
    SELECT s.run_id, s.score, s.bucket, s.influential_factors, s.run_id = p.run_a AS is_a
    FROM cai_scores AS s
    CROSS JOIN pair AS p
    WHERE s.customer_id = customer AND (s.run_id = p.run_a OR s.run_id = p.run_b)
),
checked AS (
    SELECT max(score) FILTER (WHERE is_a) AS score_a, max(score) FILTER (WHERE NOT is_a) AS score_b,
           max(bucket) FILTER (WHERE is_a) AS bucket_a, max(bucket) FILTER (WHERE NOT is_a) AS bucket_b,
           count(*) FILTER (WHERE is_a) AS rows_a, count(*) FILTER (WHERE NOT is_a) AS rows_b
    FROM rows
),
factors AS (
    SELECT r.is_a, f.code, f.description, f.value, f.contribution
    FROM rows AS r, unnest(r.influential_factors) AS t(f)
),
joined AS (
    SELECT code, coalesce(max(description) FILTER (WHERE NOT is_a), max(description) FILTER (WHERE is_a)) AS description,
           max(value) FILTER (WHERE is_a) AS value_a, max(value) FILTER (WHERE NOT is_a) AS value_b,
           max(contribution) FILTER (WHERE is_a) AS contribution_a,
           max(contribution) FILTER (WHERE NOT is_a) AS contribution_b,
           CASE WHEN bool_or(is_a) AND bool_or(NOT is_a) THEN 'both' WHEN bool_or(is_a) THEN 'run_a only' ELSE 'run_b only' END AS in_runs
    FROM factors
    GROUP BY code
)
SELECT p.run_a, p.run_b, c.score_a, c.score_b, c.bucket_a, c.bucket_b, j.code, j.description,
       j.value_a, j.value_b, round(j.contribution_a, 4) AS contribution_a, round(j.contribution_b, 4) AS contribution_b,
       round(coalesce(j.contribution_b, 0) - coalesce(j.contribution_a, 0), 4) AS change, j.in_runs, p.comparison
FROM checked AS c
CROSS JOIN pair AS p
LEFT JOIN joined AS j ON true
WHERE CASE WHEN c.rows_a = 1 AND c.rows_b = 1 THEN true
           ELSE error('customer ''' || customer || ''' was not scored in both runs ' || p.run_a || ' and ' || p.run_b
                      || ' of ' || model_name || '; see cai_score_history for the runs that scored them') END
ORDER BY abs(coalesce(j.contribution_b, 0) - coalesce(j.contribution_a, 0)) DESC, j.code;
