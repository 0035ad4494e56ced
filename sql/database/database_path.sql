-- database_path: the current database's catalog name and file (NULL in memory), so publish can copy it and refuse to overwrite it.
-- Grain: one row. Parameters: none.
SELECT database_name, path FROM duckdb_databases() WHERE database_name = current_database();
