-- stage_csv_typed: a CSV file (with a header row) staged in _cai_stage with sniffed column types,
-- except the columns named in $types, which are read as given (e.g. ids as VARCHAR).
-- Grain: one row per data row of the file, in file order. Parameters: $path, $types.
CREATE OR REPLACE TEMPORARY TABLE _cai_stage AS
SELECT * FROM read_csv($path, header = true, types = $types);
