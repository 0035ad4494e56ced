-- cai_clv: the lifetime-value ledger. Every purchaser scored by every lifetime-value run: the
-- summary the models read (frequency of repeat purchase days, recency, age T, mean repeat spend,
-- in the fit's time unit), the probability of being alive, the expected purchases over the
-- run's horizon, the expected average order value, the discounted lifetime value over the
-- horizon and its decile within the run (10 = the most valuable tenth).
-- Grain: one row per run and customer. Parameters: none.
-- Contract: table cai_clv.
CREATE TABLE IF NOT EXISTS cai_clv (
    run_id              BIGINT   NOT NULL,
    score_date          DATE     NOT NULL,
    customer_id         VARCHAR  NOT NULL,
    frequency           INTEGER  NOT NULL,
    recency             DOUBLE   NOT NULL,
    T                   DOUBLE   NOT NULL,
    monetary_value      DOUBLE,
    spend_days          INTEGER  NOT NULL,
    p_alive             DOUBLE   NOT NULL,
    expected_purchases  DOUBLE   NOT NULL,
    expected_aov        DOUBLE   NOT NULL,
    clv                 DOUBLE   NOT NULL,
    clv_decile          INTEGER  NOT NULL
);
