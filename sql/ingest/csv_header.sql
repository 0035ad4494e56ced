-- csv_header: the column names of a CSV file with a header row, without loading its rows.
-- Grain: one row per column. Parameters: $path.
SELECT column_name FROM (DESCRIBE SELECT * FROM read_csv($path, header = true, all_varchar = true));
