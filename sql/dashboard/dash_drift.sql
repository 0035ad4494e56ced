-- dash_drift: cai_drift between two runs of a model (NULL runs: the last two), worst first.
-- Grain: one row per measure (score and each feature). Parameters: $model, $run_a, $run_b.
SELECT run_a, run_b, measure, bins, psi, flag, comparison
FROM cai_drift($model, run_a := $run_a, run_b := $run_b)
ORDER BY measure <> 'score', psi DESC NULLS LAST, measure;
