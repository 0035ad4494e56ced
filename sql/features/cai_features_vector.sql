-- cai_features_vector: a model version's features macro as analysts call it
-- (cai_features_<model>(cutoff_date), cai_features_<model>_v<n>(cutoff_date)): every named feature
-- column of the model's feature rows, plus feature_vector (the same values as a FLOAT[] list in the
-- model's input order — what cai_score reads) and feature_set ('<model>@v<n>': whose list it is).
-- Grain: one row per eligible customer at the cutoff. Parameters: cutoff_date (DATE, macro argument).
-- Placeholders, substituted on the syntax tree: __rows__ the version's feature-rows macro,
-- __vector__ the FLOAT[] list of its feature columns (a list, not an
-- ARRAY: the scoring UDFs take FLOAT[], and a cast per call costs ~2%), __feature_set__ the feature-set label.
-- Contract: table macros cai_features_<model>(cutoff_date) and cai_features_<model>_v<n>(cutoff_date).
CREATE OR REPLACE MACRO __macro__(cutoff_date) AS TABLE
SELECT r.*, __vector__ AS feature_vector, __feature_set__ AS feature_set
FROM __rows__(cutoff_date) AS r;
