-- stage_run_feature_rows: the feature rows of one scoring run through the SQL macros (cai score --via
-- sql): every named feature column (what cai_score_<model>_v<n>(row) reads by name) plus the
-- feature vector (what the drift histograms read), kept in the same temporary table as
-- stage_run_features. Grain: one row per eligible customer. Parameters: $score_date. Placeholder:
-- __features__ (the model version's features macro).
CREATE OR REPLACE TEMPORARY TABLE _cai_run_features AS
SELECT f.*
FROM __features__(CAST($score_date AS DATE)) AS f;
