-- cai_clv_fits: one row per lifetime-value fit — what was fitted (as-of date, time unit,
-- purchase predicate, value column), on how many customers, the BG/NBD purchase-and-dropout
-- parameters (r, alpha, a, b) and the Gamma-Gamma spend parameters (p, q, gamma) with their
-- log-likelihoods, and what was left out of the spend model.
-- Grain: one row per fit. Parameters: none.
-- Contract: table cai_clv_fits.
CREATE SEQUENCE IF NOT EXISTS cai_clv_fit_ids START 1;
CREATE TABLE IF NOT EXISTS cai_clv_fits (
    fit_id                 BIGINT    NOT NULL PRIMARY KEY,
    created_at             TIMESTAMP NOT NULL,
    as_of                  DATE      NOT NULL,
    time_unit              VARCHAR   NOT NULL,
    unit_days              DOUBLE    NOT NULL,
    purchase_predicate     VARCHAR   NOT NULL,
    value_column           VARCHAR   NOT NULL,
    customers              BIGINT    NOT NULL,
    repeat_customers       BIGINT    NOT NULL,
    spend_customers        BIGINT    NOT NULL,
    excluded_spend_days    BIGINT    NOT NULL,
    excluded_spend_customers BIGINT  NOT NULL,
    r                      DOUBLE    NOT NULL,
    alpha                  DOUBLE    NOT NULL,
    a                      DOUBLE    NOT NULL,
    b                      DOUBLE    NOT NULL,
    bgnbd_log_likelihood   DOUBLE    NOT NULL,
    p                      DOUBLE    NOT NULL,
    q                      DOUBLE    NOT NULL,
    gamma                  DOUBLE    NOT NULL,
    spend_log_likelihood   DOUBLE    NOT NULL,
    seconds                DOUBLE    NOT NULL
);
