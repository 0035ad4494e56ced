-- stage_run_features: the feature vectors of one scoring run's eligible customers, kept in a
-- temporary table so the run scores them and takes their histograms (drift) from one computation.
-- Grain: one row per eligible customer. Parameters: $score_date. Placeholder: __features__ (the
-- model version's features macro).
CREATE OR REPLACE TEMPORARY TABLE _cai_run_features AS
SELECT f.customer_id, f.feature_vector, f.feature_set
FROM __features__(CAST($score_date AS DATE)) AS f;
