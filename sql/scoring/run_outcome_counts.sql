-- run_outcome_counts: how many customers of a run have a recorded outcome and how many of those
-- outcomes happened. Grain: one row. Parameters: $run_id.
SELECT count(*), count(*) FILTER (WHERE outcome) FROM cai_run_outcomes WHERE run_id = $run_id;
