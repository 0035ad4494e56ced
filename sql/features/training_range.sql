-- training_range: the first and last event dates before $before (NULL: all events), how many of those
-- lie after $now, and how many have no customer id: what a training run may use.
-- Grain: one row. Parameters: $before (DATE or NULL: train as of that date), $now (TIMESTAMP).
SELECT CAST(min(ts) AS DATE) AS first_day, CAST(max(ts) AS DATE) AS last_day,
       count(*) FILTER (WHERE ts > $now) AS n_future, min(ts) FILTER (WHERE ts > $now) AS first_future,
       count(*) FILTER (WHERE customer_id IS NULL) AS n_null_customer,
       (SELECT CAST(max(a.ts) AS DATE) FROM events AS a) AS data_last_day
FROM events
WHERE $before IS NULL OR ts < CAST($before AS DATE);
