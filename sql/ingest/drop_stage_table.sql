-- drop_stage_table: frees a file staged as the temporary table _cai_stage (CSV, JSON) once its
-- rows are converted. Grain: none. Parameters: none.
DROP TABLE IF EXISTS _cai_stage;
