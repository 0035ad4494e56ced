-- drop_stage: frees the staged file once its rows are converted. Grain: none. Parameters: none.
DROP TABLE IF EXISTS _cai_stage;
