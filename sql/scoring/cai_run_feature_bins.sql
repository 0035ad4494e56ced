-- cai_run_feature_bins: each run's population as a histogram per feature, on bins fixed by the
-- model version at training (the deciles of the training rows: bin k holds lower <= value <
-- upper; bin -1 holds missing values), so two runs of the same version compare bin for bin.
-- Written inside the run's transaction. Grain: one row per run, feature and bin (empty bins
-- included). Parameters: none.
-- Contract: table cai_run_feature_bins.
CREATE TABLE IF NOT EXISTS cai_run_feature_bins (
    run_id    BIGINT  NOT NULL,
    feature   VARCHAR NOT NULL,
    bin       INTEGER NOT NULL,
    lower     DOUBLE,
    upper     DOUBLE,
    customers BIGINT  NOT NULL
);
