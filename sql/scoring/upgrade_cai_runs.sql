-- upgrade_cai_runs: adds the out_of_range column to a cai_runs table created before it existed
-- (older runs keep NULL there). Grain: none (schema change). Parameters: none.
ALTER TABLE cai_runs ADD COLUMN IF NOT EXISTS out_of_range STRUCT(feature VARCHAR, share DOUBLE, train_min DOUBLE, train_max DOUBLE)[];
