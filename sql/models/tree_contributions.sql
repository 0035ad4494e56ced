-- tree_contributions: a tree model's per-factor reason-code contributions as pure SQL
-- (_cai_tree_contributions_<model>_v<n>(feature_row)): a DOUBLE list, one entry per factor in the
-- order of cai_sql.factors, whose sum plus the model's reason-code bias is the margin (log-odds).
-- Each tree's nested CASE yields the row's leaf (1-based slot), all trees once into one struct
-- (t0 … t<T-1>); inside one lambda each factor's entry sums, over the trees whose leaves carry it,
-- a constant per-leaf list indexed by that tree's slot. The per-leaf values are those of the
-- registered reason-code graph (merged per attribute), embedded in the text so the integrity hash
-- covers them. Grain: scalar, one list per row. Parameters: feature_row (a features row, macro argument).
-- Placeholders: __leaves__ the struct of leaf slots, __sums__ the list of per-factor sums over `leaf`.
CREATE OR REPLACE MACRO __macro__(feature_row) AS
list_element(list_transform([__leaves__], lambda leaf: __sums__), 1);
