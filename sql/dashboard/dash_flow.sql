-- dash_flow: cai_bucket_flow between two runs of a model (NULL runs: its last two).
-- Grain: one row per from/to bucket pair. Parameters: $model, $run_a, $run_b.
SELECT from_run, to_run, from_date, to_date, from_bucket, to_bucket, customers, share, comparison
FROM cai_bucket_flow($model, from_run := $run_a, to_run := $run_b)
ORDER BY from_bucket, to_bucket;
