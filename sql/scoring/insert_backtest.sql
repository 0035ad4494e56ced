-- insert_backtest: one scorer's result at one backtest date into cai_backtests.
-- Grain: one row. Parameters: $backtest_id, $model, $at_date, $scorer, $algorithm, $window_days,
-- $n_customers, $positives, $auc, $lift_top_decile, $brier, $train_seconds, $created_at, $spec.
INSERT INTO cai_backtests VALUES ($backtest_id, $model, $at_date, $scorer, $algorithm, $window_days, $n_customers,
    $positives, $auc, $lift_top_decile, $brier, $train_seconds, $created_at, $spec);
