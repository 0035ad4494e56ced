-- table_exists: whether a table or view named $name exists in the main schema.
-- Grain: one row. Parameters: $name.
SELECT count(*) > 0
FROM information_schema.tables
WHERE table_schema = 'main' AND table_name = $name;
