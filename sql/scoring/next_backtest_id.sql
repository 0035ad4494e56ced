-- next_backtest_id: the id of the next backtest (one id covers every date of one `cai backtest`).
-- Grain: one row. Parameters: none.
SELECT coalesce(max(backtest_id), 0) + 1 FROM cai_backtests;
