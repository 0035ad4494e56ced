-- training_range: the first and last event dates before $before (NULL: all events), how many of those
-- lie after $now, how many have no customer id: what a training run may use; and the last event date
-- up to $now with the number of events, to check --as-of (events dated after now do not extend the data).
-- Grain: one row. Parameters: $before (DATE or NULL: train as of that date), $now (TIMESTAMP: now + the future tolerance).
SELECT CAST(min(ts) AS DATE) AS first_day, CAST(max(ts) AS DATE) AS last_day,
       count(*) FILTER (WHERE ts > $now) AS n_future, min(ts) FILTER (WHERE ts > $now) AS first_future,
       count(*) FILTER (WHERE customer_id IS NULL) AS n_null_customer,
       (SELECT CAST(max(a.ts) AS DATE) FROM events AS a WHERE a.ts <= $now) AS data_last_day,
       (SELECT count(*) FROM events) AS n_events
FROM events
WHERE $before IS NULL OR ts < CAST($before AS DATE);
