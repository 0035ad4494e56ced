-- stage_csv_text: a CSV file (with a header row) staged as text in the temporary table _cai_stage.
-- Grain: one row per data row of the file, in file order. Parameters: $path.
CREATE OR REPLACE TEMPORARY TABLE _cai_stage AS
SELECT * FROM read_csv($path, header = true, all_varchar = true);
