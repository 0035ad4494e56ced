-- model_artifacts: what scoring needs from every registered model version: the ONNX bytes and
-- the explainer with their recorded sha256 (checked before use), the feature list and the score scale.
-- Grain: one row per model and version. Parameters: none.
SELECT model, version, model_type, algorithm, sha256, onnx, features, explainer, explainer_sha256,
       explainer_bias, linear_terms, score_scale
FROM cai_models
ORDER BY model, version;
