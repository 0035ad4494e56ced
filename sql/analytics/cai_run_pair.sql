-- cai_run_pair: two successful runs of one model to compare, checked: run_a defaults to the
-- second-latest and run_b to the latest run (by score date, then run id). Unknown models, runs
-- of another model, failed or replaced runs, a model with one run and a run compared with itself
-- raise an error that says so. comparison says whether both runs used the same model version.
-- Grain: one row. Parameters: model_name, run_a := NULL, run_b := NULL.
-- Contract: table macro cai_run_pair.
CREATE OR REPLACE MACRO cai_run_pair(model_name, run_a := NULL, run_b := NULL) AS TABLE
WITH runs AS (
    SELECT run_id, model_version, score_date, status, replaced_by
    FROM cai_runs
    WHERE model = model_name
),
ranked AS (
    SELECT run_id, row_number() OVER (ORDER BY score_date DESC, run_id DESC) AS k
    FROM runs
    WHERE status = 'succeeded'
),
pair AS (
    SELECT coalesce(CAST(run_a AS BIGINT), (SELECT run_id FROM ranked WHERE k = 2)) AS a,
           coalesce(CAST(run_b AS BIGINT), (SELECT run_id FROM ranked WHERE k = 1)) AS b,
           (SELECT count(*) FROM ranked) AS n_runs
)
SELECT p.a AS run_a, p.b AS run_b, ra.score_date AS date_a, rb.score_date AS date_b,
       ra.model_version AS version_a, rb.model_version AS version_b,
       CASE WHEN ra.model_version = rb.model_version
            THEN 'same model version (v' || ra.model_version || ')'
            ELSE 'different model versions (v' || ra.model_version || ' then v' || rb.model_version
                 || '): scores and factors come from different models' END AS comparison
FROM pair AS p
LEFT JOIN runs AS ra ON ra.run_id = p.a
LEFT JOIN runs AS rb ON rb.run_id = p.b
WHERE CASE
    WHEN p.n_runs = 0 THEN error('model ''' || model_name || ''' has no successful scoring runs; score it first (cai score) or check the name in cai_runs')
    WHEN p.a IS NULL THEN error('model ''' || model_name || ''' has only one successful run (' || p.b || '); there is nothing to compare it with')
    WHEN ra.run_id IS NULL THEN error('run ' || p.a || ' is not a run of model ''' || model_name || '''; see cai_runs for its run ids')
    WHEN rb.run_id IS NULL THEN error('run ' || p.b || ' is not a run of model ''' || model_name || '''; see cai_runs for its run ids')
    WHEN ra.status <> 'succeeded' THEN error('run ' || p.a || ' has no scores (status: ' || ra.status || coalesce(' by run ' || ra.replaced_by, '') || ')')
    WHEN rb.status <> 'succeeded' THEN error('run ' || p.b || ' has no scores (status: ' || rb.status || coalesce(' by run ' || rb.replaced_by, '') || ')')
    WHEN p.a = p.b THEN error('both runs are ' || p.a || '; compare two different runs')
    ELSE true END;
