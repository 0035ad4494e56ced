-- serialize_sql: DuckDB's parse of one query as JSON (its syntax tree, without running it), to compare
-- two macro bodies by structure rather than spelling.
-- Grain: one row. Parameters: $query.
SELECT json_serialize_sql($query);
