-- clv_last_event_day: the day of the last event up to $now, so a lifetime-value fit defaults to the day after
-- and --as-of dates are checked against the data; events after $now (now + the future tolerance) are left out.
-- Grain: one row. Parameters: $now (TIMESTAMP).
SELECT CAST(max(ts) FILTER (WHERE ts <= $now) AS DATE) FROM events;
