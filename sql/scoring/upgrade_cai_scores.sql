-- upgrade_cai_scores: adds each influential factor's direction ('raises' or 'lowers' the prediction,
-- the sign of its contribution) to a cai_scores table written before factors carried it. Rows keep
-- their codes and texts. Run only when column_type shows the old factor type.
-- Grain: none (schema change). Parameters: none.
ALTER TABLE cai_scores ALTER influential_factors SET DATA TYPE
    STRUCT(code VARCHAR, description VARCHAR, value DOUBLE, contribution DOUBLE, importance VARCHAR, direction VARCHAR)[]
    USING list_transform(influential_factors, lambda f: struct_insert(f,
        direction := CASE WHEN f.contribution > 0 THEN 'raises' ELSE 'lowers' END));
