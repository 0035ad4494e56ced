-- cai_model_evaluation: lift, cumulative gains and calibration of every registered model version
-- on its out-of-time validation rows, for BI charts, and the AUC of the model beside its baselines.
-- Grain: one row per model, version, curve ('decile': bin 1 = top 10% by probability;
-- 'calibration': ten equal-width probability bins; 'auc': one row per scorer, the model and each
-- baseline of cai_sql.baselines, with bin NULL) and bin. scorer is 'model' on decile and
-- calibration rows. Parameters: none.
-- Contract: view cai_model_evaluation.
CREATE OR REPLACE VIEW cai_model_evaluation AS
WITH curves AS (
    SELECT m.model, m.version, m.model_type, m.algorithm, 'decile' AS curve,
           unnest(from_json(m.metrics -> '$.deciles',
               '[{"bin":"INTEGER","n":"BIGINT","positives":"BIGINT","mean_probability":"DOUBLE","observed_rate":"DOUBLE","lift":"DOUBLE","cumulative_gain":"DOUBLE"}]')) AS b
    FROM cai_models AS m
    UNION ALL
    SELECT m.model, m.version, m.model_type, m.algorithm, 'calibration' AS curve,
           unnest(from_json(m.metrics -> '$.calibration',
               '[{"bin":"INTEGER","n":"BIGINT","positives":"BIGINT","mean_probability":"DOUBLE","observed_rate":"DOUBLE","lift":"DOUBLE","cumulative_gain":"DOUBLE"}]')) AS b
    FROM cai_models AS m
)
SELECT model, version, model_type, algorithm, curve,
       b.bin, b.n AS customers, b.positives, b.mean_probability, b.observed_rate, b.lift, b.cumulative_gain,
       'model' AS scorer, NULL::DOUBLE AS auc
FROM curves
UNION ALL
SELECT m.model, m.version, m.model_type, m.algorithm, 'auc' AS curve, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       s.scorer, s.auc
FROM cai_models AS m,
     (SELECT 'model' AS scorer, m.auc AS auc
      UNION ALL
      SELECT k.scorer, CAST(json_extract_string(m.metrics -> '$.baselines', '$.' || k.scorer) AS DOUBLE)
      FROM (SELECT unnest(json_keys(coalesce(m.metrics -> '$.baselines', '{}'))) AS scorer) AS k) AS s;
