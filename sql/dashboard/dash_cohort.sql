-- dash_cohort: cai_cohort_tracking — where a bucket's customers at one run stand at every run.
-- Grain: one row per run and bucket. Parameters: $model, $run, $bucket.
SELECT run_id, score_date, model_version, cohort, cohort_size, bucket, customers, share
FROM cai_cohort_tracking($model, $run, $bucket)
ORDER BY score_date, run_id, bucket;
