-- clv_insert_run: records one lifetime-value run with its fit's parameters. Grain: one row.
-- Parameters: $run_id, $fit_id, $score_date, $time_unit, $horizon, $discount_rate, $r, $alpha,
-- $a, $b, $p, $q, $gamma, $n_scored, $total_clv, $created_at, $seconds.
INSERT INTO cai_clv_runs VALUES (
    $run_id, $fit_id, $score_date, $time_unit, $horizon, $discount_rate, $r, $alpha, $a, $b, $p, $q, $gamma,
    $n_scored, $total_clv, $created_at, $seconds
);
