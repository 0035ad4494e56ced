-- model_leading_codes: the reason codes that lead some scored customer's factors of a model.
-- Grain: one row per code. Parameters: $model.
SELECT DISTINCT list_element(influential_factors, 1).code AS code
FROM cai_scores
WHERE model = $model AND len(influential_factors) > 0
ORDER BY code;
