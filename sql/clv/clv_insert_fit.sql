-- clv_insert_fit: records one lifetime-value fit. Grain: one row.
-- Parameters: $fit_id, $created_at, $as_of, $time_unit, $unit_days, $purchase_predicate,
-- $value_column, $customers, $repeat_customers, $spend_customers, $excluded_spend_days,
-- $excluded_spend_customers, $r, $alpha, $a, $b, $bgnbd_log_likelihood, $p, $q, $gamma,
-- $spend_log_likelihood, $seconds.
INSERT INTO cai_clv_fits VALUES (
    $fit_id, $created_at, $as_of, $time_unit, $unit_days, $purchase_predicate, $value_column, $customers,
    $repeat_customers, $spend_customers, $excluded_spend_days, $excluded_spend_customers, $r, $alpha, $a, $b,
    $bgnbd_log_likelihood, $p, $q, $gamma, $spend_log_likelihood, $seconds
);
