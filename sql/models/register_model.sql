-- register_model: adds one model version to cai_models. Grain: one row written.
-- Parameters: every column of cai_models but the macros and hashes (seal_model adds them), by name.
INSERT INTO cai_models (model, version, created_at, model_type, algorithm, sha256, onnx, n_features,
                        features, spec, metrics, auc, training_cutoffs, validation_cutoff,
                        explainer, explainer_sha256, explainer_bias, linear_terms, score_scale, probe)
VALUES ($model, $version, $created_at, $model_type, $algorithm, $sha256, $onnx, $n_features,
        $features, $spec, $metrics, $auc, $training_cutoffs, $validation_cutoff,
        $explainer, $explainer_sha256, $explainer_bias, $linear_terms, $score_scale, $probe);
