-- drop_stage_view: drops the temporary view _cai_stage over a Parquet file once its rows are
-- converted. Grain: none. Parameters: none.
DROP VIEW IF EXISTS _cai_stage;
