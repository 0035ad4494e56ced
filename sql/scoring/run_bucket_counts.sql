-- run_bucket_counts: customers per bucket in one run. Grain: one row per bucket present.
-- Parameters: $run_id.
SELECT bucket, count(*) FROM cai_scores WHERE run_id = $run_id GROUP BY bucket;
