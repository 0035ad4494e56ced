-- clv_last_event_day: the day of the last event, so a lifetime-value fit defaults to the day after.
-- Grain: one row. Parameters: none.
SELECT CAST(max(ts) AS DATE) FROM events;
