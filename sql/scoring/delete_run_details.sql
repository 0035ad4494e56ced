-- delete_run_details: removes what replaced runs left beside their scores — segment membership,
-- realized outcomes and feature histograms. Grain: rows deleted. Parameters: $replaced (BIGINT[]).
DELETE FROM cai_segment_members WHERE list_contains($replaced, run_id);
DELETE FROM cai_run_outcomes WHERE list_contains($replaced, run_id);
DELETE FROM cai_run_feature_bins WHERE list_contains($replaced, run_id);
