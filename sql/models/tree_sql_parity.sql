-- tree_sql_parity: the compiled tree macros run on the registration's check rows (a private in-memory
-- database), to compare with onnxruntime before the macros are registered (cai_sql.tree_sql.check).
-- Grain: one row per check row, in order. Parameters: $k (INTEGER, factors per row).
-- Placeholders: __score__, __contributions__ and __explain__ the scratch names of the compiled macros.
SELECT __score__(f) AS probability, list_sum(__contributions__(f)) AS contribution_sum, __explain__(f, $k) AS factors
FROM tree_sql_check_rows AS f
ORDER BY f._cai_check_row;
