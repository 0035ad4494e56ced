-- cai_udf_macros: the analyst-facing scoring functions of a Python session, as temporary macros
-- over the Arrow UDFs (which exist only in the process that registered them, hence TEMP):
--   cai_score(model, feature_row[, version])          → probability (DOUBLE)
--   cai_explain(model, feature_row[, k[, version]])   → influential factors, top k (default 5, DEFAULT_FACTORS in udfs)
-- `feature_row` is a row of a features macro (FROM cai_features_<model>(DATE '…') AS f → pass f); its
-- feature_vector holds the model's inputs in order and feature_set says which feature list it is.
-- Version 0 means the latest registered version.
-- Grain: scalar functions, one value per row. Parameters: none.
-- Contract: macros cai_score(model, feature_row[, version]) and cai_explain(model, feature_row[, k[, version]]) (per connection, Python).
CREATE OR REPLACE TEMP MACRO cai_score(model, feature_row) AS
        _cai_score(model, 0, struct_extract(feature_row, 'feature_vector'), struct_extract(feature_row, 'feature_set')),
    (model, feature_row, version) AS
        _cai_score(model, version, struct_extract(feature_row, 'feature_vector'), struct_extract(feature_row, 'feature_set'));
CREATE OR REPLACE TEMP MACRO cai_explain(model, feature_row) AS
        _cai_explain(model, 0, struct_extract(feature_row, 'feature_vector'), struct_extract(feature_row, 'feature_set'), 5),
    (model, feature_row, k) AS
        _cai_explain(model, 0, struct_extract(feature_row, 'feature_vector'), struct_extract(feature_row, 'feature_set'), k),
    (model, feature_row, k, version) AS
        _cai_explain(model, version, struct_extract(feature_row, 'feature_vector'), struct_extract(feature_row, 'feature_set'), k);
