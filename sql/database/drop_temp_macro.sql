-- drop_temp_macro: placeholder statement naming the temporary copy of a persisted CLV macro that a
-- training query used; cai_sql.training substitutes the name on the syntax tree.
-- Grain: none (drops one temporary macro). Parameters: none (placeholder __macro__).
DROP MACRO IF EXISTS temp.main.__macro__;
