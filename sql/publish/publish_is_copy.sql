-- publish_is_copy: whether the file attached as cai_publish_previous is a copy written by `cai publish` (it holds cai_published).
-- Grain: one row. Parameters: none.
SELECT count(*) > 0 AS is_copy
FROM duckdb_tables()
WHERE database_name = 'cai_publish_previous' AND schema_name = 'main' AND table_name = 'cai_published';
