-- store_model_macros: the text of a just-registered version's persisted SQL macros (name → CREATE
-- statement), kept so their definitions can be checked before scoring and restored.
-- Grain: one row updated. Parameters: $model, $version, $macros (JSON).
UPDATE cai_models SET macros = $macros WHERE model = $model AND version = $version;
