-- cai_backtests: one row per scorer (the model or a baseline) of each backtest date: trained as of
-- the date on the events before it, scored at it, and measured against the outcomes in the data.
-- Grain: one row per backtest_id, at_date and scorer. Parameters: none (created if missing).
-- Columns: scorer is 'model' or a baseline ('recency', 'rfm_logistic', 'bgnbd'); auc on every
-- customer the spec's eligibility admits at the date; lift_top_decile is the goal rate of the
-- top 10% by score over the base rate; brier is NULL for scores that are not probabilities (bgnbd).
-- Contract: table cai_backtests.
CREATE TABLE IF NOT EXISTS cai_backtests (
    backtest_id      INTEGER   NOT NULL,
    model            VARCHAR   NOT NULL,
    at_date          DATE      NOT NULL,
    scorer           VARCHAR   NOT NULL,
    algorithm        VARCHAR,
    window_days      INTEGER   NOT NULL,
    n_customers      BIGINT    NOT NULL,
    positives        BIGINT    NOT NULL,
    auc              DOUBLE,
    lift_top_decile  DOUBLE,
    brier            DOUBLE,
    train_seconds    DOUBLE,
    created_at       TIMESTAMP NOT NULL,
    spec             JSON      NOT NULL
);
