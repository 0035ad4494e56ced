-- events_by_type: events per event type, with the customers who had them and the value summed.
-- Grain: one row per event_type, most frequent first. Parameters: none.
SELECT
    event_type,
    count(*)                    AS events,
    count(DISTINCT customer_id) AS customers,
    sum(value)                  AS total_value
FROM events
GROUP BY event_type
ORDER BY events DESC, event_type;
