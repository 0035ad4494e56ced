-- seal_model: a just-registered version's part hashes and model_sha256, the hash over them all.
-- Grain: one row updated. Parameters: $model, $version, $hashes (JSON), $digest.
UPDATE cai_models SET artifact_hashes = $hashes, model_sha256 = $digest WHERE model = $model AND version = $version;
