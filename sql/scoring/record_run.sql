-- record_run: the cai_runs row of a finished run, with its counts taken from the ledger rows it wrote.
-- Grain: one row written. Parameters: $run_id, $model, $version, $model_type, $score_date,
-- $status, $factors, $sha256, $started_at, $finished_at, $seconds, $error, $out_of_range (JSON: a
-- list of {feature, share, train_min, train_max}, or NULL), $scored_via ('udf' or 'sql').
INSERT INTO cai_runs (run_id, model, model_version, model_type, score_date, status, n_scored, n_high,
                      n_medium, n_low, factors, model_sha256, started_at, finished_at, seconds, error, out_of_range,
                      scored_via)
SELECT $run_id, $model, $version, $model_type, $score_date, $status,
       count(*), count(*) FILTER (WHERE bucket = 'high'), count(*) FILTER (WHERE bucket = 'medium'),
       count(*) FILTER (WHERE bucket = 'low'), $factors, $sha256, $started_at, $finished_at, $seconds, $error,
       from_json(CAST($out_of_range AS VARCHAR),
                 '[{"feature": "VARCHAR", "share": "DOUBLE", "train_min": "DOUBLE", "train_max": "DOUBLE"}]'),
       $scored_via
FROM cai_scores
WHERE run_id = $run_id;
