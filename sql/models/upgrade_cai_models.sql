-- upgrade_cai_models: adds the reason-code and score-scale columns to a registry created before
-- they existed (models registered then score, but have no reason codes until retrained), and the
-- integrity columns (models registered before them are refused until retrained).
-- Grain: none (schema change). Parameters: none.
ALTER TABLE cai_models ADD COLUMN IF NOT EXISTS explainer BLOB;
ALTER TABLE cai_models ADD COLUMN IF NOT EXISTS explainer_sha256 VARCHAR;
ALTER TABLE cai_models ADD COLUMN IF NOT EXISTS explainer_bias DOUBLE;
ALTER TABLE cai_models ADD COLUMN IF NOT EXISTS linear_terms JSON;
ALTER TABLE cai_models ADD COLUMN IF NOT EXISTS score_scale DOUBLE[];
ALTER TABLE cai_models ADD COLUMN IF NOT EXISTS macros JSON;
ALTER TABLE cai_models ADD COLUMN IF NOT EXISTS probe JSON;
ALTER TABLE cai_models ADD COLUMN IF NOT EXISTS artifact_hashes JSON;
ALTER TABLE cai_models ADD COLUMN IF NOT EXISTS model_sha256 VARCHAR;
