-- delete_run_scores: removes the ledger rows of replaced runs. Grain: rows deleted.
-- Parameters: $replaced (BIGINT[]).
DELETE FROM cai_scores WHERE list_contains($replaced, run_id);
