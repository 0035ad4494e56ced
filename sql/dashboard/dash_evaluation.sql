-- dash_evaluation: cai_model_evaluation (lift, cumulative gains, calibration) of a model's latest
-- version. Grain: one row per curve and bin. Parameters: $model.
SELECT e.curve, e.bin, e.customers, e.positives, e.mean_probability, e.observed_rate, e.lift, e.cumulative_gain
FROM cai_model_evaluation AS e
WHERE e.model = $model AND e.version = (SELECT max(version) FROM cai_models WHERE model = $model)
ORDER BY e.curve, e.bin;
