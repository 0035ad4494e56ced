-- stage_parquet: a Parquet file staged in the temporary table _cai_stage, nested types kept.
-- Grain: one row per row of the file, in file order. Parameters: $path.
CREATE OR REPLACE TEMPORARY TABLE _cai_stage AS
SELECT * FROM read_parquet($path);
