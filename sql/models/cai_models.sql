-- cai_models: the model registry. One row per trained model version: its ONNX bytes and their
-- sha256, the spec it was trained from, the feature list (name, description, how it is computed),
-- and its held-out metrics (AUC, PR-AUC, log loss, Brier, deciles, calibration, class balance);
-- the reason-code graph (explainer: ONNX bytes mapping features to per-feature contributions to
-- the log-odds, with its sha256 and bias), the linear terms of a linear model (for its SQL
-- macros), and the score scale (the validation probabilities' quantiles that fix what a score means);
-- the text of the version's persisted SQL macros, the parity rows (validation rows with scikit-learn's
-- probabilities, which both graphs must reproduce before scoring), the sha256 of each of these parts
-- and model_sha256, the hash over them all (see cai_sql/integrity.py).
-- Grain: one row per model and version. Parameters: none.
-- Contract: table cai_models.
CREATE TABLE IF NOT EXISTS cai_models (
    model             VARCHAR   NOT NULL,
    version           INTEGER   NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    model_type        VARCHAR   NOT NULL,
    algorithm         VARCHAR   NOT NULL,
    sha256            VARCHAR   NOT NULL,
    onnx              BLOB      NOT NULL,
    n_features        INTEGER   NOT NULL,
    features          JSON      NOT NULL,
    spec              JSON      NOT NULL,
    metrics           JSON      NOT NULL,
    auc               DOUBLE    NOT NULL,
    training_cutoffs  DATE[]    NOT NULL,
    validation_cutoff DATE      NOT NULL,
    explainer         BLOB,
    explainer_sha256  VARCHAR,
    explainer_bias    DOUBLE,
    linear_terms      JSON,
    score_scale       DOUBLE[],
    macros            JSON,
    probe             JSON,
    artifact_hashes   JSON,
    model_sha256      VARCHAR,
    PRIMARY KEY (model, version)
);
