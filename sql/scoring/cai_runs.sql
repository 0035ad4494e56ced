-- cai_runs: one row per scoring run — which model version scored which date, how it ended
-- ('succeeded'; 'failed' with the error; 'replaced' when a later run of the same model version
-- and date took its place), how many customers it scored, and how long it took. out_of_range lists
-- the features whose scored values lie mostly (over half of the non-missing ones) outside the
-- range seen in training, with that share and the training range: a sign of drift. model_sha256 is
-- the hash over every artifact of the version (cai_models.model_sha256), verified before it scored.
-- scored_via says what computed the scores: 'udf' (the cai_score functions over onnxruntime, the
-- default) or 'sql' (the version's persisted SQL macros, cai score --via sql); NULL for older runs.
-- Grain: one row per run. Parameters: none.
-- Contract: table cai_runs.
CREATE SEQUENCE IF NOT EXISTS cai_run_ids START 1;
CREATE TABLE IF NOT EXISTS cai_runs (
    run_id         BIGINT    NOT NULL PRIMARY KEY,
    model          VARCHAR   NOT NULL,
    model_version  INTEGER   NOT NULL,
    model_type     VARCHAR   NOT NULL,
    score_date     DATE      NOT NULL,
    status         VARCHAR   NOT NULL,
    n_scored       BIGINT,
    n_high         BIGINT,
    n_medium       BIGINT,
    n_low          BIGINT,
    factors        INTEGER   NOT NULL,
    model_sha256   VARCHAR   NOT NULL,
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP,
    seconds        DOUBLE,
    error          VARCHAR,
    replaced_by    BIGINT,
    out_of_range   STRUCT(feature VARCHAR, share DOUBLE, train_min DOUBLE, train_max DOUBLE)[],
    scored_via     VARCHAR
);
