-- database_objects: how many tables, views and macros the current database holds (for `cai info`).
-- Grain: one row. Parameters: none.
SELECT (SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()) AS tables,
       (SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() AND NOT internal) AS views,
       (SELECT count(*) FROM duckdb_functions()
        WHERE database_name = current_database() AND function_type IN ('macro', 'table_macro')) AS macros;
