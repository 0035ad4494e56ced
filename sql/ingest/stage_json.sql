-- stage_json: a JSON array or newline-delimited JSON file staged in the temporary table _cai_stage.
-- The schema is inferred from every record (sample_size = -1) so a field first seen late is kept.
-- Grain: one row per record, in file order. Parameters: $path.
CREATE OR REPLACE TEMPORARY TABLE _cai_stage AS
SELECT * FROM read_json($path, format = 'auto', sample_size = -1);
