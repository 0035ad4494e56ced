-- cai_clv_runs: one row per lifetime-value scoring run — the fit it used with that fit's
-- parameters (so a run row is self-describing), the score date, the horizon (in the fit's time
-- unit), the annual discount rate, how many customers were scored and how long it took.
-- Grain: one row per run. Parameters: none.
-- Contract: table cai_clv_runs.
CREATE SEQUENCE IF NOT EXISTS cai_clv_run_ids START 1;
CREATE TABLE IF NOT EXISTS cai_clv_runs (
    run_id         BIGINT    NOT NULL PRIMARY KEY,
    fit_id         BIGINT    NOT NULL,
    score_date     DATE      NOT NULL,
    time_unit      VARCHAR   NOT NULL,
    horizon        DOUBLE    NOT NULL,
    discount_rate  DOUBLE    NOT NULL,
    r              DOUBLE    NOT NULL,
    alpha          DOUBLE    NOT NULL,
    a              DOUBLE    NOT NULL,
    b              DOUBLE    NOT NULL,
    p              DOUBLE    NOT NULL,
    q              DOUBLE    NOT NULL,
    gamma          DOUBLE    NOT NULL,
    n_scored       BIGINT    NOT NULL,
    total_clv      DOUBLE    NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    seconds        DOUBLE    NOT NULL
);
