-- mark_runs_replaced: marks earlier runs as replaced by run $run_id (their scores are deleted in
-- the same transaction by delete_run_scores). Grain: one row per replaced run.
-- Parameters: $run_id, $replaced (BIGINT[]).
UPDATE cai_runs SET status = 'replaced', replaced_by = $run_id WHERE list_contains($replaced, run_id);
