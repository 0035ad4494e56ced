-- type_aliases: every type name DuckDB accepts (lower case) and the type it means (INT128 → HUGEINT),
-- so two macro bodies that spell a type differently compare equal.
-- Grain: one row per type name. Parameters: none.
SELECT DISTINCT lower(type_name), logical_type FROM duckdb_types();
