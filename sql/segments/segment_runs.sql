-- segment_runs: the first and last successful run id of a model (for a segment's backfill) and
-- how many successful runs it has. Grain: one row. Parameters: $model.
SELECT min(run_id), max(run_id), count(*) FROM cai_runs WHERE model = $model AND status = 'succeeded';
