-- insert_feature_bin: one feature histogram bin of a run. Grain: one row.
-- Parameters: $run_id, $feature, $bin, $lower, $upper, $customers.
INSERT INTO cai_run_feature_bins VALUES ($run_id, $feature, $bin, $lower, $upper, $customers);
