-- current_database: the catalog name of the connection's database (where persisted macros live).
-- Grain: one row. Parameters: none.
SELECT current_database();
