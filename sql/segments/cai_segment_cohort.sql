-- cai_segment_cohort: a cohort fixed as a segment's members at one run (default: the segment's
-- first run) — e.g. a segment of gold-tier customers — followed across that run and every later
-- run of the segment's model: how many are in each bucket, or 'not scored', and how many are
-- still in the segment. Grain: one row per run and bucket. Parameters: segment_name,
-- cohort_run := NULL.
-- Contract: table macro cai_segment_cohort.
CREATE OR REPLACE MACRO cai_segment_cohort(segment_name, cohort_run := NULL) AS TABLE
WITH definition AS (
    SELECT g.segment, g.model
    FROM (SELECT 1) AS one
    LEFT JOIN cai_segments AS g ON g.segment = segment_name
    WHERE CASE WHEN g.segment IS NULL THEN error('there is no segment ''' || segment_name || '''; see cai_segments')
               ELSE true END
),
start AS (
    SELECT r.run_id, r.score_date
    FROM definition AS d
    LEFT JOIN cai_runs AS r
      ON r.model = d.model AND r.status = 'succeeded'
     AND r.run_id = coalesce(CAST(cohort_run AS BIGINT),
                             (SELECT arg_min(x.run_id, (x.score_date, x.run_id)) FROM cai_runs AS x
                              WHERE x.model = d.model AND x.status = 'succeeded'))
    WHERE CASE WHEN r.run_id IS NULL
               THEN error('run ' || coalesce(CAST(cohort_run AS VARCHAR), '(none)') || ' is not a successful run of model '''
                          || d.model || ''', the model of segment ''' || segment_name || '''; see cai_segment_sizes')
               ELSE true END
),
cohort AS (
    SELECT m.customer_id FROM cai_segment_members AS m, start AS t
    WHERE m.segment = segment_name AND m.run_id = t.run_id
),
runs AS (
    SELECT r.run_id, r.score_date, r.model_version
    FROM cai_runs AS r, start AS t, definition AS d
    WHERE r.model = d.model AND r.status = 'succeeded' AND (r.score_date, r.run_id) >= (t.score_date, t.run_id)
),
scored AS (
    SELECT s.run_id, s.bucket, count(*) AS customers
    FROM cai_scores AS s
    JOIN runs AS u ON u.run_id = s.run_id
    SEMI JOIN cohort AS c ON c.customer_id = s.customer_id
    GROUP BY s.run_id, s.bucket
),
staying AS (
    SELECT m.run_id, count(*) AS still_in_segment
    FROM cai_segment_members AS m
    SEMI JOIN cohort AS c ON c.customer_id = m.customer_id
    WHERE m.segment = segment_name
    GROUP BY m.run_id
),
size AS (
    SELECT count(*) AS cohort_size FROM cohort
)
SELECT u.run_id, u.score_date, u.model_version, segment_name AS segment, z.cohort_size, b.bucket,
       CASE WHEN b.bucket = 'not scored'
            THEN z.cohort_size - CAST(coalesce((SELECT sum(x.customers) FROM scored AS x WHERE x.run_id = u.run_id), 0) AS BIGINT)
            ELSE coalesce(s.customers, 0) END AS customers,
       coalesce(k.still_in_segment, 0) AS still_in_segment
FROM runs AS u
CROSS JOIN (VALUES ('high'), ('medium'), ('low'), ('not scored')) AS b(bucket)
CROSS JOIN size AS z
LEFT JOIN scored AS s ON s.run_id = u.run_id AND s.bucket = b.bucket
LEFT JOIN staying AS k ON k.run_id = u.run_id
ORDER BY u.score_date, u.run_id, list_position(['high', 'medium', 'low', 'not scored'], b.bucket);
