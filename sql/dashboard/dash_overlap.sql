-- dash_overlap: cai_bucket_overlap of one bucket across two runs (NULL runs: the last two).
-- Grain: one row. Parameters: $model, $bucket, $run_a, $run_b.
SELECT run_a, run_b, date_a, date_b, bucket, only_a, both_runs, only_b, in_a, in_b, jaccard, comparison
FROM cai_bucket_overlap($model, $bucket, run_a := $run_a, run_b := $run_b);
