-- events_range: the first and last event dates, and how many events lie after $now.
-- Grain: one row. Parameters: $now (TIMESTAMP).
SELECT CAST(min(ts) AS DATE) AS first_day, CAST(max(ts) AS DATE) AS last_day,
       count(*) FILTER (WHERE ts > $now) AS n_future, min(ts) FILTER (WHERE ts > $now) AS first_future,
       count(*) FILTER (WHERE customer_id IS NULL) AS n_null_customer
FROM events;
