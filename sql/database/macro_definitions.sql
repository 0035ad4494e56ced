-- macro_definitions: how DuckDB holds some macros (kind, parameters, bound definition), to compare a
-- persisted macro with the text registered for it.
-- Grain: one row per macro. Parameters: $names (VARCHAR[]), $database (the catalog: the database's or 'temp').
SELECT function_name, function_type, parameters, macro_definition
FROM duckdb_functions()
WHERE database_name = $database AND schema_name = 'main' AND function_name IN (SELECT unnest($names))
  AND function_type IN ('macro', 'table_macro');
