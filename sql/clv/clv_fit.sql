-- clv_fit: one lifetime-value fit, $fit_id or (when NULL) the latest.
-- Grain: at most one row. Parameters: $fit_id.
SELECT fit_id, as_of, time_unit, unit_days, purchase_predicate, value_column, customers, repeat_customers,
       spend_customers, excluded_spend_days, excluded_spend_customers, r, alpha, a, b, bgnbd_log_likelihood,
       p, q, gamma, spend_log_likelihood, seconds
FROM cai_clv_fits
WHERE fit_id = coalesce($fit_id, (SELECT max(fit_id) FROM cai_clv_fits));
