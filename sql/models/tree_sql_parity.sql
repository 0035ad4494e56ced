-- tree_sql_parity: the compiled tree macros run on the registration's check rows (a private in-memory
-- database), to compare with onnxruntime before the macros are registered (cai_sql.tree_sql.check).
-- Grain: one row per check row, in order. Parameters: $k (INTEGER, factors per row).
-- Placeholders: __score__ and __explain__ the names of the compiled macros (only in that private database).
SELECT __score__(f) AS probability, __explain__(f, $k) AS factors
FROM tree_sql_check_rows AS f
ORDER BY f._cai_check_row;
