-- dash_score_distribution: cai_score_distribution of one run of a model.
-- Grain: one row per score bin. Parameters: $model, $run.
SELECT bin, score_from, score_to, customers, share
FROM cai_score_distribution
WHERE model = $model AND run_id = $run
ORDER BY bin;
