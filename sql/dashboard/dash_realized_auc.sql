-- dash_realized_auc: cai_realized_auc of a model's runs whose outcome window closed.
-- Grain: one row per run. Parameters: $model.
SELECT run_id, score_date, model_version, customers, positives, auc, expected_rate, actual_rate
FROM cai_realized_auc
WHERE model = $model
ORDER BY score_date, run_id;
