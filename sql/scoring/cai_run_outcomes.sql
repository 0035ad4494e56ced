-- cai_run_outcomes: what really happened to each customer a run scored, once the run's outcome
-- window has closed (the events reach the window's last day): outcome is the model's label at the
-- run's score date — the goal met within window_days (inverted for "will not occur" goals).
-- Written by `cai evaluate` (and after every `cai score`), one transaction per run.
-- Grain: one row per run and scored customer. Parameters: none.
-- Contract: table cai_run_outcomes.
CREATE TABLE IF NOT EXISTS cai_run_outcomes (
    run_id      BIGINT  NOT NULL,
    customer_id VARCHAR NOT NULL,
    outcome     BOOLEAN NOT NULL
);
