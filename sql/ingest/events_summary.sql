-- events_summary: the size and time span of `events`.
-- Grain: one row. Parameters: none.
SELECT
    count(DISTINCT customer_id) AS customers,
    count(*)                    AS events,
    min(ts)                     AS first_event,
    max(ts)                     AS last_event,
    count(DISTINCT event_type)  AS event_types
FROM events;
