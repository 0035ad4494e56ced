-- events_range: the first and last event dates up to $now, and how many events lie after $now.
-- Events after $now (now + the future tolerance: rows loaded before ingest refused them) are left out
-- of the dates, so a default date is never pushed into the future by them.
-- Grain: one row. Parameters: $now (TIMESTAMP).
SELECT CAST(min(ts) FILTER (WHERE ts <= $now) AS DATE) AS first_day,
       CAST(max(ts) FILTER (WHERE ts <= $now) AS DATE) AS last_day,
       count(*) FILTER (WHERE ts > $now) AS n_future, min(ts) FILTER (WHERE ts > $now) AS first_future,
       count(*) FILTER (WHERE customer_id IS NULL) AS n_null_customer
FROM events;
