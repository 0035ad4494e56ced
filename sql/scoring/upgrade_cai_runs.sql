-- upgrade_cai_runs: adds the out_of_range and scored_via columns to a cai_runs table created before
-- they existed (older runs keep NULL there). Grain: none (schema change). Parameters: none.
ALTER TABLE cai_runs ADD COLUMN IF NOT EXISTS out_of_range STRUCT(feature VARCHAR, share DOUBLE, train_min DOUBLE, train_max DOUBLE)[];
ALTER TABLE cai_runs ADD COLUMN IF NOT EXISTS scored_via VARCHAR;
