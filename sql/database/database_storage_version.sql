-- database_storage_version: the storage version of the current database's file ("v1.4.0"), NULL in memory.
-- DuckDB tags each attached file with the oldest DuckDB that reads it ("v1.4.0+"); the "+" is dropped.
-- Grain: one row. Parameters: none.
SELECT rtrim(tags['storage_version'], '+') AS storage_version
FROM duckdb_databases()
WHERE database_name = current_database();
