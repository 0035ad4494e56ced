-- check_ts_format: fails with DuckDB's own message when $ts_format is not a strptime format it knows.
-- Grain: one row. Parameters: $ts_format.
SELECT try_strptime('', $ts_format);
