-- column_type: the declared type of one column of a main-schema table in the current database (none
-- when the table or column is missing); used to upgrade ledger tables written by an older cai-sql.
-- Grain: zero or one row. Parameters: $table, $column.
SELECT data_type
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $table AND column_name = $column;
