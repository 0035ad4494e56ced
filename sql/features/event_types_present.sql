-- event_types_present: the event types that occur before $until (most frequent first, at most
-- $limit), and whether any of their events carries a value.
-- Grain: one row per event type. Parameters: $until (DATE), $limit (INTEGER).
SELECT event_type, count(value) > 0 AS has_value
FROM events
WHERE ts < $until
GROUP BY event_type
ORDER BY count(*) DESC, event_type
LIMIT $limit;
