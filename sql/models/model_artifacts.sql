-- model_artifacts: everything scoring needs from registered model versions, and everything their
-- hashes cover: the ONNX bytes, the explainer and its bias, the feature list, spec, linear terms,
-- score scale, macros' text, parity rows and metrics, with the recorded hashes (checked before use).
-- Grain: one row per model and version. Parameters: $model, $version (NULL: every model / version).
SELECT model, version, model_type, algorithm, n_features, training_cutoffs, validation_cutoff, sha256, onnx,
       features, spec, metrics, explainer, explainer_sha256, explainer_bias, linear_terms, score_scale, macros,
       probe, artifact_hashes, model_sha256
FROM cai_models
WHERE ($model IS NULL OR model = $model) AND ($version IS NULL OR version = $version)
ORDER BY model, version;
