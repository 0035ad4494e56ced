-- cai_scores: the score ledger. Every customer scored by every successful run: calibrated
-- probability, score (0–100 on the model version's fixed scale), percentile within the run
-- (1–100), bucket (low < 25 ≤ medium < 75 ≤ high on score) and the influential factors (each
-- with the direction it moves the prediction: 'raises' or 'lowers').
-- Rows are only ever added by a run's transaction, or removed when a re-run of the same model
-- version and date replaces that run. Grain: one row per run and customer. Parameters: none.
-- Contract: table cai_scores.
CREATE TABLE IF NOT EXISTS cai_scores (
    run_id              BIGINT   NOT NULL,
    model               VARCHAR  NOT NULL,
    model_version       INTEGER  NOT NULL,
    model_type          VARCHAR  NOT NULL,
    score_date          DATE     NOT NULL,
    customer_id         VARCHAR  NOT NULL,
    probability         DOUBLE   NOT NULL,
    score               INTEGER  NOT NULL,
    percentile          INTEGER  NOT NULL,
    bucket              VARCHAR  NOT NULL,
    influential_factors STRUCT(code VARCHAR, description VARCHAR, value DOUBLE, contribution DOUBLE, importance VARCHAR, direction VARCHAR)[] NOT NULL
);
